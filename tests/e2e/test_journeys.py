"""Whole journeys in a real browser: a facilitator and players in separate browser contexts.

(a) a table plays part of september-2001: join by code and by link, claim roles, an inject
    arrives live, a message crosses a channel, an action needing approval is proposed and
    approved, everyone concerned sees the outcome and a player of the other side does not;
(b) a player's connection drops while others act, and comes back caught up, no duplicates;
(c) the Spanish interface.
Screenshots of the main screens go to docs/screenshots/.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from exercises import services
from exercises.models import Exercise

pytestmark = pytest.mark.django_db(transaction=True)
expect.set_options(timeout=10_000)
SIZE = {"width": 1440, "height": 900}


def _shoot(page: Page, path, width: int = 1440) -> None:
    """The whole page in one picture: a viewport as tall as the page (a full-page capture
    would draw the sticky clock in the middle)."""
    size = page.viewport_size or SIZE
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": width, "height": min(max(height, 600), 4000)})
    page.wait_for_timeout(300)
    page.screenshot(path=path)
    page.set_viewport_size(size)


def _live(page: Page) -> None:
    page.wait_for_selector("body[data-ws='open']", state="attached")


def _context(browser: Browser, **options) -> BrowserContext:
    return browser.new_context(viewport=SIZE, device_scale_factor=1, **options)


def _sign_in(browser: Browser, base: str, user) -> Page:
    page = _context(browser).new_page()
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", user.raw_password)
    page.click("form.stack button[type=submit]")
    expect(page).to_have_url(re.compile(r"/facilitator/$"))
    return page


def _join_by_code(browser: Browser, base: str, code: str, name: str, **options) -> Page:
    page = _context(browser, **options).new_page()
    page.goto(base + "/")
    page.fill("#code", code.lower())
    page.locator("form[action='/find/'] button[type=submit]").click()
    page.fill("#name", name)
    page.locator("form.stack button[type=submit]").click()
    _live(page)
    return page


def _join_by_link(browser: Browser, url: str, name: str) -> Page:
    page = _context(browser).new_page()
    page.goto(url)
    page.fill("#name", name)
    page.locator("form.stack button[type=submit]").click()
    _live(page)
    return page


def _claim(page: Page, role: str) -> None:
    page.locator(f"#lobby-roles form.claim:has(input[value='{role}']) button").click()
    expect(page.locator(".room")).to_be_visible()  # the lobby became the room without a reload
    _live(page)


def _console_click(console: Page, label: str) -> None:
    console.locator("#controls button", has_text=label).click()


def _facilitate(console: Page, code: str, **fields) -> None:
    """A facilitator command through the server, as the console's forms would send it.

    (Calling ``services`` from the test process would change the database but tell nobody:
    the push starts in the process that commits, and the sockets live in daphne.)
    """
    token = next(c["value"] for c in console.context.cookies() if c["name"] == "csrftoken")
    response = console.request.post(
        f"{console.url.split('/x/')[0]}/x/{code}/console/do/",
        form=fields,
        headers={"X-CSRFToken": token, "HX-Request": "true"},
    )
    assert response.ok and b"toast-error" not in response.body(), response.text()


def _started_table(browser: Browser, base: str, facilitator, watch=None) -> tuple[Page, str, list[str], Page]:
    """A september-2001 table the facilitator created and started, the President of Mexico seated
    from another browser: (the console, the code, what ``watch`` (``csp_watch``) saw of the console,
    the president's page)."""
    console = _sign_in(browser, base, facilitator)
    seen = watch(console) if watch is not None else []
    console.locator("li.scenario-card:has(input[value='september-2001']) button[type=submit]").click()
    expect(console.locator(".join-code")).to_be_visible()
    code = console.locator("p.join-code").inner_text().strip().replace("-", "")
    _live(console)
    president = _join_by_code(browser, base, code, "Vicente")
    _claim(president, "mx_president")
    _facilitate(console, code, type="start")
    return console, code, seen, president


def test_a_table_plays_the_first_day(browser: Browser, live_asgi: str, library, facilitator, shots):
    base = live_asgi
    # --- the facilitator creates the exercise and gets a code, a link, a QR code
    console = _sign_in(browser, base, facilitator)
    console.locator("li.scenario-card:has(input[value='september-2001']) button[type=submit]").click()
    expect(console.locator(".join-code")).to_be_visible()
    code = console.locator("p.join-code").inner_text().strip()  # shown grouped, K7QX-2MPA-RT
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{2}", code), code
    join_url = console.locator("#join-link").input_value()
    assert join_url.endswith(f"/join/{code.replace('-', '')}/")  # typed with its dashes below
    expect(console.locator(".share-qr svg")).to_be_visible()
    _live(console)

    # --- three players: by code on the home page, by the link, by code again
    home = _context(browser).new_page()
    home.goto(base + "/")
    home.screenshot(path=shots / "home.png")
    home.context.close()
    adviser = _join_by_code(browser, base, code, "Adolfo")
    _shoot(adviser, shots / "lobby.png")
    president = _join_by_link(browser, join_url, "Vicente")
    bush = _join_by_code(browser, base, code, "George")
    _claim(adviser, "mx_adviser")
    _claim(president, "mx_president")
    _claim(bush, "us_president")
    expect(adviser.locator("#table")).to_contain_text("Vicente")  # the table fills live
    expect(console.locator("#roster")).to_contain_text("George")
    expect(console.locator(".presence-connected")).to_have_count(3)

    # --- start: the clock runs and the first inject reaches every screen, marked new
    _console_click(console, "Start")
    for page in (adviser, president, bush):
        expect(page.locator("#clock")).to_have_attribute("data-status", "running")
    game_time = bush.locator("#clock .js-game-time")
    expect(game_time).not_to_have_text(game_time.inner_text())  # the clock ticks between pushes
    for page in (adviser, president, bush):
        expect(page.locator("#feed .kind-inject.is-new", has_text="State visit to Washington")).to_be_visible()

    # --- a confidential inject released now reaches its recipient only
    console.locator("#injects tr:has-text('Your list is ready') button").click()
    expect(adviser.locator("#feed .kind-inject", has_text="Your list is ready")).to_be_visible()
    adviser.locator("#feed .kind-inject:has-text('Your list is ready') .ack button").click()
    expect(console.locator("#injects tr:has-text('Your list is ready') .receipts")).to_have_text("1/1")
    expect(president.locator("#feed")).not_to_contain_text("Your list is ready")

    # --- a message on the cabinet channel; the US president is not a member
    president.fill("#text-mx_cabinet", "Cabinet meets at noon. <b>bold?</b>")
    president.press("#text-mx_cabinet", "Enter")
    expect(adviser.locator("#msgs-mx_cabinet .msg", has_text="Cabinet meets at noon. <b>bold?</b>")).to_be_visible()
    expect(bush.locator("#msgs-mx_cabinet")).to_have_count(0)
    expect(bush.locator("body")).not_to_contain_text("Cabinet meets at noon")
    # a message on the press channel shows as unread on a tab the US president is not looking at
    president.locator("#tab-press").click()
    president.fill("#text-press", "Mexico stands with its neighbour.")
    president.press("#text-press", "Enter")
    expect(bush.locator("[data-unread-for='press']")).to_have_text("1")

    # --- the first day: the adviser proposes, the president endorses, Mexico sees it carried out
    _console_click(console, "Next phase")
    expect(adviser.locator("#clock .phase-title")).to_have_text("The first day")
    adviser.locator("#act-mx_adviser_assign_tasks > summary").click()
    adviser.fill("#rat-mx_adviser_assign_tasks", "Every ministry needs a task by tonight.")
    adviser.locator("#act-mx_adviser_assign_tasks button[type=submit]").click()
    waiting = president.locator("#approvals .proposal.awaits-me")
    expect(waiting).to_contain_text("Every ministry needs a task by tonight.")
    waiting.locator("button[name=grant][value='1']").click()
    for page in (adviser, president):
        expect(page.locator("#decisions .status-executed", has_text="Assign tasks to the ministries")).to_be_visible()
    expect(console.locator("#feed", has_text="Assign tasks to the ministries")).to_be_visible()
    expect(bush.locator("#decisions .decision")).to_have_count(0)
    expect(bush.locator("body")).not_to_contain_text("Assign tasks to the ministries")
    expect(bush.locator("body")).not_to_contain_text("Every ministry needs a task")

    # --- a command a rule refuses says which rule
    president.locator("#act-mx_president_travel_washington > summary").click()
    president.locator("#act-mx_president_travel_washington button[type=submit]").click()
    expect(president.locator("#toasts .toast-error")).to_contain_text("Refused")
    expect(president.locator("#toasts .toast-error .badge-rule")).to_be_visible()

    _shoot(president, shots / "room.png")
    _shoot(console, shots / "console.png")

    # --- the projector: the public board, large
    projector = browser.new_context(viewport={"width": 1920, "height": 1080}, device_scale_factor=1).new_page()
    projector.goto(f"{base}/x/{code}/projector/")
    _live(projector)
    expect(projector.locator("#feed")).to_contain_text("Attacks in New York and Washington")
    expect(projector.locator("body")).not_to_contain_text("Your list is ready")
    expect(projector.locator("body")).not_to_contain_text("Assign tasks to the ministries")
    projector.screenshot(path=shots / "projector.png")

    # --- the facilitator ends it; everyone's clock says so
    _console_click(console, "End")  # asks first, in a <dialog> (not window.confirm)
    console.locator("#end-dialog button[type=submit]").click()
    for page in (adviser, bush, projector):
        expect(page.locator("#clock")).to_have_attribute("data-status", "ended")


def _missing_while_away(page: Page, texts: list[str]) -> None:
    for text in texts:
        expect(page.locator("body")).not_to_contain_text(text)


def test_a_dropped_player_catches_up_without_duplicates(browser: Browser, live_asgi: str, library, facilitator):
    from scenarios.library import latest

    exercise = services.create_exercise(scenario=latest("september-2001"), title="Drop", by=facilitator)
    base = live_asgi
    console = _sign_in(browser, base, facilitator)
    console.goto(f"{base}/x/{exercise.code}/console/")
    president = _join_by_link(browser, f"{base}/join/{exercise.code}/", "Vicente")
    # The president's socket goes through a switch the test can open: a closed lid, a lost network.
    state: dict[str, Any] = {"offline": False, "routes": []}

    def route(ws):
        if state["offline"]:
            ws.close(code=1006, reason="offline")  # no server on the other end: retry later
            return
        server = ws.connect_to_server()
        state["routes"].append((ws, server))

    president.route_web_socket(re.compile(r".*/ws/exercise/.*"), route)
    president.reload()
    _live(president)
    _claim(president, "mx_president")
    interior = _join_by_link(browser, f"{base}/join/{exercise.code}/", "Santiago")
    _claim(interior, "mx_gobernacion")
    _facilitate(console, exercise.code, type="start")
    expect(president.locator("#feed", has_text="State visit to Washington")).to_be_visible()

    # --- the lid closes
    state["offline"] = True
    for ws, server in state["routes"]:
        ws.close(code=1006, reason="lid closed")
        server.close()
    president.wait_for_selector("body[data-ws='closed']", state="attached")

    missed = [f"While you were away, {n}" for n in range(3)]
    for text in missed:
        interior.fill("#text-mx_cabinet", text)
        interior.press("#text-mx_cabinet", "Enter")
        expect(interior.locator("#msgs-mx_cabinet .msg", has_text=text)).to_be_visible()
    _facilitate(console, exercise.code, type="release_inject", inject="washington_asks_position")
    president.wait_for_timeout(1500)
    _missing_while_away(president, [*missed, "The Embassy asks where Mexico stands"])

    # --- back online: the page resumes from its last sequence number
    state["offline"] = False
    _live(president)
    for text in missed:
        expect(president.locator("#msgs-mx_cabinet .msg", has_text=text)).to_have_count(1)
    expect(president.locator("#feed .feed-item", has_text="The Embassy asks where Mexico stands")).to_have_count(1)
    messages = president.locator("#msgs-mx_cabinet .msg .msg-text").all_inner_texts()
    assert messages == missed  # in order, once each
    ids = president.locator("#feed > li").evaluate_all("items => items.map(i => i.id)")
    assert len(ids) == len(set(ids))
    exercise.refresh_from_db()
    assert int(president.locator("#ct-seq").get_attribute("data-seq")) == exercise.last_seq

    # --- and on another device, through the personal rejoin link: the same screen
    rejoin = president.locator("#rejoin-link").input_value()
    phone = browser.new_context(viewport={"width": 820, "height": 1180}, device_scale_factor=1).new_page()
    phone.goto(rejoin)
    _live(phone)
    assert phone.locator("#msgs-mx_cabinet .msg .msg-text").all_inner_texts() == missed
    assert phone.locator("#feed > li").evaluate_all("items => items.map(i => i.id)") == ids


def test_the_interface_speaks_spanish(browser: Browser, live_asgi: str, library, facilitator, shots):
    from scenarios.library import latest, scenario_for

    version = latest("september-2001")
    scenario = scenario_for(version)
    exercise = services.create_exercise(scenario=version, title="Mesa", by=facilitator)
    console = _sign_in(browser, live_asgi, facilitator)
    console.goto(f"{live_asgi}/x/{exercise.code}/console/")
    page = _join_by_code(browser, live_asgi, exercise.code, "Ana", locale="es-MX")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator("#lobby-roles h2")).to_have_text("Roles")
    expect(page.locator("#lobby-roles")).to_contain_text(scenario.role("mx_sre").title.es)
    _claim(page, "mx_sre")
    expect(page.locator("#actions h2")).to_have_text("Acciones")
    expect(page.locator(".brief")).to_contain_text(scenario.role("mx_sre").private_brief.es[:40])
    _facilitate(console, exercise.code, type="start")
    first = scenario.inject("fox_state_visit").title.es
    expect(page.locator("#feed .kind-inject", has_text=first)).to_be_visible()  # pushed, in Spanish
    expect(page.locator("#clock .status-pill")).to_have_text("En curso")
    _shoot(page, shots / "room-es.png")

    # the switch in the top bar changes the language for this person only
    other = _join_by_code(browser, live_asgi, exercise.code, "Ben")
    expect(other.locator("html")).to_have_attribute("lang", "en")
    other.locator(".lang-switch button[value='es']").click()
    expect(other.locator("html")).to_have_attribute("lang", "es")
    _live(other)
    _facilitate(console, exercise.code, type="adhoc_inject", title="Aviso", text="Texto", recipients="all", public="1")
    expect(other.locator("#feed .kind-inject", has_text="Aviso")).to_contain_text("del facilitador")
    assert Exercise.objects.get(pk=exercise.pk).status == "running"
