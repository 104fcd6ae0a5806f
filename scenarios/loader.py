"""Read scenario files: YAML text -> raw dict -> checked ``Scenario``.

Plain Python (no Django): the management commands, the library sync, the engine
tests and the authoring docs all rely on the same checks. Every problem is named
by file and location (``injects[2].outcome.effects[0].indicator``) and *all* of
them are reported at once, so an author fixes a file in one pass.

Schema problems (pydantic) are reported first; the cross-reference checks need a
well-formed scenario, so they run once the shape is right.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import math
import re
import typing
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from .durations import format_offset
from .messages import Msg, hint
from .schema import (
    ALL,
    Action,
    Approval,
    Condition,
    Inject,
    Outcome,
    Probability,
    Scenario,
)

FILE = "(file)"
ROOT = "(root)"
SUFFIXES = (".yaml", ".yml")
REQUIRED_LANGUAGES = ("en", "es")
BOT_LINE_MAX = 200  # characters: a bot says short lines

# pydantic names these fields after their Python attribute; authors write the YAML key.
_ALIASES = {"all_": "all", "any_": "any", "not_": "not", "from_": "from"}


@dataclass(frozen=True)
class Problem:
    file: str
    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.location}: {self.message}"


class ScenarioError(Exception):
    """A scenario that cannot be used; ``problems`` lists every reason found."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = list(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


# --------------------------------------------------------------------------- YAML


class _StrictMappings:
    """A key written twice in one mapping is an error (PyYAML keeps the last one quietly)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=deep)  # type: ignore[attr-defined]
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key: the base class explains it
                continue
            if first is not None:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    Msg("duplicate key {key!r} (first at line {line})", key=key, line=first + 1),
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)  # type: ignore[misc]


class _Loader(_StrictMappings, yaml.SafeLoader):
    """SafeLoader with three changes that spare authors silent surprises.

    - A key written twice in one mapping is an error (PyYAML keeps the last one quietly).
    - Dates and times stay strings (``t0: 2001-09-11T08:46:00-04:00`` needs no quotes, and
      the raw dict stays JSON, which is what gets stored as the version's snapshot).
    - Only ``true``/``false`` are booleans: ``yes``, ``no``, ``on`` and ``off`` stay strings,
      so an option called ``no`` is the text "no" (YAML 1.2 behaviour).
    - Aliases (``*name``) are refused: a self-referencing one recurses forever and nested
      ones expand exponentially ("billion laughs"); scenario files do not need them.
    """

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None,
                None,
                Msg("aliases (*{anchor}) are not allowed in scenario files; write the value out", anchor=event.anchor),
                event.start_mark,
            )
        return super().compose_node(parent, index)


_DROPPED_TAGS = {"tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool"}
_RESOLVERS = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _DROPPED_TAGS]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.yaml_implicit_resolvers = copy.deepcopy(_RESOLVERS)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def _load_yaml(text: str) -> Any:
    """The YAML value of ``text`` with the loader's rules; raises ``yaml.YAMLError``.

    Pure Python on purpose: libyaml (PyYAML's C parser) reads a scenario five times faster but
    accepts texts PyYAML refuses (a tab or a '?' inside plain text), so files would validate
    differently depending on the parser; one validator means one reader.
    """
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader


def _yaml_problem(source: str, exc: yaml.YAMLError) -> Problem:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or exc.context or Msg("invalid YAML")
        if exc.context and exc.problem:
            what = Msg("{problem} ({context})", problem=exc.problem, context=exc.context)
        if mark is not None:
            return Problem(
                source,
                FILE,
                Msg(
                    "invalid YAML at line {line}, column {column}: {what}",
                    line=mark.line + 1,
                    column=mark.column + 1,
                    what=what,
                ),
            )
        return Problem(source, FILE, Msg("invalid YAML: {what}", what=what))
    return Problem(source, FILE, Msg("invalid YAML: {what}", what=str(exc)))


def _plain_problems(value: Any, where: str, source: str) -> list[Problem]:
    """The raw dict is stored as JSON: only mappings with text keys, lists, text, numbers, booleans and null."""
    here = where or ROOT
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            if not isinstance(key, str):
                found.append(Problem(source, here, Msg("key {key!r} must be text", key=key)))
                continue
            found += _plain_problems(item, f"{where}.{key}" if where else key, source)
        return found
    if isinstance(value, list):
        return [p for n, item in enumerate(value) for p in _plain_problems(item, f"{where}[{n}]", source)]
    if isinstance(value, float) and not math.isfinite(value):
        return [Problem(source, here, Msg("{value!r} is not a finite number", value=value))]
    if value is None or isinstance(value, str | int | float | bool):
        return []
    return [
        Problem(
            source,
            here,
            Msg("a {kind} value cannot be stored; write text, a number or a list", kind=type(value).__name__),
        )
    ]


def _read_yaml(text: str, source: str) -> dict[str, Any]:
    if not text.strip():
        raise ScenarioError([Problem(source, FILE, Msg("the file is empty"))])
    try:
        raw = _load_yaml(text)
    except yaml.YAMLError as exc:
        raise ScenarioError([_yaml_problem(source, exc)]) from None
    if raw is None:
        raise ScenarioError([Problem(source, FILE, Msg("the file is empty"))])
    if not isinstance(raw, dict):
        kind = Msg("a list") if isinstance(raw, list) else Msg("a {kind}", kind=type(raw).__name__)
        raise ScenarioError(
            [
                Problem(
                    source,
                    ROOT,
                    Msg("the top level must be a mapping of keys (slug, title, ...), not {kind}", kind=kind),
                )
            ]
        )
    problems = _plain_problems(raw, "", source)
    if problems:
        raise ScenarioError(problems)
    return raw


def read_fragment(text: str, *, source: str, where: str) -> Any:
    """A piece of a scenario written alone (an editor's trigger or outcome field): any YAML value.

    Read with the file's own rules (no aliases, duplicate keys refused, dates as text); its
    problems are located at ``where``, the place in the scenario it will go.
    """
    try:
        value = _load_yaml(text)
    except yaml.YAMLError as exc:
        problem = _yaml_problem(source, exc)
        raise ScenarioError([Problem(source, where, problem.message)]) from None
    problems = _plain_problems(value, where, source)
    if problems:
        raise ScenarioError(problems)
    return value


# --------------------------------------------------------------------------- schema errors


def location(loc: Sequence[str | int]) -> str:
    """``('injects', 2, 'trigger', 'all', 0)`` -> ``injects[2].trigger.all[0]``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            name = _ALIASES.get(part, part)
            out += f".{name}" if out else name
    return out or ROOT


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside ``X``, ``X | None``, ``list[X]`` or ``Annotated[X, ...]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def _model_at(loc: Sequence[str | int]) -> type[BaseModel] | None:
    model: type[BaseModel] | None = Scenario
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        field = model.model_fields.get(part) or next((f for f in model.model_fields.values() if f.alias == part), None)
        model = _model_of(field.annotation) if field is not None else None
    return model


def _keys_of(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _schema_problem(source: str, error: Any) -> Problem:
    loc = tuple(error["loc"])
    where = location(loc)
    kind = error["type"]
    if kind == "extra_forbidden":
        key = loc[-1]
        extra = Msg("")
        model = _model_at(loc[:-1])
        if model is Inject and key == "note":  # the studio's first format had a one-language note
            extra = Msg(" (an inject's controller note is 'instructor: {{en: ..., es: ...}}', in both languages)")
        elif model is not None and isinstance(key, str):
            close = difflib.get_close_matches(key, _keys_of(model), n=1)
            extra = hint(close[0]) if close else Msg(" (allowed: {keys})", keys=", ".join(_keys_of(model)))
        return Problem(source, where, Msg("unknown key {key!r}{extra}", key=key, extra=extra))
    if kind == "missing":
        return Problem(source, where, Msg("missing required key {key!r}", key=location(loc[-1:])))
    if kind == "model_type":
        name = (error.get("ctx") or {}).get("class_name", "")
        expected = (
            Msg("text in both languages, {{en: ..., es: ...}}")
            if name == "Text"
            else Msg("a mapping of keys (a {name})", name=name)
        )
        return Problem(
            source, where, Msg("expected {expected} (got {got})", expected=expected, got=_short(error.get("input")))
        )
    value = error.get("input")
    cause = (error.get("ctx") or {}).get("error")
    if kind == "value_error" and isinstance(cause, ValueError) and cause.args and isinstance(cause.args[0], Msg):
        return Problem(source, where, cause.args[0])  # one of schema.py's own messages
    message = error["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    got = Msg("")
    if kind != "value_error" and (value is None or isinstance(value, str | int | float | bool)):
        got = Msg(" (got {value})", value=_short(value))
    params = {k: v for k, v in (error.get("ctx") or {}).items() if isinstance(v, str | int | float)}
    return Problem(source, where, Msg("{message}{got}", code=f"pydantic:{kind}", message=message, got=got, **params))


# --------------------------------------------------------------------------- cross-references


class _Checks:
    """Every check that needs the whole scenario: ids, references, times, ranges."""

    def __init__(self, sc: Scenario, source: str) -> None:
        self.sc = sc
        self.source = source
        self.problems: list[Problem] = []
        self.role_ids = {r.id for r in sc.roles}
        self.side_ids = {s.id for s in sc.sides}
        self.audience_ids = self.role_ids | self.side_ids | {ALL}
        self.channel_ids = {c.id for c in sc.channels}
        self.inject_ids = {i.id for i in sc.injects}
        self.action_ids = {a.id for a in sc.actions}
        self.phase_ids = {p.id for p in sc.phases}
        self.question_ids = {q.id for q in sc.debrief}
        self.topic_ids = {t.id for t in sc.consistency.topics}
        self.indicators = {i.id: i for i in sc.indicators}
        self.stances: dict[str, set[str]] = {}
        for action in sc.actions:
            if action.statement:
                self.stances.setdefault(action.statement, set()).update(o.stance for o in action.options if o.stance)
        self.start = sc.phases[0].start
        self.end = sc.clock.end

    def add(self, where: str, message: Msg) -> None:
        """One problem. Always a ``Msg`` template (``tests/test_studio_i18n.py`` checks), never an
        f-string: the studio shows every message in the facilitator's language."""
        self.problems.append(Problem(self.source, where, message))

    # ------------------------------------------------------------------ helpers
    def unique(self, items: Sequence[Any], where: str, what: str) -> None:
        seen: dict[str, int] = {}
        for n, item in enumerate(items):
            if item.id in seen:
                self.add(
                    f"{where}[{n}].id",
                    Msg(
                        "duplicate {what} id {id!r} (also at {other})",
                        what=what,
                        id=item.id,
                        other=f"{where}[{seen[item.id]}]",
                    ),
                )
            else:
                seen[item.id] = n

    def known(self, value: str, ids: set[str], where: str, what: str) -> None:
        if value not in ids:
            self.add(
                where, Msg("unknown {what} {value!r}{hint}", what=Msg(what), value=value, hint=self.suggest(value, ids))
            )

    @staticmethod
    def suggest(value: str, ids: set[str]) -> Msg:
        close = difflib.get_close_matches(value, sorted(ids), n=1)
        return hint(close[0] if close else None)

    def audience(self, ids: Sequence[str], where: str) -> None:
        for n, value in enumerate(ids):
            self.known(value, self.audience_ids, f"{where}[{n}]", "role or side")

    def debrief_refs(self, ids: Sequence[str], where: str) -> None:
        for n, value in enumerate(ids):
            self.known(value, self.question_ids, f"{where}[{n}]", "debrief question")

    def in_time(self, seconds: int, where: str, what: str) -> None:
        if not self.start <= seconds <= self.end:
            self.add(
                where,
                Msg(
                    "{what} {time} is outside the exercise, from the first phase ({start}) to clock.end ({end})",
                    what=Msg(what),
                    time=_fmt(seconds),
                    start=_fmt(self.start),
                    end=_fmt(self.end),
                ),
            )

    def outcome(self, outcome: Outcome, where: str) -> None:
        for n, effect in enumerate(outcome.effects):
            self.known(effect.indicator, set(self.indicators), f"{where}.effects[{n}].indicator", "indicator")
        for n, inject in enumerate(outcome.triggers):
            self.known(inject, self.inject_ids, f"{where}.triggers[{n}]", "inject")
        for key in ("opens", "closes"):
            for n, channel in enumerate(getattr(outcome, key)):
                self.known(channel, self.channel_ids, f"{where}.{key}[{n}]", "channel")

    def probability(self, probability: Probability, where: str) -> None:
        if probability.floor > probability.ceiling:
            self.add(
                where,
                Msg("floor {floor} is above ceiling {ceiling}", floor=probability.floor, ceiling=probability.ceiling),
            )
        for n, modifier in enumerate(probability.modifiers):
            self.known(modifier.indicator, set(self.indicators), f"{where}.modifiers[{n}].indicator", "indicator")

    def condition(self, cond: Condition, where: str) -> None:
        self._indicator_condition(cond, where)
        self._action_condition(cond, where)
        if cond.inject is not None:
            self.known(cond.inject, self.inject_ids, f"{where}.inject", "inject")
        if cond.phase is not None:
            self.known(cond.phase, self.phase_ids, f"{where}.phase", "phase")
        if cond.after is not None:
            self.in_time(cond.after, f"{where}.after", "time")
        if cond.channel_open is not None:
            self.known(cond.channel_open, self.channel_ids, f"{where}.channel_open", "channel")
        self._statement_condition(cond, where)
        for key in ("all_", "any_"):
            for n, child in enumerate(getattr(cond, key) or []):
                self.condition(child, f"{where}.{_ALIASES[key]}[{n}]")
        if cond.not_ is not None:
            self.condition(cond.not_, f"{where}.not")

    def _indicator_condition(self, cond: Condition, where: str) -> None:
        if cond.indicator is not None:
            spec = self.indicators.get(cond.indicator)
            if spec is None:
                self.known(cond.indicator, set(self.indicators), f"{where}.indicator", "indicator")
            elif cond.value is not None and not spec.min <= cond.value <= spec.max:
                self.add(
                    f"{where}.value",
                    Msg(
                        "{value} is outside {indicator}'s range {low}..{high}",
                        value=cond.value,
                        indicator=cond.indicator,
                        low=spec.min,
                        high=spec.max,
                    ),
                )
        elif cond.op is not None or cond.value is not None:
            self.add(where, Msg("'op' and 'value' belong to an indicator condition"))

    def _action_condition(self, cond: Condition, where: str) -> None:
        if cond.action is not None:
            self.known(cond.action, self.action_ids, f"{where}.action", "action")
            if cond.option is not None and cond.action in self.action_ids:
                options = {o.id for o in self.sc.action(cond.action).options}
                if cond.option not in options:
                    self.add(
                        f"{where}.option",
                        Msg(
                            "{action!r} has no option {option!r}{hint}",
                            action=cond.action,
                            option=cond.option,
                            hint=self.suggest(cond.option, options),
                        ),
                    )
        elif cond.outcome != "executed" or cond.option is not None:
            self.add(where, Msg("'outcome' and 'option' belong to an action condition"))

    def _statement_condition(self, cond: Condition, where: str) -> None:
        if cond.statement is not None:
            if cond.statement not in self.topic_ids:
                self.add(
                    f"{where}.statement",
                    Msg(
                        "{topic!r} is not a topic in consistency.topics{hint}",
                        topic=cond.statement,
                        hint=self.suggest(cond.statement, self.topic_ids),
                    ),
                )
            elif cond.stance is not None and cond.stance not in self.stances.get(cond.statement, set()):
                known = ", ".join(sorted(self.stances.get(cond.statement, set()))) or Msg("none")
                self.add(
                    f"{where}.stance",
                    Msg(
                        "no statement option on {topic!r} takes stance {stance!r} (stances: {known})",
                        topic=cond.statement,
                        stance=cond.stance,
                        known=known,
                    ),
                )
            if cond.by_side is not None:
                self.known(cond.by_side, self.side_ids, f"{where}.by_side", "side")
        elif cond.stance is not None or cond.by_side is not None:
            self.add(where, Msg("'stance' and 'by_side' belong to a statement condition"))

    # ------------------------------------------------------------------ sections
    def run(self) -> list[Problem]:
        self.header()
        self.cast()
        self.channels()
        self.indicators_()
        self.phases()
        self.unique(self.sc.injects, "injects", "inject")
        for n, inject in enumerate(self.sc.injects):
            self.inject(inject, f"injects[{n}]")
        self.unique(self.sc.actions, "actions", "action")
        for n, action in enumerate(self.sc.actions):
            self.action(action, f"actions[{n}]")
        self.pressures()
        self.consistency()
        self.debrief()
        self.bot_lines()
        return self.problems

    def header(self) -> None:
        sc = self.sc
        if sc.version < 1:
            self.add("version", Msg("{version}: versions count from 1", version=sc.version))
        missing = [lang for lang in REQUIRED_LANGUAGES if lang not in sc.languages]
        if missing:
            self.add(
                "languages",
                Msg(
                    "must include {required} (missing {missing})",
                    required=" and ".join(REQUIRED_LANGUAGES),
                    missing=", ".join(missing),
                ),
            )
        try:
            datetime.fromisoformat(sc.clock.t0)
        except ValueError:
            self.add(
                "clock.t0",
                Msg("{t0!r} is not an ISO 8601 date and time such as '2001-09-11T08:46:00-04:00'", t0=sc.clock.t0),
            )
        if zoneinfo.available_timezones():  # without a tz database there is nothing to check against
            try:
                zoneinfo.ZoneInfo(sc.clock.timezone)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                self.add(
                    "clock.timezone",
                    Msg(
                        "unknown time zone {zone!r} (use a name such as 'America/Mexico_City')", zone=sc.clock.timezone
                    ),
                )

    def cast(self) -> None:
        sc = self.sc
        self.unique(sc.sides, "sides", "side")
        self.unique(sc.roles, "roles", "role")
        for n, side in enumerate(sc.sides):
            if side.id == ALL:
                self.add(f"sides[{n}].id", Msg("{all!r} is reserved: it means every role", all=ALL))
        for n, role in enumerate(sc.roles):
            where = f"roles[{n}]"
            if role.id == ALL:
                self.add(f"{where}.id", Msg("{all!r} is reserved: it means every role", all=ALL))
            elif role.id in self.side_ids:
                self.add(
                    f"{where}.id",
                    Msg("{id!r} is also a side id; recipients and members would be ambiguous", id=role.id),
                )
            self.known(role.side, self.side_ids, f"{where}.side", "side")
            self.unique(role.objectives, f"{where}.objectives", "objective")
            parties: dict[str, int] = {}
            for k, seat in enumerate(role.seats):
                if seat.party in parties:
                    self.add(
                        f"{where}.seats[{k}].party",
                        Msg(
                            "party {party!r} is listed twice (also at seats[{other}])",
                            party=seat.party,
                            other=parties[seat.party],
                        ),
                    )
                parties.setdefault(seat.party, k)
            for k, objective in enumerate(role.objectives):
                self.condition(objective.done_when, f"{where}.objectives[{k}].done_when")
        if all(r.institution for r in sc.roles):
            self.add("roles", Msg("at least one role must be played (institution: false)"))

    def channels(self) -> None:
        self.unique(self.sc.channels, "channels", "channel")
        for n, channel in enumerate(self.sc.channels):
            self.audience(channel.members, f"channels[{n}].members")

    def indicators_(self) -> None:
        self.unique(self.sc.indicators, "indicators", "indicator")
        for n, indicator in enumerate(self.sc.indicators):
            self.audience(indicator.visible_to, f"indicators[{n}].visible_to")

    def phases(self) -> None:
        phases = self.sc.phases
        self.unique(phases, "phases", "phase")
        if self.end <= self.start:
            self.add(
                "clock.end",
                Msg(
                    "clock.end {end} must come after the first phase starts ({start})",
                    end=_fmt(self.end),
                    start=_fmt(self.start),
                ),
            )
        for n in range(1, len(phases)):
            if phases[n].start <= phases[n - 1].start:
                self.add(
                    f"phases[{n}].start",
                    Msg(
                        "{start} must come after phases[{previous}] ({id}, {previous_start}); "
                        "phases are listed in the order they happen",
                        start=_fmt(phases[n].start),
                        previous=n - 1,
                        id=phases[n - 1].id,
                        previous_start=_fmt(phases[n - 1].start),
                    ),
                )
            elif phases[n].start >= self.end:
                self.add(
                    f"phases[{n}].start",
                    Msg("{start} is at or after clock.end ({end})", start=_fmt(phases[n].start), end=_fmt(self.end)),
                )

    def inject(self, inject: Inject, where: str) -> None:
        if inject.at is not None:
            self.in_time(inject.at, f"{where}.at", "at")
        if inject.trigger is not None:
            self.condition(inject.trigger, f"{where}.trigger")
            if any(c.inject == inject.id for c in inject.trigger.walk()):
                self.add(f"{where}.trigger", Msg("{id!r} cannot wait for itself", id=inject.id))
        self.audience(inject.recipients, f"{where}.recipients")
        self.outcome(inject.outcome, f"{where}.outcome")
        for n, target in enumerate(inject.outcome.triggers):
            if target == inject.id:
                self.add(f"{where}.outcome.triggers[{n}]", Msg("{id!r} cannot trigger itself", id=inject.id))
        if inject.delivery is not None:
            self.probability(inject.delivery.probability, f"{where}.delivery.probability")
        self.debrief_refs(inject.debrief, f"{where}.debrief")

    def action(self, action: Action, where: str) -> None:
        self._takers(action, where)
        for n, phase in enumerate(action.phases):
            self.known(phase, self.phase_ids, f"{where}.phases[{n}]", "phase")
        for n, requirement in enumerate(action.requires):
            self.condition(requirement.when, f"{where}.requires[{n}].when")
        for n, approval in enumerate(action.approvals):
            self._approval(approval, f"{where}.approvals[{n}]")
        self._options(action, where)
        self.outcome(action.outcome, f"{where}.outcome")
        if action.chance is not None:
            self.probability(action.chance.probability, f"{where}.chance.probability")
            self.outcome(action.chance.success, f"{where}.chance.success")
            self.outcome(action.chance.failure, f"{where}.chance.failure")
        self._statement_action(action, where)
        if action.leak is not None:
            self.probability(action.leak.probability, f"{where}.leak.probability")
            self.known(action.leak.inject, self.inject_ids, f"{where}.leak.inject", "inject")
        self.debrief_refs(action.debrief, f"{where}.debrief")

    def _takers(self, action: Action, where: str) -> None:
        """The roles that may take the action: known, and played (not institutions)."""
        roles = self.sc.roles_by_id
        for n, role_id in enumerate(action.roles):
            if role_id not in roles:
                self.known(role_id, self.role_ids, f"{where}.roles[{n}]", "role")
            elif roles[role_id].institution:
                self.add(
                    f"{where}.roles[{n}]",
                    Msg(
                        "{role!r} is an institution (nobody plays it); it can approve an action but not take one",
                        role=role_id,
                    ),
                )

    def _approval(self, approval: Approval, at: str) -> None:
        roles = self.sc.roles_by_id
        self.known(approval.by, self.role_ids, f"{at}.by", "role")
        seats = roles[approval.by].seats if approval.by in roles else []
        if seats and approval.vote is not None and sum(s.seats for s in seats) != approval.vote.members:
            self.add(
                f"{at}.vote.members",
                Msg(
                    "{members} members, but {role!r} has {seats} seats in its blocs (roles[].seats)",
                    members=approval.vote.members,
                    role=approval.by,
                    seats=sum(s.seats for s in seats),
                ),
            )
        if approval.kind == "vote" and approval.vote is None:
            self.add(f"{at}.vote", Msg("a vote (kind: vote) needs 'vote: {{members: N}}'"))
        elif approval.kind != "vote" and approval.vote is not None:
            self.add(f"{at}.vote", Msg("'vote' needs kind: vote (this approval is kind: {kind})", kind=approval.kind))
        if approval.delay < 0:
            self.add(f"{at}.delay", Msg("delay cannot be negative"))
        if approval.probability is not None:
            self.probability(approval.probability, f"{at}.probability")
        self.outcome(approval.on_refused, f"{at}.on_refused")
        if approval.bypass is not None:
            self.outcome(approval.bypass.outcome, f"{at}.bypass.outcome")

    def _options(self, action: Action, where: str) -> None:
        self.unique(action.options, f"{where}.options", "option")
        for n, option in enumerate(action.options):
            self.outcome(option.outcome, f"{where}.options[{n}].outcome")
            if action.statement and option.stance is None:
                self.add(f"{where}.options[{n}].stance", Msg("each option of a statement action needs a stance"))
            elif not action.statement and action.kind != "statement" and option.stance is not None:
                self.add(
                    f"{where}.options[{n}].stance",
                    Msg("a stance only counts on a statement action (set 'statement: <topic>')"),
                )

    def _statement_action(self, action: Action, where: str) -> None:
        if action.kind == "statement" and action.statement is None:
            self.add(f"{where}.statement", Msg("a statement action (kind: statement) needs 'statement: <topic>'"))
        if action.statement is not None:
            if action.statement not in self.topic_ids:
                self.add(
                    f"{where}.statement",
                    Msg(
                        "{topic!r} is not declared in consistency.topics{hint}",
                        topic=action.statement,
                        hint=self.suggest(action.statement, self.topic_ids),
                    ),
                )
            if not action.options:
                self.add(f"{where}.options", Msg("a statement action needs options, each with a stance"))

    def pressures(self) -> None:
        self.unique(self.sc.pressures, "pressures", "pressure")
        for n, pressure in enumerate(self.sc.pressures):
            where = f"pressures[{n}]"
            if pressure.every <= 0:
                self.add(f"{where}.every", Msg("{every}: the period must be positive", every=_fmt(pressure.every)))
            self.condition(pressure.when, f"{where}.when")
            self.outcome(pressure.outcome, f"{where}.outcome")

    def consistency(self) -> None:
        self.unique(self.sc.consistency.topics, "consistency.topics", "topic")
        self.outcome(self.sc.consistency.on_contradiction, "consistency.on_contradiction")

    def debrief(self) -> None:
        self.unique(self.sc.debrief, "debrief", "question")
        for n, question in enumerate(self.sc.debrief):
            where = f"debrief[{n}]"
            for k, phase in enumerate(question.phases):
                self.known(phase, self.phase_ids, f"{where}.phases[{k}]", "phase")
            for k, action in enumerate(question.actions):
                self.known(action, self.action_ids, f"{where}.actions[{k}]", "action")
            for k, inject in enumerate(question.injects):
                self.known(inject, self.inject_ids, f"{where}.injects[{k}]", "inject")

    def bot_lines(self) -> None:
        """Each line names a real action or topic, a speaker who can say it, and stays short."""
        for n, line in enumerate(self.sc.bot_lines):
            where = f"bot_lines[{n}]"
            for lang in REQUIRED_LANGUAGES:
                if len(line.text.get(lang)) > BOT_LINE_MAX:
                    self.add(
                        f"{where}.text.{lang}",
                        Msg(
                            "{count} characters: keep a bot line to {limit}",
                            count=len(line.text.get(lang)),
                            limit=BOT_LINE_MAX,
                        ),
                    )
            if line.topic is not None:
                if line.topic not in self.topic_ids:
                    self.add(
                        f"{where}.topic",
                        Msg(
                            "{topic!r} is not a topic in consistency.topics{hint}",
                            topic=line.topic,
                            hint=self.suggest(line.topic, self.topic_ids),
                        ),
                    )
                    continue
                actions = [a for a in self.sc.actions if a.statement == line.topic]
            else:
                assert line.action is not None
                if line.action not in self.action_ids:
                    self.known(line.action, self.action_ids, f"{where}.action", "action")
                    continue
                actions = [self.sc.action(line.action)]
            if line.role is None:
                continue
            if line.role not in self.role_ids:
                self.known(line.role, self.role_ids, f"{where}.role", "role")
                continue
            takes = line.on in ("propose", "bypass")
            if takes:
                speakers = {r for a in actions for r in a.roles}
            else:
                speakers = {ap.by for a in actions for ap in a.approvals}
            if line.role not in speakers:
                template = {
                    (True, True): "{role!r} cannot take {action} (on: {on})",
                    (False, True): "{role!r} cannot answer {action} (on: {on})",
                    (True, False): "{role!r} cannot take statements on {topic} (on: {on})",
                    (False, False): "{role!r} cannot answer statements on {topic} (on: {on})",
                }[(takes, line.action is not None)]
                subject = {"action": line.action} if line.action is not None else {"topic": line.topic}
                self.add(f"{where}.role", Msg(template, role=line.role, on=line.on, **subject))


_fmt = format_offset  # seconds back into the file's notation (scenarios/durations.py)


# --------------------------------------------------------------------------- public API


def check(scenario: Scenario, *, source: str) -> list[Problem]:
    """Cross-reference problems of a schema-valid scenario (empty when it is usable)."""
    return _Checks(scenario, source).run()


def _validate(raw: dict[str, Any], source: str) -> tuple[Scenario | None, list[Problem]]:
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        return None, [_schema_problem(source, e) for e in exc.errors()]
    return scenario, check(scenario, source=source)


def parse(raw: dict[str, Any], *, source: str) -> Scenario:
    """Validate a raw scenario dict; raise ``ScenarioError`` naming every problem found."""
    if not isinstance(raw, dict):
        raise ScenarioError(
            [Problem(source, ROOT, Msg("the top level must be a mapping, not a {kind}", kind=type(raw).__name__))]
        )
    scenario, problems = _validate(raw, source)
    if problems or scenario is None:
        raise ScenarioError(problems)
    return scenario


@dataclass
class Validation:
    """The verdict on one text or dict, never raised: what parsed, and every problem found.

    ``raw`` is set whenever the text parsed into a mapping (even an invalid scenario), so an
    editor can still show it; ``scenario`` only when there is no problem at all.
    """

    raw: dict[str, Any] | None
    scenario: Scenario | None
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return self.scenario is not None and not self.problems


def validate_raw(raw: dict[str, Any], *, source: str) -> Validation:
    """``parse`` without the exception: for a dict built in memory (an editor's working copy)."""
    if not isinstance(raw, dict):
        return Validation(
            None,
            None,
            [Problem(source, ROOT, Msg("the top level must be a mapping, not a {kind}", kind=type(raw).__name__))],
        )
    plain = _plain_problems(raw, "", source)
    if plain:
        return Validation(raw, None, plain)
    scenario, problems = _validate(raw, source)
    return Validation(raw, scenario if not problems else None, problems)


def validate_text(text: str, *, source: str, stem: str | None = None) -> Validation:
    """Check YAML text under a (possibly virtual) file name; ``stem``: the slug it must declare."""
    try:
        raw = _read_yaml(text, source)
    except ScenarioError as exc:
        return Validation(None, None, exc.problems)
    problems: list[Problem] = []
    slug = raw.get("slug")
    if stem is not None and isinstance(slug, str) and slug != stem:
        problems.append(
            Problem(source, "slug", Msg("slug {slug!r} must match the file name ({stem!r})", slug=slug, stem=stem))
        )
    scenario, found = _validate(raw, source)
    problems += found
    return Validation(raw, scenario if not problems else None, problems)


def uses_aliases(text: str) -> bool:
    """Whether YAML text uses an alias (``*name``), found from the event stream: nothing is expanded."""
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                return True
    except yaml.YAMLError:
        return False
    return False


def _load(text: str, *, source: str, stem: str | None) -> tuple[Scenario, dict[str, Any]]:
    verdict = validate_text(text, source=source, stem=stem)
    if verdict.scenario is None or verdict.raw is None:
        raise ScenarioError(verdict.problems)
    return verdict.scenario, verdict.raw


def load_text(text: str, *, source: str) -> tuple[Scenario, dict[str, Any]]:
    """Parse YAML text; return the checked scenario and the raw dict (what gets stored)."""
    return _load(text, source=source, stem=None)


def load_file(path: str | Path, *, source: str | None = None) -> tuple[Scenario, dict[str, Any]]:
    """Load a scenario file; its slug must match its file name (``mini.yaml`` -> ``slug: mini``).

    ``source`` names the file in problems (default: the path as given).
    """
    path = Path(path)
    source = str(path) if source is None else source
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError([Problem(source, FILE, Msg("no such file"))]) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError([Problem(source, FILE, Msg("not UTF-8 text (byte {byte})", byte=exc.start))]) from None
    except OSError as exc:
        raise ScenarioError(
            [Problem(source, FILE, Msg("cannot read: {reason}", reason=str(exc.strerror or exc)))]
        ) from None
    return _load(text, source=source, stem=path.stem)


def content_hash(raw: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of the raw dict: same content, same hash, whatever the layout or comments."""
    canonical = json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def discover(dirs: Iterable[str | Path]) -> list[Path]:
    """Scenario files (``*.yaml``, ``*.yml``) in these directories, sorted; a file given directly is kept.

    Missing directories are skipped; hidden files (editor back-ups, ``.#lock`` files) are not scenarios.
    """
    found: set[Path] = set()
    for entry in map(Path, dirs):
        if entry.is_file():
            found.add(entry)
        elif entry.is_dir():
            found.update(
                p for p in entry.iterdir() if p.is_file() and p.suffix in SUFFIXES and not p.name.startswith(".")
            )
    return sorted(found)


__all__ = [
    "FILE",
    "ROOT",
    "Problem",
    "ScenarioError",
    "Validation",
    "check",
    "content_hash",
    "discover",
    "load_file",
    "load_text",
    "location",
    "parse",
    "read_fragment",
    "uses_aliases",
    "validate_raw",
    "validate_text",
]
