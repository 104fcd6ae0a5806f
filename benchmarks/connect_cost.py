"""A table's sockets coming back at once (a reconnect storm), the database side, in one process.

    .venv/bin/python benchmarks/connect_cost.py [--layer memory|redis] [--repeat 30] [--quick]

One september-2001 table, every playable role seated (12 players). Each round, the 12 sockets
are identified (session, exercise, viewer: ``ExerciseConsumer._identify``, the work of a socket's
``connect`` on the database thread) and their presence written:

- ``identify, one by one``: 12 database hops, each looking the exercise up (before issue #11
  part 3, every socket did this);
- ``identify, one batch``: ``_IdentifyBatch._run``, one hop for the 12, the exercise looked up
  once (what sockets connecting while the database thread is busy now get);
- ``presence, one UPDATE per socket``: ``presence_per_socket`` below, a copy of the write before
  (``push.presence_changes``, removed once the consumer stopped calling it);
- ``presence, one UPDATE per table``: ``presence.connections_changed`` (now).

Each socket's session is a fresh ``SessionStore`` (Channels loads it on the first read), so the
session loads are in both identify figures. Minima and medians in ms for the 12 sockets; one JSON
line, then a table. The channel layer is left out (``publish_signal`` is a no-op).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import harness  # noqa: E402


def sockets_of(table: harness.Table) -> list[Any]:
    """One consumer per seat, with the scope Channels' middleware would give it."""
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.sessions.backends.db import SessionStore

    from exercises.consumers import ExerciseConsumer

    out = []
    for seat in table.seats:
        socket = ExerciseConsumer()
        socket.scope = {
            "type": "websocket",
            "url_route": {"kwargs": {"code": seat.code}},
            "session": SessionStore(seat.cookie),
            "user": AnonymousUser(),
            "headers": [],
            "cookies": {},
        }
        socket.ip = "127.0.0.1"
        out.append(socket)
    return out


def presence_per_socket(deltas: dict[tuple[int, str], int]) -> None:
    """The presence write before issue #11 part 3: one UPDATE per socket (kept here to compare)."""
    from django.db.models import F
    from django.db.models.functions import Greatest
    from django.utils import timezone

    from exercises import fanout, presence
    from exercises.models import Participant

    now = timezone.now()
    exercises: dict[int, list[str]] = {}
    for (exercise_id, participant_id), delta in deltas.items():
        exercises.setdefault(exercise_id, []).append(participant_id)
        rows = Participant.objects.filter(pk=participant_id, exercise_id=exercise_id)
        rows.update(connections=Greatest(F("connections") + delta, 0), last_seen_at=now)
    for exercise_id, participants in exercises.items():
        presence.beat(exercise_id, participants)
        fanout.publish_signal(exercise_id, "presence", {})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--layer", choices=["memory", "redis"], default="memory", help="redis = PostgreSQL here")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--quick", action="store_true", help="5 rounds")
    args = parser.parse_args()
    if args.quick:
        args.repeat = 5
    harness.setup(args.layer)
    from django.db import close_old_connections

    from exercises import fanout, presence
    from exercises.consumers import _IdentifyBatch

    fanout.publish_signal = lambda *a, **k: None  # type: ignore[assignment]
    _w, tables, _fac = harness.workshop_tables(1)
    table = tables[0]
    steps: dict[str, list[float]] = {
        k: []
        for k in (
            "identify, one by one",
            "identify, one batch",
            "presence, one UPDATE per socket",
            "presence, one UPDATE per table",
        )
    }

    def timed(name: str, fn: Any) -> Any:
        t0 = time.perf_counter()
        out = fn()
        steps[name].append((time.perf_counter() - t0) * 1000)
        return out

    deltas = {(table.exercise_id, seat.participant): 1 for seat in table.seats}
    undo = {key: -1 for key in deltas}
    for _round in range(args.repeat):
        close_old_connections()
        sockets = sockets_of(table)
        alone = timed("identify, one by one", lambda s=sockets: [x._identify(table.code, "play") for x in s])
        sockets = sockets_of(table)
        batch = [(s, table.code, "play") for s in sockets]
        together = timed("identify, one batch", lambda b=batch: _IdentifyBatch._run(b))
        assert [a[1] for a in alone] == [t[1] for t in together]  # type: ignore[index]  # the same viewers
        timed("presence, one UPDATE per socket", lambda: presence_per_socket(deltas))
        presence_per_socket(undo)
        timed("presence, one UPDATE per table", lambda: presence.connections_changed(deltas))
        presence.connections_changed(undo)
    record: dict[str, Any] = {
        "bench": "connect_cost",
        "layer": args.layer,
        "sockets": len(table.seats),
        "repeat": args.repeat,
        "load": harness.load(),
    }
    for name, values in steps.items():
        record[name] = {"median_ms": round(statistics.median(values), 2), "min_ms": round(min(values), 2)}
    harness.emit(record)
    print(f"\n{'12 sockets of one table':34} {'median ms':>10} {'min ms':>8}")
    for name, values in steps.items():
        print(f"{name:34} {statistics.median(values):10.2f} {min(values):8.2f}")


if __name__ == "__main__":
    main()
