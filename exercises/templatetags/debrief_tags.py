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
    from exercises import debrief_views

    html = debrief_views.page_panel(context.flatten())
    link = format_html('<link rel="stylesheet" href="{}">', static("css/debrief.css"))
    return mark_safe(link + html)  # noqa: S308 - rendered by our own template


@register.simple_tag
def debrief_report(exercise: Any) -> dict[str, Any]:
    """The report's debrief section: poll results and notes per step, and the hot wash."""
    from exercises import debrief

    lang = translation.get_language() or "en"
    return {"steps": debrief.report_section(exercise, lang), "hotwash": debrief.hotwash_summary(exercise)}
