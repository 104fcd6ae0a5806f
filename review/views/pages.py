"""The review's pages (reads only): index, analytics, timeline, replay, report, PDF, exports, share link, workshop.

Access: every page but the share link goes through ``access.staff_view`` (owner, co-facilitator,
evaluator; everyone else 404). The share link (``/review/share/<token>/``) needs no account, works
only while the owner keeps it live, and shows only what ``review.share.shared`` builds from public
events and aggregates.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from datetime import datetime

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET

from exercises import access, selectors
from exercises.access import staff_only, staff_view
from exercises.models import Exercise, Workshop

from .. import exports, pdf
from .. import replay as live_replay
from ..analytics import analysis_for
from ..compare import compare
from ..coordination import playable_roles
from ..report import report as build_report
from ..share import shared as build_shared
from ..timeline import TimelineFilters
from ..timeline import timeline as timeline_page
from .common import base_context, int_or, is_partial, note_form


@require_GET
@staff_only
def index(request: HttpRequest) -> HttpResponse:
    exercises, workshops = selectors.review_index(request.user)
    return render(request, "review/index.html", {"exercises": exercises, "workshops": workshops})


@require_GET
@staff_view("view")
def overview(request: HttpRequest, exercise: Exercise) -> HttpResponse:
    analysis = analysis_for(exercise)
    context = base_context(exercise, analysis, "overview")
    context.update(note_form(analysis, request))
    return render(request, "review/overview.html", context)


@require_GET
@staff_view("view")
def timeline(request: HttpRequest, exercise: Exercise) -> HttpResponse:
    analysis = analysis_for(exercise)
    page = timeline_page(analysis, TimelineFilters(request.GET))
    context = {**base_context(exercise, analysis, "timeline"), "page": page}
    if is_partial(request):
        return render(request, "review/_timeline.html", context)
    context.update(note_form(analysis, request))
    return render(request, "review/timeline.html", context)


@require_GET
@staff_view("view")
def replay(request: HttpRequest, exercise: Exercise) -> HttpResponse:
    analysis = analysis_for(exercise)
    log = analysis.log
    playable = playable_roles(log.scenario)
    role = request.GET.get("role", playable[0] if playable else "")
    if role not in log.scenario.roles_by_id and role not in ("", "facilitator"):
        role = playable[0] if playable else ""
    seq = int_or(request.GET.get("seq"), log.last_seq)
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
        **screen.context,  # the live partials' own context at seq (review/replay.py)
        **base_context(exercise, analysis, "replay"),
        "screen": screen,
        "roles": [(r.id, r.title.get(log.lang)) for r in sc.roles if not r.institution],
        "at_value": f"{screen.clock:%Y-%m-%dT%H:%M}",
        "at_min": f"{log.game_clock(sc.phases[0].start):%Y-%m-%dT%H:%M}",
        "at_max": f"{log.game_clock(sc.clock.end):%Y-%m-%dT%H:%M}",
        "timezone": sc.clock.timezone,
    }
    if is_partial(request):
        return render(request, "review/_replay_screen.html", context)
    return render(request, "review/replay.html", context)


@require_GET
@staff_view("view")
def report(request: HttpRequest, exercise: Exercise) -> HttpResponse:
    analysis = analysis_for(exercise)
    context = {**base_context(exercise, analysis, "report"), "report": build_report(analysis)}
    link = selectors.live_share_link(exercise)
    context["share_url"] = request.build_absolute_uri(reverse("review:share", args=[link.token])) if link else ""
    context["can_share"] = access.allows(request.access, "run")  # type: ignore[attr-defined]
    return render(request, "review/report.html", context)


@require_GET
@staff_view("view")
def report_pdf(request: HttpRequest, exercise: Exercise) -> HttpResponse:
    analysis = analysis_for(exercise)
    html = render_to_string(
        "review/report_document.html",
        {
            **base_context(exercise, analysis, "report"),
            "report": build_report(analysis),
            "inline_css": pdf.inline_css(),
        },
        request=request,
    )
    try:
        document = pdf.html_to_pdf(html, request.build_absolute_uri("/static/"))
    except (OSError, ImportError) as exc:  # pango or a font missing on this server (bin/ensure-apt)
        return render(
            request,
            "review/pdf_unavailable.html",
            {**base_context(exercise, analysis, "report"), "problem": f"{type(exc).__name__}: {exc}"[:300]},
            status=503,
        )
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{exercise.code}-after-action-report.pdf"'
    return response


# --------------------------------------------------------------------------- exports

EXPORTS = {
    "events.jsonl": "application/x-ndjson; charset=utf-8",
    "events.csv": exports.CSV_CONTENT_TYPE,
    "decisions.csv": exports.CSV_CONTENT_TYPE,
    "messages.csv": exports.CSV_CONTENT_TYPE,
    "scenario.json": "application/json; charset=utf-8",
    "scenario.yaml": "application/yaml; charset=utf-8",
}


@require_GET
@staff_view("view")
def export(request: HttpRequest, exercise: Exercise, name: str) -> StreamingHttpResponse:
    filename = f"{exercise.code}-{name}"
    if name == "events.csv":
        return exports.csv_response(exports.event_table(exercise), filename)
    if name == "decisions.csv":
        return exports.csv_response(exports.decision_table(analysis_for(exercise)), filename)
    if name == "messages.csv":
        return exports.csv_response(exports.message_table(analysis_for(exercise)), filename)
    if name == "events.jsonl":
        body: Iterable[str] = exports.jsonl(exercise)
    elif name in ("scenario.json", "scenario.yaml"):
        body = [exports.scenario_snapshot(exercise, name.rsplit(".", 1)[1])]
    else:
        raise Http404("no such export")
    response = StreamingHttpResponse(body, content_type=EXPORTS[name])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
def share(request: HttpRequest, token: str) -> HttpResponse:
    """The players' read-only report: no account, nothing facilitator-only (see ``review.shared``).
    Only while the link is live: revoked, rotated away or expired, it is a 404 like any unknown token."""
    try:
        link = selectors.share_link_by_token(token)
    except selectors.NotFound:
        raise Http404("no such link") from None
    if not link.live:
        raise Http404("no such link")
    exercise = link.exercise
    analysis = analysis_for(exercise)
    shared = build_shared(analysis, TimelineFilters(request.GET))
    context = {"exercise": exercise, "shared": shared, "page": shared.timeline, "public": True, "token": token}
    if is_partial(request):
        return render(request, "review/_timeline.html", context)
    response = render(request, "review/share.html", context)
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"  # the token is the key: keep it out of Referer headers
    return response


@require_GET
@staff_view("view", workshop=True)
def workshop(request: HttpRequest, workshop: Workshop) -> HttpResponse:
    return render(request, "review/workshop.html", {"comparison": compare(workshop), "workshop": workshop})
