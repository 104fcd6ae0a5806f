from django import template
from django.utils.translation import get_language

from exercises.screens import labels
from scenarios.glossary import gloss as _gloss

register = template.Library()


@register.filter
def status_label(status: str) -> str:
    """An exercise status (lobby, running, paused, ended) in the active language."""
    return str(labels.STATUS_LABELS.get(status, status))


@register.filter
def rule_label(rule: str) -> str:
    return labels.rule_label(rule)


@register.filter
def gloss(rule: str) -> str:
    """The one-line meaning of a rule tag (R1–R14, consent) in the active language, or ""."""
    return _gloss(str(rule), (get_language() or "en")[:2])


@register.filter
def grouped(code: str) -> str:
    """A join code as read aloud and typed: ``K7QX-2MPA-RT``."""
    from exercises.models import grouped_code

    return grouped_code(str(code or ""))


@register.filter
def pct(value: object) -> int:
    """A percentage as a whole number 0-100, for a ``w-N`` width class (static/css/sizes.css)."""
    try:
        return max(0, min(100, round(float(value))))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0


@register.filter
def tenths(value: object) -> int:
    """A shade 0-1 as 0-10, for a ``shade-N`` class (static/css/sizes.css)."""
    try:
        return max(0, min(10, round(float(value) * 10)))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0


@register.filter
def gamedate(value: object, arg: str = "") -> str:
    """An in-game or wall date the one way every screen writes it (exercises.dates): ``5 sept 08:46``;
    ``|gamedate:"year"`` for ``5 sept 2001``, ``|gamedate:"year,time"`` for both; add ``wall`` for a real moment (site time zone)."""
    from datetime import datetime

    from exercises.dates import short_date

    if not isinstance(value, datetime):
        return "" if value in (None, "") else str(value)
    flags = set(arg.split(",")) if arg else {"time"}
    if "wall" in flags:  # a moment on the wall clock: the site's time zone, as |date would show it
        from django.utils import timezone

        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return short_date(value, year="year" in flags, time="time" in flags)
