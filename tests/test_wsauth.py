"""The WebSocket user is read on first use, in the consumer's identify hop (``exercises.wsauth``)."""

from __future__ import annotations

import asyncio

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
