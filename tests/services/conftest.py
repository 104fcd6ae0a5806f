"""Service-backed tests: PostgreSQL + Redis + real worker processes.

Tests marked ``services`` run only when ``DATABASE_URL`` and ``REDIS_URL`` are both set
(``bin/service-tests`` sets them when both services answer); otherwise they are skipped with
the reason. When they do run, under ``CT_REQUIRE_SERVICES=1`` (CI) a missing prerequisite
(a redis-server binary, say) fails instead of skipping.
"""

from __future__ import annotations

import inspect
import os
import shutil
from pathlib import Path
from typing import NoReturn
from urllib.parse import quote

import pytest
from django.conf import settings

from exercises import engine, push, selectors, services
from exercises.engine import commands as c
from scenarios.library import latest, sync_library

FIXTURES = Path(__file__).parent / "fixtures"
MINI = Path(__file__).parents[1] / "fixtures"
REQUIRED = os.environ.get("CT_REQUIRE_SERVICES") == "1"


def missing(reason: str) -> NoReturn:
    """Skip, or fail under CI, when something a service test needs is not there."""
    if REQUIRED:
        pytest.fail(f"CT_REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


def pytest_runtest_setup(item: pytest.Item) -> None:
    # The plain (SQLite) run always skips these: bin/service-tests runs them on PostgreSQL +
    # Redis right after, and it is there that CT_REQUIRE_SERVICES=1 turns absence into failure.
    if item.get_closest_marker("services") and not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")):
        pytest.skip(
            "needs PostgreSQL and Redis: set DATABASE_URL and REDIS_URL, or run bin/service-tests (make test does)"
        )


@pytest.fixture
def redis_server_binary() -> str:
    path = shutil.which("redis-server")
    if path is None:
        missing("redis-server is not installed (apt-get install redis-server)")
    return path


def app_path() -> str:
    """The real ASGI app once push renders frames; the stand-in renderer until then.

    ``CT_TEST_PUSH=probe`` forces the stand-in (to test the transport while the templates change).
    """
    if os.environ.get("CT_TEST_PUSH") == "probe":
        return "tests.services.probe_asgi:application"
    if "NotImplementedError" in inspect.getsource(push.render_batch) or "NotImplementedError" in inspect.getsource(
        push.replay
    ):
        return "tests.services.probe_asgi:application"
    return "config.asgi:application"


def database_url() -> str:
    """The URL of the test database (pytest-django has renamed NAME by now)."""
    db = settings.DATABASES["default"]
    auth = quote(db.get("USER") or "postgres")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


@pytest.fixture
def live_env(transactional_db) -> dict[str, str]:
    """Environment for worker subprocesses: the test database, the test Redis, a fast clock."""
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
        "DJANGO_DEBUG": "0",  # production settings: DEBUG off needs a real key
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,  # sessions made here must read there
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "CT_TICK_SECONDS": "0.2",
        "PYTHONUNBUFFERED": "1",
    }


@pytest.fixture
def mini(transactional_db):
    sync_library([MINI])
    return latest("mini")


@pytest.fixture
def fast(transactional_db):
    sync_library([FIXTURES])
    return latest("fast")


def session_cookie(**data) -> str:
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    for key, value in data.items():
        store[key] = value
    store.create()
    assert store.session_key is not None  # create() sets it
    return store.session_key


def seat(exercise, name: str, role: str = "") -> tuple[str, str]:
    """Join ``name`` (claiming ``role``); returns (participant id, session cookie)."""
    participant, _ = services.join(exercise=exercise, name=name)
    if role:
        result = services.execute(
            exercise_id=exercise.pk,
            actor=engine.Actor(kind="participant", participant=participant.pk),
            command=c.ClaimRole(role=role),
        )
        assert result.ok, result.rejection
    return participant.pk, session_cookie(**{selectors.SESSION_KEY: {str(exercise.pk): participant.pk}})


def facilitator_cookie() -> str:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model

    user = get_user_model().objects.create_user("alice", password="x", is_staff=True)
    return session_cookie(
        **{
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
    )


@pytest.fixture
def workers(live_env):
    """``workers(n)`` starts n worker processes on the test PostgreSQL + Redis; all stop after the test."""
    from .live import Server

    started: list[Server] = []

    def start(n: int = 1, **env: str) -> list[Server]:
        new = [Server({**live_env, **env}, app=app_path()).start() for _ in range(n)]
        started.extend(new)
        return new

    yield start
    for server in started:
        server.kill()
