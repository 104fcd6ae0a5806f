"""What every review page shares: the base context, the note form's choices, small parsers."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from pydantic import ValidationError

from exercises import instructor, selectors, wording
from exercises.models import Exercise

from ..analytics import Analysis
from ..log import lang_now


def is_partial(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False)) or request.GET.get("partial") == "1"


def base_context(exercise: Exercise, analysis: Analysis, tab: str) -> dict[str, Any]:
    log = analysis.log
    notes = instructor.notes(
        log.scenario, log.lang, phase=analysis.final.phase, released=instructor.released_injects(log.entries)
    )
    return {
        "exercise": exercise,
        "analysis": analysis,
        "log": log,
        "tab": tab,
        "instructor": notes,  # facilitator pages only: the share view never calls base_context
        "glossary": notes.glossary,
    }


def int_or(value: str | None, default: int) -> int:
    try:
        return int(value) if value not in (None, "") else default
    except ValueError:
        return default


# --------------------------------------------------------------------------- evaluator notes


def note_form(analysis: Analysis, request: HttpRequest) -> dict[str, Any]:
    log = analysis.log
    sc = log.scenario
    return {
        "note_roles": [(r.id, r.title.get(log.lang)) for r in sc.roles],
        "note_objectives": [
            (o.id, f"{r.title.get(log.lang)} — {o.text.get(log.lang)}") for r in sc.roles for o in r.objectives
        ],
        "note_event": int_or(request.GET.get("note_event"), 0) or "",
        "note_error": request.GET.get("note_error", ""),
    }


def short_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    return str(exc)


def quote_message(text: str) -> str:
    from urllib.parse import quote

    return quote(text[:300])


def refusal_text(exercise: Exercise, payload: dict) -> str:
    """A refusal in the staff member's language, with labels (``exercises/wording.py``)."""
    return wording.rejection(payload, selectors.scenario_of(exercise), lang_now())
