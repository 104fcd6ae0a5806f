"""Presence that stays true after a crash: a heartbeat with a time-to-live.

Every worker refreshes the heartbeat of the participants it has sockets for every
``HEARTBEAT_SECONDS`` (``consumers._Ticker``), and on connect and disconnect. A participant is
*connected* while they have an open socket (``Participant.connections``) **and** their last
heartbeat is younger than ``PRESENCE_TTL``; a worker killed with SIGKILL never decrements the
counter, but it stops beating, so its players turn *away* within the TTL. The console shows
"last seen" for those who are away.

Where the heartbeat lives: Redis (the cache, one key per participant, kept a day so "last seen"
outlives the TTL) when ``REDIS_URL`` is set; the ``last_seen_at`` column otherwise.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from . import fanout
from .models import Participant

KEPT = 24 * 3600  # seconds a Redis heartbeat is kept, for "last seen"


def _redis() -> bool:
    return "redis" in settings.CACHES["default"]["BACKEND"].lower()


def ttl() -> float:
    return float(settings.CRISIS_TABLE["PRESENCE_TTL"])


def _key(exercise_id: int, pid: str) -> str:
    return f"ct:seen:{exercise_id}:{pid}"


def beat(exercise_id: int, pids: Iterable[str]) -> None:
    """These participants have a live socket on this worker now."""
    beat_many({exercise_id: pids})


def beat_many(tables: dict[int, Iterable[str]]) -> None:
    """``beat`` for several tables at once: one Redis write for every table of a worker (issue #11,
    part 8: the heartbeat was one database hop per table, twenty in a row every 10 s)."""
    found = {exercise_id: list(pids) for exercise_id, pids in tables.items()}
    found = {exercise_id: pids for exercise_id, pids in found.items() if pids}
    if not found:
        return
    if _redis():
        now = time.time()
        try:
            cache.set_many(
                {_key(exercise_id, pid): now for exercise_id, pids in found.items() for pid in pids}, timeout=KEPT
            )
            return
        except Exception:  # noqa: BLE001 - Redis down: the column still works
            pass
    now_db = timezone.now()
    for exercise_id, pids in found.items():
        Participant.objects.filter(exercise_id=exercise_id, pk__in=pids).update(last_seen_at=now_db)


def connections_changed(deltas: dict[tuple[int, str], int]) -> None:
    """Sockets opened (+n) or closed (-n) per (exercise, participant), one worker's batch
    (``consumers._PresenceBatch``): one UPDATE per exercise and delta (a reconnect storm writes
    one row set per table, not one statement per socket), one heartbeat and one notice to the
    consoles per exercise."""
    now = timezone.now()
    groups: dict[tuple[int, int], list[str]] = defaultdict(list)
    exercises: dict[int, list[str]] = defaultdict(list)
    for (exercise_id, participant_id), delta in deltas.items():
        groups[(exercise_id, delta)].append(participant_id)
        exercises[exercise_id].append(participant_id)
    for (exercise_id, delta), pids in groups.items():
        rows = Participant.objects.filter(exercise_id=exercise_id, pk__in=pids)
        if delta:
            rows.update(connections=Greatest(F("connections") + delta, 0), last_seen_at=now)
        else:  # as many opened as closed: only seen
            rows.update(last_seen_at=now)
    for exercise_id, pids in exercises.items():
        beat(exercise_id, pids)
        fanout.publish_signal(exercise_id, "presence", {})


def last_seen(exercise_id: int, rows: Iterable[Participant]) -> dict[str, datetime | None]:
    rows = list(rows)
    seen: dict[str, datetime | None] = {p.pk: p.last_seen_at for p in rows}
    if _redis() and rows:
        try:
            found = cache.get_many([_key(exercise_id, p.pk) for p in rows])
        except Exception:  # noqa: BLE001
            found = {}
        for p in rows:
            stamp = found.get(_key(exercise_id, p.pk))
            if stamp is not None:
                when = datetime.fromtimestamp(float(stamp), tz=UTC)
                seen[p.pk] = max(when, p.last_seen_at) if p.last_seen_at else when
    return seen


def status(row: Participant | None, seen: datetime | None) -> str:
    """``connected`` or ``away`` (see the module's docstring)."""
    if row is None or row.connections <= 0 or seen is None:
        return "away"
    return "connected" if (timezone.now() - seen).total_seconds() <= ttl() else "away"
