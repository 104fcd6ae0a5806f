"""Seat bots in the live app: the console puts them in and takes them out, every screen labels
them, and they act through the services as the clock is ticked, like any browser's command.

Personas as in conftest: alice facilitates; bob plays the Mexican president, dave defence,
carol the US command; erin joined without a role.
"""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.test import Client
from django.urls import reverse

from exercises import engine, services
from exercises.engine import commands as c
from exercises.models import Event, Exercise

pytestmark = pytest.mark.django_db
W0 = 1_000_000_000.0


def _console_do(browser: Client, exercise: Exercise, **fields):
    return browser.post(reverse("console_command", args=[exercise.code]), fields, HTTP_HX_REQUEST="true")


def _events(exercise: Exercise, *types: str) -> list[Event]:
    return list(Event.objects.filter(exercise=exercise, type__in=types).order_by("seq"))


def _page(browser: Client, name: str, code: str, lang: str = "en") -> str:
    browser.cookies["django_language"] = lang
    return browser.get(reverse(name, args=[code])).content.decode()


def test_the_facilitator_seats_a_bot_in_an_empty_seat_and_takes_it_out(alice_client, mini_table) -> None:
    response = _console_do(alice_client, mini_table, type="seat_bot", role="adviser")
    assert response.status_code == 200 and b"error" not in response.content
    page = _page(alice_client, "console", mini_table.code)
    assert 'name="type" value="unseat_bot"' in page and "take the bot out" in page
    assert page.count('name="type" value="seat_bot"') == 5  # the other empty seats, and the Senate
    _console_do(alice_client, mini_table, type="unseat_bot", role="adviser")
    seated, unseated = _events(mini_table, "bot_seated", "bot_unseated")
    assert (seated.type, seated.role, seated.actor, seated.payload) == (
        "bot_seated",
        "adviser",
        "facilitator",
        {"role": "adviser", "policy": "role"},
    )
    assert (unseated.type, unseated.role) == ("bot_unseated", "adviser")


def test_the_console_controls_speak_spanish(alice_client, mini_table) -> None:
    _console_do(alice_client, mini_table, type="seat_bot", role="adviser")
    page = _page(alice_client, "console", mini_table.code, "es")
    assert "sacar al bot" in page and "+ bot" in page and "Un bot juega como Asesor" in page


def test_a_player_cannot_seat_a_bot(bob, mini_table, caplog) -> None:
    """A player's seat_bot is a forged frame (the UI never offers it): refused 403, kept out of the
    record, written to the security log (issue #9 item 10).

    Mutation: drop ``seat_bot`` from ``FACILITATOR_ONLY`` → the bot is seated."""
    with caplog.at_level("WARNING", logger="crisis_table.security"):
        response = bob.post(reverse("play_command", args=[mini_table.code]), {"type": "seat_bot", "role": "adviser"})
    assert response.status_code == 403
    assert not _events(mini_table, "bot_seated", "command_rejected")
    assert any("forbidden_command" in r.getMessage() and "seat_bot" in r.getMessage() for r in caplog.records)


def test_every_screen_labels_the_bot(alice_client, bob, erin, client, mini_table) -> None:
    """The roster, the lobby, the room's table, the projector and the feed all say "bot".

    Mutation: ``present.seats`` leaving ``bot`` empty → the seat reads "free" on the lobby.
    """
    _console_do(alice_client, mini_table, type="seat_bot", role="adviser")
    lobby = _page(erin, "play", mini_table.code)
    assert "played by a bot" in lobby and 'aria-label="Take the role Adviser"' not in lobby
    assert "lo juega un bot" in _page(erin, "play", mini_table.code, "es")
    room = _page(bob, "play", mini_table.code)
    assert 'class="badge badge-bot">bot</span>' in room
    assert "played by a bot" in _page(client, "projector", mini_table.code)
    console = _page(alice_client, "console", mini_table.code)
    assert "A bot plays Adviser" in console and "badge-bot" in console


def test_the_bot_plays_through_the_services_as_the_clock_ticks(alice_client, dave, mini_table) -> None:
    """A bot in the president's seat asks the Senate to travel (its objective) when the ticker ticks."""
    for cmd in (c.SeatBot(role="president"), c.Start()):
        services.execute(exercise_id=mini_table.pk, actor=engine.FACILITATOR, command=cmd, now=W0)
    wall = W0
    while not _events(mini_table, "action_proposed") and wall < W0 + 600:
        wall += 2  # the worker's ticker
        services.tick(mini_table.pk, now=wall)
    proposed = _events(mini_table, "action_proposed")
    assert proposed and proposed[0].actor == "bot:president" and proposed[0].payload["action"] == "travel"
    assert wall - W0 >= 15  # not at the first tick: it thinks first
    console = _page(alice_client, "console", mini_table.code)
    assert "Proposed: Travel to Washington" in console
    room = _page(dave, "play", mini_table.code)  # dave's side sees the proposal, by a bot
    assert "Travel to Washington" in room


def test_a_bot_answers_for_its_institution_so_the_console_does_not(alice_client, bob, mini_table) -> None:
    # The console's commands run on the real clock: so does this table (an hour of game time is a minute).
    services.execute(exercise_id=mini_table.pk, actor=engine.FACILITATOR, command=c.SeatBot(role="senate"))
    services.execute(exercise_id=mini_table.pk, actor=engine.FACILITATOR, command=c.Start())
    actor = engine.Actor(kind="participant", participant=bob.participant.pk)
    services.execute(exercise_id=mini_table.pk, actor=actor, command=c.ProposeAction(action="travel"))
    console = _page(alice_client, "console", mini_table.code)
    assert "No institution is waiting for an answer." in console
    proposal = _events(mini_table, "action_proposed")[0].seq
    response = _console_do(
        alice_client, mini_table, type="resolve_approval", proposal=str(proposal), approver="senate", grant="1"
    )
    assert "role filled" in response.content.decode()
    assert _events(mini_table, "command_rejected")[-1].payload["rule"] == "role_filled"


def test_the_act_as_panel_sends_the_facilitator_to_the_roster_for_a_bots_role(alice_client, mini_table) -> None:
    _console_do(alice_client, mini_table, type="seat_bot", role="adviser")
    panel = alice_client.get(reverse("console_as", args=[mini_table.code, "adviser"])).content.decode()
    assert "A bot plays Adviser" in panel and "send_message" not in panel
    page = _page(alice_client, "console", mini_table.code)
    assert '<option value="adviser">' not in page  # not offered as an unfilled role


def test_a_bot_line_reads_in_each_players_language(bob, dave, mini_table) -> None:
    services.execute(exercise_id=mini_table.pk, actor=engine.FACILITATOR, command=c.SeatBot(role="adviser"), now=W0)
    bot = engine.Actor(kind="bot", role="adviser")
    line = c.BotMessage(channel="cabinet", text="Back the plan.", text_es="Respalde el plan.")
    assert services.execute(exercise_id=mini_table.pk, actor=bot, command=line, now=W0).ok
    assert "Back the plan." in _page(dave, "play", mini_table.code, "en")
    spanish = _page(bob, "play", mini_table.code, "es")
    assert "Respalde el plan." in spanish and "Back the plan." not in spanish


def test_a_bots_refusal_while_the_clock_caught_up_is_not_the_commands() -> None:
    """Mutation: ``Result.rejection`` without the actor check → a player is told a bot's refusal."""
    bots = engine.Event(seq=5, type="command_rejected", game_time=0, payload={"rule": "R6"}, actor="bot:defence")
    mine = engine.Event(seq=6, type="message_sent", game_time=0, payload={}, actor="p:bob")
    assert services.Result([bots, mine], "p:bob").rejection is None
    refused = engine.Event(seq=7, type="command_rejected", game_time=0, payload={"rule": "R6"}, actor="p:bob")
    assert services.Result([bots, refused], "p:bob").rejection is refused


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_console_socket_seats_a_bot_and_every_console_sees_it(mini_table, alice_client) -> None:
    from tests.test_consumers_ui import _connect, _drain, _send

    last = await database_sync_to_async(lambda: Exercise.objects.get(pk=mini_table.pk).last_seq)()
    console = await _connect(f"/ws/exercise/{mini_table.code}/console/", alice_client)
    await _send(console, type="resume", last=last)
    await _drain(console)
    await _send(console, type="seat_bot", role="foreign")
    frames = "".join(await _drain(console))
    assert 'id="roster"' in frames and "Take the bot out of Foreign minister" in frames
    await console.disconnect()


def test_the_review_names_bots_and_their_seating(mini_table, dave) -> None:
    import review.analytics
    import review.log
    import review.wording

    for cmd in (c.SeatBot(role="president"), c.Start()):
        services.execute(exercise_id=mini_table.pk, actor=engine.FACILITATOR, command=cmd, now=W0)
    wall = W0
    while not _events(mini_table, "action_proposed") and wall < W0 + 600:
        wall += 5
        services.tick(mini_table.pk, now=wall)
    review.analytics.clear_cache()
    log = review.log.load(Exercise.objects.get(pk=mini_table.pk), lang="en")
    lines = [review.wording.describe(log, e) for e in log.entries]
    assert "A bot plays President" in lines
    proposed = next(e for e in log.entries if e.type == "action_proposed")
    assert log.actor_label(proposed.actor) == "Bot"
