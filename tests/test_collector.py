"""Full garbage collections at a worker's quiet moments (``exercises.collector``, issue #11 part 12).

A full collection holds the interpreter for tens of milliseconds on a workshop's worker; the
collector keeps CPython from starting one by itself while a hub runs and runs it when the hub
has been quiet, or when it has waited ``max_delay`` for a quiet moment.
"""

from __future__ import annotations

import asyncio
import gc
import time

import pytest

from exercises import collector, fanout
from exercises.collector import Policy, due


def test_due_waits_for_enough_young_collections_and_a_quiet_hub() -> None:
    """Mutation: ``due`` ignoring ``quiet_since`` (collecting while a batch is dispatched) turns
    the second assertion red; ignoring ``young`` the first."""
    p = Policy(quiet=0.25, spacing=10, max_delay=30, young=10)
    assert not due(p, now=100, last_full=0, quiet_since=50, young=9)
    assert not due(p, now=100, last_full=80, quiet_since=None, young=50)  # busy, not yet 30 s
    assert not due(p, now=100, last_full=80, quiet_since=99.9, young=50)  # quiet for 0.1 s only
    assert not due(p, now=100, last_full=95, quiet_since=90, young=50)  # one 5 s ago: spacing
    assert due(p, now=100, last_full=80, quiet_since=99.5, young=10)


def test_a_worker_that_is_never_quiet_still_collects_after_max_delay() -> None:
    """Memory stays bounded. Mutation: dropping the ``max_delay`` clause turns this red."""
    p = Policy(quiet=0.25, spacing=10, max_delay=30, young=10)
    assert due(p, now=100, last_full=70, quiet_since=None, young=10)


def _full_collections() -> tuple[list[int], object]:
    seen: list[int] = []

    def spy(phase: str, info: dict) -> None:
        if phase == "start" and info["generation"] == 2:
            seen.append(2)

    gc.callbacks.append(spy)
    return seen, spy


def test_it_takes_the_oldest_generation_over_collects_when_quiet_and_gives_it_back() -> None:
    """While a collector runs, CPython does not start a full collection by itself; the collector
    runs one once the hub is quiet, none while it is busy, and CPython's threshold is back after
    it stops. Mutations: not restoring the threshold in ``_give_back`` turns the last assertion
    red; collecting while busy the ``busy`` one."""
    before = gc.get_threshold()
    state: dict[str, float | None] = {"quiet": None}
    seen, spy = _full_collections()

    async def run() -> tuple[int, int, tuple[int, ...]]:
        c = collector.Collector(lambda: state["quiet"], Policy(quiet=0.05, spacing=0, max_delay=60, poll=0.01))
        c.start()
        during = gc.get_threshold()
        for _ in range(12):  # the young collections that make a full one due
            gc.collect(1)
        seen.clear()
        await asyncio.sleep(0.2)  # busy: nothing
        busy = len(seen)
        state["quiet"] = time.monotonic()
        counted = collector.stats["quiet"]
        await asyncio.sleep(0.3)
        quiet = len(seen)
        assert collector.stats["quiet"] == counted + 1
        assert c.task is not None
        c.task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await c.task
        return busy, quiet, during

    try:
        busy, quiet, during = asyncio.run(run())
    finally:
        gc.callbacks.remove(spy)
    assert during == (before[0], before[1], collector.OFF)
    assert busy == 0
    assert quiet == 1
    assert gc.get_threshold() == before


def test_a_hub_is_busy_while_it_dispatches_and_quiet_after(settings) -> None:
    """Mutation: ``_dispatch_inbox`` dispatching outside ``collector.working()`` turns the first
    assertion red."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    seen: list[float | None] = []
    before = gc.get_threshold()

    async def run() -> tuple[float | None, bool]:
        hub = fanout.get_hub()
        release = asyncio.Event()

        async def renderer(exercise_id, events, keys, code, ready=None):
            seen.append(hub.quiet_since())
            await release.wait()
            return ["frame" for _ in keys]

        class _Socket:
            exercise_id = 3
            render_key = ("public", "en")

            async def deliver(self, events, frame) -> None:
                pass

            async def signal(self, kind, data) -> None:
                pass

        hub.renderer = renderer
        await hub.register(_Socket())
        assert hub.collector is not None and gc.get_threshold()[2] == collector.OFF
        hub.inbox.put_nowait({"type": "ct.events", "exercise": 3, "code": "", "events": [_event(1)]})
        while not seen:
            await asyncio.sleep(0.01)
        release.set()
        await asyncio.sleep(0.05)
        after = hub.quiet_since()
        for task in (hub.listener, hub.dispatcher, hub.sender, hub.collector.task):
            if task is not None:
                task.cancel()
        await asyncio.sleep(0)
        return after, hub.collector.task is not None

    after, started = asyncio.run(run())
    assert seen == [None]
    assert after is not None
    assert started
    assert gc.get_threshold() == before


def _event(seq: int) -> dict:
    from exercises import engine
    from exercises.engine.events import EventType

    return engine.Event(
        seq=seq, type=EventType.NOTE_ADDED, actor="facilitator", payload={"text": "x"}, game_time=0
    ).as_dict()


def test_it_can_be_turned_off(settings) -> None:
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.CRISIS_TABLE = {**settings.CRISIS_TABLE, "QUIET_GC": False}

    async def run() -> object:
        hub = fanout.get_hub()
        await hub._ensure_listener()
        for task in (hub.listener, hub.dispatcher, hub.sender):
            if task is not None:
                task.cancel()
        return hub.collector

    assert asyncio.run(run()) is None


def test_a_command_or_render_on_the_worker_s_threads_keeps_the_hub_from_being_quiet() -> None:
    """A reconnect storm's catch-ups and a round's commands run on the pools before any batch
    reaches the hub. Mutation: ``push.on_pool`` without ``collector.working()`` turns the first
    assertion red."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from exercises import push

    started, release = threading.Event(), threading.Event()

    def slow() -> str:
        started.set()
        release.wait(5)
        return "done"

    async def run() -> tuple[float | None, float | None, str]:
        hub = fanout.Hub()
        with ThreadPoolExecutor(1) as pool:
            call = asyncio.ensure_future(push.on_pool(slow, pool)())
            while not started.is_set():
                await asyncio.sleep(0.01)
            during = hub.quiet_since()
            release.set()
            result = await call
        return during, hub.quiet_since(), result

    during, after, result = asyncio.run(run())
    assert during is None
    assert after is not None and result == "done"
