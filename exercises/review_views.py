"""The instructor's review pages: thin views over ``review`` (reads) and ``services`` (notes, report edits).

Access: every page but the share link goes through ``access.staff_view`` (owner, co-facilitator,
evaluator; everyone else 404). The share link (``/review/share/<token>/``) needs no account, works
only while the owner keeps it live, and shows only what ``review.shared`` builds from public
events and aggregates.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from pydantic import ValidationError

from . import access, engine, exports, instructor, live_replay, review, selectors, services, wording
from .access import staff_only, staff_view
from .engine import commands as c
from .forms import NoteForm, first_error
from .models import Exercise, ShareLink, StaffAccess, Workshop


def _partial(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False)) or request.GET.get("partial") == "1"


def _base(exercise: Exercise, analysis: review.Analysis, tab: str) -> dict[str, Any]:
    log = analysis.log
    notes = instructor.notes(
        log.scenario, log.lang, phase=analysis.final.phase, released=instructor.released_injects(log.entries)
    )
    return {
        "exercise": exercise,
        "analysis": analysis,
        "log": log,
        "tab": tab,
        "instructor": notes,  # facilitator pages only: the share view never calls _base
        "glossary": notes.glossary,
    }


# --------------------------------------------------------------------------- pages


@require_GET
@staff_only
def index(request: HttpRequest) -> HttpResponse:
    exercises = (
        access.visible_exercises(request.user).select_related("scenario", "workshop").order_by("-created_at")[:200]
    )
    workshops = access.visible_workshops(request.user).select_related("scenario").order_by("-created_at")[:50]
    return render(request, "review/index.html", {"exercises": exercises, "workshops": workshops})


@require_GET
@staff_view("view")
def overview(request: HttpRequest, exercise: Exercise) -> HttpResponse:
    analysis = review.analysis_for(exercise)
    context = _base(exercise, analysis, "overview")
    context.update(note_form(analysis, request))
    return render(request, "review/overview.html", context)


@require_GET
@staff_view("view")
def timeline(request: HttpRequest, exercise: Exercise) -> HttpResponse:
    analysis = review.analysis_for(exercise)
    page = review.timeline(analysis, review.Filters.from_query(request.GET))
    context = {**_base(exercise, analysis, "timeline"), "page": page}
    if _partial(request):
        return render(request, "review/_timeline.html", context)
    context.update(note_form(analysis, request))
    return render(request, "review/timeline.html", context)


@require_GET
@staff_view("view")
def replay(request: HttpRequest, exercise: Exercise) -> HttpResponse:
    analysis = review.analysis_for(exercise)
    log = analysis.log
    playable = review.playable_roles(log.scenario)
    role = request.GET.get("role", playable[0] if playable else "")
    if role not in log.scenario.roles_by_id and role not in ("", "facilitator"):
        role = playable[0] if playable else ""
    seq = _int(request.GET.get("seq"), log.last_seq)
    at, by = request.GET.get("at", "").strip(), request.GET.get("by", "")
    # The form sends both the scrubber and the clock; "by" says which one moved (set by
    # review.js). Without script, the clock wins when it no longer matches the scrubber.
    entry = log.by_seq.get(seq)
    moved_clock = by == "at" or (by == "" and entry is not None and at != f"{entry.clock:%Y-%m-%dT%H:%M}")
    if at and moved_clock:
        with contextlib.suppress(ValueError):
            seq = log.seq_at(log.game_time_of(datetime.fromisoformat(at)))
    screen = live_replay.screen(exercise, log, role=role, seq=seq, lang=log.lang)
    sc = log.scenario
    context = {
        **screen.context,  # the live partials' own context at seq (exercises/live_replay.py)
        **_base(exercise, analysis, "replay"),
        "screen": screen,
        "roles": [(r.id, r.title.get(log.lang)) for r in sc.roles if not r.institution],
        "at_value": f"{screen.clock:%Y-%m-%dT%H:%M}",
        "at_min": f"{log.game_clock(sc.phases[0].start):%Y-%m-%dT%H:%M}",
        "at_max": f"{log.game_clock(sc.clock.end):%Y-%m-%dT%H:%M}",
        "timezone": sc.clock.timezone,
    }
    if _partial(request):
        return render(request, "review/_replay_screen.html", context)
    return render(request, "review/replay.html", context)


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value not in (None, "") else default
    except ValueError:
        return default


# --------------------------------------------------------------------------- evaluator notes


def note_form(analysis: review.Analysis, request: HttpRequest) -> dict[str, Any]:
    log = analysis.log
    sc = log.scenario
    return {
        "note_roles": [(r.id, r.title.get(log.lang)) for r in sc.roles],
        "note_objectives": [
            (o.id, f"{r.title.get(log.lang)} — {o.text.get(log.lang)}") for r in sc.roles for o in r.objectives
        ],
        "note_event": _int(request.GET.get("note_event"), 0) or "",
        "note_error": request.GET.get("note_error", ""),
    }


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
        return redirect(f"{back.split('#')[0].split('?')[0]}?note_error={_quote(message)}#add-note")
    objective = form.cleaned_data["objective"] or None
    role = form.cleaned_data["role"] or None
    if objective and not role:  # an objective belongs to one role: link both
        role = next((r.id for r in scenario.roles for o in r.objectives if o.id == objective), None)
    try:
        command = form.command(role=role)
        result = services.execute(exercise_id=exercise.pk, actor=engine.FACILITATOR, command=command)
    except (ValidationError, engine.InvalidCommand) as exc:
        message = _("The note was not saved: %(reason)s") % {"reason": _short_error(exc)}
        return redirect(f"{back.split('#')[0].split('?')[0]}?note_error={_quote(message)}#add-note")
    if not result.ok and result.rejection is not None:
        message = _("The note was not saved: %(reason)s") % {"reason": _refusal(exercise, result.rejection.payload)}
        return redirect(f"{back.split('#')[0].split('?')[0]}?note_error={_quote(message)}#add-note")
    return redirect(back)


def _short_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    return str(exc)


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text[:300])


# --------------------------------------------------------------------------- the after-action report


@require_GET
@staff_view("view")
def report(request: HttpRequest, exercise: Exercise) -> HttpResponse:
    analysis = review.analysis_for(exercise)
    context = {**_base(exercise, analysis, "report"), "report": review.report(analysis)}
    link = _live_link(exercise)
    context["share_url"] = request.build_absolute_uri(reverse("review:share", args=[link.token])) if link else ""
    context["can_share"] = access.allows(request.access, "run")  # type: ignore[attr-defined]
    return render(request, "review/report.html", context)


BLANK_ACTIONS = 3  # empty improvement-plan rows offered below the filled ones


@require_http_methods(["GET", "POST"])
@staff_view("run")
def report_edit(request: HttpRequest, exercise: Exercise) -> HttpResponse:
    error = ""
    if request.method == "POST":
        actions = []
        issues = request.POST.getlist("issue")
        for n, issue in enumerate(issues):
            row = {
                "issue": issue.strip(),
                "action": _nth(request.POST.getlist("action"), n),
                "owner": _nth(request.POST.getlist("owner"), n),
                "due": _nth(request.POST.getlist("due"), n),
                "status": _nth(request.POST.getlist("status"), n),
            }
            if any(row.values()):
                actions.append(row)
        try:
            command = c.EditReport(
                summary=request.POST.get("summary", "").strip(),
                strengths=request.POST.get("strengths", "").strip(),
                improvements=request.POST.get("improvements", "").strip(),
                actions=[c.CorrectiveAction(**row) for row in actions],
                share=request.POST.get("share") == "on",
            )
            result = services.execute(exercise_id=exercise.pk, actor=engine.FACILITATOR, command=command)
            if result.ok:
                return redirect("review:report", exercise.code)
            error = _refusal(exercise, result.rejection.payload) if result.rejection else ""
        except (ValidationError, engine.InvalidCommand) as exc:
            error = _short_error(exc)
        written: dict[str, Any] = {
            "summary": request.POST.get("summary", ""),
            "strengths": request.POST.get("strengths", ""),
            "improvements": request.POST.get("improvements", ""),
            "actions": actions,
            "share": request.POST.get("share") == "on",
        }
    analysis = review.analysis_for(exercise)
    if request.method == "GET":
        written = analysis.report
    rows = list(written.get("actions") or []) + [{} for _ in range(BLANK_ACTIONS)]
    context = {
        **_base(exercise, analysis, "report"),
        "written": written,
        "action_rows": rows,
        "error": error,
        "report": review.report(analysis),
    }
    return render(request, "review/report_edit.html", context, status=400 if error else 200)


def _nth(values: list[str], n: int) -> str:
    return values[n].strip() if n < len(values) else ""


def _inline_css() -> str:
    """The report's stylesheets, inlined into the PDF's page (WeasyPrint fetches nothing)."""
    parts = [finders.find(name) for name in ("css/review.css", "css/sizes.css")]
    return "\n".join(Path(p).read_text(encoding="utf-8") for p in parts if p)


def html_to_pdf(html: str, base_url: str) -> bytes:
    """Draw the report's HTML and SVG charts to PDF with WeasyPrint: no browser, no JavaScript,
    no network (the page is self-contained; any other URL in user-written text is refused)."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    class OfflineFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith("data:"):
                return super().fetch(url, headers)
            raise ValueError(f"the report may not fetch {url[:80]}")

    return HTML(string=html, base_url=base_url, url_fetcher=OfflineFetcher()).write_pdf()


@require_GET
@staff_view("view")
def report_pdf(request: HttpRequest, exercise: Exercise) -> HttpResponse:
    analysis = review.analysis_for(exercise)
    html = render_to_string(
        "review/report_document.html",
        {**_base(exercise, analysis, "report"), "report": review.report(analysis), "inline_css": _inline_css()},
        request=request,
    )
    try:
        pdf = html_to_pdf(html, request.build_absolute_uri("/static/"))
    except (OSError, ImportError) as exc:  # pango or a font missing on this server (bin/ensure-apt)
        return render(
            request,
            "review/pdf_unavailable.html",
            {**_base(exercise, analysis, "report"), "problem": f"{type(exc).__name__}: {exc}"[:300]},
            status=503,
        )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{exercise.code}-after-action-report.pdf"'
    return response


# --------------------------------------------------------------------------- exports

EXPORTS = {
    "events.jsonl": "application/x-ndjson; charset=utf-8",
    "events.csv": "text/csv; charset=utf-8",
    "decisions.csv": "text/csv; charset=utf-8",
    "messages.csv": "text/csv; charset=utf-8",
    "scenario.json": "application/json; charset=utf-8",
    "scenario.yaml": "application/yaml; charset=utf-8",
}


@require_GET
@staff_view("view")
def export(request: HttpRequest, exercise: Exercise, name: str) -> HttpResponse:
    if name not in EXPORTS:
        raise Http404("no such export")
    if name == "events.jsonl":
        body: Any = exports.jsonl(exercise)
    elif name == "events.csv":
        body = exports.csv_rows(exercise)
    elif name == "decisions.csv":
        body = review.decisions_csv(review.analysis_for(exercise))
    elif name == "messages.csv":
        body = review.messages_csv(review.analysis_for(exercise))
    else:
        body = [review.scenario_snapshot(exercise, name.rsplit(".", 1)[1])]
    response = StreamingHttpResponse(body, content_type=EXPORTS[name])
    response["Content-Disposition"] = f'attachment; filename="{exercise.code}-{name}"'
    return response


# --------------------------------------------------------------------------- sharing


def _live_link(exercise: Exercise) -> ShareLink | None:
    now = timezone.now()
    return (
        ShareLink.objects.filter(exercise=exercise, revoked_at=None)
        .exclude(expires_at__lte=now)
        .order_by("-created_at")
        .first()
    )


@require_GET
def share(request: HttpRequest, token: str) -> HttpResponse:
    """The players' read-only report: no account, nothing facilitator-only (see ``review.shared``).
    Only while the link is live: revoked, rotated away or expired, it is a 404 like any unknown token."""
    link = get_object_or_404(ShareLink.objects.select_related("exercise__scenario"), token=token)
    if not link.live:
        raise Http404("no such link")
    exercise = link.exercise
    analysis = review.analysis_for(exercise)
    shared = review.shared(analysis, review.Filters.from_query(request.GET))
    context = {"exercise": exercise, "shared": shared, "page": shared.timeline, "public": True, "token": token}
    if _partial(request):
        return render(request, "review/_timeline.html", context)
    response = render(request, "review/share.html", context)
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"  # the token is the key: keep it out of Referer headers
    return response


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
            for link in ShareLink.objects.filter(exercise=exercise, revoked_at=None):
                services.share_revoke(link=link, by=request.user)
            messages.success(request, _("The read-only link no longer works."))
        else:
            return HttpResponse(status=400)
        return redirect("review:sharing", exercise.code)
    analysis = review.analysis_for(exercise)
    link = _live_link(exercise)
    context = {
        **_base(exercise, analysis, "report"),
        "link": link,
        "share_url": request.build_absolute_uri(reverse("review:share", args=[link.token])) if link else "",
        "history": ShareLink.objects.filter(exercise=exercise).select_related("created_by", "revoked_by")[:20],
    }
    return render(request, "review/sharing.html", context)


# --------------------------------------------------------------------------- staff: who else may run or watch


def _people(request: HttpRequest, *, exercise: Exercise | None, workshop: Workshop | None) -> HttpResponse:
    target = exercise or workshop
    if target is None:
        raise Http404("no exercise or workshop")
    kind = {"exercise": exercise} if exercise is not None else {"workshop": workshop}
    back = (
        reverse("review:people", args=[target.code])
        if exercise is not None
        else reverse("review:workshop_people", args=[target.code])
    )
    error = ""
    if request.method == "POST":
        if request.POST.get("remove"):
            grant = StaffAccess.objects.filter(pk=request.POST.get("remove"), **kind).first()
            if grant is not None:
                services.revoke_staff(access=grant, by=request.user)
            return redirect(back)
        name = request.POST.get("username", "").strip()
        level = request.POST.get("level", "")
        user = get_user_model().objects.filter(username=name, is_staff=True, is_active=True).first()
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
        "grants": StaffAccess.objects.filter(**kind).select_related("user").order_by("user__username"),
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


# --------------------------------------------------------------------------- workshops


@require_GET
@staff_view("view", workshop=True)
def workshop(request: HttpRequest, workshop: Workshop) -> HttpResponse:
    return render(request, "review/workshop.html", {"comparison": review.compare(workshop), "workshop": workshop})


def _refusal(exercise: Exercise, payload: dict) -> str:
    """A refusal in the staff member's language, with labels (``exercises/wording.py``)."""
    return wording.rejection(payload, selectors.scenario_of(exercise), review.lang_now())
