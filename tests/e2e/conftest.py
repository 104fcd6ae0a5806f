"""Browser journeys: a real daphne process, Debian's chromium, several browser contexts.

Stack notes: Playwright's sync API keeps an event loop running in this thread, so the
ORM needs DJANGO_ALLOW_ASYNC_UNSAFE, and these tests run after every other test (an
async test after a browser test would find a running loop). The server is a subprocess
(a forked live server hangs on WebSockets) reading the same SQLite test database.
"""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from django.conf import settings  # noqa: E402

from tests.e2e.chromium import CHROMIUM, LAUNCH_ARGS, SHOTS  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
E2E_DIR = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests last, marked ``e2e``, skipped where there is no chromium."""
    no_browser = pytest.mark.skip(reason=f"{CHROMIUM} is not installed (bin/ensure-chromium)")
    for item in items:
        if E2E_DIR in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)
            if not Path(CHROMIUM).exists():
                item.add_marker(no_browser)
    items.sort(key=lambda item: E2E_DIR in Path(str(item.fspath)).parents)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"daphne exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"daphne did not listen on {port}")


@pytest.fixture(scope="session")
def live_asgi(django_db_setup, django_db_blocker):
    """A daphne worker on the test database; its URL."""
    if "sqlite" not in settings.DATABASES["default"]["ENGINE"]:
        pytest.skip("the browser tests share a SQLite file with their server")
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_DB_NAME": str(settings.DATABASES["default"]["NAME"]),
        "DJANGO_DEBUG": "1",  # asked for explicitly: unset means off, which needs a real secret key
        "CT_TICK_SECONDS": "0.5",
        "DJANGO_SETTINGS_MODULE": "tests.settings",  # the real settings, DEBUG on, the tests' fast password hasher
    }
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    log = open(os.environ.get("TMPDIR", "/tmp") + f"/ct-e2e-daphne-{port}.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for_port(port, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium, one Playwright per module (not pytest-playwright's per session):
    two Playwright sync drivers may not overlap in one thread, and another module may
    start its own."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def shots() -> Path:
    """Where the main screens are saved for people (and reviewers) to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


@pytest.fixture
def library(transactional_db):
    """The scenario library stored in the test database (the server reads it from there)."""
    from scenarios.library import sync_library

    report = sync_library()
    assert "september-2001" in {v.slug for v in report.added + report.unchanged}, report.rejected
    return report


@pytest.fixture
def facilitator(transactional_db, django_user_model):
    password = "facilitator-password-1"
    user = django_user_model.objects.create_user("fran", password=password, is_staff=True)
    user.raw_password = password
    return user
