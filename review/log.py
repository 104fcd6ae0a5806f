"""The log in memory: ``Entry`` (one event with its phase, side, channel), ``Log`` (the look-ups
every analytic needs, and each event in words through ``exercises.screens.describe``) and
``load`` (one read through ``exercises.selectors``)."""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from exercises import engine, selectors
from exercises.engine.clock import local_game_datetime, offset_label
from exercises.engine.events import EventType
from exercises.models import Exercise
from exercises.screens.describe import describe
from exercises.screens.labels import ScenarioLabels
from scenarios.schema import Scenario


def lang_now() -> str:
    return "es" if (get_language() or "en").startswith("es") else "en"


@dataclass(slots=True)
class Entry:
    """One event of the log, with what the review filters on: phase, side, channel."""

    seq: int
    type: str
    game_time: int
    role: str
    actor: str
    payload: dict[str, Any]
    audience: tuple[str, ...]
    wall: datetime
    phase: str = ""
    side: str = ""
    channel: str = ""
    clock: datetime | None = None  # the in-game date and time, naive, in the scenario's zone

    @property
    def offset(self) -> str:
        return offset_label(self.game_time)

    def event(self) -> engine.Event:
        return engine.Event(
            seq=self.seq,
            type=self.type,
            game_time=self.game_time,
            payload=self.payload,
            audience=self.audience,
            role=self.role,
            actor=self.actor,
        )

    @property
    def public(self) -> bool:
        return engine.EVERYONE in self.audience


class Log:
    """An exercise's whole log in memory, with the look-ups every analytic needs."""

    def __init__(self, exercise: Exercise, scenario: Scenario, entries: list[Entry], lang: str) -> None:
        self.exercise = exercise
        self.scenario = scenario
        self.entries = entries
        self.lang = lang
        self.by_seq = {e.seq: e for e in entries}
        self.tz = ZoneInfo(scenario.clock.timezone)
        self.t0 = datetime.fromisoformat(scenario.clock.t0)
        self.names: dict[str, str] = {}
        for e in entries:
            if e.type == EventType.PARTICIPANT_JOINED:
                self.names[e.payload["participant"]] = e.payload["name"]

    @property
    def last_seq(self) -> int:
        return self.entries[-1].seq if self.entries else 0

    @property
    def scenario_title(self) -> str:
        return self.scenario.title.get(self.lang)

    @property
    def scenario_summary(self) -> str:
        return self.scenario.summary.get(self.lang)

    # ------------------------------------------------------------------ labels
    def role_title(self, role: str) -> str:
        r = self.scenario.roles_by_id.get(role)
        return r.title.get(self.lang) if r else role

    def side_name(self, side: str) -> str:
        for s in self.scenario.sides:
            if s.id == side:
                return s.name.get(self.lang)
        return side

    def action_title(self, action: str) -> str:
        a = self.scenario.actions_by_id.get(action)
        return a.title.get(self.lang) if a else action

    def option_label(self, action: str, option: str) -> str:
        a = self.scenario.actions_by_id.get(action)
        for o in a.options if a else []:
            if o.id == option:
                return o.label.get(self.lang)
        return option

    def inject_title(self, inject: str, payload: dict[str, Any] | None = None) -> str:
        if not inject and payload:  # an ad-hoc inject carries its own title
            return payload.get("title") or _("Ad-hoc inject")
        i = self.scenario.injects_by_id.get(inject)
        return i.title.get(self.lang) if i else inject

    def channel_name(self, channel: str) -> str:
        ch = self.scenario.channels_by_id.get(channel)
        return ch.name.get(self.lang) if ch else channel

    def indicator_name(self, indicator: str) -> str:
        i = self.scenario.indicators_by_id.get(indicator)
        return i.name.get(self.lang) if i else indicator

    def phase_title(self, phase: str) -> str:
        for p in self.scenario.phases:
            if p.id == phase:
                return p.title.get(self.lang)
        return phase

    def topic_label(self, topic: str) -> str:
        for t in self.scenario.consistency.topics:
            if t.id == topic:
                return t.label.get(self.lang)
        return topic

    def actor_label(self, actor: str) -> str:
        if actor.startswith("p:"):
            return self.names.get(actor[2:], actor[2:])
        if actor.startswith("bot:"):  # a seat bot (docs/what-if.md)
            return _("Bot")
        return {"facilitator": _("Facilitator"), "system": _("Clock"), "engine": _("Engine"), "": ""}.get(actor, actor)

    def game_clock(self, game_time: int) -> datetime:
        """The in-game date and time, naive, in the scenario's own time zone (templates must not shift it)."""
        return local_game_datetime(self.scenario.clock.t0, self.scenario.clock.timezone, game_time)

    def when(self, game_time: int) -> str:
        return f"{self.game_clock(game_time):%d %b %H:%M} ({offset_label(game_time)})"

    def game_time_of(self, local: datetime) -> int:
        """Seconds from T+0 for a naive in-game date and time in the scenario's zone."""
        return int((local.replace(tzinfo=self.tz) - self.t0).total_seconds())

    @cached_property
    def by_type(self) -> dict[str, list[Entry]]:
        """Event type -> its entries in log order: the analytics read the few types they count
        instead of testing every entry's type against the catalogue's members (on Python 3.11 a
        member look-up costs three times a local one: a fifth of ``analyse`` at 10,000 events)."""
        found: dict[str, list[Entry]] = {}
        for e in self.entries:
            found.setdefault(e.type, []).append(e)
        return found

    def of_type(self, *types: str) -> list[Entry]:
        """The entries of these types, in log order."""
        if len(types) == 1:
            return self.by_type.get(types[0], [])
        return sorted((e for t in types for e in self.by_type.get(t, [])), key=lambda e: e.seq)

    @cached_property
    def releases(self) -> dict[str, Entry]:
        """Inject id -> the event that released it."""
        return {
            e.payload["inject"]: e
            for e in self.entries
            if e.type == EventType.INJECT_RELEASED and e.payload.get("inject")
        }

    @cached_property
    def executions(self) -> dict[int, Entry]:
        """Proposal seq -> the event that executed it."""
        return {int(e.payload["proposal"]): e for e in self.entries if e.type == EventType.ACTION_EXECUTED}

    @cached_property
    def haystacks(self) -> dict[int, str]:
        """Lower-case text of every event, for the timeline's search (built on the first search)."""
        return {
            e.seq: " ".join(
                (
                    e.type,
                    e.role,
                    self.role_title(e.role),
                    self.actor_label(e.actor),
                    json.dumps(e.payload, ensure_ascii=False),
                )
            ).lower()
            for e in self.entries
        }

    # ------------------------------------------------------------------ words
    @cached_property
    def labels(self) -> LogLabels:
        """The look-up ``screens.describe`` reads, over this log."""
        return LogLabels(self)

    def describe(self, e: Entry, *, public: bool = False) -> str:
        """One line saying what happened (``screens.describe``, the live feed's wording): as the
        facilitator reads it (with the seed, probabilities, proposal numbers), or as the public does."""
        viewer = engine.PUBLIC_VIEW if public else engine.FACILITATOR_VIEW
        said = describe(e.event(), viewer, self.lang, self.labels)
        if said is None:
            return e.type  # the debrief's own events
        return said.line(with_body=e.type != EventType.INJECT_RELEASED)  # a row shows the inject's text apart

    # ------------------------------------------------------------------ reads
    def visible(self, viewer: engine.Viewer) -> list[Entry]:
        if viewer.facilitator:
            return self.entries
        return [e for e in self.entries if engine.can_see(e.event(), viewer)]

    def seq_at(self, game_time: int) -> int:
        """The last event at or before this game time (the first event if none)."""
        times = [e.game_time for e in self.entries]
        index = bisect.bisect_right(times, game_time)
        return self.entries[max(index - 1, 0)].seq if self.entries else 0

    def state_at(self, seq: int) -> engine.State:
        state = engine.initial_state(self.scenario)
        for e in self.entries:
            if e.seq > seq:
                break
            engine.apply(state, e.event())
        return state


class LogLabels(ScenarioLabels):
    """``exercises.screens.labels.Labels`` over a log: names from its joins, and what a viewer saw
    from its entries (the release of an inject, the proposal of an action)."""

    def __init__(self, log: Log) -> None:
        super().__init__(log.scenario, log.lang, log.names)
        self.log = log

    def inject_visible(self, inject: str, viewer: engine.Viewer) -> bool:
        released = self.log.releases.get(inject)
        return released is not None and engine.can_see(released.event(), viewer)

    def proposal_visible(self, proposal: int, viewer: engine.Viewer) -> bool:
        proposed = self.log.by_seq.get(proposal)
        return proposed is not None and engine.can_see(proposed.event(), viewer)

    def proposal_action(self, proposal: int) -> str:
        proposed = self.log.by_seq.get(proposal)
        return proposed.payload.get("action", "") if proposed else ""


# Looked up once: ``load`` runs over every row of the log.
PHASE_CHANGED = EventType.PHASE_CHANGED
ON_A_CHANNEL = frozenset(
    {EventType.MESSAGE_SENT, EventType.MESSAGE_DELIVERED, EventType.CHANNEL_OPENED, EventType.CHANNEL_CLOSED}
)


def load(exercise: Exercise, *, lang: str | None = None) -> Log:
    """Read the log once (one query), tagging each event with its phase, side and channel."""
    scenario = selectors.scenario_of(exercise)
    rows = selectors.log_rows(exercise)
    phase = scenario.phases[0].id
    roles = scenario.roles_by_id
    clocks: dict[int, datetime] = {}
    entries = []
    for seq, type_, game_time, role, actor, payload, audience, created_at in rows:
        if type_ == PHASE_CHANGED:
            phase = payload.get("phase", phase)
        r = roles.get(role)
        clock = clocks.get(game_time)
        if clock is None:
            clock = clocks[game_time] = local_game_datetime(scenario.clock.t0, scenario.clock.timezone, game_time)
        entries.append(
            Entry(
                seq=seq,
                type=type_,
                game_time=game_time,
                role=role,
                actor=actor,
                payload=payload or {},
                audience=tuple(audience or ()),
                wall=created_at,
                clock=clock,
                phase=phase,
                side=r.side if r else "",
                channel=(payload or {}).get("channel", "") if type_ in ON_A_CHANNEL else "",
            )
        )
    return Log(exercise, scenario, entries, lang or lang_now())
