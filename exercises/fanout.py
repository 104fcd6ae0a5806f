"""Per-process delivery of committed events to the sockets of this process.

Channels' usual pattern (every consumer in a group gets its own channel-layer message)
costs a layer message, a task wake-up and a thread hop per socket. Here each worker
process subscribes **once** per exercise on its wire to the other workers (``exercises.wire``:
Redis pub/sub with channels-redis, else the channel layer); when a batch
of events arrives it renders one frame per audience (facilitator, each role, public ×
language) and writes that string straight to the local sockets of that audience.

``publish`` is called by ``services.execute`` only after the transaction commits, so a
client is never told of an event that could still roll back. Sockets track the last
``seq`` they sent; a gap (a batch overtaken by another worker's) makes the socket catch
up from the database, and an old batch is skipped, so nothing is lost or doubled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from django.conf import settings

from . import collector as collectors
from . import wire as wires
from .engine import Event

log = logging.getLogger(__name__)


def group_name(exercise_id: int) -> str:
    return f"ct.ex.{exercise_id}"


def publish(exercise_id: int, events: list[Event], *, code: str = "") -> None:
    """Send committed events to every worker process watching this exercise (sync callers).
    ``code`` (the exercise's) lets a worker trust what it kept of the exercise under that id."""
    if not events:
        return
    message = {"type": "ct.events", "exercise": exercise_id, "code": code, "events": [e.as_dict() for e in events]}
    if _hand_to_hub(group_name(exercise_id), message):
        return
    try:
        wires.send_now(group_name(exercise_id), message)
    except Exception as exc:  # the log is committed; clients catch up on their next resume
        _send_failed(exercise_id, exc)


def _send_failed(exercise_id: int, exc: BaseException) -> None:
    # One line, no traceback: a layer outage is an operations fact (see /readyz), not a bug.
    log.warning("fan-out of exercise %s failed: %s: %s", exercise_id, type(exc).__name__, exc)


def _hand_to_hub(group: str, message: dict[str, Any]) -> bool:
    """In a worker, a command's thread hands its batch to the hub's outbox and goes on: the
    hub's loop sends the outbox in order, one ``group_send`` after the other (issue #11, part 5).
    Before, ``async_to_sync(group_send)`` held the worker's one database thread, so the next
    command, until the loop had run the send and Redis had answered. False when this process
    has no running hub (a management command, a test without sockets): send it here."""
    running = [
        hub
        for loop, hub in list(_hubs.items())  # a copy: the loop's thread may add a hub meanwhile
        if loop.is_running() and not loop.is_closed() and hub.sender is not None and not hub.sender.done()
    ]
    if len(running) != 1:
        return False
    hub = running[0]
    try:
        hub.loop.call_soon_threadsafe(hub.outbox.put_nowait, (group, message))
    except RuntimeError:  # the loop closed meanwhile
        return False
    return True


def publish_signal(exercise_id: int, kind: str, data: dict[str, Any]) -> None:
    """Ephemeral, non-logged notices (presence) to every worker watching an exercise."""
    message = {"type": "ct.signal", "exercise": exercise_id, "kind": kind, "data": data}
    if _hand_to_hub(group_name(exercise_id), message):
        return
    with contextlib.suppress(Exception):
        wires.send_now(group_name(exercise_id), message)


def contiguous_runs(events: list[Event]) -> list[list[Event]]:
    """``events`` (in seq order) cut wherever a seq is missing."""
    runs: list[list[Event]] = []
    for event in events:
        if runs and event.seq == runs[-1][-1].seq + 1:
            runs[-1].append(event)
        else:
            runs.append([event])
    return runs


class Socket(Protocol):
    """What the hub needs of a connection (``exercises.consumers.ExerciseConsumer``)."""

    exercise_id: int

    @property
    def render_key(self) -> tuple[str, str]: ...

    async def deliver(self, events: list[Event], frame: str) -> None: ...

    async def signal(self, kind: str, data: dict[str, Any]) -> None: ...


class Renderer(Protocol):
    """Every listed audience's frame of a batch, in order; a failed render is its exception. When
    ``ready`` is given, each frame is also handed to ``ready(index, frame)`` on the loop as soon
    as it is done (``push.render_batch``)."""

    def __call__(
        self,
        exercise_id: int,
        events: list[Event],
        keys: list[tuple[str, str]],
        code: str,
        *,
        ready: Callable[[int, str | Exception], None] | None = None,
    ) -> Awaitable[list[str | Exception]]: ...


def acting_player(events: list[Event]) -> str | None:
    """The audience key of the role whose player made this batch (their command), if one did."""
    return next((f"role:{e.role}" for e in events if e.role and e.actor.startswith("p:")), None)


def audience_order(by_key: dict[tuple[str, str], list[Socket]], actor: str | None) -> list[tuple[str, str]]:
    """The order a batch's audiences are rendered in: the acting player's role first (a player
    waits to see their own command on their screen; issue #11, part 9), then the largest
    audiences. A facilitator's act (an inject) has no one waiting on a single screen: its console
    is not put first, so the players' frames are not behind the console's larger one."""
    return sorted(by_key, key=lambda k: (k[0] != actor, -len(by_key[k])))


class Hub:
    def __init__(self) -> None:
        self.sockets: dict[int, set[Socket]] = defaultdict(set)
        self.wire: wires.Wire | None = None  # to the other workers (``exercises.wire``)
        self.listener: asyncio.Task[None] | None = None
        self.renderer: Renderer | None = None
        self.lock = asyncio.Lock()
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.dispatcher: asyncio.Task[None] | None = None
        self.loop = asyncio.get_running_loop()
        # Batches and signals the command threads published, sent to the layer in order.
        self.outbox: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()
        self.sender: asyncio.Task[None] | None = None
        # Full garbage collections at quiet moments (``exercises.collector``).
        self.collector: collectors.Collector | None = None

    def quiet_since(self) -> float | None:
        """When the worker last had nothing in flight: no batch in the hub's inbox or outbox, none
        being sent or dispatched, nothing on its threads (``collector.working``); None while it has."""
        if not self.inbox.empty() or not self.outbox.empty():
            return None
        return collectors.worked_at()

    async def _ensure_listener(self) -> None:
        if self.listener is not None and not self.listener.done():
            return
        if self.wire is None:
            self.wire = wires.make_wire()
            await self.wire.start()
        loop = asyncio.get_running_loop()
        self.listener = loop.create_task(self._listen())
        if self.dispatcher is None or self.dispatcher.done():
            self.dispatcher = loop.create_task(self._dispatch_inbox())
        if self.sender is None or self.sender.done():
            self.sender = loop.create_task(self._send_outbox())
        if self.collector is None and settings.CRISIS_TABLE["QUIET_GC"]:
            self.collector = collectors.Collector(self.quiet_since)
            self.collector.start()

    async def register(self, socket: Socket) -> None:
        async with self.lock:
            await self._ensure_listener()
            first = not self.sockets[socket.exercise_id]
            self.sockets[socket.exercise_id].add(socket)
            if first:
                assert self.wire is not None
                await self.wire.join(group_name(socket.exercise_id))

    async def unregister(self, socket: Socket) -> None:
        async with self.lock:
            local = self.sockets.get(socket.exercise_id)
            if not local:
                return
            local.discard(socket)
            if not local:
                del self.sockets[socket.exercise_id]
                if self.wire is not None:
                    with contextlib.suppress(Exception):
                        await self.wire.leave(group_name(socket.exercise_id))

    async def _listen(self) -> None:
        wire = self.wire
        assert wire is not None
        broken = False
        since = 0.0  # when the current outage began; one log line when it starts, one a minute after
        said = 0.0
        while True:
            if broken:
                try:
                    await self._resubscribe()
                except Exception as exc:  # still down: try again in a moment
                    if time.monotonic() - said >= 60:
                        said = time.monotonic()
                        log.warning(
                            "channel layer still down after %.0f s (%s); retrying", said - since, type(exc).__name__
                        )
                    await asyncio.sleep(1)
                    continue
                broken = False
            try:
                message = await wire.receive()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # e.g. Redis restarting: wait and listen again
                since = said = time.monotonic()
                log.warning("hub receive failed (%s: %s); retrying every second", type(exc).__name__, exc)
                broken = True
                await asyncio.sleep(1)
                continue
            self.inbox.put_nowait(message)

    async def _send_outbox(self) -> None:
        """Send what ``publish`` handed over, one message after the other: a table's batches
        reach the wire in the order they committed."""
        wire = self.wire
        assert wire is not None
        while True:
            group, message = await self.outbox.get()
            with collectors.working():
                try:
                    await wire.send(group, message)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # the log is committed; clients catch up on their next resume
                    if message.get("type") == "ct.events":
                        _send_failed(message["exercise"], exc)

    async def _dispatch_inbox(self) -> None:
        """Deliver what the listener received; batches that queued up meanwhile go out as one.

        Under load (commands arriving faster than one render per audience per batch) the
        batches of an exercise that wait here are merged, so each audience's frame is rendered
        once for all of them: throughput grows with load instead of latency.
        """
        while True:
            messages = [await self.inbox.get()]
            with collectors.working():
                await self._dispatch_messages(messages)

    async def _dispatch_messages(self, messages: list[dict[str, Any]]) -> None:
        """One pass of ``_dispatch_inbox``: ``messages`` and whatever queued up behind them."""
        while not self.inbox.empty():
            messages.append(self.inbox.get_nowait())
        batches: dict[int, dict[int, Event]] = defaultdict(dict)
        codes: dict[int, str] = {}
        signals = []
        for message in messages:
            if message.get("type") == "ct.events":
                for data in message["events"]:
                    event = Event.from_dict(data)
                    batches[message["exercise"]][event.seq] = event
                codes[message["exercise"]] = message.get("code", "")
            elif message.get("type") == "ct.signal":
                signals.append(message)
        try:
            # Tables side by side: each table's frames go out as soon as they are rendered,
            # not after every table before it in the inbox (issue #11); one table's batch
            # still finishes before its next one starts (the next round).
            await asyncio.gather(
                *(
                    self._dispatch_logged(exercise_id, [by_seq[seq] for seq in sorted(by_seq)], codes[exercise_id])
                    for exercise_id, by_seq in batches.items()
                )
            )
            for message in signals:
                sockets = list(self.sockets.get(message["exercise"], ()))
                # return_exceptions: a socket closing meanwhile must not cost the others their notice
                await asyncio.gather(
                    *(s.signal(message["kind"], message["data"]) for s in sockets), return_exceptions=True
                )
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("hub dispatch failed")

    async def _dispatch_logged(self, exercise_id: int, events: list[Event], code: str) -> None:
        try:
            # Only what runs without a gap is one batch: batches published out of order (two
            # workers, or two command threads) can meet here as 10 and 12 with 11 still on its
            # way. As one batch, a socket at 9 would take 10 and 12 and then skip 11 as old; as
            # two, 12 is a gap and the socket reads 11 from the log (committed before 12 was).
            for run in contiguous_runs(events):
                await self.dispatch(exercise_id, run, code)
        except asyncio.CancelledError:
            raise
        except Exception:  # one table's failure must not cost the others their frames
            log.exception("hub dispatch of exercise %s failed", exercise_id)

    async def _resubscribe(self) -> None:
        """After the layer failed: join our groups again and make every socket catch up.

        A restarted Redis has lost the group memberships (and any batch published while it
        was down); the log in the database has every event, so each socket re-reads it.
        """
        assert self.wire is not None
        async with self.lock:
            exercises = list(self.sockets)
            await self.wire.rejoin([group_name(exercise_id) for exercise_id in exercises])
        for exercise_id in exercises:
            for socket in list(self.sockets.get(exercise_id, ())):
                with contextlib.suppress(Exception):
                    await socket.signal("resync", {})
        if exercises:
            log.warning("hub re-subscribed to %d exercise group(s) after a layer failure", len(exercises))

    async def dispatch(self, exercise_id: int, events: list[Event], code: str = "") -> None:
        local = list(self.sockets.get(exercise_id, ()))
        if not local or self.renderer is None:
            return
        by_key: dict[tuple[str, str], list[Socket]] = defaultdict(list)
        for socket in local:
            by_key[socket.render_key].append(socket)
        # Once per audience, never per socket, and all of a batch's audiences in one hop to the
        # render thread. All writes finish before the next batch of this exercise is dispatched.
        actor = acting_player(events)
        keys = audience_order(by_key, actor)
        writes: list[asyncio.Future[None]] = []
        handed: set[int] = set()

        def ready(index: int, frame: str | Exception) -> None:
            if index in handed:
                return
            handed.add(index)
            if isinstance(frame, Exception):  # these sockets see a gap at the next batch and catch up
                log.error("render of exercise %s for %s failed", exercise_id, keys[index], exc_info=frame)
                return
            writes.extend(asyncio.ensure_future(s.deliver(events, frame)) for s in by_key[keys[index]])

        # When a player waits for their own command, each audience's sockets (theirs first) are
        # written to as soon as its frame is rendered. Not for a facilitator's inject: measured at
        # 40 tables, writing between one table's renders lowered the players' p50 but raised the
        # p99 (the render thread and the loop trade the interpreter's lock once per frame; issue
        # #11, part 9), and the release's p99 is what the room waits for.
        frames = await self.renderer(exercise_id, events, keys, code, ready=ready if actor else None)
        for index, frame in enumerate(frames):  # those the renderer did not hand over as it went
            ready(index, frame)
        await asyncio.gather(*writes, return_exceptions=True)


_hubs: dict[asyncio.AbstractEventLoop, Hub] = {}


def get_hub() -> Hub:
    """The hub of the running event loop (one per worker process; tests get one per loop)."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        for old in [lp for lp in _hubs if lp.is_closed()]:
            gone = _hubs.pop(old)
            if gone.collector is not None:  # its task never ran to its end: give the collections back
                gone.collector.stop()
        hub = _hubs[loop] = Hub()
    return hub
