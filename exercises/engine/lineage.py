"""A fork's own first events: where it comes from, who keeps which seat, a stopped clock.

A fork copies its parent's events up to a point (the service marks them inherited); these
events follow the copy. They are built here, not by a command, because nothing else may
happen in between: no clock catch-up, no bot waking — the fork is the parent *at that moment*.
"""

from __future__ import annotations

from scenarios.schema import Scenario

from .events import EVERYONE, Event, EventType
from .rules import Decider
from .state import State


def fork_tail(
    scenario: Scenario, state: State, *, parent: str, at_seq: int, seats: dict[str, str] | None, wall: float
) -> list[Event]:
    """Events after a fork's inherited copy; ``state`` (the copy's fold) evolves with them.

    ``seats`` maps each parent participant to the fork's participant continuing them (players who
    kept their seats: same names, same roles, bots kept too); None empties every seat, bots included.
    """
    d = Decider(scenario, state, seed=0, wall=wall)
    d.emit(
        EventType.EXERCISE_FORKED,
        {"parent": parent, "parent_seq": at_seq, "kept_seats": seats is not None},
        [EVERYONE],
        actor="facilitator",
    )
    roles = {pid: p.role for pid, p in state.participants.items()}
    for role, holder in list(state.holders.items()):
        d.emit(
            EventType.ROLE_RELEASED,
            {"participant": holder, "role": role, "by": "fork"},
            [EVERYONE],
            role=role,
            actor="facilitator",
        )
    if seats is None:
        for role in list(state.bots):
            d.emit(EventType.BOT_UNSEATED, {"role": role, "by": "fork"}, [EVERYONE], role=role, actor="facilitator")
    else:
        for old, new in seats.items():
            d.emit(
                EventType.PARTICIPANT_JOINED,
                {"participant": new, "name": state.participants[old].name},
                [EVERYONE],
                actor=f"p:{new}",
            )
            if roles.get(old):
                d.emit(
                    EventType.ROLE_CLAIMED,
                    {"participant": new, "role": roles[old], "by": "fork"},
                    [EVERYONE],
                    role=roles[old],
                    actor="facilitator",
                )
    if state.status == "running":
        d.emit(EventType.EXERCISE_PAUSED, {"wall": wall, "by": "fork"}, [EVERYONE], actor="facilitator")
    return d.events
