"""Game time: seconds from the scenario's T+0, shown as the in-game date and time."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache


@lru_cache(maxsize=64)
def _t0(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def game_datetime(t0_iso: str, game_time: int) -> datetime:
    return _t0(t0_iso) + timedelta(seconds=game_time)


def offset_label(game_time: int) -> str:
    """``T+1d 02:30`` style label, readable in both languages."""
    sign = "-" if game_time < 0 else "+"
    seconds = abs(game_time)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    day_part = f"{days}d " if days else ""
    return f"T{sign}{day_part}{hours:02d}:{minutes:02d}"
