"""Every benchmark of docs/performance.md, one after the other (``make bench``). Not part of the tests.

    .venv/bin/python benchmarks/run_all.py [--quick]

Prints each benchmark's JSON lines as they come. The Redis runs need PostgreSQL and Redis on
127.0.0.1 (as ``make test``'s service pass does); they are skipped with a note when unreachable.
A full run takes 40-60 minutes on 2 cores; ``--quick`` runs the 50- and 200-player sizes of the
single-exercise fan-out and the 4-table workshop (``workshop.py --quick``, with its mix and storm).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
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
    """One benchmark in its own process group, so a timeout also stops the servers it started."""
    command = [sys.executable, str(HERE / script), *args]
    print(f"# {' '.join(command[1:])}  (load {os.getloadavg()[0]:.2f})", flush=True)
    proc = subprocess.Popen(command, start_new_session=True)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        print(f"# timed out after {timeout:.0f} s", flush=True)
        for sig, grace in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            try:
                proc.wait(timeout=grace)
                break
            except subprocess.TimeoutExpired:
                continue


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
    # Workshop scale (issue #11): many tables, every seat a role, injects across all tables.
    for layer in layers:
        bench("workshop.py", "--quick", "--layer", layer, "--mix", "--storm")
    if not args.quick:
        bench("workshop.py", "--tables", "18", "--layer", "memory", "--storm")
        if "redis" in layers:
            bench("workshop.py", "--tables", "40", "--layer", "redis", "--storm")
            bench("workshop.py", "--tables", "80", "--layer", "redis", timeout=2400)
            bench("workshop.py", "--tables", "40", "--layer", "redis", "--mix")
    for layer in layers:
        bench("commands.py", "--layer", layer, "--rate", "0")
        bench("commands.py", "--layer", layer, "--rate", "100")
    bench("commands.py", "--mix", "--rate", "100", "--seconds", "10" if args.quick else "20")
    if not args.quick:
        bench("commands.py", "--mix", "--rate", "0", "--seconds", "20")
    bench("proposal_cost.py", "--count")  # a proposal's renders for its table's audiences (in process)
    bench("memory.py", "--connections", "200" if args.quick else "1000")
    bench("review_bench.py", "--events", "10000")
    bench("counterfactual.py", "--seeds", "20")
    bench("studio_bench.py")


if __name__ == "__main__":
    main()
