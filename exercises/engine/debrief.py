"""The live debrief: key moments, steps, quick polls (plain Python, no Django).

The facilitator switches a paused or ended exercise into debrief mode (``debrief_started``,
carrying the key moments picked from the log by ``pick_moments``), may reorder or skip them
(``debrief_planned``), and steps through them (``debrief_step``, public: the step shown is
revealed to the room, with its poll). Players answer the poll (``poll_answered``, seen only by
the facilitator); the counts are public, a free answer is shown to the room only when the
facilitator shows it (``poll_answer_shown``). The facilitator's notes (``debrief_noted``) stay
with the staff. Everything is an event through ``services.execute``.

The event types are module-level constants here, in ONE place, so the event catalogue
(``events.EventType``) can take them over.
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .commands import Cmd
from .errors import InvalidCommand, Rejected
from .events import EVERYONE, Event, EventType
from .refusals import Refusal, Rule

# --------------------------------------------------------------------------- event types

DEBRIEF_STARTED = EventType.DEBRIEF_STARTED  # {moments: [Moment], status: "paused"|"ended"}   facilitator only
DEBRIEF_PLANNED = EventType.DEBRIEF_PLANNED  # {order: [moment key]} (reordered; missing = skipped)  facilitator only
DEBRIEF_STEP = EventType.DEBRIEF_STEP  # {step: n, moment: Moment, poll: Poll}                 everyone
POLL_ANSWERED = EventType.POLL_ANSWERED  # {step, option: int|None, text: str}                 facilitator only
POLL_ANSWER_SHOWN = EventType.POLL_ANSWER_SHOWN  # {step, answer: seq, text}                     everyone
DEBRIEF_NOTED = EventType.DEBRIEF_NOTED  # {step, text}                                        facilitator only
DEBRIEF_ENDED = EventType.DEBRIEF_ENDED  # {}                                                  everyone
IMPROVEMENT_STATUS = EventType.IMPROVEMENT_STATUS  # {key, status, by, issue, action}         facilitator only

EVENT_TYPES = frozenset(
    {
        DEBRIEF_STARTED,
        DEBRIEF_PLANNED,
        DEBRIEF_STEP,
        POLL_ANSWERED,
        POLL_ANSWER_SHOWN,
        DEBRIEF_NOTED,
        DEBRIEF_ENDED,
        IMPROVEMENT_STATUS,
    }
)
# What changes the debrief panel on the players' and the projector's screens.
PUSHED = frozenset({DEBRIEF_STARTED, DEBRIEF_STEP, POLL_ANSWERED, POLL_ANSWER_SHOWN, DEBRIEF_ENDED})
EVENT_VALUES = frozenset(str(t) for t in EVENT_TYPES)

# Rules a debrief command can be refused by (named in ``command_rejected`` like any other).
RULE_DEBRIEF = Rule.DEBRIEF  # not in debrief mode / cannot start now
RULE_POLL_CLOSED = Rule.POLL_CLOSED  # an answer to a step that is not the current one
RULE_POLL_ONCE = Rule.POLL_ONCE  # one answer per person per step

STATUSES = ("open", "in_progress", "closed")
MAX_OPTIONS = 5
MAX_FREE = 280
MAX_MOMENTS = 40

# --------------------------------------------------------------------------- model


class Text(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    en: str = Field(default="", max_length=300)
    es: str = Field(default="", max_length=300)

    def get(self, lang: str) -> str:
        return (self.es if lang == "es" else self.en) or self.en or self.es


class Poll(BaseModel):
    """One question: 2-5 options, or a short free answer (``options`` empty)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    question: Text
    options: list[Text] = Field(default_factory=list, max_length=MAX_OPTIONS)

    @property
    def free(self) -> bool:
        return not self.options


class Moment(BaseModel):
    """A key moment of the log: what happened at ``seq`` and the debrief question it raises."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    key: str = Field(max_length=40, pattern=r"^[a-z0-9_:.-]+$")
    kind: Literal["decision", "refusal", "mixed_messages", "objective_met", "objective_missed", "counterfactual"]
    seq: int = Field(ge=0)
    game_time: int = 0
    title: Text
    detail: Text = Text()
    role: str = Field(default="", max_length=64)
    question: str = Field(default="", max_length=40)  # a scenario debrief question id (q1..q10)
    poll: Poll


class DebriefState(BaseModel):
    active: bool = False
    ended: bool = False
    moments: dict[str, Moment] = {}
    order: list[str] = []
    step: int = 0  # 1-based index into the steps shown so far; 0 = none yet
    current: Moment | None = None
    poll: Poll | None = None
    answers: dict[str, dict[str, Any]] = {}  # participant -> {option, text, seq} for the current step
    counts: list[int] = []  # per option, the current step
    free: int = 0  # free answers to the current step
    shown: list[dict[str, Any]] = []  # free answers of the current step the facilitator showed


# --------------------------------------------------------------------------- commands

_CFG = ConfigDict(extra="forbid", frozen=True)


class StartDebrief(Cmd):
    """Built by the server from the log (``pick_moments``); the facilitator only clicks."""

    type: Literal["debrief_start"] = "debrief_start"
    moments: list[Moment] = Field(default_factory=list, max_length=MAX_MOMENTS)


class PlanDebrief(Cmd):
    type: Literal["debrief_plan"] = "debrief_plan"
    order: list[Annotated[str, Field(max_length=40)]] = Field(max_length=MAX_MOMENTS)


class ShowStep(Cmd):
    """Show a moment (by key) with its poll, or the facilitator's own poll for it."""

    type: Literal["debrief_show"] = "debrief_show"
    key: str = Field(max_length=40)
    poll: Poll | None = None


class AnswerPoll(Cmd):
    """A player's answer: an option's number (0-based) or a short free text."""

    type: Literal["poll_answer"] = "poll_answer"
    step: int = Field(ge=1)
    option: int | None = Field(default=None, ge=0, lt=MAX_OPTIONS)
    text: str = Field(default="", max_length=MAX_FREE)


class ShowAnswer(Cmd):
    type: Literal["poll_show"] = "poll_show"
    answer: int = Field(ge=1)  # the seq of the poll_answered event


class NoteDebrief(Cmd):
    type: Literal["debrief_note"] = "debrief_note"
    text: str = Field(min_length=1, max_length=2000)


class EndDebrief(Cmd):
    type: Literal["debrief_end"] = "debrief_end"


class SetImprovementStatus(Cmd):
    """An improvement-plan row's status; ``by`` is set by the server from the account."""

    type: Literal["set_improvement_status"] = "set_improvement_status"
    key: str = Field(pattern=r"^[0-9a-f]{12}$")
    status: Literal["open", "in_progress", "closed"]
    by: str = Field(default="", max_length=150)
    issue: str = Field(default="", max_length=500)
    action: str = Field(default="", max_length=500)


COMMANDS = (StartDebrief, PlanDebrief, ShowStep, AnswerPoll, ShowAnswer, NoteDebrief, EndDebrief, SetImprovementStatus)
FACILITATOR_ONLY: frozenset[str] = frozenset(
    {
        "debrief_start",
        "debrief_plan",
        "debrief_show",
        "poll_show",
        "debrief_note",
        "debrief_end",
        "set_improvement_status",
    }
)
AFTER_END = frozenset({c.model_fields["type"].default for c in COMMANDS})


# --------------------------------------------------------------------------- fold


def apply(state: Any, event: Event, p: dict[str, Any] | None = None) -> None:
    """Evolve ``state.debrief`` by one debrief event (called by ``state.apply``)."""
    p = event.payload
    d: DebriefState = state.debrief
    match event.type:
        case EventType.DEBRIEF_STARTED:
            d.active, d.ended = True, False
            d.moments = {m["key"]: Moment.model_validate(m) for m in p["moments"]}
            d.order = [m["key"] for m in p["moments"]]
        case EventType.DEBRIEF_PLANNED:
            d.order = list(p["order"])
        case EventType.DEBRIEF_STEP:
            d.step = p["step"]
            d.current = Moment.model_validate(p["moment"])
            d.poll = Poll.model_validate(p["poll"])
            d.answers, d.shown, d.free = {}, [], 0
            d.counts = [0] * len(d.poll.options)
        case EventType.POLL_ANSWERED:
            who = event.actor
            d.answers[who] = {"option": p.get("option"), "text": p.get("text", ""), "seq": event.seq}
            if p.get("option") is not None:
                d.counts[p["option"]] += 1
            else:
                d.free += 1
        case EventType.POLL_ANSWER_SHOWN:
            d.shown.append({"seq": p["answer"], "text": p["text"]})
        case EventType.DEBRIEF_ENDED:
            d.active, d.ended = False, True
        case _:
            pass  # debrief_noted, improvement_status: record only


# --------------------------------------------------------------------------- handlers


class Handlers:
    """Mixed into ``rules.Decider``: one ``do_<type>`` per command. Checks first, emits after."""

    state: Any
    sc: Any

    def emit(self, type_: str, payload: dict[str, Any], audience: Any, *, role: str = "", actor: str = "") -> Event:
        raise NotImplementedError  # pragma: no cover - the Decider's

    def _debrief(self) -> DebriefState:
        d: DebriefState = self.state.debrief
        if not d.active:
            raise Rejected(RULE_DEBRIEF, Refusal.DEBRIEF_OFF)
        return d

    def do_debrief_start(self, actor: Any, cmd: StartDebrief) -> None:
        if self.state.status not in ("paused", "ended"):
            raise Rejected(RULE_DEBRIEF, Refusal.DEBRIEF_NEEDS_STOP)
        if self.state.debrief.active:
            raise Rejected(RULE_DEBRIEF, Refusal.DEBRIEF_ON)
        keys = [m.key for m in cmd.moments]
        if len(set(keys)) != len(keys):
            raise InvalidCommand("moments: keys must be unique")
        payload = {"moments": [m.model_dump(mode="json") for m in cmd.moments], "status": self.state.status}
        self.emit(DEBRIEF_STARTED, payload, [], actor=actor.label)

    def do_debrief_plan(self, actor: Any, cmd: PlanDebrief) -> None:
        d = self._debrief()
        unknown = [k for k in cmd.order if k not in d.moments]
        if unknown:
            raise InvalidCommand(f"order: no moment {unknown[0]!r}")
        if len(set(cmd.order)) != len(cmd.order):
            raise InvalidCommand("order: a moment appears twice")
        self.emit(DEBRIEF_PLANNED, {"order": list(cmd.order)}, [], actor=actor.label)

    def do_debrief_show(self, actor: Any, cmd: ShowStep) -> None:
        d = self._debrief()
        moment = d.moments.get(cmd.key)
        if moment is None:
            raise InvalidCommand(f"key: no moment {cmd.key!r}")
        poll = cmd.poll or moment.poll
        if len(poll.options) == 1:
            raise InvalidCommand("poll: give 2 to 5 options, or none for a free answer")
        if not poll.question.en and not poll.question.es:
            raise InvalidCommand("poll: the question is empty")
        payload = {"step": d.step + 1, "moment": moment.model_dump(mode="json"), "poll": poll.model_dump(mode="json")}
        self.emit(DEBRIEF_STEP, payload, [EVERYONE], actor=actor.label)

    def do_poll_answer(self, actor: Any, cmd: AnswerPoll) -> None:
        d = self._debrief()
        if actor.kind != "participant" or actor.participant not in self.state.participants:
            raise Rejected(RULE_DEBRIEF, Refusal.POLL_SEATED)
        if d.poll is None or cmd.step != d.step:
            raise Rejected(RULE_POLL_CLOSED, Refusal.POLL_CLOSED)
        if actor.label in d.answers:
            raise Rejected(RULE_POLL_ONCE, Refusal.POLL_ONCE)
        if d.poll.free:
            text = " ".join(cmd.text.split())
            if cmd.option is not None or not text:
                raise InvalidCommand("text: this poll takes a short written answer")
            payload: dict[str, Any] = {"step": d.step, "option": None, "text": text}
        else:
            if cmd.option is None or cmd.option >= len(d.poll.options) or cmd.text:
                raise InvalidCommand(f"option: choose one of the {len(d.poll.options)} options")
            payload = {"step": d.step, "option": cmd.option, "text": ""}
        # The answer itself is the facilitator's: its audience is empty (staff only).
        self.emit(POLL_ANSWERED, payload, [], role=self.state.role_of(actor.participant), actor=actor.label)

    def do_poll_show(self, actor: Any, cmd: ShowAnswer) -> None:
        d = self._debrief()
        answer = next((a for a in d.answers.values() if a["seq"] == cmd.answer), None)
        if answer is None or answer["option"] is not None:
            raise InvalidCommand("answer: no free answer with that number in the current poll")
        if any(s["seq"] == cmd.answer for s in d.shown):
            raise InvalidCommand("answer: already shown")
        # Shown without its author: the room sees the words, not who wrote them.
        self.emit(POLL_ANSWER_SHOWN, {"step": d.step, "answer": cmd.answer, "text": answer["text"]}, [EVERYONE])

    def do_debrief_note(self, actor: Any, cmd: NoteDebrief) -> None:
        d = self._debrief()
        self.emit(DEBRIEF_NOTED, {"step": d.step, "key": d.current.key if d.current else "", "text": cmd.text}, [])

    def do_debrief_end(self, actor: Any, cmd: EndDebrief) -> None:
        self._debrief()
        self.emit(DEBRIEF_ENDED, {}, [EVERYONE], actor=actor.label)

    def do_set_improvement_status(self, actor: Any, cmd: SetImprovementStatus) -> None:
        self.emit(IMPROVEMENT_STATUS, cmd.model_dump(exclude={"type"}), [], actor=actor.label)


# --------------------------------------------------------------------------- picking key moments


def _t(en: str, es: str) -> Text:
    return Text(en=en[:300], es=es[:300])


POLLS: dict[str, Poll] = {
    "decision": Poll(
        question=_t(
            "Would you take this decision again, knowing what followed?",
            "¿Volvería a tomar esta decisión, sabiendo lo que vino después?",
        ),
        options=[
            _t("Yes, as it was", "Sí, tal cual"),
            _t("Yes, but sooner", "Sí, pero antes"),
            _t("No", "No"),
            _t("Not sure", "No estoy seguro"),
        ],
    ),
    "refusal": Poll(
        question=_t("Was this refusal right for the country?", "¿Fue correcta esta negativa para el país?"),
        options=[_t("Yes", "Sí"), _t("No", "No"), _t("It depends", "Depende")],
    ),
    "mixed_messages": Poll(
        question=_t("What would have avoided the mixed messages?", "¿Qué habría evitado los mensajes contradictorios?"),
        options=[
            _t("Agree a line first", "Acordar una línea antes"),
            _t("One spokesperson", "Un solo portavoz"),
            _t("Say less in public", "Decir menos en público"),
            _t("Nothing: both had to speak", "Nada: ambos debían hablar"),
        ],
    ),
    "objective_met": Poll(
        question=_t("What made this objective possible?", "¿Qué hizo posible este objetivo?"),
        options=[],
    ),
    "objective_missed": Poll(
        question=_t("Why was this objective missed?", "¿Por qué no se cumplió este objetivo?"),
        options=[
            _t("The rules blocked it", "Las reglas lo impidieron"),
            _t("We chose other priorities", "Elegimos otras prioridades"),
            _t("We did not see it in time", "No lo vimos a tiempo"),
            _t("Other players stopped it", "Otros jugadores lo impidieron"),
        ],
    ),
    "counterfactual": Poll(
        question=_t(
            "Does the other branch change your view of the decision?",
            "¿La otra rama cambia su opinión sobre la decisión?",
        ),
        options=[_t("Yes", "Sí"), _t("No", "No"), _t("A little", "Un poco")],
    ),
}


def _title(text: Any, lang: str) -> str:
    if text is None:
        return ""
    if isinstance(text, dict):
        return text.get(lang) or text.get("en") or ""
    return text.get(lang) if hasattr(text, "get") else str(text)


def question_for(scenario: Any, *, action: str = "", inject: str = "", phase: str = "") -> str:
    """The scenario's debrief question (q1..q10) a moment raises: by its action, then its phase."""
    for q in scenario.debrief:
        if action and (action in q.actions or any(a.id == action and q.id in a.debrief for a in scenario.actions)):
            return q.id
    for q in scenario.debrief:
        if inject and (inject in q.injects or any(i.id == inject and q.id in i.debrief for i in scenario.injects)):
            return q.id
    for q in scenario.debrief:
        if phase and phase in q.phases:
            return q.id
    return ""


def pick_moments(  # noqa: C901 - one branch per kind of key moment
    scenario: Any,
    events: list[Event],
    final: Any,
    *,
    objectives_met: dict[str, int | None] | None = None,  # objective -> seq it was first met, None = missed
    counterfactuals: list[dict[str, Any]] | None = None,
    limit: int = 12,
) -> list[Moment]:
    """The key moments of a log, in the order they happened (deterministic).

    Decisions (every executed action; an action taken with a chosen option says so), refusals
    (an approval refused, a proposal refused by a rule), contradictions (R3), objectives met (at
    the event that first met them) or missed (at the end), and counterfactual results given by the
    caller. When there are more than ``limit``, the ones that link to a debrief question and the
    refusals and contradictions are kept first; the facilitator reorders or skips from there.
    """
    phase_at: dict[int, str] = {}
    phase = scenario.phases[0].id
    out: list[tuple[int, Moment]] = []  # (priority, moment)
    for e in events:
        if e.type == EventType.PHASE_CHANGED:
            phase = e.payload.get("phase", phase)
        phase_at[e.seq] = phase
        p = e.payload
        if e.type == EventType.ACTION_EXECUTED:
            action = scenario.actions_by_id.get(p.get("action", ""))
            if action is None:
                continue
            q = question_for(scenario, action=action.id, phase=phase)
            option = next((o for o in getattr(action, "options", []) if o.id == p.get("option")), None)
            detail = _t(option.label.en, option.label.es) if option is not None and hasattr(option, "label") else Text()
            out.append(
                (
                    1 if q else 3,
                    Moment(
                        key=f"d{e.seq}",
                        kind="decision",
                        seq=e.seq,
                        game_time=e.game_time,
                        title=_t(action.title.en, action.title.es),
                        detail=detail,
                        role=e.role,
                        question=q,
                        poll=POLLS["decision"],
                    ),
                )
            )
        elif e.type in (EventType.ACTION_REFUSED, EventType.COMMAND_REJECTED):
            if e.type == EventType.COMMAND_REJECTED and p.get("command") != "propose_action":
                continue
            data = p.get("data") or p.get("detail") or {}
            action_id = p.get("action") or data.get("action", "")
            action = scenario.actions_by_id.get(action_id)
            rule = p.get("rule", "")
            # The engine holds no words: the refusal's wording is filled in by ``describe`` (exercises/debrief.py).
            why_en = why_es = ""
            name_en = action.title.en if action else f"rule {rule}"
            name_es = action.title.es if action else f"regla {rule}"
            out.append(
                (
                    1,
                    Moment(
                        key=f"r{e.seq}",
                        kind="refusal",
                        seq=e.seq,
                        game_time=e.game_time,
                        title=_t(f"Refused: {name_en}", f"Rechazado: {name_es}"),
                        detail=_t(f"{rule}: {why_en}", f"{rule}: {why_es}") if rule else Text(),
                        role=e.role or p.get("approver", ""),
                        question=question_for(scenario, action=action_id, phase=phase),
                        poll=POLLS["refusal"],
                    ),
                )
            )
        elif e.type == EventType.CONTRADICTION:
            topic = next((t for t in scenario.consistency.topics if t.id == p.get("topic")), None)
            label = topic.label if topic else None
            out.append(
                (
                    1,
                    Moment(
                        key=f"c{e.seq}",
                        kind="mixed_messages",
                        seq=e.seq,
                        game_time=e.game_time,
                        title=_t(
                            f"Mixed messages: {label.en if label else p.get('topic', '')}",
                            f"Mensajes contradictorios: {label.es if label else p.get('topic', '')}",
                        ),
                        role=e.role,
                        question=question_for(scenario, phase=phase),
                        poll=POLLS["mixed_messages"],
                    ),
                )
            )
    last = events[-1] if events else None
    for role in scenario.roles:
        for objective in role.objectives:
            met_at = (objectives_met or {}).get(objective.id)
            if met_at is not None and met_at <= 2 and last is not None:
                met_at = last.seq  # held from the start (a "do not" objective): it was met at the end
            if met_at is not None:
                ev = next((e for e in events if e.seq == met_at), None)
                kind, seq, gt = "objective_met", met_at, ev.game_time if ev else 0
                title = _t(f"Objective met: {objective.text.en}", f"Objetivo cumplido: {objective.text.es}")
            else:
                kind, seq, gt = "objective_missed", last.seq if last else 0, last.game_time if last else 0
                title = _t(f"Objective missed: {objective.text.en}", f"Objetivo no cumplido: {objective.text.es}")
            out.append(
                (
                    2,
                    Moment(
                        key=f"o-{objective.id}"[:40],
                        kind=kind,
                        seq=seq,
                        game_time=gt,
                        title=title,
                        role=role.id,
                        question=question_for(scenario, phase=phase_at.get(seq, phase)),
                        poll=POLLS[kind],
                    ),
                )
            )
    for n, cf in enumerate(counterfactuals or []):
        out.append(
            (
                2,
                Moment(
                    key=f"cf{n + 1}",
                    kind="counterfactual",
                    seq=int(cf.get("seq", 0)),
                    game_time=int(cf.get("game_time", 0)),
                    title=_t(cf.get("title_en", "Counterfactual"), cf.get("title_es", "Contrafáctico")),
                    detail=_t(cf.get("detail_en", ""), cf.get("detail_es", "")),
                    poll=POLLS["counterfactual"],
                ),
            )
        )
    if len(out) > limit:
        # Every kind gets its turn (refusals and contradictions first), the most telling of each
        # kind first (linked to a debrief question, then earliest), until the limit.
        queues = {
            kind: sorted((pm for pm in out if pm[1].kind == kind), key=lambda pm: (pm[0], pm[1].seq))
            for kind in KIND_ORDER
        }
        kept: list[tuple[int, Moment]] = []
        while len(kept) < limit:
            for kind in KIND_ORDER:
                if queues[kind] and len(kept) < limit:
                    kept.append(queues[kind].pop(0))
        out = kept
    return [m for _, m in sorted(out, key=lambda pm: (pm[1].seq, pm[1].key))]


KIND_ORDER = ("refusal", "mixed_messages", "objective_missed", "decision", "objective_met", "counterfactual")


def tally(poll: Poll, answers: list[dict[str, Any]]) -> tuple[list[int], int]:
    """Counts per option (answers out of range are ignored) and the number of free answers."""
    counts = Counter(a["option"] for a in answers if a.get("option") is not None)
    per = [counts.get(i, 0) for i in range(len(poll.options))]
    free = sum(1 for a in answers if a.get("option") is None and a.get("text"))
    return per, free


def improvement_key(issue: str, action: str) -> str:
    """A plan row's identity across report edits: its issue and action text (hash, 12 hex)."""
    import hashlib

    return hashlib.blake2b(f"{issue.strip()}\n{action.strip()}".encode(), digest_size=6).hexdigest()
