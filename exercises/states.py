"""The state a command has just committed, handed to this worker's renders (issue #11, part 13).

A pushed batch's snapshot is the table's previous one advanced by the batch
(``Snapshot.advanced``): a copy of the state (a dump and a validation) with the batch's events
applied. When the batch's command ran in this worker, its thread already holds that state, the
one it has just written. ``offer`` keeps it once the write has committed (never before: a
rolled-back write's state must not reach a screen), and ``taken`` gives it to the snapshot of
the batch ending at that seq, which uses it as it is. Nobody changes a state after it is offered:
the engine folds a command onto a copy, and renders only read.

The newest per exercise, and only until a render takes it (the snapshot keeps it then): what is
held is the states of the last commands that no render here has asked for, for 128 exercises at
most. Plain Python (the write path and the screens both import it, and neither may import the
other).
"""

from __future__ import annotations

import threading
from typing import Any

from cachetools import LRUCache

_offered: LRUCache[int, tuple[str, int, Any]] = LRUCache(maxsize=128)
_lock = threading.Lock()
stats = {"offered": 0, "taken": 0}  # for tests and benchmarks


def offer(exercise_id: int, code: str, state: Any) -> None:
    """``state`` (an ``engine.State``), committed as exercise ``exercise_id`` at ``state.seq``."""
    with _lock:
        kept = _offered.get(exercise_id)
        if kept is None or kept[0] != code or kept[1] < state.seq:
            _offered[exercise_id] = (code, state.seq, state)
            stats["offered"] += 1


def taken(exercise_id: int, code: str, seq: int) -> Any | None:
    """The state offered for this exercise at exactly ``seq`` (given once), or None."""
    with _lock:
        kept = _offered.get(exercise_id)
        if kept is None or kept[0] != code or kept[1] != seq:
            return None
        del _offered[exercise_id]
        stats["taken"] += 1
    return kept[2]
