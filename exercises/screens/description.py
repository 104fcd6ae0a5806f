"""What ``describe`` returns, and the causes of an event in words (``cause_text``).

An effect may be visible where its cause is not (everyone sees a public indicator move after
one side's secret decision), so a cause is named only to those who saw it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from exercises import engine
from exercises.engine import Viewer
from exercises.engine.events import EventType

from .labels import Labels, rule_badge


@dataclass
class Description:
    """An event in words for one viewer. ``who``/``side`` None: the event's own role."""

    kind: str  # system | phase | inject | lost | indicator | channel | message | proposal | approval …
    title: str
    body: str = ""
    badges: list[tuple[str, str]] = field(default_factory=list)  # (label, css modifier)
    cause: str = ""  # why it happened, when this viewer may know
    who: str | None = None
    side: str | None = None
    details: list[str] = field(default_factory=list)  # for the facilitator only

    def line(self, *, with_body: bool = True) -> str:
        """One line of text (a timeline row, a chart marker, a search haystack): the title, the
        body, the cause, the badges' words (rule tags, option, sender, recipients) and the
        facilitator's details. ``with_body=False`` where the body is shown apart (an inject's text)."""
        text = self.title
        if with_body and self.body:
            text = f"{text} — {self.body}" if text else self.body
        if self.cause and self.cause not in text:  # a reason given may stand in the body for its cause
            text += f" ({self.cause})"
        # The indicator's move is in the title already; a bot is the row's actor.
        tags = [label for label, css in self.badges if label and css not in ("up", "down", "bot")]
        if tags:
            text += " [" + ", ".join(dict.fromkeys(tags)) + "]"
        if self.details:
            text += " (" + "; ".join(self.details) + ")"
        return text


# --------------------------------------------------------------------------- causes


def _seen_cause(cause: dict[str, Any], viewer: Viewer, lang: str, labels: Labels) -> str | None:
    """The causes that are events of the log: named only to a viewer who saw that event."""
    sc = labels.scenario
    if cause.get("inject") and labels.inject_visible(cause["inject"], viewer):
        return _("after: %(title)s") % {"title": sc.inject(cause["inject"]).title.get(lang)}
    if cause.get("action") in sc.actions_by_id and labels.proposal_visible(int(cause.get("proposal") or 0), viewer):
        return _("after: %(title)s") % {"title": sc.action(cause["action"]).title.get(lang)}
    return None


def cause_text(cause: dict[str, Any], viewer: Viewer, lang: str, labels: Labels) -> tuple[str, list[tuple[str, str]]]:
    """Why something happened, in words, and the badge of the rule it came from."""
    badges = [rule_badge(cause["rule"])] if cause.get("rule") else []
    if cause.get("facilitator"):
        return _("set by the facilitator"), badges
    seen = _seen_cause(cause, viewer, lang, labels)
    if seen is not None:
        return seen, badges
    if cause.get("pressure"):
        pressure = next((p for p in labels.scenario.pressures if p.id == cause["pressure"]), None)
        return (pressure.description.get(lang) if pressure else ""), badges
    if cause.get(EventType.CONTRADICTION):
        return _("contradictory public statements"), badges
    if cause.get("refused") and labels.proposal_visible(int(cause["refused"]), viewer):
        return _("after a refusal"), badges
    if cause.get("leak"):
        return _("a plan leaked"), badges
    return "", badges


def role_of(event: engine.Event, labels: Labels) -> str:
    return labels.role_title(event.role) if event.role else ""


def proposal_action(payload: dict[str, Any], labels: Labels) -> str:
    return payload.get("action") or labels.proposal_action(int(payload.get("proposal") or 0))


def proposal_details(payload: dict[str, Any], viewer: Viewer) -> list[str]:
    return [f"#{payload['proposal']}"] if viewer.facilitator and payload.get("proposal") else []


def is_public(viewer: Viewer) -> bool:
    """The projector, the share link, a participant without a role: no side's secrets."""
    return not viewer.facilitator and not viewer.role


Describer = Callable[[engine.Event, Viewer, str, Labels], "Description | None"]
