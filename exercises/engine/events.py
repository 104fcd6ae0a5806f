"""The event catalogue: the one record of everything that happens in an exercise.

Every event type is an ``EventType`` member with one pydantic payload model (``extra="forbid"``)
in ``PAYLOADS``; ``validate`` runs when the engine emits an event, so a misspelt or missing key
fails at the source, not in a screen months later. ``state.HANDLERS`` says what each type does
to the state, and ``exercises/wording.py`` puts refusals into words. Adding an event type is an
entry here, a handler there (or none: record only) and its wording (docs/architecture.md).

No other module spells an event type as a string: ``tests/test_event_catalogue.py`` walks the
app's code and fails on a bare literal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

EVERYONE = "*"  # audience marker: every participant and the projector


class EventType(StrEnum):
    EXERCISE_CREATED = "exercise_created"
    EXERCISE_FORKED = "exercise_forked"
    PARTICIPANT_JOINED = "participant_joined"
    PARTICIPANT_REMOVED = "participant_removed"
    ROLE_CLAIMED = "role_claimed"
    ROLE_RELEASED = "role_released"
    BOT_SEATED = "bot_seated"
    BOT_UNSEATED = "bot_unseated"
    EXERCISE_STARTED = "exercise_started"
    EXERCISE_PAUSED = "exercise_paused"
    EXERCISE_RESUMED = "exercise_resumed"
    EXERCISE_ENDED = "exercise_ended"
    PHASE_CHANGED = "phase_changed"
    INJECT_RELEASED = "inject_released"
    INJECT_LOST = "inject_lost"
    INJECT_SEEN = "inject_seen"
    INDICATOR_CHANGED = "indicator_changed"
    CHANNEL_OPENED = "channel_opened"
    CHANNEL_CLOSED = "channel_closed"
    MESSAGE_SENT = "message_sent"
    MESSAGE_DELIVERED = "message_delivered"
    ACTION_PROPOSED = "action_proposed"
    APPROVAL_REQUESTED = "approval_requested"
    APPROVAL_RESOLVED = "approval_resolved"
    ACTION_EXECUTED = "action_executed"
    ACTION_REFUSED = "action_refused"
    ACTION_WITHDRAWN = "action_withdrawn"
    CONTRADICTION = "contradiction"
    PRESSURE_CHECKED = "pressure_checked"
    COMMAND_REJECTED = "command_rejected"
    NOTE_ADDED = "note_added"
    REPORT_EDITED = "report_edited"
    # the live debrief and the improvement plan (engine/debrief.py)
    DEBRIEF_STARTED = "debrief_started"
    DEBRIEF_PLANNED = "debrief_planned"
    DEBRIEF_STEP = "debrief_step"
    POLL_ANSWERED = "poll_answered"
    POLL_ANSWER_SHOWN = "poll_answer_shown"
    DEBRIEF_NOTED = "debrief_noted"
    DEBRIEF_ENDED = "debrief_ended"
    IMPROVEMENT_STATUS = "improvement_status"


# A proposal's life: proposed, approvals asked and answered, then executed, refused or withdrawn
# (the decision log, the report's decisions, and the panels that show proposals read these).
PROPOSAL_LIFE = frozenset(
    {
        EventType.ACTION_PROPOSED,
        EventType.APPROVAL_REQUESTED,
        EventType.APPROVAL_RESOLVED,
        EventType.ACTION_EXECUTED,
        EventType.ACTION_REFUSED,
        EventType.ACTION_WITHDRAWN,
    }
)

# ---------------------------------------------------------------------- payloads


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Cause = dict[str, Any]  # what made it happen: {"facilitator": True}, {"inject": id}, {"action": id, ...}


class ExerciseCreated(Payload):
    scenario: str
    version: str | int
    hash: str
    seed: int
    title: str


class ExerciseForked(Payload):
    parent: str
    parent_seq: int
    kept_seats: bool


class ParticipantJoined(Payload):
    participant: str
    name: str


class ParticipantRemoved(Payload):
    participant: str
    name: str


class RoleClaimed(Payload):
    participant: str
    role: str
    by: str | None = None  # "facilitator" | "fork" when someone else seated them


class RoleReleased(Payload):
    participant: str
    role: str
    by: str | None = None


class BotSeated(Payload):
    role: str
    policy: str
    orders: dict[str, str] | None = None


class BotUnseated(Payload):
    role: str
    by: str | None = None


class ExerciseStarted(Payload):
    wall: float
    phase: str


class ExercisePaused(Payload):
    wall: float
    by: str | None = None


class ExerciseResumed(Payload):
    wall: float


class ExerciseEnded(Payload):
    wall: float


class PhaseChanged(Payload):
    phase: str
    wall: float
    stopped: bool | None = None  # the scenario clock reached its end
    by: str | None = None


class InjectReleased(Payload):
    inject: str  # "" for an ad-hoc inject
    recipients: list[str]
    public: bool
    hidden: bool
    cause: Cause
    adhoc: bool | None = None
    title: str | None = None
    text: str | None = None


class InjectLost(Payload):
    inject: str
    rule: str
    probability: float
    cause: Cause


class InjectSeen(Payload):
    seq: int
    participant: str


class IndicatorChanged(Payload):
    indicator: str
    value: int
    delta: int
    cause: Cause
    reason: str | None = None


class ChannelChanged(Payload):
    channel: str
    cause: Cause
    reason: str | None = None


class MessageSent(Payload):
    channel: str
    text: str
    text_es: str | None = None
    deliver_at: int | None = None


class MessageDelivered(Payload):
    message: int
    channel: str
    text: str
    text_es: str | None = None


class ActionProposed(Payload):
    action: str
    option: str
    rationale: str
    kind: str


class ApprovalRequested(Payload):
    proposal: int
    approver: str
    rule: str
    kind: str
    due: int | None
    bypass: bool


class ApprovalResolved(Payload):
    proposal: int
    approver: str
    status: str  # granted | refused | bypassed
    by: str
    rule: str
    kind: str | None = None
    reason: str | None = None
    probability: float | None = None
    tally: dict[str, int] | None = None
    blocs: list[dict[str, Any]] | None = None


class ActionExecuted(Payload):
    proposal: int
    action: str
    option: str
    side: str
    kind: str
    statement: str | None = None
    stance: str | None = None
    bypassed: list[dict[str, str]] | None = None
    chance: dict[str, Any] | None = None


class ActionRefused(Payload):
    proposal: int
    action: str
    rule: str
    approver: str


class ActionWithdrawn(Payload):
    proposal: int
    action: str


class Contradiction(Payload):
    side: str
    topic: str
    stances: list[str]
    rule: str
    proposal: int


class PressureChecked(Payload):
    pressure: str
    period: int
    applied: bool
    rule: str


class CommandRejected(Payload):
    """A refusal as data (``refusals.Refusal``): ``exercises/wording.py`` writes it in words.

    Logs recorded before the structured refusals carry ``message`` (English) and ``detail``
    instead of ``code`` and ``data``; the wording reads both.
    """

    command: str
    rule: str
    code: str
    data: dict[str, Any]
    move: str | None = None  # a seat bot's move key: it never tries it again


class NoteAdded(Payload):
    text: str
    event: int | None
    role: str
    objective: str


class ReportEdited(Payload):
    summary: str
    strengths: str
    improvements: str
    actions: list[dict[str, str]]
    share: bool


class DebriefStarted(Payload):
    moments: list[dict[str, Any]]
    status: str


class DebriefPlanned(Payload):
    order: list[str]


class DebriefStep(Payload):
    step: int
    moment: dict[str, Any]
    poll: dict[str, Any]


class PollAnswered(Payload):
    step: int
    option: int | None
    text: str


class PollAnswerShown(Payload):
    step: int
    answer: int
    text: str


class DebriefNoted(Payload):
    step: int
    key: str
    text: str


class DebriefEnded(Payload):
    pass


class ImprovementStatus(Payload):
    key: str
    status: str
    by: str
    issue: str
    action: str


PAYLOADS: dict[EventType, type[Payload]] = {
    EventType.EXERCISE_CREATED: ExerciseCreated,
    EventType.EXERCISE_FORKED: ExerciseForked,
    EventType.PARTICIPANT_JOINED: ParticipantJoined,
    EventType.PARTICIPANT_REMOVED: ParticipantRemoved,
    EventType.ROLE_CLAIMED: RoleClaimed,
    EventType.ROLE_RELEASED: RoleReleased,
    EventType.BOT_SEATED: BotSeated,
    EventType.BOT_UNSEATED: BotUnseated,
    EventType.EXERCISE_STARTED: ExerciseStarted,
    EventType.EXERCISE_PAUSED: ExercisePaused,
    EventType.EXERCISE_RESUMED: ExerciseResumed,
    EventType.EXERCISE_ENDED: ExerciseEnded,
    EventType.PHASE_CHANGED: PhaseChanged,
    EventType.INJECT_RELEASED: InjectReleased,
    EventType.INJECT_LOST: InjectLost,
    EventType.INJECT_SEEN: InjectSeen,
    EventType.INDICATOR_CHANGED: IndicatorChanged,
    EventType.CHANNEL_OPENED: ChannelChanged,
    EventType.CHANNEL_CLOSED: ChannelChanged,
    EventType.MESSAGE_SENT: MessageSent,
    EventType.MESSAGE_DELIVERED: MessageDelivered,
    EventType.ACTION_PROPOSED: ActionProposed,
    EventType.APPROVAL_REQUESTED: ApprovalRequested,
    EventType.APPROVAL_RESOLVED: ApprovalResolved,
    EventType.ACTION_EXECUTED: ActionExecuted,
    EventType.ACTION_REFUSED: ActionRefused,
    EventType.ACTION_WITHDRAWN: ActionWithdrawn,
    EventType.CONTRADICTION: Contradiction,
    EventType.PRESSURE_CHECKED: PressureChecked,
    EventType.COMMAND_REJECTED: CommandRejected,
    EventType.NOTE_ADDED: NoteAdded,
    EventType.REPORT_EDITED: ReportEdited,
    EventType.DEBRIEF_STARTED: DebriefStarted,
    EventType.DEBRIEF_PLANNED: DebriefPlanned,
    EventType.DEBRIEF_STEP: DebriefStep,
    EventType.POLL_ANSWERED: PollAnswered,
    EventType.POLL_ANSWER_SHOWN: PollAnswerShown,
    EventType.DEBRIEF_NOTED: DebriefNoted,
    EventType.DEBRIEF_ENDED: DebriefEnded,
    EventType.IMPROVEMENT_STATUS: ImprovementStatus,
}


class BadPayload(ValueError):
    """The engine tried to record an event whose payload does not match the catalogue (a bug)."""


def validate(type_: str, payload: dict[str, Any]) -> None:
    """Check ``payload`` against the catalogue; raise ``BadPayload`` (nothing is recorded)."""
    try:
        model = PAYLOADS[EventType(type_)]
    except ValueError:
        raise BadPayload(f"unknown event type {type_!r}: add it to EventType and PAYLOADS") from None
    try:
        model.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "payload"
        raise BadPayload(f"{type_}.{where}: {first['msg']}") from None


def payload_of(event: Event) -> Payload:
    """The typed payload of an event recorded by this engine version."""
    return PAYLOADS[EventType(event.type)].model_validate(event.payload)


# ---------------------------------------------------------------------- the event


@dataclass(frozen=True, slots=True)
class Event:
    """One fact, numbered by ``seq`` inside its exercise.

    ``audience`` lists who may see it besides the facilitator (who sees everything):
    ``"*"`` for everyone (projector included), role ids, or ``"p:<participant>"``.
    ``game_time`` is in seconds from the scenario's T+0.
    """

    seq: int
    type: str
    game_time: int
    payload: dict[str, Any] = field(default_factory=dict)
    audience: tuple[str, ...] = ()
    role: str = ""
    actor: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "type": self.type,
            "game_time": self.game_time,
            "payload": self.payload,
            "audience": list(self.audience),
            "role": self.role,
            "actor": self.actor,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Event:
        return cls(
            seq=data["seq"],
            type=data["type"],
            game_time=data["game_time"],
            payload=data.get("payload") or {},
            audience=tuple(data.get("audience") or ()),
            role=data.get("role") or "",
            actor=data.get("actor") or "",
        )
