"""The per-table cost model of an inject and of a reconnection, measured in one process.

    .venv/bin/python benchmarks/render_cost.py [--layer memory|redis] [--repeat 30] [--profile]

What the worker does for one table when the facilitator releases an inject, and for one player's
reconnection, step by step, timed with ``perf_counter`` on a table in the middle of an exercise
(every playable role seated, started, second phase, then ``--history`` commands of the real mix
from ``benchmarks/mix.py`` through the write path):

- ``command``: ``services.execute(adhoc_inject)``: row lock, engine, ``bulk_create``, state
  dump, commit (the channel layer is left out: ``fanout.publish`` is a no-op here);
- ``snapshot``: the first render's snapshot, shared by every audience of the batch: the table's
  previous one advanced by the batch (``Snapshot.advanced``; the first repeat reads the row, its
  state and the proposal events instead, ``Snapshot.load``);
- ``render role``: ``screens.audiences.batch_frame`` for each of the table's roles (11 in september-2001);
- ``render console``: the facilitator's frame (the console);
- connect path: the session load and ``_identify`` (exercise by code, viewer), the presence write
  (``presence.connections_changed``, as the consumer's presence batch calls it), the console's
  presence frame, and the catch-up render (``screens.audiences.replay`` from 5 events back).

The database connection is closed between steps as Channels' ``database_sync_to_async`` closes
it around every call (with ``CONN_MAX_AGE=0``, the setting's default, each step opens a new
one); ``--keep-connection`` keeps one open, to show what persistent connections would save.

``--scripted``: each inject is the scenario's next scripted one not yet released
(``release_inject``, as the workshop console and the clocks release them) instead of an ad-hoc
one: its release can move what a role may do, so the roles' actions panels are in play (issue
#11, part 14); at most as many repeats as the scenario has injects left.

Medians over ``--repeat`` (the machine is shared: minima are printed too). ``--profile`` adds
cProfile's top functions (cumulative) for the batch renders of one inject. Prints one JSON line
first, then the readable table.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import pstats
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import harness, mix  # noqa: E402
from exercises.engine.events import EventType  # noqa: E402


def timed(fn, *args: Any, **kwargs: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return (time.perf_counter() - t0) * 1000, out


class FragmentClock:
    """Time spent per fragment while rendering: building its context, rendering its template.

    Wraps the module functions ``screens.frames.frame`` calls (in this process only); a call inside a
    timed call is not timed again, so every millisecond counts once.
    """

    CONTEXTS = ("clock", "indicators", "actions", "proposals", "seats", "injects", "institutions", "controls", "roster")

    def __init__(self) -> None:
        self.ms: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.depth = 0
        self.on = False

    def wrap(self, module: Any, attr: str, label) -> None:
        original = getattr(module, attr)

        def timed_call(*args: Any, **kwargs: Any) -> Any:
            if not self.on or self.depth:
                return original(*args, **kwargs)
            self.depth += 1
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.depth -= 1
                name = label(args, kwargs)
                self.ms[name] = self.ms.get(name, 0.0) + (time.perf_counter() - t0) * 1000
                self.calls[name] = self.calls.get(name, 0) + 1

        setattr(module, attr, timed_call)

    def install(self) -> None:
        from exercises.screens import contexts, feed, panels, partials

        for name in self.CONTEXTS:
            self.wrap(contexts, name, lambda a, k, n=name: f"context: {n}")
        for name in ("feed", "messages"):
            self.wrap(feed, name, lambda a, k, n=name: f"context: {n}")
        self.wrap(panels, "channels", lambda a, k: "context: channels")
        # the console's inject list: its rows' contexts (all of them, or the ones a batch changed)
        self.wrap(panels, "injects", lambda a, k: "context: injects")
        self.wrap(panels, "inject_rows_changed", lambda a, k: "context: injects")
        self.wrap(contexts, "inject_rows_html", lambda a, k: "template: inject rows")
        self.wrap(partials, "render", lambda a, k: f"template: {a[0]}")
        self.wrap(partials, "append", lambda a, k: f"template: append {a[2].rsplit('/', 1)[-1]}")


def play_history(table: harness.Table, scenario: Any, commands: int, seed: int) -> dict[str, int]:
    """Bring the table to the middle of an exercise with the real mix, through the write path."""
    from exercises import engine, inputs, selectors, services

    chooser = mix.Chooser(scenario, seed=seed)
    rng = random.Random(seed)
    kinds: dict[str, int] = {}
    for k in range(commands):
        chooser.refresh([table.exercise_id])
        if k % 10 == 0:
            inject = engine.commands.AdhocInject(title=f"History {k}", text="…", recipients=["all"], public=True)
            services.execute(exercise_id=table.exercise_id, actor=engine.FACILITATOR, command=inject)
        seat = table.seats[k % len(table.seats)]
        state = chooser.states[table.exercise_id]
        released = [e.seq for e in selectors.events_of_type(table.exercise_id, [EventType.INJECT_RELEASED])]
        unacked = {seq for seq in released if seat.participant not in state.receipts.get(seq, [])}
        command = chooser.choose(seat, rng, unacked, state.seq)
        actor = engine.Actor(kind="participant", participant=seat.participant)
        with contextlib.suppress(engine.InvalidCommand):  # a stale choice: the mix counts these too
            services.execute(exercise_id=table.exercise_id, actor=actor, command=inputs.command_from(command.data))
        kinds[command.kind] = kinds.get(command.kind, 0) + 1
    return kinds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--layer", choices=["memory", "redis"], default="memory", help="redis = PostgreSQL here")
    parser.add_argument("--slug", default="september-2001")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--history", type=int, default=120, help="mix commands played before measuring")
    parser.add_argument("--profile", action="store_true", help="cProfile of one inject's renders")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scripted", action="store_true", help="release the scenario's scripted injects in turn")
    parser.add_argument(
        "--keep-connection",
        action="store_true",
        help="do not close the database connection between steps (what a persistent connection would cost)",
    )
    args = parser.parse_args()
    harness.setup(args.layer)

    from asgiref.sync import async_to_sync  # noqa: F401 - imported as the worker imports it
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import close_old_connections as closing

    def close_old_connections() -> None:
        """As ``database_sync_to_async`` does around each call (CONN_MAX_AGE=0: a new connection each time)."""
        if not args.keep_connection:
            closing()

    from exercises import engine, fanout, presence, selectors, services
    from exercises.models import Exercise
    from exercises.screens import answers, audiences
    from scenarios.library import latest, scenario_for

    # The channel layer is not measured here (and has no listener in this process).
    fanout.publish = lambda *args, **kwargs: None  # type: ignore[assignment]
    fanout.publish_signal = lambda *args, **kwargs: None  # type: ignore[assignment]

    _w, tables, fac = harness.workshop_tables(1, slug=args.slug)
    table = tables[0]
    scenario = scenario_for(latest(args.slug))
    history = play_history(table, scenario, args.history, args.seed)
    roles = [s.role for s in table.seats]
    keys = [(f"role:{r}", "en") for r in roles]
    steps: dict[str, list[float]] = {
        k: []
        for k in (
            "command",
            "snapshot",
            "render role (each)",
            "render roles (all)",
            "render console",
            "per table-inject",
            "session load",
            "identify",
            "presence write",
            "console presence frame",
            "catch-up render (5 back)",
            "per reconnection",
        )
    }
    sizes: dict[str, list[int]] = {"role frame": [], "console frame": [], "catch-up frame": []}
    profiler = cProfile.Profile() if args.profile else None
    clock = FragmentClock()
    clock.install()
    done = 0
    for k in range(args.repeat):
        close_old_connections()
        inject: engine.commands.Cmd = engine.commands.AdhocInject(
            title=f"Cost {k}", text="Measured.", recipients=["all"], public=True
        )
        if args.scripted:
            state = selectors.state_of(Exercise.objects.get(pk=table.exercise_id))
            left = [i.id for i in scenario.injects if i.id not in state.released and i.id not in state.lost]
            if not left:
                break
            inject = engine.commands.ReleaseInject(inject=left[0])
        done += 1
        ms_cmd, result = timed(
            services.execute, exercise_id=table.exercise_id, actor=engine.FACILITATOR, command=inject
        )
        close_old_connections()
        events = result.events
        # As the hub does: the batch's events and the table's code, so the newest snapshot is
        # advanced by the batch when this process rendered the one before (Snapshot.advanced).
        ms_snap, snap = timed(audiences.snapshot_at, table.exercise_id, events[-1].seq, table.code, events)
        t_reads = time.perf_counter()
        _ = snap.proposal_events, snap.releases, snap.participants  # the panels' reads, once per batch
        ms_snap += (time.perf_counter() - t_reads) * 1000
        if profiler is not None and k == args.repeat // 2:
            profiler.enable()
        role_ms = []
        clock.on = True
        for key in keys:
            ms, html = timed(audiences.batch_frame, table.exercise_id, events, key, table.code)
            role_ms.append(ms)
            sizes["role frame"].append(len(html))
        ms_console, html = timed(audiences.batch_frame, table.exercise_id, events, ("facilitator", "en"), table.code)
        sizes["console frame"].append(len(html))
        clock.on = False
        if profiler is not None and k == args.repeat // 2:
            profiler.disable()
        steps["command"].append(ms_cmd)
        steps["snapshot"].append(ms_snap)
        steps["render role (each)"].extend(role_ms)
        steps["render roles (all)"].append(sum(role_ms))
        steps["render console"].append(ms_console)
        steps["per table-inject"].append(ms_cmd + ms_snap + sum(role_ms) + ms_console)
        # One player's reconnection (the connect path of consumers.ExerciseConsumer).
        seat = table.seats[k % len(table.seats)]
        close_old_connections()
        ms_session, session = timed(lambda key=seat.cookie: SessionStore(key).load())
        ms_identify, viewer = timed(
            lambda code=seat.code, s=session: selectors.viewer_for(
                selectors.exercise_by_code(code), user=None, session=s, mode="play"
            )
        )
        close_old_connections()
        ms_presence, _ = timed(presence.connections_changed, {(table.exercise_id, seat.participant): +1})
        close_old_connections()
        ms_pframe, _ = timed(answers.presence_frame, table.exercise_id, "en")
        close_old_connections()
        last = Exercise.objects.get(pk=table.exercise_id).last_seq
        close_old_connections()
        ms_replay, (html, _seq) = timed(audiences.replay, table.exercise_id, last - 5, viewer, "en", False)
        sizes["catch-up frame"].append(len(html))
        close_old_connections()
        steps["session load"].append(ms_session)
        steps["identify"].append(ms_identify)
        steps["presence write"].append(ms_presence)
        steps["console presence frame"].append(ms_pframe)
        steps["catch-up render (5 back)"].append(ms_replay)
        steps["per reconnection"].append(ms_session + ms_identify + ms_presence + ms_pframe + ms_replay)
    final = Exercise.objects.get(pk=table.exercise_id)
    record: dict[str, Any] = {
        "bench": "render_cost",
        "layer": args.layer,
        "slug": args.slug,
        "roles": len(roles),
        "events_in_log": final.last_seq,
        "history": history,
        "repeat": done,
        "inject": "scripted" if args.scripted else "adhoc",
        "keep_connection": args.keep_connection,
        "load": harness.load(),
    }
    for name, values in steps.items():
        record[name.replace(" ", "_")] = {
            "median_ms": round(statistics.median(values), 2),
            "min_ms": round(min(values), 2),
        }
    for name, byte_counts in sizes.items():
        record[name.replace(" ", "_") + "_bytes"] = int(statistics.median(byte_counts))
    harness.emit(record)
    print()
    print(f"{'step':32} {'median ms':>10} {'min ms':>8}")
    for name, values in steps.items():
        print(f"{name:32} {statistics.median(values):10.2f} {min(values):8.2f}")
    print("\n# one inject, one table (11 role frames + the console's): where the render time goes\n")
    print(f"{'fragment':40} {'ms per table-inject':>20} {'calls':>6}")
    for name, total in sorted(clock.ms.items(), key=lambda item: -item[1]):
        print(f"{name:40} {total / done:20.2f} {clock.calls[name] / done:6.0f}")
    record_fragments = {name: round(total / done, 2) for name, total in clock.ms.items()}
    print(json.dumps({"fragments_ms_per_table_inject": record_fragments}))
    if profiler is not None:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(30)
        print("\n# cProfile: one inject's frames (11 roles + console), cumulative\n")
        print(out.getvalue()[:8000])


if __name__ == "__main__":
    main()
