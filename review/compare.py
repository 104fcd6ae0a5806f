"""The tables of one workshop side by side (``compare``)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from exercises import selectors
from exercises.engine.clock import offset_label
from exercises.engine.events import EventType
from exercises.models import Exercise, Workshop

from .analytics import Analysis, analysis_for

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
    exercises = selectors.workshop_exercises(workshop)
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
