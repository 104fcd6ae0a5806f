"""Simulated exercises, through the services, with a virtual wall clock.

Two ways to fill the table:

- ``policy="random"`` (``Simulation``): random players who join as participants, claim roles
  and act through ``services.execute`` exactly as a browser does — busy and careless, for tests;
- ``policy="role"`` (``SeatSimulation``): the facilitator seats a role-policy bot in each role
  (``engine.policy``), and the clock, ticked as a worker's ticker ticks it, wakes them.

The simulation moves ``wall`` forward in fixed steps, so a whole 90-minute exercise plays in
seconds and the same seed gives the same log.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from exercises.engine.events import EventType
from scenarios.library import scenario_for
from scenarios.models import ScenarioVersion
from scenarios.schema import Scenario

from . import engine, selectors, services
from .engine import commands as c
from .models import Exercise

WALL_ZERO = 1_000_000_000.0  # virtual epoch of every simulation

RATIONALES = [
    "Our mandate requires it.",
    "The public expects a clear answer.",
    "We cannot wait for Washington.",
    "This protects the border economy.",
    "It keeps the cabinet together.",
    "Sovereignty first.",
]
MESSAGES = [
    "What is our line on this?",
    "We need a decision within the hour.",
    "I disagree; the Constitution is clear.",
    "Washington is asking for details.",
    "Can we coordinate before the press conference?",
    "Noted. We will brief the president.",
]


@dataclass
class Bot:
    actor: engine.Actor
    role: str


@dataclass
class Summary:
    exercise: Exercise
    events: int = 0
    decisions: int = 0
    refused: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    indicators: dict[str, int] = field(default_factory=dict)


class Simulation:
    def __init__(
        self,
        version: ScenarioVersion,
        *,
        seed: int,
        players: int | None = None,
        step: float = 60.0,
        activity: float = 0.25,
    ) -> None:
        self.version = version
        self.scenario: Scenario = scenario_for(version)
        self.seed = seed
        self.players = players
        self.step = step
        self.activity = activity
        self.wall = WALL_ZERO
        self.bots: list[Bot] = []

    def rng(self, *parts: object) -> random.Random:
        return random.Random(":".join(str(p) for p in (self.seed, "bot", *parts)))

    def do(self, actor: engine.Actor, command: c.Cmd) -> services.Result:
        return services.execute(exercise_id=self.exercise.pk, actor=actor, command=command, now=self.wall)

    def state(self) -> engine.State:
        self.exercise.refresh_from_db(fields=["state", "status", "last_seq"])
        return selectors.state_of(self.exercise)

    # ------------------------------------------------------------------ the run
    def run(self) -> Summary:
        self.exercise = services.create_exercise(
            scenario=self.version, seed=self.seed, title=f"Simulation · {self.scenario.slug} · seed {self.seed}"
        )
        playable = sorted((r for r in self.scenario.roles if not r.institution), key=lambda r: (r.fill_order, r.id))
        for role in playable[: self.players or len(playable)]:
            participant, _ = services.join(exercise=self.exercise, name=f"Bot · {role.title.en}"[:40], now=self.wall)
            actor = engine.Actor(kind="participant", participant=participant.pk)
            self.do(actor, c.ClaimRole(role=role.id))
            self.bots.append(Bot(actor, role.id))
        self.do(engine.FACILITATOR, c.Start())
        for step in range(10_000):
            self.wall += self.step
            self.do(engine.SYSTEM, c.Tick())
            state = self.state()
            if state.status != "running":
                break
            for bot in self.bots:
                self.act(bot, step)
            self.facilitate(step)
        self.do(engine.FACILITATOR, c.End())
        return self.summary()

    def act(self, bot: Bot, step: int) -> None:
        rng = self.rng(bot.role, step)
        state = self.state()
        for proposal in state.pending_proposals():
            for approval in proposal.approvals:
                if approval.approver == bot.role and approval.status == "pending":
                    grant = rng.random() < 0.7
                    self.do(bot.actor, c.RespondApproval(proposal=proposal.id, grant=grant, reason="Bot judgement"))
                    return
        for proposal in state.pending_proposals():
            if proposal.role == bot.role and rng.random() < 0.15:
                self.do(bot.actor, c.Decide(proposal=proposal.id))  # may be refused: a rule the debrief shows
                return
        roll = rng.random()
        if roll < self.activity:
            views = engine.action_views(self.scenario, state, bot.role, now=state.game_time)
            available = [v for v in views if v.available]
            # Now and then a bot tries something a scenario rule forbids, as players do.
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
            self.do(bot.actor, c.ProposeAction(action=view.action.id, option=option, rationale=rng.choice(RATIONALES)))
        elif roll < self.activity + 0.25:
            channels = [ch for ch in self.scenario.channels if bot.role in self.scenario.roles_of(ch.members)]
            if channels:
                channel = rng.choice(channels)
                self.do(bot.actor, c.SendMessage(channel=channel.id, text=rng.choice(MESSAGES)))
        elif roll < self.activity + 0.35:
            unseen = [
                seq for seq in state.released.values() if bot.actor.participant not in state.receipts.get(seq, [])
            ]
            if unseen:
                self.do(bot.actor, c.MarkSeen(seq=min(unseen)))

    def facilitate(self, step: int) -> None:
        """Answer for played roles nobody holds, as a facilitator at the console would."""
        state = self.state()
        rng = self.rng("facilitator", step)
        for proposal in state.pending_proposals():
            for approval in proposal.approvals:
                unheld = approval.approver not in state.holders
                institution = self.scenario.role(approval.approver).institution
                if approval.status == "pending" and unheld and not institution:
                    self.do(
                        engine.FACILITATOR,
                        c.RespondApproval(proposal=proposal.id, grant=rng.random() < 0.6, as_role=approval.approver),
                    )
                    return

    def summary(self) -> Summary:
        state = self.state()
        summary = Summary(exercise=self.exercise, indicators=dict(state.indicators))
        for event in selectors.log(self.exercise.pk):
            summary.events += 1
            if event.type == EventType.ACTION_EXECUTED:
                summary.decisions += 1
            elif event.type == EventType.ACTION_REFUSED:
                summary.refused += 1
            elif event.type == EventType.COMMAND_REJECTED:
                summary.rejected[event.payload["rule"]] += 1
        return summary


class SeatSimulation(Simulation):
    """Seat bots (``engine.policy``) in the roles, start, and tick the clock to the end."""

    def __init__(self, version: ScenarioVersion, *, policy: str = "role", **kwargs: Any) -> None:
        super().__init__(version, **kwargs)
        self.policy = policy

    def run(self) -> Summary:
        self.exercise = services.create_exercise(
            scenario=self.version, seed=self.seed, title=f"Simulation · {self.scenario.slug} · seed {self.seed}"
        )
        playable = sorted((r for r in self.scenario.roles if not r.institution), key=lambda r: (r.fill_order, r.id))
        for role in playable[: self.players or len(playable)]:
            self.do(engine.FACILITATOR, c.SeatBot(role=role.id, policy=self.policy))
        self.do(engine.FACILITATOR, c.Start())
        for _step in range(100_000):
            self.wall += self.step
            services.tick(self.exercise.pk, now=self.wall)
            if self.state().status != "running":
                break
        self.do(engine.FACILITATOR, c.End())
        return self.summary()


def simulate(
    version: ScenarioVersion, *, seed: int, players: int | None = None, step: float = 60.0, policy: str = "random"
) -> Summary:
    """Play a whole exercise (see the module): ``policy`` "random" (participants) or "role" (seat bots)."""
    if policy == "random":
        return Simulation(version, seed=seed, players=players, step=step).run()
    return SeatSimulation(version, seed=seed, players=players, step=step, policy=policy).run()
