"""The one write path.

Every change to an exercise goes through ``execute``: ask the engine on the exercise's state,
append the events with the next sequence numbers, refresh the cached state, and hand the events
to ``fanout`` only after they are committed. On PostgreSQL that is one conditional statement
(``exercises.writes``); otherwise, and whenever that declines, a transaction holding the row lock.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from exercises.engine.events import EventType
from scenarios.library import scenario_for
from scenarios.models import ScenarioVersion

from . import access, engine, fanout, health, selectors, states, throttle, ticks, writes
from .engine import commands as c
from .logs import security_event
from .models import CommandReceipt, Event, Exercise, Participant, ShareLink, StaffAccess, Workshop


class Throttled(Exception):
    """Too many commands from one participant (all their sockets and posts together)."""


class Unavailable(Exception):
    """This worker lost its channel layer: a command stored now would reach only some players."""


class SeatingClosed(Exception):
    """The table takes nobody new: ``reason`` is ``locked`` (the facilitator closed it) or ``full``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Result:
    events: list[engine.Event]
    actor: str = ""  # the label of who gave the command (a bot's refusal while the clock caught up is not theirs)
    duplicate: bool = False  # a resent command (same client id) that was already done

    @property
    def rejection(self) -> engine.Event | None:
        """The ``command_rejected`` event, when a rule refused the command."""
        return next(
            (
                e
                for e in reversed(self.events)
                if e.type == EventType.COMMAND_REJECTED and (not self.actor or e.actor == self.actor)
            ),
            None,
        )

    @property
    def ok(self) -> bool:
        return self.rejection is None


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
            owner=by if getattr(by, "pk", None) else None,
            workshop=workshop,
            table=table,
            last_seq=state.seq,
            status=state.status,
            state=state.model_dump(mode="json"),
        )
        writes.insert_events(exercise.pk, [first])
    return exercise


def create_workshop(*, scenario: ScenarioVersion, title: str, tables: int, by: Any) -> Workshop:
    with transaction.atomic():
        workshop = Workshop.objects.create(title=title, scenario=scenario, created_by=by, owner=by)
        for n in range(1, tables + 1):
            create_exercise(scenario=scenario, title=f"{title} · {n}", by=by, workshop=workshop, table=n)
    return workshop


def execute(
    *,
    exercise_id: int,
    actor: engine.Actor,
    command: c.Cmd,
    now: float | None = None,
    cid: str = "",
    ip: str = "",
) -> Result:
    """Run one command. Raises ``engine.InvalidCommand`` (nothing recorded) for malformed input,
    and ``engine.Forbidden`` (nothing recorded; logged on the security log, the sender slowed)
    for a command that is not this actor's to give.

    ``cid`` is the client's id for the command (the chat composer's): a resend with the same id
    is acknowledged as a duplicate and not done again.

    On PostgreSQL the write is one statement on the row as this worker last wrote it
    (``exercises.writes``); the locked path below is taken on SQLite, inside a caller's
    transaction, and whenever ``writes.write`` declines.
    """
    if writes.enabled():
        written = writes.write(exercise_id=exercise_id, actor=actor, command=command, now=now, cid=cid)
        if written is not None:
            if written.events:
                fanout.publish(exercise_id, written.events, code=written.code)
            return Result(written.events, actor.label, duplicate=written.duplicate)
    return _execute_locked(exercise_id=exercise_id, actor=actor, command=command, now=now, cid=cid, ip=ip)


def _execute_locked(
    *, exercise_id: int, actor: engine.Actor, command: c.Cmd, now: float | None, cid: str, ip: str
) -> Result:
    """The row locked for the whole command: BEGIN, read FOR UPDATE, receipt, events, update, COMMIT."""
    with transaction.atomic():
        # The row lock serialises writers of one exercise, so seq = last_seq + 1 is safe
        # (SQLite gets the same effect from BEGIN IMMEDIATE, see settings).
        exercise, state_text = writes.locked(exercise_id)
        receipt = bool(cid) and actor.kind != "system"
        if (
            receipt
            and CommandReceipt.objects.filter(exercise_id=exercise_id, participant=actor.label, cid=cid).exists()
        ):
            return Result([], actor.label, duplicate=True)
        scenario = scenario_for(exercise.scenario)
        state = engine.State.model_validate_json(state_text)
        try:
            events, state = engine.run(
                scenario, state, actor, command, seed=exercise.seed, wall=time.time() if now is None else now
            )
        except engine.Forbidden as refusal:
            if actor.kind == "bot":  # the engine's own player cannot forge: a policy bug, not an attack
                raise engine.InvalidCommand(str(refusal)) from None
            _forbidden(exercise, actor, command, refusal, ip)
            raise
        if events:
            writes.insert_events(exercise_id, events)
            dumped = state.model_dump_json()
            writes.save_state(exercise_id, dumped, state.seq, state.status)
            exercise.last_seq = state.seq  # what ``remember`` keeps
            transaction.on_commit(lambda: writes.remember(exercise, dumped))
            transaction.on_commit(lambda: states.offer(exercise_id, exercise.code, state))
            removed = [e.payload["participant"] for e in events if e.type == EventType.PARTICIPANT_REMOVED]
            if removed:
                Participant.objects.filter(exercise_id=exercise_id, pk__in=removed).update(removed_at=timezone.now())
            transaction.on_commit(lambda: fanout.publish(exercise_id, events, code=exercise.code))
        if receipt:
            CommandReceipt.objects.create(exercise_id=exercise_id, participant=actor.label, cid=cid)
    return Result(events, actor.label)


def fork(*, exercise: Exercise, at_seq: int, by: Any = None, keep_seats: bool = False, title: str = "") -> Exercise:
    """A new exercise that goes on from ``exercise`` right after event ``at_seq``.

    Same pinned scenario version and seed; the parent's events up to ``at_seq`` are copied
    (marked ``inherited``, with their times), so the fork's log folds to the parent's state
    at that seq; then the fork's own events (``engine.fork_tail``): its lineage, its seats
    emptied — or kept for the same participants, who find their seat from the browser they
    played the parent in — and its clock paused at that moment. The parent is only read.
    Raises ``engine.InvalidCommand`` for a seq outside the log or after the end.

    Ownership (docs/security.md): the fork belongs to ``by``, who forked it, and ``by`` must be
    the parent's owner or co-facilitator (``engine.Forbidden`` otherwise); with no ``by`` (the
    operator's ``manage.py fork``), the parent's owner. The fork holds a copy of the parent's log, so the
    staff who could see that log keep their level on the copy: the parent's co-facilitators and
    evaluators (its own grants and its workshop's) are copied, and the parent's owner, when
    someone else forked, becomes a co-facilitator. Nobody who could not see the parent sees the fork.
    """
    if by is not None and not access.allows(access.level_of(by, exercise), "run"):
        # Forking is running the table on: the owner and co-facilitators may, an evaluator may not.
        raise engine.Forbidden("only the owner or a co-facilitator may fork this exercise")
    if not 1 <= at_seq <= exercise.last_seq:
        raise engine.InvalidCommand(f"at: choose an event from 1 to {exercise.last_seq}")
    scenario = scenario_for(exercise.scenario)
    rows = list(Event.objects.filter(exercise=exercise, seq__lte=at_seq).order_by("seq"))
    state = engine.fold(scenario, [selectors.to_engine(r) for r in rows])
    if state.status == "ended":
        raise engine.InvalidCommand(f"the exercise had ended at event {at_seq}: fork from an earlier one")
    title = title or f"{exercise.title} · fork #{at_seq}"
    with transaction.atomic():
        owner = by if getattr(by, "pk", None) else exercise.owner
        child = Exercise.objects.create(
            title=title[:200],
            scenario=exercise.scenario,
            seed=exercise.seed,
            created_by=owner,
            owner=owner,
            parent=exercise,
            parent_seq=at_seq,
            max_participants=exercise.max_participants,
            rate_limit=exercise.rate_limit,
            join_locked=exercise.join_locked and keep_seats,
        )
        _copy_staff(exercise, child, by=owner)
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
                if person.removed or parent_seat.removed_at is not None:
                    continue  # the facilitator took them off the table: no seat to keep
                seats[pid] = Participant.objects.create(
                    exercise=child, name=person.name[:40], language=parent_seat.language, origin=parent_seat
                ).pk
        tail = engine.fork_tail(scenario, state, parent=exercise.code, at_seq=at_seq, seats=seats, wall=time.time())
        writes.insert_events(child.pk, tail)
        child.state = state.model_dump(mode="json")
        child.last_seq = state.seq
        child.status = state.status
        child.save(update_fields=["state", "last_seq", "status"])
    return child


def _copy_staff(parent: Exercise, child: Exercise, *, by: Any) -> None:
    """The parent's staff at their level on the fork (see ``fork``); the strongest grant wins."""
    levels: dict[int, str] = {}
    grants = StaffAccess.objects.filter(exercise=parent)
    if parent.workshop_id:
        grants = grants | StaffAccess.objects.filter(workshop_id=parent.workshop_id)
    for grant in grants:
        if levels.get(grant.user_id) != StaffAccess.FACILITATOR:
            levels[grant.user_id] = grant.level
    workshop_owner = parent.workshop.owner_id if parent.workshop is not None else None
    owners = {uid for uid in (parent.owner_id, workshop_owner) if uid is not None}
    for user_id in owners:
        levels[user_id] = StaffAccess.FACILITATOR
    owner_id = getattr(by, "pk", None)
    StaffAccess.objects.bulk_create(
        StaffAccess(user_id=user_id, exercise=child, level=level, granted_by=by if owner_id else None)
        for user_id, level in levels.items()
        if user_id != owner_id
    )


def _forbidden(exercise: Exercise, actor: engine.Actor, command: c.Cmd, refusal: Exception, ip: str) -> None:
    """An authorization refusal is an attack, not play: a security-log line and a penalty, no event."""
    security_event(
        "forbidden_command",
        exercise=exercise.code,
        participant=actor.participant,
        actor=actor.kind,
        command=getattr(command, "type", ""),
        reason=str(refusal),
        ip=ip,
    )
    if actor.participant:
        throttle.penalise(
            exercise.pk,
            actor.participant,
            throttle.limit_of(exercise),
            settings.CRISIS_TABLE["FORBIDDEN_PENALTY"],
        )


def perform(
    *,
    exercise_id: int,
    actor: engine.Actor,
    command: c.Cmd,
    who: str,
    limit: int,
    ip: str = "",
    cid: str = "",
) -> Result:
    """A command from a person's browser (form post or WebSocket frame).

    The caller has already drawn on this process's bucket (``throttle.allow_local``); here the
    count across workers is checked, then that the channel layer is up (else ``Unavailable``:
    refusing is honest, storing a command only this worker's players would see is not), then
    ``execute``.
    """
    if not throttle.allow_shared(exercise_id, who, limit):
        raise Throttled(who)
    if not health.layer_ok():
        raise Unavailable()
    return execute(exercise_id=exercise_id, actor=actor, command=command, cid=cid, ip=ip)


def seats_for(exercise: Exercise) -> int:
    """How many may join this table: its own figure, else playable roles x the settings' factor."""
    if exercise.max_participants:
        return exercise.max_participants
    roles = sum(1 for r in scenario_for(exercise.scenario).roles if not r.institution)
    return max(1, roles) * settings.CRISIS_TABLE["PARTICIPANTS_PER_ROLE"]


def join(
    *, exercise: Exercise, name: str, language: str = "en", now: float | None = None
) -> tuple[Participant, Result]:
    """A browser joins a table; the caller stores ``participant.id`` in its session.

    Raises ``SeatingClosed`` when the facilitator locked joining or the table is full.
    """
    command = c.Join(name=name)  # validates the name before anything is stored
    with transaction.atomic():
        locked = Exercise.objects.select_for_update(of=("self",)).select_related("scenario").get(pk=exercise.pk)
        if locked.join_locked:
            raise SeatingClosed("locked")
        if Participant.objects.filter(exercise=locked, removed_at=None).count() >= seats_for(locked):
            raise SeatingClosed("full")
        participant = Participant.objects.create(exercise=exercise, name=command.name.strip()[:40], language=language)
        result = execute(
            exercise_id=exercise.pk,
            actor=engine.Actor(kind="participant", participant=participant.pk),
            command=command,
            now=now,
        )
    return participant, result


def set_join_lock(*, exercise: Exercise, locked: bool, by: Any) -> None:
    Exercise.objects.filter(pk=exercise.pk).update(join_locked=locked)
    exercise.join_locked = locked
    security_event("join_locked" if locked else "join_unlocked", exercise=exercise.code, by=getattr(by, "username", ""))


# --------------------------------------------------------------------------- staff and sharing


def grant_staff(
    *, user: Any, level: str, by: Any, exercise: Exercise | None = None, workshop: Workshop | None = None
) -> StaffAccess:
    """Let a facilitator account in as a co-facilitator or an evaluator (the owner's act)."""
    target = {"exercise": exercise} if exercise is not None else {"workshop": workshop}
    access, _created = StaffAccess.objects.update_or_create(
        user=user, **target, defaults={"level": level, "granted_by": by}
    )
    code = exercise.code if exercise is not None else workshop.code  # type: ignore[union-attr]
    security_event("staff_granted", code=code, user=user.username, level=level, by=by.username)
    return access


def revoke_staff(*, access: StaffAccess, by: Any) -> None:
    target = access.exercise or access.workshop
    security_event("staff_revoked", code=getattr(target, "code", ""), user=access.user.username, by=by.username)
    access.delete()


def share_create(*, exercise: Exercise, by: Any, expires_at: datetime | None = None) -> ShareLink:
    link = ShareLink.objects.create(exercise=exercise, created_by=by, expires_at=expires_at)
    security_event("share_created", exercise=exercise.code, link=link.pk, by=by.username, expires=expires_at)
    return link


def share_revoke(*, link: ShareLink, by: Any) -> None:
    if link.revoked_at is None:
        ShareLink.objects.filter(pk=link.pk).update(revoked_at=timezone.now(), revoked_by=by)
        security_event("share_revoked", exercise=link.exercise.code, link=link.pk, by=by.username)


def share_rotate(*, exercise: Exercise, by: Any) -> ShareLink:
    """Revoke every live link of the exercise and make a new one with the same expiry."""
    with transaction.atomic():
        live = list(ShareLink.objects.filter(exercise=exercise, revoked_at=None))
        for link in live:
            share_revoke(link=link, by=by)
        expires = next((link.expires_at for link in live if link.expires_at), None)
        return share_create(exercise=exercise, by=by, expires_at=expires)


def tick(exercise_id: int, *, now: float | None = None) -> Result:
    """Catch one exercise's clock up with the wall clock (no-op unless it is running)."""
    # Read without the lock first: most ticks find nothing due and need no write at all
    # (``ticks.due`` keeps each exercise's next due time while its log has not moved).
    if not ticks.due([exercise_id], time.time() if now is None else now):
        return Result([])
    return execute(exercise_id=exercise_id, actor=engine.SYSTEM, command=c.Tick(), now=now)
