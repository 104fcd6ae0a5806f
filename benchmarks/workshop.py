"""Workshop scale (issue #11): many tables of one scenario, every seat a role, injects across all tables.

    .venv/bin/python benchmarks/workshop.py --tables 18 --layer memory
    .venv/bin/python benchmarks/workshop.py --tables 40 --layer redis [--mix] [--storm]
    .venv/bin/python benchmarks/workshop.py --quick                      # make bench's short size

The workload, as a workshop runs it:
- ``--tables`` exercises of one scenario (``--slug``, default september-2001), tables of one
  ``Workshop``; on each, one player per playable role (11 in september-2001 and pipeline-2007,
  6 in katrina-2005), every one with a socket; all tables started and advanced to their second
  phase (``--phase``), so action panels are those of a running exercise;
- one facilitator console socket per table; each round the consoles release one ``adhoc_inject``
  per table, back to back (the title is unique per table and round), and the clock starts when
  the first console's frame leaves the client; ``--release workshop`` instead sends the workshop
  console's single "release to every table" request, where the app has one;
- per player, the latency to the frame carrying **its own table's** inject title; percentiles
  over every (round, player) pair; ``missed`` counts frames that did not come within ``--timeout``.

In the same run, rounds interleaved with the app's (machine speed drifts):
- the **floor**: the smallest Channels app (``benchmarks/bare/asgi.py``), same server, same
  layer, same worker count, the same sockets in one group per table, one sender per table
  broadcasting a fragment of the app's median player-frame size, back to back;
- the **raw floor**: a plain asyncio ``websockets`` server (``benchmarks/raw_server.py``),
  one process, the same groups.

``memory``: one uvicorn worker, in-memory layer, a throwaway SQLite file. ``redis``: two uvicorn
workers on Redis + PostgreSQL (``CT_BENCH_DATABASE_URL``/``CT_BENCH_REDIS_URL``, see
``harness``), players split across them (socket ``n`` on worker ``n % 2``), console ``t`` on
worker ``t % 2``.

``--mix``: while the injects go out, every player also acts at a human rate (one command every
20–40 s, randomised from ``--seed``) drawn from the real mix (``benchmarks/mix.py``): messages on
their channels, proposals of the actions their role has now, answers to approvals addressed to
them, decide/withdraw of their own proposals, acknowledgements of injects. Rounds are spread over
``--mix-seconds``. Reported beside the inject latency: command-to-own-screen percentiles, overall
and per type, refusals by a rule and errors counted apart.

``--storm``: after the rounds, every socket (players and consoles) drops at once, and after
``--storm-pause`` all reconnect at once with ``resume`` from 5 events back; timed per player
until its catch-up frame (the first whose sequence marker reaches its table's last event). Each
player must catch up exactly once: ``missing`` (never caught up) and ``doubled`` (a sequence
marker that did not move forward) must be 0. Floors: the same sockets reconnecting at once to
the bare Channels app and the raw server, timed to a hello frame of the same size.

``--profile DIR`` records the worker(s) with py-spy (``pip install py-spy``) during the measured
rounds (and the storm): collapsed stacks per thread, ``DIR/*.txt``, which speedscope opens and
``benchmarks/profile_summary.py`` summarises. Figures of a profiled run are not the before/after
figures (sampling costs the worker a little).

Prints one JSON line. Every loop is bounded in count and time; only 127.0.0.1 is used.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import random
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import harness, mix  # noqa: E402

BARE_APP = "benchmarks.bare.asgi:application"


def py_spy() -> str | None:
    here = Path(sys.executable).parent / "py-spy"
    return str(here) if here.exists() else shutil.which("py-spy")


class Profiler:
    """py-spy recording one worker process until stopped (SIGINT makes it write its file)."""

    def __init__(self, pid: int, path: Path, rate: int) -> None:
        spy = py_spy() or "py-spy"
        self.path = path
        self.proc = subprocess.Popen(
            [spy, "record", "--pid", str(pid), "--rate", str(rate), "--format", "raw", "--threads"]
            + ["--nonblocking", "--output", str(path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


def profile(servers: list[Any], directory: Path | None, label: str, rate: int) -> list[Profiler]:
    if directory is None:
        return []
    directory.mkdir(parents=True, exist_ok=True)
    return [Profiler(s.proc.pid, directory / f"{label}-worker{n}.txt", rate) for n, s in enumerate(servers)]


def stop_profiles(profilers: list[Profiler]) -> list[str]:
    for p in profilers:
        p.stop()
    return [str(p.path) for p in profilers if p.path.exists()]


async def table_round(
    tokens: list[str], groups: list[list[harness.Client]], trigger, *, timeout: float, extra=None
) -> tuple[list[float], int, list[float]]:
    """Every client of group ``t`` waits for ``tokens[t]``; time from ``trigger()``'s start.

    Returns (latencies in ms, how many missed it, the latencies of ``extra`` clients — the
    consoles — which wait for their own table's token too but are reported apart).
    """
    extra = extra or [[] for _ in groups]
    for token, clients, more in zip(tokens, groups, extra, strict=True):
        for client in (*clients, *more):
            client.expect(token)
    t0 = time.perf_counter()
    await trigger()
    deadline = t0 + timeout
    everyone = [(token, c) for token, clients in zip(tokens, groups, strict=True) for c in clients]
    while time.perf_counter() < deadline and not all(c.arrived(token) for token, c in everyone):
        await asyncio.sleep(0.005)
    got = [(c.arrived(token) - t0) * 1000 for token, c in everyone if c.arrived(token)]
    side = [
        (c.arrived(token) - t0) * 1000
        for token, more in zip(tokens, extra, strict=True)
        for c in more
        if c.arrived(token)
    ]
    return got, len(everyone) - len(got), side


def workshop_release_supported() -> bool:
    from exercises import views

    commands = {**getattr(views, "WORKSHOP_COMMANDS", {}), **getattr(views, "WORKSHOP_RELEASES", {})}
    return any(name in commands for name in ("adhoc_inject", "release", "release_inject"))


def post_workshop_release(server: Any, code: str, cookie: str, title: str) -> int:
    """The workshop console's "release to every table": one POST (blocking; run on a thread)."""
    fields = {"type": "adhoc_inject", "title": title, "text": f"Benchmark inject {title}.", "recipients": "all"}
    return post_workshop_command(server, code, cookie, {**fields, "public": "on"})


def post_workshop_command(server: Any, code: str, cookie: str, fields: dict[str, str]) -> int:
    """POST one form to the workshop console as the logged-in facilitator; returns the HTTP status."""
    csrf = "b" * 32  # Django accepts its unmasked 32-character secret, cookie and header alike
    request = urllib.request.Request(
        f"{server.origin}/w/{code}/console/do/",
        data=urllib.parse.urlencode(fields).encode(),
        headers={
            "Cookie": f"sessionid={cookie}; csrftoken={csrf}",
            "X-CSRFToken": csrf,
            "Origin": server.origin,
            "Referer": f"{server.origin}/w/{code}/console/",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        method="POST",
    )

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=120) as response:
            return response.status
    except urllib.error.HTTPError as exc:  # the 302 back to the console lands here
        return exc.code


async def run(
    args: argparse.Namespace, env: dict[str, str], workshop: Any, tables: list[harness.Table], fac: str
) -> dict:
    workers = 1 if args.layer == "memory" else 2
    loop = asyncio.get_running_loop()
    main_task = asyncio.current_task()
    for sig in (signal.SIGTERM, signal.SIGINT):  # stop cleanly: the finally below stops every server
        loop.add_signal_handler(sig, main_task.cancel)
    db = ThreadPoolExecutor(1, thread_name_prefix="bench-db")  # the benchmark's own reads (mix, storm)
    app = harness.start_servers(env, workers, kind=args.server)
    bare = [] if args.no_floor else harness.start_servers(env, workers, kind=args.server, app=BARE_APP)
    from tests.services.live import free_port, seqs_in, wait_for_port

    raw_port = free_port()
    raw_proc = None
    if not args.no_floor:
        raw_proc = subprocess.Popen(
            [sys.executable, str(harness.ROOT / "benchmarks" / "raw_server.py"), str(raw_port), "--lifetime", "3600"]
        )
        wait_for_port(raw_port)
    seats = [seat for table in tables for seat in table.seats]
    record: dict[str, Any] = {
        "bench": "workshop",
        "slug": args.slug,
        "tables": len(tables),
        "roles_per_table": len(tables[0].seats),
        "players": len(seats),
        "consoles": len(tables),
        "layer": args.layer,
        "server": args.server,
        "workers": workers,
        "rounds": args.rounds,
        "release": args.release,
        "load_start": harness.load(),
    }
    profiles: list[str] = []
    all_clients: list[harness.Client] = []
    try:
        base_rss = sum(harness.rss_kb(s.proc.pid) for s in app)
        players = [
            harness.Client(f"{app[n % workers].ws}/ws/exercise/{seat.code}/", app[n % workers].origin, seat.cookie)
            for n, seat in enumerate(seats)
        ]
        consoles = [
            harness.Client(f"{app[t % workers].ws}/ws/exercise/{table.code}/console/", app[t % workers].origin, fac)
            for t, table in enumerate(tables)
        ]
        all_clients += players + consoles
        by_table: list[list[harness.Client]] = [[] for _ in tables]
        for seat, client in zip(seats, players, strict=True):
            by_table[seat.table].append(client)
        last = await loop.run_in_executor(db, harness.last_seqs, [t.exercise_id for t in tables])
        t_connect = time.perf_counter()
        await harness.connect_all(players, resume=[last[s.exercise_id] for s in seats])
        await harness.connect_all(consoles, resume=[last[t.exercise_id] for t in tables])
        record["connect_s"] = round(time.perf_counter() - t_connect, 1)
        await asyncio.sleep(2)  # resumes answered, presence settled
        record["idle_kb_per_conn"] = round(
            (sum(harness.rss_kb(s.proc.pid) for s in app) - base_rss) / (len(players) + len(consoles)), 1
        )

        def inject(title: str) -> str:
            data = {"type": "adhoc_inject", "title": title, "text": f"Benchmark inject {title}."}
            return json.dumps({**data, "recipients": ["all"], "public": True})

        if args.release == "workshop":

            async def release(tokens: list[str]) -> None:
                # One act for every table: the titles cannot differ per table, so tokens[t] is the same.
                await loop.run_in_executor(None, post_workshop_release, app[0], workshop.code, fac, tokens[0])

            def app_tokens(tag: str) -> list[str]:
                return [f"wk{tag}z"] * len(tables)
        else:

            async def release(tokens: list[str]) -> None:
                for console, token in zip(consoles, tokens, strict=True):
                    await console.conn.send(inject(token))

            def app_tokens(tag: str) -> list[str]:
                return [f"wk{tag}t{t:03d}z" for t in range(len(tables))]

        # Warm-up (not counted): templates, code paths, and the frame sizes the floors copy.
        await table_round(
            app_tokens("warm"),
            by_table,
            lambda: release(app_tokens("warm")),
            timeout=args.timeout * 3,
            extra=[[c] for c in consoles],
        )
        # A second warm-up round, whose frames the floors copy: the first one's carry every panel
        # (nothing is on the screens yet); from the second on, a frame carries what the inject changed.
        for client in [*players, *consoles]:
            client.sizes.clear()
        await table_round(
            app_tokens("warm2"),
            by_table,
            lambda: release(app_tokens("warm2")),
            timeout=args.timeout * 3,
            extra=[[c] for c in consoles],
        )
        sizes = [s for p in players for s in p.sizes]
        size = int(statistics.median(sizes)) if sizes else 4000
        record["frame_bytes"] = size
        console_sizes = [s for c in consoles for s in c.sizes]
        if console_sizes:
            record["console_frame_bytes"] = int(statistics.median(console_sizes))

        phases: dict[str, dict[str, Any]] = {
            "app": {"lat": [], "missed": 0, "side": [], "groups": by_table, "extra": [[c] for c in consoles]},
        }
        phases["app"]["trigger"] = release
        phases["app"]["tokens"] = app_tokens
        floor_senders: list[harness.Client] = []
        raw_senders: list[harness.Client] = []
        floor_groups: list[list[harness.Client]] = [[] for _ in tables]
        raw_groups: list[list[harness.Client]] = [[] for _ in tables]
        if not args.no_floor:
            for n, seat in enumerate(seats):
                server = bare[n % workers]
                floor_groups[seat.table].append(
                    harness.Client(f"{server.ws}/ws/bare/t{seat.table}/", server.origin, None)
                )
                raw_groups[seat.table].append(
                    harness.Client(f"ws://127.0.0.1:{raw_port}/t{seat.table}/", f"http://127.0.0.1:{raw_port}", None)
                )
            for t in range(len(tables)):
                server = bare[t % workers]
                floor_senders.append(harness.Client(f"{server.ws}/ws/bare/t{t}/", server.origin, None))
                raw_senders.append(
                    harness.Client(f"ws://127.0.0.1:{raw_port}/t{t}/", f"http://127.0.0.1:{raw_port}", None)
                )
            floor_clients = [c for g in floor_groups for c in g]
            raw_clients = [c for g in raw_groups for c in g]
            all_clients += floor_clients + raw_clients + floor_senders + raw_senders
            await harness.connect_all([*floor_clients, *floor_senders], resume=None)
            await harness.connect_all([*raw_clients, *raw_senders], resume=None)

            def sender_trigger(senders: list[harness.Client]):
                async def trigger(tokens: list[str]) -> None:
                    for sender, token in zip(senders, tokens, strict=True):
                        await sender.conn.send(f"go {token} {size}")

                return trigger

            for name, groups, senders in (("floor", floor_groups, floor_senders), ("raw", raw_groups, raw_senders)):
                phases[name] = {
                    "lat": [],
                    "missed": 0,
                    "side": [],
                    "groups": groups,
                    "extra": None,
                    "trigger": sender_trigger(senders),
                    "tokens": lambda tag, name=name: [f"{name}{tag}t{t:03d}z" for t in range(len(tables))],
                }
                warm = phases[name]["tokens"]("warm")
                await table_round(
                    warm, groups, lambda w=warm, n=name: phases[n]["trigger"](w), timeout=args.timeout * 3
                )

        # ------------------------------------------------------------------ the command mix
        actors: list[mix.Actor] = []
        mix_tasks: list[asyncio.Task[None]] = []
        stop_mix = asyncio.Event()
        if args.mix:
            from scenarios.library import latest, scenario_for

            scenario = await loop.run_in_executor(db, lambda: scenario_for(latest(args.slug)))
            chooser = mix.Chooser(scenario, seed=args.seed)
            ids = [t.exercise_id for t in tables]
            await loop.run_in_executor(db, chooser.refresh, ids)
            actors = [mix.Actor(seat, client) for seat, client in zip(seats, players, strict=True)]
            for actor in actors:
                actor.attach()

            async def refresher() -> None:
                while not stop_mix.is_set():
                    await loop.run_in_executor(db, chooser.refresh, ids)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop_mix.wait(), timeout=2.0)

            async def act(n: int, actor: mix.Actor) -> None:
                rng = random.Random(f"{args.seed}:{n}")
                wait = rng.uniform(0, args.act_max)
                while not stop_mix.is_set():
                    try:
                        await asyncio.wait_for(stop_mix.wait(), timeout=wait)
                        return
                    except TimeoutError:
                        pass
                    command = chooser.choose(actor.seat, rng, actor.unacked, actor.client.last)
                    await actor.send(command)
                    deadline = time.perf_counter() + args.timeout
                    while actor.pending is not None and time.perf_counter() < deadline:
                        await asyncio.sleep(0.01)
                    actor.expire(args.timeout)
                    wait = rng.uniform(args.act_min, args.act_max)

            mix_tasks.append(loop.create_task(refresher()))

        # ------------------------------------------------------------------ measured rounds
        profilers = profile(app, args.profile, "rounds", args.profile_rate)
        gc.collect()
        gc.freeze()
        gc.disable()  # the client's own collector must not pause the stopwatch (bounded run)
        start = time.perf_counter()
        if args.mix:
            mix_tasks += [loop.create_task(act(n, a)) for n, a in enumerate(actors)]
        interval = args.mix_seconds / args.rounds if args.mix else 0.0
        deadline = time.monotonic() + args.budget
        for r in range(args.rounds):
            if time.monotonic() > deadline:
                record["stopped_early_after_rounds"] = r
                break
            if interval:
                await asyncio.sleep(max(0.0, start + r * interval - time.perf_counter()))
            for name, phase in phases.items():
                tokens = phase["tokens"](f"{r:03d}")
                got, lost, side = await table_round(
                    tokens,
                    phase["groups"],
                    lambda tk=tokens, tr=phase["trigger"]: tr(tk),
                    timeout=args.timeout,
                    extra=phase["extra"],
                )
                phase["lat"].extend(got)
                phase["missed"] += lost
                phase["side"].extend(side)
                if args.verbose:
                    print(name, r, harness.percentiles(got), lost, file=sys.stderr, flush=True)
                await asyncio.sleep(args.gap)
        if args.mix:
            await asyncio.sleep(max(0.0, start + args.mix_seconds - time.perf_counter()))
            stop_mix.set()
            await asyncio.wait_for(asyncio.gather(*mix_tasks, return_exceptions=True), timeout=args.timeout + 10)
        elapsed = time.perf_counter() - start
        gc.enable()
        profiles += stop_profiles(profilers)

        record.update(harness.percentiles(phases["app"]["lat"]))
        record["missed"] = phases["app"]["missed"]
        record["console_p99_ms"] = harness.percentiles(phases["app"]["side"])["p99_ms"]
        for name in ("floor", "raw"):
            if name in phases:
                pct = harness.percentiles(phases[name]["lat"])
                record.update({f"{name}_{k}": v for k, v in pct.items()})
                record[f"{name}_missed"] = phases[name]["missed"]
        if record.get("p99_ms") and record.get("floor_p99_ms"):
            record["p99_vs_floor"] = round(record["p99_ms"] / record["floor_p99_ms"], 2)
        if record.get("p99_ms") and record.get("raw_p99_ms"):
            record["p99_vs_raw"] = round(record["p99_ms"] / record["raw_p99_ms"], 2)
        if args.mix:
            outcomes = [o for a in actors for o in a.outcomes]
            record["mix"] = {"seconds": round(elapsed, 1), **mix.summarise(outcomes, elapsed)}
            for actor in actors:
                actor.client.on_frame = None

        # ------------------------------------------------------------------ reconnect storm
        if args.storm:
            storms = []
            for k in range(args.storms):
                await asyncio.sleep(3)  # let the last round's writes and ticks settle
                profilers = profile(app, args.profile, f"storm{k}", args.profile_rate)
                storms.append(
                    await storm(
                        args, loop, db, seats, players, consoles, tables, floor_groups, raw_groups, size, seqs_in
                    )
                )
                profiles += stop_profiles(profilers)
            record["storm"] = storms[0] if len(storms) == 1 else storms
        record["load_end"] = harness.load()
        if profiles:
            record["profiles"] = profiles
    finally:
        await harness.close_all(all_clients)
        harness.stop_servers([*app, *bare])
        if raw_proc is not None:
            raw_proc.terminate()
            raw_proc.wait(timeout=10)
        db.shutdown(wait=False)
    return record


async def storm(
    args: argparse.Namespace,
    loop: asyncio.AbstractEventLoop,
    db: ThreadPoolExecutor,
    seats: list[harness.Seat],
    players: list[harness.Client],
    consoles: list[harness.Client],
    tables: list[harness.Table],
    floor_groups: list[list[harness.Client]],
    raw_groups: list[list[harness.Client]],
    size: int,
    seqs_in,
) -> dict[str, Any]:
    """Every socket drops at once; all reconnect at once with resume from 5 events back."""
    expected = await loop.run_in_executor(db, harness.last_seqs, [t.exercise_id for t in tables])
    behind = sum(1 for seat, c in zip(seats, players, strict=True) if c.last < expected[seat.exercise_id])
    resumes = [max(0, min(c.last, expected[s.exercise_id]) - 5) for s, c in zip(seats, players, strict=True)]
    console_resumes = [max(0, expected[t.exercise_id] - 5) for t in tables]
    received: list[list[tuple[float, list[int]]]] = [[] for _ in players]
    console_received: list[list[tuple[float, list[int]]]] = [[] for _ in consoles]
    for client in [*players, *consoles]:
        client.drop()
    await asyncio.sleep(args.storm_pause)
    for n, client in enumerate(players):
        client.on_frame = lambda frame, now, n=n: received[n].append((now, seqs_in(frame)))
    for n, client in enumerate(consoles):
        client.on_frame = lambda frame, now, n=n: console_received[n].append((now, seqs_in(frame)))
    t0 = time.perf_counter()
    results = await asyncio.gather(
        *(c.connect(r) for c, r in zip(players, resumes, strict=True)),
        *(c.connect(r) for c, r in zip(consoles, console_resumes, strict=True)),
        return_exceptions=True,
    )
    failed = sum(1 for r in results if isinstance(r, BaseException))
    deadline = t0 + args.storm_timeout

    def caught(frames: list[tuple[float, list[int]]], target: int) -> float | None:
        return next((at for at, seqs in frames if seqs and max(seqs) >= target), None)

    targets = [expected[s.exercise_id] for s in seats]
    while time.perf_counter() < deadline and not all(caught(received[n], targets[n]) for n in range(len(players))):
        await asyncio.sleep(0.01)
    await asyncio.sleep(1.0)  # anything doubled would come now
    latencies, missing, doubled = [], 0, 0
    for n in range(len(players)):
        at = caught(received[n], targets[n])
        if at is None:
            missing += 1
        else:
            latencies.append((at - t0) * 1000)
        markers = [s for _, seqs in received[n] for s in seqs]
        if any(b <= a for a, b in zip(markers, markers[1:], strict=False)):
            doubled += 1
    console_lat = [
        (at - t0) * 1000
        for n, t in enumerate(tables)
        if (at := caught(console_received[n], expected[t.exercise_id])) is not None
    ]
    for client in [*players, *consoles]:
        client.on_frame = None
    out: dict[str, Any] = {
        "sockets": len(players) + len(consoles),
        **harness.percentiles(latencies),
        "caught_up": len(latencies),
        "missing": missing,
        "doubled": doubled,
        "connect_failures": failed,
        "behind_before": behind,
        "console_p99_ms": harness.percentiles(console_lat)["p99_ms"],
        "load": harness.load(),
    }
    if not args.no_floor:
        for name, groups in (("floor", floor_groups), ("raw", raw_groups)):
            clients = [c for g in groups for c in g]
            for client in clients:
                client.drop()
            await asyncio.sleep(args.storm_pause)
            for client in clients:
                client.url = client.url.split("?")[0] + f"?hello={size}"
                client.waiting.pop("hello", None)
                client.expect("hello")
            t1 = time.perf_counter()
            await asyncio.gather(*(c.connect(None) for c in clients), return_exceptions=True)
            while time.perf_counter() < t1 + args.storm_timeout and not all(c.arrived("hello") for c in clients):
                await asyncio.sleep(0.01)
            got = [(c.arrived("hello") - t1) * 1000 for c in clients if c.arrived("hello")]
            out[f"{name}_p99_ms"] = harness.percentiles(got)["p99_ms"]
            out[f"{name}_missing"] = len(clients) - len(got)
        if out.get("p99_ms") and out.get("floor_p99_ms"):
            out["p99_vs_floor"] = round(out["p99_ms"] / out["floor_p99_ms"], 2)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tables", type=int, default=18)
    parser.add_argument("--layer", choices=["memory", "redis"], default="memory")
    parser.add_argument("--slug", default="september-2001")
    parser.add_argument("--phase", type=int, default=1, help="advance every table to this phase (0 = the first)")
    parser.add_argument("--server", choices=["uvicorn", "daphne"], default="uvicorn")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="a short run for make bench: 4 tables, 2 rounds")
    parser.add_argument("--release", choices=["per-table", "workshop"], default="per-table")
    parser.add_argument("--gap", type=float, default=1.0, help="seconds of quiet after each broadcast")
    parser.add_argument("--timeout", type=float, default=30.0, help="longest wait for one round or one command")
    parser.add_argument("--budget", type=float, default=900.0, help="stop starting rounds after this many seconds")
    parser.add_argument("--mix", action="store_true", help="players act at a human rate while injects go out")
    parser.add_argument(
        "--mix-seconds", type=float, default=150.0, help="how long the mix runs (rounds spread over it)"
    )
    parser.add_argument("--act-min", type=float, default=20.0)
    parser.add_argument("--act-max", type=float, default=40.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--storm", action="store_true", help="then drop every socket and reconnect all at once")
    parser.add_argument("--storms", type=int, default=1)
    parser.add_argument("--storm-pause", type=float, default=1.0, help="seconds between the drop and the reconnect")
    parser.add_argument("--storm-timeout", type=float, default=120.0)
    parser.add_argument("--no-floor", action="store_true", help="measure the app only")
    parser.add_argument("--profile", type=Path, default=None, help="py-spy the worker(s) into this directory")
    parser.add_argument("--profile-rate", type=int, default=100)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.tables, args.rounds = 4, 2
        args.mix_seconds = min(args.mix_seconds, 40.0)
        args.act_min, args.act_max = min(args.act_min, 5.0), min(args.act_max, 10.0)
    if args.profile is not None and py_spy() is None:
        sys.exit("--profile needs py-spy: .venv/bin/pip install 'py-spy>=0.4,<1' (a profiling tool, not a dependency)")
    env = harness.setup(args.layer)
    if args.release == "workshop" and not workshop_release_supported():
        harness.emit(
            {
                "bench": "workshop",
                "release": "workshop",
                "unsupported": "the workshop console has no 'release to every table' command "
                "(exercises.views.WORKSHOP_COMMANDS: start, pause, resume, advance_phase)",
            }
        )
        sys.exit(2)
    workshop, tables, fac = harness.workshop_tables(args.tables, slug=args.slug, phase=args.phase)
    harness.use_uvloop()
    harness.emit(asyncio.run(run(args, env, workshop, tables, fac)))


if __name__ == "__main__":
    main()
