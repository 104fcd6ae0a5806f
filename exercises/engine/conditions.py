"""Evaluate a scenario condition against the exercise state."""

from __future__ import annotations

import operator
from collections.abc import Callable

from scenarios.schema import Condition, Scenario

from .state import State

_OPS: dict[str, Callable[[int, int], bool]] = {
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
    "eq": operator.eq,
    "ne": operator.ne,
}


def holds(cond: Condition, state: State, scenario: Scenario, now: int | None = None) -> bool:
    now = state.game_time if now is None else now
    if cond.indicator is not None:
        assert cond.op is not None and cond.value is not None
        return _OPS[cond.op](state.indicators.get(cond.indicator, 0), cond.value)
    if cond.action is not None:
        if cond.option is not None:
            return cond.option in state.chosen.get(cond.action, [])
        counts = {"executed": state.executed, "refused": state.refused, "proposed": state.proposed}[cond.outcome]
        return counts.get(cond.action, 0) > 0
    if cond.inject is not None:  # lost intelligence (R12) never counts as received
        return cond.inject in state.released and cond.inject not in state.lost
    if cond.phase is not None:
        order = [p.id for p in scenario.phases]
        return order.index(state.phase) >= order.index(cond.phase)
    if cond.after is not None:
        return now >= cond.after
    if cond.channel_open is not None:
        return state.channels.get(cond.channel_open, False)
    if cond.statement is not None:
        sides = [cond.by_side] if cond.by_side else list(state.statements)
        for side in sides:
            stances = state.statements.get(side, {}).get(cond.statement, [])
            if stances and (cond.stance is None or cond.stance in stances):
                return True
        return False
    if cond.all_ is not None:
        return all(holds(c, state, scenario, now) for c in cond.all_)
    if cond.any_ is not None:
        return any(holds(c, state, scenario, now) for c in cond.any_)
    if cond.not_ is not None:
        return not holds(cond.not_, state, scenario, now)
    raise AssertionError("condition without a kind")  # the schema forbids it
