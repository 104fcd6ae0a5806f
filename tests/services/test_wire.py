"""The hub's wire on Redis pub/sub (``exercises.wire.RedisWire``), against a real Redis.

What the hub counts on: after ``join`` returns, every message sent to the group is received,
in order; a failure of the subscription is never silent (``receive`` raises, so the hub re-joins
and its sockets catch up from the log); ``rejoin`` makes it hear again; a process with no hub
(``send_now``) reaches the same channel.
"""

from __future__ import annotations

import asyncio
import os

import pytest
import redis

from exercises import wire

pytestmark = [pytest.mark.services]


def _url() -> str:
    return os.environ["REDIS_URL"]


def _prefix() -> str:
    return os.environ.get("CT_REDIS_PREFIX", "asgi") + "-wire"


async def _receive(w: wire.RedisWire, seconds: float = 5.0) -> dict:
    return await asyncio.wait_for(w.receive(), seconds)


def test_the_hub_uses_pub_sub_on_the_layer_s_redis_unless_turned_off(settings) -> None:
    """Mutation: ``make_wire`` returning the layer's wire always turns the first assertion red."""
    assert isinstance(wire.make_wire(), wire.RedisWire)
    settings.CRISIS_TABLE = {**settings.CRISIS_TABLE, "HUB_PUBSUB": False}
    assert isinstance(wire.make_wire(), wire.LayerWire)


def test_a_joined_group_hears_every_message_in_order_and_another_group_nothing() -> None:
    async def run() -> tuple[list[int], bool]:
        hub, other, sender = (wire.RedisWire(_url(), _prefix()) for _ in range(3))
        try:
            await hub.join("ct.ex.1")
            await other.join("ct.ex.2")
            for seq in range(1, 51):
                await sender.send("ct.ex.1", {"type": "ct.events", "exercise": 1, "events": [{"seq": seq}]})
            got = [(await _receive(hub))["events"][0]["seq"] for _ in range(50)]
            with pytest.raises(TimeoutError):
                await _receive(other, 0.3)
            return got, True
        finally:
            for w in (hub, other, sender):
                await w._close()

    got, _ = asyncio.run(run())
    assert got == list(range(1, 51))


def test_a_lost_subscription_raises_in_receive_and_rejoin_hears_again() -> None:
    """Redis drops the hub's subscriber connection (a restart, a ``CLIENT KILL``): what was
    published meanwhile is gone, so ``receive`` must raise rather than go on quietly, and a
    ``rejoin`` must hear the next messages. Mutation: ``_read`` reading on after a failed read
    (Channels' own pub/sub layer logs the error and goes on) turns the first assertion red: the
    message sent while the subscription was down is simply never seen, and nothing says so."""

    async def run() -> tuple[str, int]:
        hub, sender = wire.RedisWire(_url(), _prefix()), wire.RedisWire(_url(), _prefix())
        try:
            await hub.join("ct.ex.3")
            await sender.send("ct.ex.3", {"n": 1})
            assert (await _receive(hub))["n"] == 1
            host, port = hub.pubsub.connection._writer.get_extra_info("sockname")[:2]
            killed = redis.Redis.from_url(_url()).client_kill_filter(addr=f"{host}:{port}")
            assert killed == 1  # this hub's subscriber connection, nobody else's
            await sender.send("ct.ex.3", {"n": 2})  # nobody subscribed: lost on the wire
            try:
                await _receive(hub)
                outcome = "no error"
            except TimeoutError:
                outcome = "silent"
            except Exception as exc:  # noqa: BLE001 - what the hub's listener sees
                outcome = type(exc).__name__
            await hub.rejoin(["ct.ex.3"])
            await sender.send("ct.ex.3", {"n": 3})
            return outcome, (await _receive(hub))["n"]
        finally:
            await hub._close()
            await sender._close()

    outcome, after = asyncio.run(run())
    assert outcome not in ("silent", "no error"), "a lost subscription went unnoticed"
    assert after == 3


def test_a_process_without_a_hub_sends_on_the_same_channel(settings) -> None:
    """``fanout.publish`` from a management command or a test thread (``wire.send_now``) reaches
    the hubs. Mutation: sending through the channel layer there turns this red."""

    async def run() -> dict:
        hub = wire.RedisWire(*wire._redis_of_layer())  # type: ignore[misc]
        try:
            await hub.join("ct.ex.4")
            await asyncio.to_thread(wire.send_now, "ct.ex.4", {"type": "ct.signal", "exercise": 4})
            return await _receive(hub)
        finally:
            await hub._close()

    assert asyncio.run(run())["exercise"] == 4
