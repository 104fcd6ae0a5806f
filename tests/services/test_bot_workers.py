"""Seat bots with two workers ticking one exercise: each move is decided once, under the row lock.

Both workers' tickers call ``services.tick`` on the same clock (virtual here, so minutes of play
take seconds); the bots' moves are decided inside the locked command that catches the clock
up. Whatever the interleaving, the stored log must be the one a single catch-up to the same
moment gives in memory: no move made twice, none lost, nothing refused.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter

import pytest

from exercises import engine, selectors, services
from exercises.engine import commands as c
from exercises.models import Event, Exercise
from scenarios.library import latest, scenario_for, sync_library

from .live import ROOT

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

W0 = 1_000_000_000.0
STEP, STEPS = 2.0, 450  # 15 minutes of play, ticked every 2 s by each worker


def test_two_tickers_never_make_a_bot_move_twice(live_env) -> None:
    """Mutation: ``execute`` without ``select_for_update`` → both tickers decide the same bot move
    from the same state and write it under the same seq (the ticker process fails on the unique
    constraint; with it, the log equals one catch-up in memory). The same for the one-statement
    write without its ``last_seq`` guard (``writes._sql``; tried again in part 12 of issue #11, with
    the tickers paced so that both write)."""
    sync_library()
    version = latest("september-2001")
    scenario = scenario_for(version)
    exercise = services.create_exercise(scenario=version, seed=11, title="Two tickers")
    for role in scenario.roles:
        if not role.institution:
            services.execute(exercise_id=exercise.pk, actor=engine.FACILITATOR, command=c.SeatBot(role=role.id), now=W0)
    services.execute(exercise_id=exercise.pk, actor=engine.FACILITATOR, command=c.Start(), now=W0)
    started = Exercise.objects.get(pk=exercise.pk).last_seq
    start_at = time.time() + 3
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.services.bot_ticker", str(exercise.pk), str(start_at), str(W0), str(STEP), str(STEPS)],
            cwd=ROOT, env=live_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for _worker in range(2)
    ]  # fmt: skip
    reports = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        reports.append(json.loads(out.strip().splitlines()[-1]))
    assert all(r["writes"] for r in reports), f"one ticker never got to write: {reports}"

    stored = selectors.log(exercise.pk)
    assert [e.seq for e in stored] == list(range(1, len(stored) + 1))
    bots = [e for e in stored if e.actor.startswith(c.BOT_PREFIX)]
    assert len(bots) >= 20, "the bots should have played"
    assert not [e for e in bots if e.type == "command_rejected"]
    proposals = Counter((e.actor, e.payload["action"]) for e in bots if e.type == "action_proposed")
    assert proposals and max(proposals.values()) <= 2  # an action asked for again only after a refusal

    state = engine.fold(scenario, stored[:started])
    expected, _ = engine.run(scenario, state, engine.SYSTEM, c.Tick(), seed=11, wall=W0 + STEPS * STEP)
    assert [e.as_dict() for e in stored[started:]] == [e.as_dict() for e in expected]
    assert Event.objects.filter(exercise=exercise).count() == sum(r["events"] for r in reports) + started
