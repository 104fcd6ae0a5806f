"""Command throughput and latency: players posting to the public press channel.

    .venv/bin/python benchmarks/commands.py --layer memory|redis [--rate 100] [--seconds 10] [--server uvicorn]

Every playable role is held by one connected player (september-2001: 13), plus ``--watchers``
role-less players who only watch. Open loop: together the role players send ``--rate``
``send_message`` commands a second, spread evenly, for ``--seconds``; ``--rate 0`` is a closed
loop (each player sends its next command as soon as its previous one came back) to find the
ceiling. A command's latency is from the frame leaving the client to the pushed frame carrying
that message arriving back on the sender's own socket: parse, rate limit, row lock, engine,
commit, fan-out, render, write. Prints one JSON line. The rate limiter is raised for the run
(``CT_RATE_LIMIT_PER_10S``): it would otherwise refuse a player's 4th command a second.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import harness  # noqa: E402


async def run(
    args: argparse.Namespace, env: dict[str, str], exercise, cookies: list[str], _facilitator: str, roles: int
) -> dict:
    workers = 1 if args.layer == "memory" else 2
    servers = harness.start_servers(env, workers, kind=args.server)
    record: dict = {
        "bench": "commands",
        "layer": args.layer,
        "server": args.server,
        "workers": workers,
        "players": roles,
    }
    record.update({"watchers": len(cookies) - roles, "offered_per_s": args.rate or "closed-loop"})
    clients = [
        harness.Client(f"{servers[n % workers].ws}/ws/exercise/{exercise.code}/", servers[n % workers].origin, cookie)
        for n, cookie in enumerate(cookies)
    ]
    try:
        await harness.connect_all(clients, resume=exercise.last_seq)
        await asyncio.sleep(1)
        senders = clients[:roles]
        latencies: list[float] = []
        lost = 0
        sent = 0

        async def one(client: harness.Client, token: str) -> None:
            nonlocal lost
            client.expect(token)
            t0 = time.perf_counter()
            await client.conn.send(json.dumps({"type": "send_message", "channel": "press", "text": token}))
            deadline = t0 + args.timeout
            while not client.arrived(token) and time.perf_counter() < deadline:
                await asyncio.sleep(0.002)
            if client.arrived(token):
                latencies.append((client.arrived(token) - t0) * 1000)
            else:
                lost += 1

        await one(senders[0], "warm-up")
        latencies.clear()
        gc.collect()
        gc.freeze()
        gc.disable()  # the client's collector must not pause the stopwatch (bounded run, bounded memory)
        start = time.perf_counter()
        end = start + args.seconds
        if args.rate:
            pending = []
            interval = 1.0 / args.rate
            n = 0
            while time.perf_counter() < end and n < args.rate * args.seconds:
                pending.append(asyncio.ensure_future(one(senders[n % roles], f"cmd-{n:06d}")))
                n += 1
                await asyncio.sleep(max(0.0, start + n * interval - time.perf_counter()))
            await asyncio.gather(*pending)
            sent = n
        else:

            async def loop(k: int, client: harness.Client) -> int:
                count = 0
                while time.perf_counter() < end:
                    await one(client, f"cmd-{k:02d}-{count:06d}")
                    count += 1
                return count

            sent = sum(await asyncio.gather(*(loop(k, c) for k, c in enumerate(senders))))
        elapsed = time.perf_counter() - start
        gc.enable()
        record.update(harness.percentiles(latencies))
        record.update({"commands": sent, "lost": lost, "achieved_per_s": round(len(latencies) / elapsed, 1)})
        await harness.close_all(clients)
    finally:
        harness.stop_servers(servers)
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--layer", choices=["memory", "redis"], default="memory")
    parser.add_argument("--server", choices=["uvicorn", "daphne"], default="uvicorn")
    parser.add_argument("--rate", type=float, default=100.0, help="commands a second in all; 0 = closed loop")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--watchers", type=int, default=20, help="role-less players who only receive")
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args()
    env = harness.setup(args.layer)
    from scenarios.library import latest, scenario_for, sync_library

    sync_library()
    roles = len([r for r in scenario_for(latest("september-2001")).roles if not r.institution])
    table = harness.exercise_with_players(roles + args.watchers)
    harness.use_uvloop()
    harness.emit(asyncio.run(run(args, env, *table, roles)))


if __name__ == "__main__":
    main()
