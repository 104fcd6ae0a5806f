"""Replay is the live room at an earlier seq (issue #10 item 3).

Each test plays a table move by move through the real views, records what a screen showed
after each move, and then asks the review's replay for that moment: the replayed fragment must
be the recorded one, byte for byte. There is no second drawing to drift from the first.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime
from unittest import mock

import pytest
from django.urls import reverse

import review.analytics
from exercises import engine, services
from exercises.engine import commands as c
from exercises.models import Event

pytestmark = pytest.mark.django_db

W0 = 1_000_000_000.0  # 2001-09-09 01:46:40 UTC: a fixed wall clock, so clocks can be compared


@contextmanager
def at_wall(wall: float):
    """Rows written and screens drawn inside happen at ``wall`` (the clock bar reads it)."""
    moment = datetime.fromtimestamp(wall, tz=UTC)
    with mock.patch("django.utils.timezone.now", return_value=moment), mock.patch("time.time", return_value=wall):
        yield


def element(html: str, element_id: str) -> str:
    """The source of the element with this id (a div or section), nested tags included."""
    start = html.find(f'id="{element_id}"')
    assert start != -1, f"no #{element_id} in the page"
    start = html.rfind("<", 0, start)
    tag = html[start + 1 : html.find(" ", start)]
    depth, cursor = 0, start
    while True:
        opening = html.find(f"<{tag}", cursor)
        closing = html.find(f"</{tag}>", cursor)
        if opening != -1 and opening < closing:
            depth, cursor = depth + 1, opening + 1
            continue
        depth, cursor = depth - 1, closing + len(tag) + 3
        if depth == 0:
            return html[start:cursor]


def replayed(client, exercise, role: str, seq: int) -> str:
    url = reverse("review:replay", args=[exercise.code]) + f"?role={role}&seq={seq}&by=seq"
    response = client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    return response.content.decode()


def _moves(players):
    """The table's moves: (who, command); who is a role or "facilitator"."""
    return [
        ("facilitator", c.Start()),
        ("defence", c.SendMessage(channel="cabinet", text="Cabinet only: the army stays home.")),
        ("president", c.ProposeAction(action="statement", option="total", rationale="Stand with them.")),
        ("us_command", c.ProposeAction(action="unilateral", rationale="We cannot wait.")),
        ("president", c.SendMessage(channel="press", text="We stand with our neighbours.")),
        ("facilitator", c.ReleaseInject(inject="leak_story")),
        ("defence", c.ProposeAction(action="deploy_abroad", rationale="Only with the Senate.")),
    ]


@pytest.fixture
def table(mini_table, seat, alice_client):
    players = {role: seat(mini_table, name, role) for name, role in [("Ann", "president"), ("Bob", "defence")]}
    players["us_command"] = seat(mini_table, "Dan", "us_command")
    return mini_table, players, alice_client


def _actor(players, who: str) -> engine.Actor:
    if who == "facilitator":
        return engine.FACILITATOR
    return engine.Actor(kind="participant", participant=players[who].participant.pk)


def test_the_replay_of_a_role_is_the_room_it_saw_after_every_move(table) -> None:
    """After every move, Defence's live room (#ct-main) equals the replay of Defence at that seq.

    Mutation: replay at the exercise's current state (fold every entry of the log in
    ``review.replay.screen``, not those up to ``seq``) -> red at the first earlier seq.
    Mutation: replay with every event instead of Defence's visible ones -> red (the US card).
    """
    exercise, players, staff = table
    seen: dict[int, str] = {}
    wall = W0
    for who, command in _moves(players):
        wall += 60
        with at_wall(wall):
            services.execute(exercise_id=exercise.pk, actor=_actor(players, who), command=command, now=wall)
            exercise.refresh_from_db()
            seen[exercise.last_seq] = element(
                players["defence"].get(reverse("play", args=[exercise.code])).content.decode(), "ct-main"
            )
    assert len(set(seen.values())) == len(seen)  # every move changed Defence's screen: the test can tell them apart
    review.analytics.clear_cache()
    for seq, live in seen.items():
        assert element(replayed(staff, exercise, "defence", seq), "ct-main") == live, f"seq {seq}"


def test_the_projector_and_the_console_replay_their_own_panels(table) -> None:
    """The projector's feed and indicators, and the console's feed, injects and indicators, replayed.

    Mutation: give the projector replay the facilitator's viewer -> red (the US proposal shows).
    """
    exercise, players, staff = table
    board: dict[int, tuple[str, str]] = {}
    desk: dict[int, tuple[str, str, str]] = {}
    wall = W0
    for who, command in _moves(players):
        wall += 60
        with at_wall(wall):
            services.execute(exercise_id=exercise.pk, actor=_actor(players, who), command=command, now=wall)
            exercise.refresh_from_db()
            projector = staff.get(reverse("projector", args=[exercise.code])).content.decode()
            board[exercise.last_seq] = (element(projector, "feed"), element(projector, "indicators"))
            console = staff.get(reverse("console", args=[exercise.code])).content.decode()
            desk[exercise.last_seq] = (
                element(console, "feed"),
                element(console, "injects"),
                element(console, "indicators"),
            )
    review.analytics.clear_cache()
    for seq, (feed, indicators) in board.items():
        html = replayed(staff, exercise, "", seq)
        assert (element(html, "feed"), element(html, "indicators")) == (feed, indicators), f"projector at {seq}"
        assert "We cannot wait." not in html
    for seq, panels in desk.items():
        html = replayed(staff, exercise, "facilitator", seq)
        assert tuple(element(html, i) for i in ("feed", "injects", "indicators")) == panels, f"console at {seq}"


def test_the_replayed_screen_takes_no_moves_and_keeps_secrets(table) -> None:
    """The replayed room is inert (no form can act on the past), and each role sees only its own.

    Mutation: drop ``inert`` from review/_replay_screen.html -> red.
    """
    exercise, players, staff = table
    wall = W0
    for who, command in _moves(players):
        wall += 60
        with at_wall(wall):
            services.execute(exercise_id=exercise.pk, actor=_actor(players, who), command=command, now=wall)
    review.analytics.clear_cache()
    last = Event.objects.filter(exercise=exercise).count()
    defence = replayed(staff, exercise, "defence", last)
    assert 'class="rv-live-frame screen-play" inert' in defence
    assert "Cabinet only: the army stays home." in defence and "We cannot wait." not in defence
    us = replayed(staff, exercise, "us_command", last)
    assert "We cannot wait." in us and "Cabinet only: the army stays home." not in us
