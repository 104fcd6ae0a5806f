"""``analyse``: every analytic of one log in one fold (``Analysis``), objectives, phase summaries,
evaluator notes, and ``analysis_for``, the per-process cache keyed by the log's last event."""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from cachetools import LRUCache
from django.utils.translation import gettext as _

from exercises import engine
from exercises.engine.clock import duration_label, offset_label
from exercises.engine.conditions import holds
from exercises.engine.events import EventType
from exercises.models import Exercise

from .charts import Chart, charts
from .coordination import (
    Contradiction,
    InjectResponses,
    Matrix,
    RuleCount,
    blocking_rules,
    contradictions,
    playable_roles,
    responses,
    role_order,
    talk_matrix,
)
from .decisions import ApprovalRow, Decision, decisions
from .log import Entry, Log, lang_now, load

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
class Note:
    entry: Entry
    text: str
    event: Entry | None
    role: str
    objective: str
    role_title: str = ""
    objective_text: str = ""


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
            for role, pid in sorted(self.final.holders.items(), key=lambda kv: role_order(self.log.scenario, kv[0]))
        ]


def status_label(status: str) -> str:
    return {"lobby": _("in the lobby"), "running": _("running"), "paused": _("paused"), "ended": _("ended")}.get(
        status, status
    )


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


# What a phase's row counts, by event type.
PHASE_COUNTS = {
    EventType.ACTION_EXECUTED: "decisions",
    EventType.ACTION_REFUSED: "refused",
    EventType.MESSAGE_SENT: "messages",
    EventType.COMMAND_REJECTED: "rejections",
    EventType.INJECT_RELEASED: "injects",
}


def phase_summaries(log: Log) -> list[PhaseSummary]:
    started = bool(log.of_type(EventType.EXERCISE_STARTED))
    changed = {e.payload.get("phase") for e in log.of_type(EventType.PHASE_CHANGED)}
    first = log.scenario.phases[0].id
    rows = {
        p.id: PhaseSummary(p.id, p.title.get(log.lang), p.start, started and (p.id == first or p.id in changed))
        for p in log.scenario.phases
    }
    for e in log.entries:
        row = rows.get(e.phase)
        if row is not None:
            row.events += 1
    for type_, name in PHASE_COUNTS.items():
        for e in log.of_type(type_):
            row = rows.get(e.phase)
            if row is not None:
                setattr(row, name, getattr(row, name) + 1)
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
    for type_, entries in log.by_type.items():
        counts[type_] = len(entries)
    for e in log.of_type(
        EventType.NOTE_ADDED, EventType.INDICATOR_CHANGED, EventType.REPORT_EDITED, EventType.COMMAND_REJECTED
    ):
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
