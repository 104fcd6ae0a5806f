"""The tick's process-local schedule (``exercises.ticks``) and the batched connect path (issue #11).

``ticks.due`` keeps each exercise's next due time while its ``last_seq`` has not moved: it must
give the answer the uncached computation gives, whoever wrote the row (another worker writes
the same row: the cache never sees that write but the seq check does), and must not be fooled by
an id reused by another exercise.
"""

from __future__ import annotations

import asyncio

import pytest

from exercises import engine, selectors, services, ticks
from exercises.engine import commands as c
from exercises.models import Exercise
from scenarios.library import scenario_for

W0 = 1_000_000_000.0


def _uncached(exercise_id: int, wall: float) -> list[int]:
    """What ``services.tick`` computed before the cache: the whole row, its state, the schedule."""
    exercise = Exercise.objects.light().filter(pk=exercise_id, status="running").first()
    if exercise is None:
        return []
    scenario = scenario_for(exercise.scenario)
    state = engine.State.model_validate(exercise.state)
    due = engine.next_due(scenario, state, seed=exercise.seed)
    return [] if due is None or engine.game_now(scenario, state, wall) < due else [exercise_id]


@pytest.mark.django_db
def test_due_is_what_the_uncached_computation_says(mini_table, bob) -> None:
    """Mutation: key the schedule on the exercise id alone (not its last_seq): after the first
    tick that fires, the cached due time is stale and the answers part."""
    assert ticks.due([mini_table.pk], W0) == [] == _uncached(mini_table.pk, W0)  # in the lobby
    services.execute(exercise_id=mini_table.pk, actor=engine.FACILITATOR, command=c.Start(), now=W0)
    fired = 0
    for step in range(0, 3600, 7):
        wall = W0 + step
        assert ticks.due([mini_table.pk], wall) == _uncached(mini_table.pk, wall), step
        if services.tick(mini_table.pk, now=wall).events:
            fired += 1
        if step % 350 == 0:  # the table plays on meanwhile
            services.execute(
                exercise_id=mini_table.pk,
                actor=engine.Actor(kind="participant", participant=bob.participant.pk),
                command=c.SendMessage(channel="press", text=f"at {step}"),
                now=wall,
            )
    assert fired >= 3  # the schedule moved several times: every move was seen


@pytest.mark.django_db
def test_a_write_by_another_worker_is_never_missed(mini_table, monkeypatch) -> None:
    """The row is changed behind this process's back (as another worker's ``execute`` changes it):
    the next ``due`` recomputes, and only then. Mutation: drop ``last_seq`` from the key (the stale
    schedule says nothing is due), or ``code`` (the reused id below keeps the old schedule)."""
    services.execute(exercise_id=mini_table.pk, actor=engine.FACILITATOR, command=c.Start(), now=W0)
    schedules = []
    real = engine.next_due

    def counted(*args, **kwargs):
        schedules.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "next_due", counted)
    assert ticks.due([mini_table.pk], W0 + 1) == []
    assert ticks.due([mini_table.pk], W0 + 2) == []
    assert len(schedules) == 1  # nothing moved: one schedule for both ticks
    # Another worker: a later state, written straight to the row, whose clock is far ahead.
    row = Exercise.objects.get(pk=mini_table.pk)
    state = engine.State.model_validate(row.state)
    state.anchor_wall = W0 - 10**7
    Exercise.objects.filter(pk=row.pk).update(state=state.model_dump(mode="json"), last_seq=row.last_seq + 1)
    assert ticks.due([mini_table.pk], W0 + 3) == [mini_table.pk]
    assert len(schedules) == 2
    assert _uncached(mini_table.pk, W0 + 3) == [mini_table.pk]
    # An id reused by another exercise at the same seq (a test database): recomputed too.
    Exercise.objects.filter(pk=row.pk).update(state=row.state, last_seq=row.last_seq + 1, code="REUSEDCODE")
    assert ticks.due([mini_table.pk], W0 + 3) == []
    assert len(schedules) == 4  # recomputed (the uncached check above made the third)
    assert _uncached(mini_table.pk, W0 + 3) == []


@pytest.mark.django_db
def test_one_read_for_every_table_of_a_worker(mini_version, alice, django_assert_num_queries) -> None:
    """A worker's tick round over its tables with nothing due is one short query."""
    tables = [services.create_exercise(scenario=mini_version, by=alice, seed=n) for n in range(4)]
    for table in tables:
        services.execute(exercise_id=table.pk, actor=engine.FACILITATOR, command=c.Start(), now=W0)
    ids = [t.pk for t in tables]
    assert ticks.due(ids, W0 + 1) == []  # computes and keeps the four schedules
    with django_assert_num_queries(1):
        assert ticks.due(ids, W0 + 2) == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_storm_looks_each_table_up_once(mini_table, bob, dave, carol, monkeypatch) -> None:
    """Sockets that ask to be identified together (a reconnect storm) are identified in one hop,
    the exercise looked up once for them all, and each still gets its own viewer (role).
    Mutations: a fresh ``known`` per socket in ``_IdentifyBatch._run``, or one hop per socket:
    three look-ups. Their seats are read in one query too (``selectors.seated``); mutation
    (tried): ``_run`` not passing ``found`` (three seat reads).

    Driven at the batch itself, with real consumers' scopes (session, user): through real
    connections, when each socket reaches ``identify`` depends on how Channels' auth middleware
    hops interleave on the database thread, and a full suite's timing once split three sockets
    into three hops (red in CI, green alone)."""
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.sessions.backends.db import SessionStore

    from exercises.consumers import ExerciseConsumer, _IdentifyBatch

    lookups = []
    real_lookup = selectors.exercise_by_code

    def counted(code: str) -> Exercise:
        lookups.append(code)
        return real_lookup(code)

    monkeypatch.setattr(selectors, "exercise_by_code", counted)
    seat_reads = []
    real_seat = selectors._seat

    def seat(*args):
        seat_reads.append(args)
        return real_seat(*args)

    monkeypatch.setattr(selectors, "_seat", seat)
    browsers = [bob, dave, carol]
    sockets = []
    for browser in browsers:
        socket = ExerciseConsumer()
        socket.scope = {
            "type": "websocket",
            "session": SessionStore(session_key=browser.cookies["sessionid"].value),
            "user": AnonymousUser(),
            "headers": [],
            "client": ("127.0.0.1", 1),
        }
        socket.ip = "127.0.0.1"
        sockets.append(socket)
    batch = _IdentifyBatch()
    found = await asyncio.gather(*(batch.identify(s, mini_table.code, "play") for s in sockets))
    assert lookups == [mini_table.code]
    assert seat_reads == []
    viewers = [info[1] for info in found]
    assert sorted((v.participant, v.role) for v in viewers) == sorted((b.participant.pk, b.role) for b in browsers)
