"""What one command costs on the write path (``services.execute``), per command type, in one process.

    .venv/bin/python benchmarks/command_cost.py [--layer memory|redis] [--repeat 40] [--quick]
        [--top 15] [--only inject,message,...] [--save-db FILE | --db FILE]

A september-2001 table with every playable role seated (12), started, in its second phase, then
``--history`` commands of the real mix (``benchmarks/mix.py``) through the write path, as
``render_cost.py`` prepares it. Then rounds of one command of each type, interleaved:

- ``inject``: the facilitator's ad-hoc inject, public, to every role (what a workshop release does);
- ``message``: a player's message on one of their channels;
- ``proposal``: a player's proposal (one needing an approval when there is one);
- ``answer``: a player's answer to an approval addressed to them (a proposal needing it is made
  first, not measured);
- ``ack``: a player's acknowledgement of an inject (``mark_seen``);
- ``tick``: ``services.tick`` with nothing due and nothing written since the previous tick (what
  every worker does for every table every 2 s; the first of the two is not measured).

Per type: wall-clock median and minimum (the machine is shared: the minima are the figure),
CPU time of the thread, SQL queries per command, Python function calls per command (cProfile,
stable whatever the load), and cProfile's top functions by own time and by cumulative time.
The channel layer is left out (``fanout.publish`` is a no-op), as in ``render_cost.py``.

``--save-db FILE`` keeps the prepared SQLite database; ``--db FILE`` starts from a copy of it
without preparing (for ``valgrind --tool=callgrind``: the difference in instructions between
``--repeat 0`` and ``--repeat N`` runs, divided by N, is one round's count, independent of load).
Prints one JSON line first, then the readable tables.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import json
import pstats
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import harness, mix  # noqa: E402

TYPES = ("inject", "message", "proposal", "answer", "ack", "tick")


def _fixture(args: argparse.Namespace) -> tuple[harness.Table, Any]:
    """The measured table: prepared here, or read back from ``--db``'s info file."""
    from scenarios.library import latest, scenario_for

    info_file = Path(str(args.db or args.save_db) + ".json") if (args.db or args.save_db) else None
    if args.db:
        assert info_file is not None
        info = json.loads(info_file.read_text())
        seats = [harness.Seat(**s) for s in info["seats"]]
        table = harness.Table(info["exercise_id"], info["code"], seats)
        return table, scenario_for(latest(args.slug))
    from benchmarks.render_cost import play_history

    _w, tables, _fac = harness.workshop_tables(1, slug=args.slug)
    table = tables[0]
    scenario = scenario_for(latest(args.slug))
    play_history(table, scenario, args.history, args.seed)
    if info_file is not None:
        saved = [s.__dict__ for s in table.seats]
        info_file.write_text(json.dumps({"exercise_id": table.exercise_id, "code": table.code, "seats": saved}))
    return table, scenario


class Rounds:
    """One command of each type per round, chosen as a player would (``mix.Chooser``)."""

    def __init__(self, table: harness.Table, scenario: Any, seed: int) -> None:
        self.table = table
        self.chooser = mix.Chooser(scenario, seed=seed)
        self.rng = random.Random(seed)
        self.k = 0

    def _seat(self) -> harness.Seat:
        self.k += 1
        return self.table.seats[self.k % len(self.table.seats)]

    def _state(self) -> Any:
        self.chooser.refresh([self.table.exercise_id])
        return self.chooser.states[self.table.exercise_id]

    def command(self, kind: str) -> tuple[Any, Any] | None:
        """(actor, command) for ``kind``, or None when the table offers none now."""
        from exercises import engine, inputs

        if kind == "inject":
            cmd = engine.commands.AdhocInject(title=f"Cost {self.k}", text="…", recipients=["all"], public=True)
            self.k += 1
            return engine.FACILITATOR, cmd
        if kind == "tick":
            return engine.SYSTEM, None
        state = self._state()
        for _ in range(len(self.table.seats)):
            seat = self._seat()
            actor = engine.Actor(kind="participant", participant=seat.participant)
            choice: mix.Command | None
            if kind == "message":
                choice = self.chooser._message(seat, state, self.rng)
            elif kind == "proposal":
                choice = self.chooser._propose(seat, state, self.rng)
            elif kind == "ack":
                unacked = {seq for seq in state.receipts if seat.participant not in state.receipts.get(seq, [])} or set(
                    state.released.values()
                )
                choice = self.chooser._ack(unacked, state.seq) if unacked else None
            else:
                choice = self._answer(seat, state)
            if choice is not None:
                return actor, inputs.command_from(choice.data)
        return None

    def _answer(self, seat: harness.Seat, state: Any) -> mix.Command | None:
        from exercises import engine, inputs, services

        choice = self.chooser._respond(seat, state, self.rng)
        if choice is not None:
            return choice
        # Make something to answer: another seat proposes an action this seat must approve.
        sc = self.chooser.sc
        for other in self.table.seats:
            for view in engine.action_views(sc, state, other.role):
                if view.available and any(seat.role in sc.roles_of([a.by]) for a in view.action.approvals):
                    data = {"type": "propose_action", "action": view.action.id, "rationale": "to answer"}
                    if view.action.options:
                        data["option"] = view.action.options[0].id
                    actor = engine.Actor(kind="participant", participant=other.participant)
                    with contextlib.suppress(engine.InvalidCommand):
                        services.execute(
                            exercise_id=self.table.exercise_id, actor=actor, command=inputs.command_from(data)
                        )
                    return self.chooser._respond(seat, self._state(), self.rng)
        return None


class PhaseClock:
    """Uninstrumented time per step of the write path: wraps the calls ``services.execute`` and
    ``services.tick`` make (outermost call only, so every millisecond counts once)."""

    def __init__(self) -> None:
        self.ms: dict[str, float] = {}
        self.depth = 0

    def wrap(self, owner: Any, attr: str, label: str, *, classmethod_: bool = False) -> None:
        original = getattr(owner, attr)

        def timed_call(*args: Any, **kwargs: Any) -> Any:
            if self.depth:
                return original(*args, **kwargs)
            self.depth += 1
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.depth -= 1
                self.ms[label] = self.ms.get(label, 0.0) + (time.perf_counter() - t0) * 1000

        setattr(owner, attr, classmethod(lambda cls, *a, **k: timed_call(*a, **k)) if classmethod_ else timed_call)

    def install(self) -> None:
        from django.db.backends.base.base import BaseDatabaseWrapper
        from django.db.models import Model, QuerySet

        from exercises import engine, services

        self.wrap(QuerySet, "get", "row lock and read (get)")
        self.wrap(QuerySet, "first", "row read (tick)")
        self.wrap(QuerySet, "exists", "receipt check")
        self.wrap(QuerySet, "bulk_create", "insert events")
        self.wrap(QuerySet, "create", "insert receipt")
        self.wrap(Model, "save", "update row (state)")
        self.wrap(BaseDatabaseWrapper, "commit", "commit")
        self.wrap(services, "scenario_for", "scenario look-up")
        self.wrap(engine, "run", "engine.run")
        self.wrap(engine, "next_due", "engine.next_due")
        with contextlib.suppress(ImportError):  # the tick's read (since issue #11 part 3)
            from exercises import ticks

            self.wrap(ticks, "due", "ticks.due (tick's read)")
        self.wrap(engine.State, "model_dump", "state dump")
        self.wrap(engine.State, "model_validate", "state validate", classmethod_=True)

    def take(self) -> dict[str, float]:
        out, self.ms = self.ms, {}
        return out


def top_functions(profile: cProfile.Profile, key: str, count: int, per: int) -> list[dict[str, Any]]:
    stats = pstats.Stats(profile)
    rows = []
    for (file, line, name), (_cc, calls, own, cum, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        where = file.split("site-packages/")[-1].split("/work/")[-1]
        rows.append(
            {
                "function": f"{where}:{line}({name})",
                "calls": round(calls / per, 1),
                "own_ms": round(own * 1000 / per, 3),
                "cum_ms": round(cum * 1000 / per, 3),
            }
        )
    rows.sort(key=lambda r: -r[key])
    return rows[:count]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--layer", choices=["memory", "redis"], default="memory", help="redis = PostgreSQL here")
    parser.add_argument("--slug", default="september-2001")
    parser.add_argument("--repeat", type=int, default=40, help="rounds (one command of each type per round)")
    parser.add_argument("--history", type=int, default=120, help="mix commands played before measuring")
    parser.add_argument("--quick", action="store_true", help="10 rounds after 40 history commands")
    parser.add_argument("--only", default=",".join(TYPES), help="comma-separated types to measure")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--no-profile", action="store_true", help="no cProfile (for valgrind runs)")
    parser.add_argument("--phases", action="store_true", help="time the steps of the write path (no cProfile)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--save-db", help="keep the prepared SQLite database in this file")
    parser.add_argument("--db", help="start from a copy of a database saved with --save-db")
    args = parser.parse_args()
    if args.quick:
        args.repeat, args.history = 10, 40
    if args.phases:
        args.no_profile = True
    return args


class Measured:
    """Per command type: wall and CPU times, queries, outcomes, a cProfile and the steps' times."""

    def __init__(self, kinds: list[str], *, profile: bool, phases: bool) -> None:
        self.kinds = kinds
        self.wall: dict[str, list[float]] = {k: [] for k in kinds}
        self.cpu: dict[str, list[float]] = {k: [] for k in kinds}
        self.queries: dict[str, list[int]] = {k: [] for k in kinds}
        self.outcomes: dict[str, dict[str, int]] = {k: {} for k in kinds}
        self.profiles = {k: cProfile.Profile() for k in kinds} if profile else {}
        self.phases: dict[str, dict[str, list[float]]] = {k: {} for k in kinds}
        self.clock = PhaseClock() if phases else None
        if self.clock is not None:
            self.clock.install()

    def count(self, kind: str, outcome: str) -> None:
        self.outcomes[kind][outcome] = self.outcomes[kind].get(outcome, 0) + 1

    def run(self, kind: str, call: Any) -> None:
        """Time one command (``call`` returns a ``services.Result``)."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from exercises import engine

        profile = self.profiles.get(kind)
        if self.clock is not None:
            self.clock.take()
        with CaptureQueriesContext(connection) as captured:
            t0, c0 = time.perf_counter(), time.thread_time()
            if profile is not None:
                profile.enable()
            try:
                outcome = "done" if call().ok else "refused"
            except engine.InvalidCommand:
                outcome = "invalid"
            finally:
                if profile is not None:
                    profile.disable()
                c1, t1 = time.thread_time(), time.perf_counter()
        self.wall[kind].append((t1 - t0) * 1000)
        self.cpu[kind].append((c1 - c0) * 1000)
        self.queries[kind].append(len(captured.captured_queries))
        self.count(kind, outcome)
        if self.clock is not None:
            steps = self.clock.take()
            steps["other"] = self.wall[kind][-1] - sum(steps.values())
            steps["total"] = self.wall[kind][-1]
            for step, ms in steps.items():
                self.phases[kind].setdefault(step, []).append(ms)

    def summary(self, kind: str) -> dict[str, Any] | None:
        n = len(self.wall[kind])
        if not n:
            return None
        profile = self.profiles.get(kind)
        calls = sum(s[1] for s in pstats.Stats(profile).stats.values()) if profile else 0  # type: ignore[attr-defined]
        return {
            "n": n,
            "wall_median_ms": round(statistics.median(self.wall[kind]), 2),
            "wall_min_ms": round(min(self.wall[kind]), 2),
            "cpu_min_ms": round(min(self.cpu[kind]), 2),
            "queries": round(statistics.mean(self.queries[kind]), 2),
            "calls": round(calls / n),
            "outcomes": self.outcomes[kind],
        }

    def print_phases(self) -> dict[str, dict[str, float]]:
        kinds = self.kinds
        steps = sorted({s for k in kinds for s in self.phases[k]}, key=lambda s: (s in ("other", "total"), s))
        print("\n# median ms per command, per step (uninstrumented; a step a type never takes is blank)\n")
        print(f"{'step':26}" + "".join(f"{kind:>10}" for kind in kinds))
        for step in steps:
            cells = [self.phases[k].get(step) for k in kinds]
            print(f"{step:26}" + "".join(f"{statistics.median(v):10.2f}" if v else " " * 10 for v in cells))
        return {k: {s: round(statistics.median(v), 3) for s, v in self.phases[k].items()} for k in kinds}

    def print_profiles(self, top: int) -> None:
        for kind, profile in self.profiles.items():
            n = len(self.wall[kind])
            if not n:
                continue
            for key, title in (("own_ms", "own time"), ("cum_ms", "cumulative")):
                print(f"\n# {kind}: top functions by {title} (per command; cProfile inflates the times)\n")
                for row in top_functions(profile, key, top, n):
                    print(
                        f"{row['cum_ms']:8.3f} cum {row['own_ms']:8.3f} own {row['calls']:8} calls  {row['function']}"
                    )


def main() -> None:
    args = parse_args()
    sqlite = None
    if args.db:
        sqlite = str(Path(tempfile.mkdtemp(prefix="ct-cost-")) / "cost.sqlite3")
        shutil.copy(args.db, sqlite)
    elif args.save_db:
        sqlite = args.save_db
    harness.setup(args.layer, sqlite=sqlite)

    from exercises import fanout, services
    from exercises.models import Exercise

    fanout.publish = lambda *args, **kwargs: None  # type: ignore[assignment]
    fanout.publish_signal = lambda *a, **k: None  # type: ignore[assignment]

    table, scenario = _fixture(args)
    kinds = [k for k in args.only.split(",") if k]
    rounds = Rounds(table, scenario, args.seed)
    state_bytes_before = len(json.dumps(Exercise.objects.get(pk=table.exercise_id).state))
    measured = Measured(kinds, profile=not args.no_profile, phases=args.phases)
    for _round in range(args.repeat):
        for kind in kinds:
            chosen = rounds.command(kind)
            if chosen is None:
                measured.count(kind, "none offered")
            elif kind == "tick":  # the common case: a second tick, nothing written since the first
                services.tick(table.exercise_id)
                measured.run(kind, lambda: services.tick(table.exercise_id))
            else:
                actor, command = chosen
                measured.run(
                    kind, lambda a=actor, c=command: services.execute(exercise_id=table.exercise_id, actor=a, command=c)
                )
    final = Exercise.objects.get(pk=table.exercise_id)
    record: dict[str, Any] = {
        "bench": "command_cost",
        "layer": args.layer,
        "slug": args.slug,
        "roles": len(table.seats),
        "events_in_log": final.last_seq,
        "state_bytes": [state_bytes_before, len(json.dumps(final.state))],
        "repeat": args.repeat,
        "load": harness.load(),
    }
    for kind in kinds:
        summary = measured.summary(kind)
        if summary:
            record[kind] = summary
    if args.phases:
        record["phases_median_ms"] = measured.print_phases()
    harness.emit(record)
    print(f"\n{'type':10} {'n':>4} {'median ms':>10} {'min ms':>8} {'cpu min':>8} {'queries':>8} {'py calls':>9}")
    for kind in kinds:
        r = record.get(kind)
        if r:
            print(
                f"{kind:10} {r['n']:4} {r['wall_median_ms']:10.2f} {r['wall_min_ms']:8.2f} {r['cpu_min_ms']:8.2f}"
                f" {r['queries']:8.2f} {r['calls']:9}  {r['outcomes']}"
            )
    measured.print_profiles(args.top)


if __name__ == "__main__":
    main()
