"""Typed model of a scenario file.

Plain Python (pydantic, no Django): the engine and the loader both import it.
Every model forbids unknown keys so that a typo in a file is an error that names
the field instead of a silently ignored setting.

Durations and game-time offsets are written as ``"-6d"``, ``"1h30m"``, ``"45m"``,
``"90s"`` or a bare integer of minutes, and stored as integer seconds.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

from .durations import parse_offset
from .messages import Msg

ID_PATTERN = r"^[a-z][a-z0-9_]*$"
Id = Annotated[str, Field(pattern=ID_PATTERN, max_length=64)]
ALL = "all"

Offset = Annotated[int, BeforeValidator(parse_offset)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Model):
    """A user-visible string in every language the product ships."""

    en: str = Field(min_length=1)
    es: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        return self.es if lang == "es" else self.en


# --------------------------------------------------------------------------- conditions

Op = Literal["lt", "le", "gt", "ge", "eq", "ne"]


class Condition(Model):
    """One test on the exercise state; exactly one kind of test per condition.

    - ``indicator`` + ``op`` + ``value``: an indicator compared with a number
    - ``action`` (+ ``outcome``, + ``option``): an action was executed / refused / proposed
      (with this option, for an executed one)
    - ``inject``: an inject has been released
    - ``phase``: the exercise has reached this phase (or a later one)
    - ``after``: game time is at or past this offset
    - ``channel_open``: a channel is open
    - ``statement`` (+ ``stance``): a public statement on a topic (with a stance) was made
    - ``all`` / ``any`` / ``not``: combinations
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    indicator: Id | None = None
    op: Op | None = None
    value: int | None = None
    action: Id | None = None
    outcome: Literal["executed", "refused", "proposed"] = "executed"
    option: Id | None = None
    inject: Id | None = None
    phase: Id | None = None
    after: Offset | None = None
    channel_open: Id | None = None
    statement: Id | None = None
    stance: Id | None = None
    by_side: Id | None = None
    all_: list[Condition] | None = Field(default=None, alias="all")
    any_: list[Condition] | None = Field(default=None, alias="any")
    not_: Condition | None = Field(default=None, alias="not")

    @model_validator(mode="after")
    def _one_kind(self) -> Condition:
        kinds = [
            k
            for k in (
                "indicator",
                "action",
                "inject",
                "phase",
                "after",
                "channel_open",
                "statement",
                "all_",
                "any_",
                "not_",
            )
            if getattr(self, k) is not None
        ]
        if len(kinds) != 1:
            found = ", ".join(k.rstrip("_") for k in kinds)
            raise ValueError(
                Msg(
                    "a condition needs exactly one of indicator, action, inject, phase, after, "
                    "channel_open, statement, all, any, not (found {found})",
                    found=found or Msg("none"),
                )
            )
        if self.indicator is not None and (self.op is None or self.value is None):
            raise ValueError(Msg("an indicator condition needs 'op' and 'value'"))
        return self

    def walk(self) -> Iterator[Condition]:
        """This condition and every one nested in it (``all``, ``any``, ``not``), depth first."""
        yield self
        for child in (*(self.all_ or []), *(self.any_ or []), *([self.not_] if self.not_ else [])):
            yield from child.walk()


class Requirement(Model):
    """A precondition of an action; when it fails the rule it names refuses the command."""

    when: Condition
    rule: str = Field(min_length=1, max_length=32)
    reason: Text


# --------------------------------------------------------------------------- effects


class Effect(Model):
    indicator: Id
    delta: int = Field(ge=-100, le=100)


class Outcome(Model):
    """What happens: indicators move, injects fire, channels open or close."""

    effects: list[Effect] = []
    triggers: list[Id] = []
    opens: list[Id] = []
    closes: list[Id] = []

    @property
    def empty(self) -> bool:
        return not (self.effects or self.triggers or self.opens or self.closes)


class Modifier(Model):
    """Adds ``per_point * (indicator - pivot)`` to a probability."""

    indicator: Id
    per_point: float = Field(ge=-1, le=1)
    pivot: int = 50


class Probability(Model):
    base: float = Field(ge=0, le=1)
    modifiers: list[Modifier] = []
    floor: float = Field(default=0.02, ge=0, le=1)
    ceiling: float = Field(default=0.98, ge=0, le=1)

    def value(self, indicators: dict[str, int]) -> float:
        p = self.base + sum(m.per_point * (indicators.get(m.indicator, m.pivot) - m.pivot) for m in self.modifiers)
        return max(self.floor, min(self.ceiling, p))


# --------------------------------------------------------------------------- structure


class Side(Model):
    id: Id
    name: Text


class Seat(Model):
    """One party's bloc in a chamber (R10): ``lean`` is how readily it sides with the government
    (1 = the president's own party, 0 = never), which orders the blocs in a vote's tally."""

    party: str = Field(min_length=1, max_length=40)
    seats: int = Field(ge=1, le=1000)
    lean: float = Field(default=0.5, ge=0, le=1)


class Deliberate(Model):
    """An exception to the trade-off rule, on purpose: say why (``tests/test_tradeoffs.py``)."""

    reason: Text


class Objective(Model):
    """A private objective (R13), scored from the log by its condition."""

    id: Id
    text: Text
    done_when: Condition
    points: int = Field(default=1, ge=1, le=10)


class Role(Model):
    id: Id
    side: Id
    title: Text
    holder: str | Text = ""
    institution: bool = False
    fill_order: int = Field(default=50, ge=1, le=99)
    public_brief: Text
    private_brief: Text | None = None
    objectives: list[Objective] = []
    powers: list[Text] = []
    seats: list[Seat] = Field(default=[], description="a chamber's party blocs; votes are tallied by bloc")

    @model_validator(mode="after")
    def _players_have_briefs(self) -> Role:
        if not self.institution and self.private_brief is None:
            raise ValueError(Msg("a played role needs a private_brief"))
        if self.seats and not self.institution:
            raise ValueError(Msg("only an institution (a chamber) has seats"))
        return self

    def holder_in(self, lang: str) -> str:
        """The historical holder as written for ``lang`` (ranks differ: "Gen." / "Gral.")."""
        return self.holder.get(lang) if isinstance(self.holder, Text) else self.holder


class Channel(Model):
    id: Id
    name: Text
    members: list[Id] = Field(min_length=1)
    open: bool = True
    public: bool = False
    delay: Offset = 0
    rule: str = ""
    closed_reason: Text | None = None
    description: Text | None = None

    @model_validator(mode="after")
    def _closed_needs_reason(self) -> Channel:
        if not self.open and self.closed_reason is None:
            raise ValueError(Msg("a channel closed at start needs a closed_reason"))
        if self.delay < 0:
            raise ValueError(Msg("delay cannot be negative"))
        return self


class Indicator(Model):
    id: Id
    name: Text
    meaning: Text
    min: int = 0
    max: int = 100
    start: int
    visible_to: list[Id] = [ALL]
    start_note: Text | None = None

    @model_validator(mode="after")
    def _start_in_range(self) -> Indicator:
        if self.min >= self.max:
            raise ValueError(Msg("min must be below max"))
        if not self.min <= self.start <= self.max:
            raise ValueError(
                Msg("start {start} is outside {low}..{high}", start=self.start, low=self.min, high=self.max)
            )
        return self


class Phase(Model):
    id: Id
    title: Text
    start: Offset
    rate: float = Field(default=60.0, gt=0, le=100_000, description="game seconds per real second")
    description: Text | None = None
    instructor: Text | None = Field(default=None, description="note for the facilitator only")


class Clock(Model):
    t0: str = Field(description="in-game date and time of T+0, ISO 8601")
    end: Offset
    timezone: str = "UTC"


class Delivery(Model):
    """Noisy or lost intelligence (R12): the inject reaches its recipients with this probability."""

    probability: Probability
    rule: str = "R12"


class Inject(Model):
    id: Id
    title: Text
    text: Text
    from_: Text | None = Field(default=None, alias="from", description="who the inject comes from, shown with it")
    at: Offset | None = None
    trigger: Condition | None = None
    recipients: list[Id] = Field(min_length=1)
    public: bool = False
    hidden: bool = False
    outcome: Outcome = Outcome()
    delivery: Delivery | None = None
    source: str = ""
    instructor: Text | None = Field(
        default=None, description="the controller's note, in both languages: the console shows it, players never"
    )
    debrief: list[Id] = []

    @model_validator(mode="after")
    def _when(self) -> Inject:
        if self.at is not None and self.trigger is not None:
            raise ValueError(Msg("an inject has either 'at' or 'trigger', not both"))
        if self.public and self.hidden:
            raise ValueError(Msg("an inject cannot be both public and hidden"))
        return self


class Vote(Model):
    """A chamber's vote (R10): each member votes yes with the approval's probability."""

    members: int = Field(ge=1, le=1000)
    majority: float = Field(default=0.5, gt=0, lt=1)


class Bypass(Model):
    """Going ahead without this approval is possible, at a cost (R2)."""

    outcome: Outcome
    rule: str = ""


class Approval(Model):
    by: Id
    rule: str = Field(min_length=1, max_length=32)
    kind: Literal["approval", "endorsement", "vote"] = "approval"
    probability: Probability | None = None
    vote: Vote | None = None
    delay: Offset = 0
    bypass: Bypass | None = None
    on_refused: Outcome = Outcome()
    reason: Text | None = None


class Option(Model):
    id: Id
    label: Text
    stance: Id | None = None
    outcome: Outcome = Outcome()
    deliberate: Deliberate | None = None


class Chance(Model):
    """A probabilistic result (R8 detection): success or failure decides the outcome."""

    probability: Probability
    rule: str = ""
    success: Outcome = Outcome()
    failure: Outcome = Outcome()
    success_text: Text | None = None
    failure_text: Text | None = None


class Forbidden(Model):
    rule: str = Field(min_length=1)
    reason: Text


class Leak(Model):
    probability: Probability
    inject: Id
    rule: str = "R12"


class Action(Model):
    id: Id
    roles: list[Id] = Field(min_length=1)
    title: Text
    description: Text
    kind: Literal["decision", "order", "statement", "request", "vote", "card"] = "decision"
    rule: str = ""
    once: bool = True
    phases: list[Id] = []
    requires: list[Requirement] = []
    forbidden: Forbidden | None = None
    approvals: list[Approval] = []
    options: list[Option] = []
    outcome: Outcome = Outcome()
    chance: Chance | None = None
    statement: Id | None = Field(default=None, description="topic id: a public statement, checked for consistency")
    leak: Leak | None = None
    debrief: list[Id] = []
    deliberate: Deliberate | None = None


class Pressure(Model):
    """A recurring effect (R14 silence, throughput under alert): every period while a condition holds."""

    id: Id
    every: Offset
    when: Condition
    outcome: Outcome
    rule: str = ""
    description: Text


class Topic(Model):
    id: Id
    label: Text


class Consistency(Model):
    """Public statements on one topic by one side must agree (R3, R14)."""

    rule: str = "R3"
    topics: list[Topic] = []
    on_contradiction: Outcome = Outcome()


class Question(Model):
    id: Id
    text: Text
    phases: list[Id] = []
    actions: list[Id] = []
    injects: list[Id] = []


class BotLine(Model):
    """A short line a seat bot may say, in both languages (optional: stock phrases otherwise).

    ``action``: said by the role proposing it (``on: propose``), or by an approver granting
    or refusing it (``on: grant`` / ``refuse``), or by its proposer going ahead without the
    approvals (``on: bypass``). ``topic``: the same for every statement action on that topic.
    ``role`` keeps the line to one speaker.
    """

    action: Id | None = None
    topic: Id | None = None
    on: Literal["propose", "grant", "refuse", "bypass"] = "propose"
    role: Id | None = None
    text: Text

    @model_validator(mode="after")
    def _one_subject(self) -> BotLine:
        if (self.action is None) == (self.topic is None):
            raise ValueError(Msg("a bot line names exactly one of 'action' or 'topic'"))
        return self


class Source(Model):
    id: str
    text: str


class InstructorGuide(Model):
    learning_objectives: list[Text] = []
    timing: Text | None = None
    fill_order: Text | None = None
    watch_for: list[Text] = []
    notes: list[Text] = []
    sources: list[Source] = []


class Scenario(Model):
    slug: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)]
    version: int = 1
    title: Text
    period: Text
    summary: Text
    languages: list[Literal["en", "es"]] = ["en", "es"]
    clock: Clock
    sides: list[Side] = Field(min_length=1)
    roles: list[Role] = Field(min_length=1)
    channels: list[Channel] = []
    indicators: list[Indicator] = []
    phases: list[Phase] = Field(min_length=1)
    injects: list[Inject] = []
    actions: list[Action] = []
    pressures: list[Pressure] = []
    consistency: Consistency = Consistency()
    debrief: list[Question] = []
    instructor: InstructorGuide = InstructorGuide()
    bot_lines: list[BotLine] = []

    # ------------------------------------------------------------------ look-ups
    # Built once per loaded scenario (the model is frozen, so the indexes never go stale).
    @cached_property
    def roles_by_id(self) -> dict[str, Role]:
        return {r.id: r for r in self.roles}

    @cached_property
    def actions_by_id(self) -> dict[str, Action]:
        return {a.id: a for a in self.actions}

    @cached_property
    def injects_by_id(self) -> dict[str, Inject]:
        return {i.id: i for i in self.injects}

    @cached_property
    def channels_by_id(self) -> dict[str, Channel]:
        return {c.id: c for c in self.channels}

    @cached_property
    def indicators_by_id(self) -> dict[str, Indicator]:
        return {i.id: i for i in self.indicators}

    @cached_property
    def phase_index(self) -> dict[str, int]:
        return {p.id: n for n, p in enumerate(self.phases)}

    # What the actions' requirements test (``exercises.engine.conditions.holds``): the screens
    # rebuild a role's actions only when a batch moves one of these (``screens.frames``).
    @cached_property
    def requirement_times(self) -> tuple[int, ...]:
        """The game times (``after``) the actions' requirements compare against, in order."""
        return tuple(sorted({c.after for c in self._requirement_conditions if c.after is not None}))

    @cached_property
    def requirement_injects(self) -> frozenset[str]:
        return frozenset(c.inject for c in self._requirement_conditions if c.inject is not None)

    @cached_property
    def requirement_indicators(self) -> frozenset[str]:
        return frozenset(c.indicator for c in self._requirement_conditions if c.indicator is not None)

    @property
    def _requirement_conditions(self) -> Iterator[Condition]:
        return (c for a in self.actions for r in a.requires for c in r.when.walk())

    def role(self, role_id: str) -> Role:
        return self.roles_by_id[role_id]

    def action(self, action_id: str) -> Action:
        return self.actions_by_id[action_id]

    def inject(self, inject_id: str) -> Inject:
        return self.injects_by_id[inject_id]

    def channel(self, channel_id: str) -> Channel:
        return self.channels_by_id[channel_id]

    def indicator(self, indicator_id: str) -> Indicator:
        return self.indicators_by_id[indicator_id]

    def side_of(self, role_id: str) -> str:
        return self.roles_by_id[role_id].side

    def roles_of(self, recipients: list[str] | tuple[str, ...]) -> list[str]:
        """Expand a recipient list (role ids, side ids or 'all') to role ids, in file order."""
        wanted = set(recipients)
        return [r.id for r in self.roles if ALL in wanted or r.id in wanted or r.side in wanted]
