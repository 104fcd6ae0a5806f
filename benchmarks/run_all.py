"""Every benchmark of docs/performance.md, one after the other (``make bench``). Not part of the tests.

    .venv/bin/python benchmarks/run_all.py [--quick]

Prints each benchmark's JSON lines as they come. The Redis runs need PostgreSQL and Redis on
127.0.0.1 (as ``make test``'s service pass does); they are skipped with a note when unreachable.
A full run takes 20-30 minutes on 2 cores; ``--quick`` runs the 50- and 200-player sizes only.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def reachable(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def bench(script: str, *args: str, timeout: float = 1200) -> None:
    command = [sys.executable, str(HERE / script), *args]
    print(f"# {' '.join(command[1:])}", flush=True)
    try:
        subprocess.run(command, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        print(f"# timed out after {timeout:.0f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    layers = ["memory"] + (["redis"] if reachable(5432) and reachable(6379) else [])
    if "redis" not in layers:
        print("# PostgreSQL or Redis unreachable: the two-worker Redis runs are skipped", flush=True)
    sizes = [50, 200] if args.quick else [50, 200, 1000]
    for players in sizes:
        for layer in layers:
            rounds = "6" if players >= 1000 else "10"
            bench("fanout.py", "--players", str(players), "--layer", layer, "--rounds", rounds)
    for server in ("uvicorn", "daphne"):  # the ASGI server comparison, same bench, one after the other
        bench("fanout.py", "--players", "200", "--layer", "memory", "--server", server, "--rounds", "10")
    for layer in layers:
        bench("commands.py", "--layer", layer, "--rate", "0")
        bench("commands.py", "--layer", layer, "--rate", "100")
    bench("memory.py", "--connections", "200" if args.quick else "1000")
    bench("review_bench.py", "--events", "10000")
    bench("counterfactual.py", "--seeds", "20")
    bench("studio_bench.py")


if __name__ == "__main__":
    main()
