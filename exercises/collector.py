"""Full garbage collections at a worker's quiet moments, not in the middle of an inject round.

CPython collects its oldest generation by itself when enough objects have survived the young
collections. On a workshop's worker that collection walks 50–80 thousand objects (the sockets'
tasks, the snapshots and content keys the screens keep) and holds the interpreter for 25–235 ms
on the project's 2-core host (issue #11, part 12). Every thread waits: whichever inject round
is in flight then reaches its last screens that much later. The bare Channels floor, with its
small heap, has no such pause.

While a worker's hub runs, its ``Collector`` (one task on the worker's loop) takes the oldest
generation over: CPython's automatic full collections are off (``gc.set_threshold(t0, t1, OFF)``;
the young generations stay automatic), and the collector runs ``gc.collect()`` when one is due
(``due``): at least as many young collections since the last full one as CPython's own threshold
asks, and the worker quiet for ``Policy.quiet`` seconds (no batch in its hub's inbox or outbox,
none being dispatched, and no command, render or catch-up on its threads: ``working``). A worker
that is never quiet still collects every ``Policy.max_delay`` seconds, so memory stays bounded;
when the last collector stops (its loop closed), CPython's thresholds are back. ``CT_QUIET_GC=0``
leaves CPython's collector as it is (docs/deploy.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

OFF = 1 << 30  # the oldest generation's threshold while a collector runs: never reached by itself


@dataclass(frozen=True)
class Policy:
    quiet: float = 0.25  # seconds with nothing in flight before a full collection may start
    spacing: float = 10.0  # at quiet moments, at most one full collection this often
    max_delay: float = 30.0  # a due collection waits no longer than this for a quiet moment
    young: int = 10  # young collections since the last full one (CPython's default threshold)
    poll: float = 0.1  # how often the collector looks


def due(policy: Policy, *, now: float, last_full: float, quiet_since: float | None, young: int) -> bool:
    """Whether a full collection should run now. ``quiet_since``: when the worker last had nothing
    in flight, None while it has; ``young``: ``gc.get_count()[2]``."""
    if young < policy.young:
        return False
    if now - last_full >= policy.max_delay:
        return True
    return quiet_since is not None and now - quiet_since >= policy.quiet and now - last_full >= policy.spacing


_working = 0
_worked_at = time.monotonic()


@contextlib.contextmanager
def working() -> Iterator[None]:
    """Around work in flight: a call on the worker's threads (``push.on_pool``: commands, renders,
    catch-ups), a batch the hub sends or dispatches. The worker is not quiet while any runs. On
    the event loop's thread only."""
    global _working, _worked_at
    _working += 1
    try:
        yield
    finally:
        _working -= 1
        _worked_at = time.monotonic()


def worked_at() -> float | None:
    """When the last such call ended; None while one runs."""
    return None if _working else _worked_at


_running: set[Collector] = set()
_saved: tuple[int, ...] = ()
stats = {"quiet": 0, "forced": 0}  # full collections run by collectors (tests and benchmarks)


def _take_over(collector: Collector) -> None:
    global _saved
    if not _running:
        _saved = gc.get_threshold()
        gc.set_threshold(_saved[0], _saved[1], OFF)
    _running.add(collector)


def _give_back(collector: Collector) -> None:
    if collector not in _running:
        return
    _running.discard(collector)
    if not _running and _saved:
        gc.set_threshold(*_saved)


class Collector:
    """The oldest generation's collections for one hub: ``start`` on the hub's loop, ``stop``
    (or the task's end) gives them back to CPython."""

    def __init__(self, quiet_since: Callable[[], float | None], policy: Policy | None = None) -> None:
        self.quiet_since = quiet_since
        self.policy = policy or Policy()
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        _take_over(self)
        self.task = asyncio.get_running_loop().create_task(self._run())

    def stop(self) -> None:
        """Sync, from any thread (a hub whose loop closed): CPython collects by itself again."""
        _give_back(self)

    async def _run(self) -> None:
        policy = self.policy
        last_full = time.monotonic()
        try:
            while True:
                await asyncio.sleep(policy.poll)
                now = time.monotonic()
                quiet = self.quiet_since()
                if due(policy, now=now, last_full=last_full, quiet_since=quiet, young=gc.get_count()[2]):
                    forced = quiet is None or now - quiet < policy.quiet
                    gc.collect()
                    stats["forced" if forced else "quiet"] += 1
                    last_full = time.monotonic()
        finally:
            self.stop()
