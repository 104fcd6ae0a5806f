"""Live servers and WebSocket players for the service-backed tests (and the benchmarks).

A ``Server`` is a real ASGI worker (uvicorn by default, the production command; daphne on
request) in a subprocess on a free 127.0.0.1 port, talking to the same PostgreSQL and Redis
as the test. A ``Player`` is a ``websockets`` client identified by a session cookie, as a
browser would be: nothing here reaches into a server process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SEQ = re.compile(r'id="ct-seq"[^>]*data-seq="(\d+)"|data-seq="(\d+)"[^>]*id="ct-seq"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 20.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout} s")


def server_command(kind: str, port: int, app: str = "config.asgi:application") -> list[str]:
    """The production worker command of docs/deploy.md (uvicorn), or daphne's."""
    if kind == "daphne":
        return [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), app]
    return [
        sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port),
        "--lifespan", "off", "--no-access-log", "--ws-max-size", "65536", "--ws-per-message-deflate", "false",
    ]  # fmt: skip


class Server:
    """One worker process; ``kill``/``start`` simulate a crash and a restart on the same port."""

    def __init__(
        self,
        env: dict[str, str],
        *,
        kind: str = "uvicorn",
        port: int | None = None,
        app: str = "config.asgi:application",
    ) -> None:
        self.env = env
        self.kind = kind
        self.app = app
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None
        self.log = Path(os.environ.get("TMPDIR", "/tmp")) / f"ct-{self.kind}-{self.port}.log"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                server_command(self.kind, self.port, self.app),
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_for_port(self.port, proc=self.proc)
        return self

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:  # a graceful stop waiting on open sockets
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None

    def stop(self) -> None:
        self.kill(signal.SIGTERM)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def seqs_in(frame: str) -> list[int]:
    """The ``data-seq`` marker(s) of a pushed frame: the last event it brings this viewer up to."""
    return [int(a or b) for a, b in SEQ.findall(frame)]


class Player:
    """One WebSocket client. Records every frame; tracks the last seq as a browser does."""

    def __init__(self, server: Server, code: str, cookie: str, *, mode: str = "play", name: str = "") -> None:
        self.server = server
        self.code = code
        self.cookie = cookie
        self.mode = mode
        self.name = name
        self.frames: list[str] = []
        self.last = 0
        self.conn: Any = None
        self.reader: asyncio.Task[None] | None = None
        self.changed = asyncio.Event()

    @property
    def path(self) -> str:
        suffix = "" if self.mode == "play" else f"{self.mode}/"
        return f"/ws/exercise/{self.code}/{suffix}"

    async def connect(self, *, resume: bool = True) -> Player:
        import websockets

        self.conn = await websockets.connect(
            self.server.ws + self.path,
            origin=self.server.origin,
            additional_headers={"Cookie": f"sessionid={self.cookie}"},
            open_timeout=10,
            max_size=2**24,
        )
        self.reader = asyncio.get_running_loop().create_task(self._read())
        if resume:
            await self.send({"type": "resume", "last": self.last})
        return self

    async def _read(self) -> None:
        with contextlib.suppress(Exception):
            async for frame in self.conn:
                self.frames.append(frame)
                for seq in seqs_in(frame):
                    self.last = max(self.last, seq)
                self.changed.set()

    async def send(self, data: dict[str, Any]) -> None:
        await self.conn.send(json.dumps(data))

    async def wait_for(self, predicate, timeout: float = 15.0) -> bool:
        """Wait until ``predicate(self)`` holds; False on timeout (bounded in time)."""
        deadline = time.monotonic() + timeout
        while not predicate(self):
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.changed.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.changed.wait(), timeout=min(left, 0.5))
        return True

    async def wait_seq(self, seq: int, timeout: float = 15.0) -> bool:
        return await self.wait_for(lambda p: p.last >= seq, timeout)

    async def drop(self) -> None:
        """Lose the connection without a closing handshake (a phone going into a tunnel)."""
        if self.conn is not None:
            self.conn.transport.abort()
        await self.closed()

    async def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.conn.close(), 5)
        await self.closed()

    async def closed(self) -> None:
        if self.reader is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.reader, 5)
        self.reader = None

    def frames_with(self, text: str) -> list[int]:
        """Indexes of the frames that contain ``text``."""
        return [n for n, frame in enumerate(self.frames) if text in frame]

    def toasts(self) -> list[str]:
        return [f for f in self.frames if "toast" in f]


async def close_all(players: Iterable[Player]) -> None:
    await asyncio.gather(*(p.close() for p in players), return_exceptions=True)
