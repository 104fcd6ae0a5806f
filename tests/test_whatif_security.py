"""Seat bots, forks and the hardening of issue 9 together.

- A seat bot is the engine's own player (``Actor(kind="bot")``): its moves pass ``authorize``;
  one that asks for something not its own is a policy bug (``InvalidCommand``), never an attack
  (``Forbidden``, the security log, a penalty).
- Seating bots, taking them out, removing a participant and forking are the facilitator's: the
  owner and co-facilitators may, an evaluator may not, other facilitators see nothing.
- A fork belongs to who forked it; the parent's staff keep their level on the copy of its log.

Personas as in ``tests/test_access.py``: alice owns the table, carl co-facilitates, eva evaluates,
otto is another facilitator of the instance.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

import review.log
import review.wording
from exercises import access, engine, selectors, services
from exercises.bots import simulate
from exercises.engine import commands as c
from exercises.models import Event, Exercise, Participant, StaffAccess
from scenarios.library import latest, sync_library
from tests.conftest import _seat

from .test_access import staff  # noqa: F401  (the personas' fixture)

pytestmark = pytest.mark.django_db
W0 = 1_000_000_000.0
F = engine.FACILITATOR
SECURITY = "crisis_table.security"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _types(exercise: Exercise, *types: str) -> list[str]:
    return list(Event.objects.filter(exercise=exercise, type__in=types).values_list("type", flat=True))


# --------------------------------------------------------------------------- the engine


def _table(mini_raw) -> tuple:
    from scenarios.loader import parse

    sc = parse(mini_raw, source="mini.yaml")
    state = engine.initial_state(sc)
    engine.apply(state, engine.opening_event(sc, content_hash="t", seed=1, title="t"))
    _events, state = engine.run(sc, state, F, c.SeatBot(role="adviser"), seed=1, wall=W0)
    return sc, state


def test_a_bots_own_moves_pass_the_authorization_check(mini_raw) -> None:
    """Mutation: ``authorize`` treating a bot like a participant (``actor.kind != "facilitator"``)
    → the bot, holding no participant seat, is refused its own role's message."""
    sc, state = _table(mini_raw)
    bot = engine.Actor(kind="bot", role="adviser")
    events, state = engine.run(sc, state, bot, c.BotMessage(channel="cabinet", text="Back the plan."), seed=1, wall=W0)
    assert [e.type for e in events] == ["message_sent"] and events[0].actor == "bot:adviser"


@pytest.mark.parametrize(
    "command",
    [c.SeatBot(role="president"), c.UnseatBot(role="adviser"), c.RemoveParticipant(participant="x"), c.Start()],
    ids=lambda cmd: cmd.type,
)
def test_a_bot_asking_for_a_facilitator_command_is_a_policy_bug_not_an_attack(mini_raw, command) -> None:
    """Mutation: ``authorize`` raising ``Forbidden`` for bots → these tests see the subclass."""
    sc, state = _table(mini_raw)
    bot = engine.Actor(kind="bot", role="adviser")
    with pytest.raises(engine.InvalidCommand) as refused:
        engine.run(sc, state, bot, command, seed=1, wall=W0)
    assert not isinstance(refused.value, engine.Forbidden)


def test_a_bot_cannot_act_for_a_role_it_does_not_play(mini_raw) -> None:
    sc, state = _table(mini_raw)
    for bot, cmd in [
        (engine.Actor(kind="bot", role="adviser"), c.SendMessage(channel="cabinet", text="x", as_role="president")),
        (engine.Actor(kind="bot", role="president"), c.SendMessage(channel="cabinet", text="x")),  # no bot there
    ]:
        with pytest.raises(engine.InvalidCommand) as refused:
            engine.run(sc, state, bot, cmd, seed=1, wall=W0)
        assert not isinstance(refused.value, engine.Forbidden)


def test_the_new_facilitator_commands_are_forbidden_to_players(mini_raw) -> None:
    """Mutation: drop any of them from ``FACILITATOR_ONLY`` → a player does it."""
    sc, state = _table(mini_raw)
    bob = engine.Actor(kind="participant", participant="bob")
    _events, state = engine.run(sc, state, bob, c.Join(name="Bob"), seed=1, wall=W0)
    for cmd in (c.SeatBot(role="president"), c.UnseatBot(role="adviser"), c.RemoveParticipant(participant="bob")):
        with pytest.raises(engine.Forbidden):
            engine.run(sc, state, bob, cmd, seed=1, wall=W0)


# --------------------------------------------------------------------------- through the services


def test_bots_playing_a_whole_exercise_leave_nothing_on_the_security_log(caplog) -> None:
    """Seat bots act inside the engine's clock: hundreds of moves, no ``forbidden_command`` line,
    no ``invalid`` refusal (a policy bug) in the record."""
    sync_library()
    with caplog.at_level("WARNING", logger=SECURITY):
        summary = simulate(latest("katrina-2005"), seed=2, step=120, policy="role")
    moved = Event.objects.filter(exercise=summary.exercise, actor__startswith="bot:").count()
    assert moved > 20
    assert [r.getMessage() for r in caplog.records if r.name == SECURITY] == []
    rejected = Event.objects.filter(exercise=summary.exercise, type="command_rejected")
    assert not [e.payload for e in rejected if e.payload.get("rule") in ("invalid", "auth")]


def test_a_bot_command_refused_as_forbidden_by_a_handler_is_not_logged_as_an_attack(mini_table, caplog) -> None:
    """``do_withdraw`` raises ``Forbidden`` for someone else's proposal; from a bot, the service
    turns it into ``InvalidCommand`` and writes nothing on the security log."""
    services.execute(exercise_id=mini_table.pk, actor=F, command=c.SeatBot(role="adviser"), now=W0)
    services.execute(exercise_id=mini_table.pk, actor=F, command=c.Start(), now=W0)
    result = services.execute(
        exercise_id=mini_table.pk, actor=F, command=c.ProposeAction(action="travel", as_role="president"), now=W0
    )
    proposal = next(e.seq for e in result.events if e.type == "action_proposed")
    bot = engine.Actor(kind="bot", role="adviser")
    with caplog.at_level("WARNING", logger=SECURITY), pytest.raises(engine.InvalidCommand) as refused:
        services.execute(exercise_id=mini_table.pk, actor=bot, command=c.Withdraw(proposal=proposal), now=W0)
    assert not isinstance(refused.value, engine.Forbidden)
    assert [r for r in caplog.records if r.name == SECURITY] == []


def test_co_facilitators_seat_bots_and_evaluators_cannot(staff) -> None:  # noqa: F811
    """Mutation: ``console_command`` with ``staff_view("view")`` → eva seats a bot."""
    people, _workshop, table = staff
    url = reverse("console_command", args=[table.code])
    assert _client(people["eva"]).post(url, {"type": "seat_bot", "role": "adviser"}).status_code == 404
    assert _client(people["otto"]).post(url, {"type": "seat_bot", "role": "adviser"}).status_code == 404
    assert not _types(table, "bot_seated")
    _client(people["carl"]).post(url, {"type": "seat_bot", "role": "adviser"})
    assert _types(table, "bot_seated") == ["bot_seated"]
    assert _client(people["eva"]).post(url, {"type": "unseat_bot", "role": "adviser"}).status_code == 404
    _client(people["alice"]).post(url, {"type": "unseat_bot", "role": "adviser"})
    assert _types(table, "bot_seated", "bot_unseated") == ["bot_seated", "bot_unseated"]


def test_the_console_offers_bot_controls_without_inline_script_or_style(staff) -> None:  # noqa: F811
    people, _workshop, table = staff
    page = _client(people["alice"]).get(reverse("console", args=[table.code])).content.decode()
    assert 'name="type" value="seat_bot"' in page
    for forbidden in (" style=", "hx-on", " onclick=", "<script>"):
        assert forbidden not in page, forbidden


# --------------------------------------------------------------------------- forks and ownership


def test_a_fork_belongs_to_who_forked_it_and_keeps_the_parents_staff(staff) -> None:  # noqa: F811
    """Mutation: ``_copy_staff`` skipped → alice, who owns the parent's log, loses it in carl's fork."""
    people, _workshop, table = staff
    services.execute(exercise_id=table.pk, actor=F, command=c.Start(), now=W0)
    fork = services.fork(exercise=table, at_seq=table.last_seq, by=people["carl"])
    assert fork.owner == people["carl"] and fork.created_by == people["carl"]
    assert access.level_of(people["carl"], fork) == access.OWNER
    assert access.level_of(people["alice"], fork) == access.FACILITATOR  # the parent's owner
    assert access.level_of(people["eva"], fork) == access.EVALUATOR  # copied from the parent
    assert access.level_of(people["otto"], fork) is None
    assert access.level_of(people["sue"], fork) == access.OWNER  # a superuser
    assert _client(people["otto"]).get(reverse("console", args=[fork.code])).status_code == 404
    assert _client(people["eva"]).get(reverse("console", args=[fork.code])).status_code == 200


def test_an_evaluator_or_an_outsider_cannot_fork(staff) -> None:  # noqa: F811
    """Mutation: drop the access check at the top of ``services.fork`` → eva makes a fork she owns."""
    people, _workshop, table = staff
    before = Exercise.objects.count()
    for who in ("eva", "otto"):
        with pytest.raises(engine.Forbidden):
            services.fork(exercise=table, at_seq=1, by=people[who])
    assert Exercise.objects.count() == before


def test_manage_py_fork_gives_the_fork_to_the_named_facilitator_or_the_parents_owner(staff) -> None:  # noqa: F811
    people, _workshop, table = staff
    out = StringIO()
    call_command("fork", table.code, "--at", "1", "--by", "carl", stdout=out)
    assert Exercise.objects.get(code=out.getvalue().split()[-1]).owner == people["carl"]
    out = StringIO()
    call_command("fork", table.code.lower(), "--at", "1", stdout=out)
    assert Exercise.objects.get(code=out.getvalue().split()[-1]).owner == people["alice"]
    with pytest.raises(CommandError, match="co-facilitator"):
        call_command("fork", table.code, "--at", "1", "--by", "eva", stdout=StringIO())


def test_lineage_shows_only_what_the_viewer_may_open(staff) -> None:  # noqa: F811
    """Mutation: ``lineage`` without the user → otto sees the parent's title and code on the fork's console."""
    people, _workshop, table = staff
    fork = services.fork(exercise=table, at_seq=1, by=people["alice"])
    StaffAccess.objects.create(user=people["otto"], exercise=fork, level=StaffAccess.EVALUATOR)
    page = _client(people["otto"]).get(reverse("console", args=[fork.code])).content.decode()
    assert "an exercise you have no access to" in page and table.code not in page
    parent_page = _client(people["alice"]).get(reverse("console", args=[table.code])).content.decode()
    assert fork.code in parent_page
    other = services.fork(exercise=table, at_seq=1, by=people["carl"])
    StaffAccess.objects.filter(user=people["alice"], exercise=other).delete()
    assert selectors.lineage(table, people["alice"])[1] == [fork]


def test_a_removed_participant_keeps_no_seat_in_a_fork(mini_table, alice) -> None:
    bob = _seat(mini_table, "Bob", "president")
    dave = _seat(mini_table, "Dave", "defence")
    services.execute(
        exercise_id=mini_table.pk, actor=F, command=c.RemoveParticipant(participant=dave.participant.pk), now=W0
    )
    mini_table.refresh_from_db()
    fork = services.fork(exercise=mini_table, at_seq=mini_table.last_seq, by=alice, keep_seats=True)
    assert [p.name for p in Participant.objects.filter(exercise=fork)] == ["Bob"]
    assert bob.get(reverse("play", args=[fork.code])).status_code == 200
    state = selectors.state_of(fork)
    assert "defence" not in state.holders and "president" in state.holders


def test_the_review_names_a_removal_and_the_new_commands(mini_table) -> None:
    erin = _seat(mini_table, "Erin")
    services.execute(
        exercise_id=mini_table.pk, actor=F, command=c.RemoveParticipant(participant=erin.participant.pk), now=W0
    )
    mini_table.refresh_from_db()
    log = review.log.load(mini_table, lang="en")
    lines = [review.wording.describe(log, e) for e in log.entries if e.type == "participant_removed"]
    assert lines == ["The facilitator removed Erin from the table"]
    assert review.wording.command_label("seat_bot") == "putting a bot in a seat"
