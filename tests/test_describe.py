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


def test_every_event_type_has_a_wording():
    """Mutation: drop ``EventType.INJECT_SEEN`` (or ``DEBRIEF_STEP``) from ``DESCRIBERS``: the
    review's row of that event would have no words, only its type."""
    assert set(EventType) == set(DESCRIBERS)


def test_the_debrief_is_worded_for_the_review_and_kept_out_of_the_feed():
    """A poll answer's content is the facilitator's detail; the room's feed has no debrief card
    (its own panel shows it). Mutation: drop ``*DEBRIEF`` from ``feed.NOT_IN_FEED`` -> red."""
    from exercises.screens.feed import NOT_IN_FEED

    labels = Seen()
    step = _event(
        EventType.DEBRIEF_STEP,
        {
            "step": 2,
            "moment": {"title": {"en": "The Senate says no", "es": "El Senado dice no"}},
            "poll": {"question": {"en": "Was it right?", "es": "¿Fue correcto?"}, "options": []},
        },
    )
    said = describe(step, engine.FACILITATOR_VIEW, "en", labels)
    assert said is not None and said.line() == "Debrief step 2: The Senate says no — Was it right?"
    answer = _event(EventType.POLL_ANSWERED, {"step": 2, "option": None, "text": "No, never."}, actor="p:p1")
    mine = describe(answer, engine.FACILITATOR_VIEW, "en", labels)
    theirs = describe(answer, PLAYER, "en", labels)
    assert mine is not None and "No, never." in mine.line()
    assert theirs is not None and "No, never." not in theirs.line()
    assert {EventType.DEBRIEF_STEP, EventType.POLL_ANSWERED, EventType.IMPROVEMENT_STATUS} <= NOT_IN_FEED


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
