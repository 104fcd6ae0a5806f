"""The one wording (``exercises.screens.describe``), without a database: every event type of the
record has one, causes are named only to who saw them, the facilitator's details stay theirs."""

from __future__ import annotations

from pathlib import Path

from django.utils import translation

from exercises import engine
from exercises.engine.events import EventType
from exercises.screens.describe import DESCRIBERS, describe
from exercises.screens.labels import ScenarioLabels
from scenarios.loader import load_file

MINI = load_file(Path(__file__).parent / "fixtures" / "mini.yaml")[0]
DEBRIEF = {t for t in EventType if t.startswith(("debrief_", "poll_")) or t == EventType.IMPROVEMENT_STATUS}
PLAYER = engine.Viewer(role="defence")


class Seen(ScenarioLabels):
    """Labels where the viewer saw the given injects and proposals."""

    def __init__(
        self, injects: frozenset[str] = frozenset(), proposals: frozenset[int] = frozenset(), lang: str = "en"
    ) -> None:
        super().__init__(MINI, lang, {"p1": "Bob"})
        self.injects, self.proposals = injects, proposals

    def inject_visible(self, inject: str, viewer: engine.Viewer) -> bool:
        return viewer.facilitator or inject in self.injects

    def proposal_visible(self, proposal: int, viewer: engine.Viewer) -> bool:
        return viewer.facilitator or proposal in self.proposals

    def proposal_action(self, proposal: int) -> str:
        return "travel"


def _event(type_: str, payload: dict, **fields) -> engine.Event:
    return engine.Event(seq=9, type=type_, game_time=60, payload=payload, audience=("*",), **fields)


def test_every_event_type_of_the_exercise_has_a_wording():
    """Mutation: drop ``EventType.INJECT_SEEN`` from ``DESCRIBERS``: the review's row of a receipt
    would have no words. The debrief's own events are worded by the debrief, not here."""
    assert set(EventType) - DEBRIEF == set(DESCRIBERS)


def test_a_cause_is_named_only_to_who_saw_it():
    """Mutation: ``_seen_cause`` ignoring ``inject_visible``: the player reads the secret inject."""
    moved = _event(
        EventType.INDICATOR_CHANGED,
        {"indicator": "legitimacy", "delta": -2, "value": 48, "cause": {"inject": "attack", "rule": "R5"}},
    )
    with translation.override("en"):
        blind = describe(moved, PLAYER, "en", Seen())
        saw = describe(moved, PLAYER, "en", Seen(injects=frozenset({"attack"})))
    assert blind.cause == "" and ("R5", "rule") in blind.badges  # the rule is no secret; the inject is
    assert saw.cause == "after: Attack" == saw.body


def test_the_facilitators_details_stay_theirs():
    """Mutation: drop ``if viewer.facilitator`` in ``_created``: the seed reaches the players."""
    created = _event(EventType.EXERCISE_CREATED, {"title": "T", "scenario": "mini", "version": 1, "seed": 42})
    seen = _event(EventType.INJECT_SEEN, {"participant": "p1", "seq": 3})
    with translation.override("en"):
        assert describe(created, engine.FACILITATOR_VIEW, "en", Seen()).details == ["seed 42"]
        assert describe(created, PLAYER, "en", Seen()).details == []
        assert describe(created, engine.PUBLIC_VIEW, "en", Seen()).details == []
        assert describe(seen, engine.FACILITATOR_VIEW, "en", Seen()).title == "Bob read event #3"
        assert describe(seen, PLAYER, "en", Seen()) is None


def test_a_bot_is_marked():
    moved = _event(EventType.ACTION_WITHDRAWN, {"action": "travel", "proposal": 4}, actor="bot:president")
    with translation.override("es"):
        said = describe(moved, engine.FACILITATOR_VIEW, "es", Seen(lang="es"))
    assert said.badges[0][1] == "bot" and said.title == "Retirada: Viajar a Washington" and said.details == ["#4"]


def test_a_description_reads_as_one_line():
    """The review's rows and CSV read ``line()``: title, body, rule tags once, then the details."""
    executed = _event(
        EventType.ACTION_EXECUTED,
        {"action": "travel", "proposal": 4, "chance": {"success": True, "probability": 0.6, "rule": "R9"}},
    )
    with translation.override("en"):
        said = describe(executed, engine.FACILITATOR_VIEW, "en", Seen())
        assert said.line() == "Carried out: Travel to Washington (succeeded (p=0.6); #4)"
        assert describe(executed, PLAYER, "en", Seen()).line() == "Carried out: Travel to Washington"


def test_a_line_keeps_the_cause_beside_a_reason():
    """The feed shows the facilitator's reason in place of the cause; the review's line has both."""
    moved = _event(
        EventType.INDICATOR_CHANGED,
        {"indicator": "legitimacy", "delta": -2, "value": 48, "reason": "Protests", "cause": {"inject": "attack"}},
    )
    with translation.override("en"):
        said = describe(moved, engine.FACILITATOR_VIEW, "en", Seen())
    assert said.body == "Protests" and said.line() == "Legitimacy: 50 → 48 — Protests (after: Attack)"
