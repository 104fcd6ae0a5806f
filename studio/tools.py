"""Edits that touch many places at once: remove an item and the references to it, cut to phases.

A facilitator who shortens ``september-2001`` to its first three phases should not have to
delete a hundred references by hand. These tools remove what plainly goes with the cut
(later phases, injects scheduled after the new end, actions only allowed in removed phases)
and scrub the ids of removed items from every *list of ids* that names them, wherever the
format keeps one: actions' and questions' ``phases``, questions' ``actions`` and ``injects``,
every outcome's ``triggers`` (an action's, an option's, a chance's, an approval's
``on_refused`` and ``bypass``, a pressure's, ``consistency.on_contradiction``). Single
references go with what they name: an action's ``leak`` into a removed inject, a seat bot's
line (``bot_lines``) about a removed action or about a topic no remaining action lets its
speaker take. Conditions (triggers, requirements, objectives, pressures) that test removed
things are simplified (``settle``); chambers' seats, votes and ``deliberate`` markers name no
other item, so a cut keeps them as written.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from scenarios.loader import _fmt as offset_text
from scenarios.schema import parse_offset

# Lists of ids, per kind of thing they name: (section, key) inside each item of a top-level list.
ID_LISTS: dict[str, list[tuple[str, str]]] = {
    "phases": [("actions", "phases"), ("debrief", "phases")],
    "injects": [("debrief", "injects")],
    "actions": [("debrief", "actions")],
    "debrief": [("injects", "debrief"), ("actions", "debrief")],
    "roles": [("actions", "roles"), ("channels", "members"), ("injects", "recipients"), ("indicators", "visible_to")],
    "sides": [("channels", "members"), ("injects", "recipients"), ("indicators", "visible_to")],
}
OUTCOME_KEYS = {"injects": "triggers", "channels": ("opens", "closes")}


@dataclass
class Removed:
    items: list[tuple[str, str]] = field(default_factory=list)  # (section, id) removed
    scrubbed: int = 0  # references taken out of id lists

    def add(self, section: str, ident: str) -> None:
        self.items.append((section, ident))


def _outcomes(node: Any):
    """Every outcome-like mapping (has triggers/opens/closes/effects) anywhere under ``node``."""
    if isinstance(node, dict):
        if any(k in node for k in ("triggers", "opens", "closes", "effects")):
            yield node
        for value in node.values():
            yield from _outcomes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _outcomes(value)


def _scrub(raw: dict[str, Any], section: str, ident: str, removed: Removed) -> list[str]:
    """Take ``ident`` out of every id list that names a ``section`` item; return actions left with no phase."""
    orphans = []
    for where, key in ID_LISTS.get(section, []):
        for item in raw.get(where) or []:
            if isinstance(item, dict) and isinstance(item.get(key), list) and ident in item[key]:
                item[key] = [v for v in item[key] if v != ident]
                removed.scrubbed += 1
                if where == "actions" and key == "phases" and not item[key]:
                    orphans.append(item.get("id"))
    keys = OUTCOME_KEYS.get(section)
    for key in (keys,) if isinstance(keys, str) else keys or ():
        for outcome in _outcomes(raw):
            if isinstance(outcome.get(key), list) and ident in outcome[key]:
                outcome[key] = [v for v in outcome[key] if v != ident]
                removed.scrubbed += 1
    return [o for o in orphans if isinstance(o, str)]


def remove(raw: dict[str, Any], section: str, index: int, removed: Removed | None = None) -> Removed:
    """Remove item ``index`` of ``section`` and its references (in place); actions it leaves with
    no phase to run in go too (an empty ``phases`` would mean *every* phase)."""
    removed = removed or Removed()
    items = raw.get(section)
    if not isinstance(items, list) or not 0 <= index < len(items):
        return removed
    item = items.pop(index)
    ident = item.get("id") if isinstance(item, dict) else None
    removed.add(section, str(ident or index))
    if isinstance(ident, str) and not any(isinstance(i, dict) and i.get("id") == ident for i in items):
        for orphan in _scrub(raw, section, ident, removed):
            position = next(
                (n for n, a in enumerate(raw.get("actions") or []) if isinstance(a, dict) and a.get("id") == orphan),
                None,
            )
            if position is not None:
                remove(raw, "actions", position, removed)
    return removed


def cut_to_phases(raw: dict[str, Any], keep: int) -> tuple[dict[str, Any], Removed]:
    """Keep the first ``keep`` phases; the clock ends where the next one would have started."""
    out = copy.deepcopy(raw)
    removed = Removed()
    phases = out.get("phases")
    if not isinstance(phases, list) or not 1 <= keep < len(phases):
        return out, removed
    try:
        end = parse_offset(phases[keep].get("start"))
    except (ValueError, AttributeError):
        end = None
    while len(out["phases"]) > keep:
        remove(out, "phases", len(out["phases"]) - 1, removed)
    if end is not None:
        out.setdefault("clock", {})["end"] = offset_text(end)
        for n in range(len(out.get("injects") or []) - 1, -1, -1):
            at = out["injects"][n].get("at") if isinstance(out["injects"][n], dict) else None
            try:
                late = at is not None and parse_offset(at) >= end
            except ValueError:
                late = False
            if late:
                remove(out, "injects", n, removed)
    settle(out, Gone(end=end), removed, before=raw)
    _drop_dangling(out, removed)
    return out, removed


def _drop_dangling(raw: dict[str, Any], removed: Removed) -> None:
    """Single references to what the cut removed: they cannot be scrubbed from a list, so they go.

    - ``actions[].leak``: a leak into an inject that no longer exists can never happen;
    - ``bot_lines[]``: a line about an action that is gone, or about a topic that its speaker has
      no remaining statement action on (what a bot would never say).
    """
    injects = {i.get("id") for i in raw.get("injects") or [] if isinstance(i, dict)}
    actions = {a.get("id"): a for a in raw.get("actions") or [] if isinstance(a, dict)}
    for action in actions.values():
        leak = action.get("leak")
        if isinstance(leak, dict) and leak.get("inject") not in injects:
            action.pop("leak")
            removed.scrubbed += 1
    lines = raw.get("bot_lines")
    if not isinstance(lines, list):
        return
    kept = []
    for n, line in enumerate(lines):
        if isinstance(line, dict) and not _line_dangles(line, actions):
            kept.append(line)
        else:
            removed.add("bot_lines", str(n))
    raw["bot_lines"] = kept


def _line_dangles(line: dict[str, Any], actions: dict[Any, dict[str, Any]]) -> bool:
    if line.get("action") is not None:
        if line["action"] not in actions:
            return True
        subjects = [actions[line["action"]]]
    elif line.get("topic") is not None:
        subjects = [a for a in actions.values() if a.get("statement") == line["topic"]]
        if not subjects and line.get("role") is None:
            return False  # a topic line for anyone: the topic itself is kept (consistency.topics)
    else:
        return False  # malformed: the validator says so
    role = line.get("role")
    if role is None:
        return False
    if line.get("on", "propose") in ("propose", "bypass"):
        speakers = {r for a in subjects for r in a.get("roles") or []}
    else:
        speakers = {ap.get("by") for a in subjects for ap in a.get("approvals") or [] if isinstance(ap, dict)}
    return role not in speakers


# --------------------------------------------------------------------------- conditions about removed things

TRUE, FALSE = "true", "false"


@dataclass
class Gone:
    """What no longer exists after a cut: such things can never happen."""

    actions: set[str] = field(default_factory=set)
    injects: set[str] = field(default_factory=set)
    phases: set[str] = field(default_factory=set)
    channels: set[str] = field(default_factory=set)
    stances: set[tuple[str, str]] = field(default_factory=set)  # (topic, stance) nobody can take any more
    topics: set[str] = field(default_factory=set)  # topics no remaining action speaks on
    end: int | None = None


def simplify(cond: Any, gone: Gone) -> Any:
    """``cond`` with what tests removed things replaced by its known value: TRUE, FALSE or a smaller condition.

    An action, inject or phase that was cut never happens, and a time after the new end is never
    reached. Anything else (indicators, statements, things that still exist) is kept as written.
    """
    if not isinstance(cond, dict):
        return cond
    if "action" in cond and cond["action"] in gone.actions:
        return FALSE
    if "inject" in cond and cond["inject"] in gone.injects:
        return FALSE
    if "phase" in cond and cond["phase"] in gone.phases:
        return FALSE
    if "channel_open" in cond and cond["channel_open"] in gone.channels:
        return FALSE
    if "statement" in cond and (
        cond["statement"] in gone.topics or (cond["statement"], cond.get("stance")) in gone.stances
    ):
        return FALSE
    if "after" in cond and gone.end is not None:
        try:
            if parse_offset(cond["after"]) > gone.end:
                return FALSE
        except ValueError:
            pass
    if "not" in cond and len(cond) == 1:
        inner = simplify(cond["not"], gone)
        return {TRUE: FALSE, FALSE: TRUE}.get(inner, {"not": inner}) if isinstance(inner, str) else {"not": inner}
    for key, neutral, absorbing in (("all", TRUE, FALSE), ("any", FALSE, TRUE)):
        if key in cond and len(cond) == 1 and isinstance(cond[key], list):
            parts = [simplify(c, gone) for c in cond[key]]
            if absorbing in parts:
                return absorbing
            parts = [p for p in parts if p != neutral]
            if not parts:
                return neutral
            return parts[0] if len(parts) == 1 else {key: parts}
    return cond


def _always(raw: dict[str, Any]) -> dict[str, Any]:
    """A condition that is always true (the format has no literal): game time has reached the first phase."""
    phases = raw.get("phases") or [{}]
    return {"after": phases[0].get("start", 0)}


class _ConditionPass:
    """One pass over every condition of the scenario, simplified against what is gone."""

    def __init__(self, raw: dict[str, Any], gone: Gone, removed: Removed) -> None:
        self.raw, self.gone, self.removed = raw, gone, removed
        self.changed = False

    def rewrite(self, holder: dict[str, Any], key: str) -> Any:
        """The condition at ``holder[key]`` simplified (TRUE, FALSE or a smaller condition, stored)."""
        if key not in holder:
            return None
        new = simplify(holder[key], self.gone)
        if new != holder[key]:
            self.changed = True
            if new not in (TRUE, FALSE):
                holder[key] = new
        return new

    def injects(self) -> None:
        raw = self.raw
        for n in range(len(raw.get("injects") or []) - 1, -1, -1):
            inject = raw["injects"][n]
            if not isinstance(inject, dict):
                continue
            result = self.rewrite(inject, "trigger")
            if result == FALSE:  # it can never fire
                self.gone.injects.add(str(inject.get("id")))
                remove(raw, "injects", n, self.removed)
            elif result == TRUE:
                inject.pop("trigger")
                inject["at"] = _always(raw)["after"]

    def actions(self) -> None:
        raw = self.raw
        for n in range(len(raw.get("actions") or []) - 1, -1, -1):
            action = raw["actions"][n]
            if not isinstance(action, dict) or not isinstance(action.get("requires"), list):
                continue
            verdicts = [self.rewrite(r, "when") if isinstance(r, dict) else None for r in action["requires"]]
            if FALSE in verdicts:  # a requirement that can never be met: the action can never be taken
                self.gone.actions.add(str(action.get("id")))
                remove(raw, "actions", n, self.removed)
            elif TRUE in verdicts:
                action["requires"] = [r for r, v in zip(action["requires"], verdicts, strict=True) if v != TRUE]

    def objectives(self) -> None:
        for role in self.raw.get("roles") or []:
            if not isinstance(role, dict) or not isinstance(role.get("objectives"), list):
                continue
            kept = []
            for objective in role["objectives"]:
                verdict = self.rewrite(objective, "done_when") if isinstance(objective, dict) else None
                if verdict == FALSE:  # it can never be met
                    self.removed.add("objectives", f"{role.get('id')}.{objective.get('id')}")
                else:
                    if verdict == TRUE:
                        objective["done_when"] = _always(self.raw)
                    kept.append(objective)
            role["objectives"] = kept

    def pressures(self) -> None:
        raw = self.raw
        for n in range(len(raw.get("pressures") or []) - 1, -1, -1):
            pressure = raw["pressures"][n]
            verdict = self.rewrite(pressure, "when") if isinstance(pressure, dict) else None
            if verdict == FALSE:  # it never applies
                remove(raw, "pressures", n, self.removed)
            elif verdict == TRUE:
                pressure["when"] = _always(raw)


def _resolve_conditions(raw: dict[str, Any], gone: Gone, removed: Removed) -> bool:
    """One pass: rewrite conditions about removed things; remove what can now never happen. True if changed."""
    one_pass = _ConditionPass(raw, gone, removed)
    one_pass.injects()
    one_pass.actions()
    one_pass.objectives()
    one_pass.pressures()
    return one_pass.changed


def _stances(raw: dict[str, Any]) -> tuple[set[str], set[tuple[str, str]]]:
    topics, stances = set(), set()
    for action in raw.get("actions") or []:
        if isinstance(action, dict) and isinstance(action.get("statement"), str):
            topics.add(action["statement"])
            for option in action.get("options") or []:
                if isinstance(option, dict) and option.get("stance"):
                    stances.add((action["statement"], option["stance"]))
    return topics, stances


def settle(raw: dict[str, Any], gone: Gone, removed: Removed, *, before: dict[str, Any] | None = None) -> None:
    """Rewrite conditions until nothing more changes (removing an inject can doom another trigger).

    ``before``: the scenario before the cut, to tell statements nobody can make any more.
    """
    topics_before, stances_before = _stances(before) if before is not None else (set(), set())
    for section in ("actions", "injects"):
        gone_set = gone.actions if section == "actions" else gone.injects
        gone_set.update(ident for kind, ident in removed.items if kind == section)
    gone.phases.update(ident for kind, ident in removed.items if kind == "phases")
    gone.channels.update(ident for kind, ident in removed.items if kind == "channels")
    for _round in range(20):
        topics_now, stances_now = _stances(raw)
        gone.topics, gone.stances = topics_before - topics_now, stances_before - stances_now
        if not _resolve_conditions(raw, gone, removed):
            break
        gone.actions.update(ident for kind, ident in removed.items if kind == "actions")
        gone.injects.update(ident for kind, ident in removed.items if kind == "injects")
