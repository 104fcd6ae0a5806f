"""Django's Redis cache, with one client per connection pool instead of one per call.

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` around the pool for every
cache operation. With redis-py 7 that constructor (a table of response callbacks, an event
dispatcher) is ~50 µs of CPU: on a workshop's worker it was half of a command's rate-limit count
(``throttle._count``, issue #11 part 12). A ``redis.Redis`` over a pool is safe to share between
threads, and Django keeps one cache object per thread anyway, so each pool's client is made
once and kept. Everything else is Django's backend as it is.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}  # id(pool) -> its client (Django keeps each pool for good)

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]  # Django's, not in the stubs
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


class RedisCache(django_redis.RedisCache):
    """``django.core.cache.backends.redis.RedisCache`` on the client above (settings.CACHES)."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient
