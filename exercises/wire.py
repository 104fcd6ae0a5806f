"""How a worker's hub hears of the batches other workers (and its own commands) published.

What the hub (``exercises.fanout``) needs of the wire between workers: join a table's group,
leave it, send a message to a group, receive what was sent to the groups it joined, in order,
**raising** when the wire failed, and re-join after that (the hub then makes its sockets catch
up from the log: a batch lost on the wire must never go unnoticed).

- ``LayerWire``: Channels' channel layer (the in-memory layer of the one-process default; any
  layer). A group message is queued in the layer for each member channel.
- ``RedisWire`` (the default when the layer is channels-redis): Redis publish/subscribe on the
  layer's own server. One ``PUBLISH`` per batch and one pushed reply per subscribed worker,
  where the layer's group send took three round trips (clean the group, read it, a Lua script
  queueing the message) and each worker's receive two more (a blocking pop and the clean-up of
  its backup). At 40 tables that was a quarter of a worker's interpreter time (issue #11, part
  11; ``docs/performance.md``). Pub/sub keeps nothing for a subscriber that is not connected, so
  this wire never reconnects by itself: a read that fails raises in ``receive``, and the hub's
  re-join is a fresh subscription.

Channels' own ``RedisPubSubChannelLayer`` is not used for this: it logs a lost connection and
re-subscribes by itself, so its receiver never learns that messages were lost meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

import msgpack  # type: ignore[import-untyped]  # channels-redis's own serializer, installed with it
import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.client import PubSub
from redis.backoff import NoBackoff
from redis.retry import Retry

# How long a join waits for Redis to confirm the subscription: after it returns, every batch
# published is heard (a socket reads the log only after its hub joined the table's group).
JOIN_TIMEOUT = 10.0


class Wire(Protocol):
    async def start(self) -> None: ...

    async def join(self, group: str) -> None: ...

    async def leave(self, group: str) -> None: ...

    async def rejoin(self, groups: list[str]) -> None: ...

    async def send(self, group: str, message: dict[str, Any]) -> None: ...

    async def receive(self) -> dict[str, Any]: ...


class LayerWire:
    """The channel layer: one channel of the hub's own, added to each table's group."""

    def __init__(self) -> None:
        self.layer = get_channel_layer()
        self.channel = ""

    async def start(self) -> None:
        self.channel = await self.layer.new_channel("ct.hub.")

    async def join(self, group: str) -> None:
        await self.layer.group_add(group, self.channel)

    async def leave(self, group: str) -> None:
        await self.layer.group_discard(group, self.channel)

    async def rejoin(self, groups: list[str]) -> None:
        for group in groups:
            await self.layer.group_add(group, self.channel)

    async def send(self, group: str, message: dict[str, Any]) -> None:
        await self.layer.group_send(group, message)

    async def receive(self) -> dict[str, Any]:
        return await self.layer.receive(self.channel)


class RedisWire:
    """Redis publish/subscribe: a channel per table group, named with the layer's prefix and the
    Redis database (pub/sub channels are shared by every database of a server)."""

    def __init__(self, url: str, prefix: str) -> None:
        self.prefix = channel_prefix(url, prefix)
        # No retries: redis-py would reconnect and re-subscribe by itself, and what was published
        # meanwhile would be lost without the hub knowing. A failed read raises in ``receive``.
        self.pool = ConnectionPool.from_url(
            url, socket_timeout=None, socket_keepalive=True, retry=Retry(NoBackoff(), 0)
        )
        self.redis = Redis(connection_pool=self.pool)
        self.pubsub: PubSub | None = None
        self.queue: asyncio.Queue[dict[str, Any] | BaseException] = asyncio.Queue()
        self.confirmations: dict[bytes, asyncio.Future[None]] = {}
        self.reader: asyncio.Task[None] | None = None
        self.subscribed = asyncio.Event()

    def _name(self, group: str) -> str:
        return self.prefix + group

    async def start(self) -> None:
        self._open()

    def _open(self) -> PubSub:
        if self.pubsub is None:
            self.pubsub = PubSub(connection_pool=self.pool)
        if self.reader is None or self.reader.done():
            self.reader = asyncio.get_running_loop().create_task(self._read(self.pubsub))
        return self.pubsub

    async def join(self, group: str) -> None:
        await self._subscribe([self._name(group)])

    async def _subscribe(self, names: list[str]) -> None:
        pubsub = self._open()
        loop = asyncio.get_running_loop()
        waits = [self.confirmations.setdefault(name.encode(), loop.create_future()) for name in names]
        await pubsub.subscribe(*names)
        self.subscribed.set()
        await asyncio.wait_for(asyncio.gather(*waits), JOIN_TIMEOUT)

    async def leave(self, group: str) -> None:
        if self.pubsub is not None:
            await self.pubsub.unsubscribe(self._name(group))

    async def rejoin(self, groups: list[str]) -> None:
        """After a failure: a new connection and subscription (the old one may have missed messages)."""
        await self._close()
        if groups:
            await self._subscribe([self._name(g) for g in groups])

    async def send(self, group: str, message: dict[str, Any]) -> None:
        await self.redis.publish(self._name(group), _pack(message))

    async def receive(self) -> dict[str, Any]:
        item = await self.queue.get()
        if isinstance(item, BaseException):
            raise item
        return item

    async def _read(self, pubsub: PubSub) -> None:
        try:
            while True:
                if not pubsub.subscribed:
                    self.subscribed.clear()
                    await self.subscribed.wait()
                    continue
                message = await pubsub.get_message(timeout=1.0)
                if message is None:
                    continue
                kind = message["type"]
                if kind == "message":
                    self.queue.put_nowait(_unpack(message["data"]))
                elif kind == "subscribe":
                    waiting = self.confirmations.pop(message["channel"], None)
                    if waiting is not None and not waiting.done():
                        waiting.set_result(None)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - handed to the hub, which re-joins and resyncs
            for waiting in self.confirmations.values():
                if not waiting.done():
                    waiting.set_exception(exc)
            self.confirmations.clear()
            self.queue.put_nowait(exc)

    async def _close(self) -> None:
        reader, pubsub = self.reader, self.pubsub
        self.reader = self.pubsub = None
        if reader is not None and not reader.done():
            reader.cancel()
            with contextlib.suppress(BaseException):
                await reader
        if pubsub is not None:
            with contextlib.suppress(Exception):
                await pubsub.aclose()
        for waiting in self.confirmations.values():
            waiting.cancel()
        self.confirmations.clear()
        # Whatever the old subscription still queued came before the failure; the resync reads it.
        while not self.queue.empty():
            self.queue.get_nowait()


def _pack(message: dict[str, Any]) -> bytes:
    """A message as it goes over Redis (msgpack, as channels-redis sends the layer's)."""
    return msgpack.packb(message, use_bin_type=True)


def _unpack(data: bytes) -> dict[str, Any]:
    return msgpack.unpackb(data, raw=False)


def channel_prefix(url: str, prefix: str) -> str:
    """The hub's channel names: the layer's prefix and the Redis database (pub/sub channels are
    shared by every database of a server, and test runs are kept apart by database)."""
    parts = urlsplit(url)
    database = parse_qs(parts.query).get("db", [""])[0]
    if not database and parts.scheme != "unix":  # redis://host:port/<db>; a unix URL's path is the socket
        database = parts.path.strip("/")
    return f"{prefix}:{database or '0'}:hub:"


def _redis_of_layer() -> tuple[str, str] | None:
    """(URL, prefix) of the channel layer's Redis when the hub should use pub/sub on it."""
    config = settings.CHANNEL_LAYERS.get("default", {})
    if not settings.CRISIS_TABLE.get("HUB_PUBSUB") or not str(config.get("BACKEND", "")).startswith(
        "channels_redis.core"
    ):
        return None
    options = config.get("CONFIG", {})
    hosts = options.get("hosts") or []
    url = hosts[0].get("address", "") if hosts and isinstance(hosts[0], dict) else (hosts[0] if hosts else "")
    if not isinstance(url, str) or not url.startswith(("redis://", "rediss://", "unix://")):
        return None
    return url, options.get("prefix", "asgi")


def make_wire() -> Wire:
    """The wire this worker's hub uses: Redis pub/sub on the channel layer's Redis, unless the
    layer is not channels-redis or ``CT_HUB_PUBSUB=0``; else the channel layer itself."""
    found = _redis_of_layer()
    return RedisWire(*found) if found else LayerWire()


_sync_clients: dict[str, Any] = {}


def send_now(group: str, message: dict[str, Any]) -> None:
    """The wire's send from a thread with no running hub (a management command, a test): the
    same channel as the hubs listen on. Raises when the send failed."""
    found = _redis_of_layer()
    if found is None:
        async_to_sync(get_channel_layer().group_send)(group, message)
        return
    url, prefix = found
    client = _sync_clients.get(url)
    if client is None:
        client = _sync_clients[url] = redis.Redis.from_url(url, socket_timeout=5)
    client.publish(channel_prefix(url, prefix) + group, _pack(message))
