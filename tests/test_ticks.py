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


def test_the_heartbeat_spreads_the_consoles_refreshes_over_its_interval() -> None:
    """Each table's consoles refresh their presence column at their own moment of the heartbeat's
    interval, not all at once (twenty consoles at once were a ~100 ms burst on the worker that
    delayed the inject round it met; issue #11, part 8), and always before the next beat.

    Mutation (tried): ``beat_offset`` returning ``PRESENCE_EVERY`` for every table (all at once)."""
    from exercises.consumers import PRESENCE_EVERY, beat_offset

    every = 10.0
    offsets = sorted(beat_offset(exercise_id, every) for exercise_id in range(1, 41))
    assert all(PRESENCE_EVERY <= o <= every - PRESENCE_EVERY for o in offsets)
    gaps = [b - a for a, b in zip(offsets, offsets[1:], strict=False)]
    assert max(gaps) < every / 10  # forty tables: no stretch of a tenth of the interval left empty
    assert len({round(o, 3) for o in offsets}) == 40


@pytest.mark.asyncio
async def test_a_connection_change_brings_a_console_s_later_presence_refresh_forward() -> None:
    """A console's refresh due later (the heartbeat's, spread over its interval) is replaced by a
    sooner one (a player connected or left: PRESENCE_EVERY), so the column still moves at once;
    a later one never pushes a sooner one back, and one at a time is pending.

    Mutations (tried): ``presence_soon`` keeping any pending refresh (the connection waits for
    the heartbeat's moment: red); replacing whichever is pending (the sooner one is pushed back: red)."""
    import asyncio

    from exercises.consumers import PRESENCE_EVERY, ExerciseConsumer

    sent: list[float] = []
    loop = asyncio.get_running_loop()
    start = loop.time()

    class Console(ExerciseConsumer):
        def __init__(self) -> None:  # no socket: only the presence scheduling
            self.presence_due = None
            self.presence_at = 0.0

        async def _send_presence(self, delay: float) -> None:
            await asyncio.sleep(delay)
            sent.append(loop.time() - start)

    console = Console()
    console.presence_soon(5.0)  # the heartbeat's moment for this table
    console.presence_soon(PRESENCE_EVERY)  # a player connected meanwhile
    console.presence_soon(3.0)  # a later one does not push it back
    await asyncio.sleep(PRESENCE_EVERY + 0.2)  # the refresh's timer is due first, however slow the loop
    assert len(sent) == 1 and sent[0] < 2.0, sent  # not at the heartbeat's moment (3 or 5 s)
    assert console.presence_due is not None and console.presence_due.done()


@pytest.mark.asyncio
async def test_a_console_s_presence_read_does_not_hold_its_socket(monkeypatch) -> None:
    """A console's presence refresh reads the badges without holding the socket's lock: a batch
    for the console, and the hub's next dispatch (which waits for every write of this one), never
    wait for a presence read queued on the database thread (issue #11, part 8). A batch that went
    out during the read (a join, a removal) makes it read again, for the console's new seq.

    Mutations (tried): reading under the lock, as before (the lock is held during the read: red);
    sending the read whatever moved meanwhile (a frame for the old seq is sent: red)."""
    import asyncio
    import threading

    from exercises.consumers import ExerciseConsumer
    from exercises.screens import answers

    reading = threading.Event()
    go_on = threading.Event()
    asked: list[int | None] = []

    def frame(exercise_id: int, lang: str, seen_upto: int | None = None) -> str:
        asked.append(seen_upto)
        reading.set()
        assert go_on.wait(5)
        return f"badges@{seen_upto}"

    monkeypatch.setattr(answers, "presence_frame", frame)
    sent: list[str] = []

    class Console(ExerciseConsumer):
        def __init__(self) -> None:  # no socket: only the presence refresh
            self.lock = asyncio.Lock()
            self.last_seq = 5
            self.exercise_id = 1
            self.lang = "en"

        async def send(
            self, text_data: str | None = None, bytes_data: bytes | None = None, close: bool = False
        ) -> None:
            sent.append(text_data or "")

    console = Console()
    task = asyncio.get_running_loop().create_task(console._send_presence(0))
    for _ in range(500):  # up to 5 s for the read to start on the database thread
        if reading.is_set():
            break
        await asyncio.sleep(0.01)
    assert reading.is_set()
    assert not console.lock.locked()  # a batch may go out meanwhile
    async with console.lock:
        console.last_seq = 6  # ... and it did: a join
    go_on.set()
    await asyncio.wait_for(task, 5)
    assert asked == [5, 6]
    assert sent == ["badges@6"]
