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
``harness``); console ``t`` on worker ``t % 2``, and the players by ``--split``: ``table`` (the
default) puts every socket of table ``t`` on worker ``t % 2``, as ``deploy/nginx.conf`` routes
them (``hash`` of the table's code); ``socket`` spreads them, socket ``n`` on worker ``n % 2``,
as a proxy that balances connections would (each worker then renders every table). The floors
get the same split.

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

Beside the latencies, ``app_cpu_ms_per_table_round`` and ``floor_cpu_ms_per_table_round``: the
server processes' CPU time (``/proc``) over the measured rounds per table and round, the app's
less what its clocks and heartbeats use (its rate over 5 quiet seconds before the rounds): on a
noisy host, less noisy than a p99, and it shows what a change saves. ``..._gross``: the app's
without that deduction (a full garbage collection the app runs in the quiet window counts in
the rate deducted; the gross figure counts it once, as work). ``--timeline FILE``
writes each round's per-table first and last arrival (JSON lines): how a round's tables follow
one another on each worker.

Prints one JSON line. Every loop is bounded in count and time; only 127.0.0.1 is used.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
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
from collections.abc import Awaitable, Callable
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

    def __init__(self, pid: int, path: Path, rate: int, gil: bool = False) -> None:
        spy = py_spy() or "py-spy"
        self.path = path
        self.proc = subprocess.Popen(
            [spy, "record", "--pid", str(pid), "--rate", str(rate), "--format", "raw", "--threads"]
            + (["--gil"] if gil else [])
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


IDLE_SECONDS = 5.0


def cpu_seconds(servers: list[Any]) -> float:
    """User and system CPU time the server processes have used so far (``/proc``; Linux)."""
    total = 0
    for server in servers:
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{server.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / os.sysconf("SC_CLK_TCK")


def profile(servers: list[Any], directory: Path | None, label: str, rate: int, gil: bool = False) -> list[Profiler]:
    if directory is None:
        return []
    directory.mkdir(parents=True, exist_ok=True)
    return [Profiler(s.proc.pid, directory / f"{label}-worker{n}.txt", rate, gil) for n, s in enumerate(servers)]


def stop_profiles(profilers: list[Profiler]) -> list[str]:
    for p in profilers:
        p.stop()
    return [str(p.path) for p in profilers if p.path.exists()]


async def table_round(
    tokens: list[str],
    groups: list[list[harness.Client]],
    trigger,
    *,
    timeout: float,
    extra=None,
    timeline: list[list[float | None]] | None = None,
) -> tuple[list[float], int, list[float]]:
    """Every client of group ``t`` waits for ``tokens[t]``; time from ``trigger()``'s start.

    Returns (latencies in ms, how many missed it, the latencies of ``extra`` clients — the
    consoles — which wait for their own table's token too but are reported apart). ``timeline``,
    when given, gets each table's first and last player arrival (``--timeline``).
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
    if timeline is not None:  # per table: (first, last) arrival in ms, in the order the tables were sent
        timeline.extend(
            [
                round((min(arr) - t0) * 1000, 1) if arr else None,
                round((max(arr) - t0) * 1000, 1) if arr else None,
            ]
            for arr in (
                [c.arrived(token) for c in clients if c.arrived(token)]
                for token, clients in zip(tokens, groups, strict=True)
            )
        )
    return got, len(everyone) - len(got), side


def workshop_release_supported() -> bool:
    from exercises.views import workshop as views

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


class _WorkshopBench:
    """One run's sockets and figures: the app's players and consoles, the floors, the mix."""

    def __init__(
        self,
        args: argparse.Namespace,
        db: ThreadPoolExecutor,
        app: list[Any],
        bare: list[Any],
        raw_port: int,
        tables: list[harness.Table],
        record: dict[str, Any],
    ) -> None:
        self.args = args
        self.loop = asyncio.get_running_loop()
        self.db = db  # the benchmark's own reads (mix, storm)
        self.app, self.bare, self.raw_port = app, bare, raw_port
        self.workers = len(app)
        self.tables = tables
        self.seats = [seat for table in tables for seat in table.seats]
        self.record = record
        self.profiles: list[str] = []
        self.timeline: list[dict[str, Any]] = []
        self.all_clients: list[harness.Client] = []
        self.players: list[harness.Client] = []
        self.consoles: list[harness.Client] = []
        self.by_table: list[list[harness.Client]] = [[] for _ in tables]
        self.floor_groups: list[list[harness.Client]] = [[] for _ in tables]
        self.raw_groups: list[list[harness.Client]] = [[] for _ in tables]
        self.phases: dict[str, dict[str, Any]] = {}
        self.size = 4000  # the median player frame, which the floors copy
        self.actors: list[mix.Actor] = []
        self.mix_tasks: list[asyncio.Task[None]] = []
        self.stop_mix = asyncio.Event()
        self.elapsed = 0.0

    def worker_of(self, n: int, table: int) -> int:
        """The worker player socket ``n`` of table ``table`` goes to (``--split``)."""
        return (table if self.args.split == "table" else n) % self.workers

    async def connect(self, fac: str) -> None:
        """Every player and console connected, resumed from its table's last event."""
        app, record = self.app, self.record
        base_rss = sum(harness.rss_kb(s.proc.pid) for s in app)
        self.players = [
            harness.Client(
                f"{app[self.worker_of(n, seat.table)].ws}/ws/exercise/{seat.code}/",
                app[self.worker_of(n, seat.table)].origin,
                seat.cookie,
            )
            for n, seat in enumerate(self.seats)
        ]
        self.consoles = [
            harness.Client(
                f"{app[t % self.workers].ws}/ws/exercise/{table.code}/console/", app[t % self.workers].origin, fac
            )
            for t, table in enumerate(self.tables)
        ]
        self.all_clients += self.players + self.consoles
        for seat, client in zip(self.seats, self.players, strict=True):
            self.by_table[seat.table].append(client)
        last = await self.loop.run_in_executor(self.db, harness.last_seqs, [t.exercise_id for t in self.tables])
        t_connect = time.perf_counter()
        await harness.connect_all(self.players, resume=[last[s.exercise_id] for s in self.seats])
        await harness.connect_all(self.consoles, resume=[last[t.exercise_id] for t in self.tables])
        record["connect_s"] = round(time.perf_counter() - t_connect, 1)
        await asyncio.sleep(2)  # resumes answered, presence settled
        record["idle_kb_per_conn"] = round(
            (sum(harness.rss_kb(s.proc.pid) for s in app) - base_rss) / (len(self.players) + len(self.consoles)), 1
        )

    def app_phase(self, workshop: Any, fac: str) -> dict[str, Any]:
        """The app's phase: how a round's injects are released (per table, or once for the workshop)."""
        n_tables = len(self.tables)
        if self.args.release == "workshop":

            async def release_once(tokens: list[str]) -> None:
                # One act for every table: the titles cannot differ per table, so tokens[t] is the same.
                await self.loop.run_in_executor(None, post_workshop_release, self.app[0], workshop.code, fac, tokens[0])

            def same_tokens(tag: str) -> list[str]:
                return [f"wk{tag}z"] * n_tables

            release, app_tokens = release_once, same_tokens
        else:

            async def release_per_table(tokens: list[str]) -> None:
                for console, token in zip(self.consoles, tokens, strict=True):
                    await console.conn.send(_inject_frame(token))

            def table_tokens(tag: str) -> list[str]:
                return [f"wk{tag}t{t:03d}z" for t in range(n_tables)]

            release, app_tokens = release_per_table, table_tokens
        return {
            "lat": [],
            "missed": 0,
            "side": [],
            "groups": self.by_table,
            "extra": [[c] for c in self.consoles],
            "trigger": release,
            "tokens": app_tokens,
        }

    async def warm_up(self) -> None:
        """Two rounds not counted: templates and code paths, then the frame sizes the floors copy."""
        phase = self.phases["app"]
        for tag in ("warm", "warm2"):
            # The first round's frames carry every panel (nothing is on the screens yet); from the
            # second on, a frame carries what the inject changed: the floors copy those.
            for client in [*self.players, *self.consoles]:
                client.sizes.clear()
            tokens = phase["tokens"](tag)
            await table_round(
                tokens,
                self.by_table,
                lambda tk=tokens: phase["trigger"](tk),
                timeout=self.args.timeout * 3,
                extra=phase["extra"],
            )
        sizes = [s for p in self.players for s in p.sizes]
        self.size = int(statistics.median(sizes)) if sizes else 4000
        self.record["frame_bytes"] = self.size
        console_sizes = [s for c in self.consoles for s in c.sizes]
        if console_sizes:
            self.record["console_frame_bytes"] = int(statistics.median(console_sizes))

    async def add_floors(self) -> None:
        """The bare Channels app and the raw server: the same sockets in one group per table, warmed up."""
        raw_url, raw_origin = f"ws://127.0.0.1:{self.raw_port}", f"http://127.0.0.1:{self.raw_port}"
        floor_senders: list[harness.Client] = []
        raw_senders: list[harness.Client] = []
        for n, seat in enumerate(self.seats):
            server = self.bare[self.worker_of(n, seat.table)]
            self.floor_groups[seat.table].append(
                harness.Client(f"{server.ws}/ws/bare/t{seat.table}/", server.origin, None)
            )
            self.raw_groups[seat.table].append(harness.Client(f"{raw_url}/t{seat.table}/", raw_origin, None))
        for t in range(len(self.tables)):
            server = self.bare[t % self.workers]
            floor_senders.append(harness.Client(f"{server.ws}/ws/bare/t{t}/", server.origin, None))
            raw_senders.append(harness.Client(f"{raw_url}/t{t}/", raw_origin, None))
        floor_clients = [c for g in self.floor_groups for c in g]
        raw_clients = [c for g in self.raw_groups for c in g]
        self.all_clients += floor_clients + raw_clients + floor_senders + raw_senders
        await harness.connect_all([*floor_clients, *floor_senders], resume=None)
        await harness.connect_all([*raw_clients, *raw_senders], resume=None)
        n_tables = len(self.tables)
        for name, groups, senders in (
            ("floor", self.floor_groups, floor_senders),
            ("raw", self.raw_groups, raw_senders),
        ):
            self.phases[name] = {
                "lat": [],
                "missed": 0,
                "side": [],
                "groups": groups,
                "extra": None,
                "trigger": _sender_trigger(senders, self.size),
                "tokens": lambda tag, name=name: [f"{name}{tag}t{t:03d}z" for t in range(n_tables)],
            }
            warm = self.phases[name]["tokens"]("warm")
            await table_round(
                warm, groups, lambda w=warm, n=name: self.phases[n]["trigger"](w), timeout=self.args.timeout * 3
            )

    # ------------------------------------------------------------------ the command mix
    async def prepare_mix(self) -> None:
        """Every player an actor of the real mix; the chooser's view refreshed every 2 s."""
        from scenarios.library import latest, scenario_for

        args = self.args
        scenario = await self.loop.run_in_executor(self.db, lambda: scenario_for(latest(args.slug)))
        self.chooser = mix.Chooser(scenario, seed=args.seed)
        ids = [t.exercise_id for t in self.tables]
        await self.loop.run_in_executor(self.db, self.chooser.refresh, ids)
        self.actors = [mix.Actor(seat, client) for seat, client in zip(self.seats, self.players, strict=True)]
        for actor in self.actors:
            actor.attach()
        self.mix_tasks.append(self.loop.create_task(self._refresh(ids)))

    async def _refresh(self, ids: list[int]) -> None:
        while not self.stop_mix.is_set():
            await self.loop.run_in_executor(self.db, self.chooser.refresh, ids)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop_mix.wait(), timeout=2.0)

    async def _act(self, n: int, actor: mix.Actor) -> None:
        """One player: a command every ``--act-min``..``--act-max`` seconds, waiting for each answer."""
        args = self.args
        rng = random.Random(f"{args.seed}:{n}")
        wait = rng.uniform(0, args.act_max)
        while not self.stop_mix.is_set():
            try:
                await asyncio.wait_for(self.stop_mix.wait(), timeout=wait)
                return
            except TimeoutError:
                pass
            command = self.chooser.choose(actor.seat, rng, actor.unacked, actor.client.last)
            await actor.send(command)
            deadline = time.perf_counter() + args.timeout
            while actor.pending is not None and time.perf_counter() < deadline:
                await asyncio.sleep(0.01)
            actor.expire(args.timeout)
            wait = rng.uniform(args.act_min, args.act_max)

    # ------------------------------------------------------------------ measured rounds
    async def measured_rounds(self) -> None:
        args = self.args
        profilers = profile(self.app, args.profile, "rounds", args.profile_rate, args.profile_gil)
        gc.collect()
        gc.freeze()
        gc.disable()  # the client's own collector must not pause the stopwatch (bounded run)
        # What the app's workers use with no round going (clocks, heartbeats), to take it out below.
        idle_from, idle_cpu = time.perf_counter(), cpu_seconds(self.app)
        await asyncio.sleep(IDLE_SECONDS)
        cpu = {"app": cpu_seconds(self.app), "floor": cpu_seconds(self.bare)}
        idle_rate = (cpu["app"] - idle_cpu) / (time.perf_counter() - idle_from)
        start = time.perf_counter()
        if args.mix:
            self.mix_tasks += [self.loop.create_task(self._act(n, a)) for n, a in enumerate(self.actors)]
        interval = args.mix_seconds / args.rounds if args.mix else 0.0
        deadline = time.monotonic() + args.budget
        for r in range(args.rounds):
            if time.monotonic() > deadline:
                self.record["stopped_early_after_rounds"] = r
                break
            if interval:
                await asyncio.sleep(max(0.0, start + r * interval - time.perf_counter()))
            await self._one_round(r)
        if args.mix:
            await asyncio.sleep(max(0.0, start + args.mix_seconds - time.perf_counter()))
            self.stop_mix.set()
            await asyncio.wait_for(asyncio.gather(*self.mix_tasks, return_exceptions=True), timeout=args.timeout + 10)
        self.elapsed = time.perf_counter() - start
        # The workers' CPU per table and round over the measured rounds, less noisy than a p99;
        # the app's without what its clocks and heartbeats used at the idle rate measured before.
        injects = max(1, len(self.tables) * args.rounds)
        for name, servers in (("app", self.app), ("floor", self.bare)):
            if servers:
                used = cpu_seconds(servers) - cpu[name]
                if name == "app":
                    self.record["app_idle_cpu_per_s"] = round(idle_rate, 3)
                    # Gross too: a full garbage collection that falls in the quiet window (the
                    # app's collector runs them at quiet moments, part 12) inflates the idle rate.
                    self.record["app_cpu_ms_per_table_round_gross"] = round(used * 1000 / injects, 2)
                    used -= idle_rate * self.elapsed
                self.record[f"{name}_cpu_ms_per_table_round"] = round(used * 1000 / injects, 2)
        gc.enable()
        self.profiles += stop_profiles(profilers)

    async def _one_round(self, r: int) -> None:
        """Round ``r`` of every phase, back to back (app, then the floors)."""
        for name, phase in self.phases.items():
            tokens = phase["tokens"](f"{r:03d}")
            tables: list[list[float | None]] | None = [] if self.args.timeline else None
            got, lost, side = await table_round(
                tokens,
                phase["groups"],
                lambda tk=tokens, tr=phase["trigger"]: tr(tk),
                timeout=self.args.timeout,
                extra=phase["extra"],
                timeline=tables,
            )
            if tables is not None:
                self.timeline.append({"round": r, "phase": name, "tables": tables})
            phase["lat"].extend(got)
            phase["missed"] += lost
            phase["side"].extend(side)
            if self.args.verbose:
                print(name, r, harness.percentiles(got), lost, file=sys.stderr, flush=True)
            await asyncio.sleep(self.args.gap)

    def report_rounds(self) -> None:
        record, phases = self.record, self.phases
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
        if self.args.mix:
            outcomes = [o for a in self.actors for o in a.outcomes]
            record["mix"] = {"seconds": round(self.elapsed, 1), **mix.summarise(outcomes, self.elapsed)}
            for actor in self.actors:
                actor.client.on_frame = None

    # ------------------------------------------------------------------ reconnect storm
    async def storms(self, seqs_in: Any) -> None:
        args = self.args
        results = []
        for k in range(args.storms):
            await asyncio.sleep(3)  # let the last round's writes and ticks settle
            profilers = profile(self.app, args.profile, f"storm{k}", args.profile_rate, args.profile_gil)
            results.append(
                await storm(
                    args,
                    self.loop,
                    self.db,
                    self.seats,
                    self.players,
                    self.consoles,
                    self.tables,
                    self.floor_groups,
                    self.raw_groups,
                    self.size,
                    seqs_in,
                )
            )
            self.profiles += stop_profiles(profilers)
        self.record["storm"] = results[0] if len(results) == 1 else results


def _inject_frame(title: str) -> str:
    data = {"type": "adhoc_inject", "title": title, "text": f"Benchmark inject {title}."}
    return json.dumps({**data, "recipients": ["all"], "public": True})


def _sender_trigger(senders: list[harness.Client], size: int) -> Callable[[list[str]], Awaitable[None]]:
    """A floor's round: each table's sender broadcasts its token in a fragment of ``size`` bytes."""

    async def trigger(tokens: list[str]) -> None:
        for sender, token in zip(senders, tokens, strict=True):
            await sender.conn.send(f"go {token} {size}")

    return trigger


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
    record: dict[str, Any] = {
        "bench": "workshop",
        "slug": args.slug,
        "tables": len(tables),
        "roles_per_table": len(tables[0].seats),
        "players": sum(len(t.seats) for t in tables),
        "consoles": len(tables),
        "layer": args.layer,
        "server": args.server,
        "workers": workers,
        "split": args.split,
        "rounds": args.rounds,
        "release": args.release,
        "load_start": harness.load(),
    }
    bench = _WorkshopBench(args, db, app, bare, raw_port, tables, record)
    try:
        await bench.connect(fac)
        bench.phases["app"] = bench.app_phase(workshop, fac)
        await bench.warm_up()
        if not args.no_floor:
            await bench.add_floors()
        if args.mix:
            await bench.prepare_mix()
        await bench.measured_rounds()
        bench.report_rounds()
        if args.storm:
            await bench.storms(seqs_in)
        record["load_end"] = harness.load()
        if bench.profiles:
            record["profiles"] = bench.profiles
        if args.timeline:
            args.timeline.write_text("".join(json.dumps(line) + "\n" for line in bench.timeline))
            record["timeline"] = str(args.timeline)
    finally:
        await harness.close_all(bench.all_clients)
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
            out.update(await _floor_storm(args, name, [c for g in groups for c in g], size))
        if out.get("p99_ms") and out.get("floor_p99_ms"):
            out["p99_vs_floor"] = round(out["p99_ms"] / out["floor_p99_ms"], 2)
    return out


async def _floor_storm(args: argparse.Namespace, name: str, clients: list[harness.Client], size: int) -> dict[str, Any]:
    """A floor's sockets drop and reconnect at once, each timed to a hello frame of ``size`` bytes."""
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
    return {f"{name}_p99_ms": harness.percentiles(got)["p99_ms"], f"{name}_missing": len(clients) - len(got)}


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
    parser.add_argument(
        "--split",
        choices=["table", "socket"],
        default="table",
        help="with several workers: a table's sockets on one worker (as deploy/nginx.conf routes) or spread",
    )
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
    parser.add_argument(
        "--profile-gil",
        action="store_true",
        help="sample only the thread holding the interpreter's lock: where the worker's Python time goes",
    )
    parser.add_argument(
        "--timeline", type=Path, help="write each round's per-table first and last arrival (JSON lines) here"
    )
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
                "(exercises.views.workshop.WORKSHOP_COMMANDS: start, pause, resume, advance_phase)",
            }
        )
        sys.exit(2)
    workshop, tables, fac = harness.workshop_tables(args.tables, slug=args.slug, phase=args.phase)
    harness.use_uvloop()
    harness.emit(asyncio.run(run(args, env, workshop, tables, fac)))


if __name__ == "__main__":
    main()
