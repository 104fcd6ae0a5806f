"""A role's screen at an earlier event, drawn from the log (``replay``). Another helper replaces it
with the live screens at an earlier seq."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from exercises import engine
from exercises.engine.clock import offset_label
from exercises.engine.events import EventType
from scenarios.schema import ALL

from .log import Entry, Log
from .timeline import Row, make_row

# Left out of a replayed feed: bookkeeping, or shown in their own panel.
NOT_IN_FEED = frozenset(
    {
        EventType.PARTICIPANT_JOINED,
        EventType.ROLE_CLAIMED,
        EventType.ROLE_RELEASED,
        EventType.INJECT_SEEN,
        EventType.PRESSURE_CHECKED,
        EventType.MESSAGE_SENT,
        EventType.MESSAGE_DELIVERED,
    }
)


# --------------------------------------------------------------------------- replay


@dataclass
class ReplayMessage:
    entry: Entry
    channel: str
    sender: str
    text: str
    in_transit: bool
    clock: datetime
    offset: str


@dataclass
class PendingApproval:
    proposal: int
    action: str
    proposer: str
    rule: str
    waiting_on: list[str]
    since: str


@dataclass
class Screen:
    """A role's screen as it was right after event ``seq``: built from the log, filtered by ``can_see``."""

    role: str
    title: str
    holder: str
    seq: int
    last_seq: int
    game_time: int
    clock: datetime
    offset: str
    phase: str
    status: str
    indicators: list[tuple[str, int, int]]  # name, value, percent of its range
    feed: list[Row]
    feed_total: int
    messages: list[ReplayMessage]
    messages_total: int
    to_answer: list[PendingApproval]
    waiting: list[PendingApproval]
    channels: list[tuple[str, bool]]
    injects: list[tuple[str, datetime, str]]
    ticks: list[tuple[int, str]]  # seq of each phase change, its title (scrubber marks)


def replay_viewer(log: Log, role: str, state: engine.State) -> engine.Viewer:
    if role == "facilitator":
        return engine.FACILITATOR_VIEW
    if role in log.scenario.roles_by_id:
        return engine.Viewer(role=role, participant=state.holders.get(role, ""))
    return engine.PUBLIC_VIEW


def replay(log: Log, *, role: str, seq: int, feed_size: int = 40, message_size: int = 40) -> Screen:
    """What ``role`` ("" for the projector) could see right after event ``seq``: fold to ``seq``, then ``can_see``."""
    seq = max(1, min(seq, log.last_seq)) if log.entries else 0
    state = log.state_at(seq)
    viewer = replay_viewer(log, role, state)
    sc = log.scenario
    seen = [e for e in log.entries if e.seq <= seq and engine.can_see(e.event(), viewer)]
    feed_entries = [e for e in seen if e.type not in NOT_IN_FEED and e.type != EventType.REPORT_EDITED]
    message_entries = [e for e in seen if e.type in (EventType.MESSAGE_SENT, EventType.MESSAGE_DELIVERED)]
    delivered = {e.payload.get("message") for e in message_entries if e.type == EventType.MESSAGE_DELIVERED}
    messages = []
    for e in reversed(message_entries[-message_size:]):
        messages.append(
            ReplayMessage(
                entry=e,
                channel=log.channel_name(e.payload.get("channel", "")),
                sender=log.role_title(e.role),
                text=e.payload.get("text", ""),
                in_transit=e.type == EventType.MESSAGE_SENT
                and e.payload.get("deliver_at") is not None
                and e.seq not in delivered,
                clock=log.game_clock(e.game_time),
                offset=offset_label(e.game_time),
            )
        )
    feed = [make_row(log, e, public=not viewer.facilitator) for e in reversed(feed_entries[-feed_size:])]
    indicators = []
    for spec in sc.indicators:
        if viewer.facilitator or ALL in spec.visible_to or (role and role in sc.roles_of(spec.visible_to)):
            value = state.indicators.get(spec.id, spec.start)
            indicators.append((spec.name.get(log.lang), value, round((value - spec.min) / (spec.max - spec.min) * 100)))
    to_answer, waiting = [], []
    visible_seqs = {e.seq for e in seen}
    for proposal in state.pending_proposals():
        if proposal.id not in visible_seqs:
            continue
        outstanding = [a for a in proposal.approvals if a.status == "pending"]
        item = PendingApproval(
            proposal=proposal.id,
            action=log.action_title(proposal.action),
            proposer=log.role_title(proposal.role),
            rule=", ".join(a.rule for a in outstanding),
            waiting_on=[log.role_title(a.approver) for a in outstanding],
            since=offset_label(proposal.game_time),
        )
        if viewer.facilitator or any(a.approver == role for a in outstanding):
            to_answer.append(item)
        elif proposal.role == role or (role and sc.side_of(proposal.role) == sc.side_of(role)):
            waiting.append(item)
    if viewer.facilitator:
        channels = [(c.name.get(log.lang), state.channels.get(c.id, False)) for c in sc.channels]
    elif role:
        channels = [
            (c.name.get(log.lang), state.channels.get(c.id, False))
            for c in sc.channels
            if role in sc.roles_of(c.members)
        ]
    else:
        channels = [(c.name.get(log.lang), state.channels.get(c.id, False)) for c in sc.channels if c.public]
    injects = [
        (
            log.inject_title(e.payload.get("inject", ""), e.payload),
            log.game_clock(e.game_time),
            offset_label(e.game_time),
        )
        for e in reversed(seen)
        if e.type == EventType.INJECT_RELEASED
    ]
    holder = state.holders.get(role, "")
    entry = log.by_seq.get(seq)
    game_time = entry.game_time if entry else state.game_time
    return Screen(
        role=role,
        title=_("Facilitator (everything)")
        if role == "facilitator"
        else log.role_title(role)
        if role
        else _("Projector (public)"),
        holder=state.participants[holder].name if holder in state.participants else "",
        seq=seq,
        last_seq=log.last_seq,
        game_time=game_time,
        clock=log.game_clock(game_time),
        offset=offset_label(game_time),
        phase=log.phase_title(state.phase),
        status=state.status,
        indicators=indicators,
        feed=feed,
        feed_total=len(feed_entries),
        messages=messages,
        messages_total=len(message_entries),
        to_answer=to_answer,
        waiting=waiting,
        channels=channels,
        injects=injects,
        ticks=[
            (e.seq, log.phase_title(e.payload.get("phase") or sc.phases[0].id))
            for e in log.entries
            if e.type == EventType.EXERCISE_STARTED
            or (e.type == EventType.PHASE_CHANGED and not e.payload.get("stopped"))
        ],
    )
