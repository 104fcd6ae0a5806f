"""What each screen shows, as plain data for the templates: one viewer, one language.

Everything built here is already filtered for its viewer (``engine.can_see`` on events,
the scenario's ``visible_to`` and ``members`` lists on panels), so a template only lays
it out and never decides what someone may see. Pages (``views``) and pushes (``push``)
both build their fragments from these functions, so a pushed fragment is the one the
page would have rendered.

Call these inside ``translation.override(lang)``: labels go through gettext.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from django.utils import dateformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from exercises.engine.events import EventType
from scenarios.schema import ALL, Scenario

from . import engine, presence, selectors, wording
from .engine import Viewer
from .engine.clock import game_datetime, offset_label
from .engine.commands import BOT_PREFIX
from .engine.policy import answers as bot_answers
from .instructor import blocs_line
from .models import Exercise, Participant

# Event types that never change a panel (only the feed, a channel or the receipts).
QUIET = frozenset(
    {
        EventType.INJECT_SEEN,
        EventType.MESSAGE_SENT,
        EventType.MESSAGE_DELIVERED,
        EventType.NOTE_ADDED,
        EventType.COMMAND_REJECTED,
    }
)
ROSTER = frozenset(
    {
        EventType.PARTICIPANT_JOINED,
        EventType.ROLE_CLAIMED,
        EventType.ROLE_RELEASED,
        EventType.PARTICIPANT_REMOVED,
        EventType.BOT_SEATED,
        EventType.BOT_UNSEATED,
    }
)
MESSAGES = frozenset({EventType.MESSAGE_SENT, EventType.MESSAGE_DELIVERED})
# Kept out of the players' feed: bookkeeping, or shown elsewhere (lobby, channels, toasts).
NOT_FOR_PLAYERS = frozenset(
    {
        EventType.EXERCISE_CREATED,
        EventType.INJECT_SEEN,
        EventType.COMMAND_REJECTED,
        EventType.APPROVAL_REQUESTED,
        *ROSTER,
        *MESSAGES,
    }
)
NOT_FOR_CONSOLE = frozenset({EventType.INJECT_SEEN, *MESSAGES})


@dataclass
class Snapshot:
    """One exercise at one sequence number: the row, its scenario and its state."""

    exercise: Exercise
    scenario: Scenario
    state: engine.State
    _visible: dict[str, set[int]] = field(default_factory=dict, repr=False)  # audience key -> proposal ids

    @classmethod
    def load(cls, exercise: Exercise, *, upto: int | None = None) -> Snapshot:
        scenario = selectors.scenario_of(exercise)
        if upto is None or upto == exercise.last_seq:
            state = selectors.state_of(exercise)
        else:  # a batch overtaken by a later one: render the state this batch ended at
            state = selectors.state_at(exercise, upto)
        return cls(exercise, scenario, state)

    @property
    def seq(self) -> int:
        return self.state.seq

    @cached_property
    def participants(self) -> dict[str, Participant]:
        return {p.pk: p for p in self.exercise.participants.all()}

    @cached_property
    def seen(self) -> dict[str, datetime | None]:
        """Each participant's last heartbeat (exercises.presence)."""
        return presence.last_seen(self.exercise.pk, self.participants.values())

    @cached_property
    def proposal_events(self) -> list[engine.Event]:
        return [e for e in selectors.events_of_type(self.exercise.pk, [EventType.ACTION_PROPOSED]) if e.seq <= self.seq]

    @cached_property
    def releases(self) -> dict[int, engine.Event]:
        """Every inject release or loss by seq (the console's receipts)."""
        types = [EventType.INJECT_RELEASED, EventType.INJECT_LOST]
        return {e.seq: e for e in selectors.events_of_type(self.exercise.pk, types) if e.seq <= self.seq}

    def visible_proposals(self, viewer: Viewer) -> set[int]:
        """Proposal ids (the seq of their ``action_proposed``) this viewer may see."""
        key = viewer.audience_key
        if key not in self._visible:
            self._visible[key] = {e.seq for e in self.proposal_events if engine.can_see(e, viewer)}
        return self._visible[key]

    def inject_visible(self, inject: str, viewer: Viewer) -> bool:
        spec = self.scenario.injects_by_id.get(inject)
        if spec is None or inject not in self.state.released:
            return False
        return (
            viewer.facilitator
            or spec.public
            or (bool(viewer.role) and viewer.role in self.scenario.roles_of(spec.recipients))
        )

    @cached_property
    def t0(self) -> datetime:
        return datetime.fromisoformat(self.scenario.clock.t0)

    def name_of(self, participant: str) -> str:
        p = self.state.participants.get(participant)
        return p.name if p else ""

    def role_title(self, role: str, lang: str) -> str:
        spec = self.scenario.roles_by_id.get(role)
        return spec.title.get(lang) if spec else role

    def side_of(self, role: str) -> str:
        spec = self.scenario.roles_by_id.get(role)
        return spec.side if spec else ""

    def actor_name(self, actor: str) -> str:
        if actor.startswith("p:"):
            return self.name_of(actor[2:])
        if actor.startswith(BOT_PREFIX):
            return _("Bot")
        return _("facilitator") if actor == "facilitator" else ""

    def when(self, game_time: int) -> str:
        return dateformat.format(game_datetime(self.scenario.clock.t0, game_time), "D j M · H:i")


def viewer_kind(viewer: Viewer) -> str:
    if viewer.facilitator:
        return "facilitator"
    return "role" if viewer.role else "public"


def viewer_of_key(audience_key: str) -> Viewer:
    """The viewer a render key stands for (``Viewer.audience_key`` read backwards)."""
    if audience_key == "facilitator":
        return engine.FACILITATOR_VIEW
    if audience_key.startswith("role:"):
        return Viewer(role=audience_key[5:])
    return engine.PUBLIC_VIEW


def audience_label(sc: Scenario, roles: list[str] | tuple[str, ...], lang: str) -> str:
    """Role ids as people say them: "everyone", a side's name, then single roles."""
    left = list(dict.fromkeys(roles))
    if set(left) >= {r.id for r in sc.roles if not r.institution}:
        return _("everyone")
    parts = []
    for side in sc.sides:
        # Institutions are nobody's seat: "all of Mexico" means every played Mexican role.
        members = [r.id for r in sc.roles if r.side == side.id and not r.institution]
        if len(members) > 1 and set(members) <= set(left):
            parts.append(_("all of %(side)s") % {"side": side.name.get(lang)})
            left = [r for r in left if r not in members]
    parts += [sc.role(r).title.get(lang) for r in left if r in sc.roles_by_id]
    return ", ".join(parts)


_SENTENCE_END = re.compile(r"[.!?](?=\s+[A-ZÁÉÍÓÚÑ¿¡\"“(])")


def first_sentence(text: str, limit: int = 160) -> str:
    """A one-line brief: the first sentence (not fooled by "Art. 89" or "EE. UU."), cut at
    a word when still too long."""
    text = " ".join(text.split())
    head = text
    for match in _SENTENCE_END.finditer(text):
        word = text[: match.start()].rsplit(" ", 1)[-1].strip("(")
        if len(word.strip(".")) > 3 or not word[:1].isupper():  # "Art.", "EE.", "Sr." go on
            head = text[: match.end()]
            break
    if len(head) <= limit:
        return head
    return head[:limit].rsplit(" ", 1)[0] + "…"


# --------------------------------------------------------------------------- clock


STATUS_LABELS = {
    "lobby": pgettext_lazy("status", "Lobby"),
    "running": pgettext_lazy("status", "Running"),
    "paused": pgettext_lazy("status", "Paused"),
    "ended": pgettext_lazy("status", "Ended"),
}


def clock(snap: Snapshot, lang: str, *, now: float | None = None) -> dict[str, Any]:
    sc, st = snap.scenario, snap.state
    index = sc.phase_index[st.phase]
    phase = sc.phases[index]
    boundary = sc.phases[index + 1].start if index + 1 < len(sc.phases) else sc.clock.end
    now = time.time() if now is None else now
    game = st.game_time
    if st.status == "running":
        game = min(boundary, max(st.game_time, st.anchor_game + int((now - st.anchor_wall) * phase.rate)))
    return {
        "status": st.status,
        "status_label": str(STATUS_LABELS[st.status]),
        "phase": phase.title.get(lang),
        "phase_number": index + 1,
        "phase_count": len(sc.phases),
        "when": snap.when(game),
        "offset": offset_label(game),
        "game": game,
        "anchor_game": st.anchor_game,
        "anchor_wall": st.anchor_wall,
        "rate": phase.rate,
        "boundary": boundary,
        "server_now": now,
        "t0": snap.t0.timestamp(),
        "tz": int(snap.t0.utcoffset().total_seconds()) if snap.t0.utcoffset() else 0,
    }


# --------------------------------------------------------------------------- refusals


def rejection_message(payload: dict[str, Any], lang: str, scenario: Scenario | None = None) -> str:
    """The reason a rule gave (a ``command_rejected`` payload) in ``lang``: what is missing and
    when it becomes possible, with labels for ids (``exercises/wording.py``)."""
    return wording.rejection(payload, scenario, lang)


# --------------------------------------------------------------------------- feed


@dataclass
class FeedItem:
    seq: int
    type: str
    kind: str
    title: str
    body: str = ""
    when: str = ""
    offset: str = ""
    side: str = ""
    who: str = ""
    badges: list[tuple[str, str]] = field(default_factory=list)  # (label, css modifier)
    ack: bool = False  # a player acknowledges this (inject receipts)
    seen: bool = False


ENGINE_RULES = {
    "role": pgettext_lazy("rule", "role"),
    "auth": pgettext_lazy("rule", "permission"),
    "once": pgettext_lazy("rule", "once only"),
    "phase": pgettext_lazy("rule", "timing"),
    "membership": pgettext_lazy("rule", "membership"),
    EventType.CHANNEL_CLOSED: pgettext_lazy("rule", "closed channel"),
    "role_taken": pgettext_lazy("rule", "role taken"),
    "no_role": pgettext_lazy("rule", "no role"),
    "clock": pgettext_lazy("rule", "clock"),
    "role_filled": pgettext_lazy("rule", "role filled"),
    "one_role": pgettext_lazy("rule", "one role"),
    "institution": pgettext_lazy("rule", "institution"),
    "not_approver": pgettext_lazy("rule", "approver"),
    "invalid": pgettext_lazy("rule", "invalid"),
}


def rule_label(rule: Any) -> str:
    """A scenario rule keeps its tag (R5); an engine rule gets a word (timing, once only)."""
    return str(ENGINE_RULES.get(str(rule), rule))


def is_scenario_rule(rule: Any) -> bool:
    return bool(rule) and str(rule) not in ENGINE_RULES


def _rule(tag: Any) -> tuple[str, str]:
    return (rule_label(tag), "rule")


def _cause_text(snap: Snapshot, cause: dict[str, Any], viewer: Viewer, lang: str) -> tuple[str, list[tuple[str, str]]]:
    """Why something happened, in words, and the rule it came from.

    An effect may be visible where its cause is not (everyone sees a public indicator move
    after one side's secret decision): name the cause only to those who saw it.
    """
    sc = snap.scenario
    badges = [_rule(cause["rule"])] if cause.get("rule") else []
    if cause.get("facilitator"):
        return _("set by the facilitator"), badges
    if cause.get("inject") and snap.inject_visible(cause["inject"], viewer):
        return _("after: %(title)s") % {"title": sc.inject(cause["inject"]).title.get(lang)}, badges
    if cause.get("action") in sc.actions_by_id and (
        viewer.facilitator or int(cause.get("proposal") or 0) in snap.visible_proposals(viewer)
    ):
        return _("after: %(title)s") % {"title": sc.action(cause["action"]).title.get(lang)}, badges
    if cause.get("pressure"):
        pressure = next((p for p in sc.pressures if p.id == cause["pressure"]), None)
        return (pressure.description.get(lang) if pressure else ""), badges
    if cause.get(EventType.CONTRADICTION):
        return _("contradictory public statements"), badges
    if cause.get("refused") and (viewer.facilitator or int(cause["refused"]) in snap.visible_proposals(viewer)):
        return _("after a refusal"), badges
    if cause.get("leak"):
        return _("a plan leaked"), badges
    return "", badges


def _action_title(snap: Snapshot, action: str, lang: str) -> str:
    spec = snap.scenario.actions_by_id.get(action)
    return spec.title.get(lang) if spec else action


def _option_label(snap: Snapshot, action: str, option: str, lang: str) -> str:
    spec = snap.scenario.actions_by_id.get(action)
    found = next((o for o in spec.options if o.id == option), None) if spec else None
    return found.label.get(lang) if found else option


def _proposal_action(snap: Snapshot, payload: dict[str, Any]) -> str:
    if payload.get("action"):
        return payload["action"]
    proposal = snap.state.proposals.get(int(payload.get("proposal") or 0))
    return proposal.action if proposal else ""


APPROVAL_STATUS = {
    "granted": gettext_lazy("granted"),
    "refused": gettext_lazy("refused"),
    "bypassed": gettext_lazy("bypassed"),
    "cancelled": gettext_lazy("cancelled"),
    "pending": gettext_lazy("pending"),
}


def feed_item(snap: Snapshot, event: engine.Event, viewer: Viewer, lang: str) -> FeedItem | None:
    """One event as a line of the situation feed, or None when it has no place there."""
    kind = viewer_kind(viewer)
    if kind == "facilitator" and event.type in NOT_FOR_CONSOLE:
        return None
    if kind != "facilitator" and event.type in NOT_FOR_PLAYERS - (MESSAGES if kind == "public" else set()):
        return None
    if kind == "public" and event.type == EventType.INDICATOR_CHANGED:
        return None  # the board shows the values; the causes belong to the players' screens
    sc, p = snap.scenario, event.payload
    item = FeedItem(
        seq=event.seq,
        type=event.type,
        kind="system",
        title="",
        when=snap.when(event.game_time),
        offset=offset_label(event.game_time),
        side=snap.side_of(event.role),
        who=snap.role_title(event.role, lang) if event.role else "",
    )
    role = item.who
    match event.type:
        case EventType.EXERCISE_CREATED:
            item.title = _("Exercise created: %(title)s") % {"title": p.get("title", "")}
            item.body = _("Scenario %(slug)s, version %(version)s, seed %(seed)s") % {
                "slug": p.get("scenario", ""),
                "version": p.get("version", ""),
                "seed": p.get("seed", ""),
            }
        case EventType.PARTICIPANT_JOINED:
            item.title = _("%(name)s joined") % {"name": p["name"]}
        case EventType.ROLE_CLAIMED:
            item.title = _("%(name)s plays %(role)s") % {"name": snap.name_of(p["participant"]), "role": role}
        case EventType.ROLE_RELEASED:
            item.title = _("%(name)s left %(role)s") % {"name": snap.name_of(p["participant"]), "role": role}
        case EventType.BOT_SEATED:
            item.title = _("A bot plays %(role)s") % {"role": role}
        case EventType.BOT_UNSEATED:
            item.title = _("The bot left %(role)s") % {"role": role}
        case EventType.EXERCISE_FORKED:
            item.kind = "phase"
            # Not the parent's code: it is that table's join code, and this line reaches the
            # fork's players and projector. Staff who may open the parent find it under Lineage.
            item.title = _("Forked from an earlier exercise after event #%(seq)s") % {
                "seq": p.get("parent_seq", ""),
            }
            item.body = (
                _("The same players keep their roles; the clock waits for the facilitator.")
                if p.get("kept_seats")
                else _("Every seat is free again; the clock waits for the facilitator.")
            )
        case EventType.PARTICIPANT_REMOVED:
            item.title = _("The facilitator removed %(name)s from the table") % {"name": p.get("name", "")}
        case EventType.EXERCISE_STARTED:
            item.kind, item.title = "phase", _("The exercise has started")
        case EventType.EXERCISE_PAUSED:
            item.kind, item.title = "phase", _("The clock is paused")
        case EventType.EXERCISE_RESUMED:
            item.kind, item.title = "phase", _("The clock runs again")
        case EventType.EXERCISE_ENDED:
            item.kind, item.title = "phase", _("The exercise has ended")
        case EventType.PHASE_CHANGED:
            phase = sc.phases[sc.phase_index[p["phase"]]]
            item.kind = "phase"
            if p.get("stopped"):
                item.title = _("The scenario clock has reached its end")
            else:
                item.title = _("New phase: %(phase)s") % {"phase": phase.title.get(lang)}
                item.body = phase.description.get(lang) if phase.description else ""
        case EventType.INJECT_RELEASED:
            item.kind = "inject"
            item.who = ""
            spec = sc.injects_by_id.get(p.get("inject") or "")
            if spec is not None:
                item.title, item.body = spec.title.get(lang), spec.text.get(lang)
                if spec.from_ is not None:
                    item.badges.append((_("from: %(who)s") % {"who": spec.from_.get(lang)}, "info"))
            else:
                item.title, item.body = p.get("title", ""), p.get("text", "")
                item.badges.append((_("from the facilitator"), "info"))
            if p.get("public"):
                item.badges.append((_("public"), "public"))
            if p.get("hidden"):
                item.badges.append((_("confidential"), "hidden"))
            _text, cause_badges = _cause_text(snap, p.get("cause") or {}, viewer, lang)
            item.badges += cause_badges
            if kind == "role":
                item.ack = True
                holder = snap.state.holders.get(viewer.role, "")
                item.seen = bool(holder) and holder in snap.state.receipts.get(event.seq, [])
            if kind == "facilitator":
                recipients = audience_label(sc, p.get("recipients", []), lang)
                item.badges.append((_("to: %(roles)s") % {"roles": recipients}, "info"))
        case EventType.INJECT_LOST:
            spec = sc.injects_by_id.get(p.get("inject") or "")
            item.kind = "lost"
            item.title = _("Lost before it arrived: %(title)s") % {
                "title": spec.title.get(lang) if spec else p.get("inject")
            }
            item.body = _("Chance of delivery was %(p)s%%.") % {"p": round(100 * float(p.get("probability", 0)))}
            item.badges.append(_rule(p.get("rule", "")))
        case EventType.INDICATOR_CHANGED:
            spec = sc.indicators_by_id[p["indicator"]]
            item.kind = "indicator"
            item.who = ""
            item.title = _("%(name)s: %(old)s → %(new)s") % {
                "name": spec.name.get(lang),
                "old": p["value"] - p["delta"],
                "new": p["value"],
            }
            cause, badges = _cause_text(snap, p.get("cause") or {}, viewer, lang)
            item.body = p.get("reason") or cause
            item.badges.append((f"{p['delta']:+d}", "up" if p["delta"] > 0 else "down"))
            item.badges += badges
        case EventType.CHANNEL_OPENED | EventType.CHANNEL_CLOSED:
            spec = sc.channels_by_id[p["channel"]]
            item.kind = "channel"
            if event.type == EventType.CHANNEL_OPENED:
                item.title = _("Channel opened: %(name)s") % {"name": spec.name.get(lang)}
            else:
                item.title = _("Channel closed: %(name)s") % {"name": spec.name.get(lang)}
                item.body = p.get("reason") or (spec.closed_reason.get(lang) if spec.closed_reason else "")
            cause, badges = _cause_text(snap, p.get("cause") or {}, viewer, lang)
            item.body = item.body or cause
            item.badges += badges or ([_rule(spec.rule)] if spec.rule else [])
        case EventType.MESSAGE_SENT | EventType.MESSAGE_DELIVERED:  # public viewers only: the press, on the board
            spec = sc.channels_by_id[p["channel"]]
            item.kind = "message"
            item.title = f"{spec.name.get(lang)} · {role}"
            item.body = p.get("text", "")
        case EventType.ACTION_PROPOSED:
            item.kind = "proposal"
            item.title = _("Proposed: %(action)s") % {"action": _action_title(snap, p["action"], lang)}
            item.body = p.get("rationale", "")
            if p.get("option"):
                item.badges.append((_option_label(snap, p["action"], p["option"], lang), "info"))
        case EventType.APPROVAL_REQUESTED:
            action = _proposal_action(snap, p)
            item.kind = "proposal"
            item.title = _("%(action)s awaits %(approver)s") % {
                "action": _action_title(snap, action, lang),
                "approver": snap.role_title(p["approver"], lang),
            }
            item.badges.append(_rule(p.get("rule", "")))
        case EventType.APPROVAL_RESOLVED:
            action = _proposal_action(snap, p)
            item.kind = "approval"
            item.side = snap.side_of(p["approver"])
            item.who = snap.role_title(p["approver"], lang)
            titles = {
                "granted": _("Approved: %(action)s"),
                "refused": _("Not approved: %(action)s"),
                "bypassed": _("Went ahead without approval: %(action)s"),
            }
            item.title = titles.get(p["status"], _("Approval cancelled: %(action)s")) % {
                "action": _action_title(snap, action, lang)
            }
            if p.get("tally"):
                item.body = _("Vote: %(yes)s in favour, %(no)s against") % p["tally"] + blocs_line(p.get("blocs"))
            if p.get("reason"):
                item.body = (item.body + " " if item.body else "") + p["reason"]
            item.badges.append(_rule(p.get("rule", "")))
            item.badges.append((str(APPROVAL_STATUS.get(p["status"], p["status"])), p["status"]))
        case EventType.ACTION_EXECUTED:
            spec = sc.actions_by_id.get(p["action"])
            item.kind = "decision"
            if p.get("statement"):
                item.title = _("Public statement: %(action)s") % {"action": _action_title(snap, p["action"], lang)}
            else:
                item.title = _("Carried out: %(action)s") % {"action": _action_title(snap, p["action"], lang)}
            if p.get("option"):
                item.badges.append((_option_label(snap, p["action"], p["option"], lang), "info"))
            chance = p.get("chance")
            if chance and spec is not None and spec.chance is not None:
                text = spec.chance.success_text if chance["success"] else spec.chance.failure_text
                item.body = text.get(lang) if text else (_("It worked.") if chance["success"] else _("It failed."))
                item.badges.append(_rule(chance.get("rule", "")))
            for bypass in p.get("bypassed", []):
                item.badges.append(
                    (_("without %(approver)s") % {"approver": snap.role_title(bypass["approver"], lang)}, "bypassed")
                )
                item.badges.append(_rule(bypass.get("rule", "")))
        case EventType.ACTION_REFUSED:
            item.kind = "refused"
            item.title = _("Refused: %(action)s (by %(approver)s)") % {
                "action": _action_title(snap, p["action"], lang),
                "approver": snap.role_title(p.get("approver", ""), lang),
            }
            item.badges.append(_rule(p.get("rule", "")))
        case EventType.ACTION_WITHDRAWN:
            item.kind = "refused"
            item.title = _("Withdrawn: %(action)s") % {"action": _action_title(snap, p["action"], lang)}
        case EventType.CONTRADICTION:
            topic = next((t for t in sc.consistency.topics if t.id == p.get("topic")), None)
            item.kind = "refused"
            item.title = _("Mixed messages on %(topic)s") % {
                "topic": topic.label.get(lang) if topic else p.get("topic")
            }
            item.body = _("Your side has now said different things in public.")
            item.badges.append(_rule(p.get("rule", "")))
        case EventType.PRESSURE_CHECKED:
            if not p.get("applied"):
                return None
            cause, badges = _cause_text(snap, {"pressure": p["pressure"], "rule": p.get("rule")}, viewer, lang)
            item.kind = "indicator"
            item.title = cause
            item.badges += badges
        case EventType.COMMAND_REJECTED:
            item.kind = "refused"
            item.title = _("Refused for %(who)s: %(message)s") % {
                "who": role or snap.actor_name(event.actor) or event.actor,
                "message": rejection_message(p, lang, snap.scenario),
            }
            item.badges.append(_rule(p.get("rule", "")))
        case EventType.NOTE_ADDED:
            item.kind = "note"
            item.title = _("Note")
            item.body = p.get("text", "")
        case _:
            return None
    if event.actor.startswith(BOT_PREFIX) or event.type in (EventType.BOT_SEATED, EventType.BOT_UNSEATED):
        item.badges.insert(0, (_("bot"), "bot"))
    return item


def feed(snap: Snapshot, events: list[engine.Event], viewer: Viewer, lang: str) -> list[FeedItem]:
    """Feed items for events the viewer may see, newest first."""
    items = [feed_item(snap, e, viewer, lang) for e in events if engine.can_see(e, viewer)]
    return [i for i in reversed(items) if i is not None]


# --------------------------------------------------------------------------- channels


@dataclass
class Message:
    seq: int
    channel: str
    text: str
    role: str
    side: str
    author: str
    when: str
    mine: bool = False
    pending: bool = False
    arrives: str = ""
    replaces: int = 0


def messages(
    snap: Snapshot, events: list[engine.Event], viewer: Viewer, lang: str, *, live: bool = False
) -> dict[str, list[Message]]:
    """Channel messages the viewer may see, by channel, oldest first.

    A message on a slow channel shows to its sender as in transit until delivered; in a
    page render the delivered copy stands alone, in a push it replaces the pending one.
    """
    out: dict[str, list[Message]] = {}
    visible = [e for e in events if e.type in MESSAGES and engine.can_see(e, viewer)]
    delivered = {e.payload["message"] for e in visible if e.type == EventType.MESSAGE_DELIVERED}
    for event in visible:
        p = event.payload
        if (
            event.type == EventType.MESSAGE_SENT
            and p.get("deliver_at") is not None
            and event.seq in delivered
            and not live
        ):
            continue
        sent = event.type == EventType.MESSAGE_SENT
        out.setdefault(p["channel"], []).append(
            Message(
                seq=event.seq,
                channel=p["channel"],
                text=(p.get("text_es") if lang == "es" else "") or p.get("text", ""),  # a bot's line has both
                role=snap.role_title(event.role, lang),
                side=snap.side_of(event.role),
                author=snap.actor_name(event.actor) if sent else "",
                when=snap.when(event.game_time),
                mine=bool(viewer.role) and event.role == viewer.role,
                pending=sent and p.get("deliver_at") is not None,
                arrives=snap.when(p["deliver_at"]) if sent and p.get("deliver_at") is not None else "",
                replaces=0 if sent else p["message"],
            )
        )
    return out


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
                action=_action_title(snap, proposal.action, lang),
                role=snap.role_title(proposal.role, lang),
                role_id=proposal.role,
                side=snap.side_of(proposal.role),
                option=_option_label(snap, proposal.action, proposal.option, lang) if proposal.option else "",
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


# --------------------------------------------------------------------------- people


@dataclass
class Seat:
    role: str
    title: str
    side: str
    brief: str
    institution: bool
    fill_order: int
    holder: str = ""  # participant id
    holder_name: str = ""
    presence: str = "empty"  # connected | away | empty
    bot: str = ""  # the policy of the bot playing it, if one does
    seen: datetime | None = None  # last heartbeat, shown as "last seen" when away


@dataclass
class SideView:
    id: str
    name: str
    seats: list[Seat]


def presence_of(participant: Participant | None, seen: datetime | None = None) -> str:
    if participant is None:
        return "away"
    return presence.status(participant, seen if seen is not None else participant.last_seen_at)


def seats(snap: Snapshot, lang: str, *, with_presence: bool = False) -> list[SideView]:
    """Roles by side, in the order they should be filled, with who holds each."""
    sc, st = snap.scenario, snap.state
    out = []
    for side in sc.sides:
        rows = []
        for role in sorted((r for r in sc.roles if r.side == side.id), key=lambda r: (r.institution, r.fill_order)):
            holder = st.holders.get(role.id, "")
            seat = Seat(
                role=role.id,
                title=role.title.get(lang),
                side=side.id,
                brief=first_sentence(role.public_brief.get(lang)),
                institution=role.institution,
                fill_order=role.fill_order,
                holder=holder,
                holder_name=snap.name_of(holder) if holder else "",
                bot=st.bots[role.id].policy if role.id in st.bots else "",
            )
            if with_presence and holder:
                seat.presence = presence_of(snap.participants.get(holder), snap.seen.get(holder))
                seat.seen = snap.seen.get(holder)
            rows.append(seat)
        out.append(SideView(id=side.id, name=side.name.get(lang), seats=rows))
    return out


@dataclass
class Person:
    id: str
    name: str
    role: str
    presence: str
    seen: datetime | None = None


def people(snap: Snapshot, lang: str) -> list[Person]:
    """Everyone who joined, for the console (presence from their open sockets)."""
    out = []
    for pid, p in snap.state.participants.items():
        if pid not in snap.participants:
            continue  # inherited by a fork from its parent's table: not at this one
        if p.removed:
            continue
        out.append(
            Person(
                id=pid,
                name=p.name,
                role=snap.role_title(p.role, lang) if p.role else "",
                presence=presence_of(snap.participants.get(pid), snap.seen.get(pid)),
                seen=snap.seen.get(pid),
            )
        )
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


def injects(snap: Snapshot, lang: str) -> list[InjectRow]:
    """Scripted and ad-hoc injects with who has seen each (``state.receipts``)."""
    sc, st, releases = snap.scenario, snap.state, snap.releases
    rows = []
    for inject in sc.injects:
        seq = st.released.get(inject.id, 0)
        event = releases.get(seq)
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
        rows.append(row)
    for seq, event in sorted(releases.items()):
        if event.type == EventType.INJECT_RELEASED and event.payload.get("adhoc"):
            recipients = event.payload.get("recipients", [])
            rows.append(
                InjectRow(
                    id="",
                    title=event.payload.get("title", ""),
                    at=offset_label(event.game_time),
                    recipients=audience_label(sc, recipients, lang),
                    released=seq,
                    public=bool(event.payload.get("public")),
                    seen_by=[snap.name_of(pid) for pid in st.receipts.get(seq, [])],
                    expected=sum(1 for r in recipients if r in st.holders),
                )
            )
    return rows
