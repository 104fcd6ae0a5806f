"""Form fields into an engine command: the same reading for an HTTP POST and a ws-send frame.

htmx's ws extension sends a form as JSON (``{"type": ..., "HEADERS": {...}}``); a browser
POST sends the same fields form-encoded. Both end up here, then in ``services.execute``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import engine

IGNORED = frozenset({"HEADERS", "csrfmiddlewaretoken"})
KEEP_EMPTY = frozenset({"text", "rationale", "reason"})  # an empty rationale is an answer
FLAGS = frozenset({"grant", "open", "public"})
LISTS = frozenset({"recipients"})


def command_from(data: Mapping[str, Any]) -> engine.Command:
    """Raises ``engine.InvalidCommand`` naming the field at fault."""
    fields: dict[str, Any] = {}
    for key, value in data.items():
        if key in IGNORED or (value in ("", None) and key not in KEEP_EMPTY):
            continue
        if key in FLAGS and isinstance(value, str):
            value = value.lower() in ("1", "true", "on", "yes")
        if key in LISTS and isinstance(value, str):
            value = [value]
        fields[key] = value
    return engine.parse_command(fields)


def from_post(post: Any) -> dict[str, Any]:
    """A ``QueryDict`` as the dict a ws-send frame would carry (lists only where repeated)."""
    return {key: post.getlist(key) if key in LISTS else post.get(key) for key in post}
