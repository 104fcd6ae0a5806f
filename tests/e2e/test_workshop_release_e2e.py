"""The workshop console's "release to every table" in a real browser (issue #11): the facilitator
writes one inject once, and a player at each table sees it on their live screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from exercises import engine, services
from exercises.engine import commands as c
from tests.e2e.test_journeys import _join_by_code, _shoot, _sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_one_release_reaches_a_player_at_every_table(live_asgi, browser, library, facilitator, shots, axe):
    from scenarios.library import latest

    workshop = services.create_workshop(
        scenario=latest("september-2001"), title="Evening course", tables=2, by=facilitator
    )
    for table in workshop.tables.all():
        services.execute(exercise_id=table.pk, actor=engine.FACILITATOR, command=c.Start())
    players = [_join_by_code(browser, live_asgi, workshop.code, name) for name in ("Pia", "Quim")]
    console = _sign_in(browser, live_asgi, facilitator)
    console.goto(f"{live_asgi}/w/{workshop.code}/console/")
    expect(console.get_by_role("heading", name="Release to every table")).to_be_visible()
    console.fill("#w-title", "Bridge closed at every table")
    console.fill("#w-text", "The river bridge is closed until further notice.")
    console.locator("form:has(#w-title) input[name=public]").check()
    console.get_by_role("button", name="Write and release at every table").click()
    expect(console.get_by_text("Released at 2 tables, 0 left as they were.")).to_be_visible()
    for page in players:
        expect(page.locator("#feed")).to_contain_text("Bridge closed at every table", timeout=10_000)
    console.locator("#release-h").scroll_into_view_if_needed()
    _shoot(console, str(shots / "workshop-release.png"))
    axe(console, "workshop console")
