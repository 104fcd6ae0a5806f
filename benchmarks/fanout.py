"""Fan-out: from a facilitator releasing an inject to every player's socket having it.

    .venv/bin/python benchmarks/fanout.py --players 200 --layer memory|redis [--server uvicorn|daphne]

``memory``: one worker process, in-memory channel layer, throwaway SQLite file.
``redis``: two worker processes on Redis + PostgreSQL (``ct_bench`` database, created if missing),
players split evenly between them, the facilitator on the first.

Three things are measured in the same run, their rounds interleaved (machine speed drifts):
- the app: a facilitator's ``adhoc_inject`` over the console socket → the engine, the log, the
  commit, the layer, one render per audience, the frame on every player's socket;
- the floor: the smallest Channels app (``benchmarks/bare/asgi.py``, same server, same layer,
  same number of workers) group-sending a fragment of the same size;
- the raw floor: a plain asyncio ``websockets`` broadcast server (``benchmarks/raw_server.py``).
Prints one JSON line. Latencies are over every (round, player) pair; ``missed`` counts
deliveries that did not arrive within ``--timeout``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import harness  # noqa: E402


async def run(
    args: argparse.Namespace, env: dict[str, str], exercise, cookies: list[str], facilitator_cookie: str
) -> dict:
    workers = 1 if args.layer == "memory" else 2
    app = harness.start_servers(env, workers, kind=args.server, app=harness.app_for(args.push))
    bare = (
        []
        if args.no_floor
        else harness.start_servers(env, workers, kind=args.server, app="benchmarks.bare.asgi:application")
    )
    from tests.services.live import free_port, wait_for_port

    raw_port = free_port()
    raw_proc = None
    if not args.no_floor:
        raw_proc = subprocess.Popen(
            [sys.executable, str(harness.ROOT / "benchmarks" / "raw_server.py"), str(raw_port), "--lifetime", "1800"]
        )
        wait_for_port(raw_port)
    record: dict = {
        "players": args.players,
        "layer": args.layer,
        "server": args.server,
        "workers": workers,
        "rounds": args.rounds,
    }
    if args.push != "real":
        record["push"] = args.push
    try:
        base_rss = sum(harness.rss_kb(s.proc.pid) for s in app)
        players = [
            harness.Client(f"{app[n % workers].ws}/ws/exercise/{exercise.code}/", app[n % workers].origin, cookie)
            for n, cookie in enumerate(cookies)
        ]
        await harness.connect_all(players, resume=exercise.last_seq)
        await asyncio.sleep(2)  # resumes answered, tasks settled
        record["idle_kb_per_conn"] = round((sum(harness.rss_kb(s.proc.pid) for s in app) - base_rss) / args.players, 1)
        console = harness.Client(f"{app[0].ws}/ws/exercise/{exercise.code}/console/", app[0].origin, facilitator_cookie)
        await console.connect(resume=exercise.last_seq)

        async def release(token: str) -> None:
            await console.conn.send(
                json.dumps(
                    {
                        "type": "adhoc_inject",
                        "title": token,
                        "text": f"Benchmark inject {token}.",
                        "recipients": ["all"],
                        "public": True,
                    }
                )
            )

        # Warm-up (not counted): loads templates and code paths, and gives the frame size.
        got, _ = await harness.broadcast_round(
            "warm-app", players, lambda: release("warm-app"), timeout=args.timeout * 3
        )
        size = int(statistics.median(s for p in players for s in p.sizes)) if got else 2000
        record["frame_bytes"] = size
        phases: Phases = {"app": ([], players, release)}
        senders = [] if args.no_floor else await _add_floors(args, phases, bare, raw_port, size)
        missed = await _timed_rounds(args, phases, record)
        record.update(harness.percentiles(phases["app"][0]))
        record["missed"] = missed["app"]
        if not args.no_floor:
            for name, prefix in (("floor", "floor_"), ("raw", "raw_")):
                record.update({prefix + k: v for k, v in harness.percentiles(phases[name][0]).items()})
                record[prefix + "missed"] = missed[name]
            if record.get("p99_ms") and record.get("floor_p99_ms"):
                record["p99_vs_floor"] = round(record["p99_ms"] / record["floor_p99_ms"], 2)
        await harness.close_all([c for _, clients, _ in phases.values() for c in clients] + [console, *senders])
    finally:
        harness.stop_servers([*app, *bare])
        if raw_proc is not None:
            raw_proc.terminate()
            raw_proc.wait(timeout=10)
    return record


# name -> (latencies, the clients that receive, what sends one broadcast given its token)
Phases = dict[str, tuple[list[float], list[harness.Client], Callable[[str], Awaitable[None]]]]


async def _add_floors(
    args: argparse.Namespace, phases: Phases, bare: list, raw_port: int, size: int
) -> list[harness.Client]:
    """The bare Channels app and the raw websockets server as phases, warmed up; returns their senders."""
    workers = len(bare)
    floor_clients = [
        harness.Client(f"{bare[n % workers].ws}/ws/bare/", bare[n % workers].origin, None) for n in range(args.players)
    ]
    floor_sender = harness.Client(f"{bare[0].ws}/ws/bare/", bare[0].origin, None)
    raw_clients = [
        harness.Client(f"ws://127.0.0.1:{raw_port}/", f"http://127.0.0.1:{raw_port}", None) for _ in range(args.players)
    ]
    raw_sender = harness.Client(f"ws://127.0.0.1:{raw_port}/", f"http://127.0.0.1:{raw_port}", None)
    await harness.connect_all([*floor_clients, floor_sender], resume=None)
    await harness.connect_all([*raw_clients, raw_sender], resume=None)

    async def floor(token: str) -> None:
        await floor_sender.conn.send(f"go {token} {size}")

    async def rawcast(token: str) -> None:
        await raw_sender.conn.send(f"go {token} {size}")

    phases["floor"] = ([], floor_clients, floor)
    phases["raw"] = ([], raw_clients, rawcast)
    for name, (_, clients, trigger) in list(phases.items())[1:]:
        await harness.broadcast_round(
            f"warm-{name}", clients, lambda t=f"warm-{name}", tr=trigger: tr(t), timeout=args.timeout * 3
        )
    return [floor_sender, raw_sender]


async def _timed_rounds(args: argparse.Namespace, phases: Phases, record: dict) -> dict[str, int]:
    """``--rounds`` rounds, the phases interleaved in each; returns the deliveries missed per phase."""
    missed = {name: 0 for name in phases}
    deadline = time.monotonic() + args.budget
    # The client's own garbage collector must not pause the stopwatch (rounds are bounded, so is memory).
    gc.collect()
    gc.freeze()
    gc.disable()
    for r in range(args.rounds):
        if time.monotonic() > deadline:
            record["stopped_early_after_rounds"] = r
            break
        for name, (latencies, clients, trigger) in phases.items():
            token = f"bench-{name}-{r:03d}"
            got, lost = await harness.broadcast_round(
                token, clients, lambda t=token, tr=trigger: tr(t), timeout=args.timeout
            )
            latencies.extend(got)
            missed[name] += lost
            if args.verbose:
                print(name, r, harness.percentiles(got), lost, file=sys.stderr)
            await asyncio.sleep(args.gap)
    gc.enable()
    return missed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--players", type=int, default=200)
    parser.add_argument("--layer", choices=["memory", "redis"], default="memory")
    parser.add_argument("--server", choices=["uvicorn", "daphne"], default="uvicorn")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--gap", type=float, default=0.5, help="seconds of quiet between broadcasts")
    parser.add_argument("--timeout", type=float, default=20.0, help="longest wait for one broadcast")
    parser.add_argument("--budget", type=float, default=600.0, help="stop starting rounds after this many seconds")
    parser.add_argument("--verbose", action="store_true", help="each round's figures on stderr")
    parser.add_argument("--no-floor", action="store_true", help="measure the app only")
    parser.add_argument("--push", choices=["real", "probe"], default="real", help="probe: the tests' stand-in renderer")
    args = parser.parse_args()
    env = harness.setup(args.layer)
    table = harness.exercise_with_players(args.players)
    harness.use_uvloop()
    harness.emit(asyncio.run(run(args, env, *table)))


if __name__ == "__main__":
    main()
