"""``config.asgi`` with a stand-in push renderer, used only while ``exercises.push`` is unwritten.

The transport tests need frames that say which events they carry. Once ``push.render_batch``
and ``screens.audiences.replay`` exist, the tests run the real application instead (see conftest.app_path).
The stand-in obeys the same contract: one frame per audience key, an ``id="ct-seq"`` marker
with the last seq, and only events the viewer may see.
"""

from __future__ import annotations

import json

from django.utils.html import escape

from config.asgi import application  # noqa: F401 - the ASGI entry point
from exercises import engine, push, selectors
from exercises.screens import answers, audiences


def _viewer(audience_key: str) -> engine.Viewer:
    if audience_key == "facilitator":
        return engine.FACILITATOR_VIEW
    return engine.Viewer(role=audience_key.removeprefix("role:") if audience_key.startswith("role:") else "")


def _frame(events: list[engine.Event], last: int) -> str:
    items = "".join(
        f'<li data-ev="{e.seq}">{escape(e.type)} {escape(json.dumps(e.payload, ensure_ascii=False))}</li>'
        for e in events
    )
    return f'<span id="ct-seq" data-seq="{last}" hx-swap-oob="true"></span><ul id="feed" hx-swap-oob="beforeend">{items}</ul>'


async def render_batch(
    exercise_id: int, events: list[engine.Event], keys: list[tuple[str, str]], code: str = "", ready=None
) -> list[str | Exception]:
    return [_frame([e for e in events if engine.can_see(e, _viewer(k[0]))], events[-1].seq) for k in keys]


def replay(
    exercise_id: int, after: int, viewer: engine.Viewer, lang: str, full: bool, asked_at: float | None = None
) -> tuple[str, int]:
    events = selectors.log(exercise_id, after=after)
    if not events:
        return "", after
    return _frame(list(engine.visible(events, viewer)), events[-1].seq), events[-1].seq


def toast(text: str, level: str = "error", rule: str = "", lang: str = "") -> str:
    return f'<div id="toasts" hx-swap-oob="beforeend"><p class="toast toast-{level}" data-rule="{escape(rule)}">{escape(text)}</p></div>'


push.render_batch = render_batch
audiences.replay = replay
answers.toast = toast
