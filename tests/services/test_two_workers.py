"""Two worker processes, one exercise: what a player on one worker sees of players on the other."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async

from exercises import services
from exercises.models import Event, Exercise

from .conftest import seat
from .live import Player, close_all

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

MESSAGES = 20  # per sender: under the rate limiter's burst (30 per 10 s)


def assert_in_order_once(player: Player, tokens: list[str]) -> None:
    """Every token arrives in exactly one frame, and in the order given."""
    where = []
    for token in tokens:
        frames = player.frames_with(token)
        assert len(frames) == 1, f"{player.name}: {token} in frames {frames}"
        where.append(frames[0])
    assert where == sorted(where), f"{player.name}: out of order"


def assert_seq_markers_increase(player: Player) -> None:
    """Each frame moves the viewer forward: no batch delivered twice or out of order."""
    from .live import seqs_in

    marks = [max(seqs_in(f)) for f in player.frames if seqs_in(f)]
    assert marks == sorted(marks) and len(marks) == len(set(marks)), marks


@pytest.fixture
def table(mini):
    exercise = services.create_exercise(scenario=mini, title="Two workers")
    seats = {role: seat(exercise, role.title(), role) for role in ("president", "adviser", "defence", "foreign")}
    return exercise, seats


@pytest.mark.asyncio
async def test_it_delivers_every_event_from_worker_b_to_a_player_on_worker_a_in_order(table, workers) -> None:
    exercise, seats = table
    a, b = workers(2)
    watcher_a = await Player(a, exercise.code, seats["president"][1], name="president@A").connect()
    senders = [await Player(b, exercise.code, seats[r][1], name=f"{r}@B").connect() for r in ("adviser", "defence")]
    senders.append(await Player(a, exercise.code, seats["foreign"][1], name="foreign@A").connect())
    start = await database_sync_to_async(lambda: Exercise.objects.get(pk=exercise.pk).last_seq)()
    assert await watcher_a.wait_seq(start), "the resume did not bring the watcher up to date"

    async def talk(player: Player) -> list[str]:
        tokens = [f"tok-{player.name}-{n:02d}" for n in range(MESSAGES)]
        for token in tokens:
            await player.send({"type": "send_message", "channel": "cabinet", "text": token})
        return tokens

    sent = await asyncio.gather(*(talk(p) for p in senders))
    expected = start + sum(len(t) for t in sent)
    try:
        for player in [watcher_a, *senders]:
            assert await player.wait_seq(expected, timeout=20), f"{player.name} stopped at {player.last} of {expected}"
    finally:
        await close_all([watcher_a, *senders])

    seqs = await database_sync_to_async(
        lambda: list(Event.objects.filter(exercise=exercise).values_list("seq", flat=True))
    )()
    assert sorted(seqs) == list(range(1, expected + 1))  # gapless, nothing rejected
    for player in [watcher_a, *senders]:
        assert_seq_markers_increase(player)
        for tokens in sent:  # every sender's messages, each once, in the order sent
            assert_in_order_once(player, tokens)


@pytest.mark.asyncio
async def test_it_lets_one_of_two_players_on_two_workers_claim_a_role(mini, workers) -> None:
    exercise = await database_sync_to_async(services.create_exercise)(scenario=mini, title="Claim race")
    (pa, ca), (pb, cb) = [await database_sync_to_async(seat)(exercise, name) for name in ("Alice", "Bob")]
    a, b = workers(2)
    alice = await Player(a, exercise.code, ca, name="alice@A").connect()
    bob = await Player(b, exercise.code, cb, name="bob@B").connect()
    try:
        await asyncio.gather(*(p.send({"type": "claim_role", "role": "president"}) for p in (alice, bob)))
        claims = await _wait_for_events(exercise.pk, {"role_claimed", "command_rejected"}, 2)
        winner = next(e for e in claims if e.type == "role_claimed")
        loser = next(e for e in claims if e.type == "command_rejected")
        assert loser.payload["rule"] == "role_taken" and loser.payload["command"] == "claim_role"
        assert {winner.payload["participant"], loser.actor.removeprefix("p:")} == {pa, pb}
        told = alice if loser.actor == f"p:{pa}" else bob
        assert await told.wait_for(lambda p: p.toasts(), timeout=10), f"{told.name} was not told why"
    finally:
        await close_all([alice, bob])


async def _wait_for_events(exercise_id: int, types: set[str], count: int, timeout: float = 15) -> list[Event]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        rows = await database_sync_to_async(
            lambda: list(Event.objects.filter(exercise_id=exercise_id, type__in=types).order_by("seq"))
        )()
        if len(rows) >= count or asyncio.get_running_loop().time() > deadline:
            return rows
        await asyncio.sleep(0.1)
