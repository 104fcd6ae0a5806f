"""Preview a role's brief and first screen, without an exercise: the real screen, built in memory.

The opening events of an exercise (created, a player joins and claims the role, the
facilitator starts, the clock fires what is due at the first phase's start) are run through
the engine in memory, and the player's room is rendered from them with the same presenter
and partials a live exercise uses (``exercises.screens``), so the preview is
what a player will see, not a second drawing of it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from exercises import engine
from exercises.engine import commands as c
from exercises.engine.events import EventType
from exercises.models import Exercise, Participant
from exercises.screens import contexts
from exercises.screens.snapshot import Snapshot
from scenarios.library import scenario_for
from scenarios.models import ScenarioVersion

PREVIEW_CODE = "PREVIEW"
PLAYER = "preview"


@dataclass
class _MemorySnapshot(Snapshot):
    """A snapshot whose log is a list in memory instead of ``Event`` rows."""

    events: list[engine.Event] = field(default_factory=list)

    @cached_property
    def participants(self) -> dict[str, Participant]:
        return {}

    @cached_property
    def proposal_events(self) -> list[engine.Event]:
        return [e for e in self.events if e.type == EventType.ACTION_PROPOSED]

    @cached_property
    def releases(self) -> dict[int, engine.Event]:
        return {e.seq: e for e in self.events if e.type in (EventType.INJECT_RELEASED, EventType.INJECT_LOST)}


def first_screen(version: ScenarioVersion, role: str, lang: str) -> dict[str, Any]:
    """The template context of ``role``'s room right after the exercise starts."""
    scenario = scenario_for(version)
    state = engine.initial_state(scenario)
    events = [engine.opening_event(scenario, content_hash=version.content_hash, seed=1, title=scenario.title.get(lang))]
    engine.apply(state, events[0])
    wall = time.time()
    player = engine.Actor(kind="participant", participant=PLAYER)
    for actor, command in (
        (player, c.Join(name="Preview")),
        (player, c.ClaimRole(role=role)),
        (engine.FACILITATOR, c.Start()),
        (engine.SYSTEM, c.Tick()),
    ):
        new, state = engine.run(scenario, state, actor, command, seed=1, wall=wall)
        events += new
    exercise = Exercise(
        code=PREVIEW_CODE,
        title=scenario.title.get(lang),
        scenario=version,
        seed=1,
        last_seq=state.seq,
        status=state.status,
        state={},
    )
    snap = _MemorySnapshot(exercise, scenario, state, events=events)
    viewer = engine.Viewer(role=role, participant=PLAYER)
    visible = list(engine.visible(events, viewer))
    return {**contexts.base(snap), **contexts.play(snap, viewer, lang, visible), "exercise": exercise}
