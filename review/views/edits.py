"""The review's forms that write, each through ``exercises.services`` (never the ORM): evaluator notes,
the report's written parts, the share link, staff grants."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from pydantic import ValidationError

from exercises import engine, selectors, services
from exercises.access import staff_view
from exercises.engine import commands as c
from exercises.forms import NoteForm, first_error
from exercises.models import Exercise, StaffAccess, Workshop

from ..analytics import analysis_for
from ..forms import ACTIONS_PREFIX, ReportForm, action_formset, filled_rows
from ..report import report as build_report
from .common import base_context, quote_message, refusal_text, short_error


@require_POST
@staff_view("note")
def add_note(request: HttpRequest, exercise: Exercise) -> HttpResponse:
    scenario = selectors.scenario_of(exercise)
    back = request.POST.get("next") or ""
    # Only a path on this site: "//evil.example/" and "https://evil.example/" start elsewhere.
    if not back.startswith("/") or not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("review:overview", args=[exercise.code])
    form = NoteForm(request.POST)
    if not form.is_valid():
        message = _("The note was not saved: %(reason)s") % {"reason": first_error(form)}
        return redirect(f"{back.split('#')[0].split('?')[0]}?note_error={quote_message(message)}#add-note")
    objective = form.cleaned_data["objective"] or None
    role = form.cleaned_data["role"] or None
    if objective and not role:  # an objective belongs to one role: link both
        role = next((r.id for r in scenario.roles for o in r.objectives if o.id == objective), None)
    try:
        command = form.command(role=role)
        result = services.execute(exercise_id=exercise.pk, actor=engine.FACILITATOR, command=command)
    except (ValidationError, engine.InvalidCommand) as exc:
        message = _("The note was not saved: %(reason)s") % {"reason": short_error(exc)}
        return redirect(f"{back.split('#')[0].split('?')[0]}?note_error={quote_message(message)}#add-note")
    if not result.ok and result.rejection is not None:
        message = _("The note was not saved: %(reason)s") % {"reason": refusal_text(exercise, result.rejection.payload)}
        return redirect(f"{back.split('#')[0].split('?')[0]}?note_error={quote_message(message)}#add-note")
    return redirect(back)


@require_http_methods(["GET", "POST"])
@staff_view("run")
def report_edit(request: HttpRequest, exercise: Exercise) -> HttpResponse:
    """The written parts (a form) and the improvement plan (a formset, three blank rows below the
    filled ones); a save is one ``edit_report`` command through ``services``."""
    error = ""
    analysis = analysis_for(exercise)
    if request.method == "POST":
        form = ReportForm(request.POST)
        # A post without the plan's rows (no management form) saves no rows, as it always did.
        with_rows = f"{ACTIONS_PREFIX}-TOTAL_FORMS" in request.POST
        formset = action_formset(request.POST if with_rows else None)
        if form.is_valid() and (not with_rows or formset.is_valid()):
            actions = filled_rows(formset) if with_rows else []
            try:
                command = c.EditReport(
                    **{name: form.cleaned_data[name] for name in ("summary", "strengths", "improvements", "share")},
                    actions=[c.CorrectiveAction(**row) for row in actions],
                )
                result = services.execute(exercise_id=exercise.pk, actor=engine.FACILITATOR, command=command)
                if result.ok:
                    return redirect("review:report", exercise.code)
                error = refusal_text(exercise, result.rejection.payload) if result.rejection else ""
            except (ValidationError, engine.InvalidCommand) as exc:
                error = short_error(exc)
        else:
            error = first_error(form) or _("The improvement plan's rows were not sent whole.")
        written: dict[str, Any] = {
            name: request.POST.get(name, "") for name in ("summary", "strengths", "improvements")
        }
        written["share"] = bool(form.is_valid() and form.cleaned_data["share"])
    else:
        written = analysis.report
        formset = action_formset(initial=list(written.get("actions") or []))
    context = {
        **base_context(exercise, analysis, "report"),
        "written": written,
        "formset": formset,
        "error": error,
        "report": build_report(analysis),
    }
    return render(request, "review/report_edit.html", context, status=400 if error else 200)


SHARE_EXPIRY_DAYS = {"": None, "1": 1, "7": 7, "30": 30}


@require_http_methods(["GET", "POST"])
@staff_view("run")
def sharing(request: HttpRequest, exercise: Exercise) -> HttpResponse:
    """Make, rotate or revoke the players' read-only link: every act is a ShareLink row (audit)."""
    if request.method == "POST":
        act = request.POST.get("act", "")
        if act == "create":
            days = SHARE_EXPIRY_DAYS.get(request.POST.get("expires", ""))
            expires = timezone.now() + timedelta(days=days) if days else None
            services.share_create(exercise=exercise, by=request.user, expires_at=expires)
            messages.success(request, _("A read-only link is live."))
        elif act == "rotate":
            services.share_rotate(exercise=exercise, by=request.user)
            messages.success(request, _("The old link no longer works; here is the new one."))
        elif act == "revoke":
            for open_link in selectors.open_share_links(exercise):
                services.share_revoke(link=open_link, by=request.user)
            messages.success(request, _("The read-only link no longer works."))
        else:
            return HttpResponse(status=400)
        return redirect("review:sharing", exercise.code)
    analysis = analysis_for(exercise)
    link = selectors.live_share_link(exercise)
    context = {
        **base_context(exercise, analysis, "report"),
        "link": link,
        "share_url": request.build_absolute_uri(reverse("review:share", args=[link.token])) if link else "",
        "history": selectors.share_history(exercise),
    }
    return render(request, "review/sharing.html", context)


def _people(request: HttpRequest, *, exercise: Exercise | None, workshop: Workshop | None) -> HttpResponse:
    target = exercise or workshop
    if target is None:
        raise Http404("no exercise or workshop")
    kind: dict[str, Any] = {"exercise": exercise} if exercise is not None else {"workshop": workshop}
    back = (
        reverse("review:people", args=[target.code])
        if exercise is not None
        else reverse("review:workshop_people", args=[target.code])
    )
    error = ""
    if request.method == "POST":
        if request.POST.get("remove"):
            grant = selectors.staff_grant(request.POST["remove"], exercise=exercise, workshop=workshop)
            if grant is not None:
                services.revoke_staff(access=grant, by=request.user)
            return redirect(back)
        name = request.POST.get("username", "").strip()
        level = request.POST.get("level", "")
        user = selectors.facilitator_named(name)
        if level not in dict(StaffAccess.LEVELS):
            error = _("Choose co-facilitator or evaluator.")
        elif user is None:
            error = _("No facilitator account has this name (make one with manage.py createfacilitator).")
        elif user == getattr(target, "owner", None):
            error = _("The owner already has every right.")
        else:
            services.grant_staff(user=user, level=level, by=request.user, **kind)
            return redirect(back)
    context = {
        "target": target,
        "exercise": exercise,
        "workshop": workshop,
        "grants": selectors.staff_grants(exercise=exercise, workshop=workshop),
        "levels": StaffAccess.LEVELS,
        "error": error,
    }
    return render(request, "review/people.html", context, status=400 if error else 200)


@require_http_methods(["GET", "POST"])
@staff_view("own")
def people(request: HttpRequest, exercise: Exercise) -> HttpResponse:
    return _people(request, exercise=exercise, workshop=None)


@require_http_methods(["GET", "POST"])
@staff_view("own", workshop=True)
def workshop_people(request: HttpRequest, workshop: Workshop) -> HttpResponse:
    return _people(request, exercise=None, workshop=workshop)
