"""The players' pages: home, find a code, join, rejoin, play, the projector, the language switch.

Pages render the same partials that the WebSocket pushes (``exercises.screens``: ``contexts``, ``frames``).
Every command, from a form post or a ws-send frame, goes through ``services.execute``.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.i18n import set_language
from pydantic import ValidationError

from .. import engine, selectors, services, throttle
from ..engine import commands as c
from ..models import Exercise, Workshop, grouped_code, normalise_code
from ..screens import answers, contexts
from ..screens.snapshot import Snapshot
from .common import (
    _answer,
    _codes_view,
    _exercise,
    _lang,
    _lookup,
    _older,
    _older_messages,
    _refuse,
    _run,
    _share,
    too_many,
)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "exercises/home.html", {"code": request.GET.get("code", "")})


@require_http_methods(["GET", "POST"])
@_codes_view
def find(request: HttpRequest) -> HttpResponse:
    """The home page's code box: an exercise or a workshop code leads to its join page."""
    code = normalise_code(request.POST.get("code") or request.GET.get("code") or "")
    if code:
        try:
            _lookup(request, code)
        except Http404:
            pass
        else:
            return redirect("join", code=code)
    error = (
        _("No exercise has this code. Check it with your facilitator.") if code else _("Type the code you were given.")
    )
    return render(
        request, "exercises/home.html", {"code": grouped_code(code), "error": error}, status=404 if code else 400
    )


def _table_for(workshop: Workshop, tables: list[Exercise], wanted: str) -> Exercise:
    """The table a newcomer asked for, or the open one with fewest players."""
    open_tables = [t for t in tables if t.status != "ended"] or tables
    chosen = next((t for t in open_tables if str(t.table) == wanted), None)
    return chosen or min(open_tables, key=lambda t: (t.players, t.table))  # type: ignore[attr-defined]


SEATING_CLOSED = {
    "locked": _lazy("The facilitator has closed this table to newcomers. Ask them to open it."),
    "full": _lazy("This table is full. Ask your facilitator for another one."),
}


@require_http_methods(["GET", "POST"])
@_codes_view
def join(request: HttpRequest, code: str) -> HttpResponse:
    exercise, workshop = _lookup(request, code)
    tables = selectors.tables_of(workshop) if workshop else []
    for table in [exercise] if exercise else tables:
        if table is not None and selectors.participant_for(request.session, table):
            return redirect("play", code=table.code)  # already seated here
    error = ""
    name = ""
    if request.method == "POST":
        name = (request.POST.get("name") or "").strip()
        target = exercise or _table_for(workshop, tables, request.POST.get("table", ""))  # type: ignore[arg-type]
        ip = throttle.client_ip(request)
        joins = throttle.joins()
        if joins.exceeded(ip):
            return too_many(request, "joins")
        try:
            if target.status == "ended":
                raise engine.InvalidCommand("ended")
            participant, _result = services.join(exercise=target, name=name, language=_lang(request))
        except services.SeatingClosed as closed:
            error = str(SEATING_CLOSED[closed.reason])
        except (ValidationError, engine.InvalidCommand):  # the name, or a table that has ended
            error = (
                _("This exercise has ended.")
                if target.status == "ended"
                else _("Give a display name of 1 to %(n)s characters.") % {"n": c.MAX_NAME}
            )
        else:
            joins.hit(ip)
            selectors.remember_participant(request.session, participant)
            return redirect("play", code=target.code)
    scenario = selectors.scenario_of(exercise or tables[0]) if (exercise or tables) else None
    return render(
        request,
        "exercises/join.html",
        {
            "exercise": exercise,
            "workshop": workshop,
            "tables": tables,
            "summary": scenario.summary.get(_lang(request)) if scenario else "",
            "name": name,
            "error": error,
            "max_name": c.MAX_NAME,
        },
        status=400 if error else 200,
    )


@require_GET
def rejoin(request: HttpRequest, token: str) -> HttpResponse:
    """A personal link: this browser becomes that participant again (another device, say)."""
    try:
        participant = selectors.participant_by_token(token)
    except selectors.NotFound as missing:
        raise Http404(str(missing)) from None
    selectors.remember_participant(request.session, participant)
    return redirect("play", code=participant.exercise.code)


@require_GET
@_codes_view
def play(request: HttpRequest, code: str) -> HttpResponse:
    exercise, _workshop = _lookup(request, code)
    if exercise is None:
        return redirect("join", code=code)
    viewer = selectors.viewer_for(exercise, user=request.user, session=request.session, mode="play")
    if viewer is None:
        return redirect("join", code=exercise.code)
    participant = selectors.participant_for(request.session, exercise)
    lang = _lang(request)
    snap = Snapshot.load(exercise)
    events = selectors.visible_log(exercise.pk, viewer, upto=snap.seq)
    return render(
        request,
        "exercises/play.html",
        {
            **contexts.base(snap),
            **contexts.play(snap, viewer, lang, events),
            "seq": snap.seq,
            "exercise": exercise,
            "participant": participant,
            "rejoin_url": request.build_absolute_uri(reverse("rejoin", args=[participant.token]))
            if participant
            else "",
            "ws_url": f"/ws/exercise/{exercise.code}/",
        },
    )


@require_GET
def feed_page(request: HttpRequest, code: str) -> HttpResponse:
    """Older feed items for a player (their own view) or the projector (``?public=1``)."""
    exercise, _workshop = _lookup(request, code)
    if exercise is None:
        raise Http404("no such exercise")
    mode = "projector" if request.GET.get("public") else "play"
    viewer = selectors.viewer_for(exercise, user=request.user, session=request.session, mode=mode)
    if viewer is None:
        return HttpResponseForbidden(_("Join the exercise first."))
    return _older(request, exercise, viewer)


@require_GET
def channel_page(request: HttpRequest, code: str, channel: str) -> HttpResponse:
    """Older messages of one of the player's channels."""
    exercise, _workshop = _lookup(request, code)
    if exercise is None:
        raise Http404("no such exercise")
    viewer = selectors.viewer_for(exercise, user=request.user, session=request.session, mode="play")
    if viewer is None:
        return HttpResponseForbidden(_("Join the exercise first."))
    return _older_messages(request, exercise, viewer, channel)


@require_POST
def play_command(request: HttpRequest, code: str) -> HttpResponse:
    """Any player command as a form post (the same fields a ws-send form sends)."""
    exercise = _exercise(code)
    participant = selectors.participant_for(request.session, exercise)
    if participant is None:
        return HttpResponseForbidden(_("Join this exercise first."))
    actor = engine.Actor(kind="participant", participant=participant.pk)
    return _run(request, exercise, actor, reverse("play", args=[exercise.code]), who=participant.pk)


@require_POST
def auto_role(request: HttpRequest, code: str) -> HttpResponse:
    """Seat me anywhere: the free role that comes first in the scenario's fill order."""
    exercise = _exercise(code)
    participant = selectors.participant_for(request.session, exercise)
    if participant is None:
        return HttpResponseForbidden(_("Join this exercise first."))
    back = reverse("play", args=[exercise.code])
    limit = throttle.limit_of(exercise)
    if not throttle.allow_local(exercise.pk, participant.pk, limit):  # the same bucket as every command
        return _refuse(request, answers.error_text("rate", _lang(request)), 429, back)
    actor = engine.Actor(kind="participant", participant=participant.pk)
    scenario = selectors.scenario_of(exercise)
    for _attempt in range(3):  # another player may take the same role at the same moment
        state = selectors.state_of(exercise)
        if state.role_of(participant.pk):
            break
        free = sorted(
            (r for r in scenario.roles if not r.institution and r.id not in state.holders), key=lambda r: r.fill_order
        )
        if not free:
            return _answer(
                request, _("Every role is taken. The facilitator can seat you."), level="error", rule="", back=back
            )
        try:
            result = services.perform(
                exercise_id=exercise.pk,
                actor=actor,
                command=c.ClaimRole(role=free[0].id),
                who=participant.pk,
                limit=limit,
                ip=throttle.client_ip(request),
            )
        except services.Throttled:
            return _refuse(request, answers.error_text("rate", _lang(request)), 429, back)
        except services.Unavailable:
            return _refuse(request, answers.error_text("unavailable", _lang(request)), 503, back)
        if result.ok:
            break
        exercise.refresh_from_db()
    return _answer(request, "", level="ok", rule="", back=back)


@require_GET
@_codes_view
def projector(request: HttpRequest, code: str) -> HttpResponse:
    """The room's big screen: only what is public."""
    exercise, _workshop = _lookup(request, code)
    if exercise is None:
        raise Http404("a workshop has a projector per table")
    viewer = engine.PUBLIC_VIEW  # the public board is open to anyone with the code
    lang = _lang(request)
    snap = Snapshot.load(exercise)
    events = selectors.visible_log(exercise.pk, viewer, upto=snap.seq)
    return render(
        request,
        "exercises/projector.html",
        {
            **contexts.base(snap),
            **contexts.lobby(snap, viewer, lang, events),
            **_share(request, exercise.code),
            "seq": snap.seq,
            "exercise": exercise,
            "feed_public": True,
            "ws_url": f"/ws/exercise/{exercise.code}/projector/",
        },
    )


@require_POST
def switch_language(request: HttpRequest) -> HttpResponse:
    """Django's ``set_language`` (cookie), and the session key the WebSocket consumer reads."""
    response = set_language(request)
    language = request.POST.get("language", "")
    if language in dict(settings.LANGUAGES):
        request.session["_language"] = language
    return response
