"""One module for durations (``scenarios/durations.py``) and one for the game clock
(``exercises/engine/clock.py``), used by the schema, the loader, the engine, the review and the studio.

Mutation: in ``parse_offset`` read hours as 60 s (``("h", 60)`` in ``UNITS``): the schema, the loader's
write-back and these tests all go red together, because they share the one table."""

from __future__ import annotations

from datetime import datetime

import pytest

import review.analytics
from exercises.engine import clock
from scenarios import durations, loader, schema


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90m", 5400), ("2h", 7200), ("-6d", -518400), ("T+1h30m", 5400), ("1d2h3m4s", 93784), (15, 900), ("0", 0)],
)
def test_it_parses_offsets_and_writes_them_back(text, seconds) -> None:
    assert durations.parse_offset(text) == seconds
    assert durations.parse_offset(durations.format_offset(seconds)) == seconds


def test_the_schema_and_the_loader_use_the_one_parser() -> None:
    assert schema.parse_offset is durations.parse_offset
    assert loader._fmt is durations.format_offset
    assert durations.format_offset(-3600) == "-1h" and durations.format_offset(5400) == "1h30m"
    for bad in ("soon", True, 1.5, "1x"):
        with pytest.raises(ValueError):
            durations.parse_offset(bad)


def test_the_game_clock_in_the_scenario_zone_and_the_labels() -> None:
    t0 = "2001-09-11T08:46:00-04:00"
    assert clock.game_datetime(t0, 3600).isoformat() == "2001-09-11T09:46:00-04:00"
    assert clock.local_game_datetime(t0, "America/New_York", 3600) == datetime(2001, 9, 11, 9, 46)
    assert clock.local_game_datetime(t0, "UTC", 0) == datetime(2001, 9, 11, 12, 46)
    assert clock.offset_label(-(86400 + 5400)) == "T-1d 01:30"
    assert [clock.duration_label(s) for s in (None, 40, 150, 5400, 93784)] == ["—", "40s", "2m 30s", "1h 30m", "1d 2h"]
    assert review.analytics.duration_label is clock.duration_label
