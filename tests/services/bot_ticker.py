"""One worker's ticker, on a virtual clock: ``python -m tests.services.bot_ticker EXERCISE START_AT WALL0 STEP STEPS``.

Waits until the wall clock reaches START_AT (so racing tickers start together), then calls
``services.tick`` — what ``consumers._Ticker`` calls every few seconds — at WALL0 + STEP, + 2·STEP…,
the n-th call at START_AT + n·PACE of real time, and prints one JSON line: how many ticks wrote
events, and how many events.

Paced, so that every step is a fresh race between the tickers. Run as fast as they could, the
one that wrote first stayed ahead for good once a write no longer made its own next tick read
the state back (``ticks.remember``, issue #11 part 12): the other never wrote, and the race the
test is about was not run.
"""

from __future__ import annotations

import json
import os
import sys
import time

PACE = 0.01  # seconds of real time between two steps (a tick takes a few milliseconds)


def main() -> None:
    exercise_id, start_at = int(sys.argv[1]), float(sys.argv[2])
    wall0, step, steps = float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from exercises import services
    from exercises.models import Exercise

    assert Exercise.objects.filter(pk=exercise_id).exists()  # connect before the start line
    time.sleep(max(0.0, start_at - time.time()))
    writes = events = 0
    for n in range(1, steps + 1):
        time.sleep(max(0.0, start_at + n * PACE - time.time()))
        result = services.tick(exercise_id, now=wall0 + n * step)
        writes += bool(result.events)
        events += len(result.events)
    print(json.dumps({"writes": writes, "events": events}))


if __name__ == "__main__":
    main()
