"""What a role wants, and how much a move would serve it: a one-step look ahead.

A role's **utility** of a state is the sum, over its own objectives (full points) and its
teammates' (``TEAM`` of theirs), of how nearly each holds:

- an objective that holds counts fully; an indicator objective counts *softly* (a logistic
  curve ``SOFT`` points wide around its threshold), so moving trust from 63 to 66 is worth
  more than from 90 to 93, and a margin above the line is still worth a little;
- an action or statement objective not met yet counts ``POTENTIAL`` times the chance it
  still can be: its requirements (softly) times its approvals' odds, which the scenario
  gives (an institution's probability and its indicator modifiers). So lobbying the Senate
  is worth something to the President because it raises the odds of the vote on his trip,
  and ordering the army is worth something to Defence because it unlocks a plan.

A **move's value** is the expected change of utility when its consequences are applied to a
light copy of the state (``Shadow``): the action's and option's outcomes, the chance's two
branches by their probability, triggered injects' outcomes, a contradiction's cost, each
approval's odds (with the refusal's cost), going ahead without approval when every
approval may be bypassed — and the recurring pressures (R14 silence…) that the move
switches off or on, counted for ``HORIZON`` periods.

A bot reads only what its player could: an indicator its role may not see counts at the
scenario's start value (``Outlook.hidden``).

Plain Python, no randomness: the caller adds its seeded noise.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cachetools import LRUCache

from scenarios.schema import ALL, Action, Approval, Condition, Option, Outcome, Pressure, Scenario

from ..conditions import holds
from ..state import State

TEAM = 0.3  # a teammate's objective, against one's own
POTENTIAL = 0.3  # an unmet action objective, times the chance it still can be met
SOFT = 5.0  # indicator points over which an indicator objective goes from unlikely to likely
HORIZON = 3  # periods of a recurring pressure a move is credited with switching off
SAME_SIDE = 0.65  # odds a played approver of one's own side says yes (one cannot read minds)
OTHER_SIDE = 0.45


@dataclass(frozen=True)
class Goal:
    cond: Condition
    weight: float
    keys: frozenset[str]


class Shadow:
    """The parts of ``State`` that conditions read, copied so a move can be tried on it."""

    __slots__ = (
        "indicators",
        "executed",
        "refused",
        "proposed",
        "chosen",
        "released",
        "lost",
        "phase",
        "channels",
        "statements",
        "game_time",
    )

    def __init__(self, state: Any, *, copy: bool = False) -> None:
        if copy:
            self.indicators = dict(state.indicators)
            self.executed = dict(state.executed)
            self.proposed = dict(state.proposed)
            self.chosen = {k: list(v) for k, v in state.chosen.items()}
            self.released = dict(state.released)
            self.channels = dict(state.channels)
            self.statements = {
                side: {t: list(s) for t, s in topics.items()} for side, topics in state.statements.items()
            }
            self.refused = dict(state.refused)
            self.lost = list(state.lost)
        else:
            self.indicators = state.indicators
            self.executed = state.executed
            self.proposed = state.proposed
            self.chosen = state.chosen
            self.released = state.released
            self.channels = state.channels
            self.statements = state.statements
            self.refused = state.refused
            self.lost = state.lost
        self.phase = state.phase
        self.game_time = state.game_time


# --------------------------------------------------------------------------- dependencies


def keys_of(sc: Scenario, cond: Condition, depth: int = 0) -> frozenset[str]:
    """What a condition's (soft) value can depend on: ``i:<indicator>``, ``a:<action>``, ``s:<topic>``…"""
    keys: set[str] = set()
    if cond.indicator is not None:
        keys.add(f"i:{cond.indicator}")
    elif cond.action is not None:
        keys.add(f"a:{cond.action}")
        if depth < 2 and cond.action in sc.actions_by_id:
            keys |= _action_keys(sc, sc.action(cond.action), depth + 1)
    elif cond.statement is not None:
        keys.add(f"s:{cond.statement}")
        if depth < 2:
            for action in sc.actions:
                if action.statement == cond.statement:
                    keys |= _action_keys(sc, action, depth + 1)
    elif cond.inject is not None:
        keys.add(f"j:{cond.inject}")
    elif cond.channel_open is not None:
        keys.add(f"c:{cond.channel_open}")
    elif cond.phase is not None or cond.after is not None:
        keys.add("time")
    for child in [*(cond.all_ or []), *(cond.any_ or []), *([cond.not_] if cond.not_ else [])]:
        keys |= keys_of(sc, child, depth)
    return frozenset(keys)


def _action_keys(sc: Scenario, action: Action, depth: int) -> set[str]:
    keys: set[str] = {"time"}
    for requirement in action.requires:
        keys |= keys_of(sc, requirement.when, depth)
    for approval in action.approvals:
        if approval.probability is not None:
            keys |= {f"i:{m.indicator}" for m in approval.probability.modifiers}
    return keys


# --------------------------------------------------------------------------- soft truth


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _soft_indicator(cond: Condition, s: Any) -> float:
    """How nearly an indicator comparison holds: a sigmoid around the threshold."""
    x, v = s.indicators.get(cond.indicator, 0), cond.value or 0
    match cond.op:
        case "ge":
            return _sigmoid((x - v + 0.5) / SOFT)
        case "gt":
            return _sigmoid((x - v - 0.5) / SOFT)
        case "le":
            return _sigmoid((v - x + 0.5) / SOFT)
        case "lt":
            return _sigmoid((v - x - 0.5) / SOFT)
        case "eq":
            return math.exp(-abs(x - v) / SOFT)
        case _:
            return 1.0 - math.exp(-abs(x - v) / SOFT)


def _best_statement_chance(sc: Scenario, cond: Condition, s: Any, now: int, depth: int) -> float:
    """The best chance any action making the statement the condition asks for (side, stance) has."""
    best = 0.0
    for action in sc.actions:
        if action.statement != cond.statement:
            continue
        side = sc.side_of(action.roles[0])
        if cond.by_side is not None and side != cond.by_side:
            continue
        if cond.stance is not None and not any(o.stance == cond.stance for o in action.options):
            continue
        best = max(best, chance(sc, action, s, now, depth + 1, side=side))
    return best


def soft(sc: Scenario, cond: Condition, s: Any, now: int, depth: int = 0) -> float:
    """How nearly ``cond`` holds in ``s``, in [0, 1] (see the module's docstring)."""
    if cond.indicator is not None:
        return _soft_indicator(cond, s)
    if cond.all_ is not None:
        out = 1.0
        for child in cond.all_:
            out *= soft(sc, child, s, now, depth)
        return out
    if cond.any_ is not None:
        miss = 1.0
        for child in cond.any_:
            miss *= 1.0 - soft(sc, child, s, now, depth)
        return 1.0 - miss
    if cond.not_ is not None:
        return 1.0 - soft(sc, cond.not_, s, now, depth)
    if holds(cond, s, sc, now):
        return 1.0
    if depth >= 2:
        return 0.0
    if cond.action is not None and cond.outcome == "executed" and cond.action in sc.actions_by_id:
        action = sc.action(cond.action)
        return POTENTIAL * chance(sc, action, s, now, depth + 1, side=sc.side_of(action.roles[0]))
    if cond.statement is not None:
        return POTENTIAL * _best_statement_chance(sc, cond, s, now, depth)
    return 0.0


def approval_odds(sc: Scenario, approval: Approval, indicators: dict[str, int], side: str) -> float:
    """The chance ``approval`` is given: the scenario's model for an institution, a guess for a person."""
    if sc.role(approval.by).institution:
        return approval.probability.value(indicators) if approval.probability is not None else 0.5
    return SAME_SIDE if sc.side_of(approval.by) == side else OTHER_SIDE


def chance(sc: Scenario, action: Action, s: Any, now: int, depth: int, *, side: str) -> float:
    """The chance ``action`` can still be carried out: requirements (softly) times approvals."""
    if action.forbidden is not None:
        return 0.0
    if action.phases:
        current = sc.phase_index.get(s.phase, 0)
        if all(sc.phase_index[p] < current for p in action.phases):
            return 0.0
    p = 1.0
    for requirement in action.requires:
        p *= soft(sc, requirement.when, s, now, depth)
    for approval in action.approvals:
        p *= approval_odds(sc, approval, s.indicators, side)
    return p


# --------------------------------------------------------------------------- a role's outlook


@dataclass(frozen=True)
class Candidate:
    action: Action
    option: Option | None


class Outlook:
    """A role's goals (its objectives and, at ``TEAM``, its side's) and the moves it has."""

    def __init__(self, sc: Scenario, role: str) -> None:
        self.sc = sc
        self.role = role
        self.side = sc.side_of(role)
        goals = []
        for other in sc.roles:
            if other.side != self.side:
                continue
            weight = 1.0 if other.id == role else TEAM
            for objective in other.objectives:
                goals.append(Goal(objective.done_when, weight * objective.points, keys_of(sc, objective.done_when)))
        self.goals = tuple(goals)
        self.candidates = tuple(
            Candidate(a, o)
            for a in sc.actions
            if role in a.roles and a.forbidden is None
            for o in (a.options or [None])  # type: ignore[list-item]
        )
        self.pressures = tuple((p, keys_of(sc, p.when)) for p in sc.pressures)
        # What its player could not see, a bot does not see either: it assumes the scenario's start.
        self.hidden = {
            i.id: i.start for i in sc.indicators if ALL not in i.visible_to and role not in sc.roles_of(i.visible_to)
        }

    def utility(self, s: Any, now: int, goals: Iterable[Goal] | None = None) -> float:
        return sum(g.weight * soft(self.sc, g.cond, s, now) for g in (self.goals if goals is None else goals))


_outlooks: dict[tuple[int, str], tuple[Scenario, Outlook]] = {}


def outlook(sc: Scenario, role: str) -> Outlook:
    """One ``Outlook`` per loaded scenario and role (the scenario is frozen, so it never goes stale)."""
    key = (id(sc), role)
    found = _outlooks.get(key)
    if found is None or found[0] is not sc:
        if len(_outlooks) > 256:
            _outlooks.clear()
        found = _outlooks[key] = (sc, Outlook(sc, role))
    return found[1]


# --------------------------------------------------------------------------- trying a move


class Board:
    """One role's view of one state: the utility now, and the change a set of consequences makes.

    Only goals and pressures whose keys a move touches are evaluated again, so scoring a
    dozen moves costs a few dozen condition evaluations, not a few hundred.
    """

    def __init__(self, view: Outlook, state: State) -> None:
        self.view = view
        self.sc = view.sc
        # Time, for ``after`` conditions, as of the phase's start: the board is then a function
        # of ``fingerprint(state)`` alone and can be shared by every state with that print.
        self.now = self.sc.phases[self.sc.phase_index[state.phase]].start
        self.base = Shadow(state, copy=True)
        self.base.game_time = self.now
        self.base.indicators.update(view.hidden)
        self._goal_now: dict[int, float] = {}
        self._pressure_now: dict[str, bool] = {}
        self._pressure_cost: dict[str, float] = {}
        self._proposing: dict[tuple[str, str], float] = {}

    def goal_now(self, n: int) -> float:
        if n not in self._goal_now:
            self._goal_now[n] = soft(self.sc, self.view.goals[n].cond, self.base, self.now)
        return self._goal_now[n]

    def pressure_applies(self, pressure: Pressure) -> bool:
        if pressure.id not in self._pressure_now:
            self._pressure_now[pressure.id] = holds(pressure.when, self.base, self.sc, self.now)  # type: ignore[arg-type]  # Shadow duck-types State
        return self._pressure_now[pressure.id]

    def pressure_cost(self, pressure: Pressure) -> float:
        """What one more period of ``pressure`` costs this role now (negative: a loss)."""
        if pressure.id not in self._pressure_cost:
            after = Shadow(self.base, copy=True)
            touched = _apply_effects(self.sc, after, pressure.outcome)
            self._pressure_cost[pressure.id] = self._goals_delta(after, touched)
        return self._pressure_cost[pressure.id]

    def _goals_delta(self, after: Shadow, touched: set[str]) -> float:
        total = 0.0
        for n, goal in enumerate(self.view.goals):
            if goal.keys & touched:
                total += goal.weight * (soft(self.sc, goal.cond, after, self.now) - self.goal_now(n))
        return total

    def delta(self, after: Shadow, touched: set[str]) -> float:
        """Utility of ``after`` minus utility now, pressures over the horizon included."""
        total = self._goals_delta(after, touched)
        for pressure, keys in self.view.pressures:
            if not keys & touched:
                continue
            before = self.pressure_applies(pressure)
            later = holds(pressure.when, after, self.sc, self.now)  # type: ignore[arg-type]  # Shadow duck-types State
            if before != later:
                total += (int(later) - int(before)) * HORIZON * self.pressure_cost(pressure)
        return total

    # ------------------------------------------------------------------ consequences
    def executed(
        self, action: Action, option: Option | None, role: str, *, branch: Outcome | None, bypass: bool = False
    ) -> tuple[Shadow, set[str]]:
        """The state after ``action`` (with ``option``) is carried out, one chance branch taken."""
        sc = self.sc
        after = Shadow(self.base, copy=True)
        touched = {f"a:{action.id}"}
        after.executed[action.id] = after.executed.get(action.id, 0) + 1
        after.proposed[action.id] = after.proposed.get(action.id, 0) + 1
        if option is not None:
            after.chosen.setdefault(action.id, []).append(option.id)
        outcomes = [action.outcome, *([option.outcome] if option is not None else [])]
        if bypass:
            outcomes += [a.bypass.outcome for a in action.approvals if a.bypass is not None]
        if branch is not None:
            outcomes.append(branch)
        if action.statement:
            side = sc.side_of(role)
            stance = (option.stance if option is not None and option.stance else option.id if option else "") or ""
            said = after.statements.setdefault(side, {}).setdefault(action.statement, [])
            if any(previous != stance for previous in said):
                outcomes.append(sc.consistency.on_contradiction)
            said.append(stance)
            touched.add(f"s:{action.statement}")
        for outcome in outcomes:
            touched |= _apply_effects(sc, after, outcome)
        return after, touched

    def refused(self, approval: Approval) -> tuple[Shadow, set[str]]:
        after = Shadow(self.base, copy=True)
        touched = _apply_effects(self.sc, after, approval.on_refused)
        return after, touched

    def value_if_done(self, action: Action, option: Option | None, role: str, *, bypass: bool = False) -> float:
        """The expected change if the action is carried out (the chance's branches weighed)."""
        if action.chance is None:
            return self.delta(*self.executed(action, option, role, branch=None, bypass=bypass))
        p = action.chance.probability.value(self.base.indicators)
        won = self.delta(*self.executed(action, option, role, branch=action.chance.success, bypass=bypass))
        lost = self.delta(*self.executed(action, option, role, branch=action.chance.failure, bypass=bypass))
        return p * won + (1 - p) * lost

    def value_of_proposing(self, action: Action, option: Option | None, role: str) -> float:
        """The expected change of proposing: carried out with the approvals' odds, else refused."""
        key = (action.id, option.id if option is not None else "")
        if key not in self._proposing:
            self._proposing[key] = self._value_of_proposing(action, option, role)
        return self._proposing[key]

    def _value_of_proposing(self, action: Action, option: Option | None, role: str) -> float:
        done = self.value_if_done(action, option, role)
        if not action.approvals:
            return done
        side = self.sc.side_of(role)
        odds = [approval_odds(self.sc, a, self.base.indicators, side) for a in action.approvals]
        p = math.prod(odds)
        weakest = action.approvals[min(range(len(odds)), key=odds.__getitem__)]
        value = p * done + (1 - p) * self.delta(*self.refused(weakest))
        if all(a.bypass is not None for a in action.approvals):
            value = max(value, self.value_if_done(action, option, role, bypass=True))
        return value


def fingerprint(state: State) -> tuple[Any, ...]:
    """Everything a ``Board`` reads of a state: two states with one print score every move alike."""
    return (
        state.phase,
        tuple(state.indicators.values()),
        tuple(state.executed.items()),
        tuple(state.proposed.items()),
        tuple(state.refused.items()),
        tuple((k, tuple(v)) for k, v in state.chosen.items()),
        len(state.released),
        len(state.lost),
        tuple(state.channels.values()),
        tuple((side, t, tuple(said)) for side, topics in state.statements.items() for t, said in topics.items()),
    )


BOARDS_KEPT = 1024  # a few MB at most, whatever the number of runs
_boards: LRUCache[tuple[Any, ...], tuple[Scenario, Board]] = LRUCache(maxsize=BOARDS_KEPT)
_boards_lock = threading.Lock()  # ticks, bot threads and counterfactual jobs share it (cachetools is not thread-safe)


def board_for(sc: Scenario, role: str, state: State) -> Board:
    """The role's board for this state, shared across engine runs, workers' ticks and seeds.

    The key holds ``id(sc)``; the entry keeps ``sc`` itself, so a reused id is a miss."""
    key = (id(sc), role, fingerprint(state))
    with _boards_lock:
        found = _boards.get(key)  # a hit is the most recent again
    if found is not None and found[0] is sc:
        return found[1]
    made = Board(outlook(sc, role), state)  # outside the lock: two threads may build one board twice
    with _boards_lock:
        _boards[key] = (sc, made)
    return made


def _apply_effects(sc: Scenario, s: Shadow, outcome: Outcome, depth: int = 0) -> set[str]:
    """Apply an outcome's effects, channels and (one level of) triggered injects to ``s``."""
    touched: set[str] = set()
    for effect in outcome.effects:
        spec = sc.indicator(effect.indicator)
        old = s.indicators.get(effect.indicator, spec.start)
        s.indicators[effect.indicator] = max(spec.min, min(spec.max, old + effect.delta))
        touched.add(f"i:{effect.indicator}")
    for channel in outcome.opens:
        s.channels[channel] = True
        touched.add(f"c:{channel}")
    for channel in outcome.closes:
        s.channels[channel] = False
        touched.add(f"c:{channel}")
    for inject_id in outcome.triggers:
        if inject_id in s.released:
            continue
        s.released[inject_id] = -1
        touched.add(f"j:{inject_id}")
        if depth < 1:
            touched |= _apply_effects(sc, s, sc.inject(inject_id).outcome, depth + 1)
    return touched
