"""The locked write path (``services._execute_locked``, every command on SQLite; issue #11 part 13).

It reads the state as the column's JSON text and writes pydantic's JSON text back, and when this
worker's copy of the row (``writes._rows``) is of the row as it stands, it reads only the short
row (``writes.locked``). These pin what that must never cost: a command on a stale copy.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from exercises import engine, selectors, services, writes
from exercises.engine import commands as c
from exercises.models import Event, Exercise
from scenarios.library import scenario_for


def _say(exercise: Exercise, actor: engine.Actor, text: str) -> services.Result:
    """A message through the locked path (on PostgreSQL ``services.execute`` takes the
    one-statement path first: ``tests/services/test_one_statement_write.py``)."""
    command = c.SendMessage(channel="cabinet", text=text)
    return services._execute_locked(exercise_id=exercise.pk, actor=actor, command=command, now=None, cid="", ip="")


def _folds(exercise: Exercise) -> None:
    exercise.refresh_from_db()
    seqs = list(Event.objects.filter(exercise=exercise).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, exercise.last_seq + 1)), "the sequence has a gap or a repeat"
    assert engine.fold(scenario_for(exercise.scenario), selectors.log(exercise.pk)) == selectors.state_of(exercise)


@pytest.mark.django_db(transaction=True)
def test_a_warm_table_s_command_reads_the_short_row_and_its_state_folds(mini_table, bob) -> None:
    """After one command, the next reads neither the state nor the scenario version (no join),
    and the state it writes is the fold of the log. Mutation: ``writes.locked`` ignoring its copy
    (the ORM's join, red)."""
    actor = engine.Actor(kind="participant", participant=bob.participant.pk)
    _say(mini_table, actor, "first")
    with CaptureQueriesContext(connection) as queries:
        _say(mini_table, actor, "second")
    reads = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
    assert reads and not any("JOIN" in sql.upper() for sql in reads), reads
    _folds(mini_table)


@pytest.mark.django_db(transaction=True)
def test_a_copy_the_row_has_moved_past_is_not_used(mini_table, bob) -> None:
    """Another worker wrote (this worker's copy is of the seq before): the command reads the row
    again and goes on from it, no seq given twice, the state the log's fold.

    Mutation: ``writes.locked`` not comparing ``last_seq`` (the stale state is used: the seq
    repeats, the unique constraint refuses it, red)."""
    actor = engine.Actor(kind="participant", participant=bob.participant.pk)
    _say(mini_table, actor, "mine")
    with writes._rows_lock:
        stale = writes._rows[mini_table.pk]
    _say(mini_table, actor, "another worker's")  # then this worker forgets it saw that write
    with writes._rows_lock:
        writes._rows[mini_table.pk] = stale
    result = _say(mini_table, actor, "mine again")
    assert result.events and result.events[0].seq == stale.last_seq + 2
    _folds(mini_table)
    texts = [e.payload.get("text") for e in selectors.log(mini_table.pk) if e.type == "message_sent"]
    assert texts[-3:] == ["mine", "another worker's", "mine again"]


@pytest.mark.django_db(transaction=True)
def test_the_events_rows_read_back_as_the_engine_made_them(mini_table, bob) -> None:
    """The locked path inserts the events with one statement (``writes.insert_events``): read
    back through the ORM, each is the engine's event, stamped now. Mutation: the payload written
    without its field's preparation (``json.dumps`` skipped: the insert fails, red)."""
    from datetime import timedelta

    from django.utils import timezone

    actor = engine.Actor(kind="participant", participant=bob.participant.pk)
    made = _say(mini_table, actor, "read me back").events
    rows = {r.seq: r for r in Event.objects.filter(exercise=mini_table, seq__in=[e.seq for e in made])}
    for e in made:
        row = rows[e.seq]
        assert (row.type, row.game_time, row.role, row.actor) == (e.type, e.game_time, e.role, e.actor)
        assert row.payload == e.payload and row.audience == list(e.audience) and row.inherited is False
        assert abs(timezone.now() - row.created_at) < timedelta(seconds=30)
