"""Frames pushed over the WebSocket: rendered from the same partial templates as the pages.

Contract used by ``consumers`` and ``fanout`` (the UI owns the templates):
- ``render_batch(exercise_id, events, key)``: async; one frame per audience key
  ``(viewer.audience_key, lang)`` for a batch of committed events.
- ``replay(exercise_id, after, viewer, lang, full)``: sync; (frame, last seq) with every
  event the viewer may see after ``after`` (``full`` re-renders whole panels).
- ``presence_changed`` / ``presence_frame``: the console's presence column.
- ``toast``, ``error_text``, ``rejection_text``: answers to one socket.
"""

from __future__ import annotations

from django.utils.html import escape

from . import engine


async def render_batch(exercise_id: int, events: list[engine.Event], key: tuple[str, str]) -> str:
    raise NotImplementedError


def replay(exercise_id: int, after: int, viewer: engine.Viewer, lang: str, full: bool) -> tuple[str, int]:
    raise NotImplementedError


def presence_changed(exercise_id: int, participant_id: str, delta: int) -> None:
    return None


def presence_frame(exercise_id: int, lang: str) -> str:
    return ""


def toast(text: str, level: str = "error") -> str:
    return f'<div id="toasts" hx-swap-oob="beforeend"><p class="toast toast-{level}" role="alert">{escape(text)}</p></div>'


def error_text(code: str, lang: str) -> str:
    return code


def rejection_text(event: engine.Event, lang: str) -> str:
    return f"[{event.payload['rule']}] {event.payload['message']}"
