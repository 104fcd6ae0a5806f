"""Server memory per idle connection.

    .venv/bin/python benchmarks/memory.py [--connections 1000] [--layer memory|redis] [--server uvicorn|daphne]

Starts the worker(s), reads their resident memory (VmRSS), connects ``--connections`` players of
one exercise (each resumed, then idle), waits for things to settle, reads it again. Prints one
JSON line with the difference divided by the number of connections. (``fanout.py`` reports the
same figure as ``idle_kb_per_conn`` for its own players.)
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import harness  # noqa: E402


async def run(args: argparse.Namespace, env: dict[str, str], exercise, cookies: list[str], _facilitator: str) -> dict:
    workers = 1 if args.layer == "memory" else 2
    servers = harness.start_servers(env, workers, kind=args.server)
    try:
        await asyncio.sleep(1)
        before = sum(harness.rss_kb(s.proc.pid) for s in servers)
        clients = [
            harness.Client(f"{servers[n % workers].ws}/ws/exercise/{exercise.code}/", servers[n % workers].origin, c)
            for n, c in enumerate(cookies)
        ]
        await harness.connect_all(clients, resume=exercise.last_seq)
        await asyncio.sleep(args.settle)
        after = sum(harness.rss_kb(s.proc.pid) for s in servers)
        await harness.close_all(clients)
    finally:
        harness.stop_servers(servers)
    return {
        "bench": "memory",
        "layer": args.layer,
        "server": args.server,
        "workers": workers,
        "connections": args.connections,
        "rss_before_kb": before,
        "rss_after_kb": after,
        "kb_per_idle_conn": round((after - before) / args.connections, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--layer", choices=["memory", "redis"], default="memory")
    parser.add_argument("--server", choices=["uvicorn", "daphne"], default="uvicorn")
    parser.add_argument("--settle", type=float, default=3.0)
    args = parser.parse_args()
    env = harness.setup(args.layer)
    table = harness.exercise_with_players(args.connections)
    harness.use_uvloop()
    harness.emit(asyncio.run(run(args, env, *table)))


if __name__ == "__main__":
    main()
