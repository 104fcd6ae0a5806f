"""What the counterfactual pages read: changed-decision choices, the counterfactual job, and
its band charts (docs/what-if.md). Branches compared side by side are in ``whatif_compare``.

The views (``whatif_views``) stay thin: they check access, call these, render ``templates/whatif/``.
A counterfactual run is a background job (``jobs``): its result JSON is stored on the job, so
the result page reloads without recomputing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

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


class PlotFrame:
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
class BandChart(PlotFrame):
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


def svg_number(value: float) -> str:
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
            return " ".join(f"{svg_number(x_of(i))},{svg_number(y_of(v))}" for i, v in enumerate(values))

        upper = [f"{svg_number(x_of(i))},{svg_number(y_of(v))}" for i, v in enumerate(bands["p90"])]
        lower = [f"{svg_number(x_of(i))},{svg_number(y_of(v))}" for i, v in reversed(list(enumerate(bands["p10"])))]
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
