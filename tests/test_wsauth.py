"""The WebSocket user is read on first use, in the consumer's identify hop (``exercises.wsauth``)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils.functional import empty

from exercises.wsauth import LazyAuthMiddleware


@pytest.mark.django_db(transaction=True)
def test_the_user_is_not_read_before_the_consumer_asks_and_is_the_session_s_when_it_does():
    """Channels' AuthMiddleware spends one database hop per socket before ``connect``; this one
    spends none there. Mutation: ``resolve_scope`` reading the user (as Channels' does) turns the
    first assertion red; a resolver that ignores the session turns the second red."""
    user = get_user_model().objects.create_user("lazy", password="pw-for-a-test-1")
    browser = Client()
    browser.force_login(user)
    session = browser.session
    seen: dict[str, object] = {}

    async def inner(scope, receive, send):
        seen["wrapped_before"] = scope["user"]._wrapped
        seen["user"] = await sync_to_async(lambda: scope["user"].username)()

    async def run() -> None:
        await LazyAuthMiddleware(inner)({"type": "websocket", "session": session}, None, None)

    asyncio.run(run())
    assert seen["wrapped_before"] is empty
    assert seen["user"] == "lazy"


@pytest.mark.django_db
def test_the_sessions_of_one_identify_hop_are_read_with_one_query(django_assert_num_queries):
    """A reconnect storm's sockets, identified together, read their sessions in one query
    (``wsauth.preload_sessions``), each what its own load gives; an expired or unknown session is
    left to load itself, and comes out empty as Django makes it. Mutations (tried): dropping the
    expiry condition (the expired session's participant comes back); not preloading (three
    queries)."""
    from datetime import timedelta

    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone
    from django.utils.functional import LazyObject

    from exercises.wsauth import preload_sessions

    def stored(value: str, expired: bool = False) -> str:
        store = SessionStore()
        store["participant"] = value
        store.create()
        if expired:
            store.model.objects.filter(session_key=store.session_key).update(
                expire_date=timezone.now() - timedelta(seconds=1)
            )
        assert store.session_key
        return store.session_key

    keys = [stored("a"), stored("b"), stored("old", expired=True), "no-such-session-key-at-all-000000"]
    scopes: list[dict[str, Any]] = []
    for key in keys:
        session: Any = LazyObject()
        session._wrapped = SessionStore(key)
        scopes.append({"session": session})
    with django_assert_num_queries(1):
        preload_sessions(scopes)
        assert [scopes[n]["session"].get("participant") for n in range(2)] == ["a", "b"]
    assert scopes[2]["session"].get("participant") is None
    assert scopes[3]["session"].get("participant") is None
