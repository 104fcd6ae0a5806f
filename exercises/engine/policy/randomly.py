"""The random policy: busy, careless bots for tests and ``simulate --policy random``.

At each wake: answer a request addressed to it (yes 70 % of the time); now and then go
ahead on its own pending proposal (which a rule may refuse); else propose a random action
— now and then one a scenario rule forbids, as players try — or chat on a random channel of
its role, closed ones included. The same wake rhythm as the role policy, so comparisons
measure the choices, not the pace.
"""

from __future__ import annotations

from .. import commands as c
from .lines import CHATTER
from .turn import Move, Turn

ACTIVITY = 0.35  # propose something
CHAT = 0.25  # say something
DECIDE = 0.15  # go ahead without the approvals
GRANT = 0.7
TEMPT = 0.15  # try what the rules forbid


def decide(turn: Turn) -> Move | None:
    sc, seat = turn.scenario, turn.seat
    for pid, _index in turn.approvals_for_me():
        key = f"answer:{pid}"
        if key not in seat.refused:
            return Move(c.RespondApproval(proposal=pid, grant=turn.draw("grant", pid) < GRANT), key)
    roll = turn.draw("roll")
    own = [p for p in turn.state.pending_proposals() if p.role == turn.role and f"decide:{p.id}" not in seat.refused]
    if own and roll < DECIDE:
        proposal = own[int(turn.draw("which") * len(own))]
        return Move(c.Decide(proposal=proposal.id), f"decide:{proposal.id}")
    if roll < ACTIVITY:
        mine = [a for a in sc.actions if turn.role in a.roles and f"propose:{a.id}" not in seat.refused]
        checked = [(a, turn.check(a)) for a in mine]
        available = [a for a, rules in checked if not rules]
        blocked = [a for a, rules in checked if any(rule.startswith("R") for rule in rules)]
        pool = blocked if (blocked and turn.draw("tempt") < TEMPT) or not available else available
        if not pool:
            return None
        action = pool[int(turn.draw("action") * len(pool))]
        option = action.options[int(turn.draw("option") * len(action.options))].id if action.options else None
        return Move(c.ProposeAction(action=action.id, option=option), f"propose:{action.id}")
    if roll < ACTIVITY + CHAT:
        channels = [
            ch.id for ch in sc.channels if turn.role in sc.roles_of(ch.members) and f"chat:{ch.id}" not in seat.refused
        ]
        if not channels:
            return None
        channel = channels[int(turn.draw("channel") * len(channels))]
        en, es = CHATTER[int(turn.draw("chatter") * len(CHATTER))]
        return Move(c.BotMessage(channel=channel, text=en, text_es=es), f"chat:{channel}")
    return None
