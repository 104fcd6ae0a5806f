"""Seat bots: who plays an empty seat when the facilitator puts a bot in it.

Plain Python, no Django, deterministic for a seed. The engine's clock wakes each seated bot
at its own pace (``turn.next_wake``) while it catches up, under the same row lock as any
command; the bot's policy looks at the table and gives back at most one command, which the
engine runs through the same handlers and rules as a player's, recorded with the actor
``bot:<role>``. So a bot acts once however many workers tick, and its moves are in the log.

Policies: ``role`` (plays its objectives: ``role.py``), ``random`` (tests and
``simulate --policy random``), ``script`` (follows its orders and nothing else).
"""

from __future__ import annotations

from collections.abc import Callable

from scenarios.schema import Scenario

from . import randomly, role
from .turn import Move, Turn, answers, next_wake, unit

POLICIES: dict[str, Callable[[Turn], Move | None]] = {
    "role": role.decide,
    "random": randomly.decide,
    "script": role.follow_orders,
}
ANSWERS = ("grant", "refuse")
PROPOSALS = ("go", "never")


def decide(turn: Turn) -> Move | None:
    return POLICIES[turn.seat.policy](turn)


def order_problems(scenario: Scenario, role_id: str, orders: dict[str, str]) -> list[str]:
    """Why these orders cannot be given to a bot playing ``role_id`` (empty: they can).

    ``<action>: go | never | <option>`` for an action the role takes;
    ``<action>@<role_id>: grant | refuse`` for an approval the role gives.
    """
    problems = []
    for key, value in orders.items():
        action_id, _, approver = key.partition("@")
        action = scenario.actions_by_id.get(action_id)
        if action is None:
            problems.append(f"{key}: no action {action_id!r}")
        elif approver:
            if approver != role_id or all(a.by != role_id for a in action.approvals):
                problems.append(f"{key}: {role_id} does not approve {action_id}")
            elif value not in ANSWERS:
                problems.append(f"{key}: answer grant or refuse, not {value!r}")
        elif role_id not in action.roles:
            problems.append(f"{key}: {role_id} does not take {action_id}")
        elif value not in PROPOSALS and value not in {o.id for o in action.options}:
            choices = ", ".join([*PROPOSALS, *(o.id for o in action.options)])
            problems.append(f"{key}: choose one of {choices}, not {value!r}")
    return problems


__all__ = ["POLICIES", "Move", "Turn", "answers", "decide", "next_wake", "order_problems", "unit"]
