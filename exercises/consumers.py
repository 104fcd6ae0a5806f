"""The WebSocket face: authenticate, turn frames into commands, hand pushes to the socket.

Protocol (JSON text frames, client → server):
- ``{"type": "resume", "last": N}`` right after connecting: the server sends everything
  this viewer may see after ``N``, in order, then live batches. Sent again on reconnect.
- any command of ``exercises.engine.commands`` (``{"type": "send_message", ...}``), as
  htmx's ws extension sends a form (its ``HEADERS`` key is ignored). The actor is taken
  from the session, never from the frame.

Server → client: HTML whose top-level elements htmx swaps out-of-band by id.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from exercises.engine.events import EventType

from . import access, engine, fanout, inputs, presence, push, selectors, services, throttle, ticks, wsauth
from .models import Exercise, Participant
from .screens import answers

MAX_FRAME_BYTES = 16_384
PRESENCE_EVERY = 0.25  # seconds: a console's presence column is refreshed at most this often
PRESENCE_BATCH = 0.05  # seconds: sockets opening or closing within this share one presence write
PRESENCE_TRIES = 3  # presence reads a console's refresh makes while batches keep moving its seq
TOAST_EVERY = 1.0  # seconds: a flooding socket gets one "slow down", not one per frame
log = logging.getLogger(__name__)


def beat_offset(exercise_id: int, every: float) -> float:
    """When in the heartbeat's interval a table's consoles refresh their presence column: spread
    evenly by table id (the golden ratio's fraction), before the next beat."""
    return PRESENCE_EVERY + (exercise_id * 0.6180339887 % 1.0) * max(0.0, every - 2 * PRESENCE_EVERY)


class ExerciseConsumer(AsyncWebsocketConsumer):
    # No channel of its own: the hub (fanout) subscribes once per process and writes to this
    # socket directly. This saves a layer channel, a waiting task and a Redis receive per socket.
    channel_layer_alias = None

    exercise_id: int
    viewer: engine.Viewer
    lang: str
    participant_id: str

    async def connect(self) -> None:
        kwargs = self.scope["url_route"]["kwargs"]
        mode = kwargs.get("mode", "play")
        self.ip = throttle.client_ip(self.scope)
        info = await _IdentifyBatch.of_loop().identify(self, kwargs["code"], mode)
        if info is None:
            await self.close(code=4403)
            return
        self.exercise_id, self.viewer, self.lang, self.can_act, self.limit, self.who = info
        self.participant_id = self.viewer.participant
        self.last_seq: int | None = None
        self.lock = asyncio.Lock()
        self.toasted = 0.0
        self.presence_due: asyncio.Task[None] | None = None
        self.presence_at = 0.0  # the event loop's time presence_due sends at
        await self.accept()
        hub = fanout.get_hub()
        hub.renderer = push.render_batch
        await hub.register(self)
        _Ticker.ensure()
        if self.participant_id:
            await _PresenceBatch.add(self.exercise_id, self.participant_id, +1)

    def _identify(
        self,
        code: str,
        mode: str,
        known: dict[str, Exercise | None] | None = None,
        found: dict[str, Participant] | None = None,
    ) -> tuple[int, engine.Viewer, str, bool, int, str] | None:
        """Who this socket is. ``known``: exercises already looked up by code in this batch;
        ``found``: the participants its sessions name (``selectors.seated``)."""
        exercise = _table(code, {} if known is None else known)
        if exercise is None:
            if mode != "console":
                throttle.code_misses().hit(self.ip)
            return None
        user = self.scope.get("user")
        session = self.scope.get("session") or {}
        lang = push.language_of(self.scope)  # as LocaleMiddleware picks a page's
        limit = throttle.limit_of(exercise)
        if mode == "console":
            level = access.level_of(user, exercise)
            if level is None:
                return None
            can_act = access.allows(level, "run")
            return exercise.pk, engine.FACILITATOR_VIEW, lang, can_act, limit, f"staff:{user.pk}"
        viewer = selectors.viewer_for(exercise, user=user, session=session, mode=mode, found=found)
        if viewer is None:
            return None
        who = viewer.participant or f"socket:{id(self)}"
        return exercise.pk, viewer, lang, mode == "play", limit, who

    async def disconnect(self, code: int) -> None:
        if not hasattr(self, "exercise_id"):
            return
        await fanout.get_hub().unregister(self)
        if self.participant_id:
            await _PresenceBatch.add(self.exercise_id, self.participant_id, -1)

    # ------------------------------------------------------------------ hub side
    @property
    def render_key(self) -> tuple[str, str]:
        return (self.viewer.audience_key, self.lang)

    async def deliver(self, events: list[engine.Event], frame: str) -> None:
        async with self.lock:
            if self.last_seq is None:  # not resumed yet: the resume will include these
                return
            if events[-1].seq <= self.last_seq:
                return  # already sent (a catch-up overtook this batch)
            if events[0].seq != self.last_seq + 1:
                await self._catch_up(self.last_seq)  # a gap: read the log instead
                return
            if self._removed(events):
                await self._toast(answers.error_text("removed", self.lang))
                await self.close(code=4403)
                return
            if await self._role_changed(events):
                await self._catch_up(self.last_seq, full=True)
                return
            await self.send(text_data=frame)
            self.last_seq = events[-1].seq

    async def signal(self, kind: str, data: dict[str, Any]) -> None:
        if kind == "resync":  # the hub lost batches (layer failure): read the log instead
            async with self.lock:
                if self.last_seq is not None:
                    await self._catch_up(self.last_seq)
            return
        if kind == "presence" and self.viewer.facilitator:
            self.presence_soon(PRESENCE_EVERY)

    def presence_soon(self, delay: float) -> None:
        """Send this console its presence badges in ``delay`` seconds. Coalesced: a storm of
        connections is one presence column per PRESENCE_EVERY, not one per socket that came back
        (issue #11); a refresh due later (the heartbeat's, spread over its interval) is brought
        forward by a sooner one (a connection opened or closed), never the other way."""
        loop = asyncio.get_running_loop()
        at = loop.time() + delay
        if self.presence_due is not None and not self.presence_due.done():
            if self.presence_at <= at or self.presence_at <= loop.time():
                return  # one is due sooner, or is reading the badges now
            self.presence_due.cancel()  # still asleep: replaced by the sooner one
        self.presence_at = at
        self.presence_due = loop.create_task(self._send_presence(delay))

    async def _send_presence(self, delay: float) -> None:
        """The badges as of the console's screen: read without holding the socket's lock, so a
        batch for this console (and the hub's next dispatch, which waits for every write of this
        one) never waits for a presence read queued on the database thread (issue #11, part 8);
        sent only if no batch went out meanwhile (a join or a removal moves the roster's rows),
        else read again; the last try reads under the lock, as a batch in flight would wait."""
        await asyncio.sleep(delay)
        try:
            for attempt in range(PRESENCE_TRIES):
                seen = self.last_seq
                if seen is None:
                    return  # not resumed yet: the resume draws the roster with its presence
                if attempt == PRESENCE_TRIES - 1:
                    async with self.lock:  # after any batch in flight: its roster rows are on the console
                        if self.last_seq is not None:
                            html = await database_sync_to_async(answers.presence_frame)(
                                self.exercise_id, self.lang, self.last_seq
                            )
                            await self.send(text_data=html)
                    return
                html = await database_sync_to_async(answers.presence_frame)(self.exercise_id, self.lang, seen)
                async with self.lock:
                    if self.last_seq == seen:
                        await self.send(text_data=html)
                        return
        except Exception:  # noqa: BLE001 - the socket closed meanwhile, or the next beat says it
            log.debug("presence frame for exercise %s not sent", self.exercise_id)

    def _removed(self, events: list[engine.Event]) -> bool:
        return bool(self.participant_id) and any(
            e.type == EventType.PARTICIPANT_REMOVED and e.payload.get("participant") == self.participant_id
            for e in events
        )

    async def _role_changed(self, events: list[engine.Event]) -> bool:
        """A claim or release of this participant's role changes what they may see."""
        if not self.participant_id:
            return False
        for event in events:
            if (
                event.type in (EventType.ROLE_CLAIMED, EventType.ROLE_RELEASED)
                and event.payload.get("participant") == self.participant_id
            ):
                role = event.role if event.type == EventType.ROLE_CLAIMED else ""
                self.viewer = engine.Viewer(role=role, participant=self.participant_id)
                return True
        return False

    async def _catch_up(self, last: int, *, full: bool = False) -> None:
        html, seq = await push.catch_up(self.exercise_id, last, self.viewer, self.lang, full)
        if html:
            await self.send(text_data=html)
        self.last_seq = seq  # never above the newest event: a client claiming more is resynced (audiences.replay)

    # ------------------------------------------------------------------ client side
    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Every frame gets an answer or nothing; no frame can raise out of here and drop the socket."""
        try:
            await self._receive(text_data, bytes_data)
        except Exception:  # a bug, not the client's fault: keep the socket, say so, log it
            log.exception("frame from %s on exercise %s failed", self.who, self.exercise_id)
            await self._toast(answers.error_text("server", self.lang))

    async def _receive(self, text_data: str | None, bytes_data: bytes | None) -> None:
        if text_data is None:
            await self._toast(answers.error_text("binary", self.lang))
            return
        if not throttle.allow_local(self.exercise_id, self.who, self.limit):
            now = time.monotonic()
            if now - self.toasted >= TOAST_EVERY:  # one notice a second, not one per dropped frame
                self.toasted = now
                await self._toast(answers.error_text("rate", self.lang))
            return
        try:
            data = inputs.parse_frame(text_data, max_bytes=MAX_FRAME_BYTES)
            if data.get("type") == "resume":
                last, full = inputs.resume_from(data)
                async with self.lock:
                    await self._catch_up(last, full=full)
                return
        except inputs.BadFrame as bad:
            await self._toast(answers.error_text(bad.code, self.lang))
            return
        if not self.can_act:
            if self.viewer.facilitator:  # an evaluator on the console watches
                await self._toast(answers.error_text("observer", self.lang))
            return  # the projector only watches
        actor = (
            engine.FACILITATOR
            if self.viewer.facilitator
            else engine.Actor(kind="participant", participant=self.participant_id)
        )
        cid = inputs.client_id(data)
        try:
            command = inputs.command_from(data)  # the same reading as a form POST (views.common._run)
            result = await _on_command_thread(services.perform)(
                exercise_id=self.exercise_id,
                actor=actor,
                command=command,
                who=self.who,
                limit=self.limit,
                ip=self.ip,
                cid=cid,
            )
        except engine.Forbidden:
            await self._answer(cid, "error", answers.error_text("forbidden", self.lang))
            return
        except engine.InvalidCommand as exc:
            await self._answer(cid, "error", str(exc))
            return
        except services.Throttled:
            await self._answer(cid, "retry", answers.error_text("rate", self.lang))
            return
        except services.Unavailable:
            await self._answer(cid, "retry", answers.error_text("unavailable", self.lang))
            return
        if result.rejection is not None:
            answer = await database_sync_to_async(answers.rejection_toast_for)(
                self.exercise_id, result.rejection, self.lang
            )
            await self.send(text_data=answer + answers.ack(cid, "rejected"))
            return
        if cid:
            await self.send(text_data=answers.ack(cid, "ok"))

    async def _answer(self, cid: str, status: str, text: str) -> None:
        """A toast, and for a composer's command the ack that tells it what became of its text."""
        await self.send(text_data=answers.toast(text, "error") + answers.ack(cid, status))

    async def _toast(self, text: str, level: str = "error") -> None:
        await self.send(text_data=answers.toast(text, level))


Identity = tuple[int, engine.Viewer, str, bool, int, str]


def _on_command_thread(fn: Any) -> Any:
    """``fn`` run on the worker's command threads (``push.command_executor``: on PostgreSQL a
    command's waits on the server no longer hold every other socket's command, issue #11 part 5),
    or on Channels' database thread where there are none (SQLite). A socket's frames are handled
    one after the other, so its own commands stay in order; a table's commands are ordered by the
    exercise row's lock, and their batches by the hub (a gap is read from the log)."""
    return push.on_pool(fn, push.command_executor())


def _table(code: str, known: dict[str, Exercise | None]) -> Exercise | None:
    """The exercise with this join code, looked up once per ``known`` (None: no such table)."""
    if code not in known:
        try:
            known[code] = selectors.exercise_by_code(code)
        except selectors.NotFound:
            known[code] = None
    return known[code]


class _IdentifyBatch:
    """Sockets that connect while the database thread is busy are identified together, in one
    hop, each table's exercise looked up once for all of them (a reconnect storm brings a table's
    sockets back at once). A socket connecting alone is identified at once, as before."""

    _batches: dict[asyncio.AbstractEventLoop, _IdentifyBatch] = {}

    def __init__(self) -> None:
        self.pending: list[tuple[ExerciseConsumer, str, str, asyncio.Future[Identity | None]]] = []
        self.task: asyncio.Task[None] | None = None

    @classmethod
    def of_loop(cls) -> _IdentifyBatch:
        loop = asyncio.get_running_loop()
        batch = cls._batches.get(loop)
        if batch is None:
            for old in [lp for lp in cls._batches if lp.is_closed()]:
                del cls._batches[old]
            batch = cls._batches[loop] = cls()
        return batch

    async def identify(self, socket: ExerciseConsumer, code: str, mode: str) -> Identity | None:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Identity | None] = loop.create_future()
        self.pending.append((socket, code, mode, future))
        if self.task is None or self.task.done():
            self.task = loop.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        while self.pending:  # until nobody came while the last hop ran
            batch, self.pending = self.pending, []
            try:
                results = await database_sync_to_async(self._run)([(s, c, m) for s, c, m, _f in batch])
            except Exception as exc:  # noqa: BLE001 - the hop itself failed: every socket of it fails
                results = [exc] * len(batch)
            for (_s, _c, _m, future), answer in zip(batch, results, strict=True):
                if future.done():  # the socket gave up meanwhile
                    continue
                if isinstance(answer, BaseException):
                    future.set_exception(answer)
                else:
                    future.set_result(answer)

    @staticmethod
    def _run(batch: list[tuple[ExerciseConsumer, str, str]]) -> list[Identity | None | BaseException]:
        known: dict[str, Exercise | None] = {}  # one look-up per code, shared by the batch
        found: dict[str, Participant] | None = None
        results: list[Identity | None | BaseException] = []
        try:
            wsauth.preload_sessions([socket.scope for socket, _code, _mode in batch])
            found = _IdentifyBatch._seated(batch, known)
        except Exception:  # noqa: BLE001 - then each socket reads its own session and seat, as without it
            log.warning("sessions and seats of an identify batch not preloaded", exc_info=True)
        for socket, code, mode in batch:
            try:
                results.append(socket._identify(code, mode, known, found))
            except Exception as exc:  # noqa: BLE001 - this socket's failure is its own
                results.append(exc)
        return results

    @staticmethod
    def _seated(
        batch: list[tuple[ExerciseConsumer, str, str]], known: dict[str, Exercise | None]
    ) -> dict[str, Participant]:
        """Each table of the batch looked up once (into ``known``), and every participant its
        players' sessions name there read in one query (empty for a batch with no player)."""
        ids: set[str] = set()
        for socket, code, mode in batch:
            exercise = _table(code, known)  # a miss is counted against the address in ``_identify``
            if mode == "play" and exercise is not None:
                ids.add(selectors.seat_in(socket.scope.get("session") or {}, exercise))
        ids.discard("")
        return selectors.seated(ids) if ids else {}


class _PresenceBatch:
    """Presence changes of one worker, written together: a reconnect storm brings hundreds of
    sockets back within a second; one database hop writes them all (``presence.connections_changed``)."""

    pending: dict[tuple[int, str], int] = {}
    task: asyncio.Task[None] | None = None

    @classmethod
    async def add(cls, exercise_id: int, participant_id: str, delta: int) -> None:
        key = (exercise_id, participant_id)
        cls.pending[key] = cls.pending.get(key, 0) + delta
        if cls.task is None or cls.task.done() or cls.task.get_loop() is not asyncio.get_running_loop():
            cls.task = asyncio.get_running_loop().create_task(cls.flush())

    @classmethod
    async def flush(cls) -> None:
        while True:  # until nothing came in while the last write ran
            await asyncio.sleep(PRESENCE_BATCH)
            deltas, cls.pending = cls.pending, {}
            if not deltas:
                return
            try:
                await database_sync_to_async(presence.connections_changed)(deltas)
            except Exception:  # noqa: BLE001 - presence is best effort; the heartbeat corrects it
                log.warning("presence write of %d sockets failed", len(deltas))


class _Ticker:
    """One clock task per worker process: catches up the exercises it has sockets for."""

    task: asyncio.Task[None] | None = None

    @classmethod
    def ensure(cls) -> None:
        if cls.task is None or cls.task.done() or cls.task.get_loop() is not asyncio.get_running_loop():
            cls.task = asyncio.get_running_loop().create_task(cls.run())

    @classmethod
    async def run(cls) -> None:
        interval = settings.CRISIS_TABLE["TICK_SECONDS"]
        beat_every = settings.CRISIS_TABLE["HEARTBEAT_SECONDS"]
        beaten = 0.0
        while True:
            await asyncio.sleep(min(interval, beat_every))
            hub = fanout.get_hub()
            if time.monotonic() - beaten >= beat_every:
                beaten = time.monotonic()
                await cls.heartbeat(hub)
            try:  # one database hop finds the few tables with something due (usually none)
                due = await database_sync_to_async(ticks.due)(list(hub.sockets), time.time())
            except Exception:  # noqa: BLE001 - the next round tries again
                fanout.log.exception("tick round failed")
                due = []
            for exercise_id in due:
                try:
                    await database_sync_to_async(services.tick)(exercise_id)
                except Exception:  # noqa: BLE001 - a bad tick must not stop the clock of others
                    fanout.log.exception("tick failed for %s", exercise_id)
            if not hub.sockets:
                cls.task = None
                return

    @classmethod
    async def heartbeat(cls, hub: fanout.Hub) -> None:
        """Refresh the presence of every participant with a socket here (one hop for every
        table); refresh the consoles' presence column, so a player whose worker died turns "away"
        there within the TTL. Each table's consoles at their own moment of the interval
        (``beat_offset``): twenty consoles at once were a ~100 ms burst that delayed whichever
        inject round it met (issue #11, part 8)."""
        # The hub types its sockets by the small protocol it needs; every one is a consumer.
        tables = {
            exercise_id: [s for s in sockets if isinstance(s, ExerciseConsumer)]
            for exercise_id, sockets in list(hub.sockets.items())
        }
        try:
            await database_sync_to_async(presence.beat_many)(
                {
                    exercise_id: {s.participant_id for s in here if s.participant_id}
                    for exercise_id, here in tables.items()
                }
            )
        except Exception:  # noqa: BLE001 - presence is best effort; the next beat tries again
            fanout.log.warning("heartbeat failed for exercises %s", sorted(tables))
        every = settings.CRISIS_TABLE["HEARTBEAT_SECONDS"]
        for exercise_id, here in tables.items():
            for socket in here:
                if socket.viewer.facilitator:
                    socket.presence_soon(beat_offset(exercise_id, every))
