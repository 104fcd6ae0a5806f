"""The exercise engine: plain Python, no Django, deterministic for a seed.

    events, state = run(scenario, state, actor, command, seed=..., wall=...)

``run`` evolves ``state`` through ``apply`` as it emits each event, so the returned state is
the fold of the log so far plus ``events``.

``fold(scenario, events)`` rebuilds the state of any exercise from its log.
"""

from .commands import FACILITATOR, SYSTEM, Actor, Command, parse_command
from .errors import Forbidden, InvalidCommand, Rejected
from .events import EVERYONE, Event
from .lineage import fork_tail
from .rules import ActionView, Constraint, action_views, game_now, next_due, opening_event, run
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
