"""The instructor's review pages: thin views over ``review`` (reads) and ``services`` (notes, report edits).

Access: every page but the share link needs a facilitator (a staff account), checked in
``_facilitator`` so no view forgets it. The share link (``/review/share/<token>/``) needs no
account and shows only what ``review.shared`` builds from public events and aggregates.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from pydantic import ValidationError

from . import engine, exports, instructor, review, selectors, services
from .engine import commands as c
from .models import Exercise, Workshop

PDF_TIMEOUT = 60  # seconds chromium may take to print one report


def _facilitator(view: Any) -> Any:
    """Staff only: anonymous visitors go to the login page, signed-in players get 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not selectors.is_facilitator(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _exercise(code: str) -> Exercise:
    return selectors.exercise_by_code(code)


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
@_facilitator
def index(request: HttpRequest) -> HttpResponse:
    exercises = Exercise.objects.select_related("scenario", "workshop").order_by("-created_at")[:200]
    workshops = Workshop.objects.select_related("scenario").order_by("-created_at")[:50]
    return render(request, "review/index.html", {"exercises": exercises, "workshops": workshops})


@require_GET
@_facilitator
def overview(request: HttpRequest, code: str) -> HttpResponse:
    exercise = _exercise(code)
    analysis = review.analysis_for(exercise)
    context = _base(exercise, analysis, "overview")
    context.update(note_form(analysis, request))
    return render(request, "review/overview.html", context)


@require_GET
@_facilitator
def timeline(request: HttpRequest, code: str) -> HttpResponse:
    exercise = _exercise(code)
    analysis = review.analysis_for(exercise)
    page = review.timeline(analysis, review.Filters.from_query(request.GET))
    context = {**_base(exercise, analysis, "timeline"), "page": page}
    if _partial(request):
        return render(request, "review/_timeline.html", context)
    context.update(note_form(analysis, request))
    return render(request, "review/timeline.html", context)


@require_GET
@_facilitator
def replay(request: HttpRequest, code: str) -> HttpResponse:
    exercise = _exercise(code)
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
    screen = review.replay(log, role=role, seq=seq)
    sc = log.scenario
    context = {
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
@_facilitator
def add_note(request: HttpRequest, code: str) -> HttpResponse:
    exercise = _exercise(code)
    scenario = selectors.scenario_of(exercise)
    objective = request.POST.get("objective", "").strip() or None
    role = request.POST.get("role", "").strip() or None
    if objective and not role:  # an objective belongs to one role: link both
        role = next((r.id for r in scenario.roles for o in r.objectives if o.id == objective), None)
    back = request.POST.get("next") or reverse("review:overview", args=[exercise.code])
    if not back.startswith("/"):
        back = reverse("review:overview", args=[exercise.code])
    try:
        command = c.AddNote(
            text=request.POST.get("text", "").strip(),
            event=_int(request.POST.get("event"), 0) or None,
            role=role,
            objective=objective,
        )
        result = services.execute(exercise_id=exercise.pk, actor=engine.FACILITATOR, command=command)
    except (ValidationError, engine.InvalidCommand) as exc:
        message = _("The note was not saved: %(reason)s") % {"reason": _short_error(exc)}
        return redirect(f"{back.split('#')[0].split('?')[0]}?note_error={_quote(message)}#add-note")
    if not result.ok and result.rejection is not None:
        message = _("The note was not saved: %(reason)s") % {"reason": result.rejection.payload.get("message", "")}
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
@_facilitator
def report(request: HttpRequest, code: str) -> HttpResponse:
    exercise = _exercise(code)
    analysis = review.analysis_for(exercise)
    context = {**_base(exercise, analysis, "report"), "report": review.report(analysis)}
    context["share_url"] = request.build_absolute_uri(reverse("review:share", args=[exercise.share_token]))
    return render(request, "review/report.html", context)


BLANK_ACTIONS = 3  # empty improvement-plan rows offered below the filled ones


@require_http_methods(["GET", "POST"])
@_facilitator
def report_edit(request: HttpRequest, code: str) -> HttpResponse:
    exercise = _exercise(code)
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
            error = result.rejection.payload.get("message", "") if result.rejection else ""
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
    path = finders.find("css/review.css")
    return Path(path).read_text(encoding="utf-8") if path else ""


def chromium_path() -> str | None:
    configured = getattr(settings, "CT_CHROMIUM", "") or os.environ.get("CT_CHROMIUM", "")
    for candidate in (configured, shutil.which("chromium"), shutil.which("chromium-browser"), "/usr/bin/chromium"):
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def html_to_pdf(html: str) -> bytes | None:
    """Print a self-contained HTML page to PDF with headless chromium, offline. None if it failed."""
    binary = chromium_path()
    if binary is None:
        return None
    with tempfile.TemporaryDirectory(prefix="ct-report-") as tmp:
        page = Path(tmp) / "report.html"
        out = Path(tmp) / "report.pdf"
        page.write_text(html, encoding="utf-8")
        command = [
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--host-resolver-rules=MAP * ~NOTFOUND",  # the page is self-contained: no network at all
            "--no-pdf-header-footer",
            f"--user-data-dir={tmp}/profile",
            f"--print-to-pdf={out}",
            page.as_uri(),
        ]
        try:
            subprocess.run(command, capture_output=True, timeout=PDF_TIMEOUT, check=False, cwd=tmp)
        except (OSError, subprocess.TimeoutExpired):
            return None
        if not out.exists() or out.stat().st_size == 0:
            return None
        return out.read_bytes()


@require_GET
@_facilitator
def report_pdf(request: HttpRequest, code: str) -> HttpResponse:
    exercise = _exercise(code)
    analysis = review.analysis_for(exercise)
    html = render_to_string(
        "review/report_document.html",
        {**_base(exercise, analysis, "report"), "report": review.report(analysis), "inline_css": _inline_css()},
        request=request,
    )
    pdf = html_to_pdf(html)
    if pdf is None:
        return render(
            request,
            "review/pdf_unavailable.html",
            {**_base(exercise, analysis, "report"), "chromium": chromium_path()},
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
@_facilitator
def export(request: HttpRequest, code: str, name: str) -> HttpResponse:
    if name not in EXPORTS:
        raise Http404("no such export")
    exercise = _exercise(code)
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


# --------------------------------------------------------------------------- sharing and workshops


@require_GET
def share(request: HttpRequest, token: str) -> HttpResponse:
    """The players' read-only report: no account, nothing facilitator-only (see ``review.shared``)."""
    exercise = get_object_or_404(Exercise.objects.select_related("scenario"), share_token=token)
    analysis = review.analysis_for(exercise)
    shared = review.shared(analysis, review.Filters.from_query(request.GET))
    context = {"exercise": exercise, "shared": shared, "page": shared.timeline, "public": True}
    if _partial(request):
        return render(request, "review/_timeline.html", context)
    response = render(request, "review/share.html", context)
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"  # the token is the key: keep it out of Referer headers
    return response


@require_GET
@_facilitator
def workshop(request: HttpRequest, code: str) -> HttpResponse:
    found = get_object_or_404(Workshop.objects.select_related("scenario"), code=code.strip().upper())
    return render(request, "review/workshop.html", {"comparison": review.compare(found), "workshop": found})
