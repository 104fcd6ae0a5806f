"""The facilitator's pages for one exercise: the console, its commands and feed, playing an
unfilled role, closing the table to newcomers; and the facilitator's home, where exercises and
workshops are created.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from scenarios import library

from .. import access, engine, selectors, services
from ..access import staff_only, staff_view
from ..engine import commands as c
from ..models import Exercise
from ..screens import contexts
from ..screens.snapshot import Snapshot
from .common import _lang, _older, _older_messages, _run, _share

MAX_TABLES = 12


@require_GET
@staff_view("view")
def console_feed(request: HttpRequest, exercise: Exercise) -> HttpResponse:
    return _older(request, exercise, engine.FACILITATOR_VIEW)


@require_GET
@staff_view("view")
def console_channel_page(request: HttpRequest, exercise: Exercise, channel: str) -> HttpResponse:
    return _older_messages(request, exercise, engine.FACILITATOR_VIEW, channel)


@require_GET
@staff_view("view")
def console(request: HttpRequest, exercise: Exercise) -> HttpResponse:
    lang = _lang(request)
    snap = Snapshot.load(exercise)
    events = selectors.log(exercise.pk, upto=snap.seq)
    ancestors, forks = selectors.lineage(exercise, request.user)
    return render(
        request,
        "exercises/console.html",
        {
            **contexts.base(snap),
            **contexts.console(snap, lang, events),
            **_share(request, exercise.code),
            "seq": snap.seq,
            "exercise": exercise,
            "scenario": snap.scenario,
            "max_message": c.MAX_MESSAGE,
            "ws_url": f"/ws/exercise/{exercise.code}/console/",
            "ancestors": ancestors,
            "forks": forks,
            "read_only": not access.allows(request.access, "run"),  # type: ignore[attr-defined]
            "can_share": access.allows(request.access, "run"),  # type: ignore[attr-defined]
            "seats": services.seats_for(exercise),
        },
    )


@require_POST
@staff_view("run")
def console_command(request: HttpRequest, exercise: Exercise) -> HttpResponse:
    return _run(
        request, exercise, engine.FACILITATOR, reverse("console", args=[exercise.code]), who=f"staff:{request.user.pk}"
    )


@require_POST
@staff_view("run")
def join_lock(request: HttpRequest, exercise: Exercise) -> HttpResponse:
    """Close the table to newcomers once everyone is seated (or open it again)."""
    locked = request.POST.get("locked") == "1"
    services.set_join_lock(exercise=exercise, locked=locked, by=request.user)
    messages.success(request, _("Joining is closed.") if locked else _("Joining is open."))
    return redirect("console", code=exercise.code)


@require_GET
@staff_view("run")
def console_as(request: HttpRequest, exercise: Exercise, role: str = "") -> HttpResponse:
    """The panel for playing an unfilled role from the console (commands carry ``as_role``).

    The role is in the path (the panel refreshing itself) or chosen in the console's picker
    (``?role=``); no role chosen: an empty panel."""
    role = role or request.GET.get("role", "")
    if not role:
        return HttpResponse("")
    snap = Snapshot.load(exercise)
    if role not in snap.scenario.roles_by_id:
        return HttpResponse(status=404)
    context = {**contexts.base(snap), **contexts.act_as(snap, role, _lang(request))}
    return render(request, "exercises/partials/act_as.html", context)


@staff_only
@require_GET
def facilitator_home(request: HttpRequest) -> HttpResponse:
    lang = _lang(request)
    scenarios = []
    for version in library.available():
        model = library.scenario_for(version)
        scenarios.append(
            {
                "slug": version.slug,
                "title": model.title.get(lang),
                "period": model.period.get(lang),
                "summary": model.summary.get(lang),
                "roles": sum(1 for r in model.roles if not r.institution),
                "version": version.version,
            }
        )
    exercises, workshops = selectors.recent(request.user)
    return render(
        request,
        "exercises/facilitator_home.html",
        {
            "scenarios": scenarios,
            "exercises": exercises,
            "workshops": workshops,
            "table_choices": range(1, MAX_TABLES + 1),
        },
    )


@staff_only
@require_POST
def create(request: HttpRequest) -> HttpResponse:
    version = library.latest(request.POST.get("scenario", ""))
    if version is None:
        messages.error(request, _("Choose a scenario."))
        return redirect("facilitator_home")
    title = (request.POST.get("title") or "").strip()[:200]
    try:
        tables = max(1, min(MAX_TABLES, int(request.POST.get("tables") or 1)))
    except ValueError:
        tables = 1
    if tables > 1:
        workshop = services.create_workshop(
            scenario=version,
            title=title or library.scenario_for(version).title.get(_lang(request)),
            tables=tables,
            by=request.user,
        )
        return redirect("workshop_console", code=workshop.code)
    exercise = services.create_exercise(scenario=version, title=title, by=request.user)
    return redirect("console", code=exercise.code)
