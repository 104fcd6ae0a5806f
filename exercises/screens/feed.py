"""The situation feed (``feed``: one card per event, indicator changes grouped by cause) and the
channels' messages (``messages``), for one viewer in one language.

The words of each card are ``describe``'s; this module decides which events are cards for
which kind of viewer, adds the inject receipts, and groups the indicator changes of a batch.
Call inside ``translation.override(lang)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from django.utils.translation import gettext as _

from exercises import engine
from exercises.engine import Viewer
from exercises.engine.clock import offset_label
from exercises.engine.events import EventType

from .describe import describe
from .describe_debrief import DEBRIEF
from .labels import Labels, signed
from .snapshot import MESSAGES, NOT_FOR_CONSOLE, NOT_FOR_PLAYERS, Snapshot, viewer_kind


@dataclass
class FeedItem:
    seq: int
    type: str
    kind: str
    title: str
    body: str = ""
    when: str = ""
    offset: str = ""
    side: str = ""
    who: str = ""
    badges: list[tuple[str, str]] = field(default_factory=list)  # (label, css modifier)
    ack: bool = False  # a player acknowledges this (inject receipts)
    seen: bool = False
    changes: list[tuple[str, int]] = field(default_factory=list)  # grouped indicator changes: (name, delta)


# Worded for the review only: a report edit is the review's business, not the room's, and the
# debrief has its own panel in the room (exercises/debrief_panels.py).
NOT_IN_FEED = frozenset({EventType.REPORT_EDITED, *DEBRIEF})


def _in_feed(event: engine.Event, kind: str) -> bool:
    """Whether this kind of viewer gets a card for this type of event."""
    if event.type in NOT_IN_FEED:
        return False
    if kind == "facilitator":
        return event.type not in NOT_FOR_CONSOLE
    if event.type in NOT_FOR_PLAYERS - (MESSAGES if kind == "public" else set()):
        return False
    # The board shows the values; the causes belong to the players' screens.
    return not (kind == "public" and event.type == EventType.INDICATOR_CHANGED)


def feed_item(
    snap: Snapshot, event: engine.Event, viewer: Viewer, lang: str, labels: Labels | None = None
) -> FeedItem | None:
    """One event as a line of the situation feed, or None when it has no place there."""
    kind = viewer_kind(viewer)
    if not _in_feed(event, kind):
        return None
    if event.type == EventType.PRESSURE_CHECKED and not event.payload.get("applied"):
        return None  # a pressure that did not apply is not news
    said = describe(event, viewer, lang, labels or snap.labels(lang))
    if said is None:
        return None
    item = FeedItem(
        seq=event.seq,
        type=event.type,
        kind=said.kind,
        title=said.title,
        body=said.body,
        when=snap.when(event.game_time),
        offset=offset_label(event.game_time),
        side=snap.side_of(event.role) if said.side is None else said.side,
        who=(snap.role_title(event.role, lang) if event.role else "") if said.who is None else said.who,
        badges=said.badges,
    )
    if event.type == EventType.INJECT_RELEASED and kind == "role":
        item.ack = True
        item.seen = receipt_seen(snap, event, viewer)
    return item


def receipt_seen(snap: Snapshot, event: engine.Event, viewer: Viewer) -> bool:
    """The role's holder has acknowledged this released inject."""
    holder = snap.state.holders.get(viewer.role, "")
    return bool(holder) and holder in snap.state.receipts.get(event.seq, [])


class AskedLabels:
    """``labels`` that write down each question ``describe`` asked about the viewer, with its answer.

    ``describe`` reads a viewer through ``Labels``' questions that take one (which causes they
    saw) and through the viewer's kind, nothing else; a role's feed is therefore worded the same
    for another role of the same language that sees the same events, has acknowledged the same
    of them and answers every recorded question alike (``screens.frames._role_feed``).
    ``tests/test_shared_feed.py`` checks that every question of ``Labels`` that takes a viewer is
    recorded here."""

    def __init__(self, labels: Labels) -> None:
        self._labels = labels
        self.asked: list[tuple[str, Any, bool]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._labels, name)

    def inject_visible(self, inject: str, viewer: Viewer) -> bool:
        return self._ask("inject_visible", inject, viewer)

    def proposal_visible(self, proposal: int, viewer: Viewer) -> bool:
        return self._ask("proposal_visible", proposal, viewer)

    def _ask(self, question: str, subject: Any, viewer: Viewer) -> bool:
        answer = bool(getattr(self._labels, question)(subject, viewer))
        self.asked.append((question, subject, answer))
        return answer

    def as_labels(self) -> Labels:
        return cast(Labels, self)


def answers_alike(labels: Labels, asked: list[tuple[str, Any, bool]], viewer: Viewer) -> bool:
    """``viewer`` gets each recorded answer to the same question (``AskedLabels``)."""
    return all(bool(getattr(labels, question)(subject, viewer)) == answer for question, subject, answer in asked)


FEED_PAGE = 30  # items a screen shows at first; "Older" fetches the next page over HTTP
MESSAGE_PAGE = 50  # messages a channel shows at first; "Show older messages" fetches the page before


def _indicator_group_key(event: engine.Event) -> tuple[Any, ...]:
    cause = event.payload.get("cause") or {}
    return (event.game_time, event.role, tuple(sorted((k, str(v)) for k, v in cause.items())))


def _merge_indicator(group: FeedItem, item: FeedItem, event: engine.Event, snap: Snapshot, lang: str) -> None:
    """Fold one more indicator change into the card of its batch: one card per cause, not per number."""
    p = event.payload
    group.changes.append((snap.scenario.indicators_by_id[p["indicator"]].name.get(lang), int(p["delta"])))
    group.title = indicator_group_title(group.changes)
    if item.body and item.body not in group.body:
        group.body = f"{group.body} · {item.body}" if group.body else item.body
    group.badges = [b for b in group.badges if b[1] not in ("up", "down")]
    for badge in item.badges:
        if badge[1] not in ("up", "down") and badge not in group.badges:
            group.badges.append(badge)


def indicator_group_title(changes: list[tuple[str, int]]) -> str:
    moves = ", ".join(f"{name} {signed(delta)}" for name, delta in changes)
    return _("Indicators: %(changes)s") % {"changes": moves}


def feed(
    snap: Snapshot,
    events: list[engine.Event],
    viewer: Viewer,
    lang: str,
    *,
    limit: int | None = None,
    labels: Labels | None = None,
) -> list[FeedItem]:
    """Feed items for events the viewer may see, newest first.

    The indicator changes of one batch (same moment, same cause, next to each other in the log)
    become one card ("after Next phase: trust −2, security +8"), not one card each.

    With ``limit``, only the newest events are worded, enough for more than ``limit`` cards: a
    page shows ``FEED_PAGE`` of them and needs one more to know there is an older page. The
    first ``limit`` cards are those of the whole log (a batch cut at the tail's start can only be
    the oldest card, past the limit); ``tests/test_feed_paging.py`` checks it on whole exercises.
    """
    if limit is None:
        return _feed(snap, events, viewer, lang, labels)
    take = 4 * (limit + 1)
    while True:
        tail = events[-take:] if take < len(events) else events
        items = _feed(snap, tail, viewer, lang, labels)
        if len(items) > limit or len(tail) == len(events):
            return items
        take *= 4


def _feed(
    snap: Snapshot, events: list[engine.Event], viewer: Viewer, lang: str, labels: Labels | None = None
) -> list[FeedItem]:
    items: list[FeedItem] = []
    labels = snap.labels(lang) if labels is None else labels
    last_key: tuple[Any, ...] | None = None
    for event in events:
        if not engine.can_see(event, viewer):
            continue
        item = feed_item(snap, event, viewer, lang, labels)
        if item is None:
            continue
        if event.type == EventType.INDICATOR_CHANGED:
            key = _indicator_group_key(event)
            if items and last_key == key and items[-1].type == EventType.INDICATOR_CHANGED:
                _merge_indicator(items[-1], item, event, snap, lang)
                continue
            p = event.payload
            item.changes = [(snap.scenario.indicators_by_id[p["indicator"]].name.get(lang), int(p["delta"]))]
            last_key = key
        else:
            last_key = None
        items.append(item)
    return list(reversed(items))


# --------------------------------------------------------------------------- channel messages


@dataclass
class Message:
    seq: int
    channel: str
    text: str
    role: str
    side: str
    author: str
    when: str
    mine: bool = False
    pending: bool = False
    arrives: str = ""
    replaces: int = 0


def messages(
    snap: Snapshot, events: list[engine.Event], viewer: Viewer, lang: str, *, live: bool = False
) -> dict[str, list[Message]]:
    """Channel messages the viewer may see, by channel, oldest first.

    A message on a slow channel shows to its sender as in transit until delivered; in a
    page render the delivered copy stands alone, in a push it replaces the pending one.
    """
    out: dict[str, list[Message]] = {}
    visible = [e for e in events if e.type in MESSAGES and engine.can_see(e, viewer)]
    delivered = {e.payload["message"] for e in visible if e.type == EventType.MESSAGE_DELIVERED}
    for event in visible:
        p = event.payload
        if (
            event.type == EventType.MESSAGE_SENT
            and p.get("deliver_at") is not None
            and event.seq in delivered
            and not live
        ):
            continue
        sent = event.type == EventType.MESSAGE_SENT
        out.setdefault(p["channel"], []).append(
            Message(
                seq=event.seq,
                channel=p["channel"],
                text=(p.get("text_es") if lang == "es" else "") or p.get("text", ""),  # a bot's line has both
                role=snap.role_title(event.role, lang),
                side=snap.side_of(event.role),
                author=snap.actor_name(event.actor) if sent else "",
                when=snap.when(event.game_time),
                mine=bool(viewer.role) and event.role == viewer.role,
                pending=sent and p.get("deliver_at") is not None,
                arrives=snap.when(p["deliver_at"]) if sent and p.get("deliver_at") is not None else "",
                replaces=0 if sent else p["message"],
            )
        )
    return out
