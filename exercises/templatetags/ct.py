from django import template

from exercises import present

register = template.Library()


@register.filter
def status_label(status: str) -> str:
    """An exercise status (lobby, running, paused, ended) in the active language."""
    return str(present.STATUS_LABELS.get(status, status))


@register.filter
def rule_label(rule: str) -> str:
    return present.rule_label(rule)


@register.filter
def grouped(code: str) -> str:
    """A join code as read aloud and typed: ``K7QX-2MPA-RT``."""
    from exercises.models import grouped_code

    return grouped_code(str(code or ""))
