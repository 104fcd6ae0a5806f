"""Ids in words: the one label look-up of the screens and the review.

``ScenarioLabels`` turns a scenario's ids (roles, actions, options, injects, channels,
indicators, phases, topics) and the log's actors into words in one language. ``Labels`` is
what ``describe`` reads: those words plus three facts about what a viewer may know of a
cause; a live ``Snapshot`` (``snapshot.SnapshotLabels``) and the review's log both provide it.
Also here: rule and status labels, the clock bar, ``first_sentence`` and ``signed``.

Call these inside ``translation.override(lang)``: labels go through gettext.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from exercises.dates import DAYS, MONTHS, lang_of, short_date
from exercises.engine import Viewer
from exercises.engine.clock import game_datetime, offset_label
from exercises.engine.commands import BOT_PREFIX
from exercises.engine.events import EventType
from scenarios.schema import Scenario

if TYPE_CHECKING:
    from .snapshot import Snapshot


class Labels(Protocol):
    """What ``describe`` reads: words for ids in one language, and what a viewer may know."""

    scenario: Scenario
    lang: str

    def role_title(self, role: str) -> str: ...
    def side_of(self, role: str) -> str: ...
    def action_title(self, action: str) -> str: ...
    def option_label(self, action: str, option: str) -> str: ...
    def inject_title(self, inject: str) -> str: ...
    def channel_name(self, channel: str) -> str: ...
    def indicator_name(self, indicator: str) -> str: ...
    def phase_title(self, phase: str) -> str: ...
    def topic_label(self, topic: str) -> str: ...
    def name_of(self, participant: str) -> str: ...
    def actor_name(self, actor: str) -> str: ...
    def when(self, game_time: int) -> str: ...

    def inject_visible(self, inject: str, viewer: Viewer) -> bool:
        """The viewer saw this inject's release (an effect may be public where its cause is not)."""
        ...

    def proposal_visible(self, proposal: int, viewer: Viewer) -> bool:
        """The viewer saw this proposal (the seq of its ``action_proposed``)."""
        ...

    def proposal_action(self, proposal: int) -> str:
        """The action a proposal asked for ("" if unknown)."""
        ...


class ActorWords:
    """Who acted and when, in words: shared by the scenario's labels and the live snapshot
    (each says how it knows a participant's name: ``name_of``)."""

    scenario: Scenario

    def name_of(self, participant: str) -> str:
        raise NotImplementedError

    def actor_name(self, actor: str) -> str:
        if actor.startswith("p:"):
            return self.name_of(actor[2:])
        if actor.startswith(BOT_PREFIX):
            return _("Bot")
        return _("facilitator") if actor == "facilitator" else ""

    def when(self, game_time: int) -> str:
        return short_date(game_datetime(self.scenario.clock.t0, game_time), weekday=True)


class ScenarioLabels(ActorWords):
    """The words of one scenario in one language; ``names``: participant id -> name.

    Visibility is not known from the scenario alone: a subclass with the log provides it.
    """

    def __init__(self, scenario: Scenario, lang: str, names: Mapping[str, str] | None = None) -> None:
        self.scenario = scenario
        self.lang = lang
        self.names = names or {}

    def role_title(self, role: str) -> str:
        spec = self.scenario.roles_by_id.get(role)
        return spec.title.get(self.lang) if spec else role

    def side_of(self, role: str) -> str:
        spec = self.scenario.roles_by_id.get(role)
        return spec.side if spec else ""

    def action_title(self, action: str) -> str:
        spec = self.scenario.actions_by_id.get(action)
        return spec.title.get(self.lang) if spec else action

    def option_label(self, action: str, option: str) -> str:
        spec = self.scenario.actions_by_id.get(action)
        found = next((o for o in spec.options if o.id == option), None) if spec else None
        return found.label.get(self.lang) if found else option

    def inject_title(self, inject: str) -> str:
        spec = self.scenario.injects_by_id.get(inject)
        return spec.title.get(self.lang) if spec else inject

    def channel_name(self, channel: str) -> str:
        spec = self.scenario.channels_by_id.get(channel)
        return spec.name.get(self.lang) if spec else channel

    def indicator_name(self, indicator: str) -> str:
        spec = self.scenario.indicators_by_id.get(indicator)
        return spec.name.get(self.lang) if spec else indicator

    def phase_title(self, phase: str) -> str:
        index = self.scenario.phase_index.get(phase)
        return self.scenario.phases[index].title.get(self.lang) if index is not None else phase

    def topic_label(self, topic: str) -> str:
        found = next((t for t in self.scenario.consistency.topics if t.id == topic), None)
        return found.label.get(self.lang) if found else topic

    def name_of(self, participant: str) -> str:
        return self.names.get(participant, "")


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


def signed(delta: int) -> str:
    """+8 or −2 (a real minus sign, which screen readers say as "minus")."""
    return f"+{delta}" if delta > 0 else f"\u2212{abs(delta)}"


# --------------------------------------------------------------------------- rules and statuses


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


def rule_badge(tag: Any) -> tuple[str, str]:
    """A rule as a feed badge: (label, css modifier)."""
    return (rule_label(tag), "rule")


def command_label(command: str) -> str:
    """A refused command in words ("a proposal"), for the facilitator's details."""
    return {
        "propose_action": _("a proposal"),
        "decide": _("going ahead without approval"),
        "respond_approval": _("an approval answer"),
        "withdraw": _("a withdrawal"),
        "send_message": _("a message"),
        "claim_role": _("taking a role"),
        "release_role": _("leaving a role"),
        "assign_role": _("assigning a role"),
        "resolve_approval": _("answering for an institution"),
        "seat_bot": _("putting a bot in a seat"),
        "unseat_bot": _("taking a bot out"),
        "remove_participant": _("removing someone from the table"),
    }.get(command, command)


STATUS_LABELS = {
    "lobby": pgettext_lazy("status", "Lobby"),
    "running": pgettext_lazy("status", "Running"),
    "paused": pgettext_lazy("status", "Paused"),
    "ended": pgettext_lazy("status", "Ended"),
}

APPROVAL_STATUS = {
    "granted": gettext_lazy("granted"),
    "refused": gettext_lazy("refused"),
    "bypassed": gettext_lazy("bypassed"),
    "cancelled": gettext_lazy("cancelled"),
    "pending": gettext_lazy("pending"),
}


# --------------------------------------------------------------------------- clock


def clock(snap: Snapshot, lang: str, *, now: float | None = None) -> dict[str, Any]:
    """The clock bar: phase, in-game date, and what the browser needs to run it between pushes."""
    sc, st = snap.scenario, snap.state
    index = sc.phase_index[st.phase]
    phase = sc.phases[index]
    boundary = sc.phases[index + 1].start if index + 1 < len(sc.phases) else sc.clock.end
    if now is None:
        now = time.time() if snap.now is None else snap.now
    game = st.game_time
    if st.status == "running":
        game = min(boundary, max(st.game_time, st.anchor_game + int((now - st.anchor_wall) * phase.rate)))
    offset = snap.t0.utcoffset()
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
        "tz": int(offset.total_seconds()) if offset else 0,
        "months": ",".join(MONTHS[lang_of(lang)]),
        "days": ",".join(DAYS[lang_of(lang)]),
    }
