"""The debrief panel on each screen (projector, rooms, the facilitator's page): read only.

Rendered on a page (``page_panel``, through the ``debrief_slot`` tag), pushed over the WebSocket
(``pushed``, from ``screens.frames.frame``) and polled by the facilitator's page. Writes live in
``debrief_views`` (through ``services``); this module never writes.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import translation

from . import debrief as domain
from . import engine
from .engine import debrief as d
from .engine.events import EventType
from .models import Exercise

TEMPLATE = "debrief/panel.html"


def panel_html(
    exercise: Exercise,
    state: engine.State,
    viewer: engine.Viewer,
    lang: str,
    *,
    participant: Any = None,
    oob: bool = False,
    hotwash_done: bool = False,
    request: HttpRequest | None = None,
) -> str:
    kind = "facilitator" if viewer.facilitator else "role" if viewer.role else "public"
    panel = domain.panel(
        exercise,
        state,
        viewer,
        lang,
        participant=getattr(participant, "pk", "") or "",
        with_sides=kind in ("public", "facilitator"),
    )
    context = {
        "panel": panel,
        "kind": kind,
        "code": exercise.code,
        "oob": oob,
        "ended": state.status == "ended",
        "can_answer": kind == "role" or bool(participant),
        "hotwash_done": hotwash_done,
    }
    return render_to_string(TEMPLATE, context, request=request)


# Pushed to the players' rooms only when the step changes (a vote re-renders nobody's form).
ROLE_PUSH = frozenset({d.DEBRIEF_STARTED, d.DEBRIEF_STEP, d.DEBRIEF_ENDED, EventType.EXERCISE_ENDED})
PUBLIC_PUSH = d.PUSHED | {EventType.EXERCISE_ENDED}


def pushed(snap: Any, types: set[str], viewer: engine.Viewer, lang: str, *, everything: bool) -> str:
    """The debrief panel for a pushed frame (``screens.frames.frame``), or "" when the batch leaves it as is."""
    kind = "facilitator" if viewer.facilitator else "role" if viewer.role else "public"
    wanted = ROLE_PUSH if kind == "role" else PUBLIC_PUSH if kind == "public" else frozenset()
    if not (types & wanted) and not (everything and kind != "facilitator"):
        return ""
    return panel_html(snap.exercise, snap.state, viewer, lang, oob=True)


def page_panel(context: dict[str, Any]) -> str:
    """The panel on a full page (the room, the projector), from the page's own context."""
    exercise = context.get("exercise")
    if exercise is None:
        return ""
    state = engine.State.model_validate(exercise.state)
    participant = context.get("participant")
    if context.get("ws_url", "").endswith("/projector/"):
        viewer = engine.PUBLIC_VIEW
        participant = None
    else:
        role = state.role_of(participant.pk) if participant else ""
        viewer = engine.Viewer(role=role, participant=getattr(participant, "pk", ""))
    done = participant is not None and domain.hotwash_done(exercise, participant.pk)
    return panel_html(
        exercise,
        state,
        viewer,
        _lang_of(context),
        participant=participant,
        hotwash_done=done,
        request=context.get("request"),
    )


def _lang_of(context: dict[str, Any]) -> str:
    return translation.get_language() or "en"
