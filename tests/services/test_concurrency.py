"""Writers racing on one exercise: the row lock gives one gapless sequence, and one winner."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import pytest
from django.db import connection

from exercises import engine, selectors, services
from exercises.engine import commands as c
from exercises.models import Event, Exercise
from scenarios.library import scenario_for

from .conftest import seat
from .live import ROOT

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

PROCESSES = 4
PER_PROCESS = 25  # 100 commands in all


def test_it_numbers_100_commands_racing_from_several_processes_without_gaps(mini, live_env) -> None:
    exercise = services.create_exercise(scenario=mini, title="Race")
    racers = [seat(exercise, role.title(), role)[0] for role in ("president", "adviser", "defence", "foreign")]
    before = Exercise.objects.get(pk=exercise.pk).last_seq
    start_at = time.time() + 3  # every process has set Django up by then
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.services.racer", str(exercise.pk), pid, str(PER_PROCESS), str(start_at)],
            cwd=ROOT, env=live_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for pid in racers[:PROCESSES]
    ]  # fmt: skip
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        outputs.append(json.loads(out.strip().splitlines()[-1]))

    exercise.refresh_from_db()
    rows = list(Event.objects.filter(exercise=exercise).order_by("seq"))
    assert [r.seq for r in rows] == list(range(1, exercise.last_seq + 1)), "the sequence has a gap or a repeat"
    reported = [seq for o in outputs for seqs in o["seqs"] for seq in seqs]
    assert sorted(reported) == list(range(before + 1, exercise.last_seq + 1)), "two commands got the same seq"
    spans = sorted((o["seqs"][0][0], o["seqs"][-1][-1]) for o in outputs)
    assert any(a[1] > b[0] for a, b in zip(spans, spans[1:], strict=False)), f"the writers never overlapped: {spans}"
    texts = [r.payload["text"] for r in rows if r.type == "message_sent"]
    assert len(texts) == len(set(texts)) == PROCESSES * PER_PROCESS
    for pid in racers[:PROCESSES]:  # each writer's commands in the order it gave them
        mine = [t for t in texts if t.startswith(f"race-{pid}-")]
        assert mine == sorted(mine) and len(mine) == PER_PROCESS
    # The cached state is the fold of the log, after all that racing.
    assert engine.fold(scenario_for(exercise.scenario), selectors.log(exercise.pk)) == selectors.state_of(exercise)


ROUNDS = 10


def claim_at_once(exercise_id: int, players: list[str], role: str) -> dict[str, services.Result]:
    """Every player claims ``role`` from a thread of its own, released together by a barrier."""
    barrier = threading.Barrier(len(players))
    results: dict[str, services.Result] = {}

    def claim(pid: str) -> None:
        try:
            actor = engine.Actor(kind="participant", participant=pid)
            barrier.wait(timeout=10)
            results[pid] = services.execute(exercise_id=exercise_id, actor=actor, command=c.ClaimRole(role=role))
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=claim, args=(pid,)) for pid in players]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


def test_it_lets_exactly_one_of_two_simultaneous_claims_win(mini) -> None:
    """Two players claim the same role at the same instant, ten times: one wins, one is told why."""
    for round_ in range(ROUNDS):
        exercise = services.create_exercise(scenario=mini, title=f"Claim {round_}")
        players = [seat(exercise, name)[0] for name in ("Alice", "Bob")]
        results = claim_at_once(exercise.pk, players, "president")
        assert set(results) == set(players)
        winners = [pid for pid, r in results.items() if r.ok]
        losers = [pid for pid, r in results.items() if not r.ok]
        assert len(winners) == 1 and len(losers) == 1, results
        rejection = results[losers[0]].rejection
        assert rejection.payload["rule"] == "role_taken"
        assert rejection.audience == (f"p:{losers[0]}",)  # told to the loser, and only to them
        exercise.refresh_from_db()
        assert selectors.state_of(exercise).holders == {"president": winners[0]}
        assert Event.objects.filter(exercise=exercise, type="role_claimed").count() == 1
