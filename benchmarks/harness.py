"""Shared set-up for the live benchmarks (fanout, commands, memory, workshop): not part of the test suite.

One client process drives everything with asyncio (uvloop when present): players are
``websockets`` connections identified by a session cookie, as browsers are. Servers are real
worker processes on free 127.0.0.1 ports (``tests/services/live.py``), on a throwaway SQLite
file with the in-memory layer, or on PostgreSQL + Redis. Every loop is bounded in count and time.

Where the Redis runs live (so that concurrent benchmark runs, or test runs, do not collide):
``CT_BENCH_DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/ct_bench``, created if
missing and flushed at the start of a run) and ``CT_BENCH_REDIS_URL`` (default Redis database 2;
the keys of the benchmark's own prefix are deleted at the start of a run).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PASSED = (
    "CT_RENDER_THREADS",
    "CT_RELEASE_THREADS",
    "DB_CONN_MAX_AGE",
    "CT_HEARTBEAT_SECONDS",  # with CT_TICK_SECONDS: a run without the heartbeat's and the clocks' work
    "CT_TICK_SECONDS",
)
BENCH_PG = "postgres://postgres@127.0.0.1:5432/ct_bench"
BENCH_REDIS = "redis://127.0.0.1:6379/2"


def setup(layer: str, *, sqlite: str | None = None) -> dict[str, str]:
    """Point this process at a throwaway database for ``layer`` (``sqlite``: this SQLite file
    instead of a new one, memory layer only); returns the workers' environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CT_"))}
    # The app's own knobs a run may compare (render threads, release threads, connection age, the
    # heartbeat's and the clock's intervals).
    env.update({k: v for k, v in os.environ.items() if k in PASSED})
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    if layer == "redis":
        database = os.environ.get("CT_BENCH_DATABASE_URL", BENCH_PG)
        _ensure_pg_database(database)
        env.update(
            DATABASE_URL=database,
            REDIS_URL=os.environ.get("CT_BENCH_REDIS_URL", BENCH_REDIS),
            CT_REDIS_PREFIX="ct-bench",
        )
    else:
        env["DJANGO_DB_NAME"] = sqlite or str(Path(tempfile.mkdtemp(prefix="ct-bench-")) / "bench.sqlite3")
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="0",
        CT_RATE_LIMIT_PER_10S=os.environ.get("CT_RATE_LIMIT_PER_10S", "100000"),  # measure the server, not the limiter
        CT_PARTICIPANTS_PER_ROLE=os.environ.get("CT_PARTICIPANTS_PER_ROLE", "1000"),  # 1,000 players at one table
        DJANGO_SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(50),  # DEBUG off needs one
        PYTHONUNBUFFERED="1",
    )
    os.environ.update(env)
    for key in ("DATABASE_URL", "REDIS_URL", "DJANGO_DB_NAME"):
        if key not in env:
            os.environ.pop(key, None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    if layer == "redis":
        call_command("flush", verbosity=0, interactive=False)
        _clear_redis_prefix(env["REDIS_URL"], env["CT_REDIS_PREFIX"])
    return env


def _clear_redis_prefix(url: str, prefix: str) -> None:
    """Forget the group memberships a previous run left behind (only this benchmark's keys).

    Exercise ids restart after a flush, so a stale membership would make every batch of the new
    run also go to the dead hub channel of an old worker.
    """
    import redis

    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        for start in range(0, len(keys), 500):
            client.delete(*keys[start : start + 500])
    finally:
        client.close()


def _ensure_pg_database(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone():
            conn.execute(f'create database "{name}"')


def exercise_with_players(players: int, *, slug: str = "september-2001") -> tuple[Any, list[str], str]:
    """An exercise of ``slug`` with ``players`` joined (the first ones seated in every playable role).

    Returns (exercise, one session cookie per player, a facilitator's session cookie).
    """
    from django.contrib.sessions.backends.db import SessionStore

    from exercises import engine, selectors, services
    from exercises.engine import commands as c
    from scenarios.library import latest, scenario_for, sync_library

    sync_library()
    version = latest(slug)
    scenario = scenario_for(version)
    user = _facilitator()
    exercise = services.create_exercise(scenario=version, title="Benchmark", by=user, seed=1)
    roles = playable_roles(scenario)
    cookies = []
    for n in range(players):
        participant, _ = services.join(exercise=exercise, name=f"Player {n}")
        if n < len(roles):
            actor = engine.Actor(kind="participant", participant=participant.pk)
            services.execute(exercise_id=exercise.pk, actor=actor, command=c.ClaimRole(role=roles[n]))
        store = SessionStore()
        store[selectors.SESSION_KEY] = {str(exercise.pk): participant.pk}
        store.create()
        assert store.session_key is not None  # create() sets it
        cookies.append(store.session_key)
    exercise.refresh_from_db()
    return exercise, cookies, facilitator_cookie(user)


def playable_roles(scenario: Any) -> list[str]:
    """The roles a player may hold (institutions are played by the engine or the facilitator)."""
    return [r.id for r in scenario.roles if not r.institution]


def _facilitator() -> Any:
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(username="bench", defaults={"is_staff": True})
    return user


def facilitator_cookie(user: Any) -> str:
    """A logged-in session for the facilitator (what the login form would have set)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store.update({SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend"})
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    assert store.session_key is not None  # create() sets it
    return store.session_key


@dataclass
class Seat:
    """One player of a workshop table: their role and their browser's session cookie."""

    table: int  # 0-based index of the table in the workshop
    exercise_id: int
    code: str
    participant: str
    role: str
    cookie: str


@dataclass
class Table:
    exercise_id: int
    code: str
    seats: list[Seat]


def workshop_tables(tables: int, *, slug: str = "september-2001", phase: int = 1) -> tuple[Any, list[Table], str]:
    """A workshop of ``tables`` tables of ``slug``, every playable role held, all started.

    Each table is a real exercise of one ``Workshop`` (as the facilitator's "new workshop" form
    makes them); one participant joins per playable role and claims it; the facilitator starts
    it and advances it to phase number ``phase`` (0 = the first), so the players' action panels
    are those of the middle of an exercise rather than of its prologue. Returns (workshop,
    tables, the facilitator's session cookie).
    """
    from django.contrib.sessions.backends.db import SessionStore

    from exercises import engine, selectors, services
    from exercises.engine import commands as c
    from exercises.models import Exercise
    from scenarios.library import latest, scenario_for, sync_library

    sync_library()
    version = latest(slug)
    if version is None:
        raise SystemExit(f"no scenario {slug!r} in the library")
    scenario = scenario_for(version)
    roles = playable_roles(scenario)
    user = _facilitator()
    workshop = services.create_workshop(scenario=version, title="Workshop benchmark", tables=tables, by=user)
    out = []
    for index, exercise in enumerate(Exercise.objects.filter(workshop=workshop).order_by("table")):
        seats = []
        for role in roles:
            participant, _ = services.join(exercise=exercise, name=f"T{index + 1} {role}"[:40])
            actor = engine.Actor(kind="participant", participant=participant.pk)
            services.execute(exercise_id=exercise.pk, actor=actor, command=c.ClaimRole(role=role))
            store = SessionStore()
            store[selectors.SESSION_KEY] = {str(exercise.pk): participant.pk}
            store.create()
            seats.append(Seat(index, exercise.pk, exercise.code, participant.pk, role, store.session_key))
        services.execute(exercise_id=exercise.pk, actor=engine.FACILITATOR, command=c.Start())
        for _ in range(min(phase, len(scenario.phases) - 1)):
            services.execute(exercise_id=exercise.pk, actor=engine.FACILITATOR, command=c.AdvancePhase())
        out.append(Table(exercise.pk, exercise.code, seats))
    return workshop, out, facilitator_cookie(user)


def last_seqs(exercise_ids: Iterable[int]) -> dict[int, int]:
    from exercises.models import Exercise

    return dict(Exercise.objects.filter(pk__in=list(exercise_ids)).values_list("pk", "last_seq"))


def app_for(push: str) -> str:
    """``real``: the application; ``probe``: the same with the tests' minimal renderer (isolates the transport)."""
    return "tests.services.probe_asgi:application" if push == "probe" else "config.asgi:application"


def start_servers(env: dict[str, str], count: int, *, kind: str, app: str = "config.asgi:application") -> list[Any]:
    from tests.services.live import Server

    servers = [Server(env, kind=kind, app=app) for _ in range(count)]
    for server in servers:
        server.start()
    return servers


def stop_servers(servers: Iterable[Any]) -> None:
    for server in servers:
        server.stop()


def rss_kb(pid: int) -> int:
    """Resident memory of one process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


SEQ_MARK = '<span id="ct-seq" data-seq="'  # every pushed frame of the app starts with it


def frame_seq(frame: str) -> int | None:
    """The sequence marker a frame of the app starts with (None for a toast or a floor frame)."""
    if not frame.startswith(SEQ_MARK):
        return None
    end = frame.find('"', len(SEQ_MARK))
    return int(frame[len(SEQ_MARK) : end])


class Client:
    """One player's socket; records when each awaited token first arrives.

    ``on_frame(frame, arrival)``, when set, sees every frame after the token check (the
    workshop's command mix and reconnect storm use it); ``last`` follows the app's sequence
    marker as a browser does (what it sends back on ``resume``).
    """

    def __init__(self, url: str, origin: str, cookie: str | None) -> None:
        self.url = url
        self.origin = origin
        self.cookie = cookie
        self.conn: Any = None
        self.waiting: dict[str, float] = {}  # token -> arrival time (perf_counter), 0.0 while pending
        self.sizes: list[int] = []
        self.task: asyncio.Task[None] | None = None
        self.on_frame: Callable[[str, float], None] | None = None
        self.last = 0

    async def connect(self, resume: int | None = None) -> Client:
        import websockets

        headers = {"Cookie": f"sessionid={self.cookie}"} if self.cookie else {}
        self.conn = await websockets.connect(
            self.url,
            origin=self.origin,
            additional_headers=headers,
            open_timeout=60,
            max_size=2**24,
            ping_interval=None,
        )
        self.task = asyncio.get_running_loop().create_task(self._read())
        if resume is not None:
            await self.conn.send(json.dumps({"type": "resume", "last": resume}))
        return self

    async def _read(self) -> None:
        with contextlib.suppress(Exception):
            async for frame in self.conn:
                now = time.perf_counter()
                for token, seen in self.waiting.items():
                    if not seen and token in frame:
                        self.waiting[token] = now
                        self.sizes.append(len(frame))
                if frame.startswith(SEQ_MARK):
                    self.last = max(self.last, frame_seq(frame) or 0)
                if self.on_frame is not None:
                    self.on_frame(frame, now)

    def expect(self, token: str) -> None:
        self.waiting[token] = 0.0

    def arrived(self, token: str) -> float:
        return self.waiting.get(token, 0.0)

    async def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.conn.close(), 5)
        if self.task is not None:
            self.task.cancel()

    def drop(self) -> None:
        """Lose the connection without a closing handshake (the room's Wi-Fi blips)."""
        if self.conn is not None:
            with contextlib.suppress(Exception):
                self.conn.transport.abort()
        if self.task is not None:
            self.task.cancel()


async def connect_all(
    clients: list[Client], *, resume: int | None | list[int | None], batch: int = 50, timeout: float = 300
) -> None:
    """Connect in batches (a reconnect storm is another benchmark), bounded in time.

    ``resume``: the seq every client resumes from, or one per client (None: no resume).
    """
    deadline = time.monotonic() + timeout
    resumes = resume if isinstance(resume, list) else [resume] * len(clients)
    for start in range(0, len(clients), batch):
        if time.monotonic() > deadline:
            raise TimeoutError("connecting the players took too long")
        await asyncio.gather(
            *(c.connect(r) for c, r in zip(clients[start : start + batch], resumes[start : start + batch], strict=True))
        )


async def close_all(clients: Iterable[Client]) -> None:
    await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)


async def broadcast_round(token: str, clients: list[Client], trigger, *, timeout: float) -> tuple[list[float], int]:
    """Run ``trigger()`` and time until every client has the token; (latencies in ms, how many missed it)."""
    for client in clients:
        client.expect(token)
    t0 = time.perf_counter()
    await trigger()
    deadline = t0 + timeout
    while time.perf_counter() < deadline and not all(c.arrived(token) for c in clients):
        await asyncio.sleep(0.005)
    got = [(c.arrived(token) - t0) * 1000 for c in clients if c.arrived(token)]
    return got, len(clients) - len(got)


def percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50_ms": None, "p95_ms": None, "p99_ms": None, "max_ms": None}
    ordered = sorted(values)

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))], 1)

    return {"p50_ms": pct(50), "p95_ms": pct(95), "p99_ms": pct(99), "max_ms": round(ordered[-1], 1)}


def load() -> float:
    """The machine's 1-minute load average (other helpers share these 2 cores)."""
    return round(os.getloadavg()[0], 2)


def use_uvloop() -> None:
    with contextlib.suppress(ImportError):
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


def emit(record: dict[str, Any]) -> None:
    print(json.dumps(record), flush=True)
