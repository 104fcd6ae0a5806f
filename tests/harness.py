"""An in-memory table for engine tests: a state, a seed and a wall clock the test drives."""

from __future__ import annotations

from exercises import engine
from exercises.engine import commands as c
from scenarios.schema import Scenario


class Table:
    """A tiny harness: a state, a seed and a wall clock the test drives."""

    def __init__(self, scenario: Scenario, seed: int = 7) -> None:
        self.sc = scenario
        self.seed = seed
        self.state = engine.initial_state(scenario)
        self.log: list[engine.Event] = []
        self.wall = 1000.0

    def do(self, actor: engine.Actor, cmd: c.Cmd, *, at: float | None = None) -> list[engine.Event]:
        if at is not None:
            self.wall = at
        events, self.state = engine.run(self.sc, self.state, actor, cmd, seed=self.seed, wall=self.wall)
        self.log.extend(events)
        return events

    def types(self, events: list[engine.Event]) -> list[str]:
        return [e.type for e in events]

    def seat(self, pid: str, role: str) -> engine.Actor:
        actor = engine.Actor(kind="participant", participant=pid)
        self.do(actor, c.Join(name=pid.title()))
        self.do(actor, c.ClaimRole(role=role))
        return actor

    def start(self) -> None:
        self.do(engine.FACILITATOR, c.Start())

    def advance(self, game_seconds: int) -> list[engine.Event]:
        """Move the wall clock so the game moves ``game_seconds`` at the current phase's rate."""
        rate = self.sc.phases[self.sc.phase_index[self.state.phase]].rate
        return self.do(engine.SYSTEM, c.Tick(), at=self.wall + game_seconds / rate)

    def rejection(self, events: list[engine.Event]) -> dict:
        assert events and events[-1].type == "command_rejected", self.types(events)
        return events[-1].payload
