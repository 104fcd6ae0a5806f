"""The command's write in one statement on PostgreSQL (``exercises.writes``, issue #11 part 6).

The racing writers of ``test_concurrency.py`` go through this path too (four processes on one
table: stale copies, retries, the locked fallback); these pin the pieces one by one.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from exercises import engine, selectors, services, writes
from exercises.engine import commands as c
from exercises.models import CommandReceipt, Event, Exercise
from scenarios.library import scenario_for

from .conftest import seat

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _president(exercise: Exercise) -> engine.Actor:
    pid, _cookie = seat(exercise, "Pres", "president")
    return engine.Actor(kind="participant", participant=pid)


def _say(exercise: Exercise, actor: engine.Actor, text: str, cid: str = "") -> services.Result:
    return services.execute(
        exercise_id=exercise.pk, actor=actor, command=c.SendMessage(channel="cabinet", text=text), cid=cid
    )


def _another_worker_says(exercise: Exercise, actor: engine.Actor, text: str) -> None:
    """Another worker's write: the locked path, whose copy of the row this worker never sees."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(writes, "remember", lambda *a, **k: None)
        services._execute_locked(
            exercise_id=exercise.pk,
            actor=actor,
            command=c.SendMessage(channel="cabinet", text=text),
            now=None,
            cid="",
            ip="",
        )


def _folds(exercise: Exercise) -> None:
    exercise.refresh_from_db()
    seqs = list(Event.objects.filter(exercise=exercise).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, exercise.last_seq + 1)), "the sequence has a gap or a repeat"
    assert engine.fold(scenario_for(exercise.scenario), selectors.log(exercise.pk)) == selectors.state_of(exercise)


def test_a_command_is_one_statement(mini) -> None:
    """A message on a warm table: one round trip to the server, not seven.

    Mutation: ``writes.enabled`` returning False (the locked path): 5 queries, red."""
    exercise = services.create_exercise(scenario=mini, title="One")
    actor = _president(exercise)
    _say(exercise, actor, "warm")  # the row is now this worker's copy
    with CaptureQueriesContext(connection) as queries:
        result = _say(exercise, actor, "hello", cid="c-1")
    assert result.ok and [e.type for e in result.events] == ["message_sent"]
    assert len(queries) == 1, [q["sql"][:80] for q in queries]
    assert CommandReceipt.objects.filter(exercise=exercise, cid="c-1").exists()
    _folds(exercise)


def test_a_stale_copy_writes_nothing_and_the_command_runs_again_on_the_row(mini) -> None:
    """Another worker wrote after this one's copy: the update matches no row, nothing of the
    command is stored, and it runs again on the row read afresh, at the next free seq.

    Mutation: the ``AND last_seq = %s`` dropped from the update: the events are inserted at a
    seq already taken (``unique_event_seq``), red."""
    exercise = services.create_exercise(scenario=mini, title="Stale")
    actor = _president(exercise)
    _say(exercise, actor, "one")
    copy = writes._rows[exercise.pk]
    _another_worker_says(exercise, actor, "two")
    assert writes._rows[exercise.pk] is copy  # still the old seq
    stale = writes.stats["stale"]
    result = _say(exercise, actor, "three")
    assert writes.stats["stale"] == stale + 1
    assert result.events[0].seq == copy.last_seq + 2
    texts = [r.payload["text"] for r in Event.objects.filter(exercise=exercise, type="message_sent").order_by("seq")]
    assert texts == ["one", "two", "three"]
    _folds(exercise)


def test_a_resent_command_is_a_duplicate_and_stores_nothing(mini) -> None:
    """The same client id twice: the second is acknowledged as a duplicate, the log unchanged.

    Mutation: the receipt's insert left out of the statement: the message is stored twice, red."""
    exercise = services.create_exercise(scenario=mini, title="Dup")
    actor = _president(exercise)
    first = _say(exercise, actor, "once", cid="same")
    last = Exercise.objects.get(pk=exercise.pk).last_seq
    again = _say(exercise, actor, "once", cid="same")
    assert first.ok and not first.duplicate
    assert again.duplicate and again.events == []
    assert Exercise.objects.get(pk=exercise.pk).last_seq == last
    assert Event.objects.filter(exercise=exercise, type="message_sent").count() == 1
    _folds(exercise)


def test_a_command_that_changes_nothing_checks_the_copy_is_current(mini, monkeypatch) -> None:
    """A command with no events (an acknowledgement already made) writes nothing, after one read
    that the copy is current; a stale copy is dropped and the command runs again on the row.

    Mutation: ``write`` trusting the copy when there are no events (no ``_still_at``): red."""
    exercise = services.create_exercise(scenario=mini, title="Quiet")
    actor = _president(exercise)
    seen = services.execute(exercise_id=exercise.pk, actor=actor, command=c.MarkSeen(seq=1))
    assert [e.type for e in seen.events] == ["inject_seen"]
    copy = writes._rows[exercise.pk].last_seq
    checks: list[int] = []
    real = writes._still_at

    def still_at(row: writes.Row) -> bool:
        checks.append(row.last_seq)
        return real(row)

    monkeypatch.setattr(writes, "_still_at", still_at)
    _another_worker_says(exercise, actor, "x")
    again = services.execute(exercise_id=exercise.pk, actor=actor, command=c.MarkSeen(seq=1))
    assert again.events == [] and not again.duplicate
    assert checks == [copy, copy + 1], "the stale copy was not checked, or the row not read again"
    _folds(exercise)


def test_a_tick_after_this_worker_s_write_reads_no_state_back(mini, monkeypatch) -> None:
    """The fast path keeps the schedule of the state it wrote (``ticks.remember``): the next
    tick reads the short row only, and answers as if it had computed the schedule from the row.
    Mutation: dropping the ``ticks.remember`` call in ``writes.write`` makes the tick read the
    row's state back (``_schedule``), red."""
    from exercises import ticks

    exercise = services.create_exercise(scenario=mini, title="Ticks")
    actor = _president(exercise)
    services.execute(exercise_id=exercise.pk, actor=engine.FACILITATOR, command=c.Start())
    _say(exercise, actor, "warm")
    reads: list[int] = []
    real = ticks._schedule

    def counted(row: Exercise) -> ticks.Schedule:
        reads.append(row.pk)
        return real(row)

    monkeypatch.setattr(ticks, "_schedule", counted)
    _say(exercise, actor, "moves the log")
    exercise.refresh_from_db()
    assert ticks._schedules[exercise.pk].key == (exercise.code, exercise.last_seq)
    for wall in (exercise.state["anchor_wall"] + 1, exercise.state["anchor_wall"] + 10**6):
        kept = ticks.due([exercise.pk], wall)
        ticks._schedules.pop(exercise.pk)  # the same question, computed from the row
        assert kept == ticks.due([exercise.pk], wall)
        _say(exercise, actor, f"at {wall}")  # and kept again by the write
    assert reads == [exercise.pk, exercise.pk]  # only the two computed on purpose
