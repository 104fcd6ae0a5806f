"""The one place the studio calls the instructor review (the ``review`` app).

A dry run's exercises live only in memory, so there is no ``Exercise`` row to review; this
module builds the review's in-memory ``Log`` from engine events and asks it for the same
analytics the review shows (rules that refused, objectives met, indicator charts).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils import translation

from exercises import engine
from exercises.engine.clock import duration_label, local_game_datetime, offset_label
from exercises.engine.events import EventType
from review.analytics import fold_tracking, objectives
from review.charts import Chart, ChartMarker
from review.charts import charts as review_charts
from review.coordination import blocking_rules
from review.log import Entry, Log
from scenarios.schema import Scenario

_WALL = datetime(2000, 1, 1, tzinfo=UTC)  # simulated exercises have no real time; the review needs one


def _entries(scenario: Scenario, events: list[engine.Event]) -> list[Entry]:
    """What ``review.load`` makes of database rows, made of in-memory events."""
    phase = scenario.phases[0].id
    roles = scenario.roles_by_id
    out = []
    for e in events:
        if e.type == EventType.PHASE_CHANGED:
            phase = e.payload.get("phase", phase)
        role = roles.get(e.role)
        out.append(
            Entry(
                seq=e.seq,
                type=e.type,
                game_time=e.game_time,
                role=e.role,
                actor=e.actor,
                payload=e.payload or {},
                audience=tuple(e.audience or ()),
                wall=_WALL + timedelta(seconds=e.seq),
                clock=local_game_datetime(scenario.clock.t0, scenario.clock.timezone, e.game_time),
                phase=phase,
                side=role.side if role else "",
                channel=(e.payload or {}).get("channel", "")
                if e.type
                in (
                    EventType.MESSAGE_SENT,
                    EventType.MESSAGE_DELIVERED,
                    EventType.CHANNEL_OPENED,
                    EventType.CHANNEL_CLOSED,
                )
                else "",
            )
        )
    return out


def analyse(scenario: Scenario, events: list[engine.Event], *, langs: tuple[str, ...] = ("en", "es")) -> dict[str, Any]:
    """Per language: the rules that refused (and how often), the objectives met, the indicator charts."""
    entries = _entries(scenario, events)
    out: dict[str, Any] = {}
    for lang in langs:
        with translation.override(lang):
            log = Log(None, scenario, entries, lang)  # type: ignore[arg-type]  # no row: it never existed
            final, first_true = fold_tracking(log)
            series: dict[str, list[Entry]] = {i.id: [] for i in scenario.indicators}
            for entry in entries:
                if entry.type == EventType.INDICATOR_CHANGED:
                    series.setdefault(entry.payload.get("indicator", ""), []).append(entry)
            out[lang] = {
                "rules": [
                    {"rule": r.rule, "rejected": r.rejected, "refused": r.refused, "who": r.who, "example": r.example}
                    for r in blocking_rules(log)
                ],
                "objectives": [
                    {
                        "role": group.role,
                        "title": group.title,
                        "results": [
                            {"id": r.id, "text": r.text, "points": r.points, "met": r.met, "first": r.first_game}
                            for r in group.results
                        ],
                    }
                    for group in objectives(log, final, first_true)
                ],
                "charts": [dataclasses.asdict(chart) for chart in review_charts(log, series)],
                "phase_legend": [
                    f"{n}. {p.title.get(lang)} ({offset_label(p.start)})" for n, p in enumerate(scenario.phases, 1)
                ],
            }
    return out


def charts(data: list[dict[str, Any]]) -> list[Chart]:
    """Stored chart data back into the review's ``Chart`` objects, for its ``_charts.html``."""
    out = []
    for item in data:
        markers = [ChartMarker(**m) for m in item.get("markers", [])]
        fields = {k: v for k, v in item.items() if k != "markers"}
        fields["y_ticks"] = [tuple(t) for t in fields.get("y_ticks", [])]
        fields["x_ticks"] = [tuple(t) for t in fields.get("x_ticks", [])]
        out.append(Chart(**fields, markers=markers))
    return out


def duration(seconds: int | float | None) -> str:
    return duration_label(seconds)


def offset(seconds: int) -> str:
    return offset_label(seconds)
