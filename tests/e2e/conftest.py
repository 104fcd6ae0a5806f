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
AXE_VERSION = os.environ.get("CT_AXE_VERSION", "4.14.1")
AXE = Path(os.environ.get("CT_AXE_JS", ROOT / ".cache" / f"axe-core-{AXE_VERSION}" / "axe.min.js"))
SERIOUS = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 4).map((n) => n.target.join(" "))}));
}"""
# Every violation of the page's Content-Security-Policy, reported through a binding that outlives
# navigations (a window variable would be lost with each page).
WATCH_CSP = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.__ctCspViolation(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sourceFile || "") + ":" + e.lineNumber);
});
"""


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


# --------------------------------------------------------------------------- page checks shared by every journey


@pytest.fixture(scope="session")
def axe_source() -> str | None:
    """axe-core's script (bin/ensure-axe fetches it from the npm registry into .cache/; nothing is
    fetched at run time), or None where npm is missing (CI, which sets CT_REQUIRE_SERVICES, fails)."""
    if AXE.exists():
        return AXE.read_text()
    if os.environ.get("CT_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{AXE} is missing: run bin/ensure-axe (CI must check accessibility, not skip it)")
    return None


@pytest.fixture
def axe(axe_source):
    """``axe(page, where)``: no serious or critical axe-core violation on the page as it is now.

    The script is evaluated through the DevTools protocol, not added as a ``<script>`` element:
    the pages run under a strict Content-Security-Policy, which (rightly) refuses an inline script,
    and the check must not be the thing that violates it."""

    def check(page, where: str) -> None:
        if axe_source is None:
            return
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(axe_source + "\n;undefined")
        found = page.evaluate(SERIOUS)
        assert found == [], f"{where}: {found}"

    return check


@pytest.fixture
def csp_watch():
    """``seen = csp_watch(page)`` before the first navigation: ``seen`` then collects every
    Content-Security-Policy violation on every page that tab opens, and what the console says
    about the policy or about htmx (an ``allowEval: false`` refusal is logged there)."""

    def watch(page) -> list[str]:
        seen: list[str] = []
        page.expose_function("__ctCspViolation", lambda text: seen.append(text))
        page.add_init_script(WATCH_CSP)
        page.on(
            "console",
            lambda m: seen.append(m.text) if ("Content Security Policy" in m.text or "htmx:" in m.text) else None,
        )
        return seen

    return watch
