"""What-if pages (docs/what-if.md): fork here, counterfactual runs, branches compared.

Access (``access.staff_view``; everyone else gets 404, anonymous visitors sign in):
- **fork** needs ``run`` (owner, co-facilitator): a fork is a new table run on; an evaluator may not
  (``services.fork`` refuses too);
- a **counterfactual run** needs ``view``: it changes nothing (in memory, bots only) and is an analysis,
  so an evaluator may run one; one active run per person at a time (``429`` otherwise);
- **compare** needs ``view`` on every exercise compared.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

import review.log
from jobs import runner
from jobs.models import ACTIVE, Job

from . import access, engine, selectors, services, whatif_compare, whatif_counterfactual
from .access import staff_view
from .engine import counterfactual as cf
from .models import Exercise, normalise_code


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value not in (None, "") else default
    except ValueError:
        return default


def _lang() -> str:
    return "es" if (get_language() or "en").startswith("es") else "en"


def _point(exercise: Exercise, seq: int) -> dict[str, Any]:
    """The event a fork or a counterfactual starts after, described for the page."""
    log = review.log.load(exercise)
    entry = log.by_seq.get(seq)
    return {
        "seq": seq,
        "entry": entry,
        "when": log.when(entry.game_time) if entry is not None else "",
        "what": log.describe(entry) if entry is not None else "",
        "last_seq": log.last_seq,
    }


# --------------------------------------------------------------------------- fork here


@require_http_methods(["GET", "POST"])
@staff_view("run")
def fork(request: HttpRequest, exercise: Exercise) -> HttpResponse:
    """GET: the small form (keep seats or not, a title); POST: the fork, then its console."""
    source = request.POST if request.method == "POST" else request.GET
    seq = _int(source.get("seq"), exercise.last_seq)
    error = ""
    if request.method == "POST":
        try:
            child = services.fork(
                exercise=exercise,
                at_seq=seq,
                by=request.user,
                keep_seats=request.POST.get("keep_seats") == "on",
                title=request.POST.get("title", "").strip()[:200],
            )
        except engine.Forbidden:
            raise Http404("no exercise with this code") from None
        except engine.InvalidCommand as exc:
            error = str(exc)
        else:
            return redirect("console", child.code)
    context = {
        "exercise": exercise,
        "point": _point(exercise, seq),
        "error": error,
        "title": request.POST.get("title", "") if request.method == "POST" else "",
        "keep_seats": request.POST.get("keep_seats") == "on",
    }
    return render(request, "whatif/fork.html", context, status=400 if error else 200)


# --------------------------------------------------------------------------- counterfactual runs


def _runs_of(exercise: Exercise) -> list[Job]:
    return list(
        Job.objects.filter(kind=whatif_counterfactual.KIND, params__exercise=exercise.pk).select_related("owner")[:20]
    )


@require_http_methods(["GET", "POST"])
@staff_view("view")
def counterfactual(request: HttpRequest, exercise: Exercise) -> HttpResponse:
    """GET: the form (fork point, changed decisions, seeds) and earlier runs; POST: start a run."""
    scenario = selectors.scenario_of(exercise)
    source = request.POST if request.method == "POST" else request.GET
    seq = max(1, min(_int(source.get("seq"), exercise.last_seq), max(exercise.last_seq, 1)))
    seeds = max(1, min(whatif_counterfactual.MAX_SEEDS, _int(source.get("seeds"), whatif_counterfactual.DEFAULT_SEEDS)))
    chosen = [request.POST.get(f"change{n}", "") for n in range(1, whatif_counterfactual.MAX_CHANGES + 1)]
    error, status = "", 200
    if request.method == "POST":
        busy = Job.objects.filter(kind=whatif_counterfactual.KIND, owner_id=request.user.pk, status__in=ACTIVE).first()
        if busy is not None and not runner.status_of(busy).active:
            busy = None
        try:
            changes = whatif_counterfactual.parse_changes(chosen, scenario)
            state = selectors.state_at(exercise, seq)
            if not 1 <= seq <= exercise.last_seq:
                raise cf.ChangeError(_("Choose an event from 1 to %(n)d.") % {"n": exercise.last_seq})
            if state.status == "ended" or state.game_time >= scenario.clock.end:
                raise cf.ChangeError(
                    _("The exercise had ended at event #%(seq)d: choose an earlier one.") % {"seq": seq}
                )
        except cf.ChangeError as exc:
            error, status = str(exc), 400
        else:
            if busy is not None:
                error, status = _("You already have a run going: wait for it to finish."), 429
            else:
                job = runner.submit(
                    whatif_counterfactual.KIND,
                    owner=request.user,
                    params={
                        "exercise": exercise.pk,
                        "at": seq,
                        "changes": [ch.text for ch in changes],
                        "seeds": seeds,
                    },
                )
                return redirect("whatif:run", exercise.code, job.pk)
    state = selectors.state_at(exercise, seq)
    context = {
        "exercise": exercise,
        "point": _point(exercise, seq),
        "seeds": seeds,
        "max_seeds": whatif_counterfactual.MAX_SEEDS,
        "groups": whatif_counterfactual.decision_choices(scenario, state, _lang()),
        "slots": list(enumerate(chosen, start=1)),
        "error": error,
        "runs": _runs_of(exercise),
    }
    return render(request, "whatif/counterfactual.html", context, status=status)


def _run_context(exercise: Exercise, job: Job) -> dict[str, Any]:
    scenario = selectors.scenario_of(exercise)
    lang = _lang()
    result = job.result or {}
    descriptions = []
    for text in result.get("changes") or job.params.get("changes") or []:
        label = next(
            (
                meaning
                for group in whatif_counterfactual.decision_choices(
                    scenario, selectors.state_at(exercise, job.params["at"]), lang
                )
                for value, meaning in group.choices
                if value == text
            ),
            "",
        )
        descriptions.append((text, label))
    return {
        "exercise": exercise,
        "job": job,
        "result": result,
        "point": _point(exercise, int(job.params.get("at") or 1)),
        "changes": descriptions,
        "charts": whatif_counterfactual.band_charts(scenario, result, lang) if job.status == "done" else [],
        "roles": whatif_counterfactual.role_objectives(scenario, result, lang) if job.status == "done" else [],
        "lang": lang,
        "poll_url": reverse("whatif:run", args=[exercise.code, job.pk]),
    }


@require_GET
@staff_view("view")
def run(request: HttpRequest, exercise: Exercise, job: str) -> HttpResponse:
    """A run's progress while it plays (the partial polls itself every second), then its results.

    Anyone who may view the exercise may read its runs (they are about the exercise, not the person)."""
    found = Job.objects.filter(pk=job, kind=whatif_counterfactual.KIND, params__exercise=exercise.pk).first()
    if found is None:
        raise Http404("no such run")
    found = runner.status_of(found)
    if getattr(request, "htmx", False):
        if found.active or found.status == "failed":
            return render(
                request,
                "jobs/job.html",
                {"job": found, "poll_url": reverse("whatif:run", args=[exercise.code, found.pk])},
            )
        return render(request, "whatif/_result.html", _run_context(exercise, found))
    return render(request, "whatif/run.html", _run_context(exercise, found))


# --------------------------------------------------------------------------- branches compared


def _codes(text: str) -> list[str]:
    return list(dict.fromkeys(normalise_code(c) for c in text.replace(" ", ",").split(",") if c.strip()))


@require_GET
def compare(request: HttpRequest) -> HttpResponse:
    """``/whatif/compare/?codes=A,B,C``: each code must be one the viewer may view (404 otherwise)."""
    if not request.user.is_authenticated:
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path())
    codes = _codes(request.GET.get("codes", ""))[: whatif_compare.MAX_BRANCHES + 1]
    exercises = [access.exercise_for(request.user, code, "view")[0] for code in codes]
    error = ""
    comparison = None
    if codes:  # no codes yet: just the form
        try:
            comparison = whatif_compare.compare(exercises)
        except whatif_compare.CompareError as exc:
            error = str(exc)
    context = {"comparison": comparison, "error": error, "codes": ",".join(codes), "exercises": exercises}
    return render(request, "whatif/compare.html", context, status=400 if error else 200)


@require_GET
@staff_view("view")
def compare_family(request: HttpRequest, exercise: Exercise) -> HttpResponse:
    """Compare with its parent and siblings (``?with=parent`` / ``siblings``) or its forks (``forks``)."""
    ancestors, forks = selectors.lineage(exercise, request.user)
    which = request.GET.get("with", "parent")
    codes = [exercise.code]
    visible = access.visible_exercises(request.user)
    if which == "forks":
        codes += [f.code for f in forks]
    else:
        if ancestors and ancestors[0].visible:  # type: ignore[attr-defined]
            codes.insert(0, ancestors[0].code)
        if which == "siblings" and exercise.parent_id:
            codes += list(
                visible.filter(parent_id=exercise.parent_id)
                .exclude(pk=exercise.pk)
                .order_by("created_at")
                .values_list("code", flat=True)
            )
    return redirect(f"{reverse('whatif:compare')}?codes={','.join(codes[: whatif_compare.MAX_BRANCHES])}")
