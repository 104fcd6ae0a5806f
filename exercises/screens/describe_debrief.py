"""The debrief's events in words (the after-exercise discussion, ``exercises/engine/debrief.py``).

The room shows the debrief in its own panel (``exercises/debrief_panels.py``), so these lines are
for the review's timeline, share link and report, not the situation feed (``feed.NOT_IN_FEED``).
A poll answer and a debrief note are staff-only events (empty audience): who answered what is
the facilitator's detail.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from exercises import engine
from exercises.engine import Viewer
from exercises.engine.events import EventType

from .description import Describer, Description
from .labels import Labels


def _text(value: Any, lang: str) -> str:
    """A debrief text as the engine stores it: ``{"en": ..., "es": ...}``, either may be empty."""
    if isinstance(value, dict):
        return str(value.get(lang) or value.get("en") or value.get("es") or "")
    return str(value or "")


def _started(e: engine.Event, viewer: Viewer, lang: str, labels: Labels) -> Description:
    count = len(e.payload.get("moments") or [])
    return Description("phase", _("Debrief started: %(n)s key moments to discuss") % {"n": count})


def _planned(e: engine.Event, viewer: Viewer, lang: str, labels: Labels) -> Description:
    count = len(e.payload.get("order") or [])
    return Description("system", _("Debrief plan set: %(n)s steps") % {"n": count})


def _step(e: engine.Event, viewer: Viewer, lang: str, labels: Labels) -> Description:
    moment, poll = e.payload.get("moment") or {}, e.payload.get("poll") or {}
    title = _("Debrief step %(step)s: %(title)s") % {
        "step": e.payload.get("step", ""),
        "title": _text(moment.get("title"), lang),
    }
    return Description("phase", title, _text(poll.get("question"), lang))


def _answered(e: engine.Event, viewer: Viewer, lang: str, labels: Labels) -> Description:
    p = e.payload
    name = labels.name_of(e.actor[2:]) if e.actor.startswith("p:") else ""
    said = Description(
        "system", _("%(name)s answered the poll of step %(step)s") % {"name": name, "step": p.get("step", "")}
    )
    if viewer.facilitator:
        said.details = [p["text"]] if p.get("text") else [_("option %(n)s") % {"n": int(p.get("option") or 0) + 1}]
    return said


def _shown(e: engine.Event, viewer: Viewer, lang: str, labels: Labels) -> Description:
    return Description(
        "system",
        _("Answer shown to the room (step %(step)s)") % {"step": e.payload.get("step", "")},
        e.payload.get("text", ""),
    )


def _noted(e: engine.Event, viewer: Viewer, lang: str, labels: Labels) -> Description:
    return Description(
        "note", _("Debrief note (step %(step)s)") % {"step": e.payload.get("step", "")}, e.payload.get("text", "")
    )


def _ended(e: engine.Event, viewer: Viewer, lang: str, labels: Labels) -> Description:
    return Description("phase", _("Debrief ended"))


def _improvement(e: engine.Event, viewer: Viewer, lang: str, labels: Labels) -> Description:
    p = e.payload
    status = {"open": _("open"), "in_progress": _("in progress"), "closed": _("closed")}.get(
        p.get("status", ""), p.get("status", "")
    )
    said = Description(
        "system",
        _("Improvement plan: %(issue)s is %(status)s") % {"issue": p.get("issue", ""), "status": status},
        p.get("action", ""),
    )
    if viewer.facilitator and p.get("by"):
        said.details = [_("by %(who)s") % {"who": p["by"]}]
    return said


DEBRIEF: dict[str, Describer] = {
    EventType.DEBRIEF_STARTED: _started,
    EventType.DEBRIEF_PLANNED: _planned,
    EventType.DEBRIEF_STEP: _step,
    EventType.POLL_ANSWERED: _answered,
    EventType.POLL_ANSWER_SHOWN: _shown,
    EventType.DEBRIEF_NOTED: _noted,
    EventType.DEBRIEF_ENDED: _ended,
    EventType.IMPROVEMENT_STATUS: _improvement,
}
