"""Named fragments: one partial template each, rendered in a page or pushed out-of-band.

A page includes the partials with the context built here; ``push`` renders the same
partials with ``oob=True`` so each top-level element carries ``hx-swap-oob`` and htmx's
ws extension swaps it by id. One fragment, two transports.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import threading
from typing import Any

from cachetools import LRUCache
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.functional import Promise
from django.utils.safestring import mark_safe

from . import engine, instructor, present
from .engine import Viewer
from .present import Snapshot

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


# Partials whose output depends on the wall clock (``timesince``): rendered every time.
UNCACHED = frozenset({"presence.html", "roster.html"})


def _cached(template: str, context: dict[str, Any], build: Any) -> str:
    key = UNKEYABLE if template in UNCACHED else content_key(context)
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


def render(template: str, context: dict[str, Any], *, oob: bool = False) -> str:
    """Render one partial; a panel that carries ``data-hash`` gets the hash of its content.

    The client skips a pushed panel whose hash equals the one on screen, so an unchanged
    panel is not swapped (a half-typed rationale, an open ``<details>`` stay as they are).
    Rendered once per distinct (template, language, context): see ``content_key``.
    """
    context = {**context, "oob": oob}

    def build() -> str:
        html = render_to_string(P + template, context)
        if HASH in html:
            digest = hashlib.blake2b(html.replace(OOB, "").encode(), digest_size=8).hexdigest()
            html = html.replace(HASH, f'data-hash="{digest}"', 1)
        return html

    return _cached(template, context, build)


def append(swap: str, target: str, template: str, items: list[Any], context: dict[str, Any] | None = None) -> str:
    """Items to add at one end of a list (``afterbegin`` for the feed, ``beforeend`` for chat)."""
    full = {**(context or {}), "swap": swap, "target": target, "items": items, "item_template": template}
    return _cached("append.html", full, lambda: render_to_string(P + "append.html", full))


def base(snap: Snapshot) -> dict[str, Any]:
    """What every fragment may use, whichever transport renders it."""
    return {"code": snap.exercise.code}


# --------------------------------------------------------------------------- panel contexts


def clock(snap: Snapshot, lang: str) -> dict[str, Any]:
    return {"clock": present.clock(snap, lang)}


def indicators(snap: Snapshot, viewer: Viewer, lang: str) -> dict[str, Any]:
    return {"indicators": present.indicators(snap, viewer, lang)}


def actions(snap: Snapshot, role: str, lang: str, *, as_role: str = "") -> dict[str, Any]:
    return {"actions": present.actions(snap, role, lang), "as_role": as_role, "status": snap.state.status}


def proposals(snap: Snapshot, viewer: Viewer, lang: str, *, as_role: str = "") -> dict[str, Any]:
    rows = present.proposals(snap, viewer, lang, as_role=as_role)
    return {
        "pending": [p for p in rows if p.status == "pending"],
        "decisions": [p for p in rows if p.status != "pending"],
        "as_role": as_role,
    }


def seats(snap: Snapshot, lang: str, *, with_presence: bool = False) -> dict[str, Any]:
    return {"sides": present.seats(snap, lang, with_presence=with_presence), "status": snap.state.status}


def channels(
    snap: Snapshot, viewer: Viewer, lang: str, events: list[engine.Event] | None, *, as_role: str = ""
) -> dict[str, Any]:
    found = present.channels(snap, viewer, lang, as_role=as_role)
    msgs = present.messages(snap, events, viewer, lang) if events is not None else {}
    for channel in found:
        channel.messages = msgs.get(channel.id, [])
    return {"channels": found, "as_role": as_role}


def injects(snap: Snapshot, lang: str) -> dict[str, Any]:
    """The console's inject list; each row rendered once per content (``_cached``): a release
    re-renders its own row, not the whole list (the list grows by one row an inject)."""
    rows = present.injects(snap, lang)
    html = "".join(
        _cached("inject_row.html", {"row": row}, lambda row=row: render_to_string(P + "inject_row.html", {"row": row}))
        for row in rows
    )
    return {"inject_rows_html": mark_safe(html)}  # noqa: S308 - our own escaped partials


def instructor_notes(snap: Snapshot, lang: str) -> dict[str, Any]:
    """The facilitator-only notes panel: the current phase open, released injects marked."""
    st = snap.state
    released = set(st.released) - set(st.lost)
    return {"notes": instructor.notes(snap.scenario, lang, phase=st.phase, released=released)}


def institutions(snap: Snapshot, lang: str) -> dict[str, Any]:
    return {"institutions": present.institution_approvals(snap, lang)}


def ended(snap: Snapshot, *, facilitator: bool = False) -> dict[str, Any]:
    """The end screen: shown once the exercise has ended, with the players' report when shared."""
    report_url = ""
    if snap.state.status == "ended":
        from django.urls import reverse
        from django.utils import timezone

        from .models import ShareLink

        link = (
            ShareLink.objects.filter(exercise_id=snap.exercise.pk, revoked_at=None)
            .exclude(expires_at__lte=timezone.now())
            .order_by("-created_at")
            .first()
        )
        if link is not None:
            report_url = reverse("review:share", args=[link.token])
    return {"ended": snap.state.status == "ended", "report_url": report_url, "facilitator": facilitator}


def controls(snap: Snapshot, lang: str) -> dict[str, Any]:
    sc, st = snap.scenario, snap.state
    index = sc.phase_index[st.phase]
    return {
        "status": st.status,
        "can_start": st.status == "lobby",
        "can_pause": st.status == "running",
        "can_resume": st.status == "paused" and st.game_time < sc.clock.end,
        "can_advance": st.status in ("running", "paused") and index + 1 < len(sc.phases),
        "can_end": st.status in ("running", "paused"),  # not before the start: End is not next to Start
        "paused_hint": st.status == "paused" and index + 1 < len(sc.phases),
        "next_phase": sc.phases[index + 1].title.get(lang) if index + 1 < len(sc.phases) else "",
    }


def roster(snap: Snapshot, lang: str) -> dict[str, Any]:
    people = present.people(snap, lang)
    return {
        **seats(snap, lang, with_presence=True),
        "people": people,
        "unseated": [p for p in people if not p.role],
        "unfilled": [
            (r.id, r.title.get(lang))
            for r in snap.scenario.roles
            if r.id not in snap.state.holders and r.id not in snap.state.bots
        ],
    }


# --------------------------------------------------------------------------- whole screens


def room(snap: Snapshot, viewer: Viewer, lang: str, events: list[engine.Event]) -> dict[str, Any]:
    """A player with a role: brief, feed, channels, actions, approvals, decisions."""
    role = viewer.role
    return {
        "mode": "room",
        **ended(snap),
        "brief": present.brief(snap, role, lang),
        "items": present.feed(snap, events, viewer, lang),
        **clock(snap, lang),
        **indicators(snap, viewer, lang),
        **channels(snap, viewer, lang, events),
        **actions(snap, role, lang),
        **proposals(snap, viewer, lang),
        **seats(snap, lang),
    }


def lobby(snap: Snapshot, viewer: Viewer, lang: str, events: list[engine.Event]) -> dict[str, Any]:
    """A participant without a role (or the projector): the roles to claim and the public board."""
    return {
        "mode": "lobby",
        **ended(snap),
        "items": present.feed(snap, events, viewer, lang),
        **clock(snap, lang),
        **indicators(snap, viewer, lang),
        **seats(snap, lang),
    }


def play(snap: Snapshot, viewer: Viewer, lang: str, events: list[engine.Event]) -> dict[str, Any]:
    return room(snap, viewer, lang, events) if viewer.role else lobby(snap, viewer, lang, events)


def console(snap: Snapshot, lang: str, events: list[engine.Event]) -> dict[str, Any]:
    viewer = engine.FACILITATOR_VIEW
    return {
        "mode": "console",
        **ended(snap, facilitator=True),
        "items": present.feed(snap, events, viewer, lang),
        **clock(snap, lang),
        **indicators(snap, viewer, lang),
        **channels(snap, viewer, lang, events),
        **controls(snap, lang),
        **injects(snap, lang),
        **instructor_notes(snap, lang),
        **institutions(snap, lang),
        **roster(snap, lang),
        "scripted": [(i.id, i.title.get(lang)) for i in snap.scenario.injects],
        "recipients": [(s.id, s.name.get(lang)) for s in snap.scenario.sides]
        + [(r.id, r.title.get(lang)) for r in snap.scenario.roles],
        "all_indicators": [(i.id, i.name.get(lang)) for i in snap.scenario.indicators],
        "all_channels": [
            (c.id, c.name.get(lang), snap.state.channels.get(c.id, c.open)) for c in snap.scenario.channels
        ],
    }


def act_as(snap: Snapshot, role: str, lang: str) -> dict[str, Any]:
    """The facilitator playing an unfilled role: its actions, approvals and channels."""
    viewer = engine.FACILITATOR_VIEW
    panel = proposals(snap, viewer, lang, as_role=role)
    panel["pending"] = [p for p in panel["pending"] if p.mine or p.awaits_me]
    panel["decisions"] = [p for p in panel["decisions"] if p.mine]
    return {
        "role": role,
        "role_title": snap.role_title(role, lang),
        "filled": role in snap.state.holders or role in snap.state.bots,
        "bot": role in snap.state.bots,
        **actions(snap, role, lang, as_role=role),
        **panel,
        **channels(snap, viewer, lang, None, as_role=role),
    }
