"""Fork from any event: a new exercise that is the parent at that moment, and then goes its own way."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from exercises import engine, selectors, services
from exercises.bots import simulate
from exercises.engine import commands as c
from exercises.models import Event, Exercise, Participant
from scenarios.library import latest, scenario_for, sync_library

pytestmark = pytest.mark.django_db
W0 = 1_000_000_000.0


@pytest.fixture
def finished():
    """A whole September 2001 exercise played by seat bots, ended."""
    sync_library()
    return simulate(latest("september-2001"), seed=3, step=120, policy="role").exercise


@pytest.fixture
def running(mini_table, bob, dave):
    """mini with bob (president) and dave (defence) seated, a bot in the adviser's seat, running."""
    for cmd in (c.SeatBot(role="adviser"), c.Start()):
        services.execute(exercise_id=mini_table.pk, actor=engine.FACILITATOR, command=cmd, now=W0)
    actor = engine.Actor(kind="participant", participant=bob.participant.pk)
    services.execute(exercise_id=mini_table.pk, actor=actor, command=c.ProposeAction(action="order_army"), now=W0 + 60)
    mini_table.refresh_from_db()
    return mini_table


def _log(exercise: Exercise, upto: int | None = None) -> list[engine.Event]:
    return selectors.log(exercise.pk, upto=upto)


def test_it_folds_to_the_parents_state_at_that_seq(finished) -> None:
    """Fold equality: the fork's inherited log is the parent's, so its fold is the parent's state there.

    Mutation: copy ``seq__lt=at_seq`` (one event short) → the folds differ.
    """
    scenario = scenario_for(finished.scenario)
    for at in (2, finished.last_seq // 3, finished.last_seq // 2, finished.last_seq - 1):
        child = services.fork(exercise=finished, at_seq=at)
        assert engine.fold(scenario, _log(child, upto=at)) == engine.fold(scenario, _log(finished, upto=at))
        assert engine.fold(scenario, _log(child, upto=at)) == selectors.state_at(finished, at)
        # and its cached state is the fold of its whole log (inherited events, then its own)
        assert engine.fold(scenario, _log(child)) == selectors.state_of(child)


def test_it_copies_the_events_marked_inherited_and_leaves_the_parent_alone(finished) -> None:
    before = list(Event.objects.filter(exercise=finished).order_by("seq").values())
    at = finished.last_seq // 2
    child = services.fork(exercise=finished, at_seq=at, title="What if")
    rows = list(Event.objects.filter(exercise=child).order_by("seq"))
    parent_rows = {r.seq: r for r in Event.objects.filter(exercise=finished, seq__lte=at)}
    assert [r.seq for r in rows] == list(range(1, child.last_seq + 1))
    for row in rows[:at]:
        original = parent_rows[row.seq]
        assert row.inherited
        assert (row.type, row.game_time, row.role, row.actor, row.payload, row.audience, row.created_at) == (
            original.type,
            original.game_time,
            original.role,
            original.actor,
            original.payload,
            original.audience,
            original.created_at,
        )
    assert not any(r.inherited for r in rows[at:])
    assert rows[at].type == "exercise_forked"
    assert rows[at].payload == {"parent": finished.code, "parent_seq": at, "kept_seats": False}
    assert list(Event.objects.filter(exercise=finished).order_by("seq").values()) == before  # append-only
    assert (child.scenario_id, child.seed, child.parent_id, child.parent_seq) == (
        finished.scenario_id,
        finished.seed,
        finished.pk,
        at,
    )
    assert child.title == "What if" and child.code != finished.code


def test_its_clock_is_paused_at_that_moment_and_runs_on_from_there(finished) -> None:
    scenario = scenario_for(finished.scenario)
    at = next(e.seq for e in _log(finished) if e.type == "phase_changed" and e.game_time > 0)
    moment = selectors.state_at(finished, at).game_time
    child = services.fork(exercise=finished, at_seq=at)
    state = selectors.state_of(child)
    assert state.status == "paused" and state.game_time == moment
    later = W0 * 2  # long after the parent's wall times: the fork's clock does not jump ahead
    services.execute(exercise_id=child.pk, actor=engine.FACILITATOR, command=c.Resume(), now=later)
    child.refresh_from_db()
    assert engine.game_now(scenario, selectors.state_of(child), later + 10) <= moment + 10 * 1440


def test_its_seats_are_empty_by_default_bots_included(running) -> None:
    child = services.fork(exercise=running, at_seq=running.last_seq)
    state = selectors.state_of(child)
    assert not state.holders and not state.bots
    assert selectors.state_of(running).holders  # the parent keeps its players
    types = [e.type for e in _log(child, upto=None)[running.last_seq :]]
    assert types == ["exercise_forked", "role_released", "role_released", "bot_unseated", "exercise_paused"]
    assert not Participant.objects.filter(exercise=child).exists()


def test_players_who_keep_their_seats_find_them_from_the_browser_they_played_in(running, bob) -> None:
    """Mutation: drop the ``origin`` fallback in ``selectors.participant_for`` → bob lands on the join page."""
    child = services.fork(exercise=running, at_seq=running.last_seq, keep_seats=True)
    state = selectors.state_of(child)
    kept = {p.origin_id: p for p in Participant.objects.filter(exercise=child)}
    assert set(kept) == {bob.participant.pk, *(pid for pid in selectors.state_of(running).participants)} - {None}
    assert state.holders["president"] == kept[bob.participant.pk].pk
    assert state.bots["adviser"].policy == "role"  # the bot stays too
    response = bob.get(reverse("play", args=[child.code]))
    assert response.status_code == 200
    assert response.context["participant"] == kept[bob.participant.pk]
    stranger = services.join(exercise=running, name="Mallory")[0]
    assert selectors.participant_for({selectors.SESSION_KEY: {str(running.pk): stranger.pk}}, child) is None
    # a fork of that fork, seats kept again: the same people once each, not the grandparent's too
    grandchild = services.fork(exercise=child, at_seq=child.last_seq, keep_seats=True)
    names = sorted(p.name for p in Participant.objects.filter(exercise=grandchild))
    assert names == sorted(p.name for p in Participant.objects.filter(exercise=child))
    assert selectors.state_of(grandchild).holders.keys() == state.holders.keys()


def test_a_fork_of_a_fork_works_and_both_show_their_lineage(finished, alice, alice_client) -> None:
    Exercise.objects.filter(pk=finished.pk).update(owner=alice)  # simulate made it with no owner
    finished.refresh_from_db()
    first = services.fork(exercise=finished, at_seq=40, by=alice)
    second = services.fork(exercise=first, at_seq=first.last_seq)  # no one named: the parent's owner
    scenario = scenario_for(finished.scenario)
    assert engine.fold(scenario, _log(second, upto=40)) == selectors.state_at(finished, 40)
    inherited = Event.objects.filter(exercise=second, inherited=True).count()
    assert inherited == first.last_seq
    ancestors, forks = selectors.lineage(second)
    assert [a.code for a in ancestors] == [first.code, finished.code]
    assert selectors.lineage(finished)[1] == [first] and not forks
    page = alice_client.get(reverse("console", args=[second.code])).content.decode()
    assert first.code in page and finished.code in page and "Lineage" in page
    page = alice_client.get(reverse("console", args=[finished.code])).content.decode()
    assert first.code in page and "Forks of this exercise" in page


def test_it_refuses_a_point_outside_the_log_or_after_the_end(finished) -> None:
    for at in (0, finished.last_seq + 1):
        with pytest.raises(engine.InvalidCommand, match="choose an event"):
            services.fork(exercise=finished, at_seq=at)
    with pytest.raises(engine.InvalidCommand, match="had ended"):
        services.fork(exercise=finished, at_seq=finished.last_seq)
    assert Exercise.objects.count() == 1


def test_the_command_prints_the_new_code_last(finished) -> None:
    out = StringIO()
    call_command("fork", finished.code.lower(), "--at", "30", stdout=out)
    code = out.getvalue().strip().splitlines()[-1]
    child = Exercise.objects.get(code=code)
    assert (child.parent_id, child.parent_seq) == (finished.pk, 30)
    with pytest.raises(CommandError, match="no exercise"):
        call_command("fork", "NOPE99", "--at", "3")
    with pytest.raises(CommandError, match="had ended"):
        call_command("fork", finished.code, "--at", str(finished.last_seq))
