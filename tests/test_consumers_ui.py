"""The WebSocket face as a browser meets it: who may connect, what each socket receives,
resume after a drop, and frames that try to cheat.
"""

from __future__ import annotations

import json
import re
import time

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from config.asgi import application
from exercises import engine, services
from exercises.engine import commands as c
from exercises.models import Event
from tests.seats import SeatedClient

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

ORIGIN = (b"origin", b"http://127.0.0.1")
HOST = (b"host", b"127.0.0.1")
SEQ = re.compile(r'id="ct-seq" data-seq="(\d+)"')


def _cookie(browser: Client) -> tuple[bytes, bytes]:
    return (b"cookie", f"sessionid={browser.cookies['sessionid'].value}".encode())


async def _connect(path: str, browser: Client | None = None, language: str = "") -> WebsocketCommunicator:
    headers = [ORIGIN, HOST] + ([_cookie(browser)] if browser is not None else [])
    if language:
        headers.append((b"accept-language", language.encode()))
    socket = WebsocketCommunicator(application, path, headers=headers)
    connected, _code = await socket.connect()
    assert connected, path
    return socket


async def _drain(socket: WebsocketCommunicator, quiet: float = 0.4, limit: float = 5.0) -> list[str]:
    """Every frame until the socket has been quiet for ``quiet`` seconds (at most ``limit``).

    ``receive_nothing``, not a timed-out ``receive_from``: that would cancel the application.
    """
    frames: list[str] = []
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and not await socket.receive_nothing(timeout=quiet):
        frames.append(await socket.receive_from())
    return frames


async def _send(socket: WebsocketCommunicator, **frame) -> None:
    await socket.send_to(text_data=json.dumps(frame))


def _as(browser: SeatedClient) -> engine.Actor:
    return engine.Actor(kind="participant", participant=browser.participant.pk)


execute = database_sync_to_async(services.execute)


async def test_it_closes_the_door_on_a_stranger(mini_table):
    socket = WebsocketCommunicator(application, f"/ws/exercise/{mini_table.code}/", headers=[ORIGIN, HOST])
    connected, code = await socket.connect()
    assert not connected and code == 4403


async def test_it_keeps_the_console_socket_for_facilitators(mini_table, bob, mallory_client, alice_client):
    for outsider in (bob, mallory_client):
        socket = WebsocketCommunicator(
            application, f"/ws/exercise/{mini_table.code}/console/", headers=[ORIGIN, HOST, _cookie(outsider)]
        )
        connected, code = await socket.connect()
        assert not connected and code == 4403
    console = await _connect(f"/ws/exercise/{mini_table.code}/console/", alice_client)
    await _send(console, type="resume", last=0)
    assert any("exercise_created" in f or "Exercise created" in f for f in await _drain(console))
    await console.disconnect()


async def test_it_pushes_a_channel_message_to_its_members_only(mini_table, bob, carol, dave):
    await execute(exercise_id=mini_table.pk, actor=engine.FACILITATOR, command=c.Start())
    sockets = {}
    for name, browser in (("bob", bob), ("carol", carol)):
        sockets[name] = await _connect(f"/ws/exercise/{mini_table.code}/", browser)
        await _send(sockets[name], type="resume", last=await database_sync_to_async(_last_seq)(mini_table))
        await _drain(sockets[name])
    dave_socket = await _connect(f"/ws/exercise/{mini_table.code}/", dave)
    await _send(dave_socket, type="resume", last=await database_sync_to_async(_last_seq)(mini_table))
    await _drain(dave_socket)
    await _send(
        dave_socket,
        type="send_message",
        channel="cabinet",
        text="only Mexico reads this",
        HEADERS={"HX-Request": "true"},
    )
    bobs = "".join(await _drain(sockets["bob"]))
    carols = "".join(await _drain(sockets["carol"]))
    assert "only Mexico reads this" in bobs and "beforeend:#msgs-cabinet" in bobs
    assert "only Mexico reads this" not in carols
    assert SEQ.search(carols)  # carol's marker still moves: nothing to replay later
    for socket in (*sockets.values(), dave_socket):
        await socket.disconnect()


def _last_seq(exercise) -> int:
    exercise.refresh_from_db()
    return exercise.last_seq


async def test_it_resumes_with_everything_missed_in_order_and_nothing_twice(mini_table, bob, dave):
    await execute(exercise_id=mini_table.pk, actor=engine.FACILITATOR, command=c.Start())
    socket = await _connect(f"/ws/exercise/{mini_table.code}/", bob)
    await _send(socket, type="resume", last=0)
    first = "".join(await _drain(socket))
    seen = int(SEQ.findall(first)[-1])
    await socket.disconnect()  # the lid closes
    for n in range(3):
        await execute(
            exercise_id=mini_table.pk, actor=_as(dave), command=c.SendMessage(channel="cabinet", text=f"missed {n}")
        )
    socket = await _connect(f"/ws/exercise/{mini_table.code}/", bob)
    await _send(socket, type="resume", last=seen)
    caught_up = "".join(await _drain(socket))
    ids = re.findall(r'<li id="(msg-\d+)"', caught_up)
    assert [caught_up.index(f"missed {n}") for n in range(3)] == sorted(
        caught_up.index(f"missed {n}") for n in range(3)
    )
    assert len(ids) == len(set(ids)) == 3
    assert int(SEQ.findall(caught_up)[-1]) == await database_sync_to_async(_last_seq)(mini_table)
    # and live again: the next event arrives as a push
    await execute(
        exercise_id=mini_table.pk, actor=_as(dave), command=c.SendMessage(channel="cabinet", text="live again")
    )
    assert "live again" in "".join(await _drain(socket))
    await socket.disconnect()


async def test_it_refuses_a_forged_frame_naming_another_role(mini_table, bob):
    await execute(exercise_id=mini_table.pk, actor=engine.FACILITATOR, command=c.Start())
    socket = await _connect(f"/ws/exercise/{mini_table.code}/", bob)
    await _send(socket, type="resume", last=await database_sync_to_async(_last_seq)(mini_table))
    await _drain(socket)
    await _send(socket, type="send_message", channel="cabinet", text="I am defence", as_role="defence")
    answer = "".join(await _drain(socket))
    assert "toast-error" in answer and "You are not allowed to do this." in answer
    await _send(socket, type="send_message", channel="cabinet", text="x", participant="someone-else")
    assert "toast-error" in "".join(await _drain(socket))  # an unknown field: refused before the engine
    assert not await database_sync_to_async(Event.objects.filter(exercise=mini_table, type="message_sent").exists)()
    await socket.disconnect()


async def test_it_refuses_an_oversized_frame(mini_table, bob):
    socket = await _connect(f"/ws/exercise/{mini_table.code}/", bob)
    await _send(socket, type="send_message", channel="cabinet", text="x" * 20_000)
    assert "That was too long to send." in "".join(await _drain(socket))
    await socket.disconnect()


async def test_it_keeps_the_projector_read_only(mini_table):
    socket = await _connect(f"/ws/exercise/{mini_table.code}/projector/")
    await _send(socket, type="start")
    await _drain(socket)
    assert await database_sync_to_async(_status)(mini_table) == "lobby"
    await socket.disconnect()


def _status(exercise) -> str:
    exercise.refresh_from_db()
    return exercise.status


async def test_it_tells_the_console_who_is_connected(mini_table, bob, alice_client):
    console = await _connect(f"/ws/exercise/{mini_table.code}/console/", alice_client)
    await _send(console, type="resume", last=await database_sync_to_async(_last_seq)(mini_table))
    await _drain(console)
    player = await _connect(f"/ws/exercise/{mini_table.code}/", bob)
    frames = "".join(await _drain(console))
    assert f'id="presence-{bob.participant.pk}" class="presence presence-connected"' in frames
    await player.disconnect()
    frames = "".join(await _drain(console))
    assert f'id="presence-{bob.participant.pk}" class="presence presence-away"' in frames
    await console.disconnect()


async def test_it_turns_the_lobby_into_the_room_when_a_role_is_claimed(mini_table, erin):
    socket = await _connect(f"/ws/exercise/{mini_table.code}/", erin)
    await _send(socket, type="resume", last=await database_sync_to_async(_last_seq)(mini_table))
    await _drain(socket)
    await _send(socket, type="claim_role", role="foreign")
    frames = "".join(await _drain(socket))
    assert 'id="ct-main" class="play-main mode-room"' in frames
    assert "Be seen." in frames  # now she may read her private brief
    await socket.disconnect()


async def test_it_speaks_the_language_of_the_browser(mini_table, bob):
    socket = await _connect(f"/ws/exercise/{mini_table.code}/", bob, language="es-MX,es;q=0.9")
    await _send(socket, type="start")
    assert "No tiene permiso para hacer esto." in "".join(await _drain(socket))
    await socket.disconnect()


async def test_commands_run_on_the_command_threads_when_there_are_some(mini_table, bob, settings, monkeypatch):
    """With ``CT_COMMAND_THREADS`` (the default on PostgreSQL) a socket's command runs on the
    worker's command threads, not on Channels' one database thread, and still lands and is
    pushed back. Mutation: ``consumers._on_command_thread`` always using Channels' thread turns
    this red."""
    import threading

    from exercises import push

    settings.CRISIS_TABLE = {**settings.CRISIS_TABLE, "COMMAND_THREADS": 2}
    monkeypatch.setattr(push, "_pools", {})
    threads: list[str] = []
    real = services.perform

    def perform(**kwargs):
        threads.append(threading.current_thread().name)
        return real(**kwargs)

    monkeypatch.setattr(services, "perform", perform)
    await execute(exercise_id=mini_table.pk, actor=engine.FACILITATOR, command=c.Start())
    socket = await _connect(f"/ws/exercise/{mini_table.code}/", bob)
    await _send(socket, type="resume", last=await database_sync_to_async(_last_seq)(mini_table))
    await _drain(socket)
    await _send(socket, type="send_message", channel="cabinet", text="from a command thread")
    assert any("from a command thread" in f for f in await _drain(socket))
    assert threads and all(name.startswith("ct-command") for name in threads), threads
    await socket.disconnect()
