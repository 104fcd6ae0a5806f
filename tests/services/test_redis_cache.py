"""The Redis cache backend (``config.redis_cache``): Django's, with one client per pool.

Django builds a ``redis.Redis`` for every cache call (~50 µs of CPU each with redis-py 7, half
of a command's rate-limit count on a busy worker: issue #11 part 12). These check that the
configured backend keeps one, and that the cache still does what Django's does.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import cache

from config import redis_cache
from exercises import throttle

pytestmark = [pytest.mark.services]


def test_with_redis_the_cache_is_the_one_client_per_pool_backend() -> None:
    assert settings.CACHES["default"]["BACKEND"] == "config.redis_cache.RedisCache"
    assert isinstance(cache._cache, redis_cache.RedisCacheClient)  # type: ignore[attr-defined]


def test_every_call_of_a_thread_s_cache_uses_one_client() -> None:
    """Mutation: ``get_client`` building a new ``redis.Redis`` per call (Django's own) turns the
    first assertion red."""
    client = cache._cache  # type: ignore[attr-defined]
    assert client.get_client("k", write=True) is client.get_client("other", write=True)
    assert client.get_client("k") is client.get_client("k", write=True)  # one server: one pool


def test_the_cache_and_the_shared_rate_count_still_work() -> None:
    cache.set("ct-test-cache", {"a": 1}, 5)
    assert cache.get("ct-test-cache") == {"a": 1}
    assert cache.get_many(["ct-test-cache", "missing"]) == {"ct-test-cache": {"a": 1}}
    key = "ct-test-rate"
    cache.delete(key)  # the same full key (prefix, version) as the count's
    assert [throttle._count(key, 1) for _ in range(3)] == [1, 2, 3]
