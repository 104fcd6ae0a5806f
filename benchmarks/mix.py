"""What players do, for the benchmarks: the real command mix and how to see each command land.

A ``Chooser`` picks a player's next command the way a person at the table would, from what
their screen shows: the exercise's state (re-read from the database every few seconds by the
benchmark, as the screen is refreshed by pushes) and the injects waiting for an acknowledgement
(read from the frames, as the browser's "Acknowledge" buttons are). ``Actor`` wraps one player's
socket: it sends a command and times it until the frame on **its own socket** that shows the
command's effect:

- ``send_message``: the message (its text carries a unique token) in the channel;
- ``propose_action``: the proposal (its rationale carries the token) in the feed and panels;
- ``respond_approval``: the answer (its reason carries the token) in the feed;
- ``decide`` / ``withdraw``: the approvals panel re-rendered without that proposal;
- ``mark_seen``: nothing on the player's own screen changes but the sequence marker (the browser
  greys the button itself), so its figure is the first frame after the command whose marker has
  moved on. Another player's event landing first makes it shorter, never longer.

A toast (``<div id="toasts"``) that arrives while a command is out is that command's answer: a
rule's refusal (it names the rule) or an error. Both are legitimate outcomes and counted apart.
A player has at most one command out at a time, as a person does.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from benchmarks import harness

TYPES = ("send_message", "propose_action", "respond_approval", "decide", "withdraw", "mark_seen")
# How often a person at the table does each (when it is possible; otherwise they write a message).
WEIGHTS = {
    "send_message": 0.45,
    "mark_seen": 0.20,
    "propose_action": 0.20,
    "respond_approval": 0.07,
    "decide": 0.04,
    "withdraw": 0.04,
}
PROMPT = 0.5  # the chance a player answers what waits for them before anything else
ACK = re.compile(r'value="mark_seen"><input type="hidden" name="seq" value="(\d+)"')
TOAST = '<div id="toasts"'
RESULT_NAMES = (("refused", "refused"), ("error", "errors"), ("lost", "lost"))


@dataclass
class Command:
    kind: str
    data: dict[str, Any]
    matches: Callable[[str], bool]
    note: str = ""  # e.g. "opens a channel"


class Chooser:
    """The next command of a seat, from the scenario and the last state read of its table."""

    def __init__(self, scenario: Any, *, seed: int = 1) -> None:
        self.sc = scenario
        self.states: dict[int, Any] = {}  # exercise id -> engine.State
        self.counter = 0
        self.seed = seed
        # What a seat already did, so a stale state read does not make it do it twice.
        self.proposed: dict[str, set[str]] = defaultdict(set)  # participant -> action ids (once-only ones)
        self.answered: dict[str, set[int]] = defaultdict(set)  # participant -> proposal ids
        self.members = {ch.id: set(scenario.roles_of(ch.members)) for ch in scenario.channels}
        self.opens = {a.id for a in scenario.actions if a.outcome.opens}

    def refresh(self, exercise_ids: list[int]) -> None:
        """Re-read the tables' state (sync: run it on a thread of its own)."""
        from exercises import engine
        from exercises.models import Exercise

        for pk, state in Exercise.objects.filter(pk__in=exercise_ids).values_list("pk", "state"):
            self.states[pk] = engine.State.model_validate(state)

    def token(self, seat: harness.Seat) -> str:
        self.counter += 1
        return f"mx{seat.table:03d}{seat.role[:6]}{self.counter:07d}z"  # no token is a prefix of another

    def choose(self, seat: harness.Seat, rng: random.Random, unacked: set[int], last: int) -> Command:
        state = self.states.get(seat.exercise_id)
        order = list(WEIGHTS)
        kind = rng.choices(order, weights=[WEIGHTS[k] for k in order])[0]
        command = None
        if state is not None and rng.random() < PROMPT:
            # What waits for this player comes first: an approval addressed to them, their own proposal.
            command = self._respond(seat, state, rng) or self._decide_or_withdraw(
                seat, state, "decide" if rng.random() < 0.5 else "withdraw"
            )
        if command is None and state is not None:
            if kind == "mark_seen" and unacked:
                command = self._ack(unacked, last)
            elif kind == "propose_action":
                command = self._propose(seat, state, rng)
            elif kind == "respond_approval":
                command = self._respond(seat, state, rng)
            elif kind in ("decide", "withdraw"):
                command = self._decide_or_withdraw(seat, state, kind)
        return command or self._message(seat, state, rng)

    # ------------------------------------------------------------------ each kind
    def _message(self, seat: harness.Seat, state: Any, rng: random.Random) -> Command:
        channels = [
            ch
            for ch, members in self.members.items()
            if seat.role in members and (state is None or state.channels.get(ch, True))
        ]
        channel = rng.choice(channels)
        token = self.token(seat)
        return Command(
            "send_message",
            {"type": "send_message", "channel": channel, "text": f"{token} on {channel}"},
            lambda frame: token in frame,
        )

    def _ack(self, unacked: set[int], last: int) -> Command:
        seq = min(unacked)
        unacked.discard(seq)
        return Command(
            "mark_seen",
            {"type": "mark_seen", "seq": seq},
            lambda frame: (harness.frame_seq(frame) or 0) > last,
        )

    def _propose(self, seat: harness.Seat, state: Any, rng: random.Random) -> Command | None:
        from exercises import engine

        done = self.proposed[seat.participant]
        views = [
            v
            for v in engine.action_views(self.sc, state, seat.role)
            if v.available and not (v.action.once and v.action.id in done)
        ]
        if not views:
            return None
        # People go for what matters: an action that needs someone's approval, or opens a channel.
        weighty = [v for v in views if v.action.approvals or v.action.id in self.opens]
        view = rng.choice(weighty if weighty and rng.random() < 0.6 else views)
        action = view.action
        if action.once:
            done.add(action.id)
        token = self.token(seat)
        data: dict[str, Any] = {"type": "propose_action", "action": action.id, "rationale": f"{token} because"}
        if action.options:
            data["option"] = rng.choice(action.options).id
        note = "opens a channel" if action.id in self.opens else ("needs approval" if action.approvals else "")
        return Command("propose_action", data, lambda frame: token in frame, note)

    def _respond(self, seat: harness.Seat, state: Any, rng: random.Random) -> Command | None:
        answered = self.answered[seat.participant]
        waiting = [
            p
            for p in state.pending_proposals()
            if p.id not in answered and any(a.approver == seat.role and a.status == "pending" for a in p.approvals)
        ]
        if not waiting:
            return None
        proposal = rng.choice(waiting)
        answered.add(proposal.id)
        token = self.token(seat)
        data = {
            "type": "respond_approval",
            "proposal": proposal.id,
            "grant": rng.random() < 0.7,
            "reason": f"{token} reasons",
        }
        return Command("respond_approval", data, lambda frame: token in frame)

    def _decide_or_withdraw(self, seat: harness.Seat, state: Any, kind: str) -> Command | None:
        answered = self.answered[seat.participant]
        mine = [p for p in state.pending_proposals() if p.role == seat.role and p.id not in answered]
        if kind == "decide":  # only where every missing approval may be bypassed (the button shows)
            mine = [p for p in mine if self._can_bypass(p)]
        if not mine:
            return None
        proposal = mine[0]
        answered.add(proposal.id)
        marker = f'id="proposal-{proposal.id}"'
        return Command(
            kind,
            {"type": kind, "proposal": proposal.id},
            lambda frame: 'id="approvals"' in frame and marker not in frame,
        )

    def _can_bypass(self, proposal: Any) -> bool:
        specs = self.sc.action(proposal.action).approvals
        outstanding = [i for i, a in enumerate(proposal.approvals) if a.status == "pending"]
        return bool(outstanding) and all(i < len(specs) and specs[i].bypass is not None for i in outstanding)


@dataclass
class Outcome:
    kind: str
    ms: float
    result: str  # done | refused | error | lost
    note: str = ""


@dataclass
class Actor:
    """One player's socket with at most one command out."""

    seat: harness.Seat
    client: harness.Client
    unacked: set[int] = field(default_factory=set)
    pending: tuple[Command, float] | None = None
    outcomes: list[Outcome] = field(default_factory=list)

    def attach(self) -> None:
        self.client.on_frame = self.on_frame

    def on_frame(self, frame: str, arrival: float) -> None:
        if "mark_seen" in frame:
            self.unacked.update(int(s) for s in ACK.findall(frame))
        if self.pending is None:
            return
        command, t0 = self.pending
        if frame.startswith(TOAST):
            result = "refused" if "badge-rule" in frame else "error"
            self.outcomes.append(Outcome(command.kind, (arrival - t0) * 1000, result, command.note))
            self.pending = None
        elif command.matches(frame):
            self.outcomes.append(Outcome(command.kind, (arrival - t0) * 1000, "done", command.note))
            self.pending = None

    async def send(self, command: Command) -> None:
        self.pending = (command, time.perf_counter())
        await self.client.conn.send(json.dumps(command.data))

    def expire(self, timeout: float) -> None:
        """A command out for longer than ``timeout`` seconds is lost."""
        if self.pending is not None and time.perf_counter() - self.pending[1] > timeout:
            command, t0 = self.pending
            self.outcomes.append(Outcome(command.kind, (time.perf_counter() - t0) * 1000, "lost", command.note))
            self.pending = None


def summarise(outcomes: list[Outcome], elapsed: float | None = None) -> dict[str, Any]:
    """Latency over every answered command (done or refused), then per kind."""
    answered = [o for o in outcomes if o.result in ("done", "refused")]
    record: dict[str, Any] = dict(harness.percentiles([o.ms for o in answered]))
    results = Counter(o.result for o in outcomes)
    record.update(
        {
            "commands": len(outcomes),
            "done": results["done"],
            "refused": results["refused"],
            "errors": results["error"],
            "lost": results["lost"],
        }
    )
    if elapsed:
        record["achieved_per_s"] = round(len(answered) / elapsed, 1)
    kinds: dict[str, Any] = {}
    for kind in TYPES:
        mine = [o for o in outcomes if o.kind == kind]
        if not mine:
            continue
        ok = [o.ms for o in mine if o.result in ("done", "refused")]
        counts = Counter(o.result for o in mine)
        entry: dict[str, Any] = {"n": len(mine)}
        entry.update({name: counts[key] for key, name in RESULT_NAMES if counts[key]})
        if elapsed:
            entry["per_s"] = round(len(ok) / elapsed, 1)
        pct = harness.percentiles(ok)
        entry.update(
            {"p50_ms": pct["p50_ms"], "p95_ms": pct["p95_ms"], "p99_ms": pct["p99_ms"], "max_ms": pct["max_ms"]}
        )
        kinds[kind] = entry
    record["by_type"] = kinds
    notes = Counter(o.note for o in outcomes if o.note and o.result == "done")
    if notes:
        record["proposals_that"] = dict(notes)
    return record
