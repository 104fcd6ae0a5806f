"""Rate limits: one per participant for commands, and per client address for join codes.

Two layers, both on Django's cache framework (local memory in one process, Redis with
``REDIS_URL``, so a limit holds across every worker):

- **Commands** (``allow_local`` then ``allow_shared``): a token bucket per (exercise,
  participant) in this process answers first, with no I/O, so a flood of frames costs a
  dictionary look-up each; what it lets through is counted once more in the shared cache
  (a 10-second window), so opening sockets on two workers does not double the rate.
  WebSocket frames and ``POST /x/<code>/do/`` draw on the same bucket and the same counter.
- **Code look-ups and joins** (``Window``): fixed-window counters per client address.

The numbers are in ``settings.CRISIS_TABLE`` and docs/security.md.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass
from typing import Any

from cachetools import LRUCache
from django.conf import settings
from django.core.cache import cache

WINDOW = 10.0  # seconds: limits are "per 10 s"
_BUCKETS_KEPT = 20_000


def _shared() -> bool:
    """Whether the cache is shared between workers (only then is the second count worth a trip)."""
    return "redis" in settings.CACHES["default"]["BACKEND"].lower()


class Bucket:
    """Token bucket: ``per_10s`` commands at once, refilled at ``per_10s`` per 10 s."""

    __slots__ = ("capacity", "rate", "stamp", "tokens")

    def __init__(self, per_10s: int) -> None:
        self.capacity = float(per_10s)
        self.tokens = float(per_10s)
        self.rate = per_10s / WINDOW
        self.stamp = time.monotonic()

    def allow(self, cost: float = 1.0) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < cost:
            return False
        self.tokens -= cost
        return True

    def drain(self, tokens: float) -> None:
        self.allow(0)
        self.tokens -= tokens  # may go below zero: a penalty is waited out


_buckets: LRUCache[tuple[int, str], Bucket] = LRUCache(maxsize=_BUCKETS_KEPT)
_lock = threading.Lock()  # the WebSocket loop and the request threads share the buckets (cachetools is not thread-safe)


def bucket(exercise_id: int, who: str, per_10s: int) -> Bucket:
    key = (exercise_id, who)
    with _lock:
        found = _buckets.get(key)  # a hit counts as a use: the longest-idle bucket goes first
        if found is None or found.capacity != per_10s:
            found = _buckets[key] = Bucket(per_10s)
        return found


def allow_local(exercise_id: int, who: str, per_10s: int) -> bool:
    """This process's bucket: cheap, no I/O (called for every frame, before it is even parsed)."""
    b = bucket(exercise_id, who, per_10s)
    with _lock:
        return b.allow()


def _window_key(exercise_id: int, who: str) -> str:
    return f"ct:rl:{exercise_id}:{who}:{int(time.time() // WINDOW)}"


def _count(key: str, tokens: int) -> int:
    """Add ``tokens`` to a window's shared counter and return it: one Redis round trip (INCRBY
    and EXPIRE in one pipeline). Django's ``cache.add`` + ``cache.incr`` took three (``incr``
    asks ``EXISTS`` first), ~2 ms of every command on a worker's one database thread at a
    workshop's rate (issue #11, part 5). The key is the cache's own (prefix, version)."""
    full = cache.make_and_validate_key(key)
    client = cache._cache.get_client(full, write=True)  # type: ignore[attr-defined]  # Django's RedisCacheClient
    pipe = client.pipeline(transaction=False)
    pipe.incrby(full, tokens)
    pipe.expire(full, int(WINDOW) * 2)
    count, _ = pipe.execute()
    return int(count)


def allow_shared(exercise_id: int, who: str, per_10s: int) -> bool:
    """The count across workers (Redis); always True on a per-process cache. Sync (cache I/O)."""
    if not _shared():
        return True
    try:
        return _count(_window_key(exercise_id, who), 1) <= per_10s
    except Exception:  # noqa: BLE001 - the cache is down: the local bucket still holds
        return True


def penalise(exercise_id: int, who: str, per_10s: int, tokens: int) -> None:
    """A forged command costs its sender ``tokens`` commands, here and on every worker."""
    b = bucket(exercise_id, who, per_10s)
    with _lock:
        b.drain(tokens)
    if _shared():
        with contextlib.suppress(Exception):  # best effort: the local penalty stands
            _count(_window_key(exercise_id, who), tokens)


def limit_of(exercise: Any) -> int:
    """Commands per 10 s for a participant of this exercise (its own figure, else the setting)."""
    return int(getattr(exercise, "rate_limit", None) or settings.CRISIS_TABLE["RATE_LIMIT_PER_10S"])


# --------------------------------------------------------------------------- per client address


@dataclass(frozen=True)
class Window:
    """At most ``limit`` counted things per ``seconds`` per key (a client address)."""

    name: str
    limit: int
    seconds: int

    def _key(self, key: str) -> str:
        return f"ct:{self.name}:{key}:{int(time.time() // self.seconds)}"

    def used(self, key: str) -> int:
        try:
            return int(cache.get(self._key(key)) or 0)
        except Exception:  # noqa: BLE001 - cache down: do not lock everyone out
            return 0

    def exceeded(self, key: str) -> bool:
        return self.used(key) >= self.limit

    def hit(self, key: str) -> int:
        k = self._key(key)
        try:
            cache.add(k, 0, timeout=self.seconds * 2)
            return int(cache.incr(k))
        except Exception:  # noqa: BLE001
            return 0


def code_misses() -> Window:
    ct = settings.CRISIS_TABLE
    return Window("miss", ct["CODE_MISSES"], ct["CODE_MISSES_WINDOW"])


def joins() -> Window:
    ct = settings.CRISIS_TABLE
    return Window("join", ct["JOINS_PER_IP"], ct["JOINS_WINDOW"])


def client_ip(meta_or_scope: Any) -> str:
    """The client's address: ``REMOTE_ADDR`` of a request, ``client`` of an ASGI scope.

    Behind nginx, uvicorn's ``--proxy-headers --forwarded-allow-ips 127.0.0.1`` (deploy/) puts the
    real address there from X-Forwarded-For; nothing here trusts a header itself.
    """
    if isinstance(meta_or_scope, dict) and "type" in meta_or_scope:
        client = meta_or_scope.get("client") or ("", 0)
        return str(client[0] or "")
    meta = getattr(meta_or_scope, "META", meta_or_scope)
    return str(meta.get("REMOTE_ADDR", "") or "")
