"""A reconnect storm (issue #11): every socket of a table drops at once and comes back at once,
each resuming from a few events back. Every player catches up exactly once: one catch-up frame
that ends at the table's newest event, every item it missed once, nothing twice; the console's
presence column arrives coalesced, not one per socket.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter

import pytest
from channels.db import database_sync_to_async

from exercises import engine, services
from exercises.engine import commands as c
from exercises.models import Exercise
from tests.test_consumers_ui import _as, _connect, _drain, _send

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

SEQ = re.compile(r'id="ct-seq" data-seq="(\d+)"')
ITEM = re.compile(r'<li id="((?:ev|msg)-\d+)"')
execute = database_sync_to_async(services.execute)


def _last(exercise) -> int:
    return Exercise.objects.get(pk=exercise.pk).last_seq


async def test_every_player_catches_up_exactly_once_after_a_storm(mini_table, bob, dave, carol, alice_client):
    """Mutation: in ``ExerciseConsumer.deliver``, drop the ``events[-1].seq <= self.last_seq``
    skip (a live batch overtaken by the catch-up is sent again): the items arrive twice. And
    ``_catch_up`` not moving ``self.last_seq``: a second catch-up frame follows the first. Without
    both the presence batch (``_PresenceBatch``) and the console's coalescing (``signal``), the
    console gets a presence column per socket that came back (either alone keeps it to one)."""
    await execute(exercise_id=mini_table.pk, actor=engine.FACILITATOR, command=c.Start())
    players = {"bob": bob, "dave": dave, "carol": carol}
    for n in range(3):
        await execute(exercise_id=mini_table.pk, actor=_as(bob), command=c.SendMessage(channel="press", text=f"m{n}"))
    await execute(
        exercise_id=mini_table.pk,
        actor=engine.FACILITATOR,
        command=c.AdhocInject(title="Storm warning", text="Wind.", recipients=["all"], public=True),
    )
    last = await database_sync_to_async(_last)(mini_table)
    # The storm: every socket comes back at once, each resuming from 5 events back (the console
    # first by a hair, so it sees the players' sockets come back).
    console = await _connect(f"/ws/exercise/{mini_table.code}/console/", alice_client)
    await _send(console, type="resume", last=last - 5)
    sockets = await asyncio.gather(*(_connect(f"/ws/exercise/{mini_table.code}/", b) for b in players.values()))
    await asyncio.gather(*(_send(s, type="resume", last=last - 5) for s in sockets))
    received = await asyncio.gather(*(_drain(s, quiet=0.6) for s in [*sockets, console]))
    for name, frames in zip([*players, "console"], received, strict=True):
        seqs = [int(m) for f in frames for m in SEQ.findall(f)]
        assert seqs == [last], (name, seqs)  # one catch-up, ending at the newest event
        items = Counter(i for f in frames for i in ITEM.findall(f))
        assert items and max(items.values()) == 1, (name, items)  # nothing twice
    console_frames = "".join(received[-1])
    # coalesced: the catch-up's roster and one presence column, not one column per socket that came back
    assert console_frames.count(f'id="presence-{bob.participant.pk}"') <= 2, console_frames.count("presence-")
    assert f'id="presence-{bob.participant.pk}" class="presence presence-connected"' in console_frames
    # A live batch after the storm reaches everyone once.
    await execute(exercise_id=mini_table.pk, actor=_as(dave), command=c.SendMessage(channel="press", text="after"))
    received = await asyncio.gather(*(_drain(s) for s in sockets))
    for frames in received:
        assert [int(m) for f in frames for m in SEQ.findall(f)] == [last + 1]
    for s in [*sockets, console]:
        await s.disconnect()
