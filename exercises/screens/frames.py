"""A frame: what one viewer receives over the WebSocket for a batch of committed events.

A frame is a string of top-level elements, each with an id and ``hx-swap-oob``: the sequence
marker (``#ct-seq``, which the client sends back on resume), the clock bar, new feed items and
messages appended to their lists, and the panels the batch may have changed, rendered from the
same partial templates as the pages (``screens.contexts``). ``frame_parts`` leaves out a panel
whose content the audience's screens already show (``known``, kept by ``screens.audiences``).
"""

from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass, field
from typing import Any

from cachetools import LRUCache

from exercises import debrief_panels, engine
from exercises.engine import debrief
from exercises.engine.commands import BOT_PREFIX
from exercises.engine.events import PROPOSAL_LIFE, EventType
from scenarios.schema import Scenario

from . import contexts, panels, partials
from . import feed as feeds
from .snapshot import QUIET, ROSTER, Snapshot, viewer_kind

CHANNEL_CHANGES = frozenset({EventType.CHANNEL_OPENED, EventType.CHANNEL_CLOSED})
INJECT_CHANGES = frozenset({EventType.INJECT_RELEASED, EventType.INJECT_LOST, EventType.INJECT_SEEN})
# The console's inject rows a batch changed: the part's name, and in ``_Sent`` the content key
# of each row on screen (by its id).
INJECT_ROWS = "inject-rows"
# The instructor notes' inject rows a scripted release or loss changed: the part's name.
NOTE_ROWS = "note-rows"
# Panels that may be left out of a frame when their content is what the audience has.
MEMO_PANELS = frozenset(
    {
        "indicators.html",
        "actions.html",
        "approvals.html",
        "decisions.html",
        "table.html",
        "controls.html",
        "institutions.html",
        "injects.html",
        "instructor_notes.html",
        "lobby_roles.html",
    }
)
# The partials a frame pushes that read the exercise's code (a URL of their own): only these get
# ``contexts.base`` in their context. Every other one is a function of what it shows alone, so one
# render serves every table whose screens show the same: with the code in every context, the
# console's controls and notes and a role's actions were rendered once per table, the same HTML
# (a scripted inject's release re-rendered 27 KB of instructor notes for each of 20 tables at
# once; issue #11, part 12). tests/test_frame_contexts.py checks this list against the templates.
CODE_PANELS = frozenset({"lobby_roles.html"})
# Event types that can change a role's approvals and decisions panels (beyond a bot's move: any
# event a bot makes updates its seat, which the "played" marks read) and its indicators.
PROPOSAL_CHANGES = PROPOSAL_LIFE | ROSTER
INDICATOR_CHANGES = frozenset({EventType.INDICATOR_CHANGED})
# Event types that can change what a role may do (``engine.action_views``: the status, the phase,
# the actions executed, refused, proposed or pending, the indicators, the injects received, the
# open channels, the statements made). Roster, receipts and messages cannot change it. A release,
# a loss or an indicator's change counts only for the injects and indicators the actions'
# requirements test (``_moves_actions``; an ad-hoc release names no inject).
ACTION_CHANGES = frozenset(
    {
        EventType.EXERCISE_STARTED,
        EventType.EXERCISE_PAUSED,
        EventType.EXERCISE_RESUMED,
        EventType.EXERCISE_ENDED,
        EventType.PHASE_CHANGED,
        EventType.INJECT_RELEASED,
        EventType.INJECT_LOST,
        EventType.INDICATOR_CHANGED,
        EventType.CHANNEL_OPENED,
        EventType.CHANNEL_CLOSED,
        *PROPOSAL_LIFE,
        *debrief.EVENT_TYPES,
    }
)


def frame(
    snap: Snapshot, events: list[engine.Event], viewer: engine.Viewer, lang: str, *, everything: bool = False
) -> str:
    """What ``viewer`` receives for ``events`` (already committed), ending at ``snap``.

    ``everything`` re-renders every panel of the viewer's screen (a catch-up may have
    skipped any number of batches); otherwise only the panels the batch may have changed.
    """
    parts, _panels = frame_parts(snap, events, viewer, lang, everything=everything)
    return "".join(part for _name, part in parts)


@dataclass
class _Frame:
    """The parts of one frame being built, and the content key of each panel considered."""

    snap: Snapshot
    events: list[engine.Event]
    viewer: engine.Viewer
    lang: str
    everything: bool
    known: dict[str, Any]
    follows: bool = False
    types: set[str] = field(default_factory=set)
    parts: list[tuple[str, str]] = field(default_factory=list)
    panels: dict[str, Any] = field(default_factory=dict)
    base: dict[str, Any] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return self.everything or bool(self.types - QUIET)

    @property
    def roster(self) -> bool:
        return self.everything or bool(self.types & ROSTER)

    def unknown(self, name: str) -> bool:
        """Whether the audience's screens may show ``name`` other than as of the seq before the
        batch: its content key is not known, and the screens are not known to follow on (``follows``)."""
        return name not in self.known and not self.follows

    def put(self, template: str, context: dict[str, Any], name: str = "") -> None:
        name = name or template
        if template in CODE_PANELS:
            context = {**self.base, **context}
        # Keyed once: to compare with what the audience shows, and for the render cache.
        content = partials.UNKEYABLE if template in partials.UNCACHED else partials.content_key(context)
        if template in MEMO_PANELS:
            self.panels[name] = content
            if name in self.known and self.known[name] == content and content is not partials.UNKEYABLE:
                return  # already on every screen of this audience
        self.parts.append((name, partials.render(template, context, oob=True, key=content)))


# What ``_Sent`` keeps of the actions last built for an audience: how many of the game times that
# actions' requirements compare against (``after``) had passed.
ACTIONS_CLOCK = "actions.html#clock"


def _actions_clock(snap: Snapshot) -> int:
    """How many of the game times the actions' requirements name have passed (the actions can
    change with the clock only when this does)."""
    return _actions_clock_at(snap.scenario, snap.state.game_time)


def _actions_clock_at(sc: Scenario, game_time: int) -> int:
    return bisect.bisect_right(sc.requirement_times, game_time)


def _moves_actions(event: engine.Event, sc: Scenario) -> bool:
    """Whether ``event`` can change what a role may do: a release, a loss or an indicator's change
    only for an inject or indicator the actions' requirements test. In september-2001, 7 of the 32
    injects and none of the indicators: a scripted release rebuilt every role's actions (1.4 ms a
    table, and the clocks release one at every table at once; issue #11, part 14)."""
    if event.type not in ACTION_CHANGES:
        return False
    if event.type in (EventType.INJECT_RELEASED, EventType.INJECT_LOST):
        return event.payload.get("inject") in sc.requirement_injects  # an ad-hoc release names none
    if event.type == EventType.INDICATOR_CHANGED:
        return event.payload.get("indicator") in sc.requirement_indicators
    return True


def _actions_may_change(f: _Frame, clock: int) -> bool:
    """Whether the batch can change what the role may do: an event of ``ACTION_CHANGES`` (a
    release, a loss or an indicator's change only if the actions' requirements test it), or the
    game time past an action's ``after``."""
    if f.everything or f.unknown("actions.html") or f.known.get(ACTIONS_CLOCK) != clock:
        return True
    return any(_moves_actions(e, f.snap.scenario) for e in f.events)


# What ``_Sent`` keeps of the clock last pushed to an audience: what the browser runs it from.
CLOCK_ANCHORS = "clock.html#anchors"


def _clock_anchors(snap: Snapshot) -> tuple[Any, ...]:
    """The state the clock bar's browser side runs from (static/js/app.js ``tick``): the status,
    the phase (its title, rate and boundary) and the anchor it counts from; stopped, the game time
    it shows. Running, every event's game time is the anchor's count at that moment
    (``engine.rules.game_now``), which the browser's own count has passed by the time it reads it;
    the bar's in-game time and ``server_now`` move on every batch, but the browser computes the
    first itself, and the second only corrects its skew, which the page load set."""
    st = snap.state
    return (st.status, st.phase, st.anchor_game, st.anchor_wall, None if st.status == "running" else st.game_time)


def _clock(f: _Frame) -> None:
    """The clock bar, when its anchors moved or the audience's screens are not known to show it
    (issue #11, part 6: it was half of an ad-hoc inject's role frame, and ~1 ms of its building)."""
    anchors = _clock_anchors(f.snap)
    f.panels[CLOCK_ANCHORS] = anchors
    if f.everything or f.known.get(CLOCK_ANCHORS) != anchors:
        f.put("clock.html", contexts.clock(f.snap, f.lang))


def _role_panels(f: _Frame) -> None:
    snap, viewer, lang = f.snap, f.viewer, f.lang
    if f.changed:
        clock = _actions_clock(snap)
        if _actions_may_change(f, clock):
            f.put("actions.html", contexts.actions(snap, viewer.role, lang))
            f.panels[ACTIONS_CLOCK] = clock
        bot_moved = any(e.actor.startswith(BOT_PREFIX) for e in f.events)
        if (
            f.everything
            or bot_moved
            or f.types & PROPOSAL_CHANGES
            or f.unknown("approvals.html")
            or f.unknown("decisions.html")
        ):
            proposals = contexts.proposals(snap, viewer, lang)
            # Each panel keyed by what it shows (issue #11, part 8): a new proposal leaves the
            # decisions as they were, and the decisions, which mark no one's own, are one content
            # for every role that sees the same ones (rendered once, not once per role).
            f.put("approvals.html", {"pending": proposals["pending"], "as_role": proposals["as_role"]})
            f.put("decisions.html", contexts.decisions_shown(proposals))
    if f.roster:
        f.put("table.html", contexts.seats(snap, lang))


def _console_panels(f: _Frame) -> None:
    snap, lang = f.snap, f.lang
    if f.changed:
        f.put("controls.html", contexts.controls(snap, lang))
    if f.changed and (f.types & PROPOSAL_CHANGES or f.unknown("institutions.html")):
        f.put("institutions.html", contexts.institutions(snap, lang))
    _inject_list(f)
    _notes(f)
    if f.roster:
        f.put("roster.html", contexts.roster(snap, lang))


# What the instructor notes read (``contexts.instructor_notes``): the phase (which one is open
# and marked "now"), and the scripted injects released or lost (each its own row); an ad-hoc
# inject has no notes, a receipt changes none.
NOTES_CHANGES = frozenset({EventType.PHASE_CHANGED, EventType.EXERCISE_STARTED, EventType.EXERCISE_ENDED})
NOTE_ROW_CHANGES = frozenset({EventType.INJECT_RELEASED, EventType.INJECT_LOST})


def _notes(f: _Frame) -> None:
    """The console's instructor notes: whole when the phase moves or this audience's screens are
    not known to show them; else only the rows of the scripted injects the batch released or lost,
    replaced by id (``NOTE_ROWS``; static/js/app.js swaps them, as the inject list's rows).

    Built (every phase's and inject's notes, ~1 ms late in a game) only when the batch can change
    them (issue #11, part 5). A scripted release pushed the whole panel, 28 KB, to every console,
    and closed the phases its reader had opened; now its row, 0.5 KB (part 13)."""
    if f.unknown("instructor_notes.html"):  # also ``everything``: nothing is known then
        if f.changed or f.types & INJECT_CHANGES:
            f.put("instructor_notes.html", contexts.instructor_notes(f.snap, f.lang))
        return
    if f.types & NOTES_CHANGES:
        f.put("instructor_notes.html", contexts.instructor_notes(f.snap, f.lang))
        return
    ids = [e.payload["inject"] for e in f.events if e.type in NOTE_ROW_CHANGES and e.payload.get("inject")]
    if ids:
        html = contexts.instructor_note_rows_html(f.snap, f.lang, list(dict.fromkeys(ids)))
        f.panels["instructor_notes.html"] = None  # the panel on screen is no longer the one last sent whole
        f.parts.append((NOTE_ROWS, f'<template hx-swap-oob="beforeend:#instructor-notes">{html}</template>'))


def _inject_list(f: _Frame) -> None:
    """The console's inject list: whole when nothing is known of the rows on screen (the first
    batch, a gap: ``screens.audiences._Sent``), else only the rows the batch changed, replaced by
    id or appended (``INJECT_ROWS``; static/js/app.js swaps them). Screens that follow on from the
    seq before the batch (``follows``) get every row the batch may change, their keys unknown."""
    shown: dict[str, Any] | None = None if f.everything else f.known.get(INJECT_ROWS, {} if f.follows else None)
    if shown is None:
        if f.changed or f.types & INJECT_CHANGES:
            rows = panels.injects(f.snap, f.lang)
            f.put("injects.html", contexts.injects(f.snap, f.lang, rows))
            f.panels[INJECT_ROWS] = {row.dom_id: partials.content_key(row) for row in rows}
        return
    if f.roster:  # a seat taken or left: any row's count of expected readers
        rows = panels.injects(f.snap, f.lang)
    elif f.types & INJECT_CHANGES:
        rows = panels.inject_rows_changed(f.snap, f.events, f.lang)
    else:
        return
    keys = {row.dom_id: partials.content_key(row) for row in rows}
    changed = [row for row in rows if shown.get(row.dom_id) != keys[row.dom_id]]
    if changed:
        f.panels[INJECT_ROWS] = {**shown, **keys}
        f.panels["injects.html"] = None  # the list on screen is no longer the one last sent whole
        html = contexts.inject_rows_html(changed)
        f.parts.append((INJECT_ROWS, f'<template hx-swap-oob="beforeend:#inject-rows">{html}</template>'))


def _public_panels(f: _Frame) -> None:
    if f.roster or f.types & {EventType.EXERCISE_STARTED, EventType.EXERCISE_ENDED}:
        f.put("lobby_roles.html", contexts.seats(f.snap, f.lang))


PANELS_BY_KIND = {"role": _role_panels, "facilitator": _console_panels, "public": _public_panels}


# A batch's feed part for the roles that read it alike (``_role_feed``), by table, seq, batch and
# language: each entry is what the part was worded from (the events the role sees, which of them
# it acknowledged, what ``describe`` asked of it) and the part.
_RoleFeed = tuple[tuple[int, ...], tuple[int, ...], list[tuple[str, Any, bool]], str]
_role_feeds: LRUCache[tuple[Any, ...], list[_RoleFeed]] = LRUCache(maxsize=256)
_role_feeds_lock = threading.Lock()
# Longer batches (a catch-up from far back) are worded for each role: rare, and large to keep.
SHARED_FEED_EVENTS = 64
feed_stats = {"worded": 0, "shared": 0}  # for tests and benchmarks


def _feed_part(f: _Frame, kind: str) -> str:
    if not f.events:
        return ""
    if kind == "role" and len(f.events) <= SHARED_FEED_EVENTS:
        return _role_feed(f)
    items = feeds.feed(f.snap, f.events, f.viewer, f.lang)
    return partials.append("afterbegin", "feed", partials.FEED_ITEM, items) if items else ""


def _role_feed(f: _Frame) -> str:
    """The feed part of a role's frame, worded once for every role that reads the batch alike.

    An inject to every role was worded and content-keyed eleven times for one table, the same
    part each time: two thirds of a role's frame (issue #11, part 10). A role reuses the part of
    a role before it in the same batch and language when it sees the same events of the batch,
    has acknowledged the same releases among them, and answers alike every question ``describe``
    asked of that role (``feed.AskedLabels``: which causes it saw). Otherwise it is worded anew
    and kept for the roles after it."""
    snap, events, viewer, lang = f.snap, f.events, f.viewer, f.lang
    shown = [e for e in events if engine.can_see(e, viewer)]
    visible = tuple(e.seq for e in shown)
    seen = tuple(e.seq for e in shown if e.type == EventType.INJECT_RELEASED and feeds.receipt_seen(snap, e, viewer))
    key = (snap.exercise.pk, snap.exercise.code, snap.seq, events[0].seq, events[-1].seq, len(events), lang)
    labels = snap.labels(lang)
    with _role_feeds_lock:
        kept = list(_role_feeds.get(key, ()))
    for k_visible, k_seen, asked, part in kept:
        if k_visible == visible and k_seen == seen and feeds.answers_alike(labels, asked, viewer):
            feed_stats["shared"] += 1
            return part
    reads = feeds.AskedLabels(labels)
    items = feeds.feed(snap, events, viewer, lang, labels=reads.as_labels())
    part = partials.append("afterbegin", "feed", partials.FEED_ITEM, items) if items else ""
    feed_stats["worded"] += 1
    with _role_feeds_lock:
        _role_feeds.setdefault(key, []).append((visible, seen, reads.asked, part))
    return part


def _feed_and_messages(f: _Frame, kind: str) -> None:
    part = _feed_part(f, kind)
    if part:
        f.parts.append(("feed", part))
    if kind == "public":  # the public board shows public-channel messages in its feed
        return
    for channel, said in feeds.messages(f.snap, f.events, f.viewer, f.lang, live=True).items():
        f.parts.append((f"msgs-{channel}", partials.append("beforeend", f"msgs-{channel}", partials.MESSAGE, said)))


def frame_parts(
    snap: Snapshot,
    events: list[engine.Event],
    viewer: engine.Viewer,
    lang: str,
    *,
    everything: bool = False,
    known: dict[str, Any] | None = None,
    shown_time: int | None = None,
) -> tuple[list[tuple[str, str]], dict[str, Any]]:
    """The parts of ``frame`` by name (a panel's template, ``channel_chrome.html:<id>``, ``seq``,
    ``feed``, ``msgs-<channel>``), and the content key of each panel it considered.

    ``known``: the content keys of the panels the audience's screens show now (see
    ``audiences``); a panel whose content key is the same is left out. ``everything`` ignores it.

    ``shown_time``: the screens are known to show the exercise as of the event just before
    ``events`` (a catch-up: ``audiences.replay_parts``), at that game time. A panel the events
    cannot change is then left out even when its content key is not known (issue #11, part 8).
    """
    kind = viewer_kind(viewer)
    f = _Frame(snap, events, viewer, lang, everything, {} if everything or known is None else known)
    if shown_time is not None and not everything:
        f.follows = True
        f.known = {ACTIONS_CLOCK: _actions_clock_at(snap.scenario, shown_time), **f.known}
    f.types = {e.type for e in events}
    f.base = contexts.base(snap)
    f.parts.append(("seq", partials.render("seq.html", {"seq": snap.seq}, oob=True)))
    _clock(f)
    if everything or EventType.EXERCISE_ENDED in f.types:
        f.put("ended.html", contexts.ended(snap, facilitator=kind == "facilitator"))
    _feed_and_messages(f, kind)
    if f.changed and (everything or f.types & INDICATOR_CHANGES or f.unknown("indicators.html")):
        f.put("indicators.html", contexts.indicators(snap, viewer, lang))
    PANELS_BY_KIND[kind](f)
    if kind != "public" and (everything or f.types & CHANNEL_CHANGES):
        for chrome in panels.channels(snap, viewer, lang):
            f.put("channel_chrome.html", {"ch": chrome}, f"channel_chrome.html:{chrome.id}")
    debrief = debrief_panels.pushed(snap, f.types, viewer, lang, everything=everything)
    if debrief:
        f.parts.append(("debrief", debrief))
    return f.parts, f.panels
