"""Shared set-up for the live benchmarks (fanout, commands, memory): not part of the test suite.

One client process drives everything with asyncio (uvloop when present): players are
``websockets`` connections identified by a session cookie, as browsers are. Servers are real
worker processes on free 127.0.0.1 ports (``tests/services/live.py``), on a throwaway SQLite
file with the in-memory layer, or on PostgreSQL + Redis. Every loop is bounded in count and time.
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
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BENCH_PG = "postgres://postgres@127.0.0.1:5432/ct_bench"
BENCH_REDIS = "redis://127.0.0.1:6379/2"


def setup(layer: str) -> dict[str, str]:
    """Point this process at a throwaway database for ``layer``; returns the workers' environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CT_"))}
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
        env["DJANGO_DB_NAME"] = str(Path(tempfile.mkdtemp(prefix="ct-bench-")) / "bench.sqlite3")
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
    return env


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
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore

    from exercises import engine, selectors, services
    from exercises.engine import commands as c
    from scenarios.library import latest, scenario_for, sync_library

    sync_library()
    version = latest(slug)
    scenario = scenario_for(version)
    user, _ = get_user_model().objects.get_or_create(username="bench", defaults={"is_staff": True})
    exercise = services.create_exercise(scenario=version, title="Benchmark", by=user, seed=1)
    roles = [r.id for r in scenario.roles if not r.institution]
    cookies = []
    for n in range(players):
        participant, _ = services.join(exercise=exercise, name=f"Player {n}")
        if n < len(roles):
            actor = engine.Actor(kind="participant", participant=participant.pk)
            services.execute(exercise_id=exercise.pk, actor=actor, command=c.ClaimRole(role=roles[n]))
        store = SessionStore()
        store[selectors.SESSION_KEY] = {str(exercise.pk): participant.pk}
        store.create()
        cookies.append(store.session_key)
    store = SessionStore()
    store.update({SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend"})
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    exercise.refresh_from_db()
    return exercise, cookies, store.session_key


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


class Client:
    """One player's socket; records when each awaited token first arrives."""

    def __init__(self, url: str, origin: str, cookie: str | None) -> None:
        self.url = url
        self.origin = origin
        self.cookie = cookie
        self.conn: Any = None
        self.waiting: dict[str, float] = {}  # token -> arrival time (perf_counter), 0.0 while pending
        self.sizes: list[int] = []
        self.task: asyncio.Task[None] | None = None

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


async def connect_all(clients: list[Client], *, resume: int | None, batch: int = 50, timeout: float = 300) -> None:
    """Connect in batches (a reconnect storm is another benchmark), bounded in time."""
    deadline = time.monotonic() + timeout
    for start in range(0, len(clients), batch):
        if time.monotonic() > deadline:
            raise TimeoutError("connecting the players took too long")
        await asyncio.gather(*(c.connect(resume) for c in clients[start : start + batch]))


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


def use_uvloop() -> None:
    with contextlib.suppress(ImportError):
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


def emit(record: dict[str, Any]) -> None:
    print(json.dumps(record), flush=True)
