"""A command's write in one statement, on PostgreSQL (issue #11, part 6).

The locked write (``services._execute_locked``) costs seven round trips to the server: the
connection's health check, ``BEGIN``, the row read ``FOR UPDATE``, the receipt check, the events'
``INSERT``, the row's ``UPDATE`` and ``COMMIT``. Each one is a wait for the database process to be
scheduled, and on a busy machine that wait, not the SQL, is most of a command's time.

Here the row (its state, seq, seed and scenario) is kept in memory after every write this worker
makes, the engine runs on that copy, and everything is written by one statement that commits on
its own (autocommit):

- the ``UPDATE`` of the row succeeds only if ``last_seq`` is still the seq the copy was taken at
  (and the row is still the exercise with that code and scenario): another worker, or another
  thread of this one, that wrote first makes it update nothing, and then nothing at all is
  written: the events and the receipt are inserted from the ``UPDATE``'s returned row;
- a resent command (same client id) fails the receipt's unique constraint, so the whole statement
  is undone: it is reported as a duplicate, as the locked path does.

When the copy was stale, the row is read again and the command run again (the engine is
deterministic and nothing was stored). A command that produces nothing (an inject already
acknowledged) costs one read of ``last_seq``, to be sure the copy was not stale.

``write`` returns ``None`` when the caller must take the locked path instead: the engine refused
the command as not this actor's to give (the locked path logs it and checks for a duplicate
first) or raised, it produced nothing while a receipt is due, it removed a participant (a second
table is written then), or the copy stayed stale after a few tries (heavy contention on one
table: the row lock queues the writers). The same seq is never given twice: the ``UPDATE`` only
matches the seq it read, and ``unique_event_seq`` stands behind it.
"""

from __future__ import annotations

import functools
import threading
import time
from dataclasses import dataclass
from typing import Any

from cachetools import LRUCache
from django.db import IntegrityError, connection
from django.db.models import Field, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from exercises.engine.events import EventType
from scenarios.library import scenario_for
from scenarios.models import ScenarioVersion

from . import engine, states, ticks
from .engine import commands as c
from .models import CommandReceipt, Event, Exercise

# What both write paths read of the row: the state and what ``execute`` and ``_forbidden`` use,
# and of the scenario version what ``scenario_for`` keys its parsed copy by (not its snapshot).
FIELDS = (
    "code",
    "seed",
    "last_seq",
    "status",
    "state",
    "rate_limit",
    "scenario__content_hash",
    "scenario__slug",
    "scenario__version",
)
ATTEMPTS = 3


@dataclass(frozen=True)
class Row:
    """What a command needs of its exercise's row, as of ``last_seq``."""

    id: int
    code: str
    seed: int
    last_seq: int
    scenario: ScenarioVersion
    state: str  # the state as JSON text, validated anew for each command (the engine evolves it);
    # text, not a dict: a quarter of the memory, and pydantic reads and writes it in one call


_rows: LRUCache[int, Row] = LRUCache(maxsize=512)
_rows_lock = threading.Lock()
stats = {"written": 0, "stale": 0, "duplicate": 0, "fallback": 0}  # for tests and benchmarks


def enabled() -> bool:
    """PostgreSQL, and not inside a transaction the caller opened (``services.join`` locks the row
    itself, and its participant must commit with the command's events)."""
    return connection.vendor == "postgresql" and not connection.in_atomic_block


# The locked path (``services._execute_locked``) reads the state as the JSON text the column holds
# and writes pydantic's JSON text back, as this path does: Django's JSONField decoded it into
# dicts, and encoded ``model_dump`` with the standard library's encoder, twice with ``remember``.
# On SQLite, where every command takes the locked path, that was a quarter of a command's
# interpreter time (issue #11, part 13).
LOCKED_FIELDS = tuple(f for f in FIELDS if f != "state")


def _whole_row() -> Any:
    """The row with its scenario version and its state as JSON text (``state_text``)."""
    return (
        Exercise.objects.select_related("scenario")
        .only(*LOCKED_FIELDS)
        .annotate(state_text=Cast("state", output_field=TextField()))
    )


def _jsonb() -> str:
    """What a JSON text parameter needs to fill a JSON column: a cast on PostgreSQL."""
    return "::jsonb" if connection.vendor == "postgresql" else ""


def save_state(exercise_id: int, dumped: str, seq: int, status: str) -> None:
    """The row's state (JSON text, written as is), ``last_seq`` and status, in the caller's
    transaction (the locked path holds the row)."""
    table = connection.ops.quote_name(Exercise._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET state = %s{_jsonb()}, last_seq = %s, status = %s WHERE id = %s",
            [dumped, seq, status, exercise_id],
        )


EVENT_COLUMNS = (
    "exercise",
    "seq",
    "type",
    "game_time",
    "role",
    "actor",
    "payload",
    "audience",
    "created_at",
    "inherited",
)


@functools.cache
def _event_fields() -> list[Field[Any, Any]]:
    by_name = {f.name: f for f in Event._meta.concrete_fields}
    return [by_name[name] for name in EVENT_COLUMNS]


def insert_events(exercise_id: int, events: list[engine.Event]) -> None:
    """The events' rows in one ``INSERT``, in the caller's transaction: each value prepared by its
    field as the ORM's ``bulk_create`` does, without building its query (5 % of a worker taking
    100 commands/s on SQLite, issue #11 part 13)."""
    fields = _event_fields()
    stamp = timezone.now()
    params: list[Any] = []
    for e in events:
        values = (exercise_id, e.seq, e.type, e.game_time, e.role, e.actor, e.payload, list(e.audience), stamp, False)
        params += [f.get_db_prep_save(v, connection) for f, v in zip(fields, values, strict=True)]
    cast = _jsonb()
    row = f"(%s, %s, %s, %s, %s, %s, %s{cast}, %s{cast}, %s, %s)"
    columns = ", ".join(str(f.column) for f in fields)
    table = connection.ops.quote_name(Event._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {', '.join([row] * len(events))}", params)


def locked(exercise_id: int) -> tuple[Exercise, str]:
    """The exercise's row for the locked path, locked (``FOR UPDATE`` on PostgreSQL; on SQLite
    the caller's ``BEGIN IMMEDIATE`` holds the database), and its state as JSON text.

    When this worker's copy (``_rows``) is of the row as it stands (the same ``last_seq``, code
    and scenario version, as ``_sql`` checks), one short statement reads those and the rate
    limit, and the state is the copy's: building the ORM's join of the row and its scenario
    version was a quarter of a command on SQLite (issue #11, part 13). Else the ORM reads it all.
    The instance has only what a command uses loaded (the rest deferred, as ``only`` does)."""
    with _rows_lock:
        kept = _rows.get(exercise_id)
    if kept is not None:
        table = connection.ops.quote_name(Exercise._meta.db_table)
        lock = " FOR UPDATE" if connection.vendor == "postgresql" else ""
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT last_seq, code, scenario_id, rate_limit FROM {table} WHERE id = %s{lock}", [exercise_id]
            )
            found = cursor.fetchone()
        if found is not None and tuple(found[:3]) == (kept.last_seq, kept.code, kept.scenario.pk):
            loaded = {
                "id": exercise_id,
                "code": kept.code,
                "seed": kept.seed,
                "last_seq": kept.last_seq,
                "rate_limit": found[3],
                "scenario_id": kept.scenario.pk,
            }
            names = [f.attname for f in Exercise._meta.concrete_fields if f.attname in loaded]
            exercise = Exercise.from_db(connection.alias, names, [loaded[n] for n in names])
            exercise.scenario = kept.scenario
            return exercise, kept.state
    exercise = _whole_row().select_for_update(of=("self",)).get(pk=exercise_id)
    return exercise, exercise.state_text


def remember(exercise: Exercise, dumped: str) -> None:
    """The row as a committed write left it, its state as JSON text (both write paths call this)."""
    _keep(_row_of(exercise, dumped))


def _row_of(exercise: Exercise, dumped: str) -> Row:
    return Row(exercise.pk, exercise.code, exercise.seed, exercise.last_seq, exercise.scenario, dumped)


def _keep(row: Row) -> None:
    with _rows_lock:
        kept = _rows.get(row.id)
        if kept is None or kept.code != row.code or kept.last_seq <= row.last_seq:
            _rows[row.id] = row


def forget(exercise_id: int) -> None:
    with _rows_lock:
        _rows.pop(exercise_id, None)


def _row(exercise_id: int) -> Row:
    with _rows_lock:
        row = _rows.get(exercise_id)
    if row is None:
        exercise = _whole_row().get(pk=exercise_id)
        row = _row_of(exercise, exercise.state_text)
        _keep(row)
    return row


@dataclass(frozen=True)
class Written:
    events: list[engine.Event]
    code: str
    duplicate: bool = False


def write(*, exercise_id: int, actor: engine.Actor, command: c.Cmd, now: float | None, cid: str) -> Written | None:
    """Run ``command`` and write what it produced in one statement; ``None``: take the locked path."""
    receipt = bool(cid) and actor.kind != "system"
    for _attempt in range(ATTEMPTS):
        row = _row(exercise_id)
        state = engine.State.model_validate_json(row.state)
        scenario = scenario_for(row.scenario)
        try:
            events, state = engine.run(
                scenario,
                state,
                actor,
                command,
                seed=row.seed,
                wall=time.time() if now is None else now,
            )
        except (engine.Forbidden, engine.InvalidCommand):
            break  # the locked path refuses it with fresh data, logging what it must
        if not events and not receipt:
            if _still_at(row):  # nothing to write, and nothing written since the copy: done
                return Written([], row.code)
            _stale(exercise_id)
            continue
        if not events or any(e.type == EventType.PARTICIPANT_REMOVED for e in events):
            break
        dumped = state.model_dump_json()
        try:
            done = _write_once(row, events, state, dumped, actor.label if receipt else "", cid)
        except IntegrityError as error:
            if receipt and "unique_command_receipt" in str(error):
                stats["duplicate"] += 1
                return Written([], row.code, duplicate=True)
            raise
        if done:
            stats["written"] += 1
            _keep(Row(row.id, row.code, row.seed, state.seq, row.scenario, dumped))
            ticks.remember(row.id, row.code, scenario, state, row.seed)
            states.offer(row.id, row.code, state)
            return Written(events, row.code)
        _stale(exercise_id)
    stats["fallback"] += 1
    return None


def _stale(exercise_id: int) -> None:
    """The copy was behind the row: drop it, so the next try reads the row."""
    stats["stale"] += 1
    forget(exercise_id)


def _still_at(row: Row) -> bool:
    """The row is still at the copy's seq (one read, no lock: a command that changes nothing)."""
    seq = Exercise.objects.filter(pk=row.id, code=row.code).values_list("last_seq", flat=True).first()
    return seq == row.last_seq


def _json(model: type[Any], name: str, value: Any) -> Any:
    return model._meta.get_field(name).get_db_prep_value(value, connection)


def _sql(n_events: int, receipt: bool) -> str:
    ex, ev, rc = Exercise._meta.db_table, Event._meta.db_table, CommandReceipt._meta.db_table
    values = ", ".join(["(%s::integer, %s, %s::integer, %s, %s, %s::jsonb, %s::jsonb, %s::timestamptz)"] * n_events)
    receipt_cte = (
        f", rc AS (INSERT INTO {rc} (exercise_id, participant, cid, created_at)"
        " SELECT up.id, %s, %s, %s::timestamptz FROM up RETURNING 1)"
        if receipt
        else ""
    )
    return (
        f"WITH up AS (UPDATE {ex} SET state = %s::jsonb, last_seq = %s, status = %s"
        " WHERE id = %s AND last_seq = %s AND code = %s AND scenario_id = %s RETURNING id),"
        f" ev AS (INSERT INTO {ev} (exercise_id, seq, type, game_time, role, actor, payload, audience,"
        " created_at, inherited)"
        " SELECT up.id, v.seq, v.type, v.game_time, v.role, v.actor, v.payload, v.audience, v.created_at, false"
        f" FROM up, (VALUES {values}) AS v(seq, type, game_time, role, actor, payload, audience, created_at)"
        f" RETURNING 1){receipt_cte}"
        " SELECT count(*) FROM up"
    )


def _write_once(row: Row, events: list[engine.Event], state: engine.State, dumped: str, who: str, cid: str) -> bool:
    """One statement, its own transaction: the row moved on from ``row.last_seq``, the events
    and the receipt (``who``: none when empty) inserted; False when the row had moved (nothing written)."""
    stamp = timezone.now()
    params: list[Any] = [
        dumped,  # JSON text already: cast by the statement
        state.seq,
        state.status,
        row.id,
        row.last_seq,
        row.code,
        row.scenario.pk,
    ]
    for e in events:
        params += [
            e.seq,
            e.type,
            e.game_time,
            e.role,
            e.actor,
            _json(Event, "payload", e.payload),
            _json(Event, "audience", list(e.audience)),
            stamp,
        ]
    if who:
        params += [who, cid, stamp]
    with connection.cursor() as cursor:
        cursor.execute(_sql(len(events), bool(who)), params)
        (updated,) = cursor.fetchone()
    return bool(updated)
