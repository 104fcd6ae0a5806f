"""What-if bits placed on the review's pages: the lineage box and the fork / what-if links."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _

from exercises import access, selectors
from exercises.engine.events import EventType

register = template.Library()


@register.filter
def may(level: str | None, need: str) -> bool:
    """``request.access|may:"run"``: does this staff level allow that need (access.NEEDS)?"""
    return access.allows(level or None, need) if level in access.RANK else False


@register.filter
def share(rate: object) -> int:
    """A share 0–1 as a whole percentage."""
    try:
        return max(0, min(100, round(float(rate) * 100)))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0


@register.inclusion_tag("whatif/_lineage.html", takes_context=True)
def review_lineage(context: template.Context, exercise: Any) -> dict[str, Any]:
    """Where this exercise comes from and its forks, with compare and what-if links (review header)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    ancestors, forks = selectors.lineage(exercise, user)
    siblings = 0
    if exercise.parent_id and user is not None:
        siblings = access.visible_exercises(user).filter(parent_id=exercise.parent_id).exclude(pk=exercise.pk).count()
    return {
        "exercise": exercise,
        "ancestors": ancestors,
        "forks": forks,
        "siblings": siblings,
        "level": getattr(request, "access", None),
    }


KEY_KINDS = {
    "executed": _("carried out"),
    "refused": _("refused"),
    "inject": _("inject released"),
    "lost": _("inject lost"),
    EventType.CONTRADICTION.value: _("public contradiction"),  # the key is the event type it counts
    "opened": _("channel opened"),
}


@register.filter
def key_kind(kind: str) -> str:
    """A counterfactual key event's kind, in the active language."""
    return str(KEY_KINDS.get(kind, kind))


@register.filter
def num(value: object) -> object:
    """A percentile as people write it: 86.0 → 86, 83.6 stays (localized in the page's prose)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
