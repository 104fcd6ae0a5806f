"""The panels of the live screens, as plain data for the templates: channels, indicators,
action cards, proposals and approvals, the role brief, and the console's inject list.

Everything built here is already filtered for its viewer (the scenario's ``visible_to`` and
``members`` lists, ``Snapshot.visible_proposals``), so a template only lays it out and never
decides what someone may see. Pages (``views``) and pushes (``screens.frames``) both build
their fragments from these functions, so a pushed fragment is the one the page would have
rendered. Seats and people are in ``roster``. Call inside ``translation.override(lang)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from exercises import engine, wording
from exercises.engine import Viewer
from exercises.engine.clock import offset_label
from exercises.engine.events import EventType
from exercises.engine.policy import answers as bot_answers
from scenarios.schema import ALL, Inject

from .feed import Message
from .labels import APPROVAL_STATUS, audience_label
from .snapshot import Snapshot


@dataclass
class ChannelView:
    id: str
    name: str
    open: bool
    public: bool
    closed_reason: str = ""
    rule: str = ""
    description: str = ""
    delay: str = ""
    members: str = ""
    can_write: bool = False
    messages: list[Message] = field(default_factory=list)
    older_url: str = ""  # the page of messages before these (contexts.message_page)


def channels(snap: Snapshot, viewer: Viewer, lang: str, *, as_role: str = "") -> list[ChannelView]:
    """The channels the viewer belongs to (all of them for the facilitator)."""
    sc = snap.scenario
    role = as_role or viewer.role
    out = []
    for channel in sc.channels:
        members = sc.roles_of(channel.members)
        if not viewer.facilitator and role not in members:
            continue
        if as_role and as_role not in members:
            continue
        is_open = snap.state.channels.get(channel.id, channel.open)
        out.append(
            ChannelView(
                id=channel.id,
                name=channel.name.get(lang),
                open=is_open,
                public=channel.public,
                closed_reason=channel.closed_reason.get(lang) if channel.closed_reason and not is_open else "",
                rule=channel.rule,
                description=channel.description.get(lang) if channel.description else "",
                delay=offset_label(channel.delay).removeprefix("T+") if channel.delay else "",
                members=audience_label(sc, members, lang) if not channel.public else "",
                can_write=bool(role) and role in members,
            )
        )
    return out


# --------------------------------------------------------------------------- indicators


@dataclass
class IndicatorView:
    id: str
    name: str
    meaning: str
    value: int
    min: int
    max: int
    percent: int
    public: bool


def indicators(snap: Snapshot, viewer: Viewer, lang: str) -> list[IndicatorView]:
    sc = snap.scenario
    out = []
    for ind in sc.indicators:
        public = ALL in ind.visible_to
        if not (viewer.facilitator or public or (viewer.role and viewer.role in sc.roles_of(ind.visible_to))):
            continue
        value = snap.state.indicators.get(ind.id, ind.start)
        out.append(
            IndicatorView(
                id=ind.id,
                name=ind.name.get(lang),
                meaning=ind.meaning.get(lang),
                value=value,
                min=ind.min,
                max=ind.max,
                percent=round(100 * (value - ind.min) / (ind.max - ind.min)),
                public=public,
            )
        )
    return out


# --------------------------------------------------------------------------- actions


@dataclass
class ConstraintView:
    rule: str
    kind: str
    text: str
    blocking: bool
    explain: str = ""  # the rule's one-line explanation, shown when its short name is opened


@dataclass
class ActionCard:
    id: str
    title: str
    description: str
    rule: str
    available: bool
    needs_approval: bool
    options: list[tuple[str, str]]
    constraints: list[ConstraintView]
    done: int = 0


def actions(snap: Snapshot, role: str, lang: str) -> list[ActionCard]:
    sc = snap.scenario
    cards = []
    for view in engine.action_views(sc, snap.state, role):
        action = view.action
        constraints = []
        for k in view.constraints:
            text = wording.constraint(k.kind, k.data, sc, lang)
            constraints.append(
                ConstraintView(
                    rule=k.rule,
                    kind=k.kind,
                    text=text,
                    blocking=k.blocking,
                    explain=wording.rule_explanation(k.rule, lang),
                )
            )
        cards.append(
            ActionCard(
                id=action.id,
                title=action.title.get(lang),
                description=action.description.get(lang),
                rule=action.rule,
                available=view.available,
                needs_approval=bool(action.approvals),
                options=[(o.id, o.label.get(lang)) for o in action.options],
                constraints=constraints,
                done=snap.state.executed.get(action.id, 0),
            )
        )
    # What can be done now first; the rest keeps the file's order.
    return sorted(cards, key=lambda c: not c.available)


# --------------------------------------------------------------------------- proposals


@dataclass
class ApprovalView:
    approver: str
    approver_id: str
    rule: str
    kind: str
    status: str
    status_label: str
    bypass: bool
    due: str = ""
    played: bool = False


@dataclass
class ProposalView:
    id: int
    action: str
    role: str
    role_id: str
    side: str
    option: str
    rationale: str
    status: str
    when: str
    approvals: list[ApprovalView]
    mine: bool = False
    awaits_me: bool = False
    can_bypass: bool = False


def proposals(snap: Snapshot, viewer: Viewer, lang: str, *, as_role: str = "") -> list[ProposalView]:
    """Proposals whose ``action_proposed`` event the viewer may see, newest first."""
    sc, st = snap.scenario, snap.state
    role = as_role or viewer.role
    visible = snap.visible_proposals(viewer)
    labels = snap.labels(lang)
    out = []
    for proposal in sorted(st.proposals.values(), key=lambda p: -p.id):
        if proposal.id not in visible:
            continue
        specs = sc.action(proposal.action).approvals
        approvals = []
        for index, a in enumerate(proposal.approvals):
            spec = specs[index] if index < len(specs) else None
            approvals.append(
                ApprovalView(
                    approver=snap.role_title(a.approver, lang),
                    approver_id=a.approver,
                    rule=a.rule,
                    kind=a.kind,
                    status=a.status,
                    status_label=str(APPROVAL_STATUS.get(a.status, a.status)),
                    bypass=bool(spec and spec.bypass),
                    due=snap.when(a.due) if a.due is not None and a.status == "pending" else "",
                    played=a.approver in st.holders or bot_answers(st, a.approver, proposal.action),
                )
            )
        outstanding = [a for a in approvals if a.status == "pending"]
        pending = proposal.status == "pending"
        out.append(
            ProposalView(
                id=proposal.id,
                action=labels.action_title(proposal.action),
                role=snap.role_title(proposal.role, lang),
                role_id=proposal.role,
                side=snap.side_of(proposal.role),
                option=labels.option_label(proposal.action, proposal.option) if proposal.option else "",
                rationale=proposal.rationale,
                status=proposal.status,
                when=snap.when(proposal.game_time),
                approvals=approvals,
                mine=bool(role) and proposal.role == role,
                awaits_me=pending and bool(role) and any(a.approver_id == role for a in outstanding),
                can_bypass=pending and bool(outstanding) and all(a.bypass for a in outstanding),
            )
        )
    return out


def institution_approvals(snap: Snapshot, lang: str) -> list[tuple[ProposalView, ApprovalView]]:
    """Pending approvals the facilitator answers: their approver is not played by anyone."""
    out = []
    for proposal in proposals(snap, engine.FACILITATOR_VIEW, lang):
        if proposal.status != "pending":
            continue
        out += [(proposal, a) for a in proposal.approvals if a.status == "pending" and not a.played]
    return out


# --------------------------------------------------------------------------- role brief


def brief(snap: Snapshot, role: str, lang: str) -> dict[str, Any]:
    spec = snap.scenario.role(role)
    side = next(s for s in snap.scenario.sides if s.id == spec.side)
    return {
        "role": role,
        "title": spec.title.get(lang),
        "holder": spec.holder_in(lang),
        "side": spec.side,
        "side_name": side.name.get(lang),
        "public": spec.public_brief.get(lang),
        "private": spec.private_brief.get(lang) if spec.private_brief else "",
        "objectives": [(o.text.get(lang), o.points) for o in spec.objectives],
        "powers": [p.get(lang) for p in spec.powers],
    }


# --------------------------------------------------------------------------- console: injects


@dataclass
class InjectRow:
    id: str
    title: str
    at: str
    recipients: str
    released: int = 0  # seq of its release, 0 if not yet
    lost: bool = False
    public: bool = False
    hidden: bool = False
    trigger: bool = False
    seen_by: list[str] = field(default_factory=list)
    expected: int = 0

    @property
    def dom_id(self) -> str:
        """The row's id on the console: a scripted inject by its id, an ad-hoc one by its release."""
        return f"inj-{self.id}" if self.id else f"inj-adhoc-{self.released}"


def _scripted_row(snap: Snapshot, lang: str, inject: Inject) -> InjectRow:
    sc, st = snap.scenario, snap.state
    seq = st.released.get(inject.id, 0)
    event = snap.releases.get(seq)
    row = InjectRow(
        id=inject.id,
        title=inject.title.get(lang),
        at=offset_label(inject.at) if inject.at is not None else "",
        recipients=audience_label(sc, sc.roles_of(inject.recipients), lang),
        released=seq,
        lost=bool(seq) and event is not None and event.type == EventType.INJECT_LOST,
        public=inject.public,
        hidden=inject.hidden,
        trigger=inject.trigger is not None,
    )
    if seq and not row.lost:
        row.seen_by = [snap.name_of(pid) for pid in st.receipts.get(seq, [])]
        row.expected = sum(1 for r in sc.roles_of(inject.recipients) if r in st.holders)
    return row


def _adhoc_row(snap: Snapshot, lang: str, seq: int, event: engine.Event) -> InjectRow:
    st = snap.state
    recipients = event.payload.get("recipients", [])
    return InjectRow(
        id="",
        title=event.payload.get("title", ""),
        at=offset_label(event.game_time),
        recipients=audience_label(snap.scenario, recipients, lang),
        released=seq,
        public=bool(event.payload.get("public")),
        seen_by=[snap.name_of(pid) for pid in st.receipts.get(seq, [])],
        expected=sum(1 for r in recipients if r in st.holders),
    )


def _is_adhoc(event: engine.Event) -> bool:
    return event.type == EventType.INJECT_RELEASED and bool(event.payload.get("adhoc"))


def injects(snap: Snapshot, lang: str) -> list[InjectRow]:
    """Scripted and ad-hoc injects with who has seen each (``state.receipts``)."""
    rows = [_scripted_row(snap, lang, inject) for inject in snap.scenario.injects]
    rows += [_adhoc_row(snap, lang, seq, e) for seq, e in sorted(snap.releases.items()) if _is_adhoc(e)]
    return rows


def inject_rows_changed(snap: Snapshot, events: list[engine.Event], lang: str) -> list[InjectRow]:
    """The rows of ``injects`` that ``events`` can change (a release, a loss, a receipt), in the
    list's order, built without the others. A new row (an ad-hoc release) is the list's last."""
    by_inject = {i.id: i for i in snap.scenario.injects}
    scripted: set[str] = set()
    adhoc: set[int] = set()
    released_by = {seq: inject for inject, seq in snap.state.released.items()}
    for e in events:
        if e.type in (EventType.INJECT_RELEASED, EventType.INJECT_LOST) and e.payload.get("inject") in by_inject:
            scripted.add(e.payload["inject"])
        elif _is_adhoc(e):
            adhoc.add(e.seq)
        elif e.type == EventType.INJECT_SEEN:
            seen = e.payload.get("seq", 0)
            if released_by.get(seen) in by_inject:
                scripted.add(released_by[seen])
            elif seen in snap.releases and _is_adhoc(snap.releases[seen]):
                adhoc.add(seen)
    rows = [_scripted_row(snap, lang, inject) for inject in snap.scenario.injects if inject.id in scripted]
    rows += [_adhoc_row(snap, lang, seq, snap.releases[seq]) for seq in sorted(adhoc) if seq in snap.releases]
    return rows
