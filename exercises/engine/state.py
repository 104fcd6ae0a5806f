"""Exercise state, and the one function that evolves it from an event.

``apply`` is the only place state changes, live or in a replay, so folding the
log always gives the state the live exercise had (see ``test_it_folds_the_log_into_the_live_state``
in tests/test_engine.py and ``test_the_fold_of_a_bots_game_is_its_live_state`` in tests/test_bots.py).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from scenarios.schema import Scenario

from .commands import BOT_PREFIX
from .events import Event

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


def apply(state: State, event: Event) -> None:
    """Evolve ``state`` in place by one event."""
    state.seq = event.seq
    state.game_time = event.game_time
    p = event.payload
    if event.actor.startswith(BOT_PREFIX):
        _bot_moved(state, event)
    match event.type:
        case "participant_joined":
            state.participants[p["participant"]] = Participant(name=p["name"])
        case "role_claimed":
            state.participants[p["participant"]].role = p["role"]
            state.holders[p["role"]] = p["participant"]
        case "role_released":
            if p["participant"] in state.participants:
                state.participants[p["participant"]].role = ""
            state.holders.pop(p["role"], None)
        case "bot_seated":
            state.bots[p["role"]] = BotSeat(
                policy=p.get("policy") or "role",
                since=event.game_time,
                seated=event.seq,
                last=event.game_time,
                mark=event.seq,
                orders=p.get("orders") or {},
            )
        case "bot_unseated":
            state.bots.pop(p["role"], None)
        case "participant_removed":
            if p["participant"] in state.participants:
                state.participants[p["participant"]].removed = True
        case "exercise_started" | "exercise_resumed":
            state.status = "running"
            state.anchor_wall = p["wall"]
            state.anchor_game = event.game_time
        case "exercise_paused":
            state.status = "paused"
            state.anchor_game = event.game_time
        case "exercise_ended":
            state.status = "ended"
            state.anchor_game = event.game_time
        case "phase_changed":
            state.phase = p["phase"]
            state.anchor_wall = p["wall"]
            state.anchor_game = event.game_time
            if p.get("stopped"):
                state.status = "paused"
        case "inject_released" | "inject_lost":
            if p.get("inject"):
                state.released[p["inject"]] = event.seq  # dealt with: never scheduled again
                if event.type == "inject_lost":
                    state.lost.append(p["inject"])
        case "indicator_changed":
            state.indicators[p["indicator"]] = p["value"]
        case "channel_opened":
            state.channels[p["channel"]] = True
        case "channel_closed":
            state.channels[p["channel"]] = False
        case "message_sent":
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
        case "message_delivered":
            state.deliveries = [d for d in state.deliveries if d.message != p["message"]]
        case "action_proposed":
            state.proposals[event.seq] = Proposal(
                id=event.seq,
                action=p["action"],
                role=event.role,
                option=p.get("option") or "",
                rationale=p.get("rationale") or "",
                game_time=event.game_time,
            )
            state.proposed[p["action"]] = state.proposed.get(p["action"], 0) + 1
        case "approval_requested":
            _proposal(state, p).approvals.append(
                ApprovalState(approver=p["approver"], rule=p["rule"], kind=p["kind"], due=p.get("due"))
            )
        case "approval_resolved":
            for approval in _proposal(state, p).approvals:
                if approval.approver == p["approver"] and approval.status == "pending":
                    approval.status = p["status"]
                    break
        case "action_executed":
            proposal = _proposal(state, p)
            proposal.status = "executed"
            state.executed[proposal.action] = state.executed.get(proposal.action, 0) + 1
            if proposal.option:
                state.chosen.setdefault(proposal.action, []).append(proposal.option)
            if p.get("statement"):
                side_topics = state.statements.setdefault(p["side"], {})
                side_topics.setdefault(p["statement"], []).append(p.get("stance") or "")
        case "action_refused":
            proposal = _proposal(state, p)
            proposal.status = "refused"
            for approval in proposal.approvals:
                if approval.status == "pending":
                    approval.status = "cancelled"
            state.refused[proposal.action] = state.refused.get(proposal.action, 0) + 1
        case "action_withdrawn":
            proposal = _proposal(state, p)
            proposal.status = "withdrawn"
            for approval in proposal.approvals:
                if approval.status == "pending":
                    approval.status = "cancelled"
        case "pressure_checked":
            state.pressures[p["pressure"]] = p["period"]
        case "inject_seen":
            seen = state.receipts.setdefault(p["seq"], [])
            if p["participant"] not in seen:
                seen.append(p["participant"])
        case "command_rejected":
            state.rejections[p["rule"]] = state.rejections.get(p["rule"], 0) + 1
        case _:
            pass  # exercise_created, inject_seen, contradiction, note_added ...: record only


def _bot_moved(state: State, event: Event) -> None:
    """Note a seat bot's move on its seat: when, which draw comes next, what it just did."""
    seat = state.bots.get(event.actor[len(BOT_PREFIX) :])
    if seat is None:
        return
    seat.last = event.game_time
    seat.mark = event.seq
    p = event.payload
    match event.type:
        case "action_proposed":
            seat.last_move = f"propose:{event.seq}"
        case "approval_resolved":
            seat.last_move = f"{p['status']}:{p['proposal']}"
        case "message_sent":
            seat.last_move = "say"
        case "command_rejected":
            seat.last_move = ""
            if p.get("move"):
                seat.refused.append(p["move"])


def fold(scenario: Scenario, events: list[Event]) -> State:
    state = initial_state(scenario)
    for event in events:
        apply(state, event)
    return state
