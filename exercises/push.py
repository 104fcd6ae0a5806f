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

from . import engine, fanout, fragments, presence, present, selectors, wording
from .models import Exercise, Participant
from .present import Snapshot

CHANNEL_CHANGES = frozenset({EventType.CHANNEL_OPENED, EventType.CHANNEL_CLOSED})
INJECT_CHANGES = frozenset({EventType.INJECT_RELEASED, EventType.INJECT_LOST, EventType.INJECT_SEEN})

# --------------------------------------------------------------------------- batches

# Every audience of one batch renders from the same snapshot (the hub asks once per key).
_SNAPSHOTS_KEPT = 16
_snapshots: LRUCache[tuple[int, int], Snapshot] = LRUCache(maxsize=_SNAPSHOTS_KEPT)
_snapshots_lock = threading.Lock()  # cachetools' caches are not thread-safe


def _snapshot(exercise_id: int, seq: int) -> Snapshot:
    key = (exercise_id, seq)
    with _snapshots_lock:
        snap = _snapshots.get(key)  # a hit counts as a use (least recently used goes first)
    if snap is not None:
        return snap
    exercise = Exercise.objects.light().get(pk=exercise_id)
    snap = Snapshot.load(exercise, upto=seq)
    with _snapshots_lock:
        _snapshots[key] = snap
    return snap


async def render_batch(exercise_id: int, events: list[engine.Event], key: tuple[str, str]) -> str:
    return await database_sync_to_async(_render_batch)(exercise_id, events, key)


# Frames of quiet batches (a chat message, a receipt) shared by every role that sees the
# same events the same way: a public message renders ~3 frames, not one per role.
_SHARED_KEPT = 64
_shared_frames: LRUCache[tuple[Any, ...], str] = LRUCache(maxsize=_SHARED_KEPT)


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


def _render_batch(exercise_id: int, events: list[engine.Event], key: tuple[str, str]) -> str:
    audience, lang = key
    viewer = present.viewer_of_key(audience)
    signature = quiet_signature(events, viewer, lang)
    shared_key = (exercise_id, events[0].seq, events[-1].seq, signature)
    if signature is not None:
        with _snapshots_lock:
            shared = _shared_frames.get(shared_key)
        if shared is not None:
            return shared
    snap = _snapshot(exercise_id, events[-1].seq)
    with translation.override(lang):
        html = frame(snap, events, viewer, lang)
    if signature is not None:
        with _snapshots_lock:
            _shared_frames[shared_key] = html
    return html


def frame(
    snap: Snapshot, events: list[engine.Event], viewer: engine.Viewer, lang: str, *, everything: bool = False
) -> str:
    """What ``viewer`` receives for ``events`` (already committed), ending at ``snap``.

    ``everything`` re-renders every panel of the viewer's screen (a catch-up may have
    skipped any number of batches); otherwise only the panels the batch may have changed.
    """
    kind = present.viewer_kind(viewer)
    types = {e.type for e in events}
    changed = everything or bool(types - present.QUIET)
    roster = everything or bool(types & present.ROSTER)
    base = fragments.base(snap)
    parts = [fragments.render("seq.html", {"seq": snap.seq}, oob=True)]

    def put(template: str, context: dict[str, Any]) -> None:
        parts.append(fragments.render(template, {**base, **context}, oob=True))

    put("clock.html", fragments.clock(snap, lang))
    items = present.feed(snap, events, viewer, lang)
    if items:
        parts.append(fragments.append("afterbegin", "feed", fragments.FEED_ITEM, items, base))
    if kind != "public":  # the public board shows public-channel messages in its feed
        for channel, messages in present.messages(snap, events, viewer, lang, live=True).items():
            parts.append(fragments.append("beforeend", f"msgs-{channel}", fragments.MESSAGE, messages, base))
    if changed:
        put("indicators.html", fragments.indicators(snap, viewer, lang))
    if kind == "role":
        if changed:
            put("actions.html", fragments.actions(snap, viewer.role, lang))
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
        for channel in present.channels(snap, viewer, lang):
            put("channel_chrome.html", {"ch": channel})
    return "".join(parts)


def replay(exercise_id: int, after: int, viewer: engine.Viewer, lang: str, full: bool) -> tuple[str, int]:
    """Everything ``viewer`` may see after ``after``, as one frame, and the seq it ends at."""
    exercise = Exercise.objects.light().get(pk=exercise_id)
    snap = Snapshot.load(exercise)
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
    Participant.objects.filter(pk=participant_id, exercise_id=exercise_id).update(
        connections=Greatest(F("connections") + delta, 0), last_seen_at=timezone.now()
    )
    presence.beat(exercise_id, [participant_id])
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
