"""The hub renders a batch's audiences in one call and writes each frame to its own sockets."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Any

from exercises import engine, fanout
from exercises.engine.events import EventType


class _Socket:
    def __init__(self, exercise_id: int, key: tuple[str, str]) -> None:
        self.exercise_id = exercise_id
        self.render_key = key
        self.frames: list[str] = []

    async def deliver(self, events: list[engine.Event], frame: str) -> None:
        self.frames.append(frame)

    async def signal(self, kind: str, data: dict[str, Any]) -> None:  # pragma: no cover - unused here
        pass


def _event(seq: int) -> engine.Event:
    return engine.Event(seq=seq, type=EventType.NOTE_ADDED, actor="facilitator", payload={"text": "x"}, game_time=0)


def test_one_render_call_per_batch_and_a_failed_audience_costs_only_its_own_sockets():
    """Mutations: rendering per audience (two calls) or delivering a failed render's exception
    as a frame turn this red; the largest audience is asked for first."""
    calls: list[list[tuple[str, str]]] = []

    async def renderer(exercise_id, events, keys, code, ready=None):
        calls.append(list(keys))
        return [RuntimeError("boom") if key[0] == "role:a" else f"frame {key[0]}" for key in keys]

    async def run() -> tuple[list[_Socket], list[_Socket]]:
        hub = fanout.Hub()
        hub.renderer = renderer
        crowd = [_Socket(1, ("public", "en")) for _ in range(3)]
        broken = [_Socket(1, ("role:a", "en"))]
        for s in crowd + broken:
            hub.sockets[1].add(s)
        await hub.dispatch(1, [_event(1)])
        return crowd, broken

    crowd, broken = asyncio.run(run())
    assert calls == [[("public", "en"), ("role:a", "en")]]
    assert all(s.frames == ["frame public"] for s in crowd)
    assert broken[0].frames == []


def test_a_command_thread_hands_its_batches_to_the_hub_and_they_go_out_in_order(settings):
    """In a worker, ``publish`` from a command's thread queues the batch on the hub's outbox
    instead of waiting for the loop and the layer (``fanout._hand_to_hub``); the hub sends them
    in the order they were published. Mutation: ``_hand_to_hub`` returning False at once (the old
    blocking ``async_to_sync``) turns this red."""
    from channels.layers import get_channel_layer

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

    async def run() -> tuple[list[bool], list[int]]:
        hub = fanout.get_hub()
        await hub._ensure_listener()
        layer = get_channel_layer()
        listener = await layer.new_channel("test.")
        await layer.group_add(fanout.group_name(7), listener)
        original = fanout._hand_to_hub
        handed: list[bool] = []

        def spy(group, message):
            handed.append(original(group, message))
            return handed[-1]

        fanout._hand_to_hub = spy
        try:

            def publish_all() -> None:
                for seq in range(1, 21):
                    fanout.publish(7, [_event(seq)], code="c")

            await asyncio.to_thread(publish_all)
            got = [(await layer.receive(listener))["events"][0]["seq"] for _ in range(20)]
        finally:
            fanout._hand_to_hub = original
            hub.listener.cancel()
            hub.dispatcher.cancel()
            hub.sender.cancel()
        return handed, got

    handed, got = asyncio.run(run())
    assert handed == [True] * 20
    assert got == list(range(1, 21))


def test_batches_that_met_out_of_order_are_not_merged_across_a_gap():
    """Batches 1 and 3 in the inbox while 2 is still on its way must go out as two batches: merged,
    a socket would take 1 and 3 and then skip 2 as old (seen on two workers: a message missing
    from a player's screen whose sequence marker had passed it). Mutation: dispatching the merged
    events whole turns this red."""
    calls: list[list[int]] = []

    async def renderer(exercise_id, events, keys, code, ready=None):
        calls.append([e.seq for e in events])
        return ["frame" for _ in keys]

    async def run() -> None:
        hub = fanout.Hub()
        hub.renderer = renderer
        hub.sockets[1].add(_Socket(1, ("public", "en")))
        await hub._dispatch_logged(1, [_event(1), _event(3), _event(4)], "c")

    asyncio.run(run())
    assert calls == [[1], [3, 4]]
    assert [[e.seq for e in run] for run in fanout.contiguous_runs([_event(5), _event(6)])] == [[5, 6]]


def _acted(seq: int, role: str, actor: str) -> engine.Event:
    return engine.Event(seq=seq, type=EventType.MESSAGE_SENT, role=role, actor=actor, payload={}, game_time=0)


def test_the_acting_player_s_audience_is_rendered_first():
    """A player's command reaches their own screen after one render, not after their table's
    fourteen (issue #11, part 9): the acting role's audience comes first, then the largest. A
    facilitator's act puts no one first. Mutation: sorting by audience size alone (the part 8
    order) turns this red."""
    by_key = {
        ("public", "en"): [object(), object()],
        ("facilitator", "en"): [object()],
        ("role:president", "en"): [object()],
        ("role:defense", "en"): [object()],
    }

    def order(events: list[engine.Event]) -> list[tuple[str, str]]:
        return fanout.audience_order(by_key, fanout.acting_player(events))

    played = order([_acted(4, "defense", "p:7")])
    assert played[0] == ("role:defense", "en") and played[1] == ("public", "en")
    assert order([_acted(4, "", "facilitator")])[0] == ("public", "en")
    assert order([_acted(4, "defense", "bot:defense")])[0] == ("public", "en")


def test_a_player_s_sockets_are_written_to_as_soon_as_their_frame_is_ready():
    """For a player's own command the hub writes a frame the renderer hands over while it is still
    rendering the others, and still returns only after every write (a table's next batch waits for
    them); a facilitator's inject is not streamed (measured: it raised the release's p99).
    Mutations: ignoring ``ready`` (writing after the whole batch is rendered, the part 8 hub) turns
    the first assertion red; returning before the writes finish turns the second red; streaming
    every batch turns the last red."""
    first_written = asyncio.Event()
    seen_while_rendering: list[list[str]] = []
    streamed: list[bool] = []

    class _Slow(_Socket):
        async def deliver(self, events, frame):
            await asyncio.sleep(0.01)
            self.frames.append(frame)

    async def renderer(exercise_id, events, keys, code, ready=None):
        frames = [f"frame {key[0]}" for key in keys]
        streamed.append(ready is not None)
        if ready is None:
            return frames
        ready(0, frames[0])
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(first_written.wait(), 2)
        seen_while_rendering.append(list(actor.frames))
        return frames

    actor = _Socket(1, ("role:defense", "en"))
    original = actor.deliver

    async def deliver(events, frame):
        await original(events, frame)
        first_written.set()

    actor.deliver = deliver  # type: ignore[method-assign]

    async def run() -> list[_Slow]:
        hub = fanout.Hub()
        hub.renderer = renderer
        others = [_Slow(1, ("public", "en")) for _ in range(3)]
        for s in [actor, *others]:
            hub.sockets[1].add(s)
        await hub.dispatch(1, [_acted(1, "defense", "p:7")])
        await hub.dispatch(1, [_acted(2, "", "facilitator")])
        return others

    others = asyncio.run(run())
    assert seen_while_rendering == [["frame role:defense"]]
    assert all(s.frames == ["frame public", "frame public"] for s in others)
    assert streamed == [True, False]


def _put_all(outlet, indices: list[int]) -> None:
    for i in indices:
        outlet.put(i, f"f{i}")


def test_frames_finished_on_the_render_thread_reach_the_loop_in_order_and_together():
    """``push._Outlet``: frames done while the loop is busy cost it one wake-up, in render order.
    Mutation: scheduling a flush for every frame (no ``len(self.pending) > 1`` check) makes the
    loop take three wake-ups for three frames and turns this red."""
    from exercises import push

    got: list[tuple[int, str]] = []

    async def run() -> int:
        loop = asyncio.get_running_loop()
        outlet = push._Outlet(loop, lambda i, f: got.append((i, f)))
        wakeups = 0
        original = loop.call_soon_threadsafe

        def counting(callback, *args, **kwargs):
            nonlocal wakeups
            wakeups += 1
            return original(callback, *args, **kwargs)

        loop.call_soon_threadsafe = counting  # type: ignore[method-assign,assignment]
        try:
            for frames in ([0, 1, 2], [3]):  # each set put while the loop is busy (blocked on join)
                thread = threading.Thread(target=_put_all, args=(outlet, frames))
                thread.start()
                thread.join()
                await asyncio.sleep(0)
        finally:
            loop.call_soon_threadsafe = original  # type: ignore[method-assign]
        return wakeups

    wakeups = asyncio.run(run())
    assert got == [(0, "f0"), (1, "f1"), (2, "f2"), (3, "f3")]
    assert wakeups == 2
