"""A command's committed state handed to this worker's renders (``exercises.states``, issue #11 part 13).

The batch's snapshot uses the state the command's thread has just written instead of copying the
previous snapshot's state and folding the batch onto it. It must be that state exactly (what a
fresh read of the row gives), and only once the write has committed.
"""

from __future__ import annotations

from typing import Any

import pytest

from exercises import engine, selectors, services, states
from exercises.engine import commands as c
from exercises.models import CommandReceipt, Exercise
from exercises.screens.audiences import snapshot_at
from exercises.screens.snapshot import Snapshot
from tests.test_incremental_frames import _table

pytestmark = pytest.mark.django_db


@pytest.fixture
def table(db, alice):
    """A started september-2001 table, every playable role held (as the property test's)."""
    from scenarios.library import latest, sync_library

    sync_library()
    return _table(latest("september-2001"), alice)


def test_a_batch_s_snapshot_is_the_state_its_command_committed(table, django_capture_on_commit_callbacks) -> None:
    """Each batch's snapshot takes the offered state (the same object, given once) and equals a
    fresh load.

    Mutation: ``snapshot_at`` not asking ``states.taken`` (red: not the offered object)."""
    exercise, seats = table
    scenario = selectors.scenario_of(exercise)
    role, pid = next(iter(seats.items()))
    me = engine.Actor(kind="participant", participant=pid)
    first = services.execute(exercise_id=exercise.pk, actor=engine.FACILITATOR, command=c.AdvancePhase()).events
    snapshot_at(exercise.pk, first[-1].seq, exercise.code, first)  # the snapshot before, as the hub keeps it
    commands: list[tuple[engine.Actor, Any]] = [
        (engine.FACILITATOR, c.AdhocInject(title="News", text="t", recipients=["all"])),
        (engine.FACILITATOR, c.AdjustIndicator(indicator=scenario.indicators[0].id, delta=-3, reason="why")),
        (
            me,
            c.SendMessage(
                channel=next(ch.id for ch in scenario.channels if role in scenario.roles_of(ch.members)), text="hi"
            ),
        ),
    ]
    for actor, command in commands:
        with django_capture_on_commit_callbacks(execute=True):
            events = services.execute(exercise_id=exercise.pk, actor=actor, command=command).events
        code, seq, offered = states._offered[exercise.pk]
        assert (code, seq) == (exercise.code, events[-1].seq)
        pushed = snapshot_at(exercise.pk, events[-1].seq, exercise.code, events)
        assert pushed.state is offered
        assert states.taken(exercise.pk, exercise.code, seq) is None  # given once: the snapshot holds it now
        loaded = Snapshot.load(Exercise.objects.light().get(pk=exercise.pk), upto=events[-1].seq)
        assert pushed.state == loaded.state


def test_a_write_that_rolls_back_offers_nothing(table, monkeypatch, django_capture_on_commit_callbacks) -> None:
    """The engine ran and the events and state were written, then the command's receipt failed:
    the transaction rolled back, nothing was stored, so nothing is offered (a later command given
    the same seq must not be rendered from this one's state).

    Mutation: ``services._execute_locked`` offering the state at once, not on commit (red)."""
    exercise, _seats = table
    seq = Exercise.objects.get(pk=exercise.pk).last_seq

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(CommandReceipt.objects, "create", broken)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        services._execute_locked(
            exercise_id=exercise.pk,
            actor=engine.FACILITATOR,
            command=c.AdhocInject(title="Lost", text="t", recipients=["all"]),
            now=None,
            cid="lost-1",
            ip="",
        )
    assert states.taken(exercise.pk, exercise.code, seq + 1) is None
    assert Exercise.objects.get(pk=exercise.pk).last_seq == seq
