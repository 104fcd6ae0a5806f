"""The live debrief, the hot wash and the improvement plan (issue #15, items 5 and 6).

Each guarantee is tried the way a cheat would: another player, the projector, a forged frame.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

import review.pdf
from exercises import debrief, debrief_views, engine, push, selectors, services
from exercises.engine import commands as c
from exercises.engine import debrief as d
from exercises.models import Event
from exercises.present import Snapshot
from scenarios.library import scenario_for

pytestmark = pytest.mark.django_db
W0 = 1_000_000_000.0
F = engine.FACILITATOR


def _run(exercise, cmd, actor=F, now=W0 + 120):
    return services.execute(exercise_id=exercise.pk, actor=actor, command=cmd, now=now)


def _as(browser):
    return engine.Actor(kind="participant", participant=browser.participant.pk)


@pytest.fixture
def played(mini_table, bob, dave, carol):
    """mini: the president orders the army, defence deploys at home, the US asks for what is forbidden; paused."""
    _run(mini_table, c.Start(), now=W0)
    _run(mini_table, c.ProposeAction(action="order_army"), _as(bob), now=W0 + 30)
    _run(mini_table, c.ProposeAction(action="deploy_home"), _as(dave), now=W0 + 40)
    _run(mini_table, c.ProposeAction(action="send_troops_us"), _as(carol), now=W0 + 50)
    _run(mini_table, c.Pause(), now=W0 + 60)
    mini_table.refresh_from_db()
    return mini_table


def _state(exercise):
    exercise.refresh_from_db()
    return selectors.state_of(exercise)


def _started(played, poll=None):
    assert debrief_views.start(played).ok
    first = _state(played).debrief.order[0]
    assert _run(played, d.ShowStep(key=first, poll=poll)).ok
    return _state(played).debrief


FREE = d.Poll(question=d.Text(en="What would you do differently?", es="¿Qué haría distinto?"))

# --------------------------------------------------------------------------- picking and tallying (unit)


def test_it_picks_decisions_refusals_and_objectives_in_log_order(played) -> None:
    """Mutation: drop the ``command_rejected`` branch of ``pick_moments`` → no refusal moment, red."""
    moments = debrief.moments_for(played)
    kinds = {m.kind for m in moments}
    assert {"decision", "refusal"} <= kinds
    assert kinds & {"objective_met", "objective_missed"}
    titles = [m.title.en for m in moments]
    assert "Order the army in" in titles and "Deploy at home" in titles
    refusal = next(m for m in moments if m.kind == "refusal")
    assert "Send US troops" in refusal.title.en and "Enviar tropas" in refusal.title.es
    assert refusal.detail.en.startswith("R9:") and "not troops" in refusal.detail.en and "tropas" in refusal.detail.es
    assert [m.seq for m in moments] == sorted(m.seq for m in moments)
    assert moments == debrief.moments_for(played)  # deterministic


def test_a_decision_raises_the_scenario_question_linked_to_its_action(mini_table) -> None:
    """Mutation: ``question_for`` ignoring ``q.actions`` → the question id is "", red."""
    sc = scenario_for(mini_table.scenario)
    assert d.question_for(sc, action="assign_tasks") == "q2"
    assert d.question_for(sc, action="order_army") == ""


def test_it_keeps_the_refusals_first_when_there_are_too_many(played) -> None:
    """With a limit of 2 the refusal survives; the result stays in log order.

    Mutation: rank refusals after objectives → the refusal is cut, red."""
    log = selectors.log(played.pk)
    sc = scenario_for(played.scenario)
    picked = d.pick_moments(sc, log, None, objectives_met={}, limit=2)
    assert len(picked) == 2
    assert any(m.kind == "refusal" for m in picked)
    assert [m.seq for m in picked] == sorted(m.seq for m in picked)


def test_poll_tally_counts_per_option_and_ignores_the_rest() -> None:
    """Mutation: look the counts up by ``str(i)`` → every count zero, red."""
    poll = d.POLLS["refusal"]
    answers = [{"option": 0}, {"option": 2}, {"option": 0}, {"option": 9}, {"option": None, "text": "hmm"}]
    assert d.tally(poll, answers) == ([2, 0, 1], 1)
    assert d.tally(poll, []) == ([0, 0, 0], 0)


# --------------------------------------------------------------------------- the flow through the services


def test_the_debrief_starts_only_on_a_paused_or_ended_table(mini_table, bob) -> None:
    """Mutation: drop the status check in ``do_debrief_start`` → it starts while running, red."""
    _run(mini_table, c.Start(), now=W0)
    result = _run(mini_table, d.StartDebrief(moments=debrief.moments_for(mini_table)), now=W0 + 10)
    assert result.rejection is not None and result.rejection.payload["rule"] == d.RULE_DEBRIEF
    _run(mini_table, c.Pause())
    assert debrief_views.start(mini_table).ok
    assert _state(mini_table).debrief.active


def test_players_vote_once_on_the_current_step_and_counts_are_public(played, bob, dave, carol) -> None:
    """Mutation: skip the ``poll_once`` check → bob's second vote counts, red."""
    st = _started(played)
    assert _run(played, d.AnswerPoll(step=st.step, option=1), _as(bob)).ok
    assert _run(played, d.AnswerPoll(step=st.step, option=0), _as(dave)).ok
    again = _run(played, d.AnswerPoll(step=st.step, option=0), _as(bob))
    assert again.rejection.payload["rule"] == d.RULE_POLL_ONCE
    st = _state(played).debrief
    assert st.counts[:2] == [1, 1]
    with pytest.raises(engine.InvalidCommand):
        _run(played, d.AnswerPoll(step=st.step, option=4), _as(carol))  # the decision poll has 4 options: 0-3
    with pytest.raises(engine.InvalidCommand):
        _run(played, d.AnswerPoll(step=st.step, text="words"), _as(carol))  # an options poll takes an option
    # the next step closes this poll
    second = _state(played).debrief.order[1]
    _run(played, d.ShowStep(key=second))
    late = _run(played, d.AnswerPoll(step=1, option=0), _as(carol))
    assert late.rejection.payload["rule"] == d.RULE_POLL_CLOSED
    # the answers are events, through the one write path, seen by the facilitator only
    answers = Event.objects.filter(exercise=played, type=d.POLL_ANSWERED)
    assert answers.count() == 2 and all(a.audience == [] for a in answers)
    assert engine.fold(scenario_for(played.scenario), selectors.log(played.pk)) == _state(played)


def test_a_forged_frame_cannot_drive_the_debrief_or_answer_for_someone_else(played, bob) -> None:
    """Mutation: remove the debrief types from ``FACILITATOR_ONLY`` → a player shows a step, red."""
    st = _started(played, FREE)
    # over HTTP, the player's own form post
    response = bob.post(reverse("play_command", args=[played.code]), {"type": "poll_show", "answer": "1"})
    assert response.status_code == 403
    for forged in (
        {"type": "debrief_show", "key": st.order[0]},
        {"type": "poll_show", "answer": 1},
        {"type": "debrief_end"},
        {"type": "debrief_note", "text": "x"},
        {"type": "debrief_start"},
    ):
        with pytest.raises(engine.Forbidden):
            _run(played, engine.parse_command(forged), _as(bob))
    for extra in ({"participant": "someone"}, {"actor": "p:x"}, {"role": "defence"}):
        with pytest.raises(engine.InvalidCommand):
            engine.parse_command({"type": "poll_answer", "step": 1, "text": "hi", **extra})
    # the projector cannot post at all: it has no participant
    response = Client().post(reverse("debrief:answer", args=[played.code]), {"step": "1", "text": "hi"})
    assert response.status_code == 403


def test_free_answers_stay_with_the_facilitator_until_shown(played, bob, dave, alice_client) -> None:
    """Another player, the projector and a pushed frame never carry a free answer's words until the
    facilitator shows it; then the room sees the words, not the author.

    Mutation: give ``poll_answered`` the audience ``[EVERYONE]`` → dave's log has the words, red.
    Mutation: render ``panel.private`` for the public kind → the projector page has them, red.
    """
    st = _started(played, FREE)
    secret = "The army order came too late"
    response = bob.post(reverse("debrief:answer", args=[played.code]), {"step": st.step, "text": secret})
    assert response.status_code == 200 and secret in response.content.decode()  # bob sees his own
    seq = Event.objects.get(exercise=played, type=d.POLL_ANSWERED).seq

    dave_viewer = engine.Viewer(role="defence", participant=dave.participant.pk)
    assert all(secret not in str(e.payload) for e in selectors.visible_log(played.pk, dave_viewer))
    assert all(secret not in str(e.payload) for e in selectors.visible_log(played.pk, engine.PUBLIC_VIEW))
    assert secret not in dave.get(reverse("play", args=[played.code])).content.decode()
    projector = Client().get(reverse("projector", args=[played.code])).content.decode()
    assert secret not in projector and "1 written answer" in projector
    snap = Snapshot.load(played)
    events = selectors.log(played.pk, after=seq - 1)
    for viewer in (engine.PUBLIC_VIEW, dave_viewer):
        assert secret not in push.frame(snap, events, viewer, "en", everything=True)
    # the facilitator reads it, and shows it
    page = alice_client.get(reverse("debrief:console", args=[played.code])).content.decode()
    assert secret in page
    assert _run(played, d.ShowAnswer(answer=seq)).ok
    projector = Client().get(reverse("projector", args=[played.code])).content.decode()
    assert secret in projector and "Bob" not in projector.split("debrief-panel")[1].split("</section>")[0]
    shown = Event.objects.get(exercise=played, type=d.POLL_ANSWER_SHOWN)
    assert shown.audience == ["*"] and "participant" not in shown.payload


def test_the_projector_frame_shows_live_counts_and_what_each_side_saw(played, bob) -> None:
    """Mutation: leave ``poll_answered`` out of ``PUBLIC_PUSH`` → the frame has no panel, red."""
    st = _started(played)
    result = _run(played, d.AnswerPoll(step=st.step, option=2), _as(bob))
    played.refresh_from_db()
    snap = Snapshot.load(played)
    html = push.frame(snap, result.events, engine.PUBLIC_VIEW, "en")
    assert 'id="debrief-panel"' in html and 'hx-swap-oob="true"' in html
    assert 'data-option="2">1<' in html
    assert "What each side saw then" in html
    # a player's room is not re-rendered by someone else's vote (their own answer would be lost)
    role_html = push.frame(snap, result.events, engine.Viewer(role="defence"), "en")
    assert "debrief-panel" not in role_html


def test_the_room_shows_the_step_with_its_poll_in_spanish(played, dave) -> None:
    _started(played)
    dave.cookies["django_language"] = "es"
    page = dave.get(reverse("play", args=[played.code]), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Volvería a tomar esta decisión" in page
    assert 'name="option"' in page


def test_answers_and_notes_go_into_the_after_action_report_html_and_pdf(
    played, bob, dave, alice_client, monkeypatch
) -> None:
    """Mutation: drop the include from review/_report.html → neither has the section, red."""
    st = _started(played)
    _run(played, d.AnswerPoll(step=st.step, option=0), _as(bob))
    _run(played, d.AnswerPoll(step=st.step, option=0), _as(dave))
    _run(played, d.NoteDebrief(text="Ask about the order's timing next time"))
    html = alice_client.get(reverse("review:report", args=[played.code])).content.decode()
    assert "Live debrief and hot wash" in html
    assert "Ask about the order&#x27;s timing next time" in html
    assert "Would you take this decision again" in html
    seen = {}

    def capture(html: str, base_url: str) -> bytes:
        seen["html"] = html
        return b"%PDF-1.7 fake"

    monkeypatch.setattr(review.pdf, "html_to_pdf", capture)
    assert alice_client.get(reverse("review:report_pdf", args=[played.code])).status_code == 200
    assert "Ask about the order&#x27;s timing next time" in seen["html"]


def test_the_plan_page_is_a_formset_that_records_only_the_changed_rows(played, alice_client, django_user_model) -> None:
    """Mutation: record every row of the formset, changed or not → two events, red.
    Mutation: drop the check that the poster may run the row's exercise → another facilitator's post
    records one, red."""
    other = Client()
    other.force_login(django_user_model.objects.create_user("oscar", password="oscar-password-1", is_staff=True))
    _plan(played, ("Alpha", "First", "Owner", "2030-01-01"), ("Beta", "Second", "Owner", "2030-01-02"))
    page = alice_client.get(reverse("debrief:plan")).content.decode()
    assert 'name="form-TOTAL_FORMS" value="2"' in page and 'name="initial-form-0-status"' in page
    keys = [d.improvement_key("Alpha", "First"), d.improvement_key("Beta", "Second")]
    post = {"form-TOTAL_FORMS": "2", "form-INITIAL_FORMS": "2"}
    for n, (key, status) in enumerate(zip(keys, ("closed", "open"), strict=True)):
        post |= {f"form-{n}-exercise": played.code, f"form-{n}-key": key}
        post |= {f"form-{n}-status": status, f"initial-form-{n}-status": "open"}
    assert other.post(reverse("debrief:plan"), post).status_code == 404
    assert not Event.objects.filter(exercise=played, type=d.IMPROVEMENT_STATUS).exists()
    response = alice_client.post(reverse("debrief:plan") + "?status=all", post)
    assert response.status_code == 302 and response["Location"] == reverse("debrief:plan") + "?status=all"
    events = list(Event.objects.filter(exercise=played, type=d.IMPROVEMENT_STATUS))
    assert [(e.payload["key"], e.payload["status"], e.payload["by"]) for e in events] == [(keys[0], "closed", "alice")]
    post["form-1-status"] = "done-ish"
    assert alice_client.post(reverse("debrief:plan"), post).status_code == 404


# --------------------------------------------------------------------------- hot wash


def test_the_hot_wash_is_anonymous_unless_signed_and_once_each(played, bob, dave, alice_client) -> None:
    """Mutation: store ``signed=participant`` always → the anonymous row has bob's link, red."""
    from hotwash.models import Receipt, Response

    url = reverse("debrief:hotwash", args=[played.code])
    assert bob.post(url, {"useful": "4", "went_well": "Clear roles"}).status_code == 302
    assert bob.post(url, {"useful": "1", "went_well": "again"}).status_code == 200  # already done: nothing stored
    assert dave.post(url, {"realistic": "5", "to_improve": "More time", "sign": "on"}).status_code == 302
    rows = {r.went_well or r.to_improve: r for r in Response.objects.filter(exercise=played)}
    assert len(rows) == 2
    assert rows["Clear roles"].signed is None and rows["Clear roles"].signed_name == ""
    assert rows["More time"].signed_name == "Dave"
    assert not [f.name for f in Response._meta.fields if "created" in f.name or f.name[-2:] == "at"]
    assert Receipt.objects.filter(exercise=played).count() == 2
    assert bob.post(url, {}).status_code == 200  # empty form: asks again, stores nothing
    report = alice_client.get(reverse("review:report", args=[played.code])).content.decode()
    assert "Clear roles" in report and "anonymous" in report and "Dave" in report


def test_the_hot_wash_speaks_the_players_language(played, bob) -> None:
    bob.cookies["django_language"] = "es"
    page = bob.get(reverse("debrief:hotwash", args=[played.code])).content.decode()
    assert "¿Qué salió bien?" in page


# --------------------------------------------------------------------------- improvement plan


def _plan(exercise, *rows):
    actions = [c.CorrectiveAction(issue=i, action=a, owner=o, due=due) for i, a, o, due in rows]
    assert _run(exercise, c.EditReport(summary="s", actions=actions)).ok


def test_the_plan_lists_open_items_across_exercises_and_records_who_closed_one(
    played, mini_version, alice, alice_client, mallory_client
) -> None:
    """Mutation: ``set_status`` with ``by=""`` → the page does not say who closed it, red.
    Mutation: ``plan_for`` over ``Exercise.objects.all()`` → mallory sees alice's items, red."""
    other = services.create_exercise(scenario=mini_version, title="Second table", by=alice, seed=8)
    _plan(played, ("Slow approvals", "Pre-agree a Senate line", "Chief of staff", "2020-01-31"))
    _plan(other, ("No coordinator", "Name one", "Cabinet office", "2099-12-31"))
    page = alice_client.get(reverse("debrief:plan")).content.decode()
    assert "Pre-agree a Senate line" in page and "Name one" in page
    overdue = alice_client.get(reverse("debrief:plan"), {"due": "overdue"}).content.decode()
    assert "Pre-agree a Senate line" in overdue and "Name one" not in overdue
    only = alice_client.get(reverse("debrief:plan"), {"exercise": other.code}).content.decode()
    assert "Name one" in only and "Pre-agree" not in only
    key = d.improvement_key("Slow approvals", "Pre-agree a Senate line")
    # another facilitator can neither see nor close it
    assert "Pre-agree" not in mallory_client.get(reverse("debrief:plan")).content.decode()
    url = reverse("debrief:plan_status", args=[played.code, key])
    assert mallory_client.post(url, {"status": "closed"}).status_code == 404
    assert alice_client.post(url, {"status": "closed"}).status_code == 302
    event = Event.objects.get(exercise=played, type=d.IMPROVEMENT_STATUS)
    assert event.payload["by"] == "alice" and event.payload["status"] == "closed"
    page = alice_client.get(reverse("debrief:plan")).content.decode()
    assert "Pre-agree" not in page  # closed: no longer open
    closed = alice_client.get(reverse("debrief:plan"), {"status": "closed"}).content.decode()
    assert "Pre-agree" in closed and "by alice" in closed
    report = alice_client.get(reverse("review:report", args=[played.code])).content.decode()
    assert "closed (by alice)" in report  # the AAR's plan shows the tracked status
    assert alice_client.post(url, {"status": "done-ish"}).status_code == 404
    bad = reverse("debrief:plan_status", args=[played.code, "0" * 12])
    alice_client.post(bad, {"status": "closed"})
    assert Event.objects.filter(exercise=played, type=d.IMPROVEMENT_STATUS).count() == 1
