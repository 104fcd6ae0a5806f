"""The hub renders a batch's audiences in one call and writes each frame to its own sockets."""

from __future__ import annotations

import asyncio
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

    async def renderer(exercise_id, events, keys, code):
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

    async def renderer(exercise_id, events, keys, code):
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
