"""Commands: what a participant, the facilitator or the clock asks the engine to do.

Typed with ``extra="forbid"`` so a forged or malformed frame is refused before the
engine sees it (``parse_command`` raises ``InvalidCommand`` with the field at fault).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from .errors import InvalidCommand

MAX_MESSAGE = 2000
MAX_NAME = 40
MAX_REPORT = 8000
RoleId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
BOT_PREFIX = "bot:"  # the actor label of a seat bot's events: ``bot:<role>``


class Actor(BaseModel):
    """Who is asking. Set by the server from the session, never from a client frame.

    A ``bot`` is a seat bot playing ``role``: the engine itself gives its moves when the
    clock reaches them (see ``policy``), so no client can speak as one.
    """

    model_config = ConfigDict(frozen=True)

    kind: Literal["participant", "facilitator", "system", "bot"]
    participant: str = ""
    role: str = ""

    @property
    def label(self) -> str:
        if self.kind == "bot":
            return f"{BOT_PREFIX}{self.role}"
        return f"p:{self.participant}" if self.kind == "participant" else self.kind


SYSTEM = Actor(kind="system")
FACILITATOR = Actor(kind="facilitator")


def _without_nul(value: Any) -> Any:
    """A NUL character cannot be stored (PostgreSQL's text and jsonb refuse it; SQLite takes
    it): refused here, with the field at fault, before anything is written."""
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("must not contain a NUL character")
    if isinstance(value, dict):
        for key, item in value.items():
            _without_nul(key)
            _without_nul(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _without_nul(item)
    return value


class Cmd(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        return _without_nul(value)


from . import debrief as _debrief  # noqa: E402 - its commands subclass Cmd (defined just above)


class AsRole(Cmd):
    """Commands a facilitator may also give on behalf of an unfilled role."""

    as_role: RoleId | None = None


class Join(Cmd):
    type: Literal["join"] = "join"
    name: str = Field(min_length=1, max_length=MAX_NAME)


class ClaimRole(Cmd):
    type: Literal["claim_role"] = "claim_role"
    role: RoleId


class AssignRole(Cmd):
    type: Literal["assign_role"] = "assign_role"
    participant: str = Field(min_length=1, max_length=64)
    role: RoleId


class ReleaseRole(Cmd):
    type: Literal["release_role"] = "release_role"
    participant: str = Field(default="", max_length=64)


class SeatBot(Cmd):
    """Put a bot in an empty seat or institution (``policy``: how it plays; see ``policy/``).

    ``orders`` are fixed decisions it follows whatever its interests (counterfactual runs):
    ``{"<action>": "go" | "never" | "<option>", "<action>@<role>": "grant" | "refuse"}``.
    """

    type: Literal["seat_bot"] = "seat_bot"
    role: RoleId
    policy: Literal["role", "random", "script"] = "role"
    orders: dict[Annotated[str, Field(max_length=140)], Annotated[str, Field(max_length=64)]] = Field(
        default_factory=dict, max_length=32
    )


class UnseatBot(Cmd):
    type: Literal["unseat_bot"] = "unseat_bot"
    role: RoleId


class RemoveParticipant(Cmd):
    """The facilitator takes someone off the table: their seat and role are freed."""

    type: Literal["remove_participant"] = "remove_participant"
    participant: str = Field(min_length=1, max_length=64)


class Start(Cmd):
    type: Literal["start"] = "start"


class Pause(Cmd):
    type: Literal["pause"] = "pause"


class Resume(Cmd):
    type: Literal["resume"] = "resume"


class AdvancePhase(Cmd):
    type: Literal["advance_phase"] = "advance_phase"


class End(Cmd):
    type: Literal["end"] = "end"


class Tick(Cmd):
    type: Literal["tick"] = "tick"


class ReleaseInject(Cmd):
    type: Literal["release_inject"] = "release_inject"
    inject: RoleId


class AdhocInject(Cmd):
    type: Literal["adhoc_inject"] = "adhoc_inject"
    title: str = Field(min_length=1, max_length=200)
    text: str = Field(min_length=1, max_length=MAX_MESSAGE)
    recipients: list[RoleId] = Field(min_length=1, max_length=64)
    public: bool = False


class SendMessage(AsRole):
    type: Literal["send_message"] = "send_message"
    channel: RoleId
    text: str = Field(min_length=1, max_length=MAX_MESSAGE)


class BotMessage(SendMessage):
    """A seat bot's line, written in both languages by the scenario (never parsed from a client)."""

    text_es: str = Field(default="", max_length=MAX_MESSAGE)


class ProposeAction(AsRole):
    type: Literal["propose_action"] = "propose_action"
    action: RoleId
    option: RoleId | None = None
    rationale: str = Field(default="", max_length=MAX_MESSAGE)


class RespondApproval(AsRole):
    type: Literal["respond_approval"] = "respond_approval"
    proposal: int = Field(ge=1)
    grant: bool
    reason: str = Field(default="", max_length=MAX_MESSAGE)


class Decide(AsRole):
    """Go ahead with a pending proposal without the approvals still outstanding (R2 bypass)."""

    type: Literal["decide"] = "decide"
    proposal: int = Field(ge=1)


class Withdraw(AsRole):
    type: Literal["withdraw"] = "withdraw"
    proposal: int = Field(ge=1)


class ResolveApproval(Cmd):
    """The facilitator answers for an institution nobody plays."""

    type: Literal["resolve_approval"] = "resolve_approval"
    proposal: int = Field(ge=1)
    approver: RoleId
    grant: bool
    reason: str = Field(default="", max_length=MAX_MESSAGE)


class AdjustIndicator(Cmd):
    type: Literal["adjust_indicator"] = "adjust_indicator"
    indicator: RoleId
    delta: int = Field(ge=-100, le=100)
    reason: str = Field(min_length=3, max_length=500)


class SetChannel(Cmd):
    type: Literal["set_channel"] = "set_channel"
    channel: RoleId
    open: bool
    reason: str = Field(default="", max_length=500)


class MarkSeen(Cmd):
    type: Literal["mark_seen"] = "mark_seen"
    seq: int = Field(ge=1)


class AddNote(Cmd):
    """An evaluator's observation, linked to an event, a role and an objective."""

    type: Literal["add_note"] = "add_note"
    text: str = Field(min_length=1, max_length=MAX_MESSAGE)
    event: int | None = Field(default=None, ge=1)
    role: RoleId | None = None
    objective: RoleId | None = None


class CorrectiveAction(Cmd):
    """One row of the improvement plan (HSEEP AAR/IP): what to fix, who, by when."""

    issue: str = Field(default="", max_length=500)
    action: str = Field(default="", max_length=500)
    owner: str = Field(default="", max_length=200)
    due: str = Field(default="", max_length=40)
    status: str = Field(default="", max_length=40)


class EditReport(Cmd):
    """The instructor's written parts of the after-action report; each edit replaces the last whole."""

    type: Literal["edit_report"] = "edit_report"
    summary: str = Field(default="", max_length=MAX_REPORT)
    strengths: str = Field(default="", max_length=MAX_REPORT)
    improvements: str = Field(default="", max_length=MAX_REPORT)
    actions: list[CorrectiveAction] = Field(default_factory=list, max_length=50)
    share: bool = False  # show these written parts on the players' read-only link


Command = Annotated[
    Join
    | ClaimRole
    | AssignRole
    | ReleaseRole
    | SeatBot
    | UnseatBot
    | RemoveParticipant
    | Start
    | Pause
    | Resume
    | AdvancePhase
    | End
    | Tick
    | ReleaseInject
    | AdhocInject
    | SendMessage
    | ProposeAction
    | RespondApproval
    | Decide
    | Withdraw
    | ResolveApproval
    | AdjustIndicator
    | SetChannel
    | MarkSeen
    | AddNote
    | EditReport
    | _debrief.StartDebrief
    | _debrief.PlanDebrief
    | _debrief.ShowStep
    | _debrief.AnswerPoll
    | _debrief.ShowAnswer
    | _debrief.NoteDebrief
    | _debrief.EndDebrief
    | _debrief.SetImprovementStatus,
    Field(discriminator="type"),
]

_adapter: TypeAdapter[Command] = TypeAdapter(Command)

FACILITATOR_ONLY = frozenset(
    {
        "assign_role",
        "seat_bot",
        "unseat_bot",
        "remove_participant",
        "start",
        "pause",
        "resume",
        "advance_phase",
        "end",
        "release_inject",
        "adhoc_inject",
        "resolve_approval",
        "adjust_indicator",
        "set_channel",
        "add_note",
        "edit_report",
        *_debrief.FACILITATOR_ONLY,
    }
)


def parse_command(data: Any) -> Command:
    """Validate a dict (from a form or a WebSocket frame) into a command."""
    try:
        return _adapter.validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "command"
        raise InvalidCommand(f"{where}: {first['msg']}") from None
