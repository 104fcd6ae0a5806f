"""Frames pushed over the WebSocket: rendered from the same partial templates as the pages.

Contract used by ``consumers`` and ``fanout`` (the UI owns the templates):
- ``render_batch(exercise_id, events, key)``: async; one frame per audience key
  ``(viewer.audience_key, lang)`` for a batch of committed events.
- ``replay(exercise_id, after, viewer, lang, full)``: sync; (frame, last seq) with every
  event the viewer may see after ``after`` (``full`` re-renders whole panels).
- ``presence_changed`` / ``presence_frame``: the console's presence column.
- ``toast``, ``error_text``, ``rejection_text``: answers to one socket.

A frame is a string of top-level elements, each with an id and ``hx-swap-oob``: the
sequence marker (``#ct-seq``, which the client sends back on resume), the clock bar, new
feed items and messages appended to their lists, and the panels the batch may have changed.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from cachetools import LRUCache
from channels.db import database_sync_to_async
from django.conf import settings
from django.db.models import F
from django.db.models.functions import Greatest
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation.trans_real import get_supported_language_variant, parse_accept_lang_header

from exercises.engine.events import EventType
from scenarios.schema import Scenario

from . import debrief_panels, engine, fanout, fragments, presence, present, selectors, wording
from .engine.commands import BOT_PREFIX
from .models import Exercise, Participant
from .present import Snapshot

CHANNEL_CHANGES = frozenset({EventType.CHANNEL_OPENED, EventType.CHANNEL_CLOSED})
INJECT_CHANGES = frozenset({EventType.INJECT_RELEASED, EventType.INJECT_LOST, EventType.INJECT_SEEN})

# --------------------------------------------------------------------------- batches

# Every audience of one batch renders from the same snapshot (the hub asks once per key).
_SNAPSHOTS_KEPT = 16
_snapshots: LRUCache[tuple[int, int], Snapshot] = LRUCache(maxsize=_SNAPSHOTS_KEPT)
_snapshots_lock = threading.Lock()  # cachetools' caches are not thread-safe


_loading: dict[tuple[int, int], threading.Lock] = {}


def _snapshot(exercise_id: int, seq: int, code: str = "") -> Snapshot:
    """The exercise at ``seq``, loaded once for every audience (``code``, when known, guards
    against a cached snapshot of an exercise whose id was reused: a test database)."""
    key = (exercise_id, seq)
    with _snapshots_lock:
        snap = _snapshots.get(key)  # a hit counts as a use (least recently used goes first)
        if snap is not None and code and snap.exercise.code != code:
            del _snapshots[key]
            snap = None
        if snap is not None:
            return snap
        loading = _loading.setdefault(key, threading.Lock())
    with loading:  # the render threads of one batch load its snapshot once
        with _snapshots_lock:
            snap = _snapshots.get(key)
        if snap is not None and (not code or snap.exercise.code == code):
            return snap
        exercise = Exercise.objects.light().get(pk=exercise_id)
        snap = Snapshot.load(exercise, upto=seq)
        snap.now = time.time()  # one clock for every audience of the batch: one clock fragment
        with _snapshots_lock:
            _snapshots[key] = snap
            _loading.pop(key, None)
    return snap


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def render_executor() -> ThreadPoolExecutor | None:
    """The worker's render threads (``CT_RENDER_THREADS``), or None for Channels' database thread."""
    global _pool
    threads = settings.CRISIS_TABLE["RENDER_THREADS"]
    if threads <= 0:
        return None
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(threads, thread_name_prefix="ct-render")
        return _pool


async def render_batch(exercise_id: int, events: list[engine.Event], key: tuple[str, str]) -> str:
    """A batch's frame for one audience, rendered on the render threads: a table's renders
    neither wait for nor hold up the commands on Channels' database thread or other tables'
    renders queued before them (each thread keeps its database connection, CONN_MAX_AGE)."""
    executor = render_executor()
    if executor is None:
        return await database_sync_to_async(_render_batch)(exercise_id, events, key)
    return await database_sync_to_async(_render_batch, thread_sensitive=False, executor=executor)(
        exercise_id, events, key
    )


# Frames of quiet batches (a chat message, a receipt) shared by every role that sees the
# same events the same way: a public message renders ~3 frames, not one per role.
_SHARED_KEPT = 64


def quiet_signature(events: list[engine.Event], viewer: engine.Viewer, lang: str) -> tuple[Any, ...] | None:
    """What a role's frame of a quiet batch depends on, or None when it depends on more.

    In a quiet batch only channel messages reach a player's screen (the feed, actions and
    panels do not change), so two roles that see the same messages, neither or both as
    sender, get the same frame.
    """
    if present.viewer_kind(viewer) != "role" or not {e.type for e in events} <= present.QUIET:
        return None
    visible = tuple(e.seq for e in events if engine.can_see(e, viewer))
    mine = tuple(e.seq for e in events if e.role == viewer.role and e.type in present.MESSAGES)
    return (lang, visible, mine)


# What each audience was last sent, panel by panel: the content key (``fragments.content_key``)
# of every panel in the frames this worker rendered for it, and the seq those frames end at.
# Every socket of an audience either received each of those frames or caught up from the log
# with every panel re-rendered (a gap, a role change, a resume), so while the audience's frames
# are contiguous a panel whose content key is unchanged is already on every one of its screens.


@dataclass
class _Sent:
    code: str
    seq: int
    panels: dict[str, Any] = field(default_factory=dict)


_sent: dict[tuple[int, str, str], _Sent] = {}
_SENT_KEPT = 20_000

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
# Event types that can change a role's approvals and decisions panels (beyond a bot's move: any
# event a bot makes updates its seat, which the "played" marks read) and its indicators.
PROPOSAL_CHANGES = frozenset(
    {
        EventType.ACTION_PROPOSED,
        EventType.APPROVAL_REQUESTED,
        EventType.APPROVAL_RESOLVED,
        EventType.ACTION_EXECUTED,
        EventType.ACTION_REFUSED,
        EventType.ACTION_WITHDRAWN,
        *present.ROSTER,
    }
)
INDICATOR_CHANGES = frozenset({EventType.INDICATOR_CHANGED})


def _advance_sent(exercise_id: int, key: tuple[str, str], events: list[engine.Event]) -> None:
    """A frame that changes no panel went out (a quiet batch): the audience's panels stand."""
    with _snapshots_lock:
        sent = _sent.get((exercise_id, *key))
        if sent is not None and sent.seq == events[0].seq - 1:
            sent.seq = events[-1].seq


def _render_batch(exercise_id: int, events: list[engine.Event], key: tuple[str, str]) -> str:
    return "".join(html for _name, html in render_parts(exercise_id, events, key))


# Frames of quiet batches, by part: see ``quiet_signature``.
_shared_parts: LRUCache[tuple[Any, ...], list[tuple[str, str]]] = LRUCache(maxsize=_SHARED_KEPT)


def render_parts(exercise_id: int, events: list[engine.Event], key: tuple[str, str]) -> list[tuple[str, str]]:
    """The frame of audience ``key`` for a batch, by part (``frame_parts``), leaving out the
    panels this audience's screens already show (``_Sent``)."""
    audience, lang = key
    viewer = present.viewer_of_key(audience)
    signature = quiet_signature(events, viewer, lang)
    shared_key = (exercise_id, events[0].seq, events[-1].seq, signature)
    if signature is not None:
        with _snapshots_lock:
            shared = _shared_parts.get(shared_key)
        if shared is not None:
            _advance_sent(exercise_id, key, events)
            return shared
    snap = _snapshot(exercise_id, events[-1].seq)
    memo_key = (exercise_id, audience, lang)
    with _snapshots_lock:
        sent = _sent.get(memo_key)
        if sent is None or sent.code != snap.exercise.code or sent.seq != events[0].seq - 1:
            # Not contiguous with what this audience was sent (first batch here, a batch skipped
            # or overtaken): nothing is known of its screens, every panel the batch may change goes.
            known: dict[str, Any] = {}
        else:
            known = dict(sent.panels)
    with translation.override(lang):
        parts, panels = frame_parts(snap, events, viewer, lang, known=known)
    with _snapshots_lock:
        sent = _sent.get(memo_key)
        if sent is None or sent.code != snap.exercise.code or sent.seq < events[-1].seq:
            _sent[memo_key] = _Sent(snap.exercise.code, events[-1].seq, {**known, **panels})
            if len(_sent) > _SENT_KEPT:
                _sent.pop(next(iter(_sent)))
        if signature is not None:
            _shared_parts[shared_key] = parts
    return parts


def frame(
    snap: Snapshot, events: list[engine.Event], viewer: engine.Viewer, lang: str, *, everything: bool = False
) -> str:
    """What ``viewer`` receives for ``events`` (already committed), ending at ``snap``.

    ``everything`` re-renders every panel of the viewer's screen (a catch-up may have
    skipped any number of batches); otherwise only the panels the batch may have changed.
    """
    parts, _panels = frame_parts(snap, events, viewer, lang, everything=everything)
    return "".join(part for _name, part in parts)


def frame_parts(
    snap: Snapshot,
    events: list[engine.Event],
    viewer: engine.Viewer,
    lang: str,
    *,
    everything: bool = False,
    known: dict[str, Any] | None = None,
) -> tuple[list[tuple[str, str]], dict[str, Any]]:
    """The parts of ``frame`` by name (a panel's template, ``channel_chrome.html:<id>``, ``seq``,
    ``feed``, ``msgs-<channel>``), and the content key of each panel it considered.

    ``known``: the content keys of the panels the audience's screens show now (see ``_Sent``);
    a panel whose content key is the same is left out. ``everything`` ignores it.
    """
    kind = present.viewer_kind(viewer)
    types = {e.type for e in events}
    changed = everything or bool(types - present.QUIET)
    roster = everything or bool(types & present.ROSTER)
    bot_moved = any(e.actor.startswith(BOT_PREFIX) for e in events)
    known = {} if everything or known is None else known
    base = fragments.base(snap)
    parts = [("seq", fragments.render("seq.html", {"seq": snap.seq}, oob=True))]
    panels: dict[str, Any] = {}

    def put(template: str, context: dict[str, Any], name: str = "") -> None:
        name = name or template
        context = {**base, **context}
        if template in MEMO_PANELS:
            content = fragments.content_key(context)
            panels[name] = content
            if name in known and known[name] == content and content is not fragments.UNKEYABLE:
                return  # already on every screen of this audience
        parts.append((name, fragments.render(template, context, oob=True)))

    put("clock.html", fragments.clock(snap, lang))
    if everything or EventType.EXERCISE_ENDED in types:
        put("ended.html", fragments.ended(snap, facilitator=kind == "facilitator"))
    items = present.feed(snap, events, viewer, lang)
    if items:
        parts.append(("feed", fragments.append("afterbegin", "feed", fragments.FEED_ITEM, items, base)))
    if kind != "public":  # the public board shows public-channel messages in its feed
        for channel, messages in present.messages(snap, events, viewer, lang, live=True).items():
            parts.append(
                (
                    f"msgs-{channel}",
                    fragments.append("beforeend", f"msgs-{channel}", fragments.MESSAGE, messages, base),
                )
            )
    if changed and (everything or types & INDICATOR_CHANGES or "indicators.html" not in known):
        put("indicators.html", fragments.indicators(snap, viewer, lang))
    if kind == "role":
        if changed:
            put("actions.html", fragments.actions(snap, viewer.role, lang))
            if (
                everything
                or bot_moved
                or types & PROPOSAL_CHANGES
                or "approvals.html" not in known
                or "decisions.html" not in known
            ):
                proposals = fragments.proposals(snap, viewer, lang)
                put("approvals.html", proposals)
                put("decisions.html", proposals)
        if roster:
            put("table.html", fragments.seats(snap, lang))
    elif kind == "facilitator":
        if changed:
            put("controls.html", fragments.controls(snap, lang))
            put("institutions.html", fragments.institutions(snap, lang))
        if changed or types & INJECT_CHANGES:
            put("injects.html", fragments.injects(snap, lang))
            put("instructor_notes.html", fragments.instructor_notes(snap, lang))
        if roster:
            put("roster.html", fragments.roster(snap, lang))
    elif roster or types & {EventType.EXERCISE_STARTED, EventType.EXERCISE_ENDED}:
        put("lobby_roles.html", fragments.seats(snap, lang))
    if kind != "public" and (everything or types & CHANNEL_CHANGES):
        for chrome in present.channels(snap, viewer, lang):
            put("channel_chrome.html", {"ch": chrome}, f"channel_chrome.html:{chrome.id}")
    debrief = debrief_panels.pushed(snap, types, viewer, lang, everything=everything)
    if debrief:
        parts.append(("debrief", debrief))
    return parts, panels


def replay(exercise_id: int, after: int, viewer: engine.Viewer, lang: str, full: bool) -> tuple[str, int]:
    """Everything ``viewer`` may see after ``after``, as one frame, and the seq it ends at."""
    # The table's snapshot at its newest event, shared with the batch renders and with every other
    # socket catching up at the same moment (a reconnect storm: one load per table, not per socket).
    last_seq, code = Exercise.objects.filter(pk=exercise_id).values_list("last_seq", "code").get()
    snap = _snapshot(exercise_id, last_seq, code)
    with translation.override(lang):
        if full and viewer.participant:
            # The participant's role changed: their whole screen (lobby or room) changes with it.
            events = selectors.visible_log(exercise_id, viewer, upto=snap.seq)
            context = {**fragments.base(snap), **fragments.play(snap, viewer, lang, events)}
            html = fragments.render("seq.html", {"seq": snap.seq}, oob=True)
            return html + fragments.render("main_play.html", context, oob=True), snap.seq
        if after == snap.seq:
            return "", snap.seq
        if after > snap.seq:
            # The client claims events that do not exist (another database, a forged or stale
            # number): send it everything, as a fresh page would show, so it is not left deaf.
            after = 0
            if viewer.participant:
                return replay(exercise_id, 0, viewer, lang, True)
        events = selectors.log(exercise_id, after=after, upto=snap.seq)
        return frame(snap, events, viewer, lang, everything=True), snap.seq


# --------------------------------------------------------------------------- presence


def presence_changed(exercise_id: int, participant_id: str, delta: int) -> None:
    """A participant's socket opened (+1) or closed (-1): count it and tell the consoles."""
    presence_changes({(exercise_id, participant_id): delta})


def presence_changes(deltas: dict[tuple[int, str], int]) -> None:
    """Several sockets opened or closed (a reconnect storm, batched by ``PresenceBatch``): one
    update per participant, one heartbeat and one notice to the consoles per exercise."""
    now = timezone.now()
    exercises: dict[int, list[str]] = {}
    for (exercise_id, participant_id), delta in deltas.items():
        exercises.setdefault(exercise_id, []).append(participant_id)
        if delta:
            Participant.objects.filter(pk=participant_id, exercise_id=exercise_id).update(
                connections=Greatest(F("connections") + delta, 0), last_seen_at=now
            )
        else:  # as many opened as closed: only seen
            Participant.objects.filter(pk=participant_id, exercise_id=exercise_id).update(last_seen_at=now)
    for exercise_id, participants in exercises.items():
        presence.beat(exercise_id, participants)
        fanout.publish_signal(exercise_id, "presence", {})


def presence_frame(exercise_id: int, lang: str) -> str:
    """The presence badge of every participant, swapped by id on the console."""
    rows = list(
        Participant.objects.filter(exercise_id=exercise_id, removed_at=None).only("pk", "connections", "last_seen_at")
    )
    seen = presence.last_seen(exercise_id, rows)
    with translation.override(lang):
        return "".join(
            fragments.render(
                "presence.html",
                {"pid": p.pk, "presence": present.presence_of(p, seen[p.pk]), "seen": seen[p.pk]},
                oob=True,
            )
            for p in rows
        )


# --------------------------------------------------------------------------- answers to one socket


def toast(text: str, level: str = "error", rule: str = "", lang: str = "") -> str:
    """A toast; a refusal's ``rule`` shows its short name, which opens its one-line explanation."""
    context = {
        "text": text,
        "level": level,
        "rule": present.rule_label(rule) if rule else "",
        "explain": wording.rule_explanation(rule, lang or translation.get_language() or "en") if rule else "",
        "scenario_rule": present.is_scenario_rule(rule),
        "oob": True,
    }
    return render_to_string(fragments.P + "toast.html", context)


def error_text(code: str, lang: str) -> str:
    with translation.override(lang):
        texts = {
            "too_large": _("That was too long to send."),
            "rate": _("Slow down: too many commands in a short time."),
            "malformed": _("The server could not read that request."),
            "too_deep": _("The server could not read that request: it nests too deeply."),
            "binary": _("Binary messages are not supported."),
            "server": _("Something went wrong on the server. Try again."),
            "forbidden": _("You are not allowed to do this."),
            "observer": _("Evaluators watch: they cannot act in the exercise."),
            "removed": _("The facilitator removed you from this table."),
            "unavailable": _(
                "The server has lost its connection to the other servers: nothing was sent. Try again in a moment."
            ),
        }
        return texts.get(code, code)


def ack(cid: str, status: str) -> str:
    """Tells the page's composer what became of the command it numbered ``cid``
    (ok | rejected | error: done or refused, do not resend; retry: not done, resend)."""
    if not cid:
        return ""
    return render_to_string(fragments.P + "ack.html", {"cid": cid, "status": status})


def rejection_message(payload: dict[str, Any], lang: str, scenario: Scenario | None = None) -> str:
    return wording.rejection(payload, scenario, lang)


def rejection_text(event: engine.Event, lang: str, scenario: Scenario | None = None) -> str:
    return f"[{event.payload['rule']}] {rejection_message(event.payload, lang, scenario)}"


def rejection_toast(event: engine.Event, lang: str, scenario: Scenario | None = None) -> str:
    with translation.override(lang):
        return toast(
            rejection_message(event.payload, lang, scenario), "error", str(event.payload.get("rule", "")), lang
        )


def rejection_toast_for(exercise_id: int, event: engine.Event, lang: str) -> str:
    """``rejection_toast`` with the exercise's scenario, for labels (a socket knows only the id)."""
    exercise = Exercise.objects.select_related("scenario").get(pk=exercise_id)
    return rejection_toast(event, lang, selectors.scenario_of(exercise))


def language_of(scope: dict[str, Any]) -> str:
    """The language of a socket's frames, chosen as ``LocaleMiddleware`` chooses a page's.

    Cookie first (Django's ``set_language``), then the session (our switch stores it there
    too), then the browser's Accept-Language, then the default.
    """
    supported = {code for code, _name in settings.LANGUAGES}
    cookies = scope.get("cookies") or {}
    session = scope.get("session") or {}
    for candidate in (cookies.get(settings.LANGUAGE_COOKIE_NAME), session.get("_language")):
        if candidate in supported:
            return candidate
    headers = dict(scope.get("headers") or [])
    accept = headers.get(b"accept-language", b"").decode("latin-1")
    for code, _q in parse_accept_lang_header(accept):
        if code == "*":
            break
        try:
            return get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE
