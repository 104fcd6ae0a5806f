from django import template
from django.utils.translation import get_language

from exercises import present
from scenarios.glossary import gloss as _gloss

register = template.Library()


@register.filter
def status_label(status: str) -> str:
    """An exercise status (lobby, running, paused, ended) in the active language."""
    return str(present.STATUS_LABELS.get(status, status))


@register.filter
def rule_label(rule: str) -> str:
    return present.rule_label(rule)


@register.filter
def gloss(rule: str) -> str:
    """The one-line meaning of a rule tag (R1–R14, consent) in the active language, or ""."""
    return _gloss(str(rule), (get_language() or "en")[:2])
