"""Every bilingual text of a scenario, and which Spanish texts are missing or stale.

A text is found by walking the raw dict along the format (``schema.py``): wherever the
format expects ``Text`` there is an ``{en, es}`` pair. Each has two names:

- ``location``: where it is now (``injects[3].title``), for links and error messages;
- ``key``: a name that survives reordering (``injects:attacks_on_us.title``), the list index
  replaced by the item's ``id`` where it has one. Translation marks are stored by key, so
  deleting inject 2 does not make inject 3's marks point at the wrong text.

Staleness: when someone edits a Spanish text, the studio records a hash of the English text
at that moment (``marks[key]``). If the English later changes and the Spanish does not, the
hashes differ and the Spanish is *stale*: written for an English text that no longer exists.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from scenarios.schema import Scenario, Text

from .yamlio import fields_of

MISSING, STALE, OK = "missing", "stale", "ok"


@dataclass(frozen=True)
class TextRef:
    location: str
    key: str
    en: str
    es: str


def en_hash(text: str) -> str:
    return hashlib.blake2b(text.strip().encode("utf-8"), digest_size=8).hexdigest()


def _walk(value: Any, model: type[BaseModel] | None, loc: str, key: str) -> Iterator[TextRef]:
    if model is None:
        return
    if isinstance(value, list):
        for n, item in enumerate(value):
            ident = item.get("id") if isinstance(item, dict) else None
            sub_key = f"{key}:{ident}" if isinstance(ident, str) and ident else f"{key}[{n}]"
            yield from _walk(item, model, f"{loc}[{n}]", sub_key)
        return
    if not isinstance(value, dict):
        return
    if model is Text:
        en, es = value.get("en"), value.get("es")
        yield TextRef(loc, key, en if isinstance(en, str) else "", es if isinstance(es, str) else "")
        return
    for name, sub in fields_of(model).items():
        if name in value and sub is not None:
            yield from _walk(value[name], sub, f"{loc}.{name}" if loc else name, f"{key}.{name}" if key else name)


def texts(raw: dict[str, Any] | None) -> list[TextRef]:
    """Every ``{en, es}`` text in the file's order."""
    return list(_walk(raw, Scenario, "", "")) if isinstance(raw, dict) else []


def initial_marks(raw: dict[str, Any] | None) -> dict[str, str]:
    """For a text taken as it is (a copy, an import): every Spanish text counts as current."""
    return {t.key: en_hash(t.en) for t in texts(raw) if t.es.strip()}


def update_marks(old: dict[str, Any] | None, new: dict[str, Any] | None, marks: dict[str, str]) -> dict[str, str]:
    """Marks after an edit from ``old`` to ``new``: a Spanish text that changed (or appeared) is current."""
    before = {t.key: t for t in texts(old)}
    out = {}
    for t in texts(new):
        previous = before.get(t.key)
        if t.es.strip() and (previous is None or previous.es != t.es):
            out[t.key] = en_hash(t.en)  # Spanish written now, against this English
        elif t.key in marks:
            out[t.key] = marks[t.key]
    return out


@dataclass(frozen=True)
class TranslationRow:
    ref: TextRef
    status: str  # missing | stale | ok
    missing: str = ""  # "en", "es" or "en+es" when status is missing


def report(raw: dict[str, Any] | None, marks: dict[str, str]) -> list[TranslationRow]:
    rows = []
    for t in texts(raw):
        gone = [lang for lang, value in (("en", t.en), ("es", t.es)) if not value.strip()]
        if gone:
            rows.append(TranslationRow(t, MISSING, "+".join(gone)))
        elif marks.get(t.key) != en_hash(t.en):
            rows.append(TranslationRow(t, STALE))
        else:
            rows.append(TranslationRow(t, OK))
    return rows
