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
