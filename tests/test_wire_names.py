"""The hub's pub/sub channel names keep deployments and test runs apart (``exercises.wire``)."""

from __future__ import annotations

from exercises.wire import channel_prefix


def test_channel_names_carry_the_prefix_and_the_redis_database():
    """Pub/sub channels are shared by every database of a Redis server: two runs kept apart by
    database number (the tests' database 1, a benchmark's 2) must not hear each other's batches.
    Mutation: leaving the database out of the name turns this red."""
    assert channel_prefix("redis://127.0.0.1:6379/3", "ct") == "ct:3:hub:"
    assert channel_prefix("redis://127.0.0.1:6379", "ct") == "ct:0:hub:"
    assert channel_prefix("redis://127.0.0.1:6379/?db=5", "ct") == "ct:5:hub:"
    assert channel_prefix("unix:///run/redis.sock?db=2", "ct") == "ct:2:hub:"
    assert channel_prefix("unix:///run/redis.sock", "ct") == "ct:0:hub:"
    assert channel_prefix("redis://h/1", "a") != channel_prefix("redis://h/2", "a")
