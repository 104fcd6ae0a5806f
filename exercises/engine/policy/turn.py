"""What a seat bot sees when it wakes, what it may give back, and when it wakes.

A bot paces itself like a person at the table: it wakes every ``WAKE`` seconds or so of
*real* time, turned into game time at the current phase's rate (a fast phase gives it
more game time between looks, as it does a person). Its wake times are drawn from the
exercise seed and the seq of its own latest event (``BotSeat.mark``), so they are a pure
function of the log: any worker that catches the clock up finds the same wakes, and a
wake that finds nothing to do leaves no trace and gives the same answer if run again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from scenarios.schema import Action, Scenario

from .. import commands as c
from ..state import BotSeat, State

WAKE = 30.0  # real seconds between two looks at the table, on average
REACT = 15.0  # real seconds before answering a request addressed to it


def unit(*parts: object) -> float:
    """A number in [0, 1) fixed by ``parts``: the same on every machine and in every process."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def rate(scenario: Scenario, state: State) -> float:
    return scenario.phases[scenario.phase_index[state.phase]].rate


def game_seconds(scenario: Scenario, state: State, real: float) -> int:
    """``real`` seconds of a person's time, in game seconds at the current phase's rate."""
    return max(1, int(real * rate(scenario, state)))


def next_wake(scenario: Scenario, state: State, role: str, seat: BotSeat, seed: int, after: int) -> int:
    """The bot's first wake strictly after game time ``after``.

    Wakes fall one per grid cell of ``WAKE`` real seconds after its latest move, at a drawn
    point in the cell's last three quarters: strictly increasing, never two in one instant.
    """
    cell = game_seconds(scenario, state, WAKE)
    j = max(0, (after - seat.last) // cell - 1)
    while True:
        wake = seat.last + int((j + 0.25 + 0.75 * unit(seed, "wake", role, seat.mark, j)) * cell)
        if wake > after:
            return wake
        j += 1


def answers(state: State, approver: str, action: str) -> bool:
    """Does a seat bot answer ``approver``'s approvals of ``action`` (instead of the dice or the facilitator)?"""
    seat = state.bots.get(approver)
    if seat is None:
        return False
    return seat.policy != "script" or f"{action}@{approver}" in seat.orders


@dataclass(frozen=True)
class Move:
    """One command a bot gives; ``key`` names it for the refusal memory (never tried twice)."""

    command: c.Cmd
    key: str


@dataclass
class Turn:
    """A bot's look at the table at game time ``now``.

    ``check(action)`` lists the rules that would refuse proposing it now (empty: available):
    the same check a player's action card shows. ``memo`` lives as long as one engine run,
    so bots waking several times between two events do not score the same table twice.
    """

    scenario: Scenario
    state: State
    role: str
    seat: BotSeat
    now: int
    seed: int
    check: Callable[[Action], list[str]]
    memo: dict[Any, Any] = field(default_factory=dict)

    def draw(self, *parts: object) -> float:
        return unit(self.seed, "bot", self.role, self.seat.mark, *parts)

    def real(self, seconds: float) -> int:
        return game_seconds(self.scenario, self.state, seconds)

    @property
    def side(self) -> str:
        return self.scenario.side_of(self.role)

    def approvals_for_me(self) -> list[tuple[int, int]]:
        """(proposal id, approval index) of every pending approval addressed to this role."""
        out = []
        for proposal in self.state.pending_proposals():
            for index, approval in enumerate(proposal.approvals):
                if approval.approver == self.role and approval.status == "pending":
                    out.append((proposal.id, index))
        return out
