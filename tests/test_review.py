"""Instructor review: analytics checked against hand-computed values on a small fixture log.

The fixture plays mini.yaml (plus four objectives added here) through ``services.execute``
with explicit wall clocks, and pins each row's ``created_at`` to that wall, so every game
time and wall time below can be worked out by hand. Clock: phase "before" starts at game
-3600 and runs 60 game seconds per wall second, so game = -3600 + 60 * (wall - W0).

    seq  wall   game   event
     1   W0     -3600  exercise_created
    2-9  W0     -3600  four players join and claim president, defence, foreign, us_command
    10   W0     -3600  exercise_started
    11   W0     -3600  inject "background" (public)
    12   W0+30  -1800  defence on cabinet: "Ready."
    13   W0+60      0  phase_changed -> impact
    14   W0+60      0  inject "attack" (public); 15 trust 55
    16   W0+60      0  pressure R14 applied; 17 trust 53
    18   W0+60      0  president proposes statement "total" ("Stand with Washington.")
    19   W0+60      0  executed (public); 20 trust 58
    21   W0+70    600  foreign proposes statement "constitutional"; 22 executed
    23   W0+70    600  contradiction (R3); 24 cohesion 50
    25   W0+80   1200  us_command proposes unilateral; 26 executed (us_command only)
    27-29               sovereignty 55, legitimacy 45, trust 63
    30   W0+90   1800  defence proposes deploy_abroad ("Help the allies."); 31 senate asked (R2)
    32   W0+100  2400  defence goes ahead: senate bypassed; 33 executed; 34 sovereignty 45
    35   W0+100  2400  inject "backlash" (mx); 36 legitimacy 40
    37   W0+105  2700  president proposes travel; 38 senate asked (R1), never answered
    39   W0+108  2880  us_command refused send_troops_us (R9)
    40   W0+109  2940  defence refused deploy_home (R5)
    41   W0+110  3000  evaluator note on #33, role defence
    42   W0+111  3060  president on press (public): "We stand with our neighbours."
    43   W0+112  3120  us_command on cable (30 min delay): "Send us the manifests."
    44   W0+115  3300  exercise_ended
"""

from __future__ import annotations

import csv
import io
import json
import re
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

import pytest
import yaml
from django.test import Client
from django.urls import reverse

import review.analytics
import review.compare
import review.log
import review.pdf
import review.replay
import review.report
import review.share
import review.timeline
import review.views.pages
import review.wording
from exercises import engine, services
from exercises.engine import commands as c
from exercises.models import Event, Exercise
from scenarios.library import latest, sync_library
from scenarios.loader import load_file
from scenarios.schema import ALL

FIXTURES = Path(__file__).parent / "fixtures"
W0 = 1_000_000_000.0
pytestmark = pytest.mark.django_db

NOTE = "Defence went ahead without the Senate."
CABINET = "Ready."
CABLE = "Send us the manifests."
PRESS = "We stand with our neighbours."
RATIONALE = "Help the allies."


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def review_version(tmp_path):
    """mini.yaml with private objectives whose first-true moments the log below pins down."""
    raw = load_file(FIXTURES / "mini.yaml")[1]
    raw["slug"] = "mini-review"
    roles = {r["id"]: r for r in raw["roles"]}
    roles["defence"]["objectives"] = [
        {
            "id": "def_sov",
            "text": {"en": "Sovereignty below 50.", "es": "Soberanía bajo 50."},
            "done_when": {"indicator": "sovereignty", "op": "lt", "value": 50},
            "points": 2,
        }
    ]
    roles["us_command"]["objectives"] = [
        {"id": "us_act", "text": {"en": "Act alone.", "es": "Actuar solo."}, "done_when": {"action": "unilateral"}}
    ]
    roles["foreign"]["objectives"] = [
        {
            "id": "for_trust",
            "text": {"en": "Trust at 60 or more.", "es": "Confianza en 60 o más."},
            "done_when": {"indicator": "trust", "op": "ge", "value": 60},
        },
        {
            "id": "for_cohesion",
            "text": {"en": "Cohesion at 60 or more.", "es": "Cohesión en 60 o más."},
            "done_when": {"indicator": "cohesion", "op": "ge", "value": 60},
        },
    ]
    (tmp_path / "mini-review.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True))
    sync_library([tmp_path])
    return latest("mini-review")


@contextmanager
def wall_clock(wall: float):
    """Pin ``created_at`` of the rows written inside to ``wall`` (the engine gets it as ``now``)."""
    with mock.patch("django.utils.timezone.now", return_value=datetime.fromtimestamp(wall, tz=UTC)):
        yield


class Play:
    def __init__(self, version) -> None:
        with wall_clock(W0):
            self.exercise = services.create_exercise(scenario=version, seed=1, title="Review fixture")
        self.actors: dict[str, engine.Actor] = {}

    def do(self, wall: float, actor: engine.Actor, command: c.Cmd) -> services.Result:
        with wall_clock(wall):
            return services.execute(exercise_id=self.exercise.pk, actor=actor, command=command, now=wall)

    def seat(self, name: str, role: str) -> None:
        with wall_clock(W0):
            participant, _ = services.join(exercise=self.exercise, name=name, now=W0)
        actor = engine.Actor(kind="participant", participant=participant.pk)
        self.do(W0, actor, c.ClaimRole(role=role))
        self.actors[role] = actor

    def refreshed(self) -> Exercise:
        return Exercise.objects.select_related("scenario").get(pk=self.exercise.pk)


def _link(exercise: Exercise) -> str:
    """A live share link of ``exercise`` (links exist only when someone makes one)."""
    from exercises.models import ShareLink

    return ShareLink.objects.create(exercise=exercise).token


@pytest.fixture
def played(review_version) -> Exercise:
    p = Play(review_version)
    for name, role in [("Ann", "president"), ("Bob", "defence"), ("Cid", "foreign"), ("Dan", "us_command")]:
        p.seat(name, role)
    a = p.actors
    p.do(W0, engine.FACILITATOR, c.Start())
    p.do(W0 + 30, a["defence"], c.SendMessage(channel="cabinet", text=CABINET))
    p.do(
        W0 + 60, a["president"], c.ProposeAction(action="statement", option="total", rationale="Stand with Washington.")
    )
    p.do(
        W0 + 70,
        a["foreign"],
        c.ProposeAction(action="statement", option="constitutional", rationale="Within the Constitution."),
    )
    p.do(W0 + 80, a["us_command"], c.ProposeAction(action="unilateral", rationale="We cannot wait."))
    p.do(W0 + 90, a["defence"], c.ProposeAction(action="deploy_abroad", rationale=RATIONALE))
    p.do(W0 + 100, a["defence"], c.Decide(proposal=30))
    p.do(W0 + 105, a["president"], c.ProposeAction(action="travel", rationale="See Bush."))
    assert not p.do(W0 + 108, a["us_command"], c.ProposeAction(action="send_troops_us")).ok
    assert not p.do(W0 + 109, a["defence"], c.ProposeAction(action="deploy_home")).ok
    p.do(W0 + 110, engine.FACILITATOR, c.AddNote(text=NOTE, event=33, role="defence"))
    p.do(W0 + 111, a["president"], c.SendMessage(channel="press", text=PRESS))
    p.do(W0 + 112, a["us_command"], c.SendMessage(channel="cable", text=CABLE))
    p.do(W0 + 115, engine.FACILITATOR, c.End())
    review.analytics.clear_cache()
    return p.refreshed()


@pytest.fixture
def analysis(played) -> review.analytics.Analysis:
    return review.analytics.analyse(review.log.load(played, lang="en"))


@pytest.fixture
def facilitator_client(django_user_model) -> Client:
    client = Client()
    client.force_login(
        django_user_model.objects.create_user("rita", password="rita-password-1", is_staff=True, is_superuser=True)
    )
    return client


@pytest.fixture
def player_client(django_user_model) -> Client:
    client = Client()
    client.force_login(django_user_model.objects.create_user("pablo", password="pablo-password-1"))
    return client


def _text(response) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return body.decode()


# --------------------------------------------------------------------------- the fixture log itself


def test_it_builds_the_fixture_log_described_above(played) -> None:
    rows = {e.seq: e for e in Event.objects.filter(exercise=played)}
    assert played.last_seq == 44
    expected = {
        11: "inject_released", 12: "message_sent", 13: "phase_changed", 14: "inject_released", 18: "action_proposed",
        19: "action_executed", 23: "contradiction", 26: "action_executed", 30: "action_proposed", 31: "approval_requested",
        32: "approval_resolved", 33: "action_executed", 35: "inject_released", 37: "action_proposed", 39: "command_rejected",
        40: "command_rejected", 41: "note_added", 42: "message_sent", 43: "message_sent", 44: "exercise_ended",
    }  # fmt: skip
    assert {seq: rows[seq].type for seq in expected} == expected
    assert rows[33].game_time == 2400
    assert rows[33].created_at == datetime.fromtimestamp(W0 + 100, tz=UTC)


# --------------------------------------------------------------------------- analytics


def test_it_times_each_recipients_first_response_to_each_inject(analysis) -> None:
    table = {
        inj.entry.payload["inject"]: {r.role: (r.entry.seq if r.entry else None, r.game, r.wall) for r in inj.responses}
        for inj in analysis.responses
    }
    assert table["background"] == {
        "president": (18, 3600, 60.0),
        "adviser": (None, None, None),
        "defence": (12, 1800, 30.0),
        "foreign": (21, 4200, 70.0),
        "us_command": (25, 4800, 80.0),
    }
    assert table["attack"] == {
        "president": (18, 0, 0.0),
        "adviser": (None, None, None),
        "defence": (30, 1800, 30.0),
        "foreign": (21, 600, 10.0),
        "us_command": (25, 1200, 20.0),
    }
    # backlash goes to Mexico only; the refused command (#40) is not a response.
    assert table["backlash"] == {
        "president": (37, 300, 5.0),
        "adviser": (None, None, None),
        "defence": (None, None, None),
        "foreign": (None, None, None),
    }


def test_it_counts_who_talked_to_whom(analysis) -> None:
    m = analysis.matrix
    assert m.roles == ["president", "adviser", "defence", "foreign", "us_command"]
    assert m.cells == [
        [0, 1, 1, 1, 1],  # president on press reaches every other played role
        [0, 0, 0, 0, 0],
        [1, 1, 0, 1, 0],  # defence on cabinet reaches Mexico
        [0, 0, 0, 0, 0],
        [0, 0, 0, 1, 0],  # us_command on the cable reaches foreign
    ]
    assert m.sent == [4, 0, 3, 0, 1]
    assert m.received == [1, 2, 1, 3, 1]


def test_it_lists_approvals_delayed_bypassed_or_unanswered(analysis) -> None:
    rows = [(a.proposal, a.approver, a.rule, a.status, a.delay_game, a.delay_wall) for a in analysis.approvals]
    assert rows == [(30, "senate", "R2", "bypassed", 600, 10.0), (37, "senate", "R1", "pending", None, None)]
    assert [a.proposal for a in analysis.slow_approvals] == [30, 37]


def test_it_ranks_the_rules_that_blocked_players(analysis) -> None:
    assert [(r.rule, r.rejected, r.refused, dict(r.by_role)) for r in analysis.rules] == [
        ("R5", 1, 0, {"Defence": 1}),
        ("R9", 1, 0, {"US command": 1}),
    ]
    assert analysis.rules[1].example == "“Send US troops”: US aid is equipment and money, not troops."


def test_the_review_words_refusals_with_labels_in_both_languages(played) -> None:
    """Issue #12: instructors saw raw ids (``send_troops_us``) in the review's refusals.
    Mutation: ``wording._Labels.action`` returning the id: the action's title disappears."""
    for lang, title, reason in [
        ("en", "“Send US troops”", "not troops"),
        ("es", "«Enviar tropas de EUA»", "no tropas"),
    ]:
        log = review.log.load(played, lang=lang)
        texts = [review.wording.describe(log, e) for e in log.entries if e.type == "command_rejected"]
        assert any(title in t and reason in t for t in texts), texts
        assert not any("send_troops_us" in t or "deploy_home" in t for t in texts), texts


def test_it_follows_each_decision_from_rationale_to_outcome(analysis) -> None:
    summary = [(d.seq, d.action, d.role, d.status, d.outcome_seq, d.took_game) for d in analysis.decisions]
    assert summary == [
        (18, "statement", "president", "executed", 19, 0),
        (21, "statement", "foreign", "executed", 22, 0),
        (25, "unilateral", "us_command", "executed", 26, 0),
        (30, "deploy_abroad", "defence", "executed", 33, 600),
        (37, "travel", "president", "pending", None, None),
    ]
    deploy = analysis.decisions[3]
    assert deploy.rationale == RATIONALE
    assert deploy.bypassed == [{"approver": "Senate", "rule": "R2"}]
    assert deploy.approvals[0].by == "Defence"


def test_it_finds_the_contradiction_and_the_statements_behind_it(analysis) -> None:
    [found] = analysis.contradictions
    assert (found.entry.seq, found.side, found.topic, found.rule) == (23, "Mexico", "Support for the US", "R3")
    assert found.stances == ["Total support", "Within the Constitution"]
    assert (found.previous.seq, found.previous.role) == (19, "President")
    assert (found.latest.seq, found.latest.role) == (22, "Foreign minister")


def test_it_scores_objectives_on_the_final_state_and_finds_when_each_first_held(analysis) -> None:
    results = {
        r.id: (r.met, r.first_seq, r.first_game, r.lost_later) for role in analysis.objectives for r in role.results
    }
    assert results == {
        "travel": (False, None, None, False),  # proposed, never approved
        "def_sov": (True, 34, 2400, False),  # sovereignty 45 after the bypass
        "us_act": (True, 26, 1200, False),
        "for_trust": (True, 1, -3600, False),  # 60 from the start; dipped to 53 and came back
        "for_cohesion": (False, 1, -3600, True),  # 60 at start, 50 after the contradiction
    }
    foreign = next(r for r in analysis.objectives if r.role == "foreign")
    assert (foreign.met, foreign.points, foreign.possible) == (1, 1, 2)


def test_it_charts_each_indicator_with_a_marker_per_change(analysis) -> None:
    charts = {chart.indicator: chart for chart in analysis.charts}
    assert [(m.seq, m.value, m.delta) for m in charts["trust"].markers] == [
        (15, 55, -5),
        (17, 53, -2),
        (20, 58, 5),
        (29, 63, 5),
    ]
    assert (charts["trust"].start, charts["trust"].final) == (60, 63)
    assert [(m.seq, m.value) for m in charts["sovereignty"].markers] == [(27, 55), (34, 45)]
    # x runs over game time from the first phase (-3600) to the last event (3300): 6900 s on 588 px.
    first = charts["trust"].markers[0]
    assert first.x == round(40 + 3600 / 6900 * 588, 1)
    assert first.y == round(12 + (100 - 55) / 100 * 124, 1)
    assert charts["trust"].points.startswith("40.0,")


def test_it_ties_notes_to_their_event_role_and_time(analysis) -> None:
    [note] = analysis.notes
    assert (note.entry.seq, note.text, note.event.seq, note.role, note.entry.game_time) == (
        41,
        NOTE,
        33,
        "defence",
        3000,
    )
    assert analysis.notes_by_event == {33: [note]}


def test_it_summarises_the_game_and_wall_time_played(analysis) -> None:
    assert analysis.game_span == "1h 55m"  # from the start at -3600 to the end at 3300
    assert analysis.wall_span == "1m 55s"
    assert analysis.executed_count == 4
    assert analysis.final.status == "ended"


# --------------------------------------------------------------------------- timeline and replay


def _seqs(page: review.timeline.TimelinePage) -> list[int]:
    return [row.entry.seq for row in page.rows]


def test_it_filters_the_timeline_by_role_side_phase_type_channel_and_text(analysis) -> None:
    def page(**filters: str) -> review.timeline.TimelinePage:
        return review.timeline.timeline(analysis, review.timeline.TimelineFilters(filters))

    assert page().matched == 44
    assert _seqs(page(role="defence")) == [5, 12, 30, 31, 32, 33, 40, 41]
    assert _seqs(page(side="us")) == [9, 25, 26, 39, 43]
    assert _seqs(page(phase="before")) == list(range(1, 13))
    assert _seqs(page(type="command_rejected")) == [39, 40]
    assert _seqs(page(channel="cabinet")) == [12]
    assert _seqs(page(q="allies")) == [30]
    assert _seqs(page(q="senate r2")) == [31, 32, 33, 34]  # 34: the cost of going ahead names both


def test_it_pages_the_timeline_and_jumps_to_an_event(analysis, monkeypatch) -> None:
    monkeypatch.setattr(review.timeline, "PAGE_SIZE", 10)
    last = review.timeline.timeline(analysis, review.timeline.TimelineFilters({"page": "last"}))
    assert (last.page, last.pages, _seqs(last)) == (5, 5, [41, 42, 43, 44])
    jump = review.timeline.timeline(analysis, review.timeline.TimelineFilters({"seq": "23"}))
    assert (jump.page, jump.highlight, _seqs(jump)[0]) == (3, 23, 21)


def test_the_pager_links_keep_the_filters_and_drop_the_jump(played, facilitator_client, monkeypatch) -> None:
    """``{% querystring %}`` builds the pager's links from the request's query.

    Mutations (tried): keep ``seq`` in the links (the jump would win over ``page``: stuck on page 3);
    write ``page=1`` for the first page instead of dropping it."""
    monkeypatch.setattr(review.timeline, "PAGE_SIZE", 10)
    url = reverse("review:timeline", args=[played.code])
    text = _text(facilitator_client.get(url + "?q=&seq=23", headers={"HX-Request": "true"}))
    assert 'href="?q=&amp;page=4" hx-boost="true" hx-swap="outerHTML show:#rv-results:top" rel="next"' in text
    assert 'href="?q=&amp;page=2" hx-boost="true" hx-swap="outerHTML show:#rv-results:top" rel="prev"' in text
    assert 'href="?q=&amp;page=5" hx-boost="true" hx-swap="outerHTML show:#rv-results:top">' in text  # the last page
    text = _text(facilitator_client.get(url + "?phase=before&page=2", headers={"HX-Request": "true"}))
    # page 1: no page parameter
    assert 'href="?phase=before" hx-boost="true" hx-swap="outerHTML show:#rv-results:top" rel="prev"' in text
    assert 'rel="next"' not in text


def _replay(played, role: str, seq: int):
    return review.replay.screen(played, review.log.load(played, lang="en"), role=role, seq=seq, lang="en")


def test_it_replays_what_defence_could_see_after_the_senate_was_asked(played) -> None:
    """The replay is the live room's context at seq 31 (review/replay.py).

    Mutation: fold to the last seq instead of 31 -> red (the proposal is no longer pending).
    """
    screen = _replay(played, "defence", 31)
    assert (screen.mode, screen.clock, screen.holder) == ("room", datetime(2001, 9, 11, 13, 16), "Bob")
    room = screen.context
    assert [(i.name, i.value) for i in room["indicators"]] == [
        ("Trust", 63),
        ("Sovereignty", 55),
        ("Legitimacy", 45),
        ("Cohesion", 50),
    ]
    assert [(p.id, [a.approver for a in p.approvals if a.status == "pending"]) for p in room["pending"]] == [
        (30, ["Senate"])
    ]
    assert not any(p.awaits_me for p in room["pending"])
    assert [m.text for ch in room["channels"] for m in ch.messages] == [CABINET]
    feed = [item.seq for item in room["items"]]
    assert 26 not in feed and 25 not in feed  # the US card was never on Mexico's screens
    assert 27 in feed  # ... but its effect on a public indicator was, without naming the cause
    assert "unilateral" not in str(vars(next(i for i in room["items"] if i.seq == 27))).lower()


def test_it_replays_the_us_command_and_the_projector_with_their_own_view(played) -> None:
    us = _replay(played, "us_command", 44).context
    assert [i.name for i in us["indicators"]] == ["Trust", "Sovereignty"]
    assert {m.text for ch in us["channels"] for m in ch.messages} == {CABLE, PRESS}
    projector = _replay(played, "", 44)
    assert projector.mode == "projector"
    shown = [i.seq for i in projector.context["items"]]
    assert all(engine.EVERYONE in e.audience for e in Event.objects.filter(exercise=played, seq__in=shown))
    assert not any(seq in (26, 30, 41, 43) for seq in shown)


def test_it_finds_the_last_event_at_an_in_game_moment(played) -> None:
    log = review.log.load(played, lang="en")
    # mini's clock: T+0 is 2001-09-11 08:46 at -04:00, shown in UTC (the scenario's zone).
    assert log.game_clock(0) == datetime(2001, 9, 11, 12, 46)
    assert log.game_time_of(datetime(2001, 9, 11, 13, 16)) == 1800
    assert log.seq_at(1799) == 29
    assert log.seq_at(1800) == 31


# --------------------------------------------------------------------------- the report and debrief


def test_it_links_debrief_questions_to_what_happened(played, review_version) -> None:
    analysis = review.analytics.analyse(review.log.load(played, lang="en"))
    [question] = review.report.debrief(analysis)
    assert question.actions == ["Assign tasks"]
    assert question.rows == []  # nobody proposed assign_tasks in this log


def test_it_links_a_debrief_question_to_the_events_of_its_action(played, review_version) -> None:
    """A question about ``deploy_abroad`` lists that proposal, its execution and the note on it.

    Mutation (tried): ``rows=[]`` in ``review.report.debrief`` (forcing every question's rows empty) → red.
    The question above cannot see that: its action never happens in the fixture log.
    """
    log = review.log.load(played, lang="en")
    [q] = log.scenario.debrief
    log.scenario = log.scenario.model_copy(update={"debrief": [q.model_copy(update={"actions": ["deploy_abroad"]})]})
    analysis = review.analytics.analyse(log)
    [question] = review.report.debrief(analysis)
    assert question.actions == ["Send troops abroad"]
    assert [(r.entry.seq, r.entry.type) for r in question.rows] == [
        (30, "action_proposed"),
        (33, "action_executed"),
        (41, "note_added"),  # the evaluator's note on the execution
    ]
    assert question.rows[2].text == f"Evaluator note: {NOTE}"
    [shared] = review.report.debrief(analysis, public=True)
    assert shared.rows == []  # all three were Mexican-cabinet or facilitator-only: none on the share link


def test_it_records_report_edits_as_facilitator_only_events(played, facilitator_client) -> None:
    url = reverse("review:report_edit", args=[played.code])
    response = facilitator_client.post(
        url,
        {
            "summary": "A short afternoon.",
            "strengths": "Fast statements\n- Clear press line",
            "improvements": "Ask the Senate first",
            "actions-TOTAL_FORMS": "3",
            "actions-INITIAL_FORMS": "0",
            "actions-0-issue": "",  # a blank row first: ignored, the rows keep their order
            "actions-1-issue": " Bypassed the Senate ",
            "actions-1-action": "Brief ministers on Art. 76",
            "actions-1-owner": "Defence",
            "actions-1-due": "2001-10-01",
            "actions-1-status": "open",
            "actions-2-status": "",
        },
    )
    assert response.status_code == 302
    row = Event.objects.get(exercise=played, type="report_edited")
    assert row.audience == []
    assert row.payload["actions"] == [
        {
            "issue": "Bypassed the Senate",
            "action": "Brief ministers on Art. 76",
            "owner": "Defence",
            "due": "2001-10-01",
            "status": "open",
        }
    ]
    assert row.payload["share"] is False
    page = _text(facilitator_client.get(reverse("review:report", args=[played.code])))
    assert "Brief ministers on Art. 76" in page and "Clear press line" in page


def test_the_report_edit_page_offers_the_plan_as_a_formset_with_three_blank_rows(played, facilitator_client) -> None:
    """Mutation: ``extra=0`` on the formset → no blank row to write a first action in, red."""
    url = reverse("review:report_edit", args=[played.code])
    page = _text(facilitator_client.get(url))
    assert 'name="actions-TOTAL_FORMS" value="3"' in page and 'name="actions-2-issue"' in page
    facilitator_client.post(
        url,
        {"summary": "s", "actions-TOTAL_FORMS": "1", "actions-INITIAL_FORMS": "0", "actions-0-issue": "One"},
    )
    page = _text(facilitator_client.get(url))
    assert 'name="actions-TOTAL_FORMS" value="4"' in page and 'name="actions-0-issue" value="One"' in page
    too_long = facilitator_client.post(
        url, {"actions-TOTAL_FORMS": "1", "actions-INITIAL_FORMS": "0", "actions-0-due": "x" * 41}
    )
    assert too_long.status_code == 400 and 'name="actions-0-due" value="xxxx' in _text(too_long)
    forged = facilitator_client.post(url, {"summary": "s", "actions-TOTAL_FORMS": "x", "actions-INITIAL_FORMS": "0"})
    assert forged.status_code == 400 and "rows were not sent whole" in _text(forged)


def test_it_adds_an_evaluator_note_from_the_review_page(played, facilitator_client) -> None:
    response = facilitator_client.post(
        reverse("review:add_note", args=[played.code]),
        {
            "text": "Good use of the press channel.",
            "event": "42",
            "objective": "travel",
            "next": f"/review/{played.code}/timeline/",
        },
    )
    assert response.status_code == 302
    row = Event.objects.filter(exercise=played, type="note_added").order_by("-seq").first()
    assert row.payload == {
        "text": "Good use of the press channel.",
        "event": 42,
        "role": "president",
        "objective": "travel",
    }
    assert row.audience == []
    timeline = _text(facilitator_client.get(reverse("review:timeline", args=[played.code]) + "?seq=42"))
    assert "Good use of the press channel." in timeline


def test_it_refuses_a_note_on_an_event_that_does_not_exist(played, facilitator_client) -> None:
    response = facilitator_client.post(reverse("review:add_note", args=[played.code]), {"text": "x", "event": "999"})
    assert response.status_code == 302 and "note_error" in response["Location"]
    assert Event.objects.filter(exercise=played, type="note_added").count() == 1


@pytest.mark.parametrize(
    ("post", "field"),
    [({"text": ""}, "text"), ({"text": "x", "event": "abc"}, "event"), ({"text": "x" * 2001}, "text")],
)
def test_it_says_which_field_of_a_note_is_wrong_and_saves_nothing(played, facilitator_client, post, field) -> None:
    """exercises.forms.NoteForm: a bad field is named in the error and nothing reaches the log.

    Mutation (tried): the view not asking ``form.is_valid()`` (``if False:``) → red on all three
    (no cleaned data: the post fails instead of answering which field is wrong).
    """
    from urllib.parse import unquote

    response = facilitator_client.post(reverse("review:add_note", args=[played.code]), post)
    assert response.status_code == 302
    assert f"note_error=The note was not saved: {field}: " in unquote(response["Location"])
    assert Event.objects.filter(exercise=played, type="note_added").count() == 1


# --------------------------------------------------------------------------- the players' share link


SECRETS = [
    NOTE,  # the evaluator's note
    CABINET,  # a private channel's message
    CABLE,  # a delayed private message
    RATIONALE,  # a side-private rationale
    "Act unilaterally",  # a card only its holder saw
    "US aid is equipment and money",  # a refusal only its player saw
    "Keep the army out of politics.",  # a private brief
    "Reach Washington.",  # an objective's text
    "Sovereignty below 50.",
    "A quiet warning.",  # a hidden inject
    "Congress is angry.",  # an inject to Mexico only
    "Backlash",
    "Stand with Washington.",  # rationale of a public statement: the statement was public, the reasoning not
]


def test_it_shares_a_report_that_reveals_nothing_facilitator_only(played) -> None:
    response = Client().get(reverse("review:share", args=[_link(played)]))
    assert response.status_code == 200
    page = _text(response)
    leaked = [secret for secret in SECRETS if secret in page]
    assert leaked == []
    assert PRESS in page  # said on the public press channel: every player saw it
    assert "Total support" in page and "Within the Constitution" in page  # public statements


def test_it_shows_the_facilitator_what_the_share_link_hides(played, facilitator_client) -> None:
    """The control for the test above: the secrets are real strings of this exercise."""
    pages = "".join(
        _text(facilitator_client.get(reverse(f"review:{name}", args=[played.code])))
        for name in ("overview", "timeline", "report")
    )
    in_log = [s for s in SECRETS if s not in ("Keep the army out of politics.", "A quiet warning.")]
    assert [secret for secret in in_log if secret not in pages] == []


def test_it_keeps_the_written_report_off_the_share_link_unless_the_instructor_shares_it(
    played, facilitator_client
) -> None:
    edit = reverse("review:report_edit", args=[played.code])
    share = reverse("review:share", args=[_link(played)])
    facilitator_client.post(edit, {"summary": "Private assessment.", "improvements": "Talk to the Senate"})
    assert "Talk to the Senate" not in _text(Client().get(share))
    facilitator_client.post(
        edit, {"summary": "Shared assessment.", "improvements": "Talk to the Senate", "share": "on"}
    )
    shared = _text(Client().get(share))
    assert "Talk to the Senate" in shared and "Shared assessment." in shared
    assert [secret for secret in SECRETS if secret in shared] == []


def test_it_filters_the_shared_timeline_without_finding_private_events(played) -> None:
    share = reverse("review:share", args=[_link(played)])
    assert CABINET not in _text(Client().get(share + "?q=ready"))
    page = _text(Client().get(share + "?type=message_sent", headers={"HX-Request": "true"}))
    assert PRESS in page and CABLE not in page and CABINET not in page


def test_it_answers_404_to_an_unknown_share_token(db) -> None:
    assert Client().get(reverse("review:share", args=["not-a-token"])).status_code == 404


# --------------------------------------------------------------------------- access


REVIEW_PAGES = ["overview", "timeline", "replay", "report", "report_edit"]


@pytest.mark.parametrize("name", REVIEW_PAGES)
def test_it_sends_an_anonymous_visitor_to_the_login_page(played, name) -> None:
    response = Client().get(reverse(f"review:{name}", args=[played.code]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("name", REVIEW_PAGES)
def test_it_hides_the_pages_from_a_signed_in_player(played, player_client, name) -> None:
    assert player_client.get(reverse(f"review:{name}", args=[played.code])).status_code == 404


def test_it_forbids_a_player_to_export_note_or_edit(played, player_client) -> None:
    assert player_client.get(reverse("review:export", args=[played.code, "events.jsonl"])).status_code == 404
    assert player_client.post(reverse("review:add_note", args=[played.code]), {"text": "x"}).status_code == 404
    assert player_client.post(reverse("review:report_edit", args=[played.code]), {"summary": "x"}).status_code == 404
    assert not Event.objects.filter(exercise=played, type="report_edited").exists()


@pytest.mark.parametrize("name", REVIEW_PAGES)
def test_it_shows_every_review_page_to_a_facilitator(played, facilitator_client, name) -> None:
    assert facilitator_client.get(reverse(f"review:{name}", args=[played.code])).status_code == 200


def test_it_serves_the_timeline_and_replay_fragments_to_htmx(played, facilitator_client) -> None:
    timeline = facilitator_client.get(
        reverse("review:timeline", args=[played.code]) + "?role=defence", headers={"HX-Request": "true"}
    )
    text = _text(timeline)
    assert text.lstrip().startswith('<div id="rv-results"') and "<html" not in text
    replay = facilitator_client.get(
        reverse("review:replay", args=[played.code]) + "?role=defence&seq=31&by=seq", headers={"HX-Request": "true"}
    )
    text = _text(replay)
    assert text.lstrip().startswith('<div id="rv-screen"') and 'data-seq="31"' in text


def test_it_replays_from_an_in_game_time_sent_by_the_form(played, facilitator_client) -> None:
    url = reverse("review:replay", args=[played.code]) + "?role=defence&seq=44&at=2001-09-11T13:17&by=at"
    assert 'data-seq="31"' in _text(facilitator_client.get(url, headers={"HX-Request": "true"}))


def test_it_reviews_an_exercise_still_in_the_lobby(review_version, facilitator_client) -> None:
    exercise = services.create_exercise(scenario=review_version, title="Empty", seed=1)
    for name in REVIEW_PAGES:
        assert facilitator_client.get(reverse(f"review:{name}", args=[exercise.code])).status_code == 200
    assert Client().get(reverse("review:share", args=[_link(exercise)])).status_code == 200
    analysis = review.analytics.analysis_for(exercise)
    assert (analysis.final.status, analysis.decisions, analysis.responses) == ("lobby", [], [])


def test_it_speaks_spanish_with_the_scenarios_spanish_names(played, facilitator_client) -> None:
    facilitator_client.cookies["django_language"] = "es"
    overview = _text(facilitator_client.get(reverse("review:overview", args=[played.code])))
    assert "Confianza" in overview and "Soberanía" in overview  # indicator names from the scenario's es text
    anonymous = Client()
    anonymous.cookies["django_language"] = "es"
    assert "Confianza" in _text(anonymous.get(reverse("review:share", args=[_link(played)])))


def test_it_caches_one_analysis_per_exercise_state(played) -> None:
    review.analytics.clear_cache()
    first = review.analytics.analysis_for(played)
    assert review.analytics.analysis_for(played) is first
    services.execute(exercise_id=played.pk, actor=engine.FACILITATOR, command=c.AddNote(text="Later."))
    played.refresh_from_db()
    again = review.analytics.analysis_for(played)
    assert again is not first and len(again.notes) == 2


# --------------------------------------------------------------------------- exports


def test_it_exports_every_event_as_json_lines(played, facilitator_client) -> None:
    lines = _text(facilitator_client.get(reverse("review:export", args=[played.code, "events.jsonl"]))).splitlines()
    assert [json.loads(line)["seq"] for line in lines] == list(range(1, 45))


def test_it_exports_decisions_and_messages_as_csv(played, facilitator_client) -> None:
    decisions = list(
        csv.DictReader(
            io.StringIO(_text(facilitator_client.get(reverse("review:export", args=[played.code, "decisions.csv"]))))
        )
    )
    assert [(d["proposal"], d["action"], d["status"]) for d in decisions] == [
        ("18", "statement", "executed"),
        ("21", "statement", "executed"),
        ("25", "unilateral", "executed"),
        ("30", "deploy_abroad", "executed"),
        ("37", "travel", "pending"),
    ]
    assert decisions[3]["rationale"] == RATIONALE and decisions[3]["approvals"] == "senate:R2:bypassed@2400"
    messages = list(
        csv.DictReader(
            io.StringIO(_text(facilitator_client.get(reverse("review:export", args=[played.code, "messages.csv"]))))
        )
    )
    assert [(m["seq"], m["role"], m["channel"], m["recipients"], m["text"]) for m in messages] == [
        ("12", "defence", "cabinet", "president adviser foreign senate", CABINET),
        ("42", "president", "press", "adviser defence foreign us_command senate", PRESS),
        ("43", "us_command", "cable", "foreign", CABLE),
    ]
    assert messages[2]["deliver_at"] == "4920"


def test_it_exports_the_scenario_snapshot_as_json_and_yaml(played, facilitator_client) -> None:
    as_json = json.loads(_text(facilitator_client.get(reverse("review:export", args=[played.code, "scenario.json"]))))
    as_yaml = yaml.safe_load(
        _text(facilitator_client.get(reverse("review:export", args=[played.code, "scenario.yaml"])))
    )
    assert as_json == as_yaml == played.scenario.snapshot
    assert facilitator_client.get(reverse("review:export", args=[played.code, "secrets.txt"])).status_code == 404


# --------------------------------------------------------------------------- PDF


def test_it_explains_when_no_pdf_can_be_made(played, facilitator_client, monkeypatch) -> None:
    def no_pango(html: str, base_url: str) -> bytes:
        raise OSError("cannot load library 'libpango-1.0-0'")

    monkeypatch.setattr(review.pdf, "html_to_pdf", no_pango)
    response = facilitator_client.get(reverse("review:report_pdf", args=[played.code]))
    assert response.status_code == 503
    assert "Print" in _text(response)


def test_it_prints_the_report_to_pdf_offline(played, facilitator_client) -> None:
    response = facilitator_client.get(reverse("review:report_pdf", args=[played.code]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "attachment" in response["Content-Disposition"]


# --------------------------------------------------------------------------- workshops


def test_it_compares_the_tables_of_a_workshop(played, review_version, django_user_model) -> None:
    owner = django_user_model.objects.create_user("wendy", is_staff=True)
    workshop = services.create_workshop(scenario=review_version, title="Course", tables=0, by=owner)
    second = Play(review_version)
    second.seat("Eve", "president")
    second.do(W0, engine.FACILITATOR, c.Start())
    second.do(W0 + 60, second.actors["president"], c.ProposeAction(action="statement", option="constitutional"))
    second.do(W0 + 70, engine.FACILITATOR, c.End())
    Exercise.objects.filter(pk=played.pk).update(workshop=workshop, table=1)
    Exercise.objects.filter(pk=second.exercise.pk).update(workshop=workshop, table=2)
    comparison = review.compare.compare(workshop)
    assert [t.exercise.table for t in comparison.tables] == [1, 2]
    decisions = {
        title: [[(status, when) for status, when, _ in cell] for cell in cells]
        for title, _, cells in comparison.decisions
    }
    assert decisions["Public statement"] == [
        [("executed", "T+00:00"), ("executed", "T+00:10")],
        [("executed", "T+00:00")],
    ]
    assert decisions["Send troops abroad"] == [[("executed", "T+00:40")], []]
    trust = next(values for name, _, values in comparison.indicators if name == "Trust")
    assert trust == [63, 53]  # table 2: attack -5, silence -2, a constitutional stance moves nothing
    us_act = next(mets for role, text, _, mets in comparison.objectives if text == "Act alone.")
    assert us_act == [True, False]


def test_it_renders_the_workshop_page(played, review_version, facilitator_client, django_user_model) -> None:
    owner = django_user_model.objects.create_user("wendy", is_staff=True)
    workshop = services.create_workshop(scenario=review_version, title="Course", tables=0, by=owner)
    Exercise.objects.filter(pk=played.pk).update(workshop=workshop)
    response = facilitator_client.get(reverse("review:workshop", args=[workshop.code]))
    assert response.status_code == 200 and "Send troops abroad" in _text(response)


# --------------------------------------------------------------------------- every seed scenario


WHISPER = "Whispered only to our own channel: nobody else may read this."


def _whispering_simulation(version):
    """The bots' random simulation, but at step 2 the first bot says ``WHISPER`` on an open, non-public
    channel it belongs to. Bots otherwise only say six stock phrases, some on public channels, so
    without this there is no private text whose absence from the share link means anything."""
    from exercises.bots import Simulation

    class Whisper(Simulation):
        def facilitate(self, step: int) -> None:
            super().facilitate(step)
            if step != 2:
                return
            bot = self.bots[0]
            channel = next(
                ch
                for ch in self.scenario.channels
                if ch.open
                and not ch.public
                and ALL not in ch.members
                and bot.role in self.scenario.roles_of(ch.members)
            )
            result = self.do(bot.actor, c.SendMessage(channel=channel.id, text=WHISPER))
            assert result.rejection is None, result

    return Whisper(version, seed=1)


@pytest.mark.parametrize("slug", ["september-2001", "pipeline-2007", "katrina-2005"])
def test_it_reviews_a_simulated_exercise_of_every_seed_scenario(slug, facilitator_client) -> None:
    """Every review page of a bot-played exercise opens, and its share link leaks no private message.

    Mutation (tried): ``review.share.shared`` built from every entry instead of ``e.public`` ones
    (``[e for e in log.entries]``) → red: WHISPER, said on a closed channel, shows on the share link.
    """
    sync_library()
    version = latest(slug)
    assert version is not None, f"{slug} is missing from scenarios/library"
    exercise = _whispering_simulation(version).run().exercise
    exercise.refresh_from_db()
    analysis = review.analytics.analysis_for(exercise)
    assert analysis.final == engine.State.model_validate(exercise.state)  # the review folds to the live state
    assert len(analysis.charts) == len(analysis.log.scenario.indicators)
    assert analysis.decisions and analysis.responses
    for name in REVIEW_PAGES:
        assert facilitator_client.get(reverse(f"review:{name}", args=[exercise.code])).status_code == 200
    replay = facilitator_client.get(reverse("review:replay", args=[exercise.code]) + f"?seq={exercise.last_seq // 2}")
    assert replay.status_code == 200
    for export in review.views.pages.EXPORTS:
        assert facilitator_client.get(reverse("review:export", args=[exercise.code, export])).status_code == 200
    share = _text(Client().get(reverse("review:share", args=[_link(exercise)])))
    private = [
        e.payload["text"]
        for e in Event.objects.filter(exercise=exercise, type="message_sent")
        if engine.EVERYONE not in e.audience
    ]
    public = {
        e.payload["text"]
        for e in Event.objects.filter(exercise=exercise, type="message_sent")
        if engine.EVERYONE in e.audience
    }
    assert WHISPER in private and WHISPER not in public  # the seeded secret is really in the log, privately
    timeline = _text(facilitator_client.get(reverse("review:timeline", args=[exercise.code]) + "?q=whispered"))
    assert WHISPER in timeline  # control: the facilitator's pages show it, so absence below is meaningful
    assert not [text for text in private if text not in public and text in share]
    searched = _text(Client().get(reverse("review:share", args=[_link(exercise)]) + "?q=whispered"))
    assert WHISPER not in searched  # nor on a later page of the shared timeline, found by searching


def test_the_review_queries_nothing_itself() -> None:
    """Issue #10: the review reads through ``exercises.selectors``. No manager, no queryset, no
    ``get_object_or_404`` in any of its modules.

    Mutation (tried): put back ``ShareLink.objects.filter(...)`` in the sharing view → red."""
    root = Path(review.log.__file__).parent
    offenders = [
        str(path.relative_to(root))
        for path in sorted(root.rglob("*.py"))
        if re.search(r"\.objects\b|get_object_or_404|\.select_related\(|\.values_list\(", path.read_text())
    ]
    assert offenders == []
