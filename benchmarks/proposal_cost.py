"""What a proposal's batch costs to render for every audience of its table, in one process.

    .venv/bin/python benchmarks/proposal_cost.py [--proposals 60] [--history 120] [--profile] [--count]

A september-2001 table with every playable role seated (12), started, in its second phase, then
``--history`` commands of the real mix through the write path (as ``render_cost.py`` prepares it).
Then up to ``--proposals`` proposals drawn as the mix draws them (``mix.Chooser._propose``: an
action the role has now, one needing an approval or opening a channel more often than not), each
run through ``services.execute`` (not timed) and its batch rendered for every audience of the
table as the hub does (every role, the console and the board, in English): that is what is timed.
The channel layer is left out (``fanout.publish`` is a no-op).

Prints one JSON line: the median, minimum and sum of the renders per proposal (ms), and with
``--count`` the templates rendered and the parts sent per proposal; ``--profile`` adds cProfile's
top functions (cumulative). Issue #11, part 8 (docs/performance.md): proposals were the slowest
command of the workshop mix.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import io
import pstats
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import harness, mix  # noqa: E402
from benchmarks.render_cost import play_history  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--proposals", type=int, default=60, help="proposals tried (some draw nothing to propose)")
    parser.add_argument("--history", type=int, default=120, help="mix commands played before measuring")
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--profile", action="store_true", help="cProfile's top functions of the renders")
    parser.add_argument("--count", action="store_true", help="templates rendered and parts sent per proposal")
    args = parser.parse_args()
    harness.setup("memory")

    from exercises import engine, fanout, inputs, services
    from exercises.screens import audiences, partials
    from scenarios.library import latest, scenario_for

    fanout.publish = lambda *a, **k: None  # type: ignore[assignment]
    fanout.publish_signal = lambda *a, **k: None  # type: ignore[assignment]
    _w, tables, _fac = harness.workshop_tables(1, slug="september-2001")
    table = tables[0]
    scenario = scenario_for(latest("september-2001"))
    play_history(table, scenario, args.history, 1)
    keys = [(f"role:{s.role}", "en") for s in table.seats] + [("facilitator", "en"), ("public", "en")]

    built: collections.Counter[str] = collections.Counter()
    sent: collections.Counter[str] = collections.Counter()
    if args.count:
        real = partials.render_to_string

        def counted(name: str, context: dict[str, Any]) -> str:
            built[name.rsplit("/", 1)[-1]] += 1
            return real(name, context)

        partials.render_to_string = counted  # type: ignore[assignment]

    chooser = mix.Chooser(scenario, seed=args.seed)
    rng = random.Random(args.seed)
    profile = cProfile.Profile() if args.profile else None
    times: list[float] = []
    for k in range(args.proposals):
        chooser.refresh([table.exercise_id])
        seat = table.seats[k % len(table.seats)]
        command = chooser._propose(seat, chooser.states[table.exercise_id], rng)
        if command is None:
            continue
        actor = engine.Actor(kind="participant", participant=seat.participant)
        try:
            done = services.execute(
                exercise_id=table.exercise_id, actor=actor, command=inputs.command_from(command.data)
            )
        except engine.InvalidCommand:
            continue
        if not done.events:
            continue
        if profile:
            profile.enable()
        t0 = time.perf_counter()
        for key in keys:
            for name, _html in audiences.render_parts(table.exercise_id, done.events, key, table.code):
                sent[name] += 1
        times.append((time.perf_counter() - t0) * 1000)
        if profile:
            profile.disable()
    n = len(times)
    record: dict[str, Any] = {
        "bench": "proposal_cost",
        "proposals": n,
        "audiences": len(keys),
        "median_ms": round(statistics.median(times), 2),
        "min_ms": round(min(times), 2),
        "sum_ms": round(sum(times), 1),
        "load": harness.load(),
    }
    if args.count:
        record["rendered_per_proposal"] = {k: round(v / n, 1) for k, v in built.most_common()}
        record["sent_per_proposal"] = {k: round(v / n, 1) for k, v in sent.most_common() if k != "seq"}
    harness.emit(record)
    if profile:
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(30)
        print(out.getvalue())


if __name__ == "__main__":
    main()
