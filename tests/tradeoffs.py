"""What each action and option does, for the trade-off check (``tests/test_tradeoffs.py``).

Two views of the same question, "what does choosing this cost and gain?":

* **Static**: the outcome written in the file, followed through everything it sets off.
  An option's *gain* is its outcome (and the action's), the injects it triggers (and theirs,
  transitively), and every condition that names it: an inject trigger, a pressure or an
  objective that tests this action, this option, this statement stance, a channel it opens
  or an inject it releases. A reference under ``not`` counts the other way round (saying
  something that stops the silence pressure is a gain). Its *risk* is what may happen
  instead: a refusal's ``on_refused``, a chance's failure, going ahead without an approval
  (``bypass``), a leak, and for a public statement the contradiction penalty (R3).
* **Played**: bots play the scenario in memory (``engine.run``, no database), with the
  policy of ``exercises/bots.py``; every indicator change that follows an executed action
  in the same command (pressures excepted) and every objective it flips is recorded.

Dimensions are ``ind:<indicator>`` and ``obj:<role>.<objective>``: an objective is one
player's stake, so two options that serve different players are not comparable.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from exercises import engine
from exercises.engine import commands as c
from exercises.engine.conditions import holds
from scenarios.schema import Action, Condition, Option, Outcome, Scenario

Vector = dict[str, float]
Key = tuple[str, str]  # (action id, option id or "")


def add(into: Vector, other: Vector, sign: float = 1.0) -> None:
    for k, v in other.items():
        into[k] = into.get(k, 0.0) + sign * v


def negatives(v: Vector) -> list[str]:
    return sorted(k for k, x in v.items() if x < 0)


# --------------------------------------------------------------------------- static


@dataclass
class Subject:
    action: Action
    option: Option | None
    side: str
    opens: set[str] = field(default_factory=set)
    closes: set[str] = field(default_factory=set)
    triggers: set[str] = field(default_factory=set)

    @property
    def key(self) -> Key:
        return (self.action.id, self.option.id if self.option else "")


def closure(outcome: Outcome, sc: Scenario, subject: Subject | None = None, seen: set[str] | None = None) -> Vector:
    """An outcome's effects plus those of every inject it releases, transitively (each once)."""
    seen = set() if seen is None else seen
    out: Vector = {}
    for effect in outcome.effects:
        out[f"ind:{effect.indicator}"] = out.get(f"ind:{effect.indicator}", 0.0) + effect.delta
    if subject is not None:
        subject.opens.update(outcome.opens)
        subject.closes.update(outcome.closes)
    for inject_id in outcome.triggers:
        if inject_id in seen:
            continue
        seen.add(inject_id)
        if subject is not None:
            subject.triggers.add(inject_id)
        add(out, closure(sc.inject(inject_id).outcome, sc, subject, seen))
    return out


def atoms(cond: Condition, polarity: int = 1) -> Iterator[tuple[Condition, int]]:
    if cond.all_ is not None or cond.any_ is not None:
        for child in cond.all_ or cond.any_ or []:
            yield from atoms(child, polarity)
    elif cond.not_ is not None:
        yield from atoms(cond.not_, -polarity)
    else:
        yield cond, polarity


def matches(atom: Condition, s: Subject) -> int:
    """+1 if choosing the subject makes the atom true, -1 if it makes it false, 0 if unrelated."""
    if atom.action is not None:
        if atom.action != s.action.id or atom.outcome == "refused":
            return 0
        if atom.option is not None:
            return 1 if s.option is not None and atom.option == s.option.id else 0
        return 1
    if atom.statement is not None:
        if s.action.statement != atom.statement or (atom.by_side and atom.by_side != s.side):
            return 0
        stance = s.option.stance if s.option else None
        return 1 if atom.stance is None or atom.stance == stance else 0
    if atom.channel_open is not None:
        return 1 if atom.channel_open in s.opens else -1 if atom.channel_open in s.closes else 0
    if atom.inject is not None:
        return 1 if atom.inject in s.triggers else 0
    return 0


def references(sc: Scenario, s: Subject) -> Vector:
    """What the conditions of the file that name this subject add or take away."""
    out: Vector = {}

    def sign(cond: Condition) -> int:
        for atom, polarity in atoms(cond):
            hit = matches(atom, s)
            if hit:
                return hit * polarity
        return 0

    for inject in sc.injects:
        if inject.trigger is not None and inject.id not in s.triggers and (k := sign(inject.trigger)):
            add(out, closure(inject.outcome, sc), k)
    for pressure in sc.pressures:
        if k := sign(pressure.when):
            add(out, closure(pressure.outcome, sc), k)
    for role in sc.roles:
        for objective in role.objectives:
            if k := sign(objective.done_when):
                out[f"obj:{role.id}.{objective.id}"] = (
                    out.get(f"obj:{role.id}.{objective.id}", 0.0) + k * objective.points
                )
    return out


@dataclass
class Profile:
    key: Key
    gain: Vector  # what choosing it does for sure (its outcome, what that sets off, what it names)
    risk: Vector  # what may happen instead or as well (refusal, failure, bypass, leak, contradiction)


def profile(sc: Scenario, action: Action, option: Option | None) -> Profile:
    s = Subject(action, option, sc.side_of(action.roles[0]))
    gain: Vector = {}
    add(gain, closure(action.outcome, sc, s))
    if option is not None:
        add(gain, closure(option.outcome, sc, s))
    if action.chance is not None:
        add(gain, closure(action.chance.success, sc, s))
    add(gain, references(sc, s))
    risk: Vector = {}
    for approval in action.approvals:
        add(risk, closure(approval.on_refused, sc))
        if approval.bypass is not None:
            add(risk, closure(approval.bypass.outcome, sc))
    if action.chance is not None:
        add(risk, closure(action.chance.failure, sc))
    if action.leak is not None:
        add(risk, closure(sc.inject(action.leak.inject).outcome, sc))
    if action.statement:
        add(risk, closure(sc.consistency.on_contradiction, sc))
    return Profile((action.id, option.id if option else ""), gain, risk)


def profiles(sc: Scenario) -> dict[Key, Profile]:
    out = {}
    for action in sc.actions:
        if action.forbidden is not None:
            continue  # shown but never possible (R9): not a choice
        no_options: list[Option | None] = [None]  # an action without options is one choice
        for option in action.options or no_options:
            p = profile(sc, action, option)
            out[p.key] = p
    return out


def dominated(a: Vector, b: Vector) -> bool:
    """True when ``b`` is at least as good as ``a`` everywhere and better somewhere."""
    keys = set(a) | set(b)
    return all(b.get(k, 0) >= a.get(k, 0) for k in keys) and any(b.get(k, 0) > a.get(k, 0) for k in keys)


# --------------------------------------------------------------------------- played


@dataclass
class Observed:
    times: int = 0
    worst: Vector = field(default_factory=dict)  # most negative change seen per dimension

    def note(self, dim: str, delta: float) -> None:
        if delta < self.worst.get(dim, 0):
            self.worst[dim] = delta


class InMemoryTable:
    """Bots with the policy of ``exercises/bots.py``, on ``engine.run`` alone (no database)."""

    def __init__(self, sc: Scenario, seed: int, *, step: float = 120.0, activity: float = 0.25) -> None:
        self.sc, self.seed, self.step, self.activity = sc, seed, step, activity
        self.state = engine.initial_state(sc)
        self.wall = 1_000_000_000.0
        self.bots: list[tuple[engine.Actor, str]] = []
        self.seen: dict[Key, Observed] = defaultdict(Observed)
        self.objectives = [(r.id, o) for r in sc.roles for o in r.objectives]

    def rng(self, *parts: object) -> random.Random:
        return random.Random(":".join(str(p) for p in (self.seed, "bot", *parts)))

    def do(self, actor: engine.Actor, cmd: c.Cmd) -> None:
        before = self.met()
        events, self.state = engine.run(self.sc, self.state, actor, cmd, seed=self.seed, wall=self.wall)
        executed = [(e.payload["action"], e.payload.get("option") or "") for e in events if e.type == "action_executed"]
        if not executed:
            return
        current: Key | None = None
        for event in events:
            if event.type == "action_executed":
                current = (event.payload["action"], event.payload.get("option") or "")
                self.seen[current].times += 1
            elif event.type == "indicator_changed" and current and "pressure" not in event.payload.get("cause", {}):
                self.seen[current].note(f"ind:{event.payload['indicator']}", event.payload["delta"])
        if len(set(executed)) == 1:  # an objective lost in this command is this action's doing
            after = self.met()
            for name, was in before.items():
                if was and not after[name]:
                    self.seen[executed[0]].note(f"obj:{name}", -1)

    def met(self) -> dict[str, bool]:
        return {f"{r}.{o.id}": holds(o.done_when, self.state, self.sc) for r, o in self.objectives}

    def run(self) -> dict[Key, Observed]:
        playable = sorted((r for r in self.sc.roles if not r.institution), key=lambda r: (r.fill_order, r.id))
        for n, role in enumerate(playable):
            actor = engine.Actor(kind="participant", participant=f"bot{n}")
            self.do(actor, c.Join(name=f"Bot {n}"))
            self.do(actor, c.ClaimRole(role=role.id))
            self.bots.append((actor, role.id))
        self.do(engine.FACILITATOR, c.Start())
        for step in range(10_000):
            self.wall += self.step
            self.do(engine.SYSTEM, c.Tick())
            if self.state.status != "running":
                break
            for actor, role_id in self.bots:
                self.act(actor, role_id, step)
            self.facilitate(step)
        return dict(self.seen)

    def act(self, actor: engine.Actor, role: str, step: int) -> None:
        rng = self.rng(role, step)
        state = self.state
        for proposal in state.pending_proposals():
            for approval in proposal.approvals:
                if approval.approver == role and approval.status == "pending":
                    self.do(actor, c.RespondApproval(proposal=proposal.id, grant=rng.random() < 0.7))
                    return
        for proposal in state.pending_proposals():
            if proposal.role == role and rng.random() < 0.15:
                self.do(actor, c.Decide(proposal=proposal.id))
                return
        if rng.random() < self.activity:
            views = engine.action_views(self.sc, state, role, now=state.game_time)
            available = [v for v in views if v.available]
            blocked = [
                v
                for v in views
                if not v.available and any(k.blocking and k.rule.startswith("R") for k in v.constraints)
            ]
            pool = blocked if (blocked and rng.random() < 0.15) or not available else available
            if not pool:
                return
            view = rng.choice(pool)
            option = rng.choice(view.action.options).id if view.action.options else None
            self.do(actor, c.ProposeAction(action=view.action.id, option=option, rationale="bot"))

    def facilitate(self, step: int) -> None:
        """Answer for played roles nobody holds (none here: every role has a bot), as bots.py does."""
        rng = self.rng("facilitator", step)
        for proposal in self.state.pending_proposals():
            for approval in proposal.approvals:
                unheld = approval.approver not in self.state.holders
                if approval.status == "pending" and unheld and not self.sc.role(approval.approver).institution:
                    self.do(
                        engine.FACILITATOR,
                        c.RespondApproval(proposal=proposal.id, grant=rng.random() < 0.6, as_role=approval.approver),
                    )
                    return
