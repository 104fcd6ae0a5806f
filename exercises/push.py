"""Frames over the WebSocket: the transport half. The frames themselves are ``exercises.screens``'.

Contract used by ``consumers`` and ``fanout``:
- ``render_batch(exercise_id, events, keys, code, ready=None)``: async; every listed audience's frame
  of a batch of committed events (``screens.audiences.batch_frame``), rendered in one hop to the
  worker's render threads; with ``ready``, each frame is also handed to the loop as it is done.
- ``catch_up(exercise_id, after, viewer, lang, full)``: async; one socket's catch-up frame from
  the log (``screens.audiences.replay``), on the same render threads.
- ``language_of``: the language of a socket's frames.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from asgiref.sync import SyncToAsync
from channels.db import database_sync_to_async
from django.conf import settings
from django.db import connections
from django.utils.translation.trans_real import get_supported_language_variant, parse_accept_lang_header

from . import collector, engine
from .screens import audiences
from .screens.audiences import batch_frame

T = TypeVar("T")

_pools: dict[str, ThreadPoolExecutor] = {}
_pool_lock = threading.Lock()


def _threads(setting: str, prefix: str) -> ThreadPoolExecutor | None:
    """The worker's pool of ``CRISIS_TABLE[setting]`` threads, made once, or None when it is 0."""
    threads = settings.CRISIS_TABLE[setting]
    if threads <= 0:
        return None
    with _pool_lock:
        if prefix not in _pools:
            _pools[prefix] = ThreadPoolExecutor(threads, thread_name_prefix=prefix)
        return _pools[prefix]


def on_pool(fn: Callable[..., T], executor: ThreadPoolExecutor | None) -> Callable[..., Awaitable[T]]:
    """``fn`` as a coroutine function run on ``executor``'s threads (each keeps its database
    connection, CONN_MAX_AGE), or on Channels' one database thread when there is none."""
    call = database_sync_to_async(fn) if executor is None else _Pooled(fn, thread_sensitive=False, executor=executor)

    async def run(*args: Any, **kwargs: Any) -> T:
        with collector.working():  # no full garbage collection starts meanwhile (exercises/collector.py)
            return await call(*args, **kwargs)

    return run


# A connection that finished a call without an error this recently is taken as alive: Django's
# health check (CONN_HEALTH_CHECKS: a ``SELECT 1`` round trip before the first query after every
# sweep) is kept for connections idle longer. On a busy worker that round trip was one of a
# command's seven waits for the database process (issue #11, part 6). Within this window of a
# database restart, a thread's next call fails once, and the sweep after it closes the connection.
PROVEN_FOR = 5.0
_PROVEN = "_ct_proven_at"


def _sweep(after: bool) -> None:
    """``close_old_connections`` for a pool thread: close what is broken or too old; before a call,
    skip the health check of a connection proven alive a moment ago; after one, note it proven."""
    now = time.monotonic()
    for conn in connections.all(initialized_only=True):
        conn.close_if_unusable_or_obsolete()
        if conn.connection is None:
            continue
        if after:
            setattr(conn, _PROVEN, now)
        elif now - getattr(conn, _PROVEN, -PROVEN_FOR) < PROVEN_FOR:
            setattr(conn, "health_check_done", True)  # noqa: B010 (not in django-stubs)


class _Pooled(SyncToAsync):
    """Channels' ``DatabaseSyncToAsync`` for the worker's own pools, with ``_sweep``."""

    def thread_handler(self, loop: Any, *args: Any, **kwargs: Any) -> Any:
        _sweep(after=False)
        try:
            return super().thread_handler(loop, *args, **kwargs)
        finally:
            _sweep(after=True)


def command_executor() -> ThreadPoolExecutor | None:
    """The worker's command threads (``CT_COMMAND_THREADS``), or None for Channels' database thread."""
    return _threads("COMMAND_THREADS", "ct-command")


def render_executor() -> ThreadPoolExecutor | None:
    """The worker's render threads (``CT_RENDER_THREADS``), or None for Channels' database thread."""
    return _threads("RENDER_THREADS", "ct-render")


async def render_batch(
    exercise_id: int,
    events: list[engine.Event],
    keys: list[tuple[str, str]],
    code: str = "",
    ready: Callable[[int, str | Exception], None] | None = None,
) -> list[str | Exception]:
    """A batch's frame for each audience in ``keys`` (in that order; a failed render is its
    exception), rendered on the render threads: a table's renders neither wait for nor hold up
    the commands on Channels' database thread or other tables' renders queued before them (each
    thread keeps its database connection, CONN_MAX_AGE).

    One hop for all of a batch's audiences, not one per audience: each hop through
    ``database_sync_to_async`` costs a future, a wake-up of the loop and two
    ``close_old_connections`` sweeps, which at a workshop's 13 audiences a table was more than
    the rendering of a quiet audience (issue #11, part 5).

    ``ready(index, frame)`` is called on the event loop as each frame is done, while the thread
    renders the next: the first audience's sockets are written to after one render, not after
    the table's fourteen (issue #11, part 9). Frames done while the loop was busy reach it in one
    wake-up (``_Outlet``), so a batch costs the loop a few wake-ups, not one per audience."""
    outlet = _Outlet(asyncio.get_running_loop(), ready) if ready is not None else None
    return await on_pool(_frames, render_executor())(exercise_id, events, keys, code, outlet)


class _Outlet:
    """Frames from a render thread to ``ready`` on the loop, coalesced: one ``call_soon_threadsafe``
    for whatever finished before the loop came to take it."""

    def __init__(self, loop: asyncio.AbstractEventLoop, ready: Callable[[int, str | Exception], None]) -> None:
        self.loop = loop
        self.ready = ready
        self.lock = threading.Lock()
        self.pending: list[tuple[int, str | Exception]] = []

    def put(self, index: int, frame: str | Exception) -> None:  # on the render thread
        with self.lock:
            self.pending.append((index, frame))
            if len(self.pending) > 1:
                return  # a flush is already on its way to the loop
        with contextlib.suppress(RuntimeError):  # the loop closed: the frames are returned anyway
            self.loop.call_soon_threadsafe(self.flush)

    def flush(self) -> None:  # on the loop
        with self.lock:
            frames, self.pending = self.pending, []
        for index, frame in frames:
            self.ready(index, frame)


def _frames(
    exercise_id: int, events: list[engine.Event], keys: list[tuple[str, str]], code: str, outlet: _Outlet | None = None
) -> list[str | Exception]:
    out: list[str | Exception] = []
    for index, key in enumerate(keys):
        try:
            out.append(batch_frame(exercise_id, events, key, code))
        except Exception as exc:  # noqa: BLE001 - that audience's sockets catch up at the next batch
            out.append(exc)
        if outlet is not None:
            outlet.put(index, out[-1])
    return out


async def catch_up(exercise_id: int, after: int, viewer: engine.Viewer, lang: str, full: bool) -> tuple[str, int]:
    """A socket's catch-up frame and the seq it ends at, rendered on the render threads: in a
    reconnect storm the catch-ups no longer queue on Channels' one database thread behind every
    other socket's session and identify, and those no longer wait behind the catch-ups
    (issue #11, part 5)."""
    asked_at = time.monotonic()  # after the socket joined the hub, or after the batch that showed a gap
    return await on_pool(audiences.replay, render_executor())(exercise_id, after, viewer, lang, full, asked_at)


def language_of(scope: dict[str, Any]) -> str:
    """The language of a socket's frames, chosen as ``LocaleMiddleware`` chooses a page's.

    Cookie first (Django's ``set_language``), then the session (our switch stores it there
    too), then the browser's Accept-Language, then the default.
    """
    supported = {code for code, _name in settings.LANGUAGES}
    cookies = scope.get("cookies") or {}
    session = scope.get("session") or {}
    for candidate in (cookies.get(settings.LANGUAGE_COOKIE_NAME), session.get("_language")):
        if candidate in supported:
            return candidate
    headers = dict(scope.get("headers") or [])
    accept = headers.get(b"accept-language", b"").decode("latin-1")
    for code, _q in parse_accept_lang_header(accept):
        if code == "*":
            break
        try:
            return get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE
