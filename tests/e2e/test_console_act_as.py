"""The console's act-as panel in a real browser, driven by htmx attributes only.

The role picker loads the panel (``hx-get`` on the select); the panel reloads itself when the
pushes of a command have settled (``ct:update``, 400 ms debounce) and the action the facilitator
had open stays open (static/js/app.js, ``data-keep-open``); a message sent from it goes out as the
role; choosing no role empties it. No Content-Security-Policy report and no htmx refusal on the way.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.test_journeys import _facilitate, _started_table

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_facilitator_plays_an_unfilled_role_from_the_console(
    browser: Browser, live_asgi: str, library, facilitator, csp_watch
):
    """Mutations: the panel partial without its ``hx-trigger`` (red: the marked panel is never
    replaced); app.js without the ``data-keep-open`` listeners (red: the action closes)."""
    console, code, seen, _president = _started_table(browser, live_asgi, facilitator, csp_watch)

    # --- the picker loads the panel of the chosen role
    console.select_option("#as-role", "mx_adviser")
    panel = console.locator("#act-as-panel .act-as[data-role='mx_adviser']")
    expect(panel).to_be_visible()
    action = panel.locator("details[id$='-as']").first
    action_id = action.get_attribute("id")
    action.locator("summary").click()
    opened = console.locator(f"[id='{action_id}']")
    expect(opened).to_have_attribute("open", "")

    # --- a command's pushes reload it (a new element), and the open action stays open
    console.evaluate("document.querySelector('#act-as-panel .act-as').dataset.before = 'yes'")
    _facilitate(console, code, type="adhoc_inject", title="A push for the console", text="Pushed.", recipients="all")
    expect(console.locator("#act-as-panel .act-as[data-before]")).to_have_count(0)
    expect(panel).to_be_visible()
    expect(opened).to_have_attribute("open", "")

    # --- a message from the panel goes out as the role
    channel = console.locator("#as-channel option:not([disabled])").first.get_attribute("value")
    console.select_option("#as-channel", channel)
    console.fill("#as-text", "The adviser, played from the console.")
    panel.get_by_role("button", name="Send").click()
    expect(console.locator("li.msg", has_text="The adviser, played from the console.").first).to_be_attached()
    expect(console.locator("li.msg", has_text="The adviser, played from the console.").first).to_contain_text(
        "National Security Adviser"
    )

    # --- no role chosen: an empty panel
    console.select_option("#as-role", "")
    expect(console.locator("#act-as-panel")).to_be_empty()
    assert seen == []
