"""One date formatter for every screen: the room's clock, the feed, the console, the review.

Django's Spanish formats write "5 Sep" where the browser's ``Intl`` writes "5 sept", and a room
showed both. Every in-game date now goes through ``short_date`` (Python) or through the same
month and weekday names handed to ``static/js/app.js`` in ``data-months`` / ``data-days``, so
both transports write exactly the same text ("mié 5 sept · 08:46"). Decision: docs/i18n.md.
"""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import get_language

MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    # The abbreviations of the RAE's Ortografía (2010), as the browsers' Intl writes them.
    "es": ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic"),
}
DAYS = {  # Monday first, like datetime.weekday()
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "es": ("lun", "mar", "mié", "jue", "vie", "sáb", "dom"),
}


def lang_of(lang: str | None = None) -> str:
    return "es" if (lang or get_language() or "en").startswith("es") else "en"


def short_date(
    when: datetime, *, lang: str | None = None, weekday: bool = False, time: bool = True, year: bool = False
) -> str:
    """``5 Sep 08:46`` / ``5 sept 08:46``; ``weekday`` puts ``Wed`` / ``mié`` first and a ``·`` before the time."""
    code = lang_of(lang)
    text = f"{when.day} {MONTHS[code][when.month - 1]}"
    if year:
        text += f" {when.year}"
    if weekday:
        text = f"{DAYS[code][when.weekday()]} {text}"
    if time:
        text += (" · " if weekday else " ") + when.strftime("%H:%M")
    return text
