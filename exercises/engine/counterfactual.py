"""Counterfactual runs: from one point of an exercise, bots play the rest K times, in memory.

    result = counterfactual.run(scenario, log, at_seq=120, seeds=range(1, 21),
                                changes=[parse_change("mx_president_travel_washington@mx_senate=grant", scenario)])

The log is folded up to ``at_seq``; every played role is then given to a bot (the players who
held them are released), a *changed decision* becomes a bot's order (see ``parse_change``),
the clock runs on from that moment (resumed if it was paused, started if the table was still
in the lobby), and the engine plays to the scenario's end, once per seed, without touching a
database. Each seed keeps only a compact record: every indicator at ``points`` moments
spread evenly over the remaining *play* time, which objectives were met at the end, which
rules bit and how often, which key events happened. ``Result`` aggregates them: the median and
the 10–90 % band of every indicator over time, how often each objective was met, how often each
rule bit, how often each key event happened; and, when the real exercise went on past the
fork, its own values at the same moments, to show beside them.

Plain Python, deterministic for the seeds given; ``progress(done, total)`` is called after
each seed, so a background job can report it.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from scenarios.schema import Scenario

from . import commands as c
from .conditions import holds
from .events import Event, EventType
from .rules import run as engine_run
from .state import State, apply, fold

WALL_ZERO = 1_000_000_000.0  # virtual wall clock of every run: runs never read the real one
POLICIES = ("role", "random")
Progress = Callable[[int, int], None]


class ChangeError(ValueError):
    """A changed decision that does not fit the scenario; the message says why."""


@dataclass(frozen=True)
class Change:
    """One changed decision.

    ``ACTION=go`` the role that takes it proposes it at once (its approvals as usual);
    ``ACTION=OPTION`` the same, with this option; ``ACTION=never`` nobody proposes it;
    ``ACTION@ROLE=grant|refuse`` this approver answers so whenever asked (``@*``: every approver).
    """

    action: str
    value: str
    approver: str = ""

    @property
    def text(self) -> str:
        return f"{self.action}@{self.approver}={self.value}" if self.approver else f"{self.action}={self.value}"


def parse_change(text: str, scenario: Scenario) -> Change:
    """``"mx_president_travel_washington@mx_senate=grant"`` → ``Change``; ``ChangeError`` says what is wrong."""
    left, sep, value = text.strip().partition("=")
    if not sep or not left or not value:
        raise ChangeError(f"{text!r}: write ACTION=go|never|OPTION or ACTION@ROLE=grant|refuse")
    action_id, _, approver = left.partition("@")
    action = scenario.actions_by_id.get(action_id)
    if action is None:
        raise ChangeError(f"{text!r}: no action {action_id!r} in {scenario.slug}")
    if approver:
        approvers = [a.by for a in action.approvals]
        if not approvers:
            raise ChangeError(f"{text!r}: {action_id} needs nobody's approval")
        if approver != "*" and approver not in approvers:
            raise ChangeError(f"{text!r}: {action_id} is approved by {', '.join(approvers)}, not {approver!r}")
        if value not in ("grant", "refuse"):
            raise ChangeError(f"{text!r}: an approver answers grant or refuse, not {value!r}")
        return Change(action_id, value, approver)
    options = [o.id for o in action.options]
    if value not in ("go", "never", *options):
        raise ChangeError(f"{text!r}: choose one of {', '.join(['go', 'never', *options])}")
    return Change(action_id, value)


def orders_for(scenario: Scenario, changes: Iterable[Change]) -> dict[str, dict[str, str]]:
    """Each role's bot orders for these changes (``policy.order_problems`` explains the format).

    ``go`` and an option go to the first role that may take the action; ``never`` to every
    one of them; ``@*`` to every approver.
    """
    orders: dict[str, dict[str, str]] = {}
    for change in changes:
        action = scenario.action(change.action)
        if change.approver:
            approvers = [a.by for a in action.approvals] if change.approver == "*" else [change.approver]
            for role in approvers:
                orders.setdefault(role, {})[f"{change.action}@{role}"] = change.value
        else:
            for role in action.roles if change.value == "never" else action.roles[:1]:
                orders.setdefault(role, {})[change.action] = change.value
    return orders


# --------------------------------------------------------------------------- results


@dataclass
class SeedRun:
    """What one seed's run left: compact, so K runs cost K times little."""

    seed: int
    series: dict[str, list[int]]  # indicator → value at each sample
    met: list[str]  # objective ids met at the end
    score: int  # objective points met, all roles
    rules: Counter[str]  # rule → times it bit
    rule_kinds: Counter[tuple[str, str]]  # (rule, kind) → times
    keys: set[str]  # key events that happened at least once
    refusals_by_bot: Counter[str] = field(default_factory=Counter)


@dataclass
class Result:
    scenario: str
    version: int
    at_seq: int
    at_game_time: int
    changes: list[str]
    policy: str
    seeds: list[int]
    times: list[int]  # game time of each sample
    bands: dict[str, dict[str, list[float]]]  # indicator → p10 / p50 / p90 at each sample
    objectives: list[dict[str, Any]]
    rules: list[dict[str, Any]]
    key_events: list[dict[str, Any]]
    actual: dict[str, list[int]] | None  # the real exercise at the same moments, where it got that far
    runs: list[dict[str, Any]]  # per seed: score, final indicators
    max_bot_refusals: int  # the most rule refusals any one bot had in any run
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def percentile(values: list[int], q: float) -> float:
    """Linear interpolation between order statistics (numpy's default)."""
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return round(ordered[low] + (ordered[high] - ordered[low]) * (pos - low), 2)


# --------------------------------------------------------------------------- the clock ahead


def timeline(scenario: Scenario, state: State, points: int) -> list[tuple[float, int]]:
    """``points`` moments (wall offset in real seconds, game time) spread evenly over the play left.

    No one skips ahead in a run, so the clock is known in advance: each phase at its rate.
    """
    phases = scenario.phases
    index = scenario.phase_index[state.phase]
    segments = []  # (game from, game to, rate)
    start = state.game_time
    for n in range(index, len(phases)):
        end = phases[n + 1].start if n + 1 < len(phases) else scenario.clock.end
        if end > start:
            segments.append((start, end, phases[n].rate))
        start = max(start, end)
    total = sum((b - a) / r for a, b, r in segments)
    out = []
    for i in range(points):
        offset = total * i / max(1, points - 1)
        left, game = offset, state.game_time
        for a, b, r in segments:
            span = (b - a) / r
            if left <= span:
                game = a + int(left * r)
                break
            left -= span
            game = b
        out.append((offset, game))
    return out


# --------------------------------------------------------------------------- one run


def _prepare(scenario: Scenario, start: State, seed: int, policy: str, orders: dict[str, dict[str, str]]) -> State:
    """Hand every seat to a bot and get the clock running at ``WALL_ZERO``."""
    state = start.model_copy(deep=True)
    facilitator = c.FACILITATOR

    def do(command: c.Cmd, wall: float) -> None:
        nonlocal state
        events, state = engine_run(scenario, state, facilitator, command, seed=seed, wall=wall)
        rejected = [e for e in events if e.type == EventType.COMMAND_REJECTED]
        if rejected:  # pragma: no cover - the runner's own commands are always allowed
            raise RuntimeError(f"counterfactual set-up refused: {rejected[0].payload}")

    if state.status == "running":  # stop the clock where the log stops, without catching it up
        do(c.Pause(), state.anchor_wall + (state.game_time - state.anchor_game) / _rate(scenario, state))
    for holder in list(state.holders.values()):
        do(c.ReleaseRole(participant=holder), WALL_ZERO)
    for role in list(state.bots):
        do(c.UnseatBot(role=role), WALL_ZERO)
    for seat in scenario.roles:
        if not seat.institution:
            do(c.SeatBot(role=seat.id, policy=policy, orders=orders.get(seat.id, {})), WALL_ZERO)
        elif seat.id in orders:  # an ordered institution: it answers what it is told, the dice the rest
            do(c.SeatBot(role=seat.id, policy="script", orders=orders[seat.id]), WALL_ZERO)
    if state.status == "lobby":
        do(c.Start(), WALL_ZERO)
    elif state.status == "paused":
        do(c.Resume(), WALL_ZERO)
    return state


def _rate(scenario: Scenario, state: State) -> float:
    return scenario.phases[scenario.phase_index[state.phase]].rate


# Rules counted as "bit": a refusal of a command or a proposal, a cost paid, a chance lost.
def _bites(event: Event) -> list[tuple[str, str]]:
    p = event.payload
    match event.type:
        case EventType.COMMAND_REJECTED:
            return [(p.get("rule", ""), "rejected")]
        case EventType.ACTION_REFUSED:
            return [(p.get("rule", ""), "refused")]
        case EventType.INJECT_LOST:
            return [(p.get("rule", ""), "lost")]
        case EventType.CONTRADICTION:
            return [(p.get("rule", ""), EventType.CONTRADICTION)]
        case EventType.PRESSURE_CHECKED if p.get("applied"):
            return [(p.get("rule", ""), "pressure")]
        case EventType.ACTION_EXECUTED:
            out = [(b.get("rule", ""), "bypass") for b in p.get("bypassed", [])]
            chance = p.get("chance")
            if chance and not chance.get("success"):
                out.append((chance.get("rule", ""), "chance_failed"))
            return out
    return []


def _keys(event: Event) -> list[str]:
    p = event.payload
    match event.type:
        case EventType.ACTION_EXECUTED:
            return [f"executed:{p['action']}"] + ([f"executed:{p['action']}={p['option']}"] if p.get("option") else [])
        case EventType.ACTION_REFUSED:
            return [f"refused:{p['action']}"]
        case EventType.INJECT_RELEASED if p.get("inject"):
            return [f"inject:{p['inject']}"]
        case EventType.INJECT_LOST:
            return [f"lost:{p['inject']}"]
        case EventType.CONTRADICTION:
            return [f"contradiction:{p.get('topic', '')}"]
        case EventType.CHANNEL_OPENED:
            return [f"opened:{p['channel']}"]
    return []


def play_one(
    scenario: Scenario,
    start: State,
    seed: int,
    *,
    policy: str,
    orders: dict[str, dict[str, str]],
    moments: list[tuple[float, int]],
) -> SeedRun:
    state = _prepare(scenario, start, seed, policy, orders)
    series: dict[str, list[int]] = {i.id: [] for i in scenario.indicators}
    record = SeedRun(seed, series, [], 0, Counter(), Counter(), set())
    for n, (offset, _game) in enumerate(moments):
        wall = WALL_ZERO + offset + (1.0 if n == len(moments) - 1 else 0.0)  # the last reaches the end
        events, state = engine_run(scenario, state, c.SYSTEM, c.Tick(), seed=seed, wall=wall)
        for event in events:
            for rule, kind in _bites(event):
                if rule:
                    record.rules[rule] += 1
                    record.rule_kinds[(rule, kind)] += 1
            record.keys.update(_keys(event))
            if event.type == EventType.COMMAND_REJECTED and event.actor.startswith(c.BOT_PREFIX):
                record.refusals_by_bot[event.actor] += 1
        for indicator in series:
            series[indicator].append(state.indicators[indicator])
    for role in scenario.roles:
        for objective in role.objectives:
            if holds(objective.done_when, state, scenario):
                record.met.append(objective.id)
                record.score += objective.points
    return record


# --------------------------------------------------------------------------- the whole thing


def _actual(scenario: Scenario, log: list[Event], at_seq: int, times: list[int]) -> dict[str, list[int]] | None:
    """The real exercise's indicators at ``times``, as far as its log goes past the fork."""
    if not log or log[-1].seq <= at_seq:
        return None
    state = fold(scenario, [e for e in log if e.seq <= at_seq])
    rest = [e for e in log if e.seq > at_seq]
    out: dict[str, list[int]] = {i.id: [] for i in scenario.indicators}
    n = 0
    last = log[-1].game_time
    for t in times:
        if t > last:
            break
        while n < len(rest) and rest[n].game_time <= t:
            apply(state, rest[n])
            n += 1
        for indicator in out:
            out[indicator].append(state.indicators[indicator])
    return out


def run(
    scenario: Scenario,
    log: list[Event],
    *,
    at_seq: int,
    seeds: Iterable[int],
    changes: Iterable[Change] = (),
    policy: str = "role",
    points: int = 60,
    progress: Progress | None = None,
) -> Result:
    """Play ``seeds`` runs from event ``at_seq`` of ``log`` to the end; aggregate them (see the module)."""
    begun = time.perf_counter()
    seeds = list(seeds)
    changes = list(changes)
    if policy not in POLICIES:
        raise ValueError(f"policy: one of {', '.join(POLICIES)}")
    if not seeds:
        raise ValueError("seeds: give at least one")
    if not 1 <= at_seq <= (log[-1].seq if log else 0):
        raise ValueError(f"at: choose an event from 1 to {log[-1].seq if log else 0}")
    start = fold(scenario, [e for e in log if e.seq <= at_seq])
    if start.status == "ended":
        raise ValueError(f"the exercise had ended at event {at_seq}: choose an earlier one")
    if start.game_time >= scenario.clock.end:
        raise ValueError(f"the scenario clock had run out at event {at_seq}: choose an earlier one")
    orders = orders_for(scenario, changes)
    moments = timeline(scenario, start, max(2, points))
    runs: list[SeedRun] = []
    for done, seed in enumerate(seeds, start=1):
        runs.append(play_one(scenario, start, seed, policy=policy, orders=orders, moments=moments))
        if progress is not None:
            progress(done, len(seeds))
    return _aggregate(scenario, log, start, at_seq, changes, policy, moments, runs, begun)


def _aggregate(
    scenario: Scenario,
    log: list[Event],
    start: State,
    at_seq: int,
    changes: list[Change],
    policy: str,
    moments: list[tuple[float, int]],
    runs: list[SeedRun],
    begun: float,
) -> Result:
    k = len(runs)
    times = [game for _offset, game in moments]
    bands: dict[str, dict[str, list[float]]] = {}
    for indicator in scenario.indicators:
        columns = list(zip(*(r.series[indicator.id] for r in runs), strict=True))
        bands[indicator.id] = {
            "p10": [percentile(list(col), 0.1) for col in columns],
            "p50": [percentile(list(col), 0.5) for col in columns],
            "p90": [percentile(list(col), 0.9) for col in columns],
        }
    final = fold(scenario, log) if log and log[-1].seq > at_seq else None
    objectives = []
    for role in scenario.roles:
        for objective in role.objectives:
            objectives.append(
                {
                    "role": role.id,
                    "objective": objective.id,
                    "text": objective.text.model_dump(),
                    "points": objective.points,
                    "rate": round(sum(objective.id in r.met for r in runs) / k, 3),
                    "actual": holds(objective.done_when, final, scenario) if final is not None else None,
                }
            )
    rules: list[dict[str, Any]] = []
    for rule in sorted({rule for r in runs for rule in r.rules}):
        kinds: Counter[str] = Counter()
        for r in runs:
            for (name, kind), n in r.rule_kinds.items():
                if name == rule:
                    kinds[kind] += n
        rules.append(
            {
                "rule": rule,
                "runs": round(sum(rule in r.rules for r in runs) / k, 3),
                "mean": round(sum(r.rules[rule] for r in runs) / k, 2),
                "kinds": dict(sorted(kinds.items())),
            }
        )
    rules.sort(key=lambda row: (-row["runs"], -row["mean"], row["rule"]))
    seen: Counter[str] = Counter(key for r in runs for key in r.keys)
    key_events = [
        {"key": key, **_describe(scenario, key), "rate": round(n / k, 3)}
        for key, n in sorted(seen.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    return Result(
        scenario=scenario.slug,
        version=scenario.version,
        at_seq=at_seq,
        at_game_time=start.game_time,
        changes=[ch.text for ch in changes],
        policy=policy,
        seeds=[r.seed for r in runs],
        times=times,
        bands=bands,
        objectives=objectives,
        rules=rules,
        key_events=key_events,
        actual=_actual(scenario, log, at_seq, times),
        runs=[{"seed": r.seed, "score": r.score, "final": {i: s[-1] for i, s in r.series.items()}} for r in runs],
        max_bot_refusals=max((n for r in runs for n in r.refusals_by_bot.values()), default=0),
        seconds=round(time.perf_counter() - begun, 3),
    )


def _describe(scenario: Scenario, key: str) -> dict[str, Any]:
    """A key event's kind, id and title in both languages (for the JSON and the pages)."""
    kind, _, rest = key.partition(":")
    ident, _, option = rest.partition("=")
    title: dict[str, str] = {"en": ident, "es": ident}
    if kind in ("executed", "refused") and ident in scenario.actions_by_id:
        action = scenario.action(ident)
        title = action.title.model_dump()
        chosen = next((o for o in action.options if o.id == option), None)
        if chosen is not None:
            title = {lang: f"{title[lang]} — {chosen.label.get(lang)}" for lang in ("en", "es")}
    elif kind in ("inject", "lost") and ident in scenario.injects_by_id:
        title = scenario.inject(ident).title.model_dump()
    elif kind == "opened" and ident in scenario.channels_by_id:
        title = scenario.channel(ident).name.model_dump()
    elif kind == EventType.CONTRADICTION:
        topic = next((t for t in scenario.consistency.topics if t.id == ident), None)
        if topic is not None:
            title = topic.label.model_dump()
    return {"kind": kind, "id": ident, "option": option, "title": title}
