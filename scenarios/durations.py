"""Durations and game-time offsets as scenario files write them: ``"90m"``, ``"2h"``, ``"-6d"``,
``"T+1h30m"`` or a bare number of minutes. One parser (used by the schema, the loader and the
studio) and its inverse (the loader and the studio write offsets back in the file's notation).
Plain Python: the scenario floor knows nothing of the runtime.
"""

from __future__ import annotations

import re
from typing import Any

from .messages import Msg

_OFFSET_RE = re.compile(r"^(?P<sign>[-+])?(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?(?:(?P<s>\d+)s)?$")
UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


def parse_offset(value: Any) -> int:
    """Turn ``"-6d"``, ``"T+1h30m"``, ``"2h"`` or an int (minutes) into seconds."""
    if isinstance(value, bool):
        raise ValueError(Msg("expected a duration such as '1h30m' or '-6d'"))
    if isinstance(value, int):
        return value * 60
    if not isinstance(value, str):
        raise ValueError(Msg("expected a duration such as '1h30m' or '-6d'"))
    text = value.strip().replace(" ", "")
    if text.upper().startswith("T"):
        text = text[1:] or "0"
    if text in ("0", "+0", "-0"):
        return 0
    match = _OFFSET_RE.match(text)
    if not match or not any(match.group(k) for k in "dhms"):
        raise ValueError(Msg("{value!r} is not a duration such as '1h30m' or '-6d'", value=value))
    seconds = sum(int(match.group(unit) or 0) * size for unit, size in UNITS)
    return -seconds if match.group("sign") == "-" else seconds


def format_offset(seconds: int) -> str:
    """Seconds back into the file's notation: -3600 -> '-1h', 5400 -> '1h30m', 0 -> '0'."""
    if seconds == 0:
        return "0"
    sign, rest = ("-" if seconds < 0 else ""), abs(seconds)
    parts = []
    for unit, size in UNITS:
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count}{unit}")
    return sign + "".join(parts)
