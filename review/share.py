"""The players' read-only share page (``shared``): public events and aggregates only."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from exercises.engine.clock import duration_label
from exercises.engine.events import EventType

from .analytics import Analysis
from .charts import Chart, charts
from .coordination import Contradiction, InjectResponses, Matrix
from .decisions import ApprovalRow
from .log import Log
from .report import QuestionReview, WrittenParts, debrief
from .timeline import TimelineFilters, TimelinePage, timeline

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
class Shared(WrittenParts):
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


def shared(analysis: Analysis, filters: TimelineFilters) -> Shared:
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
