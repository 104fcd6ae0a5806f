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
import json
import time
import weakref
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from . import engine, fanout, inputs, push, selectors, services

MAX_FRAME_BYTES = 16_384


class RateLimiter:
    """Token bucket per connection: a flooding client is slowed, others are not."""

    def __init__(self, per_10s: int) -> None:
        self.capacity = float(per_10s)
        self.tokens = float(per_10s)
        self.rate = per_10s / 10.0
        self.stamp = time.monotonic()

    def allow(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


# One bucket per participant (or facilitator) per worker process, shared by all their sockets,
# so opening more tabs does not buy more commands. It lives as long as one of them is open.
_limiters: weakref.WeakValueDictionary[tuple[int, str], RateLimiter] = weakref.WeakValueDictionary()


def limiter_for(exercise_id: int, who: str) -> RateLimiter:
    limiter = _limiters.get((exercise_id, who))
    if limiter is None:
        limiter = _limiters[(exercise_id, who)] = RateLimiter(settings.CRISIS_TABLE["RATE_LIMIT_PER_10S"])
    return limiter


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
        info = await database_sync_to_async(self._identify)(kwargs["code"], mode)
        if info is None:
            await self.close(code=4403)
            return
        self.exercise_id, self.viewer, self.lang = info
        self.participant_id = self.viewer.participant
        self.last_seq: int | None = None
        self.lock = asyncio.Lock()
        who = self.participant_id or ("facilitator" if self.viewer.facilitator else f"socket:{id(self)}")
        self.limiter = limiter_for(self.exercise_id, who)
        await self.accept()
        hub = fanout.get_hub()
        hub.renderer = push.render_batch
        await hub.register(self)
        _Ticker.ensure()
        if self.participant_id:
            await database_sync_to_async(push.presence_changed)(self.exercise_id, self.participant_id, +1)

    def _identify(self, code: str, mode: str) -> tuple[int, engine.Viewer, str] | None:
        try:
            exercise = selectors.exercise_by_code(code)
        except Exception:
            return None
        session = self.scope.get("session") or {}
        viewer = selectors.viewer_for(exercise, user=self.scope.get("user"), session=session, mode=mode)
        if viewer is None:
            return None
        return exercise.pk, viewer, push.language_of(self.scope)  # as LocaleMiddleware picks a page's

    async def disconnect(self, code: int) -> None:
        if not hasattr(self, "exercise_id"):
            return
        await fanout.get_hub().unregister(self)
        if self.participant_id:
            await database_sync_to_async(push.presence_changed)(self.exercise_id, self.participant_id, -1)

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
            html = await database_sync_to_async(push.presence_frame)(self.exercise_id, self.lang)
            await self.send(text_data=html)

    async def _role_changed(self, events: list[engine.Event]) -> bool:
        """A claim or release of this participant's role changes what they may see."""
        if not self.participant_id:
            return False
        for event in events:
            if (
                event.type in ("role_claimed", "role_released")
                and event.payload.get("participant") == self.participant_id
            ):
                role = event.role if event.type == "role_claimed" else ""
                self.viewer = engine.Viewer(role=role, participant=self.participant_id)
                return True
        return False

    async def _catch_up(self, last: int, *, full: bool = False) -> None:
        html, seq = await database_sync_to_async(push.replay)(self.exercise_id, last, self.viewer, self.lang, full)
        if html:
            await self.send(text_data=html)
        self.last_seq = max(seq, last)

    # ------------------------------------------------------------------ client side
    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is None or len(text_data.encode()) > MAX_FRAME_BYTES:
            await self._toast(push.error_text("too_large", self.lang))
            return
        if not self.limiter.allow():
            await self._toast(push.error_text("rate", self.lang))
            return
        try:
            data = json.loads(text_data)
        except ValueError:
            await self._toast(push.error_text("malformed", self.lang))
            return
        if not isinstance(data, dict):
            await self._toast(push.error_text("malformed", self.lang))
            return
        data.pop("HEADERS", None)
        if data.get("type") == "resume":
            try:
                last = max(0, int(data.get("last") or 0))
            except (TypeError, ValueError):
                last = 0
            async with self.lock:
                await self._catch_up(last, full=bool(data.get("full")))
            return
        if self.viewer == engine.PUBLIC_VIEW:
            return  # the projector only watches
        actor = (
            engine.FACILITATOR
            if self.viewer.facilitator
            else engine.Actor(kind="participant", participant=self.participant_id)
        )
        try:
            command = inputs.command_from(data)  # the same reading as a form POST (views._run)
            result = await database_sync_to_async(services.execute)(
                exercise_id=self.exercise_id, actor=actor, command=command
            )
        except engine.InvalidCommand as exc:
            await self._toast(str(exc), level="error")
            return
        if result.rejection is not None:
            await self.send(text_data=push.rejection_toast(result.rejection, self.lang))

    async def _toast(self, text: str, level: str = "error") -> None:
        await self.send(text_data=push.toast(text, level))


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
        while True:
            await asyncio.sleep(interval)
            hub = fanout.get_hub()
            for exercise_id in list(hub.sockets):
                try:
                    await database_sync_to_async(services.tick)(exercise_id)
                except Exception:  # noqa: BLE001 - a bad tick must not stop the clock of others
                    fanout.log.exception("tick failed for %s", exercise_id)
            if not hub.sockets:
                cls.task = None
                return
