"""Game time: seconds from the scenario's T+0, shown as the in-game date and time.

The one game-clock module: the engine, the exports, the live screens, the review and the studio
call it (parsing a scenario's durations is ``scenarios/durations.py``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo


@lru_cache(maxsize=64)
def _t0(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def game_datetime(t0_iso: str, game_time: int) -> datetime:
    return _t0(t0_iso) + timedelta(seconds=game_time)


def local_game_datetime(t0_iso: str, timezone: str, game_time: int) -> datetime:
    """The in-game date and time, naive, in the scenario's own time zone (templates must not shift it)."""
    return game_datetime(t0_iso, game_time).astimezone(_zone(timezone)).replace(tzinfo=None)


@lru_cache(maxsize=16)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def duration_label(seconds: float | int | None) -> str:
    """``1d 2h``, ``3h 05m``, ``12m``, ``40s``: short and language-neutral."""
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{sign}{days}d {hours}h"
    if hours:
        return f"{sign}{hours}h {minutes:02d}m"
    if minutes:
        return f"{sign}{minutes}m" + (f" {secs:02d}s" if secs and minutes < 10 else "")
    return f"{sign}{secs}s"


def offset_label(game_time: int) -> str:
    """``T+1d 02:30`` style label, readable in both languages."""
    sign = "-" if game_time < 0 else "+"
    seconds = abs(game_time)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    day_part = f"{days}d " if days else ""
    return f"T{sign}{day_part}{hours:02d}:{minutes:02d}"
