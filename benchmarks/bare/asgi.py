"""The floor: the smallest Channels app that broadcasts a fragment to a group.

Every socket joins one group; a text frame ``go <token> <size>`` from any socket makes the
server ``group_send`` a fragment of ``size`` bytes carrying ``token``, and each consumer's
handler sends it to its socket — the pattern of the Channels tutorial, with no database,
no rendering and no access checks. Same settings (so the same channel layer) as the app.

    uvicorn benchmarks.bare.asgi:application   (or daphne)
"""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

GROUP = "bench"


class BareConsumer(AsyncWebsocketConsumer):
    groups = [GROUP]

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        _, token, size = (text_data or "").split()
        fragment = f'<div id="feed" hx-swap-oob="afterbegin"><p>{token}</p>'
        fragment += "x" * max(0, int(size) - len(fragment) - 10) + "</div>"
        await self.channel_layer.group_send(GROUP, {"type": "bench.fragment", "html": fragment})

    async def bench_fragment(self, event: dict) -> None:
        await self.send(text_data=event["html"])


application = ProtocolTypeRouter({"websocket": URLRouter([path("ws/bare/", BareConsumer.as_asgi())])})
