"""Browser journeys through the instructor review (Playwright + Debian chromium + a live daphne).

Self-contained on purpose: the live server and the browser are fixtures of this module, so
it does not depend on (or clash with) the player UI's e2e conftest. Screenshots land in
docs/screenshots/review-*.png.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection
from django.test import Client

import review.analytics
import review.log
import review.replay
import review.timeline
from exercises import engine, selectors, services
from exercises.bots import simulate
from exercises.models import Event, Exercise
from scenarios.library import latest, sync_library
from tests.e2e.chromium import CHROMIUM, LAUNCH_ARGS, SHOTS

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian chromium (apt-get install chromium)"),
]


# --------------------------------------------------------------------------- live server and browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"daphne did not listen on {port}")


def _server_env() -> dict[str, str]:
    """Point the server process at the test database this run created."""
    env = {**os.environ, "DJANGO_DEBUG": "0", "DJANGO_SETTINGS_MODULE": "config.settings"}
    name = str(connection.settings_dict["NAME"])
    if connection.vendor == "sqlite":
        env["DJANGO_DB_NAME"] = name
    elif env.get("DATABASE_URL"):
        parts = urlsplit(env["DATABASE_URL"])
        env["DATABASE_URL"] = urlunsplit(parts._replace(path="/" + name))
    return env


@pytest.fixture(scope="module")
def live_url(django_db_setup, django_db_blocker):
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        cwd=ROOT,
        env=_server_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django's ORM must be told it is fine
    # (stack notes, pitfall 5). Restored when the module is done.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    launched = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
    try:
        yield launched
    finally:
        launched.close()
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def facilitator(django_user_model):
    return django_user_model.objects.create_user("rita", password="rita-password-1", is_staff=True)


def _signed_in(browser, live_url: str, user):
    """A browser context carrying ``user``'s session (made by the test client, stored in the database)."""
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport={"width": 1360, "height": 900}, base_url=live_url, bypass_csp=True)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_url}])
    return context


def _post(page, path: str, form: dict[str, str]) -> None:
    """A form post from this browser, with its CSRF cookie, as the page's own forms send."""
    token = next((c["value"] for c in page.context.cookies() if c["name"] == "csrftoken"), "")
    response = page.request.post(path, form=form, headers={"X-CSRFToken": token}, max_redirects=0)
    assert response.status < 400, (path, form, response.status, response.text()[:300])


def _shot(page, name: str, selector: str | None = None, *, full: bool = True) -> None:
    """Full pages for the short ones; the first screenful for the long report pages."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    if selector:
        page.add_style_tag(content=".topbar { position: static !important; }")  # a sticky bar would cover the element
        page.locator(selector).scroll_into_view_if_needed()
        page.locator(selector).screenshot(path=str(SHOTS / f"review-{name}.png"))
    else:
        page.screenshot(path=str(SHOTS / f"review-{name}.png"), full_page=full)


# --------------------------------------------------------------------------- a simulated exercise


def _make_share_link(page, code: str) -> str:
    """The owner makes the read-only link on the sharing page (links exist only when made)."""
    page.goto(f"/review/{code}/sharing/")
    page.locator("button[name=act][value=create]").click()
    page.wait_for_url(re.compile(r"/sharing/$"))
    return page.locator("#rv-share-url").input_value()


def test_it_filters_scrubs_and_charts_a_simulated_exercise(browser, live_url, facilitator) -> None:
    sync_library()
    version = latest("september-2001")
    exercise = simulate(version, seed=2).exercise
    Exercise.objects.filter(pk=exercise.pk).update(owner=facilitator)  # the bots' table, given to her
    exercise.refresh_from_db()
    log = review.log.load(exercise, lang="en")
    analysis = review.analytics.analyse(log)
    context = _signed_in(browser, live_url, facilitator)
    page = context.new_page()

    # Charts: one server-rendered SVG per indicator, a marker per change.
    page.goto(f"/review/{exercise.code}/")
    charts = page.locator("#charts svg.rv-svg")
    assert charts.count() == len(log.scenario.indicators)
    for n in range(charts.count()):
        assert re.match(r"^[\d.]+,[\d.]+ ", charts.nth(n).locator("polyline").get_attribute("points"))
    changes = sum(1 for e in log.entries if e.type == "indicator_changed")
    assert page.locator("#charts circle.rv-marker").count() == changes
    box = charts.first.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 60  # really drawn, not collapsed
    _shot(page, "overview")
    _shot(page, "charts", "#charts")

    # Timeline: filter by role, then search inside it; the page swaps in place (no reload).
    page.goto(f"/review/{exercise.code}/timeline/")
    page.evaluate("window.__noReload = true")
    page.select_option("select[name=role]", "mx_sedena")
    expected = review.timeline.timeline(analysis, review.timeline.TimelineFilters({"role": "mx_sedena"}))
    page.wait_for_selector(f"#rv-results[data-matched='{expected.matched}']")
    roles = page.locator("#rv-results tr.rv-ev").evaluate_all("rows => rows.map(r => r.dataset.role)")
    assert roles and set(roles) == {"mx_sedena"}
    assert "role=mx_sedena" in page.url
    page.select_option("select[name=role]", "")
    page.fill("input[name=q]", "senate")
    searched = review.timeline.timeline(analysis, review.timeline.TimelineFilters({"q": "senate"}))
    page.wait_for_selector(f"#rv-results[data-matched='{searched.matched}']")
    assert page.evaluate("window.__noReload") is True
    _shot(page, "timeline")

    # Replay: SEDENA's screen, scrubbed to the middle of the exercise, then one event on.
    page.goto(f"/review/{exercise.code}/replay/?role=mx_sedena")
    middle = exercise.last_seq // 2
    page.locator("[data-rv-scrub]").fill(str(middle))
    page.wait_for_selector(f"#rv-screen[data-seq='{middle}']")
    screen = review.replay.screen(exercise, log, role="mx_sedena", seq=middle, lang="en")
    shown = page.locator("#rv-screen #indicators .ind-value").all_inner_texts()
    assert shown == [str(i.value) for i in screen.context["indicators"]]
    assert page.locator("#rv-screen .rv-screen-head h3").inner_text().startswith("Defence Minister")
    page.locator("[data-rv-step='1']").click()
    page.wait_for_selector(f"#rv-screen[data-seq='{middle + 1}']")
    assert page.locator("[data-rv-scrub]").input_value() == str(middle + 1)
    # ... and by in-game clock: "what did SEDENA know at 10:40 on 11 September?"
    page.locator("[data-rv-at]").fill("2001-09-11T10:40")
    page.locator("[data-rv-at]").dispatch_event("change")
    at = log.seq_at(log.game_time_of(datetime(2001, 9, 11, 10, 40)))
    page.wait_for_selector(f"#rv-screen[data-seq='{at}']")
    clock = log.by_seq[at].clock
    assert clock is not None and clock <= datetime(2001, 9, 11, 10, 40)
    page.locator("[data-rv-scrub]").fill(str(middle))
    page.wait_for_selector(f"#rv-screen[data-seq='{middle}']")
    _shot(page, "replay")

    # The after-action report and its PDF.
    page.goto(f"/review/{exercise.code}/report/")
    assert page.locator("#aar-charts svg.rv-svg").count() == len(log.scenario.indicators)
    page.set_viewport_size({"width": 1360, "height": 2000})
    _shot(page, "report", full=False)
    page.set_viewport_size({"width": 1360, "height": 900})
    pdf = page.request.get(f"/review/{exercise.code}/report.pdf")
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")

    # The players' link: made on purpose by the facilitator, opened in a browser with no account.
    link = _make_share_link(page, exercise.code)
    anonymous = browser.new_context(viewport={"width": 1360, "height": 2000}, base_url=live_url, bypass_csp=True)
    shared = anonymous.new_page()
    shared.goto(link)
    assert shared.locator("h1").first.inner_text() == exercise.title
    assert shared.locator("svg.rv-svg").count() == sum(1 for i in log.scenario.indicators if "all" in i.visible_to)
    _shot(shared, "share", full=False)
    anonymous.close()
    context.close()


# --------------------------------------------------------------------------- an exercise played in the browser


def test_it_reviews_an_exercise_played_in_the_browser(browser, live_url, facilitator) -> None:
    sync_library([ROOT / "tests" / "fixtures"])
    exercise = services.create_exercise(scenario=latest("mini"), title="Played in the browser", by=facilitator, seed=3)
    console = _signed_in(browser, live_url, facilitator).new_page()
    player = browser.new_context(viewport={"width": 1360, "height": 900}, base_url=live_url, bypass_csp=True).new_page()

    # A player joins through the join page and claims the presidency; the facilitator starts.
    player.goto(f"/join/{exercise.code}/")
    player.fill("input[name=name]", "Ana")
    player.locator("form.stack button[type=submit]").click()
    player.wait_for_url(re.compile(rf"/x/{exercise.code}/"))
    _post(player, f"/x/{exercise.code}/do/", {"type": "claim_role", "role": "president"})
    console.goto(f"/review/{exercise.code}/")  # sets the console's CSRF cookie
    _post(console, f"/x/{exercise.code}/console/do/", {"type": "start"})
    _post(
        player,
        f"/x/{exercise.code}/do/",
        {"type": "send_message", "channel": "press", "text": "We stand with Washington."},
    )
    _post(
        player,
        f"/x/{exercise.code}/do/",
        {"type": "send_message", "channel": "cabinet", "text": "Cabinet only: hold the line."},
    )
    _post(
        player,
        f"/x/{exercise.code}/do/",
        {"type": "propose_action", "action": "statement", "option": "total", "rationale": "Solidarity first."},
    )
    statement = Event.objects.get(exercise=exercise, type="action_proposed").seq

    # The facilitator notes an observation on the proposal, from its timeline row.
    console.goto(f"/review/{exercise.code}/timeline/?type=action_proposed")
    console.locator(f"#e{statement} [data-rv-note]").click()
    assert console.locator("#add-note input[name=event]").input_value() == str(statement)
    console.fill("#add-note textarea[name=text]", "Quick and clear, but no word with the cabinet first.")
    console.locator("#add-note button[type=submit]").click()
    console.wait_for_load_state()
    console.goto(f"/review/{exercise.code}/timeline/?seq={statement}")
    row = console.locator(f"#e{statement}")
    assert "Solidarity first." in row.inner_text()
    assert "no word with the cabinet first" in row.inner_text()

    # ... edits the report, shares its written parts, and the player reads them on the link.
    console.goto(f"/review/{exercise.code}/report/edit/")
    console.fill("textarea[name=summary]", "A fast public line from the presidency.")
    console.fill("textarea[name=improvements]", "Consult the cabinet before speaking")
    console.locator("input[name$=-issue]").first.fill("Statements made alone")
    console.locator("input[name$=-action]").first.fill("Agree a line in the cabinet channel first")
    console.check("input[name=share]")
    console.locator("form.rv-report-form button[type=submit]").click()
    console.wait_for_url(re.compile(r"/report/$"))
    assert "Agree a line in the cabinet channel first" in console.locator("#aar-plan").inner_text()
    _shot(console, "report-edited")

    exercise.refresh_from_db()
    player.goto(_make_share_link(console, exercise.code))
    page = player.content()
    assert "A fast public line from the presidency." in page
    assert "We stand with Washington." in page  # said on the public press channel
    assert "Cabinet only: hold the line." not in page  # a private channel
    assert "Solidarity first." not in page and "no word with the cabinet first" not in page

    # The review replays the player's own screen from the log.
    state = selectors.state_of(exercise)
    assert state.holders.get("president")
    log = review.log.load(exercise, lang="en")
    screen = review.replay.screen(exercise, log, role="president", seq=exercise.last_seq, lang="en")
    said = {m.text for ch in screen.context["channels"] for m in ch.messages}
    assert said == {"We stand with Washington.", "Cabinet only: hold the line."}
    assert Exercise.objects.get(pk=exercise.pk).status == "running"
    assert engine.EVERYONE not in Event.objects.get(exercise=exercise, type="note_added").audience
    console.context.close()
    player.context.close()
