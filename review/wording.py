"""What the review says about one event: ``describe``, ``cause_label``, ``command_label``.

Unchanged from ``exercises/review.py``; the shared ``describe`` of ``exercises/screens`` replaces it later."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from exercises.engine.events import EventType
from exercises.instructor import blocs_line
from exercises.wording import rejection

from .log import Entry, Log

# --------------------------------------------------------------------------- describing one event


def cause_label(log: Log, cause: dict[str, Any], *, public: bool = False) -> str:
    """Why an indicator moved. On the public link a cause is named only if its event was public."""
    if not cause:
        return ""
    if "inject" in cause:
        released = log.releases.get(cause["inject"])
        if public and not (released and released.public):
            return _("an inject")
        return _("inject: %(title)s") % {"title": log.inject_title(cause["inject"])}
    if EventType.CONTRADICTION in cause:
        return _("contradiction on %(topic)s (%(rule)s)") % {
            "topic": log.topic_label(cause[EventType.CONTRADICTION]),
            "rule": cause.get("rule", ""),
        }
    if "bypass" in cause:
        if public:
            return _("a decision taken without approval (%(rule)s)") % {"rule": cause.get("rule", "")}
        return _("%(action)s without %(approver)s (%(rule)s)") % {
            "action": log.action_title(cause.get("action", "")),
            "approver": log.role_title(cause["bypass"]),
            "rule": cause.get("rule", ""),
        }
    if "refused" in cause:
        if public:
            return _("a refusal (%(rule)s)") % {"rule": cause.get("rule", "")}
        proposal = log.by_seq.get(int(cause["refused"]))
        action = proposal.payload.get("action", "") if proposal else ""
        return _("%(action)s refused (%(rule)s)") % {"action": log.action_title(action), "rule": cause.get("rule", "")}
    if "action" in cause:
        executed = log.executions.get(int(cause.get("proposal") or 0))
        if public and not (executed and executed.public):
            return _("a decision")
        label = log.action_title(cause["action"])
        return f"{label} ({cause['rule']})" if cause.get("rule") else label
    if "pressure" in cause:
        return _("pressure %(rule)s") % {"rule": cause.get("rule") or cause["pressure"]}
    if "facilitator" in cause:
        return _("facilitator")
    if "leak" in cause:
        return _("a leak (%(rule)s)") % {"rule": cause.get("rule", "")}
    if "trigger" in cause:
        return _("its trigger")
    if "schedule" in cause:
        return _("schedule")
    return ""


def describe(log: Log, e: Entry, *, public: bool = False) -> str:
    """One line saying what happened, in the current language."""
    p = e.payload
    role = log.role_title(e.role)
    t = e.type
    if t == EventType.EXERCISE_CREATED:
        return _("Exercise created: %(title)s (seed %(seed)s)") % {
            "title": p.get("title", ""),
            "seed": "—" if public else p.get("seed", ""),
        }
    if t == EventType.PARTICIPANT_JOINED:
        return _("%(name)s joined") % {"name": p.get("name", "")}
    if t == EventType.ROLE_CLAIMED:
        return _("%(name)s took the role %(role)s") % {
            "name": log.names.get(p.get("participant", ""), ""),
            "role": role,
        }
    if t == EventType.ROLE_RELEASED:
        return _("%(name)s left the role %(role)s") % {
            "name": log.names.get(p.get("participant", ""), ""),
            "role": role,
        }
    if t == EventType.EXERCISE_STARTED:
        return _("Exercise started")
    if t == EventType.EXERCISE_PAUSED:
        return _("Exercise paused")
    if t == EventType.EXERCISE_RESUMED:
        return _("Exercise resumed")
    if t == EventType.EXERCISE_ENDED:
        return _("Exercise ended")
    if t == EventType.PHASE_CHANGED:
        if p.get("stopped"):
            return _("The scenario clock reached its end")
        return _("Phase: %(phase)s") % {"phase": log.phase_title(p.get("phase", ""))}
    if t == EventType.INJECT_RELEASED:
        recipients = p.get("recipients") or []
        who = _("everyone") if p.get("public") else ", ".join(log.role_title(r) for r in recipients)
        return _("Inject: %(title)s → %(who)s") % {"title": log.inject_title(p.get("inject", ""), p), "who": who}
    if t == EventType.INJECT_LOST:
        return _("Inject lost on the way (%(rule)s, p=%(p)s): %(title)s") % {
            "rule": p.get("rule", ""),
            "p": p.get("probability", ""),
            "title": log.inject_title(p.get("inject", "")),
        }
    if t == EventType.INDICATOR_CHANGED:
        text = _("%(indicator)s %(delta)s → %(value)s") % {
            "indicator": log.indicator_name(p.get("indicator", "")),
            "delta": f"{p.get('delta', 0):+d}",
            "value": p.get("value", ""),
        }
        cause = cause_label(log, p.get("cause") or {}, public=public)
        if p.get("reason") and not public:
            cause = f"{cause}: {p['reason']}"
        return f"{text} ({cause})" if cause else text
    if t == EventType.CHANNEL_OPENED:
        return _("Channel opened: %(channel)s") % {"channel": log.channel_name(p.get("channel", ""))}
    if t == EventType.CHANNEL_CLOSED:
        return _("Channel closed: %(channel)s") % {"channel": log.channel_name(p.get("channel", ""))}
    if t == EventType.MESSAGE_SENT:
        if p.get("deliver_at") is not None:
            return _("%(role)s on %(channel)s (arrives %(when)s): %(text)s") % {
                "role": role,
                "channel": log.channel_name(p.get("channel", "")),
                "when": log.when(p["deliver_at"]),
                "text": p.get("text", ""),
            }
        return _("%(role)s on %(channel)s: %(text)s") % {
            "role": role,
            "channel": log.channel_name(p.get("channel", "")),
            "text": p.get("text", ""),
        }
    if t == EventType.MESSAGE_DELIVERED:
        return _("Delivered on %(channel)s from %(role)s: %(text)s") % {
            "channel": log.channel_name(p.get("channel", "")),
            "role": role,
            "text": p.get("text", ""),
        }
    if t == EventType.ACTION_PROPOSED:
        text = _("%(role)s proposed %(action)s") % {"role": role, "action": log.action_title(p.get("action", ""))}
        if p.get("option"):
            text += f" — {log.option_label(p['action'], p['option'])}"
        return text
    if t == EventType.APPROVAL_REQUESTED:
        return _("Approval asked of %(approver)s for #%(proposal)s %(action)s (%(rule)s)") % {
            "approver": log.role_title(p.get("approver", "")),
            "proposal": p.get("proposal", ""),
            "action": log.action_title(proposal_action(log, p)),
            "rule": p.get("rule", ""),
        }
    if t == EventType.APPROVAL_RESOLVED:
        status = {"granted": _("granted"), "refused": _("refused"), "bypassed": _("bypassed")}.get(
            p.get("status", ""), p.get("status", "")
        )
        text = _("%(approver)s: %(status)s — #%(proposal)s %(action)s (%(rule)s)") % {
            "approver": log.role_title(p.get("approver", "")),
            "status": status,
            "proposal": p.get("proposal", ""),
            "action": log.action_title(proposal_action(log, p)),
            "rule": p.get("rule", ""),
        }
        if p.get("tally"):
            text += " " + _("(%(yes)s yes, %(no)s no)") % p["tally"] + blocs_line(p.get("blocs"))
        return text
    if t == EventType.ACTION_EXECUTED:
        text = _("Executed: %(action)s (%(role)s)") % {"action": log.action_title(p.get("action", "")), "role": role}
        if p.get("option"):
            text += f" — {log.option_label(p['action'], p['option'])}"
        chance = p.get("chance")
        if chance:
            text += " " + (_("— succeeded (p=%(p)s)") if chance.get("success") else _("— failed (p=%(p)s)")) % {
                "p": chance.get("probability")
            }
        return text
    if t == EventType.ACTION_REFUSED:
        return _("Refused: %(action)s (%(role)s) by %(approver)s under %(rule)s") % {
            "action": log.action_title(p.get("action", "")),
            "role": role,
            "approver": log.role_title(p.get("approver", "")),
            "rule": p.get("rule", ""),
        }
    if t == EventType.ACTION_WITHDRAWN:
        return _("%(role)s withdrew %(action)s") % {"role": role, "action": log.action_title(p.get("action", ""))}
    if t == EventType.PRESSURE_CHECKED:
        return (_("Pressure %(rule)s applied") if p.get("applied") else _("Pressure %(rule)s checked, not applied")) % {
            "rule": p.get("rule") or p.get("pressure", "")
        }
    if t == EventType.INJECT_SEEN:
        return _("%(name)s read event #%(seq)s") % {
            "name": log.names.get(p.get("participant", ""), ""),
            "seq": p.get("seq", ""),
        }
    if t == EventType.COMMAND_REJECTED:
        return _("Refused under %(rule)s — %(role)s, %(command)s: %(message)s") % {
            "role": role or log.actor_label(e.actor),
            "command": command_label(p.get("command", "")),
            "rule": p.get("rule", ""),
            "message": rejection(p, log.scenario, log.lang),
        }
    if t == EventType.CONTRADICTION:
        return _("Contradiction (%(rule)s) on %(topic)s: %(stances)s") % {
            "rule": p.get("rule", ""),
            "topic": log.topic_label(p.get("topic", "")),
            "stances": " → ".join(p.get("stances") or []),
        }
    if t == EventType.NOTE_ADDED:
        return _("Evaluator note: %(text)s") % {"text": p.get("text", "")}
    if t == EventType.REPORT_EDITED:
        return _("After-action report edited")
    if t in (EventType.BOT_SEATED, EventType.BOT_UNSEATED):
        text = _("A bot plays %(role)s") if t == EventType.BOT_SEATED else _("The bot left %(role)s")
        return text % {"role": role}
    if t == EventType.PARTICIPANT_REMOVED:
        return _("The facilitator removed %(name)s from the table") % {"name": p.get("name", "")}
    if t == EventType.EXERCISE_FORKED:
        return _("Forked from an earlier exercise after event #%(seq)s") % {
            "seq": p.get("parent_seq", ""),
        }
    return t


def command_label(command: str) -> str:
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


def proposal_action(log: Log, payload: dict[str, Any]) -> str:
    proposed = log.by_seq.get(int(payload.get("proposal") or 0))
    return proposed.payload.get("action", "") if proposed else ""
