"""The decider: given a state, a command and the wall clock, which events happen.

Every handler checks first and emits after, so a ``Rejected`` leaves nothing of the
command behind (the clock catch-up that ran before it is kept: it happened anyway).
Each emitted event is applied at once (``state.apply``), so later checks in the same
command see it. Randomness comes from ``Random(f"{seed}:{seq}:{purpose}")``: the same
seed and the same commands give the same events, whatever ran before in the process.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from scenarios.schema import ALL, Action, Approval, Inject, Outcome, Scenario, Seat

from . import commands as c
from . import policy
from .conditions import holds
from .errors import Forbidden, InvalidCommand, Rejected
from .events import EVERYONE, Event, EventType, validate
from .refusals import Refusal, Rule
from .state import Proposal, State, apply

# Rules the engine itself enforces (scenario rules are tagged R1..R14 in the files).
RULE_ROLE = Rule.ROLE  # not this role's action
RULE_AUTH = Rule.AUTH  # not this actor's command: raised as Forbidden, never recorded
RULE_ONCE = Rule.ONCE
RULE_PHASE = Rule.PHASE
RULE_MEMBERSHIP = Rule.MEMBERSHIP
RULE_CHANNEL_CLOSED = Rule.CHANNEL_CLOSED
RULE_ROLE_TAKEN = Rule.ROLE_TAKEN
RULE_NO_ROLE = Rule.NO_ROLE
RULE_CLOCK = Rule.CLOCK


@dataclass(frozen=True)
class Constraint:
    """One reason an action is limited, shown to the player before they try.

    No words: ``data`` holds the facts (as a refusal's) and ``exercises/wording.py`` writes them.
    """

    rule: str
    kind: str  # forbidden | phase | once | requires | role | approval | endorsement | vote | bypass
    data: dict[str, Any] = field(default_factory=dict)
    blocking: bool = True


@dataclass
class ActionView:
    action: Action
    constraints: list[Constraint] = field(default_factory=list)

    @property
    def available(self) -> bool:
        return not any(k.blocking for k in self.constraints)


class Decider:
    def __init__(self, scenario: Scenario, state: State, *, seed: int, wall: float) -> None:
        self.sc = scenario
        self.state = state
        self.seed = seed
        self.wall = wall
        self.now = state.game_time
        self.events: list[Event] = []
        self.bot_floor: dict[str, int] = {}  # per bot, the latest wake this run has handled
        self.bot_memo: dict[Any, Any] = {}
        self.bot_wakes: dict[str, tuple[tuple[int, str], int]] = {}

    # ------------------------------------------------------------------ plumbing
    def emit(
        self,
        type_: str,
        payload: dict[str, Any],
        audience: tuple[str, ...] | list[str],
        *,
        role: str = "",
        actor: str = "",
    ) -> Event:
        validate(type_, payload)  # a payload the catalogue does not describe is a bug: raise here
        event = Event(
            seq=self.state.seq + 1,
            type=type_,
            game_time=self.now,
            payload=payload,
            audience=tuple(dict.fromkeys(audience)),
            role=role,
            actor=actor,
        )
        apply(self.state, event)
        self.events.append(event)
        return event

    def rng(self, purpose: str) -> random.Random:
        return random.Random(f"{self.seed}:{self.state.seq + 1}:{purpose}")

    def side_roles(self, role: str) -> list[str]:
        return self.sc.roles_of([self.sc.side_of(role)])

    def proposal_audience(self, proposal: Proposal) -> list[str]:
        action = self.sc.action(proposal.action)
        approvers = [a.by for a in action.approvals]
        return self.side_roles(proposal.role) + approvers

    def indicator_audience(self, indicator: str) -> list[str]:
        visible = self.sc.indicator(indicator).visible_to
        return [EVERYONE] if ALL in visible else self.sc.roles_of(visible)

    def channel_audience(self, channel_id: str) -> list[str]:
        channel = self.sc.channel(channel_id)
        return [EVERYONE] if channel.public else self.sc.roles_of(channel.members)

    # ------------------------------------------------------------------ entry point
    def handle(self, actor: c.Actor, cmd: c.Cmd) -> None:
        if self.state.status == "ended" and cmd.type not in ("tick", "mark_seen", "add_note", "edit_report"):  # type: ignore[attr-defined]
            raise InvalidCommand("the exercise has ended")
        self.authorize(actor, cmd)  # before the clock moves: a forged command leaves the state untouched
        self.advance_clock()
        if isinstance(cmd, c.Tick):
            return
        handler = getattr(self, f"do_{cmd.type}")  # type: ignore[attr-defined]
        if isinstance(cmd, c.AsRole):
            handler(actor, cmd, self.acting_role(actor, cmd))
        else:
            handler(actor, cmd)
        self.settle()

    def authorize(self, actor: c.Actor, cmd: c.Cmd) -> None:
        """Is this the actor's command at all? Runs before the clock moves.

        A participant refused here sent a frame the UI never offers (``Forbidden``: logged as an
        attack, kept out of the record). A seat bot is the engine's own player, seated by the
        facilitator and moved by the clock, so it cannot forge anything: a bot asking for a
        facilitator command or for another role is a policy bug (``InvalidCommand``, which a bot's
        wake records as ``invalid`` in the log), never an attack.
        """
        if actor.kind == "bot":
            if cmd.type in c.FACILITATOR_ONLY:  # type: ignore[attr-defined]
                raise InvalidCommand("a bot plays a role; only the facilitator may do this")
            as_role = cmd.as_role if isinstance(cmd, c.AsRole) else None
            if actor.role not in self.state.bots or (as_role and as_role != actor.role):
                raise InvalidCommand(f"no bot plays {as_role or actor.role}")
            return
        if actor.kind != "participant":
            return
        seat = self.state.participants.get(actor.participant)
        if seat is not None and seat.removed:
            raise Forbidden("the facilitator removed you from this table")
        if cmd.type in c.FACILITATOR_ONLY:  # type: ignore[attr-defined]
            raise Forbidden("only the facilitator may do this")
        role = self.state.role_of(actor.participant)
        if isinstance(cmd, c.AsRole) and role and cmd.as_role and cmd.as_role != role:
            raise Forbidden(f"you hold {role}, not {cmd.as_role}")

    def acting_role(self, actor: c.Actor, cmd: c.AsRole) -> str:
        if actor.kind == "bot":
            return actor.role  # ``authorize`` checked that a bot plays it
        if actor.kind == "participant":
            role = self.state.role_of(actor.participant)
            if not role:
                raise Rejected(RULE_NO_ROLE, Refusal.NO_ROLE)
            if cmd.as_role and cmd.as_role != role:
                raise Forbidden(f"you hold {role}, not {cmd.as_role}")
            return role
        if not cmd.as_role or cmd.as_role not in self.sc.roles_by_id:
            raise InvalidCommand("as_role: name the role the facilitator acts for")
        if cmd.as_role in self.state.holders:
            raise Rejected(Rule.ROLE_FILLED, Refusal.ROLE_HELD, role=cmd.as_role)
        if cmd.as_role in self.state.bots:
            raise Rejected(Rule.ROLE_FILLED, Refusal.ROLE_BOT, role=cmd.as_role)
        return cmd.as_role

    # ------------------------------------------------------------------ the clock
    def advance_clock(self) -> None:
        """Catch game time up with the wall clock, firing everything due on the way."""
        while self.state.status == "running":
            phases = self.sc.phases
            index = self.sc.phase_index[self.state.phase]
            rate = phases[index].rate
            target = self.state.anchor_game + int((self.wall - self.state.anchor_wall) * rate)
            target = max(target, self.state.game_time)
            boundary = phases[index + 1].start if index + 1 < len(phases) else self.sc.clock.end
            if target < boundary:
                self.run_due(target)
                self.now = max(self.now, target)
                return
            # What falls due at the boundary belongs to the next phase, the end excepted.
            self.run_due(boundary if index + 1 == len(phases) else boundary - 1)
            self.now = boundary
            boundary_wall = self.state.anchor_wall + (boundary - self.state.anchor_game) / rate
            if index + 1 < len(phases):
                self.emit(EventType.PHASE_CHANGED, {"phase": phases[index + 1].id, "wall": boundary_wall}, [EVERYONE])
            else:
                self.emit(
                    EventType.PHASE_CHANGED,
                    {"phase": self.state.phase, "wall": boundary_wall, "stopped": True},
                    [EVERYONE],
                )

    def run_due(self, limit: int) -> None:
        while (item := self.next_due(limit)) is not None:
            when, _, key, thing = item
            self.now = max(self.now, when)
            if key == "delivery":
                self.deliver(thing)
            elif key == "approval":
                proposal, index = thing
                self.resolve_by_institution(proposal, index)
            elif key == "inject":
                self.release(thing, {"schedule": True})
            elif key == "pressure":
                self.check_pressure(*thing)
            elif key == "bot" and not self.bot_wake(thing, when):
                continue  # it looked and did nothing: nothing new can have come due
            self.settle()

    def next_due(self, limit: int) -> tuple[int, int, str, Any] | None:
        candidates: list[tuple[int, int, str, Any]] = []
        for d in self.state.deliveries:
            if d.due <= limit:
                candidates.append((d.due, 0, "delivery", d))
        for proposal in self.state.pending_proposals():
            for index, approval in enumerate(proposal.approvals):
                if approval.status == "pending" and approval.due is not None and approval.due <= limit:
                    if policy.answers(self.state, approval.approver, proposal.action):
                        continue  # a bot sits in the institution: it answers, not the dice
                    candidates.append((approval.due, 1, "approval", (proposal, index)))
        for inject in self.sc.injects:
            if inject.at is not None and inject.at <= limit and inject.id not in self.state.released:
                candidates.append((inject.at, 2, "inject", inject))
        start = self.sc.phases[0].start
        for pressure in self.sc.pressures:
            period = self.state.pressures.get(pressure.id, 0) + 1
            when = start + period * pressure.every
            if when <= limit:
                candidates.append((when, 3, "pressure", (pressure, period)))
        if self.state.status == "running":
            for role in self.state.bots:
                wake = self.bot_next_wake(role)
                if wake <= limit:
                    candidates.append((wake, 4, "bot", role))
        if not candidates:
            return None
        return min(candidates, key=lambda item: (item[0], item[1]))

    def settle(self) -> None:
        """Fire injects whose trigger now holds; each fires once, so this ends."""
        for _ in range(len(self.sc.injects) + 1):
            fired = False
            for inject in self.sc.injects:
                if (
                    inject.trigger is not None
                    and inject.id not in self.state.released
                    and holds(inject.trigger, self.state, self.sc, self.now)
                ):
                    self.release(inject, {"trigger": True})
                    fired = True
            if not fired:
                return

    # ------------------------------------------------------------------ seat bots
    def bot_next_wake(self, role: str) -> int:
        """The bot's next wake after what this run has handled (kept while its grid holds)."""
        seat = self.state.bots[role]
        after = max(self.state.game_time, self.bot_floor.get(role, self.state.game_time))
        grid = (seat.mark, self.state.phase)
        known = self.bot_wakes.get(role)
        if known is not None and known[0] == grid and known[1] > after:
            return known[1]
        wake = policy.next_wake(self.sc, self.state, role, seat, self.seed, after)
        self.bot_wakes[role] = (grid, wake)
        return wake

    def bot_wake(self, role: str, when: int) -> bool:
        """A seated bot looks at the table at ``when`` and may make one move. True if it did."""
        self.bot_floor[role] = when
        seat = self.state.bots[role]
        turn = policy.Turn(
            self.sc,
            self.state,
            role,
            seat,
            now=self.now,
            seed=self.seed,
            check=lambda action: [r.rule for r in self.check_action(role, action)],
            memo=self.bot_memo,
        )
        move = policy.decide(turn)
        if move is None:
            return False
        actor = c.Actor(kind="bot", role=role)
        try:
            getattr(self, f"do_{move.command.type}")(actor, move.command, role)  # type: ignore[attr-defined]
        except Rejected as refusal:
            self.reject(actor, move.command, refusal, role=role, move=move.key)
        except InvalidCommand as exc:  # a policy bug: say so in the log, and never try it again
            self.reject(
                actor, move.command, Rejected(Rule.INVALID, Refusal.INVALID, error=str(exc)), role=role, move=move.key
            )
        return True

    def reject(self, actor: c.Actor, cmd: c.Cmd, refusal: Rejected, *, role: str, move: str = "") -> None:
        data = {k: v for k, v in refusal.data.items() if isinstance(v, str | int | float | dict | list)}
        payload: dict[str, Any] = {
            "command": cmd.type,  # type: ignore[attr-defined]
            "rule": refusal.rule,
            "code": str(refusal.code),
            "data": data,
        }
        if move:
            payload["move"] = move
        self.emit(
            EventType.COMMAND_REJECTED,
            payload,
            [role] if role else [f"p:{actor.participant}"] if actor.participant else [],
            role=role,
            actor=actor.label,
        )

    def do_seat_bot(self, actor: c.Actor, cmd: c.SeatBot) -> None:
        if cmd.role not in self.sc.roles_by_id:
            raise InvalidCommand(f"role: no role {cmd.role!r} in this scenario")
        if cmd.role in self.state.bots:
            raise InvalidCommand("a bot already plays this role")
        holder = self.state.holders.get(cmd.role)
        if holder:
            name = self.state.participants[holder].name
            raise Rejected(RULE_ROLE_TAKEN, Refusal.ROLE_HELD, role=cmd.role, holder=name)
        problems = policy.order_problems(self.sc, cmd.role, cmd.orders)
        if problems:
            raise InvalidCommand("orders: " + "; ".join(problems))
        payload: dict[str, Any] = {"role": cmd.role, "policy": cmd.policy}
        if cmd.orders:
            payload["orders"] = dict(cmd.orders)
        self.emit(EventType.BOT_SEATED, payload, [EVERYONE], role=cmd.role, actor=actor.label)

    def do_unseat_bot(self, actor: c.Actor, cmd: c.UnseatBot) -> None:
        if cmd.role not in self.state.bots:
            raise InvalidCommand("no bot plays this role")
        self.emit(EventType.BOT_UNSEATED, {"role": cmd.role}, [EVERYONE], role=cmd.role, actor=actor.label)

    def check_pressure(self, pressure: Any, period: int) -> None:
        applies = holds(pressure.when, self.state, self.sc, self.now)
        self.emit(
            EventType.PRESSURE_CHECKED,
            {"pressure": pressure.id, "period": period, "applied": applies, "rule": pressure.rule},
            [],
        )
        if applies:
            self.apply_outcome(pressure.outcome, {"pressure": pressure.id, "rule": pressure.rule})

    # ------------------------------------------------------------------ effects
    def apply_outcome(self, outcome: Outcome, cause: dict[str, Any]) -> None:
        for effect in outcome.effects:
            self.change_indicator(effect.indicator, effect.delta, cause)
        for channel in outcome.opens:
            if not self.state.channels.get(channel):
                self.emit(
                    EventType.CHANNEL_OPENED, {"channel": channel, "cause": cause}, self.channel_audience(channel)
                )
        for channel in outcome.closes:
            if self.state.channels.get(channel):
                self.emit(
                    EventType.CHANNEL_CLOSED, {"channel": channel, "cause": cause}, self.channel_audience(channel)
                )
        for inject_id in outcome.triggers:
            if inject_id not in self.state.released:
                self.release(self.sc.inject(inject_id), cause)

    def change_indicator(self, indicator: str, delta: int, cause: dict[str, Any], reason: str = "") -> None:
        spec = self.sc.indicator(indicator)
        old = self.state.indicators[indicator]
        new = max(spec.min, min(spec.max, old + delta))
        if new == old:
            return
        payload = {"indicator": indicator, "value": new, "delta": new - old, "cause": cause}
        if reason:
            payload["reason"] = reason
        self.emit(EventType.INDICATOR_CHANGED, payload, self.indicator_audience(indicator))

    def release(self, inject: Inject, cause: dict[str, Any]) -> None:
        recipients = self.sc.roles_of(inject.recipients)
        if inject.delivery is not None:
            p = inject.delivery.probability.value(self.state.indicators)
            if self.rng("delivery").random() >= p:
                self.emit(
                    EventType.INJECT_LOST,
                    {"inject": inject.id, "rule": inject.delivery.rule, "probability": round(p, 3), "cause": cause},
                    [],
                )
                return
        audience = recipients + ([EVERYONE] if inject.public else [])
        self.emit(
            EventType.INJECT_RELEASED,
            {
                "inject": inject.id,
                "recipients": recipients,
                "public": inject.public,
                "hidden": inject.hidden,
                "cause": cause,
            },
            audience,
        )
        self.apply_outcome(inject.outcome, {"inject": inject.id})

    def deliver(self, delivery: Any) -> None:
        payload = {"message": delivery.message, "channel": delivery.channel, "text": delivery.text}
        if delivery.text_es:
            payload["text_es"] = delivery.text_es
        self.emit(
            EventType.MESSAGE_DELIVERED,
            payload,
            self.channel_audience(delivery.channel),
            role=delivery.role,
        )

    # ------------------------------------------------------------------ lobby
    def do_join(self, actor: c.Actor, cmd: c.Join) -> None:
        if actor.kind != "participant":
            raise InvalidCommand("only a participant joins")
        if actor.participant in self.state.participants:
            raise InvalidCommand("already joined")
        name = " ".join(cmd.name.split())
        if not name:
            raise InvalidCommand("name: give a display name")
        self.emit(
            EventType.PARTICIPANT_JOINED,
            {"participant": actor.participant, "name": name},
            [EVERYONE],
            actor=actor.label,
        )

    def _check_claimable(self, participant: str, role: str) -> None:
        if role not in self.sc.roles_by_id:
            raise InvalidCommand(f"role: no role {role!r} in this scenario")
        if self.sc.role(role).institution:
            raise Rejected(Rule.INSTITUTION, Refusal.INSTITUTION, role=role)
        if role in self.state.bots:
            raise Rejected(RULE_ROLE_TAKEN, Refusal.ROLE_BOT, role=role)
        holder = self.state.holders.get(role)
        if holder and holder != participant:
            name = self.state.participants[holder].name
            raise Rejected(RULE_ROLE_TAKEN, Refusal.ROLE_HELD, role=role, holder=name)

    def do_claim_role(self, actor: c.Actor, cmd: c.ClaimRole) -> None:
        if actor.participant not in self.state.participants:
            raise InvalidCommand("join first")
        self._check_claimable(actor.participant, cmd.role)
        current = self.state.role_of(actor.participant)
        if current == cmd.role:
            raise InvalidCommand("you already hold this role")
        if current:
            raise Rejected(Rule.ONE_ROLE, Refusal.ONE_ROLE, role=current)
        self.emit(
            EventType.ROLE_CLAIMED,
            {"participant": actor.participant, "role": cmd.role},
            [EVERYONE],
            role=cmd.role,
            actor=actor.label,
        )

    def do_assign_role(self, actor: c.Actor, cmd: c.AssignRole) -> None:
        if cmd.participant not in self.state.participants:
            raise InvalidCommand("participant: nobody with this id has joined")
        self._check_claimable(cmd.participant, cmd.role)
        current = self.state.role_of(cmd.participant)
        if current == cmd.role:
            return
        if current:
            self.emit(
                EventType.ROLE_RELEASED,
                {"participant": cmd.participant, "role": current},
                [EVERYONE],
                role=current,
                actor=actor.label,
            )
        self.emit(
            EventType.ROLE_CLAIMED,
            {"participant": cmd.participant, "role": cmd.role, "by": "facilitator"},
            [EVERYONE],
            role=cmd.role,
            actor=actor.label,
        )

    def do_release_role(self, actor: c.Actor, cmd: c.ReleaseRole) -> None:
        participant = actor.participant if actor.kind == "participant" else cmd.participant
        if actor.kind == "participant" and cmd.participant and cmd.participant != actor.participant:
            raise Forbidden("you can release only your own role")
        role = self.state.role_of(participant)
        if not role:
            raise InvalidCommand("no role to release")
        self.emit(
            EventType.ROLE_RELEASED,
            {"participant": participant, "role": role},
            [EVERYONE],
            role=role,
            actor=actor.label,
        )

    def do_remove_participant(self, actor: c.Actor, cmd: c.RemoveParticipant) -> None:
        seat = self.state.participants.get(cmd.participant)
        if seat is None or seat.removed:
            raise InvalidCommand("participant: nobody with this id is at the table")
        if seat.role:
            self.emit(
                EventType.ROLE_RELEASED,
                {"participant": cmd.participant, "role": seat.role, "by": "facilitator"},
                [EVERYONE],
                role=seat.role,
                actor=actor.label,
            )
        self.emit(
            EventType.PARTICIPANT_REMOVED,
            {"participant": cmd.participant, "name": seat.name},
            [EVERYONE],
            actor=actor.label,
        )

    # ------------------------------------------------------------------ facilitator
    def do_start(self, actor: c.Actor, cmd: c.Start) -> None:
        if self.state.status != "lobby":
            raise InvalidCommand("the exercise has already started")
        self.now = self.sc.phases[0].start
        self.emit(
            EventType.EXERCISE_STARTED, {"wall": self.wall, "phase": self.state.phase}, [EVERYONE], actor=actor.label
        )
        self.run_due(self.now)

    def do_pause(self, actor: c.Actor, cmd: c.Pause) -> None:
        if self.state.status != "running":
            raise InvalidCommand("the clock is not running")
        self.emit(EventType.EXERCISE_PAUSED, {"wall": self.wall}, [EVERYONE], actor=actor.label)

    def do_resume(self, actor: c.Actor, cmd: c.Resume) -> None:
        if self.state.status != "paused":
            raise InvalidCommand("the exercise is not paused")
        if self.state.game_time >= self.sc.clock.end:
            raise InvalidCommand("the scenario clock has reached its end")
        self.emit(EventType.EXERCISE_RESUMED, {"wall": self.wall}, [EVERYONE], actor=actor.label)

    def do_advance_phase(self, actor: c.Actor, cmd: c.AdvancePhase) -> None:
        if self.state.status == "lobby":
            raise InvalidCommand("start the exercise first")
        index = self.sc.phase_index[self.state.phase]
        if index + 1 >= len(self.sc.phases):
            raise InvalidCommand("this is the last phase")
        nxt = self.sc.phases[index + 1]
        self.run_due(nxt.start - 1)
        self.now = max(self.now, nxt.start)
        self.emit(
            EventType.PHASE_CHANGED,
            {"phase": nxt.id, "wall": self.wall, "by": "facilitator"},
            [EVERYONE],
            actor=actor.label,
        )
        self.run_due(self.now)

    def do_end(self, actor: c.Actor, cmd: c.End) -> None:
        self.emit(EventType.EXERCISE_ENDED, {"wall": self.wall}, [EVERYONE], actor=actor.label)

    def do_release_inject(self, actor: c.Actor, cmd: c.ReleaseInject) -> None:
        if cmd.inject not in self.sc.injects_by_id:
            raise InvalidCommand(f"inject: no inject {cmd.inject!r}")
        if cmd.inject in self.state.released:
            raise InvalidCommand("this inject has already been released")
        self.release(self.sc.inject(cmd.inject), {"facilitator": True})

    def do_adhoc_inject(self, actor: c.Actor, cmd: c.AdhocInject) -> None:
        known = set(self.sc.roles_by_id) | {s.id for s in self.sc.sides} | {ALL}
        unknown = [r for r in cmd.recipients if r not in known]
        if unknown:
            raise InvalidCommand(f"recipients: unknown {', '.join(unknown)}")
        recipients = self.sc.roles_of(cmd.recipients)
        self.emit(
            EventType.INJECT_RELEASED,
            {
                "inject": "",
                "adhoc": True,
                "title": cmd.title,
                "text": cmd.text,
                "recipients": recipients,
                "public": cmd.public,
                "hidden": False,
                "cause": {"facilitator": True},
            },
            recipients + ([EVERYONE] if cmd.public else []),
            actor=actor.label,
        )

    def do_adjust_indicator(self, actor: c.Actor, cmd: c.AdjustIndicator) -> None:
        if cmd.indicator not in self.sc.indicators_by_id:
            raise InvalidCommand(f"indicator: no indicator {cmd.indicator!r}")
        self.change_indicator(cmd.indicator, cmd.delta, {"facilitator": True}, reason=cmd.reason)

    def do_set_channel(self, actor: c.Actor, cmd: c.SetChannel) -> None:
        if cmd.channel not in self.sc.channels_by_id:
            raise InvalidCommand(f"channel: no channel {cmd.channel!r}")
        if self.state.channels[cmd.channel] == cmd.open:
            raise InvalidCommand("the channel is already " + ("open" if cmd.open else "closed"))
        self.emit(
            EventType.CHANNEL_OPENED if cmd.open else EventType.CHANNEL_CLOSED,
            {"channel": cmd.channel, "reason": cmd.reason, "cause": {"facilitator": True}},
            self.channel_audience(cmd.channel),
            actor=actor.label,
        )

    def do_resolve_approval(self, actor: c.Actor, cmd: c.ResolveApproval) -> None:
        proposal = self.pending(cmd.proposal)
        if cmd.approver in self.state.holders:
            raise Rejected(Rule.ROLE_FILLED, Refusal.ROLE_HELD, role=cmd.approver)
        if policy.answers(self.state, cmd.approver, proposal.action):
            raise Rejected(Rule.ROLE_FILLED, Refusal.ROLE_BOT, role=cmd.approver)
        index = self.pending_approval(proposal, cmd.approver)
        self.resolve(proposal, index, granted=cmd.grant, by="facilitator", reason=cmd.reason)

    def do_add_note(self, actor: c.Actor, cmd: c.AddNote) -> None:
        if cmd.role and cmd.role not in self.sc.roles_by_id:
            raise InvalidCommand(f"role: no role {cmd.role!r}")
        if cmd.event and cmd.event > self.state.seq:
            raise InvalidCommand("event: no such event yet")
        self.emit(
            EventType.NOTE_ADDED,
            {"text": cmd.text, "event": cmd.event, "role": cmd.role or "", "objective": cmd.objective or ""},
            [],
            role=cmd.role or "",
            actor=actor.label,
        )

    def do_edit_report(self, actor: c.Actor, cmd: c.EditReport) -> None:
        # The whole written report each time: the last ``report_edited`` is the report.
        self.emit(EventType.REPORT_EDITED, cmd.model_dump(exclude={"type"}), [], actor=actor.label)

    # ------------------------------------------------------------------ players
    def do_mark_seen(self, actor: c.Actor, cmd: c.MarkSeen) -> None:
        if actor.kind != "participant" or cmd.seq > self.state.seq:
            raise InvalidCommand("seq: nothing to acknowledge")
        if actor.participant in self.state.receipts.get(cmd.seq, []):
            return
        role = self.state.role_of(actor.participant)
        self.emit(
            EventType.INJECT_SEEN, {"seq": cmd.seq, "participant": actor.participant}, [], role=role, actor=actor.label
        )

    def do_send_message(self, actor: c.Actor, cmd: c.SendMessage, role: str) -> None:
        if cmd.channel not in self.sc.channels_by_id:
            raise InvalidCommand(f"channel: no channel {cmd.channel!r}")
        channel = self.sc.channel(cmd.channel)
        if role not in self.sc.roles_of(channel.members):
            raise Rejected(RULE_MEMBERSHIP, Refusal.NOT_MEMBER, role=role, channel=channel.id)
        if not self.state.channels[channel.id]:
            closed: dict[str, Any] = {"channel": channel.id}
            if channel.closed_reason:
                closed["reason"] = channel.closed_reason.model_dump()
            raise Rejected(channel.rule or RULE_CHANNEL_CLOSED, Refusal.CHANNEL_CLOSED, **closed)
        text = cmd.text.strip()
        if not text:
            raise InvalidCommand("text: the message is empty")
        payload: dict[str, Any] = {"channel": channel.id, "text": text}
        text_es = getattr(cmd, "text_es", "").strip()  # a seat bot's line, written in both languages
        if text_es:
            payload["text_es"] = text_es
        audience: list[str] = self.channel_audience(channel.id)
        if channel.delay:
            payload["deliver_at"] = self.now + channel.delay
            audience = [role]
        self.emit(EventType.MESSAGE_SENT, payload, audience, role=role, actor=actor.label)

    def check_action(self, role: str, action: Action) -> list[Rejected]:
        """Every rule that would refuse ``role`` proposing ``action`` now, most basic first."""
        found: list[Rejected] = []
        if role not in action.roles:
            found.append(Rejected(RULE_ROLE, Refusal.NOT_YOUR_ROLE, action=action.id, roles=list(action.roles)))
        if action.forbidden is not None:
            found.append(
                Rejected(
                    action.forbidden.rule,
                    Refusal.FORBIDDEN,
                    action=action.id,
                    reason=action.forbidden.reason.model_dump(),
                )
            )
        if action.phases and self.state.phase not in action.phases:
            found.append(Rejected(RULE_PHASE, Refusal.WRONG_PHASE, **self.phase_window(action)))
        if action.once and (
            self.state.executed.get(action.id) or any(p.action == action.id for p in self.state.pending_proposals())
        ):
            pending = not self.state.executed.get(action.id)
            found.append(Rejected(RULE_ONCE, Refusal.ONCE, action=action.id, pending=pending))
        for requirement in action.requires:
            if not holds(requirement.when, self.state, self.sc, self.now):
                found.append(
                    Rejected(
                        requirement.rule, Refusal.REQUIRES, action=action.id, reason=requirement.reason.model_dump()
                    )
                )
        return found

    def phase_window(self, action: Action) -> dict[str, Any]:
        """When ``action`` becomes possible: the next allowed phase and its game time (or none left)."""
        index = self.sc.phase_index[self.state.phase]
        later = [ph for ph in self.sc.phases[index + 1 :] if ph.id in action.phases]
        data: dict[str, Any] = {"action": action.id, "phase": self.state.phase, "phases": list(action.phases)}
        if later:
            data["opens"] = later[0].id
            data["at"] = later[0].start
        return data

    def do_propose_action(self, actor: c.Actor, cmd: c.ProposeAction, role: str) -> None:
        if cmd.action not in self.sc.actions_by_id:
            raise InvalidCommand(f"action: no action {cmd.action!r}")
        action = self.sc.action(cmd.action)
        if self.state.status not in ("running", "paused"):
            raise Rejected(RULE_CLOCK, Refusal.NOT_STARTED)
        refusals = self.check_action(role, action)
        if refusals:
            raise refusals[0]
        option = cmd.option or ""
        if action.options and option not in {o.id for o in action.options}:
            raise InvalidCommand(f"option: choose one of {', '.join(o.id for o in action.options)}")
        if not action.options and option:
            raise InvalidCommand("option: this action has no options")
        proposed = self.emit(
            EventType.ACTION_PROPOSED,
            {"action": action.id, "option": option, "rationale": cmd.rationale.strip(), "kind": action.kind},
            self.side_roles(role) + [a.by for a in action.approvals],
            role=role,
            actor=actor.label,
        )
        proposal = self.state.proposals[proposed.seq]
        if action.leak is not None:
            p = action.leak.probability.value(self.state.indicators)
            if self.rng("leak").random() < p and action.leak.inject not in self.state.released:
                self.release(self.sc.inject(action.leak.inject), {"leak": proposal.id, "rule": action.leak.rule})
        audience = self.proposal_audience(proposal)
        for approval in action.approvals:
            institution = self.sc.role(approval.by).institution
            self.emit(
                EventType.APPROVAL_REQUESTED,
                {
                    "proposal": proposal.id,
                    "approver": approval.by,
                    "rule": approval.rule,
                    "kind": approval.kind,
                    "due": self.now + approval.delay if institution else None,
                    "bypass": approval.bypass is not None,
                },
                audience,
                role=role,
            )
        if not action.approvals:
            self.execute(proposal)

    def pending(self, proposal_id: int) -> Proposal:
        proposal = self.state.proposals.get(proposal_id)
        if proposal is None or proposal.status != "pending":
            raise InvalidCommand("proposal: no pending proposal with this number")
        return proposal

    def pending_approval(self, proposal: Proposal, approver: str) -> int:
        for index, approval in enumerate(proposal.approvals):
            if approval.approver == approver and approval.status == "pending":
                return index
        raise Rejected(Rule.NOT_APPROVER, Refusal.NOT_APPROVER, approver=approver)

    def do_respond_approval(self, actor: c.Actor, cmd: c.RespondApproval, role: str) -> None:
        proposal = self.pending(cmd.proposal)
        index = self.pending_approval(proposal, role)
        self.resolve(proposal, index, granted=cmd.grant, by=role, reason=cmd.reason.strip(), actor=actor.label)

    def do_decide(self, actor: c.Actor, cmd: c.Decide, role: str) -> None:
        proposal = self.pending(cmd.proposal)
        if proposal.role != role:
            raise Forbidden("only the proposer can go ahead")
        specs = self.sc.action(proposal.action).approvals
        outstanding = [i for i, a in enumerate(proposal.approvals) if a.status == "pending"]
        for index in outstanding:
            if specs[index].bypass is None:
                raise Rejected(specs[index].rule, Refusal.MUST_ANSWER, approver=specs[index].by, action=proposal.action)
        for index in outstanding:
            self.emit(
                EventType.APPROVAL_RESOLVED,
                {
                    "proposal": proposal.id,
                    "approver": specs[index].by,
                    "status": "bypassed",
                    "by": role,
                    "rule": specs[index].rule,
                },
                self.proposal_audience(proposal),
                role=role,
                actor=actor.label,
            )
        self.execute(proposal, bypassed=[specs[i] for i in outstanding])

    def do_withdraw(self, actor: c.Actor, cmd: c.Withdraw, role: str) -> None:
        proposal = self.pending(cmd.proposal)
        if proposal.role != role:
            raise Forbidden("only the proposer can withdraw")
        self.emit(
            EventType.ACTION_WITHDRAWN,
            {"proposal": proposal.id, "action": proposal.action},
            self.proposal_audience(proposal),
            role=role,
            actor=actor.label,
        )

    # ------------------------------------------------------------------ approvals and execution
    def resolve_by_institution(self, proposal: Proposal, index: int) -> None:
        spec = self.sc.action(proposal.action).approvals[index]
        p = spec.probability.value(self.state.indicators) if spec.probability else 0.5
        rng = self.rng("approval")
        tally = None
        blocs = None
        granted = rng.random() < p
        if spec.vote is not None and self.sc.role(spec.by).seats:
            tally, blocs = bloc_tally(self.sc.role(spec.by).seats, spec.vote.majority, granted, rng)
        elif spec.vote is not None:
            # Chambers vote by blocs, so ``p`` is the chance the motion carries; the tally
            # then shows a plausible margin on the side it fell (the Senate refused Fox 71-41).
            members, majority = spec.vote.members, spec.vote.majority
            share = majority + rng.uniform(0.02, 0.3) if granted else majority - rng.uniform(0.02, 0.3)
            yes = max(0, min(members, round(share * members)))
            if granted and yes <= majority * members:
                yes = int(majority * members) + 1
            if not granted and yes > majority * members:
                yes = int(majority * members)
            tally = {"yes": yes, "no": members - yes}
        self.resolve(proposal, index, granted=granted, by="engine", probability=round(p, 3), tally=tally, blocs=blocs)

    def resolve(
        self,
        proposal: Proposal,
        index: int,
        *,
        granted: bool,
        by: str,
        reason: str = "",
        probability: float | None = None,
        tally: dict[str, int] | None = None,
        blocs: list[dict[str, Any]] | None = None,
        actor: str = "",
    ) -> None:
        spec: Approval = self.sc.action(proposal.action).approvals[index]
        payload: dict[str, Any] = {
            "proposal": proposal.id,
            "approver": spec.by,
            "status": "granted" if granted else "refused",
            "by": by,
            "rule": spec.rule,
            "kind": spec.kind,
        }
        if reason:
            payload["reason"] = reason
        if probability is not None:
            payload["probability"] = probability
        if tally is not None:
            payload["tally"] = tally
        if blocs is not None:
            payload["blocs"] = blocs
        audience = self.proposal_audience(proposal)
        self.emit(EventType.APPROVAL_RESOLVED, payload, audience, role=spec.by, actor=actor or by)
        if not granted:
            self.emit(
                EventType.ACTION_REFUSED,
                {"proposal": proposal.id, "action": proposal.action, "rule": spec.rule, "approver": spec.by},
                audience,
                role=proposal.role,
            )
            self.apply_outcome(spec.on_refused, {"refused": proposal.id, "rule": spec.rule})
        elif all(a.status in ("granted", "bypassed") for a in proposal.approvals):
            self.execute(proposal)

    def execute(self, proposal: Proposal, bypassed: list[Approval] | None = None) -> None:
        action = self.sc.action(proposal.action)
        option = next((o for o in action.options if o.id == proposal.option), None)
        side = self.sc.side_of(proposal.role)
        chance = None
        if action.chance is not None:
            p = action.chance.probability.value(self.state.indicators)
            chance = {
                "probability": round(p, 3),
                "success": self.rng("chance").random() < p,
                "rule": action.chance.rule,
            }
        payload: dict[str, Any] = {
            "proposal": proposal.id,
            "action": action.id,
            "option": proposal.option,
            "side": side,
            "kind": action.kind,
        }
        if action.statement:
            payload["statement"] = action.statement
            payload["stance"] = option.stance if option and option.stance else proposal.option
        if bypassed:
            payload["bypassed"] = [{"approver": b.by, "rule": b.bypass.rule or b.rule} for b in bypassed if b.bypass]
        if chance is not None:
            payload["chance"] = chance
        public = bool(action.statement)
        audience = [EVERYONE] if public else self.proposal_audience(proposal)
        prior = list(self.state.statements.get(side, {}).get(action.statement or "", []))
        self.emit(EventType.ACTION_EXECUTED, payload, audience, role=proposal.role)
        cause = {"action": action.id, "proposal": proposal.id}
        self.apply_outcome(action.outcome, cause)
        if option is not None:
            self.apply_outcome(option.outcome, cause)
        for approval in bypassed or []:
            if approval.bypass is not None:
                self.apply_outcome(
                    approval.bypass.outcome,
                    {**cause, "bypass": approval.by, "rule": approval.bypass.rule or approval.rule},
                )
        if action.chance is not None and chance is not None:
            self.apply_outcome(
                action.chance.success if chance["success"] else action.chance.failure,
                {**cause, "rule": action.chance.rule},
            )
        if action.statement and any(stance != payload["stance"] for stance in prior):
            self.emit(
                EventType.CONTRADICTION,
                {
                    "side": side,
                    "topic": action.statement,
                    "stances": [*prior, payload["stance"]],
                    "rule": self.sc.consistency.rule,
                    "proposal": proposal.id,
                },
                self.sc.roles_of([side]),
            )
            self.apply_outcome(
                self.sc.consistency.on_contradiction,
                {EventType.CONTRADICTION: action.statement, "rule": self.sc.consistency.rule},
            )


def bloc_tally(
    seats: list[Seat], majority: float, granted: bool, rng: random.Random
) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """A chamber's tally by party bloc (R10), consistent with the outcome already drawn.

    Blocs join the yes side in order of their ``lean`` towards the government (with a little
    noise): for a motion that carries, until the yes votes pass the threshold; for one that
    fails, only while they stay under it. So the president's party votes yes on either side
    of the result, and a refused budget still shows its seats. A few members of a bloc may
    break ranks, never enough to change the result.
    """
    members = sum(s.seats for s in seats)
    need = majority * members  # the motion carries when yes > need
    order = sorted(seats, key=lambda s: -(s.lean + rng.uniform(-0.15, 0.15)))
    yes_by: dict[str, int] = {}
    total = 0
    for seat in order:
        joins = total <= need if granted else total + seat.seats <= need
        yes_by[seat.party] = seat.seats if joins else 0
        total += yes_by[seat.party]
    for seat in order:
        rebels = rng.randint(0, seat.seats // 30)
        moved = -rebels if yes_by[seat.party] else rebels
        if rebels and (total + moved > need) == granted:
            yes_by[seat.party] += moved
            total += moved
    blocs = [{"party": s.party, "seats": s.seats, "yes": yes_by[s.party]} for s in seats]
    return {"yes": total, "no": members - total}, blocs


# ---------------------------------------------------------------------- public API


def run(
    scenario: Scenario, state: State, actor: c.Actor, cmd: c.Cmd, *, seed: int, wall: float
) -> tuple[list[Event], State]:
    """Run one command: return the new events (a rejection included) and the evolved state.

    ``state`` itself is evolved (the caller owns it: services.execute passes the row's state,
    locked). Raises ``InvalidCommand`` for malformed input: then nothing happened at all.
    """
    decider = Decider(scenario, state, seed=seed, wall=wall)
    try:
        decider.handle(actor, cmd)
    except Rejected as refusal:
        role = ""
        if actor.kind == "participant":
            role = decider.state.role_of(actor.participant)
        elif actor.kind == "bot":
            role = actor.role
        elif isinstance(cmd, c.AsRole) and cmd.as_role:
            role = cmd.as_role
        decider.reject(actor, cmd, refusal, role=role)
    return decider.events, decider.state


def game_now(scenario: Scenario, state: State, wall: float) -> int:
    """The game time on the clock at ``wall``, without firing anything (for display)."""
    if state.status != "running":
        return state.anchor_game if state.status != "ended" else state.game_time
    index = scenario.phase_index[state.phase]
    rate = scenario.phases[index].rate
    boundary = scenario.phases[index + 1].start if index + 1 < len(scenario.phases) else scenario.clock.end
    return max(state.game_time, min(boundary, state.anchor_game + int((wall - state.anchor_wall) * rate)))


def next_due(scenario: Scenario, state: State, *, seed: int = 0) -> int | None:
    """Game time at which the clock next has something to do (None when stopped).

    Lets a ticker skip the locked write path while nothing is due. A seated bot's next wake
    counts (its times are drawn from ``seed``), whether or not it will find a move to make.
    """
    if state.status != "running":
        return None
    decider = Decider(scenario, state, seed=seed, wall=0.0)
    index = scenario.phase_index[state.phase]
    boundary = scenario.phases[index + 1].start if index + 1 < len(scenario.phases) else scenario.clock.end
    item = decider.next_due(boundary)
    return item[0] if item is not None else boundary


def opening_event(scenario: Scenario, *, content_hash: str, seed: int, title: str) -> Event:
    """Event 1 of every exercise: which scenario version and seed it runs."""
    payload = {
        "scenario": scenario.slug,
        "version": scenario.version,
        "hash": content_hash,
        "seed": seed,
        "title": title,
    }
    validate(EventType.EXERCISE_CREATED, payload)
    return Event(
        seq=1,
        type=EventType.EXERCISE_CREATED,
        game_time=scenario.phases[0].start,
        payload=payload,
        audience=(EVERYONE,),
        actor="facilitator",
    )


def action_views(scenario: Scenario, state: State, role: str, *, now: int | None = None) -> list[ActionView]:
    """The actions ``role`` may take, each with the constraints a player sees before trying."""
    decider = Decider(scenario, state, seed=0, wall=0.0)
    if now is not None:
        decider.now = now
    views = []
    for action in scenario.actions:
        if role not in action.roles:
            continue
        view = ActionView(action)
        for refusal in decider.check_action(role, action):
            kind = {
                Refusal.ONCE: "once",
                Refusal.WRONG_PHASE: "phase",
                Refusal.FORBIDDEN: "forbidden",
                Refusal.NOT_YOUR_ROLE: "role",
            }.get(refusal.code, "requires")
            view.constraints.append(Constraint(refusal.rule, kind, {"code": str(refusal.code), **refusal.data}))
        for approval in action.approvals:
            view.constraints.append(Constraint(approval.rule, approval.kind, {"approver": approval.by}, blocking=False))
            if approval.bypass is not None:
                view.constraints.append(
                    Constraint(
                        approval.bypass.rule or approval.rule, "bypass", {"approver": approval.by}, blocking=False
                    )
                )
        views.append(view)
    return views
