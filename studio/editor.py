"""The structured editor: which fields each panel shows, and how a form changes the scenario dict.

The editor works on the parsed dict (``Draft.raw``), one item or block at a time, and the
service writes it back out as YAML (``yamlio.dump``). Simple values get inputs; every text
gets an English and a Spanish box side by side; nested logic (a trigger, an outcome, a list
of approvals) is edited as a small YAML box read with the loader's own rules. A value that
does not convert (``abc`` for a number) is kept as typed, so the validator names it at its
place, as it would in a file.

An untouched field never changes the dict: values are compared after conversion, and a key
the file did not have stays absent when the field is left empty or at its default.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from scenarios import schema as s
from scenarios.loader import Problem, ScenarioError

from .problems import anchor_id, tokens
from .yamlio import dump_fragment, read_value

if TYPE_CHECKING:  # django-stubs' name for "str or gettext_lazy", which form labels accept
    from django_stubs_ext import StrOrPromise

MISSING = object()
LANGS = ("en", "es")
KINDS = ["decision", "order", "statement", "request", "vote", "card"]


@dataclass(frozen=True)
class Field:
    key: str  # the YAML key; dotted for a block's nested value ("clock.t0")
    kind: str  # id str longstr int float bool offset choice ids text texts yaml
    label: StrOrPromise
    required: bool = False
    default: Any = MISSING
    long: bool = False
    choices: str = ""  # where a choice's options come from
    model: type | None = None  # the format's model of a YAML box's value (for its key order)
    help: StrOrPromise = ""

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(self.key.split("."))

    @property
    def name(self) -> str:
        return "-".join(self.path)


@dataclass(frozen=True)
class Group:
    name: str
    title: StrOrPromise
    path: tuple[str, ...]  # where the list is (a list group), or () for a block at the top level
    fields: tuple[Field, ...]
    is_list: bool = True
    new: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    columns: tuple[str, ...] = ()  # summary columns of the list table (field keys)

    @property
    def can_add(self) -> bool:  # templates call callables, so they ask this instead of ``new``
        return self.new is not None


def _blank() -> dict[str, str]:
    return {"en": "", "es": ""}


def _fresh_id(raw: dict[str, Any], path: tuple[str, ...], stem: str) -> str:
    items = _get(raw, path) or []
    taken = {i.get("id") for i in items if isinstance(i, dict)}
    n, ident = 1, f"new_{stem}"
    while ident in taken:
        n += 1
        ident = f"new_{stem}_{n}"
    return ident


def _first_id(raw: dict[str, Any], key: str, *, played: bool = False) -> str:
    for item in raw.get(key) or []:
        if isinstance(item, dict) and isinstance(item.get("id"), str) and not (played and item.get("institution")):
            return item["id"]
    return ""


ID = Field("id", "id", _("Id"), required=True, help=_("Lowercase letters, digits and _ ; unique in its list."))
T = Field

GROUPS: dict[str, Group] = {
    g.name: g
    for g in [
        Group(
            "overview",
            _("Scenario"),
            (),
            (
                T("title", "text", _("Title"), required=True),
                T("period", "text", _("Period"), required=True),
                T("summary", "text", _("Summary"), required=True, long=True),
                T(
                    "clock.t0",
                    "str",
                    _("T+0 (in-game date and time)"),
                    required=True,
                    help=_("ISO 8601, e.g. 2001-09-11T08:46:00-04:00"),
                ),
                T(
                    "clock.end",
                    "offset",
                    _("End of the exercise"),
                    required=True,
                    help=_("An offset from T+0: 3d, 36h, 1d12h"),
                ),
                T("clock.timezone", "str", _("Time zone"), default="UTC", help=_("An IANA name: America/Mexico_City")),
            ),
            is_list=False,
        ),
        Group(
            "sides",
            _("Sides"),
            ("sides",),
            (ID, T("name", "text", _("Name"), required=True)),
            new=lambda raw: {"id": _fresh_id(raw, ("sides",), "side"), "name": _blank()},
            columns=("id", "name"),
        ),
        Group(
            "roles",
            _("Roles"),
            ("roles",),
            (
                ID,
                T("side", "choice", _("Side"), required=True, choices="sides"),
                T("title", "text", _("Title"), required=True),
                T("holder", "str", _("Historical holder")),
                T("institution", "bool", _("An institution nobody plays (the engine answers for it)"), default=False),
                T("fill_order", "int", _("Fill order (1 = first)"), default=50),
                T("public_brief", "text", _("Public brief"), required=True, long=True),
                T("private_brief", "text", _("Private brief (only the holder reads it)"), long=True),
                T("powers", "texts", _("Powers")),
                T(
                    "objectives",
                    "yaml",
                    _("Private objectives"),
                    model=s.Objective,
                    help=_("A list of {id, text: {en, es}, done_when: condition, points}."),
                ),
            ),
            new=lambda raw: {
                "id": _fresh_id(raw, ("roles",), "role"),
                "side": _first_id(raw, "sides"),
                "title": _blank(),
                "public_brief": _blank(),
                "private_brief": _blank(),
            },
            columns=("id", "side", "title", "institution"),
        ),
        Group(
            "channels",
            _("Channels"),
            ("channels",),
            (
                ID,
                T("name", "text", _("Name"), required=True),
                T(
                    "members",
                    "ids",
                    _("Members"),
                    required=True,
                    choices="audience",
                    help=_("Role ids, side ids or all."),
                ),
                T("open", "bool", _("Open at the start"), default=True),
                T("public", "bool", _("Public (the projector shows it)"), default=False),
                T(
                    "delay",
                    "offset",
                    _("Delivery delay"),
                    default=0,
                    help=_("Game time a message takes: 6h for a cable."),
                ),
                T("rule", "str", _("Rule cited when closed")),
                T("closed_reason", "text", _("Why it is closed")),
                T("description", "text", _("Description")),
            ),
            new=lambda raw: {"id": _fresh_id(raw, ("channels",), "channel"), "name": _blank(), "members": ["all"]},
            columns=("id", "name", "members", "open"),
        ),
        Group(
            "indicators",
            _("Indicators"),
            ("indicators",),
            (
                ID,
                T("name", "text", _("Name"), required=True),
                T("meaning", "text", _("Meaning"), required=True, long=True),
                T("min", "int", _("Minimum"), default=0),
                T("max", "int", _("Maximum"), default=100),
                T("start", "int", _("Start value"), required=True),
                T("visible_to", "ids", _("Visible to"), default=["all"], choices="audience"),
                T("start_note", "text", _("Note on the start value")),
            ),
            new=lambda raw: {
                "id": _fresh_id(raw, ("indicators",), "indicator"),
                "name": _blank(),
                "meaning": _blank(),
                "start": 50,
            },
            columns=("id", "name", "start", "visible_to"),
        ),
        Group(
            "phases",
            _("Phases"),
            ("phases",),
            (
                ID,
                T("title", "text", _("Title"), required=True),
                T(
                    "start",
                    "offset",
                    _("Starts at"),
                    required=True,
                    help=_("An offset from T+0; phases are in time order."),
                ),
                T("rate", "float", _("Rate (game seconds per real second)"), default=60),
                T("description", "text", _("Description"), long=True),
            ),
            new=lambda raw: {"id": _fresh_id(raw, ("phases",), "phase"), "title": _blank(), "start": "1h"},
            columns=("id", "title", "start", "rate"),
        ),
        Group(
            "injects",
            _("Injects (MSEL)"),
            ("injects",),
            (
                ID,
                T(
                    "at",
                    "offset",
                    _("Time offset"),
                    help=_("When it fires: 1h30m, -6d. Leave empty for a trigger or on demand."),
                ),
                T(
                    "trigger",
                    "yaml",
                    _("Trigger"),
                    model=s.Condition,
                    help=_("A condition, e.g. {indicator: trust, op: lt, value: 40}."),
                ),
                T("from", "text", _("From")),
                T(
                    "recipients",
                    "ids",
                    _("To"),
                    required=True,
                    choices="audience",
                    help=_("Role ids, side ids or all."),
                ),
                T("title", "text", _("Title"), required=True),
                T("text", "text", _("Text"), required=True, long=True),
                T(
                    "instructor",
                    "text",
                    _("Controller-only note"),
                    long=True,
                    help=_("Shown on the facilitator's console (instructor notes), never to players."),
                ),
                T("source", "str", _("Source")),
                T("public", "bool", _("Public (the projector shows it)"), default=False),
                T("hidden", "bool", _("Confidential card"), default=False),
                T(
                    "outcome",
                    "yaml",
                    _("Outcome"),
                    model=s.Outcome,
                    help=_("{effects: [{indicator: trust, delta: -5}], triggers: [...]}"),
                ),
                T(
                    "delivery",
                    "yaml",
                    _("Delivery (may be lost)"),
                    model=s.Delivery,
                    help=_("{probability: {base: 0.6}, rule: R12}"),
                ),
                T("debrief", "ids", _("Debrief questions"), choices="debrief"),
            ),
            new=lambda raw: {
                "id": _fresh_id(raw, ("injects",), "inject"),
                "recipients": ["all"],
                "title": _blank(),
                "text": _blank(),
            },
        ),
        Group(
            "actions",
            _("Actions"),
            ("actions",),
            (
                ID,
                T("roles", "ids", _("Roles that may take it"), required=True, choices="roles"),
                T("title", "text", _("Title"), required=True),
                T("description", "text", _("Description"), required=True, long=True),
                T("kind", "choice", _("Kind"), default="decision", choices="kinds"),
                T("rule", "str", _("Rule tag")),
                T("once", "bool", _("Only once"), default=True),
                T("phases", "ids", _("Only in phases"), choices="phases", help=_("Empty: in every phase.")),
                T("statement", "str", _("Statement on topic"), help=_("A topic id from consistency.")),
                T("requires", "yaml", _("Requirements"), model=s.Requirement),
                T("forbidden", "yaml", _("Forbidden"), model=s.Forbidden),
                T("approvals", "yaml", _("Approvals"), model=s.Approval),
                T("options", "yaml", _("Options"), model=s.Option),
                T("outcome", "yaml", _("Outcome"), model=s.Outcome),
                T("chance", "yaml", _("Chance"), model=s.Chance),
                T("leak", "yaml", _("Leak"), model=s.Leak),
                T("debrief", "ids", _("Debrief questions"), choices="debrief"),
            ),
            new=lambda raw: {
                "id": _fresh_id(raw, ("actions",), "action"),
                "roles": [_first_id(raw, "roles", played=True)],
                "title": _blank(),
                "description": _blank(),
            },
            columns=("id", "roles", "title", "kind", "phases"),
        ),
        Group(
            "pressures",
            _("Pressures"),
            ("pressures",),
            (
                ID,
                T("every", "offset", _("Every"), required=True),
                T("when", "yaml", _("When"), required=True, model=s.Condition),
                T("outcome", "yaml", _("Outcome"), required=True, model=s.Outcome),
                T("rule", "str", _("Rule tag")),
                T("description", "text", _("Description"), required=True),
            ),
            new=lambda raw: {
                "id": _fresh_id(raw, ("pressures",), "pressure"),
                "every": "1h",
                "when": {"phase": _first_id(raw, "phases")},
                "outcome": {"effects": []},
                "description": _blank(),
            },
            columns=("id", "every", "rule", "description"),
        ),
        Group(
            "consistency",
            _("Consistency of public statements"),
            (),
            (
                T("consistency.rule", "str", _("Rule tag"), default="R3"),
                T("consistency.on_contradiction", "yaml", _("On a contradiction"), model=s.Outcome),
            ),
            is_list=False,
        ),
        Group(
            "topics",
            _("Statement topics"),
            ("consistency", "topics"),
            (ID, T("label", "text", _("Label"), required=True)),
            new=lambda raw: {"id": _fresh_id(raw, ("consistency", "topics"), "topic"), "label": _blank()},
            columns=("id", "label"),
        ),
        Group(
            "debrief",
            _("Debrief questions"),
            ("debrief",),
            (
                ID,
                T("text", "text", _("Question"), required=True, long=True),
                T("phases", "ids", _("Phases"), choices="phases"),
                T("actions", "ids", _("Actions"), choices="actions"),
                T("injects", "ids", _("Injects"), choices="injects"),
            ),
            new=lambda raw: {"id": _fresh_id(raw, ("debrief",), "q"), "text": _blank()},
            columns=("id", "text"),
        ),
        Group(
            "instructor",
            _("Instructor guide"),
            (),
            (
                T("instructor.learning_objectives", "texts", _("Learning objectives")),
                T("instructor.timing", "text", _("Timing"), long=True),
                T("instructor.fill_order", "text", _("Which roles to fill first"), long=True),
                T("instructor.watch_for", "texts", _("Watch for")),
                T("instructor.notes", "texts", _("Notes")),
                T("instructor.sources", "yaml", _("Sources"), model=s.Source),
            ),
            is_list=False,
        ),
    ]
}


@dataclass(frozen=True)
class Panel:
    name: str
    title: StrOrPromise
    groups: tuple[str, ...] = ()


PANELS = [
    Panel("overview", _("Overview"), ("overview", "sides")),
    Panel("roles", _("Roles"), ("roles",)),
    Panel("channels", _("Channels"), ("channels",)),
    Panel("indicators", _("Indicators"), ("indicators",)),
    Panel("phases", _("Phases"), ("phases",)),
    Panel("injects", _("Injects (MSEL)"), ("injects",)),
    Panel("actions", _("Actions"), ("actions",)),
    Panel("pressures", _("Pressures"), ("pressures", "consistency", "topics")),
    Panel("debrief", _("Debrief"), ("debrief", "instructor")),
    Panel("translations", _("Translations")),
    Panel("yaml", _("YAML")),
]
PANELS_BY_NAME = {p.name: p for p in PANELS}
PANEL_OF_GROUP = {g: p.name for p in PANELS for g in p.groups}


# --------------------------------------------------------------------------- dict access


def _has(node: Any, part: Any) -> bool:
    """Whether ``node[part]`` is there: a key of a mapping, or an index inside a list."""
    if isinstance(node, dict):
        return isinstance(part, str) and part in node
    if isinstance(node, list):
        return isinstance(part, int) and 0 <= part < len(node)
    return False


def _get(node: Any, path: tuple[Any, ...], default: Any = None) -> Any:
    for part in path:
        if not _has(node, part):
            return default
        node = node[part]
    return node


def get_at(raw: Any, path: tuple[Any, ...]) -> Any:
    return _get(raw, path)


def set_at(raw: dict[str, Any], path: tuple[Any, ...], value: Any) -> bool:
    """Set a value at ``path`` (creating mappings on the way); False if the path runs through something else."""
    node: Any = raw
    for part in path[:-1]:
        if isinstance(node, dict) and isinstance(part, str):
            node = node.setdefault(part, {})
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return False
    last = path[-1]
    if isinstance(node, dict) and isinstance(last, str):
        node[last] = value
        return True
    if isinstance(node, list) and isinstance(last, int) and 0 <= last < len(node):
        node[last] = value
        return True
    return False


def _drop(node: dict[str, Any], path: tuple[str, ...]) -> None:
    parent = _get(node, path[:-1]) if len(path) > 1 else node
    if isinstance(parent, dict):
        parent.pop(path[-1], None)


def items_of(raw: dict[str, Any] | None, group: Group) -> list[Any]:
    found = _get(raw, group.path) if raw is not None else None
    return found if isinstance(found, list) else []


# --------------------------------------------------------------------------- display values


def shown(value: Any, field: Field) -> str:
    """A stored value as the editor shows it in a box."""
    if value is None or value is MISSING:
        return ""
    if field.kind == "ids":
        return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    if field.kind == "yaml":
        return value if isinstance(value, str) else dump_fragment(value, field.model)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def choices_for(field: Field, raw: dict[str, Any]) -> list[tuple[str, str]]:
    def ids(key: str) -> list[tuple[str, str]]:
        return [(i["id"], i["id"]) for i in raw.get(key) or [] if isinstance(i, dict) and isinstance(i.get("id"), str)]

    if field.choices == "kinds":
        return [(k, k) for k in KINDS]
    if field.choices == "audience":
        return [("all", "all"), *ids("sides"), *ids("roles")]
    return ids(field.choices)


# --------------------------------------------------------------------------- forms


class ItemForm(forms.Form):
    """A Django form made for one item's fields (its ids are the anchors problems link to)."""

    def __init__(self, group: Group, item: Any, raw: dict[str, Any], prefix: tuple[Any, ...], **kwargs: Any) -> None:
        super().__init__(auto_id=anchor_id(prefix) + "-%s" if prefix else "f-%s", **kwargs)
        self.group = group
        self.prefix_path = prefix
        self.rows: list[dict[str, Any]] = []
        item = item if isinstance(item, dict) else {}
        for field in group.fields:
            value = _get(item, field.path, MISSING)
            row: dict[str, Any] = {"field": field, "names": [], "anchor": anchor_id((*prefix, *field.path))}
            if field.kind == "text":
                text = value if isinstance(value, dict) else {}
                for lang in LANGS:
                    name = f"{field.name}-{lang}"
                    box = (
                        forms.Textarea(attrs={"rows": 4, "lang": lang})
                        if field.long
                        else forms.TextInput(attrs={"lang": lang})
                    )
                    self.fields[name] = forms.CharField(
                        required=False, label=f"{field.label} ({lang.upper()})", widget=box, strip=False
                    )
                    self.initial[name] = (
                        text.get(lang, "") if isinstance(text.get(lang, ""), str) else str(text.get(lang))
                    )
                    row["names"].append(name)
            elif field.kind == "texts":
                entries = value if isinstance(value, list) else []
                row["count"] = len(entries) + 1
                for n in range(len(entries) + 1):
                    entry = entries[n] if n < len(entries) and isinstance(entries[n], dict) else {}
                    for lang in LANGS:
                        name = f"{field.name}-{n}-{lang}"
                        self.fields[name] = forms.CharField(
                            required=False,
                            label=f"{field.label} {n + 1} ({lang.upper()})",
                            widget=forms.TextInput(attrs={"lang": lang}),
                            strip=False,
                        )
                        self.initial[name] = entry.get(lang, "")
                        row["names"].append(name)
            elif field.kind == "bool":
                self.fields[field.name] = forms.BooleanField(required=False, label=field.label)
                self.initial[field.name] = bool(value) if value is not MISSING else bool(field.default is True)
                row["names"].append(field.name)
            elif field.kind == "choice":
                options = choices_for(field, raw)
                current = shown(value, field)
                if current and current not in {k for k, _label in options}:
                    options.append((current, current))
                blank = [] if field.required else [("", "—")]
                self.fields[field.name] = forms.ChoiceField(required=False, label=field.label, choices=blank + options)
                self.initial[field.name] = current or (field.default if isinstance(field.default, str) else "")
                row["names"].append(field.name)
            else:
                if field.kind in ("yaml", "longstr"):
                    lines = shown(value, field).count("\n") + 2
                    widget: forms.Widget = forms.Textarea(
                        attrs={
                            "rows": min(max(lines, 2), 16),
                            "spellcheck": "false" if field.kind == "yaml" else "true",
                            "class": "code" if field.kind == "yaml" else "",
                        }
                    )
                else:
                    widget = forms.TextInput(
                        attrs={"spellcheck": "false"} if field.kind in ("id", "ids", "offset") else {}
                    )
                self.fields[field.name] = forms.CharField(required=False, label=field.label, widget=widget, strip=False)
                self.initial[field.name] = shown(value, field)
                row["names"].append(field.name)
            if field.choices and field.kind == "ids":
                row["known"] = [k for k, _label in choices_for(field, raw)]
            self.rows.append(row)


def _convert_number(text: str, kind: str) -> Any:
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        pass
    if kind == "float":
        try:
            return float(text)
        except ValueError:
            pass
    return text  # kept as typed: the validator names it


def _offset(text: str) -> Any:
    text = text.strip()
    return int(text) if re.fullmatch(r"[-+]?\d+", text) else text


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {} or value is MISSING


def _read_text(field: Field, old: Any, data: Mapping[str, Any]) -> Any:
    """Both language boxes of a text (other keys the file had kept); MISSING when optional and blank."""
    new: dict[str, Any] = {lang: str(data.get(f"{field.name}-{lang}", "")) for lang in LANGS}
    if isinstance(old, dict):
        new = {**old, **new}
    if not field.required and not any(v.strip() for v in (new["en"], new["es"])):
        return MISSING
    return new


def _read_texts(field: Field, data: Mapping[str, Any]) -> list[dict[str, str]]:
    """The numbered rows of a list of texts, blank rows left out."""
    rows = []
    n = 0
    while f"{field.name}-{n}-en" in data or f"{field.name}-{n}-es" in data:
        en, es = str(data.get(f"{field.name}-{n}-en", "")), str(data.get(f"{field.name}-{n}-es", ""))
        if en.strip() or es.strip():
            rows.append({"en": en, "es": es})
        n += 1
    return rows


def _read_bool(field: Field, data: Mapping[str, Any]) -> bool:
    return field.name in data and str(data.get(field.name)) not in ("", "0", "false", "off")


def _read_number(field: Field, text: str) -> Any:
    return _convert_number(text, field.kind) if text.strip() else MISSING


# One box of text, by field kind (``yaml`` needs the source and its problems: ``_read_yaml``).
_BOX_READERS: dict[str, Callable[[Field, str], Any]] = {
    "ids": lambda field, text: [p for p in re.split(r"[\s,]+", text) if p],
    "int": _read_number,
    "float": _read_number,
    "offset": lambda field, text: _offset(text) if text.strip() else MISSING,
    "id": lambda field, text: text.strip(),
}


def _read_plain(field: Field, text: str) -> Any:
    return text if text.strip() or field.required else MISSING


def _read_yaml(text: str, *, where: tuple[Any, ...], source: str, problems: list[Problem]) -> Any:
    """A YAML box read with the loader's rules; text that does not parse is kept as typed."""
    if not text.strip():
        return MISSING
    try:
        return read_value(text, source=source, where=_loc(where))
    except ScenarioError as exc:
        problems += exc.problems
        return text  # kept, so the author finds it as typed


def _form_value(
    field: Field, old: Any, data: Mapping[str, Any], *, where: tuple[Any, ...], source: str, problems: list[Problem]
) -> Any:
    """The value the form gives this field, converted (MISSING: the field is left out)."""
    if field.kind == "text":
        return _read_text(field, old, data)
    if field.kind == "texts":
        return _read_texts(field, data)
    if field.kind == "bool":
        return _read_bool(field, data)
    text = str(data.get(field.name, ""))
    if field.kind == "yaml":
        return _read_yaml(text, where=(*where, *field.path), source=source, problems=problems)
    return _BOX_READERS.get(field.kind, _read_plain)(field, text)


def _store(out: dict[str, Any], field: Field, old: Any, new: Any) -> None:
    """Write ``new`` at the field's path, unless it leaves the file as it was."""
    if new is MISSING or (_empty(new) and not field.required):
        if old is not MISSING and not (field.kind == "texts" and old == [] and new == []):
            _drop(out, field.path)
        return
    if old is MISSING and field.default is not MISSING and new == field.default:
        return  # the default, and the file did not say it: keep the file as it was
    if old != new:
        set_at(out, field.path, new)


def apply(
    group: Group, item: dict[str, Any], data: Mapping[str, Any], *, where: tuple[Any, ...], source: str
) -> tuple[dict[str, Any], list[Problem]]:
    """The item with the form's values; problems of YAML boxes that do not parse (kept as text)."""
    out = copy.deepcopy(item) if isinstance(item, dict) else {}
    problems: list[Problem] = []
    for field in group.fields:
        old = _get(out, field.path, MISSING)
        _store(out, field, old, _form_value(field, old, data, where=where, source=source, problems=problems))
    return out, problems


def _loc(path: tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def anchors(raw: dict[str, Any] | None) -> set[str]:
    """Every anchor the editor can show for this scenario (fields, texts' boxes, items)."""
    found = {"f-yaml"}
    if raw is None:
        return found
    for group in GROUPS.values():
        prefixes: list[tuple[Any, ...]] = (
            [(*group.path, n) for n in range(len(items_of(raw, group)))] if group.is_list else [()]
        )
        for prefix in prefixes:
            if prefix:
                found.add(anchor_id(prefix))
            item = _get(raw, prefix) if prefix else raw
            for field in group.fields:
                base = (*prefix, *field.path)
                found.add(anchor_id(base))
                if field.kind == "text":
                    found.update(anchor_id((*base, lang)) for lang in LANGS)
                elif field.kind == "texts":
                    count = len(_get(item, field.path) or []) if isinstance(_get(item, field.path), list) else 0
                    found.update(anchor_id((*base, n, lang)) for n in range(count) for lang in LANGS)
    return found


def group_of_location(location: str) -> tuple[Group | None, int | None]:
    """The group a problem's location falls in, and the item's index for a list group."""
    path = tokens(location)
    best: tuple[Group | None, int | None] = (None, None)
    for group in GROUPS.values():
        if group.is_list:
            n = len(group.path)
            index = path[n] if path[:n] == group.path and len(path) > n else None
            if isinstance(index, int):
                return group, index
            if path[:n] == group.path and len(path) == n:
                best = (group, None)
        else:
            if any(path[: len(f.path)] == f.path for f in group.fields):
                best = (group, None)
    return best
