"""How fast the instructor's review pages are on a long exercise.

    .venv/bin/python benchmarks/review_bench.py [--events 10000] [--slug september-2001] [--runs 5]

Builds an exercise of about ``--events`` events by driving the engine in memory with
random players (the same engine and rules as a live table; only the database writes
are batched), stores it with one ``bulk_create``, then times every review page through
the Django test client as a facilitator. Prints one JSON object per line.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _setup_django() -> None:
    # A throwaway database, so the benchmark never touches anyone's db.sqlite3.
    if "DATABASE_URL" not in os.environ and "DJANGO_DB_NAME" not in os.environ:
        scratch = tempfile.mkdtemp(prefix="ct-review-bench-")
        atexit.register(shutil.rmtree, scratch, ignore_errors=True)
        os.environ["DJANGO_DB_NAME"] = str(Path(scratch) / "bench.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_DEBUG", "0")
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))  # DEBUG off refuses to start without one
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def build_exercise(version, *, events: int = 10_000, seed: int = 1, title: str = ""):  # noqa: ANN001, ANN201
    """An exercise of about ``events`` events, played by random bots on every playable role.

    The engine runs on an in-memory state (``engine.run``), as ``services.execute`` would one
    command at a time, and the rows are written at the end in one batch.
    """
    from exercises import engine, services, writes
    from exercises.engine import commands as c
    from exercises.models import Exercise
    from exercises.selectors import state_of
    from scenarios.library import scenario_for

    scenario = scenario_for(version)
    exercise = services.create_exercise(
        scenario=version, seed=seed, title=title or f"Bench · {scenario.slug} · {events}"
    )
    state = state_of(exercise)
    rng = random.Random(seed)
    wall = 1_000_000_000.0
    log: list[engine.Event] = []

    def do(actor: engine.Actor, command: c.Cmd) -> None:
        nonlocal state
        try:
            new, state = engine.run(scenario, state, actor, command, seed=seed, wall=wall)
        except engine.InvalidCommand:
            return
        log.extend(new)

    players = [r for r in scenario.roles if not r.institution]
    actors: dict[str, engine.Actor] = {}
    for n, role in enumerate(players):
        actor = engine.Actor(kind="participant", participant=f"bench{n:04d}")
        do(actor, c.Join(name=f"Bench {n}"))
        do(actor, c.ClaimRole(role=role.id))
        actors[role.id] = actor
    do(engine.FACILITATOR, c.Start())
    # Spread the players' activity over the whole scenario clock.
    span = 0.0
    for index, phase in enumerate(scenario.phases):
        end = scenario.phases[index + 1].start if index + 1 < len(scenario.phases) else scenario.clock.end
        span += (end - phase.start) / phase.rate
    steps = max(10, int(events / (len(players) * 0.8)))
    step = span / steps
    channels = {r.id: [ch.id for ch in scenario.channels if r.id in scenario.roles_of(ch.members)] for r in players}
    words = [
        "border",
        "Senate",
        "press",
        "NORTHCOM",
        "statement",
        "trade",
        "visit",
        "intelligence",
        "radar",
        "migration",
    ]
    while state.status == "running" and len(log) < events:
        wall += step
        do(engine.SYSTEM, c.Tick())
        for role in players:
            actor = actors[role.id]
            roll = rng.random()
            pending = [
                p
                for p in state.pending_proposals()
                for a in p.approvals
                if a.approver == role.id and a.status == "pending"
            ]
            if pending and roll < 0.5:
                do(actor, c.RespondApproval(proposal=pending[0].id, grant=rng.random() < 0.7, reason="bench"))
            elif roll < 0.12:
                action = rng.choice([a for a in scenario.actions if role.id in a.roles] or scenario.actions)
                option = rng.choice(action.options).id if action.options else None
                do(
                    actor,
                    c.ProposeAction(action=action.id, option=option, rationale="Bench rationale " + rng.choice(words)),
                )
            elif roll < 0.85 and channels[role.id]:
                text = " ".join(rng.choice(words) for _ in range(8))
                do(actor, c.SendMessage(channel=rng.choice(channels[role.id]), text=text))
            elif state.released:
                do(actor, c.MarkSeen(seq=rng.choice(list(state.released.values()))))
        if rng.random() < 0.02:
            do(
                engine.FACILITATOR,
                c.AddNote(text="Bench observation " + rng.choice(words), event=state.seq, role=rng.choice(players).id),
            )
    do(engine.FACILITATOR, c.End())
    for start in range(0, len(log), 1000):  # 10 parameters a row: under SQLite's limit per statement
        writes.insert_events(exercise.pk, log[start : start + 1000])
    Exercise.objects.filter(pk=exercise.pk).update(
        state=state.model_dump(mode="json"), last_seq=state.seq, status=state.status
    )
    exercise.refresh_from_db()
    return exercise


def _time(fn, runs: int) -> dict[str, float]:  # noqa: ANN001
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return {
        "min_s": round(min(times), 3),
        "median_s": round(statistics.median(times), 3),
        "max_s": round(max(times), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--slug", default="september-2001")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    _setup_django()

    from django.contrib.auth import get_user_model
    from django.test import Client

    import review.analytics
    import review.log
    import review.replay
    from exercises.models import Event, ShareLink
    from scenarios.library import latest, sync_library

    sync_library()
    version = latest(args.slug)
    if version is None:
        raise SystemExit(f"no scenario {args.slug!r}")
    start = time.perf_counter()
    exercise = build_exercise(version, events=args.events, seed=args.seed)
    count = Event.objects.filter(exercise=exercise).count()
    print(
        json.dumps(
            {"bench": "build", "slug": args.slug, "events": count, "seconds": round(time.perf_counter() - start, 2)}
        )
    )

    user = get_user_model().objects.create_user("bench", password="x", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(user)
    base = f"/review/{exercise.code}/"
    pages = {
        "review": base,
        "timeline_p1": base + "timeline/",
        "timeline_search": base + "timeline/?q=senate",
        "timeline_last_page": base + "timeline/?page=last",
        "replay_mid": base + f"replay/?seq={count // 2}",
        "replay_end": base + f"replay/?seq={count}",
        "report": base + "report/",
        "share": f"/review/share/{ShareLink.objects.create(exercise=exercise, created_by=user).token}/",
        "export_jsonl": base + "export/events.jsonl",
        "export_decisions_csv": base + "export/decisions.csv",
    }
    review.analytics.clear_cache()
    for name, url in pages.items():

        def get(url: str = url) -> None:
            review.analytics.clear_cache()  # cold: every run loads and analyses the whole log again
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            response.getvalue()  # the whole body, streamed or not

        size = len(client.get(url).getvalue())
        print(
            json.dumps(
                {"bench": "page", "page": name, "events": count, "bytes": size, "cold": True, **_time(get, args.runs)}
            )
        )
    for name in ("review", "report"):
        client.get(pages[name])

        def warm(url: str = pages[name]) -> None:
            assert client.get(url).status_code == 200

        print(json.dumps({"bench": "page", "page": name, "events": count, "cold": False, **_time(warm, args.runs)}))
    # The parts, cold, to show where the time goes.
    from exercises.models import Exercise

    ex = Exercise.objects.select_related("scenario").get(pk=exercise.pk)
    parts = {
        "load_log": lambda: review.log.load(ex),
        "analyse": lambda: review.analytics.analyse(review.log.load(ex)),
        "replay_end": lambda: review.replay.screen(ex, review.log.load(ex), role="mx_sedena", seq=count, lang="en"),
    }
    for name, fn in parts.items():
        print(json.dumps({"bench": "part", "part": name, "events": count, **_time(fn, args.runs)}))


if __name__ == "__main__":
    main()
