"""Form fields into an engine command: the same reading for an HTTP POST and a ws-send frame.

htmx's ws extension sends a form as JSON (``{"type": ..., "HEADERS": {...}}``); a browser
POST sends the same fields form-encoded. Both end up here, then in ``services.execute``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from . import engine

IGNORED = frozenset({"HEADERS", "csrfmiddlewaretoken", "cid"})
MAX_DEPTH = 4  # a command frame is a dict of scalars and short lists; HEADERS is a dict of strings
CID = re.compile(r"^[A-Za-z0-9_-]{8,40}$")


class BadFrame(ValueError):
    """A frame that is not a command at all. ``code``: too_large | malformed | too_deep."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _depth(node: Any, limit: int) -> int:
    """How deep ``node`` nests, counting no further than ``limit + 1``."""
    if limit < 0 or not isinstance(node, dict | list):
        return 0
    children = node.values() if isinstance(node, dict) else node
    return 1 + max((_depth(child, limit - 1) for child in children), default=0)


def parse_frame(text: str, *, max_bytes: int) -> dict[str, Any]:
    """A WebSocket text frame as a dict, or ``BadFrame``; never another exception.

    The size is checked before anything is decoded; NaN and Infinity are refused; numbers too
    large for a float (``1e400``) become ``inf`` and fail any integer field later.
    """
    if len(text) > max_bytes or len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        raise BadFrame("too_large")
    try:
        data = json.loads(text, parse_constant=_no_constants)
    except (ValueError, RecursionError):
        raise BadFrame("malformed") from None
    if not isinstance(data, dict):
        raise BadFrame("malformed")
    if _depth(data, MAX_DEPTH) > MAX_DEPTH:
        raise BadFrame("too_deep")
    return data


def resume_from(data: Mapping[str, Any]) -> tuple[int, bool]:
    """``{"type": "resume", "last": N, "full": bool}``: N a non-negative integer, or ``BadFrame``."""
    last = data.get("last", 0)
    if last is None or last == "":
        last = 0
    if isinstance(last, str) and last.isascii() and last.isdigit() and len(last) <= 12:
        last = int(last)
    if isinstance(last, bool) or not isinstance(last, int) or not 0 <= last < 2**53:
        raise BadFrame("malformed")
    return last, data.get("full") is True


def client_id(data: Mapping[str, Any]) -> str:
    """The client's id for a command (the composer's), or "" when absent or malformed."""
    cid = data.get("cid")
    return cid if isinstance(cid, str) and CID.fullmatch(cid) else ""


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
