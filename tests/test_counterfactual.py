"""Counterfactual runs: bots play the rest of an exercise K times, in memory; what changes if…"""

from __future__ import annotations

import functools
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from exercises import engine, services
from exercises.engine import commands as c
from exercises.engine import counterfactual as cf
from exercises.models import Event, Exercise
from scenarios.loader import load_file
from scenarios.schema import Scenario

FIXTURES = Path(__file__).parent / "fixtures"
LIBRARY = Path(__file__).parents[1] / "scenarios" / "library"
W0 = 1_000_000_000.0


@functools.cache
def mini() -> Scenario:
    return load_file(FIXTURES / "mini.yaml")[0]


@functools.cache
def september() -> Scenario:
    return load_file(LIBRARY / "september-2001.yaml")[0]


def started(sc: Scenario, seed: int = 7) -> list[engine.Event]:
    """A log: created, one human president, started (what a real table looks like at T+0)."""
    state = engine.initial_state(sc)
    log = [engine.opening_event(sc, content_hash="t", seed=seed, title="t")]
    engine.apply(state, log[0])
    bob = engine.Actor(kind="participant", participant="bob")
    for actor, cmd in [
        (bob, c.Join(name="Bob")),
        (bob, c.ClaimRole(role=sc.roles[0].id)),
        (engine.FACILITATOR, c.Start()),
    ]:
        events, state = engine.run(sc, state, actor, cmd, seed=seed, wall=W0)
        log += events
    return log


def rate(result: cf.Result, objective: str) -> float:
    return next(o["rate"] for o in result.objectives if o["objective"] == objective)


def test_it_summarises_k_runs_from_a_point() -> None:
    sc = september()
    log = started(sc)
    calls = []
    result = cf.run(sc, log, at_seq=len(log), seeds=range(1, 6), points=30, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(n, 5) for n in range(1, 6)]
    assert result.seeds == [1, 2, 3, 4, 5] and len(result.times) == 30
    assert result.times == sorted(result.times) and result.times[-1] == sc.clock.end
    for indicator, band in result.bands.items():
        assert len(band["p50"]) == 30
        assert all(lo <= mid <= hi for lo, mid, hi in zip(band["p10"], band["p50"], band["p90"], strict=True)), (
            indicator
        )
        assert band["p50"][0] == sc.indicator(indicator).start  # the first moment is the fork point itself
    assert all(0 <= o["rate"] <= 1 for o in result.objectives)
    assert {r["rule"] for r in result.rules} >= {"R3"}  # somebody contradicts somebody
    assert all(0 < k["rate"] <= 1 and k["title"]["es"] for k in result.key_events)
    assert result.max_bot_refusals <= 2
    json.dumps(result.as_dict())  # what the command prints


def test_it_is_deterministic_for_its_seeds() -> None:
    sc = mini()
    log = started(sc)
    first = cf.run(sc, log, at_seq=len(log), seeds=[3, 4], points=10).as_dict()
    second = cf.run(sc, log, at_seq=len(log), seeds=[3, 4], points=10).as_dict()
    first.pop("seconds"), second.pop("seconds")
    assert first == second


def test_a_changed_decision_changes_what_happens() -> None:
    """The Senate's answer fixed one way or the other decides the President's objective.

    Mutation: ``orders_for`` returning {} (the change ignored) → both rates sit in between.
    """
    sc = mini()
    log = started(sc)
    seeds = range(1, 9)
    refuse = cf.run(sc, log, at_seq=len(log), seeds=seeds, changes=[cf.parse_change("travel@senate=refuse", sc)])
    grant = cf.run(sc, log, at_seq=len(log), seeds=seeds, changes=[cf.parse_change("travel@*=grant", sc)])
    assert rate(refuse, "travel") == 0.0
    assert rate(grant, "travel") == 1.0
    assert refuse.changes == ["travel@senate=refuse"] and grant.changes == ["travel@*=grant"]


def test_never_and_go_decide_whether_an_action_is_taken() -> None:
    sc = september()
    log = started(sc)
    action = "mx_president_offer_military_support"
    never = cf.run(sc, log, at_seq=len(log), seeds=range(1, 4), changes=[cf.parse_change(f"{action}=never", sc)])
    go = cf.run(sc, log, at_seq=len(log), seeds=range(1, 4), changes=[cf.parse_change(f"{action}=go", sc)])
    assert not any(k["key"] == f"executed:{action}" for k in never.key_events)
    assert rate(never, "mx_president_obj_no_troops") == 1.0
    assert any(k["key"] == f"refused:{action}" or k["key"] == f"executed:{action}" for k in go.key_events)


def test_it_explains_a_decision_it_cannot_read() -> None:
    sc = mini()
    for text, words in [
        ("travel", "write ACTION=go"),
        ("trip=go", "no action 'trip'"),
        ("travel=maybe", "choose one of go, never"),
        ("travel@adviser=grant", "approved by senate, not 'adviser'"),
        ("travel@senate=yes", "grant or refuse"),
        ("order_army@senate=grant", "needs nobody's approval"),
    ]:
        with pytest.raises(cf.ChangeError, match=words):
            cf.parse_change(text, sc)


def test_it_refuses_a_point_outside_the_log_or_after_the_end() -> None:
    sc = mini()
    log = started(sc)
    with pytest.raises(ValueError, match="choose an event"):
        cf.run(sc, log, at_seq=len(log) + 1, seeds=[1])
    state = engine.fold(sc, log)
    ended, _ = engine.run(sc, state, engine.FACILITATOR, c.End(), seed=1, wall=W0)
    with pytest.raises(ValueError, match="had ended"):
        cf.run(sc, log + ended, at_seq=len(log) + 1, seeds=[1])


def test_it_shows_the_real_run_beside_it_where_the_log_went_on() -> None:
    sc = mini()
    log = started(sc)
    state = engine.fold(sc, log)
    later, _ = engine.run(sc, state, engine.SYSTEM, c.Tick(), seed=7, wall=W0 + 150)  # 2.5 game hours played
    result = cf.run(sc, log + later, at_seq=len(log), seeds=[1], points=20)
    assert result.actual is not None
    assert 0 < len(result.actual["trust"]) < 20  # as far as the real log got
    assert cf.run(sc, log, at_seq=len(log), seeds=[1], points=20).actual is None


# --------------------------------------------------------------------------- the command


@pytest.mark.django_db
def test_the_command_prints_json_and_writes_nothing(mini_table) -> None:
    services.execute(exercise_id=mini_table.pk, actor=engine.FACILITATOR, command=c.Start(), now=W0)
    before = (Exercise.objects.count(), Event.objects.count())
    out = StringIO()
    call_command(
        "counterfactual", mini_table.code, "--at", "2", "--seeds", "3", "--set", "travel@senate=grant", stdout=out
    )
    data = json.loads(out.getvalue())
    assert data["exercise"] == mini_table.code and data["at_seq"] == 2 and data["seeds"] == [1, 2, 3]
    assert data["changes"] == ["travel@senate=grant"] and data["bands"]["trust"]["p50"]
    assert (Exercise.objects.count(), Event.objects.count()) == before
    with pytest.raises(CommandError, match="no action 'nope'"):
        call_command("counterfactual", mini_table.code, "--at", "2", "--set", "nope=go", stdout=StringIO())
    with pytest.raises(CommandError, match="choose an event"):
        call_command("counterfactual", mini_table.code, "--at", "99", stdout=StringIO())
