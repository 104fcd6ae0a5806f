"""The filterable, paginated timeline: its filter form (``TimelineFilters``), Django's ``Paginator``
over the matching events (``timeline``), and its rows (``Row``, ``make_row``)."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import forms
from django.core.paginator import Page, Paginator

from exercises import engine
from exercises.engine.clock import offset_label
from exercises.engine.events import EventType

from .analytics import Analysis, Note
from .decisions import Decision
from .log import Entry, Log
from .wording import describe

PAGE_SIZE = 100


# --------------------------------------------------------------------------- timeline

FILTERS = ("role", "side", "phase", "type", "channel", "q")
MAX_FILTER_CHARS = 200


class FilterField(forms.CharField):
    """An optional text filter: trimmed, cut to ``MAX_FILTER_CHARS`` (too long is cut, never refused)."""

    def __init__(self) -> None:
        super().__init__(required=False)

    def to_python(self, value: Any) -> str:
        return str(super().to_python(value))[:MAX_FILTER_CHARS]


class TimelineFilters(forms.Form):
    """The timeline's filters, from the query string. No value is ever refused: an unknown role or
    type matches nothing, a page that is not a number is page 1."""

    role = FilterField()
    side = FilterField()
    phase = FilterField()
    type = FilterField()
    channel = FilterField()
    q = FilterField()
    page = FilterField()  # a number, or "last"
    seq = FilterField()  # jump to the page holding this event, and mark it

    def values(self) -> dict[str, str]:
        """Every filter's value ("" when absent)."""
        self.is_valid()  # FilterField never raises: every field is in cleaned_data
        return {name: self.cleaned_data.get(name, "") for name in self.fields}

    def active(self) -> bool:
        values = self.values()
        return any(values[name] for name in FILTERS)


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
    listing: Page[Entry]  # Django's page of the matching events
    filters: TimelineFilters
    types: list[str]
    roles: list[tuple[str, str]]
    sides: list[tuple[str, str]]
    phases: list[tuple[str, str]]
    channels: list[tuple[str, str]]
    highlight: int = 0

    @property
    def chosen(self) -> dict[str, str]:
        """The filters' values, for the form's fields."""
        return self.filters.values()

    @property
    def matched(self) -> int:
        return self.listing.paginator.count

    @property
    def page(self) -> int:
        return self.listing.number

    @property
    def pages(self) -> int:
        return self.listing.paginator.num_pages

    @property
    def first_index(self) -> int:
        return self.listing.start_index()

    @property
    def last_index(self) -> int:
        return self.listing.end_index()

    @property
    def previous_page(self) -> int | None:
        """The previous page's number for ``{% querystring %}``; None on page 2 (page 1 has no ``page``)."""
        return self.page - 1 if self.page > 2 else None


def page_number(filters: dict[str, str], matched: list[Entry], pages: int) -> tuple[int, int]:
    """(page number, highlighted seq): the page holding ``seq`` if asked, else ``page`` ("last" or a number)."""
    highlight = int(filters["seq"]) if filters["seq"].isdigit() else 0
    if highlight:
        index = bisect.bisect_left([e.seq for e in matched], highlight)
        return min(index // PAGE_SIZE + 1, pages), highlight
    if filters["page"] == "last":
        return pages, 0
    try:
        return min(max(1, int(filters["page"] or 1)), pages), 0
    except ValueError:
        return 1, 0


def timeline(
    analysis: Analysis,
    filters: TimelineFilters,
    *,
    viewer: engine.Viewer = engine.FACILITATOR_VIEW,
    public: bool = False,
) -> TimelinePage:
    """One page of the filtered timeline; ``viewer`` limits it to what that viewer could see."""
    log = analysis.log
    chosen = filters.values()
    entries = log.visible(viewer)
    matched = entries
    for name in ("role", "side", "phase", "type", "channel"):
        if chosen[name]:
            matched = [e for e in matched if getattr(e, name) == chosen[name]]
    if chosen["q"]:
        words = chosen["q"].lower().split()
        if public:  # search only what the page would show
            matched = [e for e in matched if all(w in describe(log, e, public=True).lower() for w in words)]
        else:
            hay = log.haystacks
            matched = [e for e in matched if all(w in hay[e.seq] for w in words)]
    paginator = Paginator(matched, PAGE_SIZE)
    number, highlight = page_number(chosen, matched, paginator.num_pages)
    listing = paginator.page(number)
    rows = [
        make_row(
            log,
            e,
            public=public,
            decision=None if public else analysis.decisions_by_seq.get(e.seq),
            notes=[] if public else analysis.notes_by_event.get(e.seq, []),
        )
        for e in listing
    ]
    sc = log.scenario
    present_types = sorted({e.type for e in entries})
    channel_ids = {e.channel for e in entries if e.channel}
    return TimelinePage(
        rows=rows,
        total=len(entries),
        listing=listing,
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
