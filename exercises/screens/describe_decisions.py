"""``describe``'s second half: proposals, approvals, decisions, refusals and contradictions.

One small function per event type, collected in ``DECISIONS`` (merged into
``describe.DESCRIBERS``). Vote tallies and chance outcomes are what every viewer of the event
reads; proposal numbers, probabilities, stances and the refused command are the facilitator's
(``Description.details``).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from exercises import engine, wording
from exercises.engine import Viewer
from exercises.engine.events import EventType
from exercises.instructor import blocs_line

from .description import Describer, Description, proposal_action, proposal_details, role_of
from .labels import APPROVAL_STATUS, Labels, command_label, rule_badge


def _proposed(e: engine.Event, viewer: Viewer, lang: str, labels: Labels) -> Description:
    p = e.payload
    out = Description(
        "proposal", _("Proposed: %(action)s") % {"action": labels.action_title(p["action"])}, p.get("rationale", "")
    )
    if p.get("option"):
        out.badges.append((labels.option_label(p["action"], p["option"]), "info"))
    if viewer.facilitator:
        out.details.append(f"#{e.seq}")
    return out


def _approval_requested(e: engine.Event, viewer: Viewer, lang: str, labels: Labels) -> Description:
    p = e.payload
    title = _("%(action)s awaits %(approver)s") % {
        "action": labels.action_title(proposal_action(p, labels)),
        "approver": labels.role_title(p["approver"]),
    }
    return Description("proposal", title, badges=[rule_badge(p.get("rule", ""))], details=proposal_details(p, viewer))


def _approval_resolved(e: engine.Event, viewer: Viewer, lang: str, labels: Labels) -> Description:
    p = e.payload
    titles = {
        "granted": _("Approved: %(action)s"),
        "refused": _("Not approved: %(action)s"),
        "bypassed": _("Went ahead without approval: %(action)s"),
    }
    out = Description(
        "approval",
        titles.get(p["status"], _("Approval cancelled: %(action)s"))
        % {"action": labels.action_title(proposal_action(p, labels))},
        who=labels.role_title(p["approver"]),
        side=labels.side_of(p["approver"]),
        details=proposal_details(p, viewer),
    )
    if p.get("tally"):
        out.body = _("Vote: %(yes)s in favour, %(no)s against") % p["tally"] + blocs_line(p.get("blocs"))
    if p.get("reason"):
        out.body = (out.body + " " if out.body else "") + p["reason"]
    out.badges.append(rule_badge(p.get("rule", "")))
    out.badges.append((str(APPROVAL_STATUS.get(p["status"], p["status"])), p["status"]))
    return out


def _executed(e: engine.Event, viewer: Viewer, lang: str, labels: Labels) -> Description:
    p = e.payload
    spec = labels.scenario.actions_by_id.get(p["action"])
    action = labels.action_title(p["action"])
    if p.get("statement"):
        out = Description("decision", _("Public statement: %(action)s") % {"action": action})
    else:
        out = Description("decision", _("Carried out: %(action)s") % {"action": action})
    if p.get("option"):
        out.badges.append((labels.option_label(p["action"], p["option"]), "info"))
    chance = p.get("chance")
    if chance and spec is not None and spec.chance is not None:
        text = spec.chance.success_text if chance["success"] else spec.chance.failure_text
        out.body = text.get(lang) if text else (_("It worked.") if chance["success"] else _("It failed."))
        out.badges.append(rule_badge(chance.get("rule", "")))
    if chance and viewer.facilitator:
        outcome = _("succeeded") if chance.get("success") else _("failed")
        out.details.append(f"{outcome} (p={chance.get('probability')})")
    for bypass in p.get("bypassed", []):
        out.badges.append((_("without %(approver)s") % {"approver": labels.role_title(bypass["approver"])}, "bypassed"))
        out.badges.append(rule_badge(bypass.get("rule", "")))
    out.details += proposal_details(p, viewer)
    return out


def _refused(e: engine.Event, viewer: Viewer, lang: str, labels: Labels) -> Description:
    p = e.payload
    title = _("Refused: %(action)s (by %(approver)s)") % {
        "action": labels.action_title(p["action"]),
        "approver": labels.role_title(p.get("approver", "")),
    }
    return Description("refused", title, badges=[rule_badge(p.get("rule", ""))], details=proposal_details(p, viewer))


def _withdrawn(e: engine.Event, viewer: Viewer, lang: str, labels: Labels) -> Description:
    title = _("Withdrawn: %(action)s") % {"action": labels.action_title(e.payload["action"])}
    return Description("refused", title, details=proposal_details(e.payload, viewer))


def _contradiction(e: engine.Event, viewer: Viewer, lang: str, labels: Labels) -> Description:
    p = e.payload
    return Description(
        "refused",
        _("Mixed messages on %(topic)s") % {"topic": labels.topic_label(p.get("topic", ""))},
        _("Your side has now said different things in public."),
        [rule_badge(p.get("rule", ""))],
        details=[" → ".join(p.get("stances") or [])] if viewer.facilitator and p.get("stances") else [],
    )


def _rejected(e: engine.Event, viewer: Viewer, lang: str, labels: Labels) -> Description:
    p = e.payload
    title = _("Refused for %(who)s: %(message)s") % {
        "who": role_of(e, labels) or labels.actor_name(e.actor) or e.actor,
        "message": wording.rejection(p, labels.scenario, lang),
    }
    details = [command_label(p.get("command", ""))] if viewer.facilitator and p.get("command") else []
    return Description("refused", title, badges=[rule_badge(p.get("rule", ""))], details=details)


DECISIONS: dict[str, Describer] = {
    EventType.ACTION_PROPOSED: _proposed,
    EventType.APPROVAL_REQUESTED: _approval_requested,
    EventType.APPROVAL_RESOLVED: _approval_resolved,
    EventType.ACTION_EXECUTED: _executed,
    EventType.ACTION_REFUSED: _refused,
    EventType.ACTION_WITHDRAWN: _withdrawn,
    EventType.CONTRADICTION: _contradiction,
    EventType.COMMAND_REJECTED: _rejected,
}
