"""Serialising the log for researchers: JSON Lines (every event) and CSV tables (events, decisions,
messages), every CSV through ``csv_lines``, which makes formula cells inert; the scenario snapshot."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

import yaml
from django.http import StreamingHttpResponse

from exercises import selectors
from exercises.engine.clock import game_datetime
from exercises.engine.events import EventType
from exercises.models import Event, Exercise

from .analytics import Analysis

CSV_COLUMNS = ["seq", "type", "at", "game_time", "game_clock", "role", "actor", "payload", "audience"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


def safe_cell(value: Any) -> Any:
    """A cell a spreadsheet will not run (OWASP, "CSV injection"): text starting with ``=``, ``+``,
    ``-``, ``@``, tab or carriage return gets a leading ``'``. Numbers are left as numbers, so a
    negative game time stays -3600, not text."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_lines(rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """Rows as CSV text, one chunk a row (streamed), every cell through ``safe_cell``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def csv_response(rows: Iterable[Iterable[Any]], filename: str) -> StreamingHttpResponse:
    """The one way the app answers with a CSV file: ``rows`` streamed through ``csv_lines``."""
    response = StreamingHttpResponse(csv_lines(rows), content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def event_record(row: Event, t0: str) -> dict[str, Any]:
    return {
        "seq": row.seq,
        "type": row.type,
        "at": row.created_at.isoformat(),
        "game_time": row.game_time,
        "game_clock": game_datetime(t0, row.game_time).isoformat(),
        "role": row.role,
        "actor": row.actor,
        "payload": row.payload,
        "audience": row.audience,
        "inherited": row.inherited,  # a fork's copy of its parent's event
    }


def records(exercise: Exercise, rows: Iterable[Event] | None = None) -> Iterator[dict[str, Any]]:
    t0 = exercise.scenario.snapshot["clock"]["t0"]
    rows = selectors.event_rows(exercise) if rows is None else rows
    for row in rows:
        yield event_record(row, t0)


def jsonl(exercise: Exercise) -> Iterator[str]:
    for record in records(exercise):
        yield json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n"


def event_table(exercise: Exercise) -> Iterator[list[Any]]:
    """Every event as a CSV row (header first): the payload as JSON, the audience space-separated."""
    yield CSV_COLUMNS
    for record in records(exercise):
        yield [
            *(record[k] for k in CSV_COLUMNS[:7]),
            json.dumps(record["payload"], ensure_ascii=False, sort_keys=True),
            " ".join(record["audience"]),
        ]


DECISION_COLUMNS = [
    "proposal", "action", "action_title", "role", "side", "phase", "option", "rationale", "proposed_game_time",
    "proposed_game_clock", "proposed_at", "actor", "approvals", "status", "outcome_seq", "outcome_game_time",
    "outcome_at", "refused_rule", "refused_by", "bypassed", "chance",
]  # fmt: skip


def decision_table(analysis: Analysis) -> Iterator[list[Any]]:
    """Every proposal and its fate as a CSV row (header first)."""
    log = analysis.log
    yield DECISION_COLUMNS
    for d in analysis.decisions:
        approvals = "; ".join(
            f"{a.approver}:{a.rule}:{a.status}" + (f"@{a.resolved_game}" if a.resolved_game is not None else "")
            for a in d.approvals
        )
        yield [
            d.seq, d.action, d.title, d.role, d.side, d.phase, d.option, d.rationale, d.game_time,
            log.game_clock(d.game_time).isoformat(), d.wall.isoformat(), d.actor, approvals, d.status,
            d.outcome_seq or "", "" if d.outcome_game is None else d.outcome_game,
            d.outcome_wall.isoformat() if d.outcome_wall else "", d.refused_rule, d.refused_by,
            "; ".join(f"{b['approver']}:{b['rule']}" for b in d.bypassed),
            json.dumps(d.chance) if d.chance else "",
        ]  # fmt: skip


MESSAGE_COLUMNS = [
    "seq",
    "game_time",
    "game_clock",
    "at",
    "role",
    "actor",
    "channel",
    "recipients",
    "text",
    "deliver_at",
    "delivered_seq",
]


def message_table(analysis: Analysis) -> Iterator[list[Any]]:
    """Every message sent as a CSV row (header first), with its recipients and when it was delivered."""
    log = analysis.log
    sc = log.scenario
    delivered = {e.payload.get("message"): e.seq for e in log.entries if e.type == EventType.MESSAGE_DELIVERED}
    yield MESSAGE_COLUMNS
    for e in log.entries:
        if e.type != EventType.MESSAGE_SENT:
            continue
        channel = sc.channels_by_id.get(e.channel)
        recipients = [r for r in sc.roles_of(channel.members) if r != e.role] if channel else []
        yield [
            e.seq, e.game_time, log.game_clock(e.game_time).isoformat(), e.wall.isoformat(), e.role,
            log.actor_label(e.actor), e.channel, " ".join(recipients), e.payload.get("text", ""),
            e.payload.get("deliver_at", ""), delivered.get(e.seq, ""),
        ]  # fmt: skip


def scenario_snapshot(exercise: Exercise, fmt: str) -> str:
    snapshot = exercise.scenario.snapshot
    if fmt == "yaml":
        return yaml.safe_dump(snapshot, allow_unicode=True, sort_keys=False)
    return json.dumps(snapshot, ensure_ascii=False, indent=2)
