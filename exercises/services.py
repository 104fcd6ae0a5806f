"""The one write path.

Every change to an exercise goes through ``execute``: lock the exercise row, ask the
engine, append the events with the next sequence numbers, refresh the cached state,
and hand the events to ``fanout`` only after the transaction commits.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from scenarios.library import scenario_for
from scenarios.models import ScenarioVersion

from . import engine, fanout, selectors
from .engine import commands as c
from .models import Event, Exercise, Participant, Workshop


@dataclass(frozen=True)
class Result:
    events: list[engine.Event]
    actor: str = ""  # the label of who gave the command (a bot's refusal while the clock caught up is not theirs)

    @property
    def rejection(self) -> engine.Event | None:
        """The ``command_rejected`` event, when a rule refused the command."""
        return next(
            (
                e
                for e in reversed(self.events)
                if e.type == "command_rejected" and (not self.actor or e.actor == self.actor)
            ),
            None,
        )

    @property
    def ok(self) -> bool:
        return self.rejection is None


def _rows(exercise: Exercise, events: list[engine.Event]) -> list[Event]:
    return [
        Event(
            exercise=exercise,
            seq=e.seq,
            type=e.type,
            game_time=e.game_time,
            role=e.role,
            actor=e.actor,
            payload=e.payload,
            audience=list(e.audience),
        )
        for e in events
    ]


def create_exercise(
    *,
    scenario: ScenarioVersion,
    title: str = "",
    by: Any = None,
    seed: int | None = None,
    workshop: Workshop | None = None,
    table: int = 1,
) -> Exercise:
    """Open an exercise in the lobby, pinned to this exact scenario version."""
    model = scenario_for(scenario)
    seed = secrets.randbelow(2**31) if seed is None else seed
    title = title or model.title.en
    state = engine.initial_state(model)
    first = engine.opening_event(model, content_hash=scenario.content_hash, seed=seed, title=title)
    engine.apply(state, first)
    with transaction.atomic():
        exercise = Exercise.objects.create(
            title=title,
            scenario=scenario,
            seed=seed,
            created_by=by,
            workshop=workshop,
            table=table,
            last_seq=state.seq,
            status=state.status,
            state=state.model_dump(mode="json"),
        )
        Event.objects.bulk_create(_rows(exercise, [first]))
    return exercise


def create_workshop(*, scenario: ScenarioVersion, title: str, tables: int, by: Any) -> Workshop:
    with transaction.atomic():
        workshop = Workshop.objects.create(title=title, scenario=scenario, created_by=by)
        for n in range(1, tables + 1):
            create_exercise(scenario=scenario, title=f"{title} · {n}", by=by, workshop=workshop, table=n)
    return workshop


def execute(*, exercise_id: int, actor: engine.Actor, command: c.Cmd, now: float | None = None) -> Result:
    """Run one command. Raises ``engine.InvalidCommand`` (nothing recorded) for malformed input."""
    with transaction.atomic():
        # The row lock serialises writers of one exercise, so seq = last_seq + 1 is safe
        # (SQLite gets the same effect from BEGIN IMMEDIATE, see settings).
        exercise = Exercise.objects.light().select_for_update(of=("self",)).get(pk=exercise_id)
        scenario = scenario_for(exercise.scenario)
        state = engine.State.model_validate(exercise.state)
        events, state = engine.run(
            scenario, state, actor, command, seed=exercise.seed, wall=time.time() if now is None else now
        )
        if events:
            Event.objects.bulk_create(_rows(exercise, events))
            exercise.state = state.model_dump(mode="json")
            exercise.last_seq = state.seq
            exercise.status = state.status
            exercise.save(update_fields=["state", "last_seq", "status"])
            transaction.on_commit(lambda: fanout.publish(exercise_id, events))
    return Result(events, actor.label)


def fork(*, exercise: Exercise, at_seq: int, by: Any = None, keep_seats: bool = False, title: str = "") -> Exercise:
    """A new exercise that goes on from ``exercise`` right after event ``at_seq``.

    Same pinned scenario version and seed; the parent's events up to ``at_seq`` are copied
    (marked ``inherited``, with their times), so the fork's log folds to the parent's state
    at that seq; then the fork's own events (``engine.fork_tail``): its lineage, its seats
    emptied — or kept for the same participants, who find their seat from the browser they
    played the parent in — and its clock paused at that moment. The parent is only read.
    Raises ``engine.InvalidCommand`` for a seq outside the log or after the end.
    """
    if not 1 <= at_seq <= exercise.last_seq:
        raise engine.InvalidCommand(f"at: choose an event from 1 to {exercise.last_seq}")
    scenario = scenario_for(exercise.scenario)
    rows = list(Event.objects.filter(exercise=exercise, seq__lte=at_seq).order_by("seq"))
    state = engine.fold(scenario, [selectors.to_engine(r) for r in rows])
    if state.status == "ended":
        raise engine.InvalidCommand(f"the exercise had ended at event {at_seq}: fork from an earlier one")
    title = title or f"{exercise.title} · fork #{at_seq}"
    with transaction.atomic():
        child = Exercise.objects.create(
            title=title[:200],
            scenario=exercise.scenario,
            seed=exercise.seed,
            created_by=by,
            parent=exercise,
            parent_seq=at_seq,
        )
        Event.objects.bulk_create(
            Event(
                exercise=child,
                seq=r.seq,
                type=r.type,
                game_time=r.game_time,
                role=r.role,
                actor=r.actor,
                payload=r.payload,
                audience=r.audience,
                created_at=r.created_at,
                inherited=True,
            )
            for r in rows
        )
        seats = None
        if keep_seats:
            known = {p.pk: p for p in Participant.objects.filter(exercise=exercise, pk__in=list(state.participants))}
            seats = {}
            for pid, person in state.participants.items():
                parent_seat = known.get(pid)
                if parent_seat is None:
                    continue  # inherited from further up: not at the parent's table
                seats[pid] = Participant.objects.create(
                    exercise=child, name=person.name[:40], language=parent_seat.language, origin=parent_seat
                ).pk
        tail = engine.fork_tail(scenario, state, parent=exercise.code, at_seq=at_seq, seats=seats, wall=time.time())
        Event.objects.bulk_create(_rows(child, tail))
        child.state = state.model_dump(mode="json")
        child.last_seq = state.seq
        child.status = state.status
        child.save(update_fields=["state", "last_seq", "status"])
    return child


def join(
    *, exercise: Exercise, name: str, language: str = "en", now: float | None = None
) -> tuple[Participant, Result]:
    """A browser joins a table; the caller stores ``participant.id`` in its session."""
    command = c.Join(name=name)  # validates the name before anything is stored
    with transaction.atomic():
        participant = Participant.objects.create(exercise=exercise, name=command.name.strip()[:40], language=language)
        result = execute(
            exercise_id=exercise.pk,
            actor=engine.Actor(kind="participant", participant=participant.pk),
            command=command,
            now=now,
        )
    return participant, result


def tick(exercise_id: int, *, now: float | None = None) -> Result:
    """Catch one exercise's clock up with the wall clock (no-op unless it is running)."""
    exercise = Exercise.objects.light().filter(pk=exercise_id, status="running").first()
    if exercise is None:
        return Result([])
    # Read without the lock first: most ticks find nothing due and need no write at all.
    scenario = scenario_for(exercise.scenario)
    state = engine.State.model_validate(exercise.state)
    due = engine.next_due(scenario, state, seed=exercise.seed)
    wall = time.time() if now is None else now
    if due is None or engine.game_now(scenario, state, wall) < due:
        return Result([])
    return execute(exercise_id=exercise_id, actor=engine.SYSTEM, command=c.Tick(), now=now)
