"""Coordination analytics: first responses to injects, who talked to whom, the rules that blocked
players, contradictory public statements (decisions and approvals: ``review.decisions``)."""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from exercises.engine.clock import duration_label
from exercises.engine.events import EventType
from exercises.wording import rejection
from scenarios.schema import Scenario

from .log import Entry, Log

# A role "responds" to an inject by talking, proposing or answering an approval.
RESPONSE_TYPES = frozenset({EventType.MESSAGE_SENT, EventType.ACTION_PROPOSED, EventType.APPROVAL_RESOLVED})


@dataclass
class Response:
    role: str
    title: str
    entry: Entry | None
    kind: str = ""
    game: int | None = None
    wall: float | None = None

    @property
    def game_label(self) -> str:
        return duration_label(self.game)

    @property
    def wall_label(self) -> str:
        return duration_label(self.wall)


@dataclass
class InjectResponses:
    entry: Entry
    title: str
    lost: bool
    public: bool
    responses: list[Response]
    grid: list[Response | None] = field(default_factory=list)  # one cell per playable role; None: not a recipient

    @property
    def answered(self) -> int:
        return sum(1 for r in self.responses if r.entry is not None)


@dataclass
class RuleCount:
    rule: str
    rejected: int = 0
    refused: int = 0
    by_role: Counter[str] = field(default_factory=Counter)
    example: str = ""

    @property
    def total(self) -> int:
        return self.rejected + self.refused

    @property
    def who(self) -> list[tuple[str, int]]:
        return self.by_role.most_common()


@dataclass
class Statement:
    seq: int
    role: str
    stance: str
    public: bool


@dataclass
class Contradiction:
    entry: Entry
    side: str
    topic: str
    stances: list[str]
    rule: str
    statements: list[Statement]  # every statement by this side on this topic, up to the contradiction

    @property
    def latest(self) -> Statement | None:
        return self.statements[-1] if self.statements else None

    @property
    def previous(self) -> Statement | None:
        """The last earlier statement that the latest one contradicts."""
        latest = self.latest
        return next((s for s in reversed(self.statements[:-1]) if latest and s.stance != latest.stance), None)


@dataclass
class Matrix:
    roles: list[str]
    titles: list[str]
    cells: list[list[int]]  # cells[sender][receiver]
    sent: list[int]
    received: list[int]
    max: int
    by_channel: list[tuple[str, int]]

    @property
    def rows(self) -> list[tuple[str, list[tuple[int, float]], int]]:
        """Per sender: its title, (count, shade 0..1) per receiver, and its total."""
        top = self.max or 1
        return [(self.titles[i], [(n, n / top) for n in row], self.sent[i]) for i, row in enumerate(self.cells)]


def role_order(scenario: Scenario, role: str) -> int:
    return next((n for n, r in enumerate(scenario.roles) if r.id == role), 999)


def playable_roles(scenario: Scenario) -> list[str]:
    return [r.id for r in scenario.roles if not r.institution]


def responses(log: Log) -> list[InjectResponses]:
    """For every inject, each recipient role's first message, proposal or approval answer after it."""
    scenario = log.scenario
    playable = set(playable_roles(scenario))
    acts: dict[str, list[Entry]] = defaultdict(list)
    for e in log.of_type(*RESPONSE_TYPES):
        if e.role:
            if e.type == EventType.APPROVAL_RESOLVED and e.payload.get("by") == "engine":
                continue  # an institution answering by itself is not a player's response
            acts[e.role].append(e)
    seqs = {role: [e.seq for e in items] for role, items in acts.items()}
    out = []
    for e in log.of_type(EventType.INJECT_RELEASED, EventType.INJECT_LOST):
        lost = e.type == EventType.INJECT_LOST
        if lost:
            inject = scenario.injects_by_id.get(e.payload.get("inject", ""))
            recipients = scenario.roles_of(inject.recipients) if inject else []
        else:
            recipients = e.payload.get("recipients") or []
        rows = []
        for role in recipients:
            if role not in playable:
                continue
            if lost:
                rows.append(Response(role, log.role_title(role), None))
                continue
            index = bisect.bisect_right(seqs.get(role, []), e.seq)
            first = acts[role][index] if index < len(seqs.get(role, [])) else None
            if first is None:
                rows.append(Response(role, log.role_title(role), None))
            else:
                rows.append(
                    Response(
                        role,
                        log.role_title(role),
                        first,
                        kind=first.type,
                        game=first.game_time - e.game_time,
                        wall=(first.wall - e.wall).total_seconds(),
                    )
                )
        by_role = {r.role: r for r in rows}
        out.append(
            InjectResponses(
                entry=e,
                title=log.inject_title(e.payload.get("inject", ""), e.payload),
                lost=lost,
                public=e.public,
                responses=rows,
                grid=[by_role.get(role) for role in playable_roles(scenario)],
            )
        )
    return out


def talk_matrix(log: Log) -> Matrix:
    """Messages sent by each role to each member of the channel it used (public channels: everyone)."""
    scenario = log.scenario
    roles = playable_roles(scenario)
    index = {r: n for n, r in enumerate(roles)}
    members = {ch.id: [r for r in scenario.roles_of(ch.members) if r in index] for ch in scenario.channels}
    cells = [[0] * len(roles) for _ in roles]
    per_channel: Counter[str] = Counter()
    for e in log.of_type(EventType.MESSAGE_SENT):
        if e.role not in index:
            continue
        channel = e.payload.get("channel", "")
        per_channel[channel] += 1
        row = cells[index[e.role]]
        for r in members.get(channel, ()):
            if r != e.role:
                row[index[r]] += 1
    sent = [sum(row) for row in cells]
    received = [sum(cells[i][j] for i in range(len(roles))) for j in range(len(roles))]
    top = max((n for row in cells for n in row), default=0)
    return Matrix(
        roles=roles,
        titles=[log.role_title(r) for r in roles],
        cells=cells,
        sent=sent,
        received=received,
        max=top,
        by_channel=[(log.channel_name(ch), n) for ch, n in per_channel.most_common()],
    )


def blocking_rules(log: Log) -> list[RuleCount]:
    """Which rules refused players most: ``command_rejected`` and ``action_refused``, by rule tag."""
    counts: dict[str, RuleCount] = {}
    for e in log.of_type(EventType.COMMAND_REJECTED, EventType.ACTION_REFUSED):
        rule = e.payload.get("rule", "") or "?"
        row = counts.setdefault(rule, RuleCount(rule))
        if e.type == EventType.COMMAND_REJECTED:
            row.rejected += 1
            row.example = row.example or rejection(e.payload, log.scenario, log.lang)
        else:
            row.refused += 1
        row.by_role[log.role_title(e.role) if e.role else log.actor_label(e.actor)] += 1
    return sorted(counts.values(), key=lambda r: (-r.total, r.rule))


def contradictions(log: Log) -> list[Contradiction]:
    """Each public contradiction, with the statements on that topic by that side up to it."""
    out = []
    said: dict[tuple[str, str], list[Statement]] = defaultdict(list)
    for e in log.of_type(EventType.ACTION_EXECUTED, EventType.CONTRADICTION):
        p = e.payload
        if e.type == EventType.ACTION_EXECUTED and p.get("statement"):
            stance = log.option_label(p.get("action", ""), p.get("option", "")) or p.get("stance", "")
            said[(p.get("side", ""), p["statement"])].append(Statement(e.seq, log.role_title(e.role), stance, e.public))
        elif e.type == EventType.CONTRADICTION:
            statements = list(said[(p.get("side", ""), p.get("topic", ""))])
            labels = {
                (o.stance or o.id): o.label.get(log.lang)
                for a in log.scenario.actions
                if a.statement == p.get("topic")
                for o in a.options
            }
            out.append(
                Contradiction(
                    e,
                    log.side_name(p.get("side", "")),
                    log.topic_label(p.get("topic", "")),
                    [labels.get(stance, stance) for stance in p.get("stances") or []],
                    p.get("rule", ""),
                    statements,
                )
            )
    return out
