"""The exercise engine: plain Python, no Django, deterministic for a seed.

    events = decide(scenario, state, actor, command, seed=..., wall=...)
    for event in events: apply(state, event)

``fold(scenario, events)`` rebuilds the state of any exercise from its log.
"""

from .commands import FACILITATOR, SYSTEM, Actor, Command, parse_command
from .errors import Forbidden, InvalidCommand, Rejected
from .events import EVERYONE, Event
from .lineage import fork_tail
from .rules import ActionView, Constraint, action_views, decide, game_now, next_due, opening_event, run
from .state import State, apply, fold, initial_state
from .visibility import FACILITATOR_VIEW, PUBLIC_VIEW, Viewer, can_see, visible

__all__ = [
    "EVERYONE",
    "FACILITATOR",
    "FACILITATOR_VIEW",
    "PUBLIC_VIEW",
    "SYSTEM",
    "ActionView",
    "Actor",
    "Command",
    "Constraint",
    "Event",
    "Forbidden",
    "InvalidCommand",
    "Rejected",
    "State",
    "Viewer",
    "action_views",
    "apply",
    "can_see",
    "decide",
    "fold",
    "fork_tail",
    "game_now",
    "initial_state",
    "next_due",
    "opening_event",
    "run",
    "parse_command",
    "visible",
]
