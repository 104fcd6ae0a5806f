"""Write a scenario dict back to YAML the way people write it, and read it with the loader's rules.

The structured editor changes the parsed dict and writes the whole text again, so this
writer must never lose or change a value: ``read(dump(raw)) == raw`` for every dict the
loader can produce (tests/test_studio_yaml.py checks it on every shipped scenario and on
generated dicts). Comments and layout are not kept; the raw YAML tab keeps a text as typed.

Layout, chosen to read like the shipped files and to diff well:
- keys in the order of the format (``schema.py`` field order), unknown keys after, as found;
- short ``{en: ..., es: ...}`` texts and short lists of ids on one line (flow style);
- text with line breaks as ``|`` blocks; long text wrapped (plain folding, same value);
- a blank line between top-level sections and between the items of top-level lists;
- list items at their key's margin (``roles:`` then ``- id: x``), as libyaml's fast emitter writes them.
"""

from __future__ import annotations

import re
import typing
from typing import Any

import yaml
from pydantic import BaseModel

from scenarios.loader import read_fragment
from scenarios.schema import Scenario

WIDTH = 110
FLOW_TEXT_MAX = 64  # an en+es pair up to this many characters goes on one line
FLOW_MAP_MAX = 56  # so does a small mapping of short values ({indicator: trust, delta: -5})


class _FlowMap(dict):
    pass


class _FlowList(list):
    pass


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """libyaml's emitter when PyYAML has it: ten times faster than the Python one (23 vs 200 ms
    for pipeline-2007), which keeps a structured save of a 2,500-line scenario well under a
    second. Its one layout difference from the shipped files: list items sit at their key's
    margin (``roles:`` then ``- id: x``), which is equally plain YAML."""


# Characters YAML readers take for line breaks (or that have no printable form): only the
# double-quoted style escapes them, so PyYAML's own choice of style could change the value.
_ODD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff\ufffe\uffff]")


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if _ODD.search(value):
        style: str | None = '"'
    else:
        style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


class _FlowDumper(yaml.SafeDumper):
    pass


_FlowDumper.add_representer(
    str, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", v, style='"' if _ODD.search(v) else None)
)


_Dumper.add_representer(str, _str)
_Dumper.add_representer(_FlowMap, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v, flow_style=True))
_Dumper.add_representer(_FlowList, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))
_Dumper.add_representer(dict, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v, flow_style=False))
_Dumper.add_representer(list, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=False))


# --------------------------------------------------------------------------- key order from the schema


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


_FIELDS: dict[type[BaseModel], dict[str, type[BaseModel] | None]] = {}


def fields_of(model: type[BaseModel]) -> dict[str, type[BaseModel] | None]:
    """YAML key -> the model its value holds (None for plain values), in the format's order."""
    found = _FIELDS.get(model)
    if found is None:
        found = _FIELDS[model] = {
            (field.alias or name): _model_of(field.annotation) for name, field in model.model_fields.items()
        }
    return found


def _short_scalar(value: Any) -> bool:
    return isinstance(value, int | float | bool) or (isinstance(value, str) and "\n" not in value and len(value) < 40)


def _ordered(value: Any, model: type[BaseModel] | None) -> Any:
    if isinstance(value, dict):
        if model is not None and model.__name__ == "Text" and set(value) <= {"en", "es"}:
            flat = all(isinstance(v, str) and "\n" not in v for v in value.values())
            if flat and sum(len(v) for v in value.values()) <= FLOW_TEXT_MAX:
                return _FlowMap((k, value[k]) for k in ("en", "es") if k in value)
        known = fields_of(model) if model is not None else {}
        keys = [k for k in known if k in value] + [k for k in value if k not in known]
        small = 0 < len(keys) <= 4 and all(_short_scalar(value[k]) for k in keys)
        if small and sum(len(k) + len(str(value[k])) + 4 for k in keys) <= FLOW_MAP_MAX:
            return _FlowMap((k, value[k]) for k in keys)
        return {k: _ordered(value[k], known.get(k)) for k in keys}
    if isinstance(value, list):
        if value and len(value) <= 12 and all(_short_scalar(v) for v in value):
            return _FlowList(value)
        return [_ordered(v, model) for v in value]
    return value


def _spaced(text: str, raw: dict[str, Any]) -> str:
    """A blank line before each top-level key and each item of a top-level list.

    Only lines at the left margin are touched. A top-level string that could be written on
    several lines (whose continuation lines might start that way) switches spacing off, so
    no value can change.
    """
    if any(isinstance(v, str) and ("\n" in v or len(v) > 60) for v in raw.values()):
        return text
    out: list[str] = []
    for line in text.splitlines():
        top_key = line[:1].isalpha()
        top_item = line.startswith("- ")
        after_key = bool(out) and out[-1][:1].isalpha()  # the line before is a top-level key
        section = top_key and (line.endswith(":") or not after_key)
        if out and out[-1] != "" and (section or (top_item and not (after_key and out[-1].endswith(":")))):
            out.append("")
        out.append(line)
    return "\n".join(out) + "\n"


def dump(raw: dict[str, Any]) -> str:
    """The scenario dict as YAML text, in the format's key order."""
    body = yaml.dump(
        _ordered(raw, Scenario),
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        width=WIDTH,
        default_flow_style=False,
    )
    return _spaced(body, raw)


def dump_fragment(value: Any, model: type[BaseModel] | None = None) -> str:
    """One field's value as YAML (a trigger, an outcome, a list of approvals) for an editor box."""
    if value is None:
        return ""
    text = yaml.dump(_ordered(value, model), Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=WIDTH)
    return text.removesuffix("...\n")  # the final newline stays: a "|" block's last line break is in it


def read_value(text: str, *, source: str, where: str) -> Any:
    """A field's YAML, read with the loader's rules; raises ``ScenarioError`` located at ``where``."""
    return read_fragment(text, source=source, where=where)


def flow(value: Any) -> str:
    """A value on one line (``{indicator: trust, op: lt, value: 40}``), for tables and spreadsheet cells."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    text = yaml.dump(
        value, Dumper=_FlowDumper, allow_unicode=True, sort_keys=False, default_flow_style=True, width=10**6
    )
    return text.removesuffix("...\n").strip()
