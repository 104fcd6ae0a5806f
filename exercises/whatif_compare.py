"""What the compare page reads: two or more branches of one exercise side by side, from their
common ancestor (the lineage paths, where they diverge, their decisions aligned by game time, and
one overlay chart per indicator; docs/what-if.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

import review.analytics
from scenarios.schema import Scenario

from .engine.clock import offset_label
from .models import Exercise
from .whatif_counterfactual import CHART_H, CHART_W, PAD_B, PAD_L, PAD_R, PAD_T, PlotFrame, svg_number

MAX_BRANCHES = 6  # compared side by side (one line style each)


@dataclass(frozen=True)
class Step:
    """One exercise on a lineage path: its pk and the parent seq it was forked at (None for a root)."""

    pk: int
    at: int | None


def path_of(exercise: Exercise) -> list[Step]:
    """Root first, ``exercise`` last."""
    chain = [Step(exercise.pk, exercise.parent_seq)]
    seen = {exercise.pk}
    current = exercise
    while current.parent_id is not None and current.parent_id not in seen:
        parent = Exercise.objects.filter(pk=current.parent_id).only("pk", "parent_id", "parent_seq").first()
        if parent is None:
            break
        chain.append(Step(parent.pk, parent.parent_seq))
        seen.add(parent.pk)
        current = parent
    return list(reversed(chain))


def divergence(paths: Sequence[Sequence[Step]]) -> tuple[int, int | None, list[int | None]] | None:
    """The common ancestor's pk, the seq after which the branches differ (None: they do not), and
    each branch's own leaving seq on that ancestor (None for the ancestor itself); None if they
    share no ancestor.

    The branches share the ancestor's events 1…seq: each fork copies its parent's log up to the
    seq it was forked at, so the earliest leaving point is where the first difference can be.
    """
    if not paths or any(not p for p in paths):
        return None
    depth = 0
    while all(len(p) > depth for p in paths) and len({p[depth].pk for p in paths}) == 1:
        depth += 1
    if depth == 0:
        return None
    ancestor = paths[0][depth - 1].pk
    leaving = [p[depth].at if len(p) > depth else None for p in paths]
    known = [s for s in leaving if s is not None]
    return ancestor, (min(known) if known else None), leaving


@dataclass(frozen=True)
class Item:
    """A decision in one branch, as the compare table aligns it."""

    game_time: int
    action: str
    option: str
    title: str
    status: str
    seq: int
    role_title: str = ""


@dataclass
class Row:
    game_time: int
    title: str
    cells: list[Item | None]
    after: bool  # happened after the divergence in at least one branch
    differs: bool  # not the same in every branch
    first_after: bool = False  # the divergence line goes right above this row
    when: str = ""  # the game clock, for the page


def align(branches: Sequence[Sequence[Item]], diverge_seq: int | None) -> list[Row]:
    """Decisions of each branch aligned by game time: one row per (time, action, option), a cell per branch.

    A decision copied into a fork (proposed before the divergence) has the same time, action and
    option in every branch, so it lands on one row; one made after the divergence gets its own row
    at its own time. ``first_after`` marks where the divergence line goes.
    """
    rows: dict[tuple[int, str, str, bool], Row] = {}
    for b, items in enumerate(branches):
        for item in items:
            after = diverge_seq is not None and item.seq > diverge_seq
            key = (item.game_time, item.action, item.option, after)
            row = rows.get(key)
            if row is None:
                row = rows[key] = Row(item.game_time, item.title, [None] * len(branches), after, False)
            if row.cells[b] is None:  # the same action twice at one moment: the first stands for both
                row.cells[b] = item
    ordered = sorted(rows.values(), key=lambda r: (r.after, r.game_time, r.title))
    for row in ordered:
        statuses = {(c.status if c else None) for c in row.cells}
        row.differs = len(statuses) > 1
    first = next((r for r in ordered if r.after), None)
    if first is not None:
        first.first_after = True
    return ordered


@dataclass
class Branch:
    exercise: Exercise
    analysis: review.analytics.Analysis
    letter: str
    leaves_at: int | None  # seq on the common ancestor where this branch leaves it
    style: int  # 1..MAX_BRANCHES: the line's colour and dash
    is_ancestor: bool = False


@dataclass
class OverlayChart(PlotFrame):
    indicator: str
    name: str
    lines: list[tuple[Branch, str, int]]  # branch, SVG polyline points, final value
    y_ticks: list[tuple[float, int]]
    x_ticks: list[tuple[float, str, str]]
    diverge_x: float | None


@dataclass
class Comparison:
    branches: list[Branch]
    ancestor: Exercise
    diverge_seq: int | None
    diverge_time: int | None
    diverge_label: str
    rows: list[Row]
    charts: list[OverlayChart]
    shared_rows: int = field(default=0)


class CompareError(ValueError):
    """Exercises that cannot be compared; the message says why."""


def compare(exercises: Sequence[Exercise]) -> Comparison:
    """Two or more exercises with a common ancestor, side by side (``CompareError`` otherwise)."""
    if not 2 <= len(exercises) <= MAX_BRANCHES:
        raise CompareError(_("Choose from 2 to %(n)d exercises.") % {"n": MAX_BRANCHES})
    paths = [path_of(e) for e in exercises]
    found = divergence(paths)
    if found is None:
        raise CompareError(_("These exercises have no common ancestor: compare forks of one exercise."))
    ancestor_pk, diverge_seq, leaving = found
    ancestor = next((e for e in exercises if e.pk == ancestor_pk), None) or Exercise.objects.get(pk=ancestor_pk)
    branches = [
        Branch(
            e, review.analytics.analysis_for(e), chr(ord("A") + n), leaving[n], n + 1, is_ancestor=e.pk == ancestor_pk
        )
        for n, e in enumerate(exercises)
    ]
    first = branches[0].analysis.log
    sc = first.scenario
    diverge_time = None
    if diverge_seq is not None:
        entry = next(
            (b.analysis.log.by_seq.get(diverge_seq) for b in branches if diverge_seq in b.analysis.log.by_seq), None
        )
        diverge_time = entry.game_time if entry is not None else None
    items = [
        [
            Item(
                game_time=d.game_time,
                action=d.action,
                option=d.option,
                title=d.title + (f" — {d.option_label}" if d.option_label else ""),
                status=d.status,
                seq=d.seq,
                role_title=d.role_title,
            )
            for d in b.analysis.decisions
        ]
        for b in branches
    ]
    rows = align(items, diverge_seq)
    for row in rows:
        row.when = first.when(row.game_time)
    charts = overlay_charts(sc, branches, first.lang, diverge_time)
    label = first.when(diverge_time) if diverge_time is not None else ""
    return Comparison(
        branches=branches,
        ancestor=ancestor,
        diverge_seq=diverge_seq,
        diverge_time=diverge_time,
        diverge_label=label,
        rows=rows,
        charts=charts,
        shared_rows=sum(1 for r in rows if not r.after),
    )


def overlay_charts(
    scenario: Scenario, branches: Sequence[Branch], lang: str, diverge_time: int | None
) -> list[OverlayChart]:
    """One SVG per indicator, a step line per branch over a shared game-time axis."""
    start = scenario.phases[0].start
    ends = [b.analysis.log.entries[-1].game_time for b in branches if b.analysis.log.entries]
    end = max([*ends, start + 1])
    span = end - start
    plot_w, plot_h = CHART_W - PAD_L - PAD_R, CHART_H - PAD_T - PAD_B

    def x_of(game_time: int) -> float:
        return PAD_L + (game_time - start) / span * plot_w

    x_ticks = [
        (round(x_of(p.start), 1), str(n), f"{n}. {p.title.get(lang)} ({offset_label(p.start)})")
        for n, p in enumerate(scenario.phases, start=1)
        if start <= p.start <= end
    ]
    out = []
    for spec in scenario.indicators:
        low, high = spec.min, spec.max

        def y_of(value: int, low: int = low, high: int = high) -> float:
            return PAD_T + (high - value) / (high - low) * plot_h

        lines = []
        for b in branches:
            value = spec.start
            points = [(x_of(start), y_of(value))]
            for e in b.analysis.series.get(spec.id, []):
                x = x_of(e.game_time)
                points.append((x, y_of(value)))
                value = e.payload.get("value", value)
                points.append((x, y_of(value)))
            last = b.analysis.log.entries[-1].game_time if b.analysis.log.entries else start
            points.append((x_of(last), y_of(value)))
            lines.append((b, " ".join(f"{svg_number(x)},{svg_number(y)}" for x, y in points), value))
        out.append(
            OverlayChart(
                indicator=spec.id,
                name=spec.name.get(lang),
                lines=lines,
                y_ticks=[(round(y_of(v), 1), v) for v in (low, (low + high) // 2, high)],
                x_ticks=x_ticks,
                diverge_x=round(x_of(diverge_time), 1) if diverge_time is not None else None,
            )
        )
    return out
