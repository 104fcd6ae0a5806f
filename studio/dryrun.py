"""Dry run: the exercise played by the bots for N seeds, in memory, as a background job.

The bots are ``exercises.bots.Simulation`` (the same players ``manage.py simulate`` uses), and
every command goes through ``engine.run``, the function ``services.execute`` calls under its
lock. Only the storage differs: the state and the log stay in memory instead of being written
to the database. Measured on september-2001 (docs/studio.md): about 5 s per seed through the
database, writing 1,100 event rows and an exercise nobody asked for; about 0.1 s in memory.
``tests/test_studio_dryrun.py`` checks both paths give the same events for the same seed.

The report says which injects fired and when, which rules refused what and how often,
indicator trajectories, objectives met per role, actions that never became available, and
flags a scenario that cannot reach its end or leaves an action unreachable in every seed.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

from exercises import bots, engine
from exercises.engine import commands as c
from exercises.engine.events import EventType
from jobs.runner import JobFailed, Progress, register
from scenarios.library import scenario_for
from scenarios.models import ScenarioVersion

from . import review_bridge

KIND = "studio.dry_run"
DEFAULT_SEEDS = 5
MAX_SEEDS = 20
MAX_STEPS = 10_000  # as many as ``bots.Simulation.run`` allows itself


class MemorySimulation(bots.Simulation):
    """The bots' exercise with the engine's state and log in memory (same players, same rules)."""

    _state: engine.State  # set by ``run`` before the first command

    def __init__(self, version: ScenarioVersion, *, seed: int, on_step: Callable[[float], None] | None = None) -> None:
        super().__init__(version, seed=seed)
        self.on_step = on_step
        self.events: list[engine.Event] = []
        self.available: set[str] = set()
        self.steps = 0
        self.hit_limit = False

    def do(self, actor: engine.Actor, command: c.Cmd) -> Any:
        events, self._state = engine.run(self.scenario, self._state, actor, command, seed=self.seed, wall=self.wall)
        self.events.extend(events)
        return events

    def state(self) -> engine.State:
        return self._state

    def _note_available(self) -> None:
        for bot in self.bots:
            for view in engine.action_views(self.scenario, self._state, bot.role, now=self._state.game_time):
                if view.available:
                    self.available.add(view.action.id)

    def run(self) -> None:  # type: ignore[override]  # same loop as Simulation.run, storage aside
        sc = self.scenario
        self._state = engine.initial_state(sc)
        first = engine.opening_event(sc, content_hash=self.version.content_hash, seed=self.seed, title="dry run")
        engine.apply(self._state, first)
        self.events.append(first)
        playable = sorted((r for r in sc.roles if not r.institution), key=lambda r: (r.fill_order, r.id))
        for n, role in enumerate(playable[: self.players or len(playable)]):
            actor = engine.Actor(kind="participant", participant=f"bot{n + 1}")
            self.do(actor, c.Join(name=f"Bot · {role.title.en}"[:40]))
            self.do(actor, c.ClaimRole(role=role.id))
            self.bots.append(bots.Bot(actor, role.id))
        self.do(engine.FACILITATOR, c.Start())
        start, end = sc.phases[0].start, sc.clock.end
        for step in range(MAX_STEPS):
            self.wall += self.step
            self.do(engine.SYSTEM, c.Tick())
            if self._state.status != "running":
                break
            self.steps += 1
            self._note_available()
            for bot in self.bots:
                self.act(bot, step)
            self.facilitate(step)
            if self.on_step is not None:
                self.on_step((self._state.game_time - start) / max(end - start, 1))
        else:
            self.hit_limit = True
        self.do(engine.FACILITATOR, c.End())


def play(version: ScenarioVersion, seed: int, on_step: Callable[[float], None] | None = None) -> MemorySimulation:
    sim = MemorySimulation(version, seed=seed, on_step=on_step)
    sim.run()
    return sim


# --------------------------------------------------------------------------- one seed, then all


def _one(sim: MemorySimulation) -> dict[str, Any]:
    sc, state = sim.scenario, sim.state()
    injects: dict[str, dict[str, Any]] = {}
    executed: Counter[str] = Counter()
    proposed: Counter[str] = Counter()
    phases = [sc.phases[0].id]
    ended_by_clock = False
    for e in sim.events:
        if e.type in (EventType.INJECT_RELEASED, EventType.INJECT_LOST) and e.payload.get("inject"):
            injects.setdefault(e.payload["inject"], {"at": e.game_time, "lost": e.type == EventType.INJECT_LOST})
        elif e.type == EventType.ACTION_EXECUTED:
            executed[e.payload.get("action", "")] += 1
        elif e.type == EventType.ACTION_PROPOSED:
            proposed[e.payload.get("action", "")] += 1
        elif e.type == EventType.PHASE_CHANGED:
            phases.append(e.payload.get("phase", ""))
        elif e.type == EventType.EXERCISE_PAUSED and e.game_time >= sc.clock.end:
            ended_by_clock = True
    return {
        "seed": sim.seed,
        "events": len(sim.events),
        "steps": sim.steps,
        "reached_end": state.game_time >= sc.clock.end or ended_by_clock,
        "hit_limit": sim.hit_limit,
        "game_time": state.game_time,
        "phases": phases,
        "injects": injects,
        "executed": dict(executed),
        "proposed": dict(proposed),
        "available": sorted(sim.available),
        "indicators": dict(state.indicators),
        "review": review_bridge.analyse(sc, sim.events),
    }


def summarise(version: ScenarioVersion, runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Across seeds: what always, sometimes or never happened, and the flags."""
    sc = scenario_for(version)
    n = len(runs)
    injects = []
    for inject in sc.injects:
        times = [r["injects"][inject.id]["at"] for r in runs if inject.id in r["injects"]]
        lost = sum(1 for r in runs if r["injects"].get(inject.id, {}).get("lost"))
        injects.append(
            {
                "id": inject.id,
                "title": {"en": inject.title.en, "es": inject.title.es},
                "scheduled": inject.at,
                "trigger": inject.trigger is not None,
                "fired": len(times),
                "lost": lost,
                "first": min(times) if times else None,
                "median": int(statistics.median(times)) if times else None,
                "last": max(times) if times else None,
            }
        )
    actions = []
    for action in sc.actions:
        seen = sum(1 for r in runs if action.id in r["available"])
        actions.append(
            {
                "id": action.id,
                "title": {"en": action.title.en, "es": action.title.es},
                "available_in": seen,
                "executed": sum(r["executed"].get(action.id, 0) for r in runs),
                "proposed": sum(r["proposed"].get(action.id, 0) for r in runs),
                "forbidden": action.forbidden is not None,
            }
        )
    langs: dict[str, Any] = {}
    for lang in ("en", "es"):
        rules: dict[str, dict[str, Any]] = {}
        for r in runs:
            for row in r["review"][lang]["rules"]:
                agg = rules.setdefault(
                    row["rule"],
                    {
                        "rule": row["rule"],
                        "rejected": 0,
                        "refused": 0,
                        "seeds": 0,
                        "example": row["example"],
                        "who": Counter(),
                    },
                )
                agg["rejected"] += row["rejected"]
                agg["refused"] += row["refused"]
                agg["seeds"] += 1
                agg["example"] = agg["example"] or row["example"]
                for who, count in row["who"]:
                    agg["who"][who] += count
        objectives: dict[str, dict[str, Any]] = {}
        for r in runs:
            for group in r["review"][lang]["objectives"]:
                agg = objectives.setdefault(
                    group["role"], {"role": group["role"], "title": group["title"], "results": {}}
                )
                for res in group["results"]:
                    o = agg["results"].setdefault(
                        res["id"], {"id": res["id"], "text": res["text"], "points": res["points"], "met": 0}
                    )
                    o["met"] += int(res["met"])
        langs[lang] = {
            "rules": sorted(
                ({**v, "who": v["who"].most_common(4)} for v in rules.values()),
                key=lambda v: (-(v["rejected"] + v["refused"]), v["rule"]),
            ),
            "objectives": [{**v, "results": list(v["results"].values())} for v in objectives.values()],
        }
    reached = sum(1 for r in runs if r["reached_end"])
    reached_phases = {p for r in runs for p in r["phases"]}
    flags = []
    if reached == 0:
        flags.append({"kind": "end", "ids": []})
    missing_phases = [p.id for p in sc.phases if p.id not in reached_phases]
    if missing_phases:
        flags.append({"kind": "phases", "ids": missing_phases})
    unreachable = [a["id"] for a in actions if a["available_in"] == 0 and not a["forbidden"]]
    if unreachable:
        flags.append({"kind": "actions", "ids": unreachable})
    final: dict[str, list[int]] = defaultdict(list)
    for r in runs:
        for key, value in r["indicators"].items():
            final[key].append(value)
    return {
        "seeds": [r["seed"] for r in runs],
        "count": n,
        "reached_end": reached,
        "injects": injects,
        "actions": actions,
        "flags": flags,
        "langs": langs,
        "indicators": [
            {
                "id": i.id,
                "name": {"en": i.name.en, "es": i.name.es},
                "start": i.start,
                "finals": final.get(i.id, []),
            }
            for i in sc.indicators
        ],
    }


def run(version: ScenarioVersion, seeds: list[int], progress: Progress | None = None) -> dict[str, Any]:
    started = time.perf_counter()
    runs = []
    for index, seed in enumerate(seeds):

        def on_step(fraction: float, index: int = index, seed: int = seed) -> None:
            if progress is not None:
                share = (index + max(0.0, min(1.0, fraction))) / len(seeds)
                progress(95 * share, f"seed {seed}: {int(100 * max(0.0, min(1.0, fraction)))} %")

        runs.append(_one(play(version, seed, on_step)))
    if progress is not None:
        progress(97, "summary", force=True)
    summary = summarise(version, runs)
    per_seed = [
        {k: r[k] for k in ("seed", "events", "steps", "reached_end", "hit_limit", "game_time", "phases", "indicators")}
        | {
            "charts": {lang: r["review"][lang]["charts"] for lang in ("en", "es")},
            "legend": {lang: r["review"][lang]["phase_legend"] for lang in ("en", "es")},
        }
        for r in runs
    ]
    return {
        "version": version.pk,
        "summary": summary,
        "runs": per_seed,
        "seconds": round(time.perf_counter() - started, 2),
    }


@register(KIND)
def dry_run_job(progress: Progress, params: dict[str, Any]) -> dict[str, Any]:
    version_pk = params.get("version")
    version = ScenarioVersion.objects.filter(pk=version_pk).first() if version_pk is not None else None
    if version is None:
        raise JobFailed("this scenario version no longer exists")
    seeds = [int(s) for s in params.get("seeds") or range(1, DEFAULT_SEEDS + 1)][:MAX_SEEDS]
    return run(version, seeds, progress)
