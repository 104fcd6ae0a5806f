"""The what-if pages as a facilitator uses them: a counterfactual run through its job, its result page, compare.

    .venv/bin/python benchmarks/whatif_bench.py [--seeds 20] [--runs 5] [--slug september-2001]

On a throwaway SQLite file: plays a whole exercise with role bots (``simulate``), then, through the
Django test client as a facilitator, POSTs the counterfactual form from the first phase (the
table just started) with K seeds and lets the worker's job pool run it, as in production, timing
it from the POST to done; then again under ``tracemalloc`` for its memory (peak during the job;
size of the stored result JSON); then times the result page (read from the stored JSON, no
recomputing), the form, and the compare page of the exercise and a fork that played on.
Prints one JSON object per line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.review_bench import _setup_django  # noqa: E402


def _time(fn, runs: int) -> dict[str, float]:  # noqa: ANN001
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return {"min_ms": round(min(times) * 1000, 1), "median_ms": round(statistics.median(times) * 1000, 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--slug", default="september-2001")
    args = parser.parse_args()
    _setup_django()
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    from exercises import engine, services
    from exercises.bots import simulate
    from exercises.engine import commands as c
    from exercises.engine.events import EventType
    from exercises.models import Event, Exercise
    from jobs import runner
    from jobs.models import Job
    from scenarios.library import latest, sync_library

    sync_library()
    user = get_user_model().objects.create_user("bench", password="x", is_staff=True)
    parent = simulate(latest(args.slug), seed=2, step=120, policy="role").exercise
    Exercise.objects.filter(pk=parent.pk).update(owner=user)
    parent.refresh_from_db()
    start = Event.objects.filter(exercise=parent, type=EventType.EXERCISE_STARTED).values_list("seq", flat=True).first()
    assert start is not None, "the simulated exercise never started"
    client = Client()
    client.force_login(user)

    def finished(job_id) -> Job:  # noqa: ANN001
        while True:  # the worker's pool thread runs it, as in production; we poll like the page does
            job = Job.objects.get(pk=job_id)
            if not job.active:
                return job
            time.sleep(0.2)

    started = time.perf_counter()
    response = client.post(reverse("whatif:counterfactual", args=[parent.code]), {"seq": start, "seeds": args.seeds})
    assert response.status_code == 302, response.status_code
    job = finished(Job.objects.get().pk)
    seconds = time.perf_counter() - started
    assert job.status == "done", job.error
    tracemalloc.start()  # a second run, traced (tracemalloc slows allocation-heavy code several times)
    again = runner.submit(job.kind, owner=user, params=job.params)
    finished(again.pk)
    _size, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    stored = len(json.dumps(job.result))
    print(
        json.dumps(
            {
                "what": "counterfactual job",
                "slug": args.slug,
                "events": parent.last_seq,
                "at": start,
                "seeds": args.seeds,
                "seconds": round(seconds, 2),
                "engine_seconds": job.result["seconds"],
                "peak_mb_tracemalloc": round(peak / 1e6, 1),
                "result_kb": round(stored / 1000, 1),
            }
        )
    )
    url = reverse("whatif:run", args=[parent.code, job.pk])
    print(json.dumps({"what": "result page", **_time(lambda: client.get(url), args.runs)}))
    form = reverse("whatif:counterfactual", args=[parent.code]) + f"?seq={start}"
    print(json.dumps({"what": "form (decisions open at the point)", **_time(lambda: client.get(form), args.runs)}))

    fork = services.fork(exercise=parent, at_seq=start + 20, by=user, keep_seats=True)
    now = time.time()
    services.execute(exercise_id=fork.pk, actor=engine.FACILITATOR, command=c.Resume(), now=now)
    services.tick(fork.pk, now=now + 3600)
    compare = reverse("whatif:compare") + f"?codes={parent.code},{fork.code}"
    assert client.get(compare).status_code == 200
    fork.refresh_from_db()
    print(
        json.dumps(
            {
                "what": "compare page (2 branches)",
                "events": [parent.last_seq, fork.last_seq],
                **_time(lambda: client.get(compare), args.runs),
            }
        )
    )


if __name__ == "__main__":
    main()
