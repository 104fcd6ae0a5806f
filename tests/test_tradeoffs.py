"""Every choice in a shipped scenario costs something, and no option is simply worse than another.

The paper's argument is about trade-offs (trust against sovereignty, speed against Congress);
a choice that only gains, or an option that another beats on every count, teaches nothing.

How (and why it is fast): a *static* reading of each file follows every action's and option's
outcome through the injects it releases and through every trigger, pressure and objective whose
condition names it (``tests/tradeoffs.py``), and *in-memory play* runs each scenario's bots for
20 seeds on ``engine.run`` alone, with the policy of ``exercises/bots.py`` but no database, and
records every indicator an executed action moved down and every objective it undid. A full
database-backed simulation takes about 5 s; the in-memory one takes a fraction of a second, so
the whole module runs in well under 30 s.

A choice **has a downside** when its static gain or risk has a negative component (an indicator
down, an objective undone; risk covers refusal, failure, bypass, leak and, for a statement, the
contradiction penalty) or when play saw one. An option is **strictly dominated** when another
option of the same action is at least as good on every indicator and objective and better on
one. An exception needs ``deliberate: {reason: {en, es}}`` on the action or option.

Mutations tried: giving ``mx_president_call_bush``'s ``formal_note`` option ``trust: +5`` and no
other effect (dominated, and no downside: both tests fail); deleting the ``deliberate`` marker
on ``us_state_thank_mexico`` in katrina-2005 (no downside: fails); making the in-memory bots
never act (``activity=0``: the play test fails, nothing was observed).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from scenarios.loader import load_file
from scenarios.schema import Scenario

from .tradeoffs import InMemoryTable, Observed, dominated, negatives, profiles

LIBRARY = Path(__file__).resolve().parent.parent / "scenarios" / "library"
SLUGS = ["september-2001", "pipeline-2007", "katrina-2005"]
SEEDS = range(20)


@cache
def scenario(slug: str) -> Scenario:
    return load_file(LIBRARY / f"{slug}.yaml")[0]


@cache
def played(slug: str) -> dict[tuple[str, str], Observed]:
    """Everything the bots' choices did in 20 in-memory games, merged."""
    merged: dict[tuple[str, str], Observed] = {}
    for seed in SEEDS:
        for key, seen in InMemoryTable(scenario(slug), seed).run().items():
            into = merged.setdefault(key, Observed())
            into.times += seen.times
            for dim, delta in seen.worst.items():
                into.note(dim, delta)
    return merged


def _deliberate(sc: Scenario, action_id: str, option_id: str) -> bool:
    action = sc.action(action_id)
    option = next((o for o in action.options if o.id == option_id), None)
    return action.deliberate is not None or (option is not None and option.deliberate is not None)


@pytest.mark.parametrize("slug", SLUGS)
def test_it_gives_every_choice_a_downside(slug: str) -> None:
    sc = scenario(slug)
    seen = played(slug)
    free = []
    for key, p in profiles(sc).items():
        if _deliberate(sc, *key):
            continue
        observed = seen.get(key)
        if negatives(p.gain) or negatives(p.risk) or (observed and observed.worst):
            continue
        free.append(f"{key[0]}{'/' + key[1] if key[1] else ''}: gains {p.gain}")
    assert not free, "choices without a downside (add a cost, or mark them deliberate with a reason):\n" + "\n".join(
        free
    )


@pytest.mark.parametrize("slug", SLUGS)
def test_it_leaves_no_option_strictly_dominated(slug: str) -> None:
    sc = scenario(slug)
    found = profiles(sc)
    beaten = []
    for action in sc.actions:
        if action.forbidden is not None or action.deliberate is not None:
            continue
        for a in action.options:
            for b in action.options:
                if a is b or a.deliberate is not None:
                    continue
                if dominated(found[(action.id, a.id)].gain, found[(action.id, b.id)].gain):
                    beaten.append(
                        f"{action.id}: {a.id} {found[(action.id, a.id)].gain} <= {b.id} {found[(action.id, b.id)].gain}"
                    )
    assert not beaten, "strictly dominated options:\n" + "\n".join(beaten)


@pytest.mark.parametrize("slug", SLUGS)
def test_it_plays_every_scenario_in_memory_and_sees_costs_paid(slug: str) -> None:
    seen = played(slug)
    assert sum(o.times for o in seen.values()) > 50 * len(SEEDS) / 10, "the bots hardly played"
    assert any(o.worst for o in seen.values()), "no executed choice ever cost anything in play"


def test_it_marks_exceptions_with_a_reason_in_both_languages() -> None:
    for slug in SLUGS:
        sc = scenario(slug)
        for action in sc.actions:
            for marker in [action.deliberate, *(o.deliberate for o in action.options)]:
                if marker is not None:
                    assert marker.reason.en.strip() and marker.reason.es.strip(), action.id
