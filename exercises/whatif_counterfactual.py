"""What the what-if pages read: changed-decision choices, the counterfactual job, band charts,
and branches compared side by side (docs/what-if.md).

The views (``whatif_views``) stay thin: they check access, call these, render ``templates/whatif/``.
A counterfactual run is a background job (``jobs``): its result JSON is stored on the job, so
the result page reloads without recomputing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

import review.analytics
from jobs.runner import JobFailed, Progress, register
from scenarios.schema import Scenario

from . import selectors
from .engine import counterfactual as cf
from .engine.clock import offset_label
from .engine.rules import action_views
from .engine.state import State
from .models import Exercise

KIND = "counterfactual"
DEFAULT_SEEDS, MAX_SEEDS = 20, 50
MAX_CHANGES = 3  # changed decisions on one run (the page offers this many selects)
CHART_W, CHART_H = 640, 170
PAD_L, PAD_R, PAD_T, PAD_B = 40, 12, 12, 34
MAX_BRANCHES = 6  # compared side by side (one line style each)


# --------------------------------------------------------------------------- changed decisions


@dataclass(frozen=True)
class ChoiceGroup:
    label: str
    choices: list[tuple[str, str]]  # (change text for ``cf.parse_change``, what it means)


def decision_choices(scenario: Scenario, state: State, lang: str) -> list[ChoiceGroup]:
    """The changed decisions worth offering at this point, built from the scenario and the state:

    - approvals still awaited (``ACTION@ROLE=grant|refuse``: "the Senate grants");
    - actions a role could still take, now or later in the game (``ACTION=go`` or an option,
      ``ACTION=never``): not those already done once, nor those forbidden outright;
    - how every approver answers an action that needs approvals (``ACTION@*=grant|refuse``).
    """
    titles = {r.id: r.title.get(lang) for r in scenario.roles}
    pending: list[tuple[str, str]] = []
    seen_pending: set[str] = set()
    for proposal in state.pending_proposals():
        action = scenario.actions_by_id.get(proposal.action)
        if action is None:
            continue
        for approval in proposal.approvals:
            key = f"{action.id}@{approval.approver}"
            if approval.status != "pending" or key in seen_pending:
                continue
            seen_pending.add(key)
            who, what = titles.get(approval.approver, approval.approver), action.title.get(lang)
            pending.append((f"{key}=grant", _("%(who)s grants: %(what)s") % {"who": who, "what": what}))
            pending.append((f"{key}=refuse", _("%(who)s refuses: %(what)s") % {"who": who, "what": what}))
    open_: list[tuple[str, str]] = []
    answers: list[tuple[str, str]] = []
    offered: set[str] = set()
    for role in scenario.roles:
        for view in action_views(scenario, state, role.id):
            action = view.action
            if action.id in offered:
                continue
            if any(k.blocking and k.kind in ("once", "forbidden") for k in view.constraints):
                continue
            offered.add(action.id)
            who, what = titles.get(action.roles[0], action.roles[0]), action.title.get(lang)
            if action.options:
                for option in action.options:
                    open_.append(
                        (
                            f"{action.id}={option.id}",
                            _("%(who)s: %(what)s — %(option)s")
                            % {"who": who, "what": what, "option": option.label.get(lang)},
                        )
                    )
            else:
                open_.append((f"{action.id}=go", _("%(who)s: %(what)s") % {"who": who, "what": what}))
            open_.append((f"{action.id}=never", _("Nobody: %(what)s") % {"what": what}))
            if action.approvals:
                answers.append((f"{action.id}@*=grant", _("Every approver grants: %(what)s") % {"what": what}))
                answers.append((f"{action.id}@*=refuse", _("Every approver refuses: %(what)s") % {"what": what}))
    groups = [
        ChoiceGroup(_("Approvals awaited at this point"), pending),
        ChoiceGroup(_("A role takes an action (or nobody does)"), open_),
        ChoiceGroup(_("How approvers answer"), answers),
    ]
    return [g for g in groups if g.choices]


def parse_changes(texts: Iterable[str], scenario: Scenario) -> list[cf.Change]:
    """The non-empty changed decisions, parsed (``cf.ChangeError`` says which is wrong); duplicates once."""
    out: list[cf.Change] = []
    for text in texts:
        if text.strip():
            change = cf.parse_change(text, scenario)
            if change not in out:
                out.append(change)
    if len(out) > MAX_CHANGES:
        raise cf.ChangeError(_("at most %(n)d changed decisions") % {"n": MAX_CHANGES})
    return out


# --------------------------------------------------------------------------- the job


@register(KIND)
def counterfactual_job(progress: Progress, params: dict[str, Any]) -> dict[str, Any]:
    """Play ``seeds`` runs of the exercise from ``at`` with the changes; the result JSON is stored on the job."""
    exercise = Exercise.objects.select_related("scenario").filter(pk=int(params.get("exercise") or 0)).first()
    if exercise is None:
        raise JobFailed("this exercise no longer exists")
    scenario = selectors.scenario_of(exercise)
    seeds = max(1, min(MAX_SEEDS, int(params.get("seeds") or DEFAULT_SEEDS)))
    try:
        changes = [cf.parse_change(text, scenario) for text in params.get("changes") or []]
        result = cf.run(
            scenario,
            selectors.log(exercise.pk),
            at_seq=int(params["at"]),
            seeds=range(1, seeds + 1),
            changes=changes,
            progress=lambda done, total: progress(done * 100 / total, f"{done}/{total}"),
        )
    except ValueError as exc:  # ChangeError too: the page validated, but the log may have moved
        raise JobFailed(str(exc)) from None
    return {"exercise": exercise.code, **result.as_dict()}


# --------------------------------------------------------------------------- band charts


class _PlotFrame:
    """The one chart size of the what-if pages (the review's line-chart margins), for the templates."""

    width = CHART_W
    height = CHART_H
    left = PAD_L
    top = PAD_T
    plot_w = CHART_W - PAD_L - PAD_R
    plot_h = CHART_H - PAD_T - PAD_B
    right = left + plot_w
    bottom = top + plot_h


@dataclass
class BandChart(_PlotFrame):
    indicator: str
    name: str
    meaning: str
    start: int
    median_final: float
    p10_final: float
    p90_final: float
    actual_final: int | None
    band: str  # SVG polygon points: p90 left to right, then p10 back
    median: str  # SVG polyline points
    actual: str  # SVG polyline points of the real exercise ("" when it did not go on)
    y_ticks: list[tuple[float, int]]
    x_ticks: list[tuple[float, str, str]]


def _num(value: float) -> str:
    """A number for SVG: a dot, never the page's decimal comma."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def band_charts(scenario: Scenario, result: dict[str, Any], lang: str) -> list[BandChart]:
    """One chart per indicator: median and 10–90 % band over the rest of the game, the real run beside.

    The x axis is the samples' order: they are spread evenly over the *play* time left (as the
    runner samples them), so a slow first day gets as much room as the fast weeks; the phases
    are marked where they start.
    """
    times: list[int] = result.get("times") or []
    n = len(times)
    plot_w, plot_h = CHART_W - PAD_L - PAD_R, CHART_H - PAD_T - PAD_B
    if n < 2:
        return []

    def x_of(i: int) -> float:
        return PAD_L + i / (n - 1) * plot_w

    x_ticks = []
    for number, phase in enumerate(scenario.phases, start=1):
        nxt = scenario.phases[number] if number < len(scenario.phases) else None
        if nxt is not None and nxt.start <= times[0]:
            continue  # over before the fork point
        i = next((k for k, t in enumerate(times) if t >= phase.start), None)
        if i is None:
            continue  # after the scenario's end
        x_ticks.append(
            (round(x_of(i), 1), str(number), f"{number}. {phase.title.get(lang)} ({offset_label(phase.start)})")
        )
    out = []
    actual: dict[str, list[int]] = result.get("actual") or {}
    for spec in scenario.indicators:
        bands = (result.get("bands") or {}).get(spec.id)
        if not bands:
            continue
        low, high = spec.min, spec.max

        def y_of(value: float, low: int = low, high: int = high) -> float:
            return PAD_T + (high - value) / (high - low) * plot_h

        def line(values: Sequence[float]) -> str:
            return " ".join(f"{_num(x_of(i))},{_num(y_of(v))}" for i, v in enumerate(values))

        upper = [f"{_num(x_of(i))},{_num(y_of(v))}" for i, v in enumerate(bands["p90"])]
        lower = [f"{_num(x_of(i))},{_num(y_of(v))}" for i, v in reversed(list(enumerate(bands["p10"])))]
        real = actual.get(spec.id) or []
        out.append(
            BandChart(
                indicator=spec.id,
                name=spec.name.get(lang),
                meaning=spec.meaning.get(lang),
                start=spec.start,
                median_final=bands["p50"][-1],
                p10_final=bands["p10"][-1],
                p90_final=bands["p90"][-1],
                actual_final=real[-1] if real else None,
                band=" ".join(upper + lower),
                median=line(bands["p50"]),
                actual=line(real) if len(real) >= 2 else "",
                y_ticks=[(round(y_of(v), 1), v) for v in (low, (low + high) // 2, high)],
                x_ticks=x_ticks,
            )
        )
    return out


def role_objectives(scenario: Scenario, result: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    """The objectives' rates grouped by role, in the scenario's order."""
    by_role: dict[str, list[dict[str, Any]]] = {}
    for row in result.get("objectives") or []:
        by_role.setdefault(row["role"], []).append(
            {**row, "label": (row.get("text") or {}).get(lang, row["objective"])}
        )
    return [
        {"role": r.id, "title": r.title.get(lang), "objectives": by_role[r.id]}
        for r in scenario.roles
        if by_role.get(r.id)
    ]


# --------------------------------------------------------------------------- branches compared


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
class OverlayChart(_PlotFrame):
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
            lines.append((b, " ".join(f"{_num(x)},{_num(y)}" for x, y in points), value))
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
