"""A batch's frame for each audience, and the catch-up replay of one socket.

Every audience of a batch renders from one snapshot (``snapshot_at``, loaded once for all of
them); a quiet batch (a chat message, a receipt) renders once for every role that sees it alike
(``quiet_signature``); and each audience's frames leave out the panels its screens already show
(``_Sent``). ``exercises.push`` runs ``batch_frame`` on its render threads; the consumer calls
``replay`` on (re)connect.
"""

from __future__ import annotations

import copy
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from cachetools import LRUCache
from django.utils import translation

from exercises import engine, selectors, states
from exercises.models import Exercise

from . import answers, contexts, frames
from .partials import render
from .snapshot import MESSAGES, QUIET, Snapshot, viewer_kind, viewer_of_key

# Every audience of one batch renders from the same snapshot (the hub asks once per key).
_SNAPSHOTS_KEPT = 16
_snapshots: LRUCache[tuple[int, int], Snapshot] = LRUCache(maxsize=_SNAPSHOTS_KEPT)
_snapshots_lock = threading.Lock()  # cachetools' caches are not thread-safe


_loading: dict[tuple[int, int], threading.Lock] = {}
# The newest snapshot of each table, which the next batch advances (``Snapshot.advanced``): by
# exercise, so that a workshop's tables, each pushing one batch a round, do not evict each
# other's from the small cache above. A late-game snapshot is ~0.2 MB.
_NEWEST_KEPT = 128
_newest: LRUCache[int, Snapshot] = LRUCache(maxsize=_NEWEST_KEPT)


def snapshot_at(exercise_id: int, seq: int, code: str = "", events: list[engine.Event] | None = None) -> Snapshot:
    """The exercise at ``seq``, loaded once for every audience (``code``, when known, guards
    against a cached snapshot of an exercise whose id was reused: a test database).

    With ``events`` (the batch that ends at ``seq``, contiguous), ``code`` and the snapshot right
    before it still kept (of the exercise with that code), the new one is that one advanced by the batch (``Snapshot.advanced``), not
    read again: 0.2 ms instead of 1–3 ms of row, state, proposals and releases per batch."""
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
            newest = _newest.get(exercise_id)
            before = newest if code and _contiguous(events, seq) else None
        if snap is not None and (not code or snap.exercise.code == code):
            return snap
        if newest is not None and code and newest.seq == seq and newest.exercise.code == code:
            # The table's newest, evicted from the small cache by other tables' batches since (a
            # storm's catch-ups at 20 tables a worker: one load per table, issue #11 part 7).
            with _snapshots_lock:
                _snapshots[key] = newest
                _loading.pop(key, None)
            return newest
        if before is not None and events and before.seq == events[0].seq - 1 and before.exercise.code == code:
            snap = before.advanced(events, states.taken(exercise_id, code, seq))
        else:
            snap = Snapshot.load(Exercise.objects.light().get(pk=exercise_id), upto=seq)
        snap.now = time.time()  # one clock for every audience of the batch: one clock fragment
        with _snapshots_lock:
            _snapshots[key] = snap
            _loading.pop(key, None)
            newest = _newest.get(exercise_id)
            if newest is None or newest.seq <= snap.seq or newest.exercise.code != snap.exercise.code:
                _newest[exercise_id] = snap
    return snap


def _contiguous(events: list[engine.Event] | None, seq: int) -> bool:
    """``events`` run without a gap and end at ``seq``."""
    if not events or events[-1].seq != seq:
        return False
    return all(b.seq == a.seq + 1 for a, b in zip(events, events[1:], strict=False))


# Frames of quiet batches (a chat message, a receipt) shared by every role that sees the
# same events the same way: a public message renders ~3 frames, not one per role.
_SHARED_KEPT = 64


def quiet_signature(events: list[engine.Event], viewer: engine.Viewer, lang: str) -> tuple[Any, ...] | None:
    """What a role's frame of a quiet batch depends on, or None when it depends on more.

    In a quiet batch only channel messages reach a player's screen (the feed, actions and
    panels do not change), so two roles that see the same messages, neither or both as
    sender, get the same frame.
    """
    if viewer_kind(viewer) != "role" or not {e.type for e in events} <= QUIET:
        return None
    visible = tuple(e.seq for e in events if engine.can_see(e, viewer))
    mine = tuple(e.seq for e in events if e.role == viewer.role and e.type in MESSAGES)
    return (lang, visible, mine)


# What each audience was last sent, panel by panel: the content key (``partials.content_key``)
# of every panel in the frames this worker rendered for it, and the seq those frames end at.
# Every socket of an audience either received each of those frames or caught up from the log
# (a gap, a role change, a resume) to a screen a full re-render would show (``replay_parts``; the
# property test of tests/test_incremental_frames.py), so while the audience's frames are
# contiguous a panel whose content key is unchanged is already on every one of its screens.


@dataclass
class _Sent:
    code: str
    seq: int
    panels: dict[str, Any] = field(default_factory=dict)


_sent: dict[tuple[int, str, str], _Sent] = {}
_SENT_KEPT = 20_000


def _advance_sent(exercise_id: int, key: tuple[str, str], events: list[engine.Event]) -> None:
    """A frame that changes no panel went out (a quiet batch): the audience's panels stand."""
    with _snapshots_lock:
        sent = _sent.get((exercise_id, *key))
        if sent is not None and sent.seq == events[0].seq - 1:
            sent.seq = events[-1].seq


def known_at(exercise_id: int, key: tuple[str, str], code: str, seq: int) -> dict[str, Any] | None:
    """The panels the screens of audience ``key`` show at ``seq``, when this worker's frames for
    it end there (a socket that missed the batches since: a gap, a blip); None when nothing is
    known. Only the newest is kept: a panel's content key is up to ~50 KB, and sixteen frames'
    held ~150 KB a role (docs/performance.md (g) part 7)."""
    with _snapshots_lock:
        sent = _sent.get((exercise_id, *key))
        if sent is None or sent.code != code or sent.seq != seq:
            return None
        return dict(sent.panels)


def batch_frame(exercise_id: int, events: list[engine.Event], key: tuple[str, str], code: str = "") -> str:
    """The frame of audience ``key`` (``(Viewer.audience_key, lang)``) for a batch."""
    return "".join(html for _name, html in render_parts(exercise_id, events, key, code))


# Frames of quiet batches, by part: see ``quiet_signature``.
_shared_parts: LRUCache[tuple[Any, ...], list[tuple[str, str]]] = LRUCache(maxsize=_SHARED_KEPT)


def render_parts(
    exercise_id: int, events: list[engine.Event], key: tuple[str, str], code: str = ""
) -> list[tuple[str, str]]:
    """The frame of audience ``key`` for a batch, by part (``frame_parts``), leaving out the
    panels this audience's screens already show (``_Sent``)."""
    audience, lang = key
    viewer = viewer_of_key(audience)
    signature = quiet_signature(events, viewer, lang)
    shared_key = (exercise_id, events[0].seq, events[-1].seq, signature)
    if signature is not None:
        with _snapshots_lock:
            shared = _shared_parts.get(shared_key)
        if shared is not None:
            _advance_sent(exercise_id, key, events)
            return shared
    snap = snapshot_at(exercise_id, events[-1].seq, code, events)
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
        parts, panels = frames.frame_parts(snap, events, viewer, lang, known=known)
    with _snapshots_lock:
        sent = _sent.get(memo_key)
        if sent is None or sent.code != snap.exercise.code or sent.seq < events[-1].seq:
            _sent[memo_key] = _Sent(snap.exercise.code, events[-1].seq, {**known, **panels})
            if len(_sent) > _SENT_KEPT:
                _sent.pop(next(iter(_sent)))
        if signature is not None:
            _shared_parts[shared_key] = parts
    return parts


def replay(
    exercise_id: int, after: int, viewer: engine.Viewer, lang: str, full: bool, asked_at: float | None = None
) -> tuple[str, int]:
    """Everything ``viewer`` may see after ``after``, as one frame, and the seq it ends at.

    ``asked_at`` (``time.monotonic()``): the frame covers at least every event committed by
    then (``head``)."""
    parts, seq = replay_parts(exercise_id, after, viewer, lang, full, asked_at)
    return "".join(html for _name, html in parts), seq


def replay_parts(
    exercise_id: int, after: int, viewer: engine.Viewer, lang: str, full: bool, asked_at: float | None = None
) -> tuple[list[tuple[str, str]], int]:
    """``replay`` by part (``frames.frame_parts``' names).

    The frame is the events since ``after`` as one batch to a screen that shows the exercise at
    ``after``: the panels those events cannot change are left out, and when this worker's frames
    for the audience end at ``after`` (``known_at``), so are those whose content is still what
    they showed. Only a screen with no event yet gets every panel (issue #11, parts 7 and 8: a
    storm's catch-up rebuilt every panel of a role, ~15 ms a socket)."""
    # The table's snapshot at its newest event, shared with the batch renders and with every other
    # socket catching up at the same moment (a reconnect storm: one load per table, not per socket).
    last_seq, code = head(exercise_id, asked_at)
    # A copy whose clock reads the time of this catch-up: the batch's snapshot keeps the time its
    # frames were rendered at, which may be long past (a quiet table), and the browser sets its
    # clock's skew from the bar's server time (static/js/app.js ``tick``).
    snap = copy.copy(snapshot_at(exercise_id, last_seq, code))
    snap.now = None
    console = viewer_kind(viewer) == "facilitator"
    if console:  # the roster's presence as of now, not of the batch
        for read in ("participants", "seen"):
            snap.__dict__.pop(read, None)
    with translation.override(lang):
        if full and viewer.participant:
            # The participant's role changed: their whole screen (lobby or room) changes with it.
            events = selectors.visible_log(exercise_id, viewer, upto=snap.seq)
            context = {**contexts.base(snap), **contexts.play(snap, viewer, lang, events)}
            seq = render("seq.html", {"seq": snap.seq}, oob=True)
            return [("seq", seq), ("main_play.html", render("main_play.html", context, oob=True))], snap.seq
        if after == snap.seq:
            return [], snap.seq
        if after > snap.seq:
            # The client claims events that do not exist (another database, a forged or stale
            # number): send it everything, as a fresh page would show, so it is not left deaf.
            after = 0
            if viewer.participant:
                return replay_parts(exercise_id, 0, viewer, lang, True)
        if not after:  # a screen that shows no event yet (or claimed one that does not exist)
            events = _log_slice(exercise_id, code, 0, snap.seq)
            parts, _panels = frames.frame_parts(snap, events, viewer, lang, everything=True)
            return parts, snap.seq
        # The screen shows the exercise at ``after`` (a page load or the frames up to it): the events
        # since are one batch to it, and a panel they cannot change is left out whether or not its
        # content is known (``shown_time``: the actions also change with the game time, as of the
        # event at ``after``). When this worker's frames for the audience end at ``after``
        # (``known_at``), so is a panel whose content is still what they showed.
        shown, *events = _log_slice(exercise_id, code, after - 1, snap.seq)
        known = known_at(exercise_id, (viewer.audience_key, lang), code, after)
        parts, _panels = frames.frame_parts(snap, events, viewer, lang, known=known, shown_time=shown.game_time)
        if console and not any(name == "roster.html" for name, _ in parts):
            # The presence badges moved while the console was away, and no log event says so: the
            # badges alone, as the presence beat sends them (the whole roster was ~9 ms a console).
            parts.append(("presence", answers.presence_frame(exercise_id, lang, snap.seq)))
        return parts, snap.seq


# The newest seq of each exercise, as one read that started at a known moment: every socket of a
# table that asks for its catch-up after that moment shares it (a reconnect storm: one read per
# table, not one per socket). A read that starts after a commit sees it.
_heads: LRUCache[int, tuple[float, int, str]] = LRUCache(maxsize=1024)
_head_locks = [threading.Lock() for _ in range(64)]  # by exercise id: bounded, rarely shared


def head(exercise_id: int, asked_at: float | None = None) -> tuple[int, str]:
    """The exercise's ``(last_seq, code)`` as of a read that started at ``asked_at`` or later
    (None: a read of its own)."""
    kept = _kept_head(exercise_id, asked_at)
    if kept is not None:
        return kept
    with _head_locks[exercise_id % len(_head_locks)]:  # the sockets of one table asking at once wait for one read
        kept = _kept_head(exercise_id, asked_at)
        if kept is not None:
            return kept
        started = time.monotonic()
        last_seq, code = Exercise.objects.filter(pk=exercise_id).values_list("last_seq", "code").get()
        with _snapshots_lock:
            older = _heads.get(exercise_id)
            if older is None or older[0] < started:
                _heads[exercise_id] = (started, last_seq, code)
    return last_seq, code


def _kept_head(exercise_id: int, asked_at: float | None) -> tuple[int, str] | None:
    """The kept read of the exercise's newest seq, if it started at ``asked_at`` or later."""
    if asked_at is None:
        return None
    with _snapshots_lock:
        kept = _heads.get(exercise_id)
    return (kept[1], kept[2]) if kept is not None and kept[0] >= asked_at else None


# The log between two seqs, read once for every socket of a table that resumes from the same
# event (a reconnect storm: a table's dozen sockets, one read, not twelve). Committed events
# never change; ``code`` guards against a reused id. Callers only read the list.
_slices: LRUCache[tuple[int, str, int, int], list[engine.Event]] = LRUCache(maxsize=256)


def _log_slice(exercise_id: int, code: str, after: int, upto: int) -> list[engine.Event]:
    key = (exercise_id, code, after, upto)
    with _snapshots_lock:
        found = _slices.get(key)
    if found is None:
        found = selectors.log(exercise_id, after=after, upto=upto)
        with _snapshots_lock:
            _slices[key] = found
    return found
