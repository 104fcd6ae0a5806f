"""Who a WebSocket's user is, read when the consumer asks rather than before it runs.

Channels' ``AuthMiddleware`` resolves ``scope["user"]`` with one ``database_sync_to_async`` hop
of its own for every socket, before the consumer's ``connect``. In a reconnect storm that is one
queued hop per socket on the worker's one database thread (issue #11, part 5). Here the user is
a lazy object that reads the session and the user on first use; the consumer first uses it
inside its identify hop (``consumers._IdentifyBatch``), which already runs on that thread, so a
storm's sockets are identified, user included, in one hop per batch.

The sessions of one identify hop are read in one query (``preload_sessions``), not one each.

Reading ``scope["user"]`` on the event loop would be a database query there; Django refuses
that (``SynchronousOnlyOperation``), as for any ORM call from async code.
"""

from __future__ import annotations

from typing import Any

from channels.auth import AuthMiddleware, get_user
from channels.sessions import SessionMiddlewareStack
from django.contrib.sessions.backends.db import SessionStore as DatabaseSession
from django.utils import timezone
from django.utils.functional import SimpleLazyObject


class LazyAuthMiddleware(AuthMiddleware):
    def populate_scope(self, scope: dict[str, Any]) -> None:
        if "session" not in scope:
            raise ValueError("LazyAuthMiddleware cannot find session in scope: SessionMiddleware must be above it.")
        if "user" not in scope:
            resolve = get_user.func  # the synchronous function under Channels' database_sync_to_async
            scope["user"] = SimpleLazyObject(lambda: resolve(scope))

    async def resolve_scope(self, scope: dict[str, Any]) -> None:
        return None  # resolved on first use (see the module)


def LazyAuthMiddlewareStack(inner: Any) -> Any:  # noqa: N802 - named like Channels' AuthMiddlewareStack
    return SessionMiddlewareStack(LazyAuthMiddleware(inner))


def preload_sessions(scopes: list[dict[str, Any]]) -> None:
    """Load the database sessions of several sockets with one query, as each would load its own
    (``SessionStore.load``: unexpired, decoded); a session not found is left to load itself, so
    it ends as Django ends it. Other session backends load their own way. Call on a database
    thread (issue #11, part 7: in a reconnect storm, one query per socket on the worker's one
    database thread)."""
    stores = []
    for scope in scopes:
        store = scope.get("session")
        store = getattr(store, "_wrapped", store)  # channels' LazyObject, set up before connect
        if isinstance(store, DatabaseSession) and store.session_key and not hasattr(store, "_session_cache"):
            stores.append(store)
    if len(stores) < 2:
        return
    model = stores[0].model
    found = dict(
        model.objects.filter(
            session_key__in={s.session_key for s in stores}, expire_date__gt=timezone.now()
        ).values_list("session_key", "session_data")
    )
    for store in stores:
        data = found.get(store.session_key)
        if data is not None:
            setattr(store, "_session_cache", store.decode(data))  # noqa: B010 (not in django-stubs)
