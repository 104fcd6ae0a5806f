"""The console's instructor notes in a real browser: a scripted release marks its row in place.

A release pushes that inject's row alone (``screens.frames._notes``), which static/js/app.js swaps
by id: the row says "released", and the phase the facilitator had opened to read ahead stays open
(the whole panel, pushed before, reopened only the current phase and closed the others). A phase
change still pushes the whole panel, with the new phase open; the phases the reader opened have
ids, so app.js opens them again after that swap too.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.test_journeys import _facilitate, _started_table

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_scripted_release_marks_its_note_and_leaves_the_reader_s_phases_open(
    browser: Browser, live_asgi: str, library, facilitator, csp_watch
):
    """Mutations: ``frames._notes`` pushing the whole panel on a release (red: the panel is a new
    element); app.js's template branch limited to ``#inject-rows`` (red: the row stays unreleased
    on screen); the phases' ``<details>`` without ids (red: the phase change closes the one the
    facilitator opened)."""
    console, code, seen, _president = _started_table(browser, live_asgi, facilitator, csp_watch)

    notes = console.locator("#instructor-notes")
    expect(notes.locator("details.instr-phase.is-current")).to_have_count(1)
    row = notes.locator("#instr-inject-washington_asks_position")
    expect(row).to_have_count(1)
    expect(row).not_to_have_class("instr-inject is-released")
    # the facilitator reads ahead: the last phase opened by hand
    title = notes.locator("details.instr-phase:not(.is-current) .instr-phase-title").nth(1).inner_text()
    ahead = notes.locator("details.instr-phase").filter(has=console.get_by_text(title, exact=True))
    ahead.locator("summary").click()
    expect(ahead).to_have_attribute("open", "")
    console.evaluate("document.getElementById('instructor-notes').dataset.before = 'yes'")

    _facilitate(console, code, type="release_inject", inject="washington_asks_position")
    expect(row).to_have_class("instr-inject is-released")
    expect(row.locator(".badge-ok")).to_have_text("released")
    expect(notes.locator("#instr-inject-washington_asks_position")).to_have_count(1)
    expect(console.locator("#instructor-notes[data-before]")).to_have_count(1)  # the panel was not replaced
    expect(ahead).to_have_attribute("open", "")

    # a phase change: the whole panel, the new phase open, and the one the reader opened still open
    # (the phases have ids, which app.js reopens after a swap)
    _facilitate(console, code, type="advance_phase")
    expect(console.locator("#instructor-notes[data-before]")).to_have_count(0)
    expect(notes.locator("details.instr-phase.is-current")).to_have_attribute("open", "")
    expect(ahead).to_have_attribute("open", "")
    expect(notes.locator("#instr-inject-washington_asks_position")).to_have_class("instr-inject is-released")
    assert seen == []
