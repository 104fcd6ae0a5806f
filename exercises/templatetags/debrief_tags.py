"""The debrief's slots in pages it does not own (the room, the projector, the report)."""

from __future__ import annotations

from typing import Any

from django import template
from django.templatetags.static import static
from django.utils import translation
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag(takes_context=True)
def debrief_slot(context: template.Context) -> SafeString:
    """The debrief panel of a room or projector page (updated by the WebSocket afterwards)."""
    from exercises import debrief_panels

    html = debrief_panels.page_panel(dict(context.flatten()))  # type: ignore[arg-type]
    link = format_html('<link rel="stylesheet" href="{}">', static("css/debrief.css"))
    return mark_safe(link + html)  # noqa: S308 - rendered by our own template


@register.simple_tag
def debrief_report(exercise: Any) -> dict[str, Any]:
    """The report's debrief section: poll results and notes per step, and the hot wash."""
    from exercises import debrief

    lang = translation.get_language() or "en"
    return {"steps": debrief.report_section(exercise, lang), "hotwash": debrief.hotwash_summary(exercise)}


@register.simple_tag(takes_context=True)
def tracked_status(context: template.Context, exercise: Any, row: dict[str, Any]) -> str:
    """An improvement-plan row's tracked status (open / in progress / closed, and who closed it)."""
    from django.utils.translation import gettext as _

    from exercises import debrief
    from exercises.engine import debrief as d

    if exercise is None or not getattr(exercise, "pk", None):
        return row.get("status", "")
    cache = getattr(exercise, "_plan_items", None)
    if cache is None:
        cache = {i.key: i for i in debrief.items_of(exercise)}
        exercise._plan_items = cache
    item = cache.get(d.improvement_key(row.get("issue", ""), row.get("action", "")))
    if item is None:
        return row.get("status", "")
    label = {"open": _("open"), "in_progress": _("in progress"), "closed": _("closed")}[item.status]
    if item.changed_by and not context.get("public"):  # the players' share link names no account
        by = _("by %(who)s") % {"who": item.changed_by}
        return f"{label} ({by})"
    return label
