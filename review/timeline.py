"""The filterable, paginated timeline (``timeline``) and its rows (``Row``, ``make_row``)."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from exercises import engine
from exercises.engine.clock import offset_label
from exercises.engine.events import EventType

from .analytics import Analysis, Note
from .coordination import Decision
from .log import Entry, Log
from .wording import describe

PAGE_SIZE = 100


# --------------------------------------------------------------------------- timeline


@dataclass
class Filters:
    role: str = ""
    side: str = ""
    phase: str = ""
    type: str = ""
    channel: str = ""
    q: str = ""
    page: str = "1"
    seq: str = ""  # jump to the page holding this event, and mark it

    @classmethod
    def from_query(cls, query: Any) -> Filters:
        return cls(
            **{
                k: (query.get(k) or "").strip()[:200]
                for k in ("role", "side", "phase", "type", "channel", "q", "page", "seq")
            }
        )

    def active(self) -> bool:
        return any((self.role, self.side, self.phase, self.type, self.channel, self.q))

    def query(self, **change: str) -> str:
        """The query string for a link (another page) keeping the other filters."""
        values = {k: getattr(self, k) for k in ("role", "side", "phase", "type", "channel", "q", "page")}
        values.update(change)
        return urlencode({k: v for k, v in values.items() if v and not (k == "page" and v == "1")})


@dataclass
class Row:
    entry: Entry
    text: str
    decision: Decision | None
    notes: list[Note]
    actor: str
    role_title: str
    side_name: str
    phase_title: str
    clock: datetime
    offset: str
    detail: str = ""


def make_row(
    log: Log, e: Entry, *, public: bool = False, decision: Decision | None = None, notes: list[Note] | None = None
) -> Row:
    detail = ""
    if e.type == EventType.INJECT_RELEASED:  # the inject's own text, as its recipients read it
        inject = log.scenario.injects_by_id.get(e.payload.get("inject", ""))
        detail = inject.text.get(log.lang) if inject else e.payload.get("text", "")
    return Row(
        entry=e,
        text=describe(log, e, public=public),
        decision=decision,
        notes=notes or [],
        actor=log.actor_label(e.actor),
        role_title=log.role_title(e.role) if e.role else "",
        side_name=log.side_name(e.side) if e.side else "",
        phase_title=log.phase_title(e.phase),
        clock=e.clock or log.game_clock(e.game_time),
        offset=offset_label(e.game_time),
        detail=detail,
    )


@dataclass
class TimelinePage:
    rows: list[Row]
    total: int
    matched: int
    page: int
    pages: int
    filters: Filters
    types: list[str]
    roles: list[tuple[str, str]]
    sides: list[tuple[str, str]]
    phases: list[tuple[str, str]]
    channels: list[tuple[str, str]]
    highlight: int = 0

    @property
    def first_index(self) -> int:
        return (self.page - 1) * PAGE_SIZE + 1 if self.matched else 0

    @property
    def last_index(self) -> int:
        return min(self.page * PAGE_SIZE, self.matched)

    @property
    def previous_query(self) -> str | None:
        return self.filters.query(page=str(self.page - 1)) if self.page > 1 else None

    @property
    def next_query(self) -> str | None:
        return self.filters.query(page=str(self.page + 1)) if self.page < self.pages else None

    @property
    def last_query(self) -> str:
        return self.filters.query(page=str(self.pages))


def timeline(
    analysis: Analysis, filters: Filters, *, viewer: engine.Viewer = engine.FACILITATOR_VIEW, public: bool = False
) -> TimelinePage:
    """One page of the filtered timeline; ``viewer`` limits it to what that viewer could see."""
    log = analysis.log
    entries = log.visible(viewer)
    matched = entries
    if filters.role:
        matched = [e for e in matched if e.role == filters.role]
    if filters.side:
        matched = [e for e in matched if e.side == filters.side]
    if filters.phase:
        matched = [e for e in matched if e.phase == filters.phase]
    if filters.type:
        matched = [e for e in matched if e.type == filters.type]
    if filters.channel:
        matched = [e for e in matched if e.channel == filters.channel]
    if filters.q:
        words = filters.q.lower().split()
        if public:  # search only what the page would show
            matched = [e for e in matched if all(w in describe(log, e, public=True).lower() for w in words)]
        else:
            hay = log.haystacks
            matched = [e for e in matched if all(w in hay[e.seq] for w in words)]
    pages = max(1, -(-len(matched) // PAGE_SIZE))
    highlight = int(filters.seq) if filters.seq.isdigit() else 0
    if highlight:
        index = bisect.bisect_left([e.seq for e in matched], highlight)
        page = min(index // PAGE_SIZE + 1, pages)
    elif filters.page == "last":
        page = pages
    else:
        try:
            page = min(max(1, int(filters.page)), pages)
        except ValueError:
            page = 1
    chunk = matched[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    rows = [
        make_row(
            log,
            e,
            public=public,
            decision=None if public else analysis.decisions_by_seq.get(e.seq),
            notes=[] if public else analysis.notes_by_event.get(e.seq, []),
        )
        for e in chunk
    ]
    sc = log.scenario
    present_types = sorted({e.type for e in entries})
    channel_ids = {e.channel for e in entries if e.channel}
    return TimelinePage(
        rows=rows,
        total=len(entries),
        matched=len(matched),
        page=page,
        pages=pages,
        filters=filters,
        types=present_types,
        roles=[(r.id, r.title.get(log.lang)) for r in sc.roles],
        sides=[(s.id, s.name.get(log.lang)) for s in sc.sides],
        phases=[(p.id, p.title.get(log.lang)) for p in sc.phases],
        channels=[(c.id, c.name.get(log.lang)) for c in sc.channels if c.id in channel_ids or not public],
        highlight=highlight,
    )


def rows_for(log: Log, entries: list[Entry], *, public: bool = False) -> list[Row]:
    return [make_row(log, e, public=public) for e in entries]
