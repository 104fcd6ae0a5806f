"""Decisions: every proposal and its fate (``Decision``), with each approval asked for it and how
long it took (``ApprovalRow``), read from the log in one pass (``decisions``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from exercises.engine.clock import duration_label
from exercises.engine.events import PROPOSAL_LIFE, EventType

from .log import Entry, Log

# What became of a proposal, by the event that closed it.
OUTCOMES: dict[str, str] = {
    EventType.ACTION_EXECUTED: "executed",
    EventType.ACTION_REFUSED: "refused",
    EventType.ACTION_WITHDRAWN: "withdrawn",
}


@dataclass
class ApprovalRow:
    proposal: int
    action: str
    action_title: str
    proposer: str
    approver: str
    approver_title: str
    rule: str
    kind: str
    requested_seq: int
    requested_game: int
    requested_wall: datetime
    status: str = "pending"
    by: str = ""
    reason: str = ""
    resolved_seq: int | None = None
    resolved_game: int | None = None
    resolved_wall: datetime | None = None
    tally: dict[str, int] | None = None
    probability: float | None = None

    @property
    def delay_game(self) -> int | None:
        return None if self.resolved_game is None else self.resolved_game - self.requested_game

    @property
    def delay_wall(self) -> float | None:
        return None if self.resolved_wall is None else (self.resolved_wall - self.requested_wall).total_seconds()

    @property
    def delay_label(self) -> str:
        return duration_label(self.delay_game)

    @property
    def wall_delay_label(self) -> str:
        return duration_label(self.delay_wall)

    @property
    def flagged(self) -> bool:
        return self.status in ("refused", "pending", "cancelled", "bypassed") or bool(self.delay_game)


@dataclass
class Decision:
    """One proposal and its fate: rationale, who cleared or blocked it, under which rule."""

    seq: int
    action: str
    title: str
    role: str
    role_title: str
    side: str
    option: str
    option_label: str
    rationale: str
    kind: str
    game_time: int
    wall: datetime
    actor: str
    phase: str
    status: str = "pending"
    approvals: list[ApprovalRow] = field(default_factory=list)
    outcome_seq: int | None = None
    outcome_game: int | None = None
    outcome_wall: datetime | None = None
    refused_rule: str = ""
    refused_by: str = ""
    bypassed: list[dict[str, str]] = field(default_factory=list)
    chance: dict[str, Any] | None = None
    public: bool = False
    entry: Entry | None = None  # the action_proposed event

    @property
    def took_game(self) -> int | None:
        return None if self.outcome_game is None else self.outcome_game - self.game_time

    @property
    def took_label(self) -> str:
        return duration_label(self.took_game)


def decisions(log: Log) -> list[Decision]:
    found: dict[int, Decision] = {}
    for e in log.entries:
        if e.type not in PROPOSAL_LIFE:
            continue
        p = e.payload
        if e.type == EventType.ACTION_PROPOSED:
            found[e.seq] = Decision(
                seq=e.seq,
                action=p["action"],
                title=log.action_title(p["action"]),
                role=e.role,
                role_title=log.role_title(e.role),
                side=e.side,
                option=p.get("option") or "",
                option_label=log.option_label(p["action"], p.get("option") or ""),
                rationale=p.get("rationale") or "",
                kind=p.get("kind") or "",
                game_time=e.game_time,
                wall=e.wall,
                actor=log.actor_label(e.actor),
                phase=e.phase,
                entry=e,
            )
            continue
        d = found.get(int(p.get("proposal") or 0))
        if d is None:
            continue
        if e.type == EventType.APPROVAL_REQUESTED:
            d.approvals.append(
                ApprovalRow(
                    proposal=d.seq,
                    action=d.action,
                    action_title=d.title,
                    proposer=d.role_title,
                    approver=p["approver"],
                    approver_title=log.role_title(p["approver"]),
                    rule=p.get("rule", ""),
                    kind=p.get("kind", ""),
                    requested_seq=e.seq,
                    requested_game=e.game_time,
                    requested_wall=e.wall,
                )
            )
        elif e.type == EventType.APPROVAL_RESOLVED:
            for a in d.approvals:
                if a.approver == p["approver"] and a.status == "pending":
                    a.status = p["status"]
                    a.by = {"engine": _("the institution"), "facilitator": _("the facilitator")}.get(
                        p.get("by", ""), log.role_title(p.get("by", ""))
                    )
                    a.reason = p.get("reason", "")
                    a.resolved_seq, a.resolved_game, a.resolved_wall = e.seq, e.game_time, e.wall
                    a.tally = p.get("tally")
                    a.probability = p.get("probability")
                    break
        else:
            d.status = OUTCOMES[e.type]
            d.outcome_seq, d.outcome_game, d.outcome_wall = e.seq, e.game_time, e.wall
            if e.type == EventType.ACTION_REFUSED:
                d.refused_rule = p.get("rule", "")
                d.refused_by = log.role_title(p.get("approver", ""))
            elif e.type == EventType.ACTION_EXECUTED:
                d.bypassed = [
                    {"approver": log.role_title(b["approver"]), "rule": b.get("rule", "")}
                    for b in p.get("bypassed") or []
                ]
                d.chance = p.get("chance")
                d.public = e.public
            if e.type != EventType.ACTION_EXECUTED:
                for a in d.approvals:
                    if a.status == "pending":
                        a.status = "cancelled"
    return list(found.values())
