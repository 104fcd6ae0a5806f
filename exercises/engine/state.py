"""Exercise state, and the one function that evolves it from an event.

``apply`` is the only place state changes, live or in a replay, so folding the
log always gives the state the live exercise had (tests/test_engine.py folds logs).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, Field

from scenarios.schema import Scenario

from .commands import BOT_PREFIX
from .events import Event, EventType

Status = Literal["lobby", "running", "paused", "ended"]


class Participant(BaseModel):
    name: str
    role: str = ""
    removed: bool = False  # the facilitator took them off the table (participant_removed)


class ApprovalState(BaseModel):
    approver: str
    rule: str
    kind: str
    status: Literal["pending", "granted", "refused", "bypassed", "cancelled"] = "pending"
    due: int | None = None  # game time an institution answers by itself


class Proposal(BaseModel):
    id: int
    action: str
    role: str
    option: str = ""
    rationale: str = ""
    status: Literal["pending", "executed", "refused", "withdrawn"] = "pending"
    game_time: int = 0
    approvals: list[ApprovalState] = []


class Delivery(BaseModel):
    message: int
    channel: str
    due: int
    role: str
    text: str
    text_es: str = ""  # a seat bot's line has both languages


class BotSeat(BaseModel):
    """A seat bot (``bot_seated``): how it plays and what the log says it last did.

    ``mark`` is the seq of its latest event: its draws are keyed by it, so the same log
    gives the same bot. ``refused`` lists moves a rule refused: it never tries them again.
    """

    policy: str = "role"
    since: int = 0
    seated: int = 0  # seq of its ``bot_seated``
    last: int = 0  # game time of its latest move (or of its seating)
    mark: int = 0
    last_move: str = (
        ""  # "propose:<proposal>", "granted:<proposal>", "refused:<proposal>", "bypassed:<proposal>", "say"
    )
    refused: list[str] = []
    orders: dict[str, str] = {}


class State(BaseModel):
    seq: int = 0
    status: Status = "lobby"
    game_time: int = 0
    phase: str = ""
    anchor_wall: float = 0.0
    anchor_game: int = 0
    participants: dict[str, Participant] = {}
    holders: dict[str, str] = {}  # role id -> participant id
    indicators: dict[str, int] = {}
    channels: dict[str, bool] = {}  # channel id -> open
    released: dict[str, int] = {}  # inject id -> seq of its release
    proposals: dict[int, Proposal] = {}
    executed: dict[str, int] = {}  # action id -> times executed
    chosen: dict[str, list[str]] = {}  # action id -> options of its executions, in order
    lost: list[str] = []  # injects that never reached their recipients (R12)
    refused: dict[str, int] = {}
    proposed: dict[str, int] = {}
    statements: dict[str, dict[str, list[str]]] = {}  # side -> topic -> stances in order
    pressures: dict[str, int] = {}  # pressure id -> last period applied or checked
    deliveries: list[Delivery] = []
    rejections: dict[str, int] = Field(default_factory=dict)  # rule -> count
    receipts: dict[int, list[str]] = {}  # seq of an inject -> participants who have seen it
    bots: dict[str, BotSeat] = {}  # role id -> the bot playing it

    def role_of(self, participant: str) -> str:
        p = self.participants.get(participant)
        return p.role if p else ""

    def pending_proposals(self) -> list[Proposal]:
        return [p for p in self.proposals.values() if p.status == "pending"]


def initial_state(scenario: Scenario) -> State:
    first = scenario.phases[0]
    return State(
        phase=first.id,
        game_time=first.start,
        anchor_game=first.start,
        indicators={i.id: i.start for i in scenario.indicators},
        channels={c.id: c.open for c in scenario.channels},
    )


def _proposal(state: State, payload: dict[str, Any]) -> Proposal:
    return state.proposals[int(payload["proposal"])]


Handler = Callable[[State, Event, dict[str, Any]], None]


def _participant_joined(state: State, event: Event, p: dict[str, Any]) -> None:
    state.participants[p["participant"]] = Participant(name=p["name"])


def _role_claimed(state: State, event: Event, p: dict[str, Any]) -> None:
    state.participants[p["participant"]].role = p["role"]
    state.holders[p["role"]] = p["participant"]


def _role_released(state: State, event: Event, p: dict[str, Any]) -> None:
    if p["participant"] in state.participants:
        state.participants[p["participant"]].role = ""
    state.holders.pop(p["role"], None)


def _bot_seated(state: State, event: Event, p: dict[str, Any]) -> None:
    state.bots[p["role"]] = BotSeat(
        policy=p.get("policy") or "role",
        since=event.game_time,
        seated=event.seq,
        last=event.game_time,
        mark=event.seq,
        orders=p.get("orders") or {},
    )


def _bot_unseated(state: State, event: Event, p: dict[str, Any]) -> None:
    state.bots.pop(p["role"], None)


def _participant_removed(state: State, event: Event, p: dict[str, Any]) -> None:
    if p["participant"] in state.participants:
        state.participants[p["participant"]].removed = True


def _clock_running(state: State, event: Event, p: dict[str, Any]) -> None:
    state.status = "running"
    state.anchor_wall = p["wall"]
    state.anchor_game = event.game_time


def _exercise_paused(state: State, event: Event, p: dict[str, Any]) -> None:
    state.status = "paused"
    state.anchor_game = event.game_time


def _exercise_ended(state: State, event: Event, p: dict[str, Any]) -> None:
    state.status = "ended"
    state.anchor_game = event.game_time


def _phase_changed(state: State, event: Event, p: dict[str, Any]) -> None:
    state.phase = p["phase"]
    state.anchor_wall = p["wall"]
    state.anchor_game = event.game_time
    if p.get("stopped"):
        state.status = "paused"


def _inject_released(state: State, event: Event, p: dict[str, Any]) -> None:
    if p.get("inject"):
        state.released[p["inject"]] = event.seq  # dealt with: never scheduled again


def _inject_lost(state: State, event: Event, p: dict[str, Any]) -> None:
    if p.get("inject"):
        state.released[p["inject"]] = event.seq
        state.lost.append(p["inject"])


def _indicator_changed(state: State, event: Event, p: dict[str, Any]) -> None:
    state.indicators[p["indicator"]] = p["value"]


def _channel_opened(state: State, event: Event, p: dict[str, Any]) -> None:
    state.channels[p["channel"]] = True


def _channel_closed(state: State, event: Event, p: dict[str, Any]) -> None:
    state.channels[p["channel"]] = False


def _message_sent(state: State, event: Event, p: dict[str, Any]) -> None:
    if p.get("deliver_at") is not None:
        state.deliveries.append(
            Delivery(
                message=event.seq,
                channel=p["channel"],
                due=p["deliver_at"],
                role=event.role,
                text=p["text"],
                text_es=p.get("text_es") or "",
            )
        )


def _message_delivered(state: State, event: Event, p: dict[str, Any]) -> None:
    state.deliveries = [d for d in state.deliveries if d.message != p["message"]]


def _action_proposed(state: State, event: Event, p: dict[str, Any]) -> None:
    state.proposals[event.seq] = Proposal(
        id=event.seq,
        action=p["action"],
        role=event.role,
        option=p.get("option") or "",
        rationale=p.get("rationale") or "",
        game_time=event.game_time,
    )
    state.proposed[p["action"]] = state.proposed.get(p["action"], 0) + 1


def _approval_requested(state: State, event: Event, p: dict[str, Any]) -> None:
    _proposal(state, p).approvals.append(
        ApprovalState(approver=p["approver"], rule=p["rule"], kind=p["kind"], due=p.get("due"))
    )


def _approval_resolved(state: State, event: Event, p: dict[str, Any]) -> None:
    for approval in _proposal(state, p).approvals:
        if approval.approver == p["approver"] and approval.status == "pending":
            approval.status = p["status"]
            break


def _action_executed(state: State, event: Event, p: dict[str, Any]) -> None:
    proposal = _proposal(state, p)
    proposal.status = "executed"
    state.executed[proposal.action] = state.executed.get(proposal.action, 0) + 1
    if proposal.option:
        state.chosen.setdefault(proposal.action, []).append(proposal.option)
    if p.get("statement"):
        side_topics = state.statements.setdefault(p["side"], {})
        side_topics.setdefault(p["statement"], []).append(p.get("stance") or "")


def _close_proposal(proposal: Proposal, status: Literal["refused", "withdrawn"]) -> None:
    proposal.status = status
    for approval in proposal.approvals:
        if approval.status == "pending":
            approval.status = "cancelled"


def _action_refused(state: State, event: Event, p: dict[str, Any]) -> None:
    proposal = _proposal(state, p)
    _close_proposal(proposal, "refused")
    state.refused[proposal.action] = state.refused.get(proposal.action, 0) + 1


def _action_withdrawn(state: State, event: Event, p: dict[str, Any]) -> None:
    _close_proposal(_proposal(state, p), "withdrawn")


def _pressure_checked(state: State, event: Event, p: dict[str, Any]) -> None:
    state.pressures[p["pressure"]] = p["period"]


def _inject_seen(state: State, event: Event, p: dict[str, Any]) -> None:
    seen = state.receipts.setdefault(p["seq"], [])
    if p["participant"] not in seen:
        seen.append(p["participant"])


def _command_rejected(state: State, event: Event, p: dict[str, Any]) -> None:
    state.rejections[p["rule"]] = state.rejections.get(p["rule"], 0) + 1


# What each event type does to the state. A type missing here is recorded only
# (exercise_created, exercise_forked, contradiction, note_added, report_edited).
HANDLERS: dict[EventType, Handler] = {
    EventType.PARTICIPANT_JOINED: _participant_joined,
    EventType.ROLE_CLAIMED: _role_claimed,
    EventType.ROLE_RELEASED: _role_released,
    EventType.BOT_SEATED: _bot_seated,
    EventType.BOT_UNSEATED: _bot_unseated,
    EventType.PARTICIPANT_REMOVED: _participant_removed,
    EventType.EXERCISE_STARTED: _clock_running,
    EventType.EXERCISE_RESUMED: _clock_running,
    EventType.EXERCISE_PAUSED: _exercise_paused,
    EventType.EXERCISE_ENDED: _exercise_ended,
    EventType.PHASE_CHANGED: _phase_changed,
    EventType.INJECT_RELEASED: _inject_released,
    EventType.INJECT_LOST: _inject_lost,
    EventType.INDICATOR_CHANGED: _indicator_changed,
    EventType.CHANNEL_OPENED: _channel_opened,
    EventType.CHANNEL_CLOSED: _channel_closed,
    EventType.MESSAGE_SENT: _message_sent,
    EventType.MESSAGE_DELIVERED: _message_delivered,
    EventType.ACTION_PROPOSED: _action_proposed,
    EventType.APPROVAL_REQUESTED: _approval_requested,
    EventType.APPROVAL_RESOLVED: _approval_resolved,
    EventType.ACTION_EXECUTED: _action_executed,
    EventType.ACTION_REFUSED: _action_refused,
    EventType.ACTION_WITHDRAWN: _action_withdrawn,
    EventType.PRESSURE_CHECKED: _pressure_checked,
    EventType.INJECT_SEEN: _inject_seen,
    EventType.COMMAND_REJECTED: _command_rejected,
}
_BY_VALUE: dict[str, Handler] = {str(k): v for k, v in HANDLERS.items()}  # a plain str lookup: no enum call


def apply(state: State, event: Event) -> None:
    """Evolve ``state`` in place by one event (``HANDLERS`` says how, per type)."""
    state.seq = event.seq
    state.game_time = event.game_time
    if event.actor.startswith(BOT_PREFIX):
        _bot_moved(state, event)
    handler = _BY_VALUE.get(event.type)
    if handler is not None:
        handler(state, event, event.payload)


def _bot_moved(state: State, event: Event) -> None:
    """Note a seat bot's move on its seat: when, which draw comes next, what it just did."""
    seat = state.bots.get(event.actor[len(BOT_PREFIX) :])
    if seat is None:
        return
    seat.last = event.game_time
    seat.mark = event.seq
    p = event.payload
    match event.type:
        case EventType.ACTION_PROPOSED:
            seat.last_move = f"propose:{event.seq}"
        case EventType.APPROVAL_RESOLVED:
            seat.last_move = f"{p['status']}:{p['proposal']}"
        case EventType.MESSAGE_SENT:
            seat.last_move = "say"
        case EventType.COMMAND_REJECTED:
            seat.last_move = ""
            if p.get("move"):
                seat.refused.append(p["move"])


def fold(scenario: Scenario, events: list[Event]) -> State:
    state = initial_state(scenario)
    for event in events:
        apply(state, event)
    return state
