"""Command throughput and latency: public chat, or the real mix of every command type.

    .venv/bin/python benchmarks/commands.py --layer memory|redis [--rate 100] [--seconds 10] [--server uvicorn]
    .venv/bin/python benchmarks/commands.py --mix [--tables 12] [--rate 100 | --rate 0 --concurrency 11]

Default (public chat): every playable role is held by one connected player (september-2001: 11),
plus ``--watchers`` role-less players who only watch. Open loop: together the role players send ``--rate``
``send_message`` commands a second, spread evenly, for ``--seconds``; ``--rate 0`` is a closed
loop (each player sends its next command as soon as its previous one came back) to find the
ceiling. A command's latency is from the frame leaving the client to the pushed frame carrying
that message arriving back on the sender's own socket: parse, rate limit, row lock, engine,
commit, fan-out, render, write. Prints one JSON line. The rate limiter is raised for the run
(``CT_RATE_LIMIT_PER_10S``): it would otherwise refuse a player's 4th command a second.

``--mix``: ``--tables`` tables of one workshop (every playable role seated, started, in their
second phase, ``harness.workshop_tables``), every player connected and resumed from the start (so
their feed shows the injects waiting for an acknowledgement: ``--injects`` released per table
beforehand). Commands are drawn from the real mix (``benchmarks/mix.py``): messages on the
player's own channels (private and press), proposals of actions their role has now, answers to
approvals addressed to them, decide and withdraw of their own pending proposals, acknowledgements.
Each is timed from the frame leaving the client to the frame on the sender's own socket that
shows its effect; a rule's refusal (a toast) is a legitimate answer, timed and counted apart.
A player has at most one command out. Open loop at ``--rate`` a second (spread over the players
who have none out), or closed loop (``--rate 0``) with ``--concurrency`` commands out at once.
Prints one JSON line with throughput and percentiles overall and per command type.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import harness, mix  # noqa: E402


async def run(
    args: argparse.Namespace, env: dict[str, str], exercise, cookies: list[str], _facilitator: str, roles: int
) -> dict:
    workers = 1 if args.layer == "memory" else 2
    servers = harness.start_servers(env, workers, kind=args.server)
    record: dict = {
        "bench": "commands",
        "layer": args.layer,
        "server": args.server,
        "workers": workers,
        "players": roles,
    }
    record.update({"watchers": len(cookies) - roles, "offered_per_s": args.rate or "closed-loop"})
    clients = [
        harness.Client(f"{servers[n % workers].ws}/ws/exercise/{exercise.code}/", servers[n % workers].origin, cookie)
        for n, cookie in enumerate(cookies)
    ]
    try:
        await harness.connect_all(clients, resume=exercise.last_seq)
        await asyncio.sleep(1)
        senders = clients[:roles]
        latencies: list[float] = []
        lost = 0
        sent = 0

        async def one(client: harness.Client, token: str) -> None:
            nonlocal lost
            client.expect(token)
            t0 = time.perf_counter()
            await client.conn.send(json.dumps({"type": "send_message", "channel": "press", "text": token}))
            deadline = t0 + args.timeout
            while not client.arrived(token) and time.perf_counter() < deadline:
                await asyncio.sleep(0.002)
            if client.arrived(token):
                latencies.append((client.arrived(token) - t0) * 1000)
            else:
                lost += 1

        await one(senders[0], "warm-up")
        latencies.clear()
        gc.collect()
        gc.freeze()
        gc.disable()  # the client's collector must not pause the stopwatch (bounded run, bounded memory)
        start = time.perf_counter()
        end = start + args.seconds
        if args.rate:
            pending = []
            interval = 1.0 / args.rate
            n = 0
            while time.perf_counter() < end and n < args.rate * args.seconds:
                pending.append(asyncio.ensure_future(one(senders[n % roles], f"cmd-{n:06d}")))
                n += 1
                await asyncio.sleep(max(0.0, start + n * interval - time.perf_counter()))
            await asyncio.gather(*pending)
            sent = n
        else:

            async def loop(k: int, client: harness.Client) -> int:
                count = 0
                while time.perf_counter() < end:
                    await one(client, f"cmd-{k:02d}-{count:06d}")
                    count += 1
                return count

            sent = sum(await asyncio.gather(*(loop(k, c) for k, c in enumerate(senders))))
        elapsed = time.perf_counter() - start
        gc.enable()
        record.update(harness.percentiles(latencies))
        record.update({"commands": sent, "lost": lost, "achieved_per_s": round(len(latencies) / elapsed, 1)})
        await harness.close_all(clients)
    finally:
        harness.stop_servers(servers)
    return record


async def run_mix(args: argparse.Namespace, env: dict[str, str], tables: list[harness.Table], scenario) -> dict:
    workers = 1 if args.layer == "memory" else 2
    loop = asyncio.get_running_loop()
    db = ThreadPoolExecutor(1, thread_name_prefix="bench-db")
    servers = harness.start_servers(env, workers, kind=args.server)
    seats = [seat for table in tables for seat in table.seats]
    record: dict = {
        "bench": "commands",
        "mix": True,
        "layer": args.layer,
        "server": args.server,
        "workers": workers,
        "tables": len(tables),
        "players": len(seats),
        "offered_per_s": args.rate or "closed-loop",
        "load_start": harness.load(),
    }
    if not args.rate:
        record["concurrency"] = args.concurrency
    clients = [
        harness.Client(f"{servers[n % workers].ws}/ws/exercise/{seat.code}/", servers[n % workers].origin, seat.cookie)
        for n, seat in enumerate(seats)
    ]
    actors = [mix.Actor(seat, client) for seat, client in zip(seats, clients, strict=True)]
    for actor in actors:
        actor.attach()
    chooser = mix.Chooser(scenario, seed=args.seed)
    ids = [t.exercise_id for t in tables]
    stop = asyncio.Event()
    try:
        # Resumed from the start, as a page load shows the whole feed (the acknowledge buttons too).
        await harness.connect_all(clients, resume=0)
        await asyncio.sleep(2)
        await loop.run_in_executor(db, chooser.refresh, ids)
        refreshing = loop.create_task(_keep_refreshing(chooser, ids, db, stop))
        driver = _MixDriver(args, actors, chooser)
        await driver.warm_up()
        gc.collect()
        gc.freeze()
        gc.disable()  # the client's collector must not pause the stopwatch (bounded run, bounded memory)
        start = time.perf_counter()
        end = start + args.seconds
        deferred = 0
        if args.rate:
            deferred = await driver.open_loop(start, end)
        else:
            await driver.closed_loop(end)
        await driver.drain()
        elapsed = time.perf_counter() - start
        gc.enable()
        stop.set()
        await refreshing
        record.update(mix.summarise([o for a in actors for o in a.outcomes], elapsed))
        if deferred:
            record["all_players_busy_ms"] = deferred  # the offered rate could not be kept up
        record["load_end"] = harness.load()
    finally:
        stop.set()
        await harness.close_all(clients)
        harness.stop_servers(servers)
        db.shutdown(wait=False)
    return record


async def _keep_refreshing(chooser: mix.Chooser, ids: list[int], db: ThreadPoolExecutor, stop: asyncio.Event) -> None:
    """The chooser's view of the tables, refreshed every half second until ``stop``."""
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        await loop.run_in_executor(db, chooser.refresh, ids)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=0.5)


class _MixDriver:
    """Who sends next and what: the mix's players, the chooser and one random stream."""

    def __init__(self, args: argparse.Namespace, actors: list[mix.Actor], chooser: mix.Chooser) -> None:
        self.args = args
        self.actors = actors
        self.chooser = chooser
        self.rng = random.Random(args.seed)

    def free_actor(self) -> mix.Actor | None:
        """A random player with no command out, or None when every one has one."""
        for _ in range(len(self.actors)):
            actor = self.rng.choice(self.actors)
            actor.expire(self.args.timeout)
            if actor.pending is None:
                return actor
        return next((a for a in self.actors if a.pending is None), None)

    async def fire(self, actor: mix.Actor) -> None:
        await actor.send(self.chooser.choose(actor.seat, self.rng, actor.unacked, actor.client.last))

    async def warm_up(self) -> None:
        """Not counted: one command of each player's first kind, templates and code paths."""
        for actor in self.actors[:: max(1, len(self.actors) // 11)]:
            await self.fire(actor)
        await asyncio.sleep(3)
        for actor in self.actors:
            actor.expire(0)
            actor.outcomes.clear()

    async def open_loop(self, start: float, end: float) -> int:
        """``--rate`` commands a second, spread evenly; returns the ms spent with every player busy."""
        rate = self.args.rate
        interval = 1.0 / rate
        deferred = 0
        n = 0
        while time.perf_counter() < end and n < rate * self.args.seconds:
            actor = self.free_actor()
            if actor is None:  # every player has a command out: the server is behind (counted in ms)
                deferred += 1
                await asyncio.sleep(0.001)
                continue
            await self.fire(actor)
            n += 1
            await asyncio.sleep(max(0.0, start + n * interval - time.perf_counter()))
        return deferred

    async def closed_loop(self, end: float) -> None:
        """``--concurrency`` commands out at once, each followed by the next as soon as it is answered."""
        timeout = self.args.timeout

        async def loop_one() -> None:
            while time.perf_counter() < end:
                actor = self.free_actor()
                if actor is None:
                    await asyncio.sleep(0.001)
                    continue
                await self.fire(actor)
                while actor.pending is not None and time.perf_counter() - actor.pending[1] < timeout:
                    await asyncio.sleep(0.002)
                actor.expire(timeout)

        await asyncio.gather(*(loop_one() for _ in range(self.args.concurrency)))

    async def drain(self) -> None:
        """Wait (up to ``--timeout``) for the commands still out, then count the rest as lost."""
        deadline = time.perf_counter() + self.args.timeout
        while any(a.pending is not None for a in self.actors) and time.perf_counter() < deadline:
            await asyncio.sleep(0.01)
        for actor in self.actors:
            actor.expire(0)


def release_injects(tables: list[harness.Table], count: int) -> None:
    """Injects for the players to acknowledge (the facilitator releases them before the run)."""
    from exercises import engine, services
    from exercises.engine import commands as c

    for table in tables:
        for k in range(count):
            command = c.AdhocInject(title=f"Setup inject {k}", text="To acknowledge.", recipients=["all"], public=True)
            services.execute(exercise_id=table.exercise_id, actor=engine.FACILITATOR, command=command)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--layer", choices=["memory", "redis"], default="memory")
    parser.add_argument("--server", choices=["uvicorn", "daphne"], default="uvicorn")
    parser.add_argument("--rate", type=float, default=100.0, help="commands a second in all; 0 = closed loop")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--watchers", type=int, default=20, help="role-less players who only receive")
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--mix", action="store_true", help="every command type, as players mix them")
    parser.add_argument("--tables", type=int, default=12, help="--mix: tables of 11 players")
    parser.add_argument("--injects", type=int, default=6, help="--mix: injects to acknowledge per table")
    parser.add_argument("--concurrency", type=int, default=11, help="--mix --rate 0: commands out at once")
    parser.add_argument("--slug", default="september-2001")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    env = harness.setup(args.layer)
    from scenarios.library import latest, scenario_for, sync_library

    sync_library()
    if args.mix:
        _workshop, tables, _fac = harness.workshop_tables(args.tables, slug=args.slug)
        release_injects(tables, args.injects)
        scenario = scenario_for(latest(args.slug))
        harness.use_uvloop()
        harness.emit(asyncio.run(run_mix(args, env, tables, scenario)))
        return
    roles = len(harness.playable_roles(scenario_for(latest("september-2001"))))
    table = harness.exercise_with_players(roles + args.watchers)
    harness.use_uvloop()
    harness.emit(asyncio.run(run(args, env, *table, roles)))


if __name__ == "__main__":
    main()
