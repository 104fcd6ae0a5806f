"""One racing process: ``python -m tests.services.racer EXERCISE PARTICIPANT COUNT START_AT``.

Waits until the wall clock reaches START_AT (so every racer starts at the same instant), then
runs COUNT ``send_message`` commands through ``services.execute`` as fast as it can, and prints
one JSON line: the seqs of the events each command produced.
"""

from __future__ import annotations

import json
import os
import sys
import time


def main() -> None:
    exercise_id, participant, count, start_at = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from exercises import engine, services
    from exercises.engine import commands as c
    from exercises.models import Exercise

    actor = engine.Actor(kind="participant", participant=participant)
    assert Exercise.objects.filter(pk=exercise_id).exists()  # connect before the start line
    time.sleep(max(0.0, start_at - time.time()))
    seqs = []
    for n in range(count):
        result = services.execute(
            exercise_id=exercise_id,
            actor=actor,
            command=c.SendMessage(channel="cabinet", text=f"race-{participant}-{n:03d}"),
        )
        assert result.ok, result.rejection
        seqs.append([e.seq for e in result.events])
    print(json.dumps({"participant": participant, "seqs": seqs}))


if __name__ == "__main__":
    main()
