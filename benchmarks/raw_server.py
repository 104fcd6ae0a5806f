"""The raw floor: a plain asyncio ``websockets`` server that broadcasts, no Django, no Channels.

    python benchmarks/raw_server.py PORT

A text frame ``go <token> <size>`` from any client is broadcast to every client connected on
the same path (``/``: everyone; ``/t7/``: a workshop table's group) as a fragment of ``size``
bytes carrying ``token`` (``websockets.broadcast``: one encoding, one write per socket).
``?hello=<size>`` sends one fragment carrying ``hello`` on connect. Stops by itself after
``--lifetime`` seconds (default 1 hour).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections import defaultdict
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import broadcast, serve
from websockets.exceptions import ConnectionClosed

GROUPS: dict[str, set] = defaultdict(set)


def fragment(token: str, size: int) -> str:
    html = f'<div id="feed" hx-swap-oob="afterbegin"><p>{token}</p>'
    return html + "x" * max(0, size - len(html) - 10) + "</div>"


async def handler(ws) -> None:
    url = urlsplit(ws.request.path)
    group = GROUPS[url.path]
    group.add(ws)
    try:
        query = parse_qs(url.query)
        if "hello" in query:
            await ws.send(fragment("hello", int(query["hello"][0])))
        async for text in ws:
            _, token, size = str(text).split()
            broadcast(group, fragment(token, int(size)))
    except ConnectionClosed:  # a storm drops sockets without a closing handshake
        pass
    finally:
        group.discard(ws)


async def main(port: int, lifetime: float) -> None:
    async with serve(handler, "127.0.0.1", port, max_size=2**16, compression=None, ping_interval=None, backlog=4096):
        await asyncio.sleep(lifetime)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("--lifetime", type=float, default=3600)
    args = parser.parse_args()
    with contextlib.suppress(ImportError):
        import uvloop

        uvloop.install()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main(args.port, args.lifetime))
