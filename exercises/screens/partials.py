"""Partial templates rendered once per content: ``render`` (a page's include, or pushed
out-of-band with ``oob=True``), ``append`` (items added at one end of a list).

A page includes the partials with the contexts ``screens.contexts`` builds; ``screens.frames``
renders the same partials with ``oob=True`` so each top-level element carries ``hx-swap-oob``
and htmx's ws extension swaps it by id. One fragment, two transports.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import threading
from collections.abc import Callable
from typing import Any

from cachetools import LRUCache
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.functional import Promise

P = "exercises/partials/"
FEED_ITEM = P + "feed_item.html"
MESSAGE = P + "message.html"


OOB = ' hx-swap-oob="true"'
HASH = 'data-hash=""'


# --------------------------------------------------------------------------- one render per content
#
# A partial's HTML is a function of its template, its context and the active language. The
# fragments a batch pushes are mostly the same for many audiences (the clock and the feed item
# of an inject for every role of a table, the indicators for the roles of one side): each is
# rendered once per distinct content and reused across roles and tables (issue #11).

UNKEYABLE = object()
_SCALARS = (str, int, float, bool, type(None), datetime.date, datetime.datetime, datetime.time)


def content_key(value: Any) -> Any:
    """A hashable value equal for two contexts exactly when they render alike, or ``UNKEYABLE``.

    Only plain data is keyed (scalars, lazy translations as their text in the active language,
    lists, tuples, dicts and dataclasses of those); anything else (a model instance, whose repr
    does not show its content) makes the whole context unkeyable, so it is rendered every time.
    """
    if isinstance(value, _SCALARS):
        return (type(value).__name__, value)
    if isinstance(value, Promise):
        return ("str", str(value))
    if isinstance(value, list | tuple):
        keys = tuple(content_key(v) for v in value)
        return UNKEYABLE if any(k is UNKEYABLE for k in keys) else (type(value).__name__, keys)
    if isinstance(value, dict):
        items = tuple((k, content_key(v)) for k, v in value.items())
        if any(k is UNKEYABLE or not isinstance(name, str) for name, k in items):
            return UNKEYABLE
        return ("dict", items)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = tuple(content_key(getattr(value, f.name)) for f in dataclasses.fields(value))
        return UNKEYABLE if any(k is UNKEYABLE for k in fields) else (type(value).__qualname__, fields)
    return UNKEYABLE


_rendered: LRUCache[tuple[Any, ...], str] = LRUCache(maxsize=4096)
_rendered_lock = threading.Lock()
stats = {"rendered": 0, "reused": 0}  # for tests and benchmarks


# Partials whose output depends on the wall clock (``timesince``): rendered every time (a
# presence badge only when it shows a time: ``_wall_clock``).
UNCACHED = frozenset({"roster.html"})


def _wall_clock(template: str, context: dict[str, Any]) -> bool:
    """Whether this render shows a time relative to now: a presence badge does only for someone
    away with a last-seen time (a console's presence beat is mostly "connected" badges: those are
    rendered once per participant and language, issue #11 part 6)."""
    if template == "presence.html":
        return context.get("presence") == "away" and bool(context.get("seen"))
    return template in UNCACHED


def cached(template: str, context: dict[str, Any], build: Callable[[], str], key: Any = None) -> str:
    """``build()``, or the HTML it gave before for the same template, language and content.

    ``key``: ``content_key(context)`` when the caller has it already (``frames._Frame.put`` keys
    a panel to compare it with what the audience shows: a proposals panel's key is ~0.4 ms)."""
    if _wall_clock(template, context):
        key = UNKEYABLE
    elif key is None:
        key = content_key(context)
    if key is UNKEYABLE:
        stats["rendered"] += 1
        return build()
    full = (template, translation.get_language(), key)
    with _rendered_lock:
        html = _rendered.get(full)
    if html is not None:
        stats["reused"] += 1
        return html
    html = build()
    stats["rendered"] += 1
    with _rendered_lock:
        _rendered[full] = html
    return html


def render(template: str, context: dict[str, Any], *, oob: bool = False, key: Any = None) -> str:
    """Render one partial; a panel that carries ``data-hash`` gets the hash of its content.

    The client skips a pushed panel whose hash equals the one on screen, so an unchanged
    panel is not swapped (a half-typed rationale, an open ``<details>`` stay as they are).
    Rendered once per distinct (template, language, context, ``oob``): see ``content_key``;
    ``key`` is ``content_key(context)`` when the caller has it already.
    """
    if key is None:
        key = content_key(context)
    if key is not UNKEYABLE:
        key = (key, oob)
    context = {**context, "oob": oob}

    def build() -> str:
        html: str = render_to_string(P + template, context)
        if HASH in html:
            digest = hashlib.blake2b(html.replace(OOB, "").encode(), digest_size=8).hexdigest()
            html = html.replace(HASH, f'data-hash="{digest}"', 1)
        return html

    return cached(template, context, build, key)


def append(swap: str, target: str, template: str, items: list[Any], context: dict[str, Any] | None = None) -> str:
    """Items to add at one end of a list (``afterbegin`` for the feed, ``beforeend`` for chat)."""
    full = {**(context or {}), "swap": swap, "target": target, "items": items, "item_template": template}
    return cached("append.html", full, lambda: render_to_string(P + "append.html", full))
