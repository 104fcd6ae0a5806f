"""The floor: the smallest Channels app that broadcasts a fragment to a group.

Every socket joins a group (``/ws/bare/``: one shared group; ``/ws/bare/<name>/``: the group
``<name>``, so a workshop's floor has one group per table); a text frame ``go <token> <size>``
from any socket makes the server ``group_send`` a fragment of ``size`` bytes carrying ``token``
to that socket's group, and each consumer's handler sends it to its socket — the pattern of the
Channels tutorial, with no database, no rendering and no access checks. Same settings (so the
same channel layer) as the app. ``?hello=<size>`` makes the server send one fragment carrying
``hello`` as soon as the socket is accepted (the floor of a reconnect storm's catch-up frame).

    uvicorn benchmarks.bare.asgi:application   (or daphne)
"""

from __future__ import annotations

import os
from urllib.parse import parse_qs

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

GROUP = "bench"


def fragment(token: str, size: int) -> str:
    html = f'<div id="feed" hx-swap-oob="afterbegin"><p>{token}</p>'
    return html + "x" * max(0, size - len(html) - 10) + "</div>"


class BareConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        name = self.scope["url_route"]["kwargs"].get("group")
        self.group = f"{GROUP}.{name}" if name else GROUP
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        query = parse_qs(self.scope.get("query_string", b"").decode())
        if "hello" in query:
            await self.send(text_data=fragment("hello", int(query["hello"][0])))

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        _, token, size = (text_data or "").split()
        await self.channel_layer.group_send(self.group, {"type": "bench.fragment", "html": fragment(token, int(size))})

    async def bench_fragment(self, event: dict) -> None:
        await self.send(text_data=event["html"])


application = ProtocolTypeRouter(
    {
        "websocket": URLRouter(
            [
                path("ws/bare/", BareConsumer.as_asgi()),
                path("ws/bare/<str:group>/", BareConsumer.as_asgi()),
            ]
        )
    }
)
