"""The after-action report: debrief questions, automatic observations, ``Report``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from exercises.engine.events import PROPOSAL_LIFE, EventType

from .analytics import Analysis, PhaseSummary
from .charts import Chart
from .coordination import Contradiction
from .timeline import Row, rows_for


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
            if e.type in PROPOSAL_LIFE:
                action = e.payload.get("action") or log.labels.proposal_action(int(e.payload.get("proposal") or 0))
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
        for result in role.results:
            if (
                result.met and result.first_seq and result.first_seq > 1
            ):  # achieved in play, not merely true from the start
                strengths.append(
                    Observation(
                        _("%(role)s met “%(objective)s” (from %(when)s)")
                        % {"role": result.role_title, "objective": result.text, "when": result.first_label},
                        result.first_seq,
                    )
                )
            elif result.lost_later:
                improve.append(
                    Observation(
                        _("%(role)s met “%(objective)s” at %(when)s but lost it by the end")
                        % {"role": result.role_title, "objective": result.text, "when": result.first_label},
                        result.first_seq,
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


class WrittenParts:
    """The facilitator's written parts of the report (``written``: the last ``report_edited``
    payload), as the report and the players' share page both show them."""

    written: dict[str, Any]

    @property
    def strengths(self) -> list[str]:
        return lines(self.written.get("strengths", ""))

    @property
    def improvements(self) -> list[str]:
        return lines(self.written.get("improvements", ""))

    @property
    def actions(self) -> list[dict[str, str]]:
        return [a for a in self.written.get("actions") or [] if any(a.values())]


@dataclass
class Report(WrittenParts):
    analysis: Analysis
    public: bool
    written: dict[str, Any]
    strengths_auto: list[Observation]
    improve_auto: list[Observation]
    questions: list[QuestionReview]
    charts: list[Chart]
    timeline: list[Row]


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
