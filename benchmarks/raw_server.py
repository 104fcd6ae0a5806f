"""The raw floor: a plain asyncio ``websockets`` server that broadcasts, no Django, no Channels.

    python benchmarks/raw_server.py PORT

A text frame ``go <token> <size>`` from any client is broadcast to every connected client as
a fragment of ``size`` bytes carrying ``token`` (``websockets.broadcast``: one encoding, one
write per socket). Stops by itself after ``--lifetime`` seconds (default 1 hour).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from websockets.asyncio.server import broadcast, serve

CLIENTS: set = set()


async def handler(ws) -> None:
    CLIENTS.add(ws)
    try:
        async for text in ws:
            _, token, size = str(text).split()
            fragment = f'<div id="feed" hx-swap-oob="afterbegin"><p>{token}</p>'
            fragment += "x" * max(0, int(size) - len(fragment) - 10) + "</div>"
            broadcast(CLIENTS, fragment)
    finally:
        CLIENTS.discard(ws)


async def main(port: int, lifetime: float) -> None:
    async with serve(handler, "127.0.0.1", port, max_size=2**16, compression=None, ping_interval=None):
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
