"""Instructor review: timeline, replay, charts, coordination analytics, after-action report.

Pure reads. Everything here is derived from one exercise's event log (``Event`` rows):
``load`` reads the log once, ``analyse`` folds it once and computes every analytic,
and the views only pick what to show. The log is append-only and numbered, so an
analysis is valid for exactly one ``(exercise, last_seq, language)``: it is cached in
the process under that key and never goes stale (a new event makes a new key).

Two audiences:
- the facilitator (staff) sees everything: ``analyse(log)``;
- the players' read-only share link sees what every player could see (events whose
  audience is everyone) plus aggregate figures without message text: ``shared(log)``
  builds that from the public events only, so nothing private can leak by omission.

Times: ``game_time`` is the in-game clock (seconds from the scenario's T+0); "wall" is
the ``created_at`` of the event row, the real time it was recorded. Simulated exercises
(``manage.py simulate``) write a whole game in seconds, so their wall times are compressed;
their game times are the meaningful ones.
"""

from __future__ import annotations

import bisect
import json
import threading
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import yaml
from cachetools import LRUCache
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from exercises.engine.events import EventType
from scenarios.schema import ALL, Scenario

from . import engine, wording
from .engine.clock import duration_label, local_game_datetime, offset_label
from .engine.conditions import holds
from .instructor import blocs_line
from .models import Event, Exercise, Workshop
from .selectors import scenario_of

PAGE_SIZE = 100
# A role "responds" to an inject by talking, proposing or answering an approval.
RESPONSE_TYPES = frozenset({EventType.MESSAGE_SENT, EventType.ACTION_PROPOSED, EventType.APPROVAL_RESOLVED})
# Events after which an objective's condition may have changed (game time aside).
CONDITION_TYPES = frozenset(
    {
        EventType.INDICATOR_CHANGED,
        EventType.ACTION_PROPOSED,
        EventType.ACTION_EXECUTED,
        EventType.ACTION_REFUSED,
        EventType.INJECT_RELEASED,
        EventType.INJECT_LOST,
        EventType.PHASE_CHANGED,
        EventType.CHANNEL_OPENED,
        EventType.CHANNEL_CLOSED,
    }
)
# Left out of a replayed feed: bookkeeping, or shown in their own panel.
NOT_IN_FEED = frozenset(
    {
        EventType.PARTICIPANT_JOINED,
        EventType.ROLE_CLAIMED,
        EventType.ROLE_RELEASED,
        EventType.INJECT_SEEN,
        EventType.PRESSURE_CHECKED,
        EventType.MESSAGE_SENT,
        EventType.MESSAGE_DELIVERED,
    }
)
PROPOSAL_TYPES = frozenset(
    {
        EventType.ACTION_PROPOSED,
        EventType.APPROVAL_REQUESTED,
        EventType.APPROVAL_RESOLVED,
        EventType.ACTION_EXECUTED,
        EventType.ACTION_REFUSED,
        EventType.ACTION_WITHDRAWN,
    }
)


def lang_now() -> str:
    return "es" if (get_language() or "en").startswith("es") else "en"


# --------------------------------------------------------------------------- formatting


# --------------------------------------------------------------------------- the log


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


def load(exercise: Exercise, *, lang: str | None = None) -> Log:
    """Read the log once (one query), tagging each event with its phase, side and channel."""
    scenario = scenario_of(exercise)
    rows = (
        Event.objects.filter(exercise_id=exercise.pk, seq__lte=exercise.last_seq)
        .order_by("seq")
        .values_list("seq", "type", "game_time", "role", "actor", "payload", "audience", "created_at")
    )
    phase = scenario.phases[0].id
    roles = scenario.roles_by_id
    clocks: dict[int, datetime] = {}
    entries = []
    for seq, type_, game_time, role, actor, payload, audience, created_at in rows:
        if type_ == EventType.PHASE_CHANGED:
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
                channel=(payload or {}).get("channel", "")
                if type_
                in (
                    EventType.MESSAGE_SENT,
                    EventType.MESSAGE_DELIVERED,
                    EventType.CHANNEL_OPENED,
                    EventType.CHANNEL_CLOSED,
                )
                else "",
            )
        )
    return Log(exercise, scenario, entries, lang or lang_now())


# --------------------------------------------------------------------------- describing one event


def cause_label(log: Log, cause: dict[str, Any], *, public: bool = False) -> str:
    """Why an indicator moved. On the public link a cause is named only if its event was public."""
    if not cause:
        return ""
    if "inject" in cause:
        released = log.releases.get(cause["inject"])
        if public and not (released and released.public):
            return _("an inject")
        return _("inject: %(title)s") % {"title": log.inject_title(cause["inject"])}
    if EventType.CONTRADICTION in cause:
        return _("contradiction on %(topic)s (%(rule)s)") % {
            "topic": log.topic_label(cause[EventType.CONTRADICTION]),
            "rule": cause.get("rule", ""),
        }
    if "bypass" in cause:
        if public:
            return _("a decision taken without approval (%(rule)s)") % {"rule": cause.get("rule", "")}
        return _("%(action)s without %(approver)s (%(rule)s)") % {
            "action": log.action_title(cause.get("action", "")),
            "approver": log.role_title(cause["bypass"]),
            "rule": cause.get("rule", ""),
        }
    if "refused" in cause:
        if public:
            return _("a refusal (%(rule)s)") % {"rule": cause.get("rule", "")}
        proposal = log.by_seq.get(int(cause["refused"]))
        action = proposal.payload.get("action", "") if proposal else ""
        return _("%(action)s refused (%(rule)s)") % {"action": log.action_title(action), "rule": cause.get("rule", "")}
    if "action" in cause:
        executed = log.executions.get(int(cause.get("proposal") or 0))
        if public and not (executed and executed.public):
            return _("a decision")
        label = log.action_title(cause["action"])
        return f"{label} ({cause['rule']})" if cause.get("rule") else label
    if "pressure" in cause:
        return _("pressure %(rule)s") % {"rule": cause.get("rule") or cause["pressure"]}
    if "facilitator" in cause:
        return _("facilitator")
    if "leak" in cause:
        return _("a leak (%(rule)s)") % {"rule": cause.get("rule", "")}
    if "trigger" in cause:
        return _("its trigger")
    if "schedule" in cause:
        return _("schedule")
    return ""


def describe(log: Log, e: Entry, *, public: bool = False) -> str:
    """One line saying what happened, in the current language."""
    p = e.payload
    role = log.role_title(e.role)
    t = e.type
    if t == EventType.EXERCISE_CREATED:
        return _("Exercise created: %(title)s (seed %(seed)s)") % {
            "title": p.get("title", ""),
            "seed": "—" if public else p.get("seed", ""),
        }
    if t == EventType.PARTICIPANT_JOINED:
        return _("%(name)s joined") % {"name": p.get("name", "")}
    if t == EventType.ROLE_CLAIMED:
        return _("%(name)s took the role %(role)s") % {
            "name": log.names.get(p.get("participant", ""), ""),
            "role": role,
        }
    if t == EventType.ROLE_RELEASED:
        return _("%(name)s left the role %(role)s") % {
            "name": log.names.get(p.get("participant", ""), ""),
            "role": role,
        }
    if t == EventType.EXERCISE_STARTED:
        return _("Exercise started")
    if t == EventType.EXERCISE_PAUSED:
        return _("Exercise paused")
    if t == EventType.EXERCISE_RESUMED:
        return _("Exercise resumed")
    if t == EventType.EXERCISE_ENDED:
        return _("Exercise ended")
    if t == EventType.PHASE_CHANGED:
        if p.get("stopped"):
            return _("The scenario clock reached its end")
        return _("Phase: %(phase)s") % {"phase": log.phase_title(p.get("phase", ""))}
    if t == EventType.INJECT_RELEASED:
        recipients = p.get("recipients") or []
        who = _("everyone") if p.get("public") else ", ".join(log.role_title(r) for r in recipients)
        return _("Inject: %(title)s → %(who)s") % {"title": log.inject_title(p.get("inject", ""), p), "who": who}
    if t == EventType.INJECT_LOST:
        return _("Inject lost on the way (%(rule)s, p=%(p)s): %(title)s") % {
            "rule": p.get("rule", ""),
            "p": p.get("probability", ""),
            "title": log.inject_title(p.get("inject", "")),
        }
    if t == EventType.INDICATOR_CHANGED:
        text = _("%(indicator)s %(delta)s → %(value)s") % {
            "indicator": log.indicator_name(p.get("indicator", "")),
            "delta": f"{p.get('delta', 0):+d}",
            "value": p.get("value", ""),
        }
        cause = cause_label(log, p.get("cause") or {}, public=public)
        if p.get("reason") and not public:
            cause = f"{cause}: {p['reason']}"
        return f"{text} ({cause})" if cause else text
    if t == EventType.CHANNEL_OPENED:
        return _("Channel opened: %(channel)s") % {"channel": log.channel_name(p.get("channel", ""))}
    if t == EventType.CHANNEL_CLOSED:
        return _("Channel closed: %(channel)s") % {"channel": log.channel_name(p.get("channel", ""))}
    if t == EventType.MESSAGE_SENT:
        if p.get("deliver_at") is not None:
            return _("%(role)s on %(channel)s (arrives %(when)s): %(text)s") % {
                "role": role,
                "channel": log.channel_name(p.get("channel", "")),
                "when": log.when(p["deliver_at"]),
                "text": p.get("text", ""),
            }
        return _("%(role)s on %(channel)s: %(text)s") % {
            "role": role,
            "channel": log.channel_name(p.get("channel", "")),
            "text": p.get("text", ""),
        }
    if t == EventType.MESSAGE_DELIVERED:
        return _("Delivered on %(channel)s from %(role)s: %(text)s") % {
            "channel": log.channel_name(p.get("channel", "")),
            "role": role,
            "text": p.get("text", ""),
        }
    if t == EventType.ACTION_PROPOSED:
        text = _("%(role)s proposed %(action)s") % {"role": role, "action": log.action_title(p.get("action", ""))}
        if p.get("option"):
            text += f" — {log.option_label(p['action'], p['option'])}"
        return text
    if t == EventType.APPROVAL_REQUESTED:
        return _("Approval asked of %(approver)s for #%(proposal)s %(action)s (%(rule)s)") % {
            "approver": log.role_title(p.get("approver", "")),
            "proposal": p.get("proposal", ""),
            "action": log.action_title(_proposal_action(log, p)),
            "rule": p.get("rule", ""),
        }
    if t == EventType.APPROVAL_RESOLVED:
        status = {"granted": _("granted"), "refused": _("refused"), "bypassed": _("bypassed")}.get(
            p.get("status", ""), p.get("status", "")
        )
        text = _("%(approver)s: %(status)s — #%(proposal)s %(action)s (%(rule)s)") % {
            "approver": log.role_title(p.get("approver", "")),
            "status": status,
            "proposal": p.get("proposal", ""),
            "action": log.action_title(_proposal_action(log, p)),
            "rule": p.get("rule", ""),
        }
        if p.get("tally"):
            text += " " + _("(%(yes)s yes, %(no)s no)") % p["tally"] + blocs_line(p.get("blocs"))
        return text
    if t == EventType.ACTION_EXECUTED:
        text = _("Executed: %(action)s (%(role)s)") % {"action": log.action_title(p.get("action", "")), "role": role}
        if p.get("option"):
            text += f" — {log.option_label(p['action'], p['option'])}"
        chance = p.get("chance")
        if chance:
            text += " " + (_("— succeeded (p=%(p)s)") if chance.get("success") else _("— failed (p=%(p)s)")) % {
                "p": chance.get("probability")
            }
        return text
    if t == EventType.ACTION_REFUSED:
        return _("Refused: %(action)s (%(role)s) by %(approver)s under %(rule)s") % {
            "action": log.action_title(p.get("action", "")),
            "role": role,
            "approver": log.role_title(p.get("approver", "")),
            "rule": p.get("rule", ""),
        }
    if t == EventType.ACTION_WITHDRAWN:
        return _("%(role)s withdrew %(action)s") % {"role": role, "action": log.action_title(p.get("action", ""))}
    if t == EventType.PRESSURE_CHECKED:
        return (_("Pressure %(rule)s applied") if p.get("applied") else _("Pressure %(rule)s checked, not applied")) % {
            "rule": p.get("rule") or p.get("pressure", "")
        }
    if t == EventType.INJECT_SEEN:
        return _("%(name)s read event #%(seq)s") % {
            "name": log.names.get(p.get("participant", ""), ""),
            "seq": p.get("seq", ""),
        }
    if t == EventType.COMMAND_REJECTED:
        return _("Refused under %(rule)s — %(role)s, %(command)s: %(message)s") % {
            "role": role or log.actor_label(e.actor),
            "command": command_label(p.get("command", "")),
            "rule": p.get("rule", ""),
            "message": wording.rejection(p, log.scenario, log.lang),
        }
    if t == EventType.CONTRADICTION:
        return _("Contradiction (%(rule)s) on %(topic)s: %(stances)s") % {
            "rule": p.get("rule", ""),
            "topic": log.topic_label(p.get("topic", "")),
            "stances": " → ".join(p.get("stances") or []),
        }
    if t == EventType.NOTE_ADDED:
        return _("Evaluator note: %(text)s") % {"text": p.get("text", "")}
    if t == EventType.REPORT_EDITED:
        return _("After-action report edited")
    if t in (EventType.BOT_SEATED, EventType.BOT_UNSEATED):
        text = _("A bot plays %(role)s") if t == EventType.BOT_SEATED else _("The bot left %(role)s")
        return text % {"role": role}
    if t == EventType.PARTICIPANT_REMOVED:
        return _("The facilitator removed %(name)s from the table") % {"name": p.get("name", "")}
    if t == EventType.EXERCISE_FORKED:
        return _("Forked from an earlier exercise after event #%(seq)s") % {
            "seq": p.get("parent_seq", ""),
        }
    return t


def command_label(command: str) -> str:
    return {
        "propose_action": _("a proposal"),
        "decide": _("going ahead without approval"),
        "respond_approval": _("an approval answer"),
        "withdraw": _("a withdrawal"),
        "send_message": _("a message"),
        "claim_role": _("taking a role"),
        "release_role": _("leaving a role"),
        "assign_role": _("assigning a role"),
        "resolve_approval": _("answering for an institution"),
        "seat_bot": _("putting a bot in a seat"),
        "unseat_bot": _("taking a bot out"),
        "remove_participant": _("removing someone from the table"),
    }.get(command, command)


def _proposal_action(log: Log, payload: dict[str, Any]) -> str:
    proposed = log.by_seq.get(int(payload.get("proposal") or 0))
    return proposed.payload.get("action", "") if proposed else ""


# --------------------------------------------------------------------------- analytics


@dataclass
class ApprovalRow:
    proposal: int
    action: str
    action_title: str
    proposer: str
    approver: str
    approver_title: str
    rule: str
    kind: str
    requested_seq: int
    requested_game: int
    requested_wall: datetime
    status: str = "pending"
    by: str = ""
    reason: str = ""
    resolved_seq: int | None = None
    resolved_game: int | None = None
    resolved_wall: datetime | None = None
    tally: dict[str, int] | None = None
    probability: float | None = None

    @property
    def delay_game(self) -> int | None:
        return None if self.resolved_game is None else self.resolved_game - self.requested_game

    @property
    def delay_wall(self) -> float | None:
        return None if self.resolved_wall is None else (self.resolved_wall - self.requested_wall).total_seconds()

    @property
    def delay_label(self) -> str:
        return duration_label(self.delay_game)

    @property
    def wall_delay_label(self) -> str:
        return duration_label(self.delay_wall)

    @property
    def flagged(self) -> bool:
        return self.status in ("refused", "pending", "cancelled", "bypassed") or bool(self.delay_game)


@dataclass
class Decision:
    """One proposal and its fate: rationale, who cleared or blocked it, under which rule."""

    seq: int
    action: str
    title: str
    role: str
    role_title: str
    side: str
    option: str
    option_label: str
    rationale: str
    kind: str
    game_time: int
    wall: datetime
    actor: str
    phase: str
    status: str = "pending"
    approvals: list[ApprovalRow] = field(default_factory=list)
    outcome_seq: int | None = None
    outcome_game: int | None = None
    outcome_wall: datetime | None = None
    refused_rule: str = ""
    refused_by: str = ""
    bypassed: list[dict[str, str]] = field(default_factory=list)
    chance: dict[str, Any] | None = None
    public: bool = False
    entry: Entry | None = None  # the action_proposed event

    @property
    def took_game(self) -> int | None:
        return None if self.outcome_game is None else self.outcome_game - self.game_time

    @property
    def took_label(self) -> str:
        return duration_label(self.took_game)


@dataclass
class Response:
    role: str
    title: str
    entry: Entry | None
    kind: str = ""
    game: int | None = None
    wall: float | None = None

    @property
    def game_label(self) -> str:
        return duration_label(self.game)

    @property
    def wall_label(self) -> str:
        return duration_label(self.wall)


@dataclass
class InjectResponses:
    entry: Entry
    title: str
    lost: bool
    public: bool
    responses: list[Response]
    grid: list[Response | None] = field(default_factory=list)  # one cell per playable role; None: not a recipient

    @property
    def answered(self) -> int:
        return sum(1 for r in self.responses if r.entry is not None)


@dataclass
class RuleCount:
    rule: str
    rejected: int = 0
    refused: int = 0
    by_role: Counter[str] = field(default_factory=Counter)
    example: str = ""

    @property
    def total(self) -> int:
        return self.rejected + self.refused

    @property
    def who(self) -> list[tuple[str, int]]:
        return self.by_role.most_common()


@dataclass
class ObjectiveResult:
    role: str
    role_title: str
    id: str
    text: str
    points: int
    met: bool
    first_seq: int | None
    first_game: int | None
    lost_later: bool

    @property
    def first_label(self) -> str:
        return "" if self.first_game is None else offset_label(self.first_game)


@dataclass
class RoleObjectives:
    role: str
    title: str
    side: str
    holder: str
    results: list[ObjectiveResult]

    @property
    def met(self) -> int:
        return sum(1 for r in self.results if r.met)

    @property
    def points(self) -> int:
        return sum(r.points for r in self.results if r.met)

    @property
    def possible(self) -> int:
        return sum(r.points for r in self.results)


@dataclass
class Statement:
    seq: int
    role: str
    stance: str
    public: bool


@dataclass
class Contradiction:
    entry: Entry
    side: str
    topic: str
    stances: list[str]
    rule: str
    statements: list[Statement]  # every statement by this side on this topic, up to the contradiction

    @property
    def latest(self) -> Statement | None:
        return self.statements[-1] if self.statements else None

    @property
    def previous(self) -> Statement | None:
        """The last earlier statement that the latest one contradicts."""
        latest = self.latest
        return next((s for s in reversed(self.statements[:-1]) if latest and s.stance != latest.stance), None)


@dataclass
class Note:
    entry: Entry
    text: str
    event: Entry | None
    role: str
    objective: str
    role_title: str = ""
    objective_text: str = ""


@dataclass
class Matrix:
    roles: list[str]
    titles: list[str]
    cells: list[list[int]]  # cells[sender][receiver]
    sent: list[int]
    received: list[int]
    max: int
    by_channel: list[tuple[str, int]]

    @property
    def rows(self) -> list[tuple[str, list[tuple[int, float]], int]]:
        """Per sender: its title, (count, shade 0..1) per receiver, and its total."""
        top = self.max or 1
        return [(self.titles[i], [(n, n / top) for n in row], self.sent[i]) for i, row in enumerate(self.cells)]


@dataclass
class ChartMarker:
    x: float
    y: float
    seq: int
    delta: int
    value: int
    label: str


@dataclass
class Chart:
    indicator: str
    name: str
    meaning: str
    start: int
    final: int
    low: int
    high: int
    points: str  # SVG polyline points
    markers: list[ChartMarker]
    y_ticks: list[tuple[float, int]]
    x_ticks: list[tuple[float, str, str]]  # x, phase title, clock label
    width: int
    height: int
    left: int
    top: int
    plot_w: int
    plot_h: int
    public: bool

    @property
    def right(self) -> int:
        return self.left + self.plot_w

    @property
    def bottom(self) -> int:
        return self.top + self.plot_h


@dataclass
class PhaseSummary:
    id: str
    title: str
    start: int
    reached: bool
    events: int = 0
    decisions: int = 0
    refused: int = 0
    messages: int = 0
    rejections: int = 0
    injects: int = 0


@dataclass
class QuestionReview:
    id: str
    text: str
    phases: list[str]
    actions: list[str]
    injects: list[str]
    rows: list[Row]
    more: int
    phase_rows: list[PhaseSummary]


@dataclass
class Analysis:
    log: Log
    final: engine.State
    decisions: list[Decision]
    rejections: list[Entry]
    rules: list[RuleCount]
    responses: list[InjectResponses]
    matrix: Matrix
    approvals: list[ApprovalRow]
    contradictions: list[Contradiction]
    objectives: list[RoleObjectives]
    notes: list[Note]
    notes_by_event: dict[int, list[Note]]
    series: dict[str, list[Entry]]
    phases: list[PhaseSummary]
    counts: Counter[str]
    report: dict[str, Any]
    report_entry: Entry | None

    @cached_property
    def decisions_by_seq(self) -> dict[int, Decision]:
        return {d.seq: d for d in self.decisions}

    @property
    def slow_approvals(self) -> list[ApprovalRow]:
        return sorted((a for a in self.approvals if a.flagged), key=lambda a: (-(a.delay_game or 0), a.requested_seq))

    @cached_property
    def charts(self) -> list[Chart]:
        return charts(self.log, self.series)

    @cached_property
    def role_response_summary(self) -> list[tuple[str, int, int, str]]:
        """Per role: injects received, answered, median answer time (game)."""
        got: dict[str, list[int | None]] = defaultdict(list)
        for inject in self.responses:
            if inject.lost:
                continue
            for r in inject.responses:
                got[r.role].append(r.game)
        out = []
        for role in playable_roles(self.log.scenario):
            times = got.get(role)
            if not times:
                continue
            answered = sorted(t for t in times if t is not None)
            median = answered[len(answered) // 2] if answered else None
            out.append((self.log.role_title(role), len(times), len(answered), duration_label(median)))
        return out

    @property
    def status_label(self) -> str:
        return status_label(self.final.status)

    @property
    def final_phase(self) -> str:
        return self.log.phase_title(self.final.phase)

    @property
    def executed_count(self) -> int:
        return sum(1 for d in self.decisions if d.status == "executed")

    @property
    def response_roles(self) -> list[str]:
        return [self.log.role_title(r) for r in playable_roles(self.log.scenario)]

    @cached_property
    def contradiction_topics(self) -> list[tuple[str, str, int]]:
        """(side, topic, how many contradictions), most first."""
        counts = Counter((c.side, c.topic) for c in self.contradictions)
        return [(side, topic, n) for (side, topic), n in counts.most_common()]

    @property
    def phase_legend(self) -> list[str]:
        return [
            f"{n}. {p.title.get(self.log.lang)} ({offset_label(p.start)})"
            for n, p in enumerate(self.log.scenario.phases, 1)
        ]

    @property
    def started(self) -> Entry | None:
        return next((e for e in self.log.entries if e.type == EventType.EXERCISE_STARTED), None)

    @property
    def ended(self) -> Entry | None:
        return next((e for e in reversed(self.log.entries) if e.type == EventType.EXERCISE_ENDED), None)

    @property
    def wall_span(self) -> str:
        start, end = self.started, self.ended or (self.log.entries[-1] if self.log.entries else None)
        if not start or not end:
            return "—"
        return duration_label((end.wall - start.wall).total_seconds())

    @property
    def game_span(self) -> str:
        start = self.started
        if not start:
            return "—"
        return duration_label(self.final.game_time - start.game_time)

    @property
    def cast(self) -> list[tuple[str, str]]:
        """(role title, player name) for every role held at the end."""
        return [
            (self.log.role_title(role), self.final.participants[pid].name if pid in self.final.participants else "")
            for role, pid in sorted(self.final.holders.items(), key=lambda kv: _role_order(self.log.scenario, kv[0]))
        ]


def status_label(status: str) -> str:
    return {"lobby": _("in the lobby"), "running": _("running"), "paused": _("paused"), "ended": _("ended")}.get(
        status, status
    )


def _role_order(scenario: Scenario, role: str) -> int:
    return next((n for n, r in enumerate(scenario.roles) if r.id == role), 999)


def playable_roles(scenario: Scenario) -> list[str]:
    return [r.id for r in scenario.roles if not r.institution]


def decisions(log: Log) -> list[Decision]:
    found: dict[int, Decision] = {}
    for e in log.entries:
        if e.type not in PROPOSAL_TYPES:
            continue
        p = e.payload
        if e.type == EventType.ACTION_PROPOSED:
            found[e.seq] = Decision(
                seq=e.seq,
                action=p["action"],
                title=log.action_title(p["action"]),
                role=e.role,
                role_title=log.role_title(e.role),
                side=e.side,
                option=p.get("option") or "",
                option_label=log.option_label(p["action"], p.get("option") or ""),
                rationale=p.get("rationale") or "",
                kind=p.get("kind") or "",
                game_time=e.game_time,
                wall=e.wall,
                actor=log.actor_label(e.actor),
                phase=e.phase,
                entry=e,
            )
            continue
        d = found.get(int(p.get("proposal") or 0))
        if d is None:
            continue
        if e.type == EventType.APPROVAL_REQUESTED:
            d.approvals.append(
                ApprovalRow(
                    proposal=d.seq,
                    action=d.action,
                    action_title=d.title,
                    proposer=d.role_title,
                    approver=p["approver"],
                    approver_title=log.role_title(p["approver"]),
                    rule=p.get("rule", ""),
                    kind=p.get("kind", ""),
                    requested_seq=e.seq,
                    requested_game=e.game_time,
                    requested_wall=e.wall,
                )
            )
        elif e.type == EventType.APPROVAL_RESOLVED:
            for a in d.approvals:
                if a.approver == p["approver"] and a.status == "pending":
                    a.status = p["status"]
                    a.by = {"engine": _("the institution"), "facilitator": _("the facilitator")}.get(
                        p.get("by", ""), log.role_title(p.get("by", ""))
                    )
                    a.reason = p.get("reason", "")
                    a.resolved_seq, a.resolved_game, a.resolved_wall = e.seq, e.game_time, e.wall
                    a.tally = p.get("tally")
                    a.probability = p.get("probability")
                    break
        else:
            d.status = {
                EventType.ACTION_EXECUTED: "executed",
                EventType.ACTION_REFUSED: "refused",
                EventType.ACTION_WITHDRAWN: "withdrawn",
            }[e.type]
            d.outcome_seq, d.outcome_game, d.outcome_wall = e.seq, e.game_time, e.wall
            if e.type == EventType.ACTION_REFUSED:
                d.refused_rule = p.get("rule", "")
                d.refused_by = log.role_title(p.get("approver", ""))
            elif e.type == EventType.ACTION_EXECUTED:
                d.bypassed = [
                    {"approver": log.role_title(b["approver"]), "rule": b.get("rule", "")}
                    for b in p.get("bypassed") or []
                ]
                d.chance = p.get("chance")
                d.public = e.public
            if e.type != EventType.ACTION_EXECUTED:
                for a in d.approvals:
                    if a.status == "pending":
                        a.status = "cancelled"
    return list(found.values())


def responses(log: Log) -> list[InjectResponses]:
    """For every inject, each recipient role's first message, proposal or approval answer after it."""
    scenario = log.scenario
    playable = set(playable_roles(scenario))
    acts: dict[str, list[Entry]] = defaultdict(list)
    for e in log.entries:
        if e.type in RESPONSE_TYPES and e.role:
            if e.type == EventType.APPROVAL_RESOLVED and e.payload.get("by") == "engine":
                continue  # an institution answering by itself is not a player's response
            acts[e.role].append(e)
    seqs = {role: [e.seq for e in items] for role, items in acts.items()}
    out = []
    for e in log.entries:
        if e.type not in (EventType.INJECT_RELEASED, EventType.INJECT_LOST):
            continue
        lost = e.type == EventType.INJECT_LOST
        if lost:
            inject = scenario.injects_by_id.get(e.payload.get("inject", ""))
            recipients = scenario.roles_of(inject.recipients) if inject else []
        else:
            recipients = e.payload.get("recipients") or []
        rows = []
        for role in recipients:
            if role not in playable:
                continue
            if lost:
                rows.append(Response(role, log.role_title(role), None))
                continue
            index = bisect.bisect_right(seqs.get(role, []), e.seq)
            first = acts[role][index] if index < len(seqs.get(role, [])) else None
            if first is None:
                rows.append(Response(role, log.role_title(role), None))
            else:
                rows.append(
                    Response(
                        role,
                        log.role_title(role),
                        first,
                        kind=first.type,
                        game=first.game_time - e.game_time,
                        wall=(first.wall - e.wall).total_seconds(),
                    )
                )
        by_role = {r.role: r for r in rows}
        out.append(
            InjectResponses(
                entry=e,
                title=log.inject_title(e.payload.get("inject", ""), e.payload),
                lost=lost,
                public=e.public,
                responses=rows,
                grid=[by_role.get(role) for role in playable_roles(scenario)],
            )
        )
    return out


def talk_matrix(log: Log) -> Matrix:
    """Messages sent by each role to each member of the channel it used (public channels: everyone)."""
    scenario = log.scenario
    roles = playable_roles(scenario)
    index = {r: n for n, r in enumerate(roles)}
    members = {ch.id: [r for r in scenario.roles_of(ch.members) if r in index] for ch in scenario.channels}
    cells = [[0] * len(roles) for _ in roles]
    per_channel: Counter[str] = Counter()
    for e in log.entries:
        if e.type != EventType.MESSAGE_SENT or e.role not in index:
            continue
        channel = e.payload.get("channel", "")
        per_channel[channel] += 1
        row = cells[index[e.role]]
        for r in members.get(channel, ()):
            if r != e.role:
                row[index[r]] += 1
    sent = [sum(row) for row in cells]
    received = [sum(cells[i][j] for i in range(len(roles))) for j in range(len(roles))]
    top = max((n for row in cells for n in row), default=0)
    return Matrix(
        roles=roles,
        titles=[log.role_title(r) for r in roles],
        cells=cells,
        sent=sent,
        received=received,
        max=top,
        by_channel=[(log.channel_name(ch), n) for ch, n in per_channel.most_common()],
    )


def blocking_rules(log: Log) -> list[RuleCount]:
    """Which rules refused players most: ``command_rejected`` and ``action_refused``, by rule tag."""
    counts: dict[str, RuleCount] = {}
    for e in log.entries:
        if e.type not in (EventType.COMMAND_REJECTED, EventType.ACTION_REFUSED):
            continue
        rule = e.payload.get("rule", "") or "?"
        row = counts.setdefault(rule, RuleCount(rule))
        if e.type == EventType.COMMAND_REJECTED:
            row.rejected += 1
            row.example = row.example or wording.rejection(e.payload, log.scenario, log.lang)
        else:
            row.refused += 1
        row.by_role[log.role_title(e.role) if e.role else log.actor_label(e.actor)] += 1
    return sorted(counts.values(), key=lambda r: (-r.total, r.rule))


def contradictions(log: Log) -> list[Contradiction]:
    """Each public contradiction, with the statements on that topic by that side up to it."""
    out = []
    said: dict[tuple[str, str], list[Statement]] = defaultdict(list)
    for e in log.entries:
        p = e.payload
        if e.type == EventType.ACTION_EXECUTED and p.get("statement"):
            stance = log.option_label(p.get("action", ""), p.get("option", "")) or p.get("stance", "")
            said[(p.get("side", ""), p["statement"])].append(Statement(e.seq, log.role_title(e.role), stance, e.public))
        elif e.type == EventType.CONTRADICTION:
            statements = list(said[(p.get("side", ""), p.get("topic", ""))])
            labels = {
                (o.stance or o.id): o.label.get(log.lang)
                for a in log.scenario.actions
                if a.statement == p.get("topic")
                for o in a.options
            }
            out.append(
                Contradiction(
                    e,
                    log.side_name(p.get("side", "")),
                    log.topic_label(p.get("topic", "")),
                    [labels.get(stance, stance) for stance in p.get("stances") or []],
                    p.get("rule", ""),
                    statements,
                )
            )
    return out


def objectives(log: Log, final: engine.State, first_true: dict[tuple[str, str], Entry]) -> list[RoleObjectives]:
    out = []
    for role in log.scenario.roles:
        if not role.objectives:
            continue
        results = []
        for o in role.objectives:
            met = holds(o.done_when, final, log.scenario)
            first = first_true.get((role.id, o.id))
            results.append(
                ObjectiveResult(
                    role=role.id,
                    role_title=role.title.get(log.lang),
                    id=o.id,
                    text=o.text.get(log.lang),
                    points=o.points,
                    met=met,
                    first_seq=first.seq if first else None,
                    first_game=first.game_time if first else None,
                    lost_later=bool(first) and not met,
                )
            )
        holder = final.holders.get(role.id, "")
        out.append(
            RoleObjectives(
                role.id,
                role.title.get(log.lang),
                role.side,
                final.participants[holder].name if holder in final.participants else "",
                results,
            )
        )
    return out


def fold_tracking(log: Log) -> tuple[engine.State, dict[tuple[str, str], Entry]]:
    """Fold the log once, noting the first event after which each objective held."""
    scenario = log.scenario
    state = engine.initial_state(scenario)
    pending = [(role.id, o) for role in scenario.roles for o in role.objectives]
    first: dict[tuple[str, str], Entry] = {}
    checked_at: int | None = None
    for e in log.entries:
        engine.apply(state, e.event())
        if not pending or (e.type not in CONDITION_TYPES and e.game_time == checked_at and e.seq != 1):
            continue
        checked_at = e.game_time
        still = []
        for role_id, o in pending:
            if holds(o.done_when, state, scenario):
                first[(role_id, o.id)] = e
            else:
                still.append((role_id, o))
        pending = still
    return state, first


def phase_summaries(log: Log) -> list[PhaseSummary]:
    started = any(e.type == EventType.EXERCISE_STARTED for e in log.entries)
    changed = {e.payload.get("phase") for e in log.entries if e.type == EventType.PHASE_CHANGED}
    first = log.scenario.phases[0].id
    rows = {
        p.id: PhaseSummary(p.id, p.title.get(log.lang), p.start, started and (p.id == first or p.id in changed))
        for p in log.scenario.phases
    }
    for e in log.entries:
        row = rows.get(e.phase)
        if row is None:
            continue
        row.events += 1
        if e.type == EventType.ACTION_EXECUTED:
            row.decisions += 1
        elif e.type == EventType.ACTION_REFUSED:
            row.refused += 1
        elif e.type == EventType.MESSAGE_SENT:
            row.messages += 1
        elif e.type == EventType.COMMAND_REJECTED:
            row.rejections += 1
        elif e.type == EventType.INJECT_RELEASED:
            row.injects += 1
    return list(rows.values())


def analyse(log: Log) -> Analysis:
    """Every analytic of the review, from one pass per concern over the in-memory log."""
    final, first_true = fold_tracking(log)
    decided = decisions(log)
    notes = []
    notes_by_event: dict[int, list[Note]] = defaultdict(list)
    series: dict[str, list[Entry]] = {i.id: [] for i in log.scenario.indicators}
    counts: Counter[str] = Counter()
    report: dict[str, Any] = {}
    report_entry = None
    rejections = []
    objectives_text = {o.id: o.text.get(log.lang) for r in log.scenario.roles for o in r.objectives}
    for e in log.entries:
        counts[e.type] += 1
        if e.type == EventType.NOTE_ADDED:
            target = log.by_seq.get(int(e.payload.get("event") or 0))
            role, objective = e.payload.get("role", ""), e.payload.get("objective", "")
            note = Note(
                e,
                e.payload.get("text", ""),
                target,
                role,
                objective,
                log.role_title(role) if role else "",
                objectives_text.get(objective, objective),
            )
            notes.append(note)
            if target is not None:
                notes_by_event[target.seq].append(note)
        elif e.type == EventType.INDICATOR_CHANGED:
            series.setdefault(e.payload.get("indicator", ""), []).append(e)
        elif e.type == EventType.REPORT_EDITED:
            report, report_entry = e.payload, e
        elif e.type == EventType.COMMAND_REJECTED:
            rejections.append(e)
    return Analysis(
        log=log,
        final=final,
        decisions=decided,
        rejections=rejections,
        rules=blocking_rules(log),
        responses=responses(log),
        matrix=talk_matrix(log),
        approvals=[a for d in decided for a in d.approvals],
        contradictions=contradictions(log),
        objectives=objectives(log, final, first_true),
        notes=notes,
        notes_by_event=dict(notes_by_event),
        series=series,
        phases=phase_summaries(log),
        counts=counts,
        report=report,
        report_entry=report_entry,
    )


# --------------------------------------------------------------------------- cache

CACHE_SIZE = 16
_CACHE: LRUCache[tuple[int, str, int, str], Analysis] = LRUCache(maxsize=CACHE_SIZE)
_LOCK = threading.Lock()  # cachetools' caches are not thread-safe


def analysis_for(exercise: Exercise) -> Analysis:
    """The analysis of this exercise as of its last event, cached per (exercise, last_seq, language).

    The share token is in the key too: it is random per exercise, so a primary key that a
    database reuses (SQLite after a delete) can never return another exercise's analysis.
    """
    lang = lang_now()
    key = (exercise.pk, exercise.share_token, exercise.last_seq, lang)
    with _LOCK:
        found = _CACHE.get(key)  # a hit counts as a use (least recently used goes first)
    if found is not None:
        return found
    result = analyse(load(exercise, lang=lang))
    with _LOCK:
        _CACHE[key] = result
    return result


def clear_cache() -> None:
    with _LOCK:
        _CACHE.clear()


# --------------------------------------------------------------------------- timeline


@dataclass
class Filters:
    role: str = ""
    side: str = ""
    phase: str = ""
    type: str = ""
    channel: str = ""
    q: str = ""
    page: str = "1"
    seq: str = ""  # jump to the page holding this event, and mark it

    @classmethod
    def from_query(cls, query: Any) -> Filters:
        return cls(
            **{
                k: (query.get(k) or "").strip()[:200]
                for k in ("role", "side", "phase", "type", "channel", "q", "page", "seq")
            }
        )

    def active(self) -> bool:
        return any((self.role, self.side, self.phase, self.type, self.channel, self.q))

    def query(self, **change: str) -> str:
        """The query string for a link (another page) keeping the other filters."""
        values = {k: getattr(self, k) for k in ("role", "side", "phase", "type", "channel", "q", "page")}
        values.update(change)
        return urlencode({k: v for k, v in values.items() if v and not (k == "page" and v == "1")})


@dataclass
class Row:
    entry: Entry
    text: str
    decision: Decision | None
    notes: list[Note]
    actor: str
    role_title: str
    side_name: str
    phase_title: str
    clock: datetime
    offset: str
    detail: str = ""


def make_row(
    log: Log, e: Entry, *, public: bool = False, decision: Decision | None = None, notes: list[Note] | None = None
) -> Row:
    detail = ""
    if e.type == EventType.INJECT_RELEASED:  # the inject's own text, as its recipients read it
        inject = log.scenario.injects_by_id.get(e.payload.get("inject", ""))
        detail = inject.text.get(log.lang) if inject else e.payload.get("text", "")
    return Row(
        entry=e,
        text=describe(log, e, public=public),
        decision=decision,
        notes=notes or [],
        actor=log.actor_label(e.actor),
        role_title=log.role_title(e.role) if e.role else "",
        side_name=log.side_name(e.side) if e.side else "",
        phase_title=log.phase_title(e.phase),
        clock=e.clock or log.game_clock(e.game_time),
        offset=offset_label(e.game_time),
        detail=detail,
    )


@dataclass
class TimelinePage:
    rows: list[Row]
    total: int
    matched: int
    page: int
    pages: int
    filters: Filters
    types: list[str]
    roles: list[tuple[str, str]]
    sides: list[tuple[str, str]]
    phases: list[tuple[str, str]]
    channels: list[tuple[str, str]]
    highlight: int = 0

    @property
    def first_index(self) -> int:
        return (self.page - 1) * PAGE_SIZE + 1 if self.matched else 0

    @property
    def last_index(self) -> int:
        return min(self.page * PAGE_SIZE, self.matched)

    @property
    def previous_query(self) -> str | None:
        return self.filters.query(page=str(self.page - 1)) if self.page > 1 else None

    @property
    def next_query(self) -> str | None:
        return self.filters.query(page=str(self.page + 1)) if self.page < self.pages else None

    @property
    def last_query(self) -> str:
        return self.filters.query(page=str(self.pages))


def timeline(
    analysis: Analysis, filters: Filters, *, viewer: engine.Viewer = engine.FACILITATOR_VIEW, public: bool = False
) -> TimelinePage:
    """One page of the filtered timeline; ``viewer`` limits it to what that viewer could see."""
    log = analysis.log
    entries = log.visible(viewer)
    matched = entries
    if filters.role:
        matched = [e for e in matched if e.role == filters.role]
    if filters.side:
        matched = [e for e in matched if e.side == filters.side]
    if filters.phase:
        matched = [e for e in matched if e.phase == filters.phase]
    if filters.type:
        matched = [e for e in matched if e.type == filters.type]
    if filters.channel:
        matched = [e for e in matched if e.channel == filters.channel]
    if filters.q:
        words = filters.q.lower().split()
        if public:  # search only what the page would show
            matched = [e for e in matched if all(w in describe(log, e, public=True).lower() for w in words)]
        else:
            hay = log.haystacks
            matched = [e for e in matched if all(w in hay[e.seq] for w in words)]
    pages = max(1, -(-len(matched) // PAGE_SIZE))
    highlight = int(filters.seq) if filters.seq.isdigit() else 0
    if highlight:
        index = bisect.bisect_left([e.seq for e in matched], highlight)
        page = min(index // PAGE_SIZE + 1, pages)
    elif filters.page == "last":
        page = pages
    else:
        try:
            page = min(max(1, int(filters.page)), pages)
        except ValueError:
            page = 1
    chunk = matched[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    rows = [
        make_row(
            log,
            e,
            public=public,
            decision=None if public else analysis.decisions_by_seq.get(e.seq),
            notes=[] if public else analysis.notes_by_event.get(e.seq, []),
        )
        for e in chunk
    ]
    sc = log.scenario
    present_types = sorted({e.type for e in entries})
    channel_ids = {e.channel for e in entries if e.channel}
    return TimelinePage(
        rows=rows,
        total=len(entries),
        matched=len(matched),
        page=page,
        pages=pages,
        filters=filters,
        types=present_types,
        roles=[(r.id, r.title.get(log.lang)) for r in sc.roles],
        sides=[(s.id, s.name.get(log.lang)) for s in sc.sides],
        phases=[(p.id, p.title.get(log.lang)) for p in sc.phases],
        channels=[(c.id, c.name.get(log.lang)) for c in sc.channels if c.id in channel_ids or not public],
        highlight=highlight,
    )


# --------------------------------------------------------------------------- replay


@dataclass
class ReplayMessage:
    entry: Entry
    channel: str
    sender: str
    text: str
    in_transit: bool
    clock: datetime
    offset: str


@dataclass
class PendingApproval:
    proposal: int
    action: str
    proposer: str
    rule: str
    waiting_on: list[str]
    since: str


@dataclass
class Screen:
    """A role's screen as it was right after event ``seq``: built from the log, filtered by ``can_see``."""

    role: str
    title: str
    holder: str
    seq: int
    last_seq: int
    game_time: int
    clock: datetime
    offset: str
    phase: str
    status: str
    indicators: list[tuple[str, int, int]]  # name, value, percent of its range
    feed: list[Row]
    feed_total: int
    messages: list[ReplayMessage]
    messages_total: int
    to_answer: list[PendingApproval]
    waiting: list[PendingApproval]
    channels: list[tuple[str, bool]]
    injects: list[tuple[str, datetime, str]]
    ticks: list[tuple[int, str]]  # seq of each phase change, its title (scrubber marks)


def replay_viewer(log: Log, role: str, state: engine.State) -> engine.Viewer:
    if role == "facilitator":
        return engine.FACILITATOR_VIEW
    if role in log.scenario.roles_by_id:
        return engine.Viewer(role=role, participant=state.holders.get(role, ""))
    return engine.PUBLIC_VIEW


def replay(log: Log, *, role: str, seq: int, feed_size: int = 40, message_size: int = 40) -> Screen:
    """What ``role`` ("" for the projector) could see right after event ``seq``: fold to ``seq``, then ``can_see``."""
    seq = max(1, min(seq, log.last_seq)) if log.entries else 0
    state = log.state_at(seq)
    viewer = replay_viewer(log, role, state)
    sc = log.scenario
    seen = [e for e in log.entries if e.seq <= seq and engine.can_see(e.event(), viewer)]
    feed_entries = [e for e in seen if e.type not in NOT_IN_FEED and e.type != EventType.REPORT_EDITED]
    message_entries = [e for e in seen if e.type in (EventType.MESSAGE_SENT, EventType.MESSAGE_DELIVERED)]
    delivered = {e.payload.get("message") for e in message_entries if e.type == EventType.MESSAGE_DELIVERED}
    messages = []
    for e in reversed(message_entries[-message_size:]):
        messages.append(
            ReplayMessage(
                entry=e,
                channel=log.channel_name(e.payload.get("channel", "")),
                sender=log.role_title(e.role),
                text=e.payload.get("text", ""),
                in_transit=e.type == EventType.MESSAGE_SENT
                and e.payload.get("deliver_at") is not None
                and e.seq not in delivered,
                clock=log.game_clock(e.game_time),
                offset=offset_label(e.game_time),
            )
        )
    feed = [make_row(log, e, public=not viewer.facilitator) for e in reversed(feed_entries[-feed_size:])]
    indicators = []
    for spec in sc.indicators:
        if viewer.facilitator or ALL in spec.visible_to or (role and role in sc.roles_of(spec.visible_to)):
            value = state.indicators.get(spec.id, spec.start)
            indicators.append((spec.name.get(log.lang), value, round((value - spec.min) / (spec.max - spec.min) * 100)))
    to_answer, waiting = [], []
    visible_seqs = {e.seq for e in seen}
    for proposal in state.pending_proposals():
        if proposal.id not in visible_seqs:
            continue
        outstanding = [a for a in proposal.approvals if a.status == "pending"]
        item = PendingApproval(
            proposal=proposal.id,
            action=log.action_title(proposal.action),
            proposer=log.role_title(proposal.role),
            rule=", ".join(a.rule for a in outstanding),
            waiting_on=[log.role_title(a.approver) for a in outstanding],
            since=offset_label(proposal.game_time),
        )
        if viewer.facilitator or any(a.approver == role for a in outstanding):
            to_answer.append(item)
        elif proposal.role == role or (role and sc.side_of(proposal.role) == sc.side_of(role)):
            waiting.append(item)
    if viewer.facilitator:
        channels = [(c.name.get(log.lang), state.channels.get(c.id, False)) for c in sc.channels]
    elif role:
        channels = [
            (c.name.get(log.lang), state.channels.get(c.id, False))
            for c in sc.channels
            if role in sc.roles_of(c.members)
        ]
    else:
        channels = [(c.name.get(log.lang), state.channels.get(c.id, False)) for c in sc.channels if c.public]
    injects = [
        (
            log.inject_title(e.payload.get("inject", ""), e.payload),
            log.game_clock(e.game_time),
            offset_label(e.game_time),
        )
        for e in reversed(seen)
        if e.type == EventType.INJECT_RELEASED
    ]
    holder = state.holders.get(role, "")
    entry = log.by_seq.get(seq)
    game_time = entry.game_time if entry else state.game_time
    return Screen(
        role=role,
        title=_("Facilitator (everything)")
        if role == "facilitator"
        else log.role_title(role)
        if role
        else _("Projector (public)"),
        holder=state.participants[holder].name if holder in state.participants else "",
        seq=seq,
        last_seq=log.last_seq,
        game_time=game_time,
        clock=log.game_clock(game_time),
        offset=offset_label(game_time),
        phase=log.phase_title(state.phase),
        status=state.status,
        indicators=indicators,
        feed=feed,
        feed_total=len(feed_entries),
        messages=messages,
        messages_total=len(message_entries),
        to_answer=to_answer,
        waiting=waiting,
        channels=channels,
        injects=injects,
        ticks=[
            (e.seq, log.phase_title(e.payload.get("phase") or sc.phases[0].id))
            for e in log.entries
            if e.type == EventType.EXERCISE_STARTED
            or (e.type == EventType.PHASE_CHANGED and not e.payload.get("stopped"))
        ],
    )


# --------------------------------------------------------------------------- charts

CHART_W, CHART_H = 640, 170
PAD_L, PAD_R, PAD_T, PAD_B = 40, 12, 12, 34


def charts(log: Log, series: dict[str, list[Entry]], *, public: bool = False) -> list[Chart]:
    """One step chart per indicator over game time, with a marker at every event that moved it."""
    sc = log.scenario
    start = sc.phases[0].start
    end = max([log.entries[-1].game_time if log.entries else start, start + 1])
    span = end - start
    plot_w, plot_h = CHART_W - PAD_L - PAD_R, CHART_H - PAD_T - PAD_B

    def x_of(game_time: int) -> float:
        return round(PAD_L + (game_time - start) / span * plot_w, 1)

    x_ticks = []  # phases are numbered on the axis and named in a legend: their names would overlap
    for n, p in enumerate(sc.phases, start=1):
        if start <= p.start <= end:
            x_ticks.append((x_of(p.start), str(n), f"{n}. {p.title.get(log.lang)} ({offset_label(p.start)})"))
    out = []
    for spec in sc.indicators:
        if public and ALL not in spec.visible_to:
            continue
        low, high = spec.min, spec.max

        def y_of(value: int, low: int = low, high: int = high) -> float:
            return round(PAD_T + (high - value) / (high - low) * plot_h, 1)

        value = spec.start
        points = [(x_of(start), y_of(value))]
        markers = []
        for e in series.get(spec.id, []):
            if public and not e.public:
                continue
            x = x_of(e.game_time)
            points.append((x, y_of(value)))
            value = e.payload.get("value", value)
            points.append((x, y_of(value)))
            markers.append(
                ChartMarker(
                    x=x,
                    y=y_of(value),
                    seq=e.seq,
                    delta=e.payload.get("delta", 0),
                    value=value,
                    label=f"#{e.seq} {offset_label(e.game_time)}: {describe(log, e, public=public)}",
                )
            )
        points.append((x_of(end), y_of(value)))
        out.append(
            Chart(
                indicator=spec.id,
                name=spec.name.get(log.lang),
                meaning=spec.meaning.get(log.lang),
                start=spec.start,
                final=value,
                low=low,
                high=high,
                points=" ".join(f"{x},{y}" for x, y in points),
                markers=markers,
                y_ticks=[(y_of(v), v) for v in (low, (low + high) // 2, high)],
                x_ticks=x_ticks,
                width=CHART_W,
                height=CHART_H,
                left=PAD_L,
                top=PAD_T,
                plot_w=plot_w,
                plot_h=plot_h,
                public=ALL in spec.visible_to,
            )
        )
    return out


# --------------------------------------------------------------------------- debrief questions


def debrief(analysis: Analysis, *, public: bool = False, limit: int = 25) -> list[QuestionReview]:
    """Each debrief question with what happened at it: its actions' and injects' events, its phases' figures."""
    log = analysis.log
    sc = log.scenario
    out = []
    for q in sc.debrief:
        actions = list(dict.fromkeys([*q.actions, *(a.id for a in sc.actions if q.id in a.debrief)]))
        injects = list(dict.fromkeys([*q.injects, *(i.id for i in sc.injects if q.id in i.debrief)]))
        action_set, inject_set = set(actions), set(injects)
        found = []
        for e in log.entries:
            if public and not e.public:
                continue
            if e.type in PROPOSAL_TYPES:
                action = e.payload.get("action") or _proposal_action(log, e.payload)
                if action in action_set and e.type in (
                    EventType.ACTION_PROPOSED,
                    EventType.ACTION_EXECUTED,
                    EventType.ACTION_REFUSED,
                    EventType.ACTION_WITHDRAWN,
                ):
                    found.append(e)
            elif e.type in (EventType.INJECT_RELEASED, EventType.INJECT_LOST) and e.payload.get("inject") in inject_set:
                found.append(e)
            elif e.type == EventType.NOTE_ADDED and not public and e.payload.get("event"):
                target = log.by_seq.get(int(e.payload["event"]))
                if target is not None and (
                    target.payload.get("action") in action_set or target.payload.get("inject") in inject_set
                ):
                    found.append(e)
        phase_rows = [p for p in analysis.phases if p.id in q.phases]
        out.append(
            QuestionReview(
                id=q.id,
                text=q.text.get(log.lang),
                phases=[log.phase_title(p) for p in q.phases],
                actions=[log.action_title(a) for a in actions] if not public else [],
                injects=[log.inject_title(i) for i in injects] if not public else [],
                rows=rows_for(log, found[:limit], public=public),
                more=max(0, len(found) - limit),
                phase_rows=phase_rows,
            )
        )
    return out


def rows_for(log: Log, entries: list[Entry], *, public: bool = False) -> list[Row]:
    return [make_row(log, e, public=public) for e in entries]


# --------------------------------------------------------------------------- the report


@dataclass
class Observation:
    """An automatic finding the instructor can adopt as a strength or an area for improvement."""

    text: str
    seq: int | None = None


def observations(analysis: Analysis) -> tuple[list[Observation], list[Observation]]:
    """Evidence from the log, sorted into strengths and areas for improvement (HSEEP AAR shape)."""
    strengths, improve = [], []
    for role in analysis.objectives:
        for r in role.results:
            if r.met and r.first_seq and r.first_seq > 1:  # achieved in play, not merely true from the start
                strengths.append(
                    Observation(
                        _("%(role)s met “%(objective)s” (from %(when)s)")
                        % {"role": r.role_title, "objective": r.text, "when": r.first_label},
                        r.first_seq,
                    )
                )
            elif r.lost_later:
                improve.append(
                    Observation(
                        _("%(role)s met “%(objective)s” at %(when)s but lost it by the end")
                        % {"role": r.role_title, "objective": r.text, "when": r.first_label},
                        r.first_seq,
                    )
                )
    answered = [(inj, r) for inj in analysis.responses if not inj.lost for r in inj.responses if r.entry is not None]
    fast = sorted(answered, key=lambda ir: ir[1].game or 0)[:3]
    for inj, r in fast:
        strengths.append(
            Observation(
                (
                    _("%(role)s answered “%(inject)s” within %(time)s of game time")
                    if r.game
                    else _("%(role)s answered “%(inject)s” at once")
                )
                % {"role": r.title, "inject": inj.title, "time": r.game_label},
                r.entry.seq if r.entry else None,
            )
        )
    silent = [
        (inj, r)
        for inj in analysis.responses
        if not inj.lost and not inj.public
        for r in inj.responses
        if r.entry is None
    ]
    for inj, r in silent[:5]:
        improve.append(
            Observation(
                _("%(role)s never answered “%(inject)s”") % {"role": r.title, "inject": inj.title}, inj.entry.seq
            )
        )
    first_contradiction: dict[tuple[str, str], Contradiction] = {}
    for c in analysis.contradictions:
        first_contradiction.setdefault((c.side, c.topic), c)
    for side, topic, n in analysis.contradiction_topics:
        c = first_contradiction[(side, topic)]
        improve.append(
            Observation(
                ngettext(
                    "%(side)s contradicted itself in public on %(topic)s (%(n)s time, first: %(stances)s)",
                    "%(side)s contradicted itself in public on %(topic)s (%(n)s times, first: %(stances)s)",
                    n,
                )
                % {"side": side, "topic": topic, "n": n, "stances": " → ".join(c.stances[-2:])},
                c.entry.seq,
            )
        )
    for rule in analysis.rules[:3]:
        if rule.total >= 2:
            improve.append(
                Observation(_("Rule %(rule)s stopped players %(n)s times") % {"rule": rule.rule, "n": rule.total})
            )
    refused = [a for a in analysis.approvals if a.status == "refused"]
    for a in refused[:5]:
        improve.append(
            Observation(
                _("%(approver)s refused %(action)s (%(rule)s)")
                % {"approver": a.approver_title, "action": a.action_title, "rule": a.rule},
                a.resolved_seq,
            )
        )
    executed = [d for d in analysis.decisions if d.status == "executed"]
    if executed:
        strengths.append(
            Observation(
                ngettext(
                    "%(n)s decision carried out of %(m)s proposed",
                    "%(n)s decisions carried out of %(m)s proposed",
                    len(executed),
                )
                % {"n": len(executed), "m": len(analysis.decisions)}
            )
        )
    return strengths, improve


def lines(text: str) -> list[str]:
    return [line.strip(" -•\t") for line in (text or "").splitlines() if line.strip(" -•\t")]


@dataclass
class Report:
    analysis: Analysis
    public: bool
    written: dict[str, Any]
    strengths_auto: list[Observation]
    improve_auto: list[Observation]
    questions: list[QuestionReview]
    charts: list[Chart]
    timeline: list[Row]

    @property
    def strengths(self) -> list[str]:
        return lines(self.written.get("strengths", ""))

    @property
    def improvements(self) -> list[str]:
        return lines(self.written.get("improvements", ""))

    @property
    def actions(self) -> list[dict[str, str]]:
        return [a for a in self.written.get("actions") or [] if any(a.values())]


def report(analysis: Analysis) -> Report:
    strengths, improve = observations(analysis)
    return Report(
        analysis=analysis,
        public=False,
        written=analysis.report,
        strengths_auto=strengths,
        improve_auto=improve,
        questions=debrief(analysis),
        charts=analysis.charts,
        timeline=[],
    )


# --------------------------------------------------------------------------- the players' share link


@dataclass
class SharedObjectives:
    title: str
    met: int
    total: int


@dataclass
class SharedApprover:
    title: str
    requested: int
    granted: int
    refused: int
    median_delay: str


@dataclass
class Shared:
    """What the players' read-only link shows: public events, public indicators, aggregate figures.

    No facilitator-only event, no private message or brief, no objective text, no hidden card.
    """

    log: Log
    title: str
    scenario_title: str
    summary: str
    public_entries: int
    timeline: TimelinePage
    charts: list[Chart]
    questions: list[QuestionReview]
    objectives: list[SharedObjectives]
    rules: list[tuple[str, int]]
    matrix: Matrix
    responses: list[InjectResponses]
    approvers: list[SharedApprover]
    contradictions: list[Contradiction]
    counts: dict[str, int]
    written: dict[str, Any]
    phase_legend: list[str] = field(default_factory=list)
    response_roles: list[str] = field(default_factory=list)
    contradiction_topics: list[tuple[str, str, int]] = field(default_factory=list)

    @property
    def strengths(self) -> list[str]:
        return lines(self.written.get("strengths", ""))

    @property
    def improvements(self) -> list[str]:
        return lines(self.written.get("improvements", ""))

    @property
    def actions(self) -> list[dict[str, str]]:
        return [a for a in self.written.get("actions") or [] if any(a.values())]


def shared(analysis: Analysis, filters: Filters) -> Shared:
    log = analysis.log
    public_log = Log(log.exercise, log.scenario, [e for e in log.entries if e.public], log.lang)
    public_log.names = log.names  # names are public: everyone sees who joined
    public_analysis_series = {k: [e for e in v if e.public] for k, v in analysis.series.items()}
    delays: dict[str, list[ApprovalRow]] = defaultdict(list)
    for a in analysis.approvals:
        delays[a.approver].append(a)
    approvers = []
    for approver, rows in delays.items():
        done = sorted(a.delay_game for a in rows if a.delay_game is not None)
        approvers.append(
            SharedApprover(
                title=log.role_title(approver),
                requested=len(rows),
                granted=sum(1 for a in rows if a.status == "granted"),
                refused=sum(1 for a in rows if a.status == "refused"),
                median_delay=duration_label(done[len(done) // 2]) if done else "—",
            )
        )
    public_contradictions = []
    for c in analysis.contradictions:
        statements = [s for s in c.statements if s.public]
        public_contradictions.append(Contradiction(c.entry, c.side, c.topic, c.stances, c.rule, statements))
    written = analysis.report if analysis.report.get("share") else {}
    # Debrief questions over the public events only.
    public_analysis = Analysis(
        log=public_log,
        final=analysis.final,
        decisions=[],
        rejections=[],
        rules=[],
        responses=[],
        matrix=analysis.matrix,
        approvals=[],
        contradictions=[],
        objectives=[],
        notes=[],
        notes_by_event={},
        series=public_analysis_series,
        phases=analysis.phases,
        counts=Counter(),
        report={},
        report_entry=None,
    )
    return Shared(
        log=public_log,
        title=log.exercise.title,
        scenario_title=log.scenario.title.get(log.lang),
        summary=log.scenario.summary.get(log.lang),
        public_entries=len(public_log.entries),
        timeline=timeline(public_analysis, filters, public=True),
        charts=charts(public_log, public_analysis_series, public=True),
        questions=debrief(public_analysis, public=True),
        objectives=[SharedObjectives(r.title, r.met, len(r.results)) for r in analysis.objectives],
        rules=[(r.rule, r.total) for r in analysis.rules],
        matrix=analysis.matrix,
        responses=[r for r in analysis.responses if r.public and not r.lost],
        approvers=sorted(approvers, key=lambda a: a.title),
        contradictions=public_contradictions,
        counts={
            "decisions": sum(1 for d in analysis.decisions if d.status == "executed"),
            "proposals": len(analysis.decisions),
            "messages": analysis.counts.get(EventType.MESSAGE_SENT, 0),
            "rejections": analysis.counts.get(EventType.COMMAND_REJECTED, 0),
            "refusals": analysis.counts.get(EventType.ACTION_REFUSED, 0),
            "contradictions": len(analysis.contradictions),
        },
        written=written,
        phase_legend=analysis.phase_legend,
        response_roles=analysis.response_roles,
        contradiction_topics=analysis.contradiction_topics,
    )


# --------------------------------------------------------------------------- exports


def _csv(rows: Iterator[list[Any]]) -> Iterator[str]:
    from .exports import csv_lines  # every CSV the app writes neutralises formulas there

    return csv_lines(rows)


DECISION_COLUMNS = [
    "proposal", "action", "action_title", "role", "side", "phase", "option", "rationale", "proposed_game_time",
    "proposed_game_clock", "proposed_at", "actor", "approvals", "status", "outcome_seq", "outcome_game_time",
    "outcome_at", "refused_rule", "refused_by", "bypassed", "chance",
]  # fmt: skip


def decisions_csv(analysis: Analysis) -> Iterator[str]:
    log = analysis.log

    def rows() -> Iterator[list[Any]]:
        yield DECISION_COLUMNS
        for d in analysis.decisions:
            approvals = "; ".join(
                f"{a.approver}:{a.rule}:{a.status}" + (f"@{a.resolved_game}" if a.resolved_game is not None else "")
                for a in d.approvals
            )
            yield [
                d.seq, d.action, d.title, d.role, d.side, d.phase, d.option, d.rationale, d.game_time,
                log.game_clock(d.game_time).isoformat(), d.wall.isoformat(), d.actor, approvals, d.status,
                d.outcome_seq or "", "" if d.outcome_game is None else d.outcome_game,
                d.outcome_wall.isoformat() if d.outcome_wall else "", d.refused_rule, d.refused_by,
                "; ".join(f"{b['approver']}:{b['rule']}" for b in d.bypassed),
                json.dumps(d.chance) if d.chance else "",
            ]  # fmt: skip

    return _csv(rows())


MESSAGE_COLUMNS = [
    "seq",
    "game_time",
    "game_clock",
    "at",
    "role",
    "actor",
    "channel",
    "recipients",
    "text",
    "deliver_at",
    "delivered_seq",
]


def messages_csv(analysis: Analysis) -> Iterator[str]:
    log = analysis.log
    sc = log.scenario
    delivered = {e.payload.get("message"): e.seq for e in log.entries if e.type == EventType.MESSAGE_DELIVERED}

    def rows() -> Iterator[list[Any]]:
        yield MESSAGE_COLUMNS
        for e in log.entries:
            if e.type != EventType.MESSAGE_SENT:
                continue
            channel = sc.channels_by_id.get(e.channel)
            recipients = [r for r in sc.roles_of(channel.members) if r != e.role] if channel else []
            yield [
                e.seq, e.game_time, log.game_clock(e.game_time).isoformat(), e.wall.isoformat(), e.role,
                log.actor_label(e.actor), e.channel, " ".join(recipients), e.payload.get("text", ""),
                e.payload.get("deliver_at", ""), delivered.get(e.seq, ""),
            ]  # fmt: skip

    return _csv(rows())


def scenario_snapshot(exercise: Exercise, fmt: str) -> str:
    snapshot = exercise.scenario.snapshot
    if fmt == "yaml":
        return yaml.safe_dump(snapshot, allow_unicode=True, sort_keys=False)
    return json.dumps(snapshot, ensure_ascii=False, indent=2)


# --------------------------------------------------------------------------- workshops


@dataclass
class TableColumn:
    exercise: Exercise
    analysis: Analysis


@dataclass
class Comparison:
    workshop: Workshop
    tables: list[TableColumn]
    decisions: list[
        tuple[str, str, list[list[tuple[str, str, int]]]]
    ]  # action title, role, per table [(status, when, seq)]
    indicators: list[tuple[str, int, list[int]]]
    objectives: list[tuple[str, str, int, list[bool]]]
    summary: list[tuple[str, list[str]]]


def compare(workshop: Workshop) -> Comparison:
    """The tables of one workshop side by side: decisions and their timing, final indicators, objectives."""
    exercises = list(workshop.tables.select_related("scenario").order_by("table", "pk"))
    tables = [TableColumn(ex, analysis_for(ex)) for ex in exercises]
    if not tables:
        return Comparison(workshop, [], [], [], [], [])
    first = tables[0].analysis.log
    sc = first.scenario
    decisions_rows = []
    for action in sc.actions:
        cells = []
        any_seen = False
        for t in tables:
            ds = [d for d in t.analysis.decisions if d.action == action.id]
            cell = []
            for d in ds:
                when = d.outcome_game if d.outcome_game is not None else d.game_time
                cell.append((d.status, offset_label(when), d.outcome_seq or d.seq))
            any_seen = any_seen or bool(cell)
            cells.append(cell)
        if any_seen:
            decisions_rows.append(
                (action.title.get(first.lang), ", ".join(first.role_title(r) for r in action.roles), cells)
            )
    indicators = [
        (spec.name.get(first.lang), spec.start, [t.analysis.final.indicators.get(spec.id, spec.start) for t in tables])
        for spec in sc.indicators
    ]
    objective_rows = []
    for n, role in enumerate(tables[0].analysis.objectives):
        for m, result in enumerate(role.results):
            objective_rows.append(
                (role.title, result.text, result.points, [t.analysis.objectives[n].results[m].met for t in tables])
            )
    summary = [
        (_("Events"), [str(len(t.analysis.log.entries)) for t in tables]),
        (
            _("Decisions executed"),
            [str(sum(1 for d in t.analysis.decisions if d.status == "executed")) for t in tables],
        ),
        (_("Proposals refused"), [str(sum(1 for d in t.analysis.decisions if d.status == "refused")) for t in tables]),
        (_("Commands refused by a rule"), [str(t.analysis.counts.get(EventType.COMMAND_REJECTED, 0)) for t in tables]),
        (_("Messages"), [str(t.analysis.counts.get(EventType.MESSAGE_SENT, 0)) for t in tables]),
        (_("Contradictions"), [str(len(t.analysis.contradictions)) for t in tables]),
        (
            _("Objective points"),
            [
                f"{sum(r.points for r in t.analysis.objectives)} / {sum(r.possible for r in t.analysis.objectives)}"
                for t in tables
            ],
        ),
        (_("Phase reached"), [t.analysis.log.phase_title(t.analysis.final.phase) for t in tables]),
    ]
    return Comparison(workshop, tables, decisions_rows, indicators, objective_rows, summary)
