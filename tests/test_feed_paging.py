"""Long exercises stay light: a page words only the feed it shows, and a channel shows its newest
messages with a link to the ones before (the review's replay is the same page at an earlier seq,
so it gains the same)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from exercises import engine, selectors, services
from exercises.bots import simulate
from exercises.engine import commands as c
from exercises.screens import contexts, feed
from exercises.screens.snapshot import Snapshot
from scenarios.library import latest, sync_library

pytestmark = pytest.mark.django_db


@pytest.fixture
def long_exercise(db):
    sync_library()
    return simulate(latest("september-2001"), seed=2).exercise


def _viewers(snap: Snapshot) -> list[engine.Viewer]:
    roles = [r.id for r in snap.scenario.roles if not r.institution][:4]
    return [engine.FACILITATOR_VIEW, engine.PUBLIC_VIEW, *(engine.Viewer(role=r) for r in roles)]


def test_a_page_words_only_its_newest_cards_and_they_are_the_whole_feeds(long_exercise) -> None:
    """The first FEED_PAGE cards of the limited feed are the whole feed's, card for card, for
    the facilitator, the projector and four roles, at five moments of a simulated exercise.

    (The widening of the tail is tested with messages, which make no card, in the next test.)"""
    last = long_exercise.last_seq
    for upto in (40, last // 4, last // 2, 3 * last // 4, last):
        snap = Snapshot.load(long_exercise, upto=upto)
        for viewer in _viewers(snap):
            events = selectors.visible_log(long_exercise.pk, viewer, upto=upto)
            whole = feed.feed(snap, events, viewer, "en")
            page = feed.feed(snap, events, viewer, "en", limit=feed.FEED_PAGE)
            assert page[: feed.FEED_PAGE] == whole[: feed.FEED_PAGE], (upto, viewer)
            assert (len(page) > feed.FEED_PAGE) == (len(whole) > feed.FEED_PAGE)


def _seated(exercise, name: str, role: str) -> tuple[Client, engine.Actor]:
    browser = Client()
    browser.post(reverse("join", args=[exercise.code]), {"name": name})
    participant = selectors.participant_for(browser.session, exercise)
    assert participant is not None
    actor = engine.Actor(kind="participant", participant=participant.pk)
    services.execute(exercise_id=exercise.pk, actor=actor, command=c.ClaimRole(role=role))
    return browser, actor


def test_a_channel_shows_its_newest_messages_and_pages_back_to_the_first(mini_table, alice_client) -> None:
    """130 cabinet messages: the room shows the newest MESSAGE_PAGE with "Show older messages";
    that link gives the page before, and so on back to the first, with no link on the last page.
    The US command may not page the cabinet. Messages make no feed card, so the feed's tail must
    widen to reach the cards before them.

    Mutation: drop the channel check in ``views.common._older_messages`` -> the US command reads
    the cabinet (red). Mutation: return ``_feed`` of the first tail without widening it
    (``if True:`` in ``feed.feed``) -> red (the room's feed is empty)."""
    defence, actor = _seated(mini_table, "Bob", "defence")
    us, _us_actor = _seated(mini_table, "Dan", "us_command")
    services.execute(exercise_id=mini_table.pk, actor=engine.FACILITATOR, command=c.Start())
    total = 130
    for n in range(total):
        command = c.SendMessage(channel="cabinet", text=f"line {n:03d}")
        services.execute(exercise_id=mini_table.pk, actor=actor, command=command)
    snap = Snapshot.load(mini_table)
    viewer = engine.Viewer(role="defence", participant=actor.participant)
    events = selectors.visible_log(mini_table.pk, viewer)
    whole = feed.feed(snap, events, viewer, "en")
    assert whole and feed.feed(snap, events, viewer, "en", limit=feed.FEED_PAGE) == whole[: feed.FEED_PAGE + 1]

    page = defence.get(reverse("play", args=[mini_table.code])).content.decode()
    end, pages = total, 0
    while True:
        start = max(0, end - feed.MESSAGE_PAGE)
        assert re.findall(r"line (\d{3})", page) == [f"{n:03d}" for n in range(start, end)], (start, end)
        older = re.search(r'hx-get="(/x/[^"]+/channel/cabinet/\?before=\d+)"', page)
        if start == 0:
            assert older is None
            break
        assert older is not None
        if pages == 0:
            assert us.get(older.group(1)).status_code == 404  # not a member: no such channel for them
        page, end, pages = defence.get(older.group(1)).content.decode(), start, pages + 1
    assert pages == 2
    console = alice_client.get(reverse("console", args=[mini_table.code])).content.decode()
    assert "/console/channel/cabinet/?before=" in console  # the facilitator pages through the console's route
    assert contexts.message_page(snap, engine.FACILITATOR_VIEW, "cabinet", [])[1] == ""
