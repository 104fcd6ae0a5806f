"""How long K counterfactual runs take, and how much memory they need.

    .venv/bin/python benchmarks/counterfactual.py [--seeds 20] [--runs 3] [--slug september-2001] [--profile]

Times ``engine.counterfactual.run`` (what ``manage.py counterfactual`` and a background job
call) on one core: role-policy bots in every played seat, from the first phase of the
scenario (a table that has just started) to its end, K seeds. Then measures memory with
``tracemalloc`` for K = 5, 10, 20 and 40, each in a fresh process (so no run inherits another's
caches): the peak during the call and the size of the result, to show memory grows with K
only by the results. ``--profile`` prints the top of a cProfile of one K run. Prints one JSON
object per line. Plain Python: no database, no Django.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from exercises import engine  # noqa: E402
from exercises.engine import commands as c  # noqa: E402
from exercises.engine import counterfactual  # noqa: E402
from exercises.engine.policy import value  # noqa: E402
from scenarios.loader import load_file  # noqa: E402

W0 = 1_000_000_000.0


def started_log(slug: str) -> tuple[object, list[engine.Event]]:
    """A table of ``slug`` just started: created, one player seated, the clock running."""
    scenario = load_file(ROOT / "scenarios" / "library" / f"{slug}.yaml")[0]
    state = engine.initial_state(scenario)
    log = [engine.opening_event(scenario, content_hash="bench", seed=1, title="bench")]
    engine.apply(state, log[0])
    player = engine.Actor(kind="participant", participant="p1")
    first = next(r.id for r in scenario.roles if not r.institution)
    for actor, cmd in [(player, c.Join(name="P")), (player, c.ClaimRole(role=first)), (engine.FACILITATOR, c.Start())]:
        events, state = engine.run(scenario, state, actor, cmd, seed=1, wall=W0)
        log += events
    return scenario, log


def timing(slug: str, seeds: int, runs: int) -> dict[str, object]:
    scenario, log = started_log(slug)
    times = []
    result = None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = counterfactual.run(scenario, log, at_seq=len(log), seeds=range(1, seeds + 1))
        times.append(time.perf_counter() - t0)
    assert result is not None
    return {
        "bench": "counterfactual-time",
        "slug": slug,
        "seeds": seeds,
        "runs": runs,
        "seconds_min": round(min(times), 2),
        "seconds_median": round(statistics.median(times), 2),
        "per_seed_ms": round(1000 * min(times) / seeds),
        "target_s": 60,
        "met": max(times) <= 60,
        "max_bot_refusals": result.max_bot_refusals,
    }


def memory(slug: str, seeds: int) -> dict[str, object]:
    scenario, log = started_log(slug)
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    result = counterfactual.run(scenario, log, at_seq=len(log), seeds=range(1, seeds + 1))
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "bench": "counterfactual-memory",
        "slug": slug,
        "seeds": seeds,
        "peak_kb": round((peak - base) / 1024),
        "kept_kb": round((current - base) / 1024),  # the result and the bounded caches
        "result_json_kb": round(len(json.dumps(result.as_dict())) / 1024, 1),
        "boards_cached": len(value._boards),  # bounded by value.BOARDS_KEPT
    }


def profile(slug: str, seeds: int) -> str:
    scenario, log = started_log(slug)
    profiler = cProfile.Profile()
    profiler.enable()
    counterfactual.run(scenario, log, at_seq=len(log), seeds=range(1, seeds + 1))
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--slug", default="september-2001")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--memory-only", type=int, default=0, help=argparse.SUPPRESS)  # one fresh process per K
    args = parser.parse_args()
    if args.memory_only:
        print(json.dumps(memory(args.slug, args.memory_only)), flush=True)
        return
    print(json.dumps(timing(args.slug, args.seeds, args.runs)), flush=True)
    for k in (5, 10, 20, 40):
        subprocess.run([sys.executable, __file__, "--slug", args.slug, "--memory-only", str(k)], check=True)
    if args.profile:
        print(profile(args.slug, args.seeds), flush=True)


if __name__ == "__main__":
    main()
