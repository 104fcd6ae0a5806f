"""A scripted release in a real browser: an action that requires the inject unblocks, live.

The actions gate (``screens.frames._moves_actions``) rebuilds a role's actions for a release only
when an action's requirement names that inject. Here the President of Mexico's answer to the calls
for his foreign minister's dismissal is blocked until those calls come: another release leaves it
blocked, and the calls' release turns it available on his screen without a reload.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.test_journeys import _facilitate, _shoot, _started_table

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_release_an_action_requires_unblocks_it_on_the_player_s_screen(
    browser: Browser, live_asgi: str, library, facilitator, csp_watch, shots
):
    """Mutation: ``frames._moves_actions`` answering False for a release (red: the action stays
    "blocked" on the president's screen)."""
    console, code, seen, president = _started_table(browser, live_asgi, facilitator, csp_watch)
    for _ in range(2):  # the prelude, the first day: the answer belongs to the cabinet's split
        _facilitate(console, code, type="advance_phase")
    card = president.locator("li.action:has(#act-mx_president_answer_dismissal_calls)")
    expect(card).to_have_class(re.compile(r"\bis-blocked\b"))

    _facilitate(console, code, type="release_inject", inject="us_consults_partners")  # no action needs it
    expect(president.locator("#feed")).to_contain_text("Washington consults its neighbours")
    expect(card).to_have_class(re.compile(r"\bis-blocked\b"))

    _facilitate(console, code, type="release_inject", inject="calls_to_dismiss_castaneda")
    expect(card).not_to_have_class(re.compile(r"\bis-blocked\b"))
    expect(card.locator(".badge-ok")).to_have_text("available")
    card.locator("summary").click()
    _shoot(president, shots / "action-unblocked-by-release.png")
    assert seen == []
