"""Which exercises' clocks have something due: the read half of ``services.tick``.

Every worker asks this every ``TICK_SECONDS`` for every table it has sockets for, and almost
always nothing is due. The answer depends only on the exercise's state at its ``last_seq`` (and
its seed) and on the wall clock, so the next due game time is kept per exercise, in this process,
with the ``last_seq`` it was computed at: while the log has not moved, a tick reads one short row
(``last_seq``, ``code``; one query for all the tables asked about) instead of the whole row, its
state and the engine's schedule. Any write, by any worker, moves ``last_seq`` and so recomputes
it; ``code`` (random and unique per exercise) guards against an id reused by another exercise (a
test database). A write by this worker's fast path (``writes.write``) keeps the schedule of the
state it has just written (``remember``): after a workshop's round every table's log has moved,
and reading back and validating each table's state at the next tick was ~4 % of a worker's time at
40 tables (issue #11, part 12). Of the state, only the few fields the game clock is read from are
kept (``engine.game_now``); nothing kept is handed to ``engine.run``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

from cachetools import LRUCache

from scenarios.library import scenario_for
from scenarios.schema import Scenario

from . import engine
from .models import Exercise


@dataclass(frozen=True)
class Schedule:
    """An exercise's clock as of ``seq``: the state to read the game time from, and what is due next."""

    key: tuple[str, int]  # (code, last_seq) of the row it was computed from
    scenario: Scenario
    clock: engine.State  # only the fields ``engine.game_now`` reads (a few bytes, not the whole state)
    due: int | None  # game time of the next thing to do; None: the clock is stopped


_KEPT = 4096
_schedules: LRUCache[int, Schedule] = LRUCache(maxsize=_KEPT)
_lock = threading.Lock()  # cachetools' caches are not thread-safe


# What ``engine.game_now`` reads of the state (tests/test_ticks.py compares with the whole state).
_CLOCK_FIELDS = ("status", "phase", "game_time", "anchor_wall", "anchor_game")


def _schedule(exercise: Exercise) -> Schedule:
    scenario = scenario_for(exercise.scenario)
    state = engine.State.model_validate(exercise.state)
    return _of(exercise.code, exercise.last_seq, scenario, state, exercise.seed)


def _of(code: str, last_seq: int, scenario: Scenario, state: engine.State, seed: int) -> Schedule:
    due = engine.next_due(scenario, state, seed=seed)
    clock = engine.State.model_construct(**{name: getattr(state, name) for name in _CLOCK_FIELDS})
    return Schedule((code, last_seq), scenario, clock, due)


def remember(exercise_id: int, code: str, scenario: Scenario, state: engine.State, seed: int) -> None:
    """The schedule of a state this process has just committed (``state.seq`` is the row's
    ``last_seq`` now), so the next tick need not read it back."""
    fresh = _of(code, state.seq, scenario, state, seed)
    with _lock:
        kept = _schedules.get(exercise_id)
        if kept is None or kept.key[0] != code or kept.key[1] <= state.seq:
            _schedules[exercise_id] = fresh


def due(exercise_ids: Iterable[int], wall: float) -> list[int]:
    """The running exercises among ``exercise_ids`` whose clock has something to do at ``wall``."""
    rows = list(
        Exercise.objects.filter(pk__in=list(exercise_ids), status="running").values_list("pk", "code", "last_seq")
    )
    with _lock:
        known = {pk: _schedules.get(pk) for pk, *_key in rows}
    stale = [pk for pk, code, seq in rows if (kept := known[pk]) is None or kept.key != (code, seq)]
    if stale:
        known.update(dict.fromkeys(stale))  # a row gone meanwhile keeps no old schedule
        for exercise in Exercise.objects.light().filter(pk__in=stale):
            fresh = _schedule(exercise)
            known[exercise.pk] = fresh
            with _lock:
                _schedules[exercise.pk] = fresh
    out = []
    for pk, *_key in rows:
        schedule = known.get(pk)
        if schedule is None or schedule.due is None:
            continue  # stopped, or it stopped running between the two reads
        if engine.game_now(schedule.scenario, schedule.clock, wall) >= schedule.due:
            out.append(pk)
    return out
