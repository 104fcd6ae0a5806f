"""Serialising the log for researchers: JSON Lines (every event) and CSV tables."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from .engine.clock import game_datetime
from .models import Event, Exercise

CSV_COLUMNS = ["seq", "type", "at", "game_time", "game_clock", "role", "actor", "payload", "audience"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


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
    rows = exercise.events.order_by("seq").iterator(chunk_size=2000) if rows is None else rows
    for row in rows:
        yield event_record(row, t0)


def jsonl(exercise: Exercise) -> Iterator[str]:
    for record in records(exercise):
        yield json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n"


def csv_rows(exercise: Exercise) -> Iterator[str]:
    def rows() -> Iterator[list[Any]]:
        yield CSV_COLUMNS
        for record in records(exercise):
            yield [
                *(record[k] for k in CSV_COLUMNS[:7]),
                json.dumps(record["payload"], ensure_ascii=False, sort_keys=True),
                " ".join(record["audience"]),
            ]

    return csv_lines(rows())
