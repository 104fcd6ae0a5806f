"""The one wording of an ordinary event: ``describe(event, viewer, lang, labels)``.

The live feed, and the review's timeline, share link, report and CSV all put an event into
words here. One small function per event type, in ``DESCRIBERS`` (keyed by ``EventType``);
a type without one has no wording (``None``).

What a viewer reads depends on what they saw: an effect may be visible where its cause is not
(everyone sees a public indicator move after one side's secret decision), so a cause is named
only to those who saw it (``cause_text``). ``Description.details`` holds what only the
facilitator is told (the seed, probabilities, proposal numbers, stances, the refused command);
it stays empty for players and the public. Call inside ``translation.override(lang)``.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from exercises import engine
from exercises.engine import Viewer
from exercises.engine.commands import BOT_PREFIX
from exercises.engine.events import EventType

from .describe_debrief import DEBRIEF
from .describe_decisions import DECISIONS
from .description import Describer, Description, cause_text, is_public, role_of
from .labels import Labels, audience_label, rule_badge

# --------------------------------------------------------------------------- the table and the exercise


def _created(e: engine.Event, viewer: Viewer, lang: str, labels: Labels) -> Description:
    p = e.payload
    # The random seed is internal (it reproduces a run in tests and the review): the facilitator's only.
    return Description(
        "system",
        _("Exercise created: %(title)s") % {"title": p.get("title", "")},
        _("Scenario %(slug)s, version %(version)s") % {"slug": p.get("scenario", ""), "version": p.get("version", "")},
        details=[_("seed %(seed)s") % {"seed": p.get("seed", "")}] if viewer.facilitator else [],
    )


def _joined(e: engine.Event, viewer: Viewer, lang: str, labels: Labels) -> Description:
    return Description("system", _("%(name)s joined") % {"name": e.payload["name"]})


def _claimed(e: engine.Event, viewer: Viewer, lang: str, labels: Labels) -> Description:
    names = {"name": labels.name_of(e.payload["participant"]), "role": role_of(e, labels)}
    return Description("system", _("%(name)s plays %(role)s") % names)


def _released(e: engine.Event, viewer: Viewer, lang: str, labels: Labels) -> Description:
    names = {"name": labels.name_of(e.payload["participant"]), "role": role_of(e, labels)}
    return Description("system", _("%(name)s left %(role)s") % names)


def _bot_seated(e: engine.Event, viewer: Viewer, lang: str, labels: Labels) -> Description:
    return Description("system", _("A bot plays %(role)s") % {"role": role_of(e, labels)})


def _bot_unseated(e: engine.Event, viewer: Viewer, lang: str, labels: Labels) -> Description:
    return Description("system", _("The bot left %(role)s") % {"role": role_of(e, labels)})


def _removed(e: engine.Event, viewer: Viewer, lang: str, labels: Labels) -> Description:
    return Description(
        "system", _("The facilitator removed %(name)s from the table") % {"name": e.payload.get("name", "")}
    )


def _forked(e: engine.Event, viewer: Viewer, lang: str, labels: Labels) -> Description:
    # Not the parent's code: it is that table's join code, and this line reaches the
    # fork's players and projector. Staff who may open the parent find it under Lineage.
    return Description(
        "phase",
        _("Forked from an earlier exercise after event #%(seq)s") % {"seq": e.payload.get("parent_seq", "")},
        _("The same players keep their roles; the clock waits for the facilitator.")
        if e.payload.get("kept_seats")
        else _("Every seat is free again; the clock waits for the facilitator."),
    )


def _started(e: engine.Event, viewer: Viewer, lang: str, labels: Labels) -> Description:
    return Description("phase", _("The exercise has started"))


def _paused(e: engine.Event, viewer: Viewer, lang: str, labels: Labels) -> Description:
    return Description("phase", _("The clock is paused"))


def _resumed(e: engine.Event, viewer: Viewer, lang: str, labels: Labels) -> Description:
    return Description("phase", _("The clock runs again"))


def _ended(e: engine.Event, viewer: Viewer, lang: str, labels: Labels) -> Description:
    return Description("phase", _("The exercise has ended"))


def _phase_changed(e: engine.Event, viewer: Viewer, lang: str, labels: Labels) -> Description:
    sc = labels.scenario
    phase = sc.phases[sc.phase_index[e.payload["phase"]]]
    if e.payload.get("stopped"):
        return Description("phase", _("The scenario clock has reached its end"))
    return Description(
        "phase",
        _("New phase: %(phase)s") % {"phase": phase.title.get(lang)},
        phase.description.get(lang) if phase.description else "",
    )


def _report_edited(e: engine.Event, viewer: Viewer, lang: str, labels: Labels) -> Description | None:
    return Description("system", _("After-action report edited")) if viewer.facilitator else None


def _note(e: engine.Event, viewer: Viewer, lang: str, labels: Labels) -> Description:
    return Description("note", _("Note"), e.payload.get("text", ""))


# --------------------------------------------------------------------------- injects, indicators, channels


def _inject_released(e: engine.Event, viewer: Viewer, lang: str, labels: Labels) -> Description:
    p = e.payload
    spec = labels.scenario.injects_by_id.get(p.get("inject") or "")
    if spec is not None:
        out = Description("inject", spec.title.get(lang), spec.text.get(lang), who="")
        if spec.from_ is not None:
            out.badges.append((_("from: %(who)s") % {"who": spec.from_.get(lang)}, "info"))
    else:
        out = Description("inject", p.get("title", ""), p.get("text", ""), who="")
        out.badges.append((_("from the facilitator"), "info"))
    if p.get("public"):
        out.badges.append((_("public"), "public"))
    if p.get("hidden"):
        out.badges.append((_("confidential"), "hidden"))
    out.cause, badges = cause_text(p.get("cause") or {}, viewer, lang, labels)
    out.badges += badges
    if viewer.facilitator:
        recipients = audience_label(labels.scenario, p.get("recipients", []), lang)
        out.badges.append((_("to: %(roles)s") % {"roles": recipients}, "info"))
    return out


def _inject_seen(e: engine.Event, viewer: Viewer, lang: str, labels: Labels) -> Description | None:
    if not viewer.facilitator:
        return None
    names = {"name": labels.name_of(e.payload.get("participant", "")), "seq": e.payload.get("seq", "")}
    return Description("system", _("%(name)s read event #%(seq)s") % names)


def _inject_lost(e: engine.Event, viewer: Viewer, lang: str, labels: Labels) -> Description:
    p = e.payload
    spec = labels.scenario.injects_by_id.get(p.get("inject") or "")
    return Description(
        "lost",
        _("Lost before it arrived: %(title)s") % {"title": spec.title.get(lang) if spec else p.get("inject")},
        _("Chance of delivery was %(p)s%%.") % {"p": round(100 * float(p.get("probability", 0)))},
        [rule_badge(p.get("rule", ""))],
    )


def _indicator_changed(e: engine.Event, viewer: Viewer, lang: str, labels: Labels) -> Description:
    p = e.payload
    spec = labels.scenario.indicators_by_id[p["indicator"]]
    title = _("%(name)s: %(old)s → %(new)s") % {
        "name": spec.name.get(lang),
        "old": p["value"] - p["delta"],
        "new": p["value"],
    }
    cause, badges = cause_text(p.get("cause") or {}, viewer, lang, labels)
    # The reason is the facilitator's own words: the players who see the change read it; the
    # public (projector, share link) reads the cause only.
    body = cause if is_public(viewer) else (p.get("reason") or cause)
    delta = (f"{p['delta']:+d}", "up" if p["delta"] > 0 else "down")
    return Description("indicator", title, body, [delta, *badges], cause=cause, who="")


def _channel_changed(e: engine.Event, viewer: Viewer, lang: str, labels: Labels) -> Description:
    p = e.payload
    spec = labels.scenario.channels_by_id[p["channel"]]
    if e.type == EventType.CHANNEL_OPENED:
        out = Description("channel", _("Channel opened: %(name)s") % {"name": spec.name.get(lang)})
    else:
        out = Description("channel", _("Channel closed: %(name)s") % {"name": spec.name.get(lang)})
        out.body = p.get("reason") or (spec.closed_reason.get(lang) if spec.closed_reason else "")
    out.cause, badges = cause_text(p.get("cause") or {}, viewer, lang, labels)
    out.body = out.body or out.cause
    out.badges += badges or ([rule_badge(spec.rule)] if spec.rule else [])
    return out


def _message(e: engine.Event, viewer: Viewer, lang: str, labels: Labels) -> Description:
    p = e.payload
    out = Description("message", f"{labels.channel_name(p['channel'])} · {role_of(e, labels)}", p.get("text", ""))
    if viewer.facilitator and e.type == EventType.MESSAGE_SENT and p.get("deliver_at") is not None:
        out.details.append(_("In transit: arrives %(at)s") % {"at": labels.when(p["deliver_at"])})
    return out


def _pressure(e: engine.Event, viewer: Viewer, lang: str, labels: Labels) -> Description | None:
    p = e.payload
    if not p.get("applied"):
        if not viewer.facilitator:
            return None
        return Description(
            "indicator", _("Pressure %(rule)s checked, not applied") % {"rule": p.get("rule") or p.get("pressure", "")}
        )
    cause, badges = cause_text({"pressure": p["pressure"], "rule": p.get("rule")}, viewer, lang, labels)
    return Description("indicator", cause, badges=badges, cause=cause)


DESCRIBERS: dict[str, Describer] = {
    EventType.EXERCISE_CREATED: _created,
    EventType.PARTICIPANT_JOINED: _joined,
    EventType.ROLE_CLAIMED: _claimed,
    EventType.ROLE_RELEASED: _released,
    EventType.BOT_SEATED: _bot_seated,
    EventType.BOT_UNSEATED: _bot_unseated,
    EventType.PARTICIPANT_REMOVED: _removed,
    EventType.EXERCISE_FORKED: _forked,
    EventType.EXERCISE_STARTED: _started,
    EventType.EXERCISE_PAUSED: _paused,
    EventType.EXERCISE_RESUMED: _resumed,
    EventType.EXERCISE_ENDED: _ended,
    EventType.PHASE_CHANGED: _phase_changed,
    EventType.REPORT_EDITED: _report_edited,
    EventType.NOTE_ADDED: _note,
    EventType.INJECT_RELEASED: _inject_released,
    EventType.INJECT_SEEN: _inject_seen,
    EventType.INJECT_LOST: _inject_lost,
    EventType.INDICATOR_CHANGED: _indicator_changed,
    EventType.CHANNEL_OPENED: _channel_changed,
    EventType.CHANNEL_CLOSED: _channel_changed,
    EventType.MESSAGE_SENT: _message,
    EventType.MESSAGE_DELIVERED: _message,
    EventType.PRESSURE_CHECKED: _pressure,
    **DECISIONS,
    **DEBRIEF,
}


def describe(event: engine.Event, viewer: Viewer, lang: str, labels: Labels) -> Description | None:
    """``event`` in words for ``viewer`` in ``lang``, or None when it has none for them.

    Visibility of the event itself is the caller's (``engine.can_see``); this decides only
    what of its causes and details the viewer may read.
    """
    describer = DESCRIBERS.get(event.type)
    out = describer(event, viewer, lang, labels) if describer is not None else None
    if out is not None and (
        event.actor.startswith(BOT_PREFIX) or event.type in (EventType.BOT_SEATED, EventType.BOT_UNSEATED)
    ):
        out.badges.insert(0, (_("bot"), "bot"))
    return out
