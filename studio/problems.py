"""The loader's problems as the studio shows them: stored, translated, and linked to a field.

The loader (plain Python) writes English. Each message is a ``scenarios.messages.Msg`` that
keeps its template and parameters, so it is stored here as data and translated when shown,
in the reader's language: the Spanish templates are ordinary gettext entries (this app's
``locale/es``), keyed by the English template. A message we cannot translate is shown in
English rather than not at all.
"""

from __future__ import annotations

import contextlib
import math
import re
from dataclasses import dataclass
from typing import Any

from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from scenarios.loader import FILE, ROOT, Problem
from scenarios.messages import Msg

# --------------------------------------------------------------------------- stored form


def _param(value: Any) -> Any:
    if isinstance(value, Msg):
        return _msg(value)
    if isinstance(value, bool | int | str) or (isinstance(value, float) and math.isfinite(value)):
        return value
    raise TypeError("not storable")


def _msg(message: Msg) -> dict[str, Any]:
    return {"t": message.template, "c": message.code, "p": {k: _param(v) for k, v in message.params.items()}}


def store(problems: list[Problem]) -> list[dict[str, Any]]:
    """Problems as JSON: the English text always, the template and parameters when they can be kept."""
    out = []
    for p in problems:
        item: dict[str, Any] = {"location": p.location, "message": str(p.message)}
        if isinstance(p.message, Msg):
            with contextlib.suppress(TypeError):
                item["msg"] = _msg(p.message)
        out.append(item)
    return out


# --------------------------------------------------------------------------- translation

# pydantic's own messages, by error type (its English stays as pydantic wrote it).
PYDANTIC = {
    "string_too_short": gettext_noop("must not be empty{got}"),
    "string_too_long": gettext_noop("is too long: at most {max_length} characters{got}"),
    "string_pattern_mismatch": gettext_noop("must match {pattern}: lowercase letters, digits and '_' or '-'{got}"),
    "string_type": gettext_noop("must be text{got}"),
    "int_type": gettext_noop("must be a whole number{got}"),
    "int_parsing": gettext_noop("must be a whole number{got}"),
    "int_from_float": gettext_noop("must be a whole number{got}"),
    "float_type": gettext_noop("must be a number{got}"),
    "float_parsing": gettext_noop("must be a number{got}"),
    "bool_type": gettext_noop("must be true or false{got}"),
    "bool_parsing": gettext_noop("must be true or false{got}"),
    "list_type": gettext_noop("must be a list{got}"),
    "dict_type": gettext_noop("must be a mapping of keys{got}"),
    "too_short": gettext_noop("needs at least {min_length} item(s){got}"),
    "too_long": gettext_noop("has too many items: at most {max_length}{got}"),
    "greater_than_equal": gettext_noop("must be {ge} or more{got}"),
    "less_than_equal": gettext_noop("must be {le} or less{got}"),
    "greater_than": gettext_noop("must be more than {gt}{got}"),
    "less_than": gettext_noop("must be less than {lt}{got}"),
    "literal_error": gettext_noop("must be one of {expected}{got}"),
    "enum": gettext_noop("must be one of {expected}{got}"),
}

# PyYAML's most common complaints, which arrive as plain English inside "invalid YAML ...".
YAML_WORDS = [
    gettext_noop("mapping values are not allowed here"),
    gettext_noop("could not find expected ':'"),
    gettext_noop("found character '\\t' that cannot start any token"),
    gettext_noop("found undefined alias"),
    gettext_noop("did not find expected key"),
    gettext_noop("did not find expected node content"),
    gettext_noop("did not find expected ',' or ']'"),
    gettext_noop("did not find expected ',' or '}'"),
    gettext_noop("found unexpected end of stream"),
    gettext_noop("found unexpected ':'"),
    gettext_noop("expected <block end>, but found '<block mapping start>'"),
    gettext_noop("expected <block end>, but found '-'"),
    gettext_noop("expected <block end>, but found '<scalar>'"),
    gettext_noop("while parsing a block mapping"),
    gettext_noop("while parsing a block collection"),
    gettext_noop("while parsing a flow mapping"),
    gettext_noop("while parsing a flow sequence"),
    gettext_noop("while scanning a simple key"),
    gettext_noop("while scanning a quoted scalar"),
    gettext_noop("while scanning a plain scalar"),
]
_YAML_WORDS = frozenset(YAML_WORDS)


def _render(data: Any) -> Any:
    if isinstance(data, dict) and "t" in data:
        params = {k: _render(v) for k, v in data.get("p", {}).items()}
        code = data.get("c") or ""
        if code.startswith("pydantic:") and code[9:] in PYDANTIC:
            template = gettext(PYDANTIC[code[9:]])
        else:
            template = gettext(data["t"]) if data["t"] else ""
        return template.format(**params)
    if isinstance(data, str) and data in _YAML_WORDS:
        return gettext(data)  # PyYAML's complaint; ids, values and names stay as written
    return data


def message(problem: dict[str, Any], lang: str) -> str:
    """The problem's message in ``lang`` (English as stored when no translation fits)."""
    if lang == "en" or "msg" not in problem:
        return problem["message"]
    with translation.override(lang):
        try:
            return str(_render(problem["msg"]))
        except (KeyError, IndexError, ValueError):
            return problem["message"]


# --------------------------------------------------------------------------- where it is

PANEL_OF = {
    "slug": "overview",
    "version": "overview",
    "title": "overview",
    "period": "overview",
    "summary": "overview",
    "languages": "overview",
    "clock": "overview",
    "sides": "overview",
    "roles": "roles",
    "channels": "channels",
    "indicators": "indicators",
    "phases": "phases",
    "injects": "injects",
    "actions": "actions",
    "pressures": "pressures",
    "consistency": "pressures",
    "debrief": "debrief",
    "instructor": "debrief",
}
LIST_SECTIONS = {"sides", "roles", "channels", "indicators", "phases", "injects", "actions", "pressures", "debrief"}
_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def tokens(location: str) -> tuple[str | int, ...]:
    """``roles[3].powers[0]`` -> ``('roles', 3, 'powers', 0)``; ``(file)`` and ``(root)`` -> ``()``."""
    if location in (FILE, ROOT):
        return ()
    return tuple(int(num) if num else name for name, num in _TOKEN.findall(location))


def anchor_id(path: tuple[str | int, ...]) -> str:
    return "f-" + "-".join(str(p) for p in path) if path else "f-yaml"


@dataclass(frozen=True)
class Place:
    panel: str
    item: int | None  # index in the panel's list, when the problem is inside one item
    anchor: str  # the id of the nearest field the editor shows


def place(location: str, known: set[str]) -> Place:
    """The panel, item and field a problem at ``location`` belongs to (``known``: the anchors shown)."""
    path = tokens(location)
    if not path or path[0] not in PANEL_OF:
        return Place("yaml", None, "f-yaml")
    panel = PANEL_OF[str(path[0])]
    item = path[1] if path[0] in LIST_SECTIONS and len(path) > 1 and isinstance(path[1], int) else None
    for end in range(len(path), 0, -1):
        candidate = anchor_id(path[:end])
        if candidate in known:
            return Place(panel, item, candidate)
    return Place(panel, item, anchor_id(path[:2] if item is not None else path[:1]))
