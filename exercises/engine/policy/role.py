"""The role policy: a bot that plays its role's objectives, powers and brief.

At each wake, in this order:

1. **orders** (counterfactual runs): answer an ordered approval; propose an ordered action;
2. **answer** a request addressed to its role, once it has had time to read it (an
   institution not before its own delay: a Senate bot still takes the Senate's hours). A
   person weighs what the action would do to their objectives and their side's against
   what refusing would cost, with a little loyalty to their own side; an institution starts
   from the scenario's odds (which read the indicators: legitimacy, relations with Congress)
   and its side's interests move them;
3. **comment** on its latest move, on a channel it may speak on (``lines``);
4. **go ahead** without approvals it may bypass, when waiting has lasted long enough and
   going ahead is worth more than waiting;
5. take an **initiative**, at a person's pace (``SPACING`` real seconds after its latest
   move): the available action (and option) worth most to it, if worth anything at all.

It never proposes what its action cards show as blocked, never speaks on a closed
channel, and never tries again a move a rule refused: rule refusals stay rare.
"""

from __future__ import annotations

import math

from scenarios.schema import Action, Option

from .. import commands as c
from ..state import Proposal
from . import lines
from .turn import REACT, Move, Turn
from .value import Board, board_for

THRESHOLD = 0.05  # a move must be worth this much (in objective points) to be made
NOISE = 0.08  # seeded jitter between near-equal moves, so that seeds differ
SPACING = (45.0, 120.0)  # real seconds between two initiatives of one bot
PATIENCE = 90.0  # real seconds a bot waits on approvals it could go ahead without
LOYALTY = 0.15  # the benefit of the doubt a request from one's own side gets
DISPOSITION = 0.25  # how far an institution's interests move the scenario's odds
REFUSED = 0.35  # what asking again is worth after each refusal of the same action


def decide(turn: Turn) -> Move | None:
    return orders(turn) or answer(turn) or lines.comment(turn) or go_ahead(turn) or initiative(turn)


def follow_orders(turn: Turn) -> Move | None:
    """The ``script`` policy: its orders, nothing else (an institution otherwise left to the dice)."""
    return orders(turn)


# --------------------------------------------------------------------------- shared


def board(turn: Turn) -> Board:
    """This role's view of the table, kept while the log does not move (one per role)."""
    key = ("board", turn.role)
    found = turn.memo.get(key)
    if found is None or found[0] != turn.state.seq:
        found = turn.memo[key] = (turn.state.seq, board_for(turn.scenario, turn.role, turn.state))
    return found[1]


def _option(action: Action, option_id: str) -> Option | None:
    return next((o for o in action.options if o.id == option_id), None)


def ready_to_answer(turn: Turn, proposal: Proposal, index: int) -> bool:
    approval = proposal.approvals[index]
    if approval.due is not None:  # an institution's own procedure takes its time
        return turn.now >= approval.due
    return turn.now >= proposal.game_time + turn.real(REACT)


def judge(turn: Turn, proposal: Proposal, index: int) -> bool:
    """Grant or refuse by the role's interests (and, for an institution, the scenario's odds)."""
    sc = turn.scenario
    view = board(turn)
    action = sc.action(proposal.action)
    spec = action.approvals[index]
    done = view.value_if_done(action, _option(action, proposal.option), proposal.role)
    refused = view.delta(*view.refused(spec))
    stake = done - refused
    if sc.role(turn.role).institution:
        p = spec.probability.value(turn.state.indicators) if spec.probability is not None else 0.5
        p = min(0.98, max(0.02, p + DISPOSITION * math.tanh(stake)))
        return turn.draw("answer", proposal.id) < p
    loyalty = LOYALTY if sc.side_of(proposal.role) == turn.side else 0.0
    return stake + loyalty + NOISE * (2 * turn.draw("answer", proposal.id) - 1) > 0


# --------------------------------------------------------------------------- the steps


def orders(turn: Turn) -> Move | None:
    given = turn.seat.orders
    if not given:
        return None
    for pid, index in turn.approvals_for_me():
        proposal = turn.state.proposals[pid]
        order = given.get(f"{proposal.action}@{turn.role}")
        key = f"answer:{pid}"
        if order in ("grant", "refuse") and key not in turn.seat.refused and ready_to_answer(turn, proposal, index):
            return Move(c.RespondApproval(proposal=pid, grant=order == "grant"), key)
    sc = turn.scenario
    for action_id, order in given.items():
        if "@" in action_id or order == "never" or action_id not in sc.actions_by_id:
            continue
        action = sc.action(action_id)
        key = f"propose:{action_id}"
        if turn.role not in action.roles or key in turn.seat.refused or turn.check(action):
            continue
        if any(p.action == action_id and p.id > turn.seat.seated for p in _mine(turn)):
            continue  # ordered once: done
        option = order if _option(action, order) is not None else _best_option(turn, action)
        return Move(c.ProposeAction(action=action_id, option=option), key)
    return None


def _mine(turn: Turn) -> list[Proposal]:
    return [p for p in turn.state.proposals.values() if p.role == turn.role]


def _best_option(turn: Turn, action: Action) -> str | None:
    if not action.options:
        return None
    if turn.seat.policy == "script":
        return action.options[0].id
    view = board(turn)
    return max(action.options, key=lambda o: view.value_of_proposing(action, o, turn.role)).id


def answer(turn: Turn) -> Move | None:
    for pid, index in turn.approvals_for_me():
        proposal = turn.state.proposals[pid]
        key = f"answer:{pid}"
        if key in turn.seat.refused or not ready_to_answer(turn, proposal, index):
            continue
        return Move(c.RespondApproval(proposal=pid, grant=judge(turn, proposal, index)), key)
    return None


def go_ahead(turn: Turn) -> Move | None:
    sc = turn.scenario
    for proposal in turn.state.pending_proposals():
        if proposal.role != turn.role or turn.now < proposal.game_time + turn.real(PATIENCE):
            continue
        key = f"decide:{proposal.id}"
        action = sc.action(proposal.action)
        outstanding = [i for i, a in enumerate(proposal.approvals) if a.status == "pending"]
        if key in turn.seat.refused or not outstanding:
            continue
        if any(action.approvals[i].bypass is None for i in outstanding):
            continue
        view = board(turn)
        option = _option(action, proposal.option)
        now_value = view.value_if_done(action, option, turn.role, bypass=True)
        wait_value = view.value_of_proposing(action, option, turn.role)
        if now_value > max(wait_value, 0.0) + THRESHOLD:
            return Move(c.Decide(proposal=proposal.id), key)
    return None


def initiative(turn: Turn) -> Move | None:
    seat = turn.seat
    low, high = SPACING
    if turn.now < seat.last + turn.real(low + (high - low) * turn.draw("spacing")):
        return None
    view = board(turn)
    never = {a for a, order in seat.orders.items() if order == "never"}
    best: tuple[float, Action, Option | None] | None = None
    for candidate in view.view.candidates:
        action, option = candidate.action, candidate.option
        if action.id in never or f"propose:{action.id}" in seat.refused or turn.check(action):
            continue
        value = view.value_of_proposing(action, option, turn.role)
        if not action.once:  # a repeatable action is worth less each time it is taken
            value *= 0.5 ** turn.state.proposed.get(action.id, 0)
        value *= REFUSED ** turn.state.refused.get(action.id, 0)  # asking again after a no: less and less
        if value <= THRESHOLD:
            continue
        score = value + NOISE * (2 * turn.draw("pick", action.id, option.id if option else "") - 1)
        if best is None or score > best[0]:
            best = (score, action, option)
    if best is None:
        return None
    _score, action, option = best
    return Move(c.ProposeAction(action=action.id, option=option.id if option else None), f"propose:{action.id}")
