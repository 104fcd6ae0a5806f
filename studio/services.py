"""The studio's one write path: copy, import, save, archive, start. Views and commands call these.

Every save validates the whole text with the loader (the single authority); the draft keeps
the text and its problems whatever they are, and a valid text is also stored as a new
``ScenarioVersion`` (``created_by``, ``derived_from``). Every change is logged in ``Edit``.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Max

from exercises import services as exercise_services
from exercises.models import Exercise, Workshop
from scenarios.library import store_version
from scenarios.loader import Problem, content_hash, validate_raw, validate_text
from scenarios.models import ArchivedScenario, ScenarioVersion

from . import problems as problem_store
from . import texts
from .models import Draft, Edit
from .yamlio import dump

SLUG_RE = re.compile(r"[^a-z0-9-]+")
_VERSION_LINE = re.compile(r"^version:[ \t]*[^\n#]*?[ \t]*(#[^\n]*)?$", re.MULTILINE)
_SLUG_LINE = re.compile(r"^slug:[ \t]*[^\n#]*?[ \t]*(#[^\n]*)?$", re.MULTILINE)


class StaleEdit(Exception):
    """The form was made from an older revision of the draft (another tab saved meanwhile)."""


@dataclass
class Saved:
    draft: Draft
    version: ScenarioVersion | None = None  # the version this save stored (or found), when valid
    created: bool = False
    problems: list[dict[str, Any]] = field(default_factory=list)


# --------------------------------------------------------------------------- names


def slug_taken(slug: str) -> bool:
    return Draft.objects.filter(slug=slug).exists() or ScenarioVersion.objects.filter(slug=slug).exists()


def free_slug(wanted: str) -> str:
    """``wanted`` made a valid slug, with ``-2``, ``-3``... until no scenario has it."""
    base = SLUG_RE.sub("-", (wanted or "scenario").lower()).strip("-")[:56] or "scenario"
    if not base[0].isalnum():
        base = "s" + base
    slug, n = base, 1
    while slug_taken(slug):
        n += 1
        slug = f"{base}-{n}"
    return slug


def _set_line(text: str, pattern: re.Pattern[str], key: str, value: str) -> str | None:
    """Replace a top-level ``key: value`` line, keeping any comment; None when there is none to replace."""
    found = list(pattern.finditer(text))
    if len(found) != 1:
        return None
    match = found[0]
    comment = f"  {match.group(1)}" if match.group(1) else ""
    return text[: match.start()] + f"{key}: {value}{comment}" + text[match.end() :]


# --------------------------------------------------------------------------- saving


def _next_version(slug: str, raw: dict[str, Any]) -> int:
    newest = ScenarioVersion.objects.filter(slug=slug).aggregate(n=Max("version"))["n"] or 0
    declared = raw.get("version")
    mine = declared if isinstance(declared, int) else 0
    return max(mine, newest + 1)


def _commit(
    draft: Draft,
    *,
    by: Any,
    text: str,
    raw: dict[str, Any] | None,
    found: list[Problem],
    action: str,
    detail: dict[str, Any],
    structured: bool,
) -> Saved:
    """Store the draft's new text and problems; a valid text with new content becomes a version."""
    old_raw = draft.raw
    version = None
    created = False
    if raw is not None and not found and (draft.base is None or content_hash(raw) != draft.base.content_hash):
        number = _next_version(draft.slug, raw)
        if raw.get("version") != number:
            raw = {**raw, "version": number}
            replaced = None if structured else _set_line(text, _VERSION_LINE, "version", str(number))
            text = replaced if replaced is not None else dump(raw)
        version, created = store_version(raw, source=f"studio:{draft.filename}", created_by=by, derived_from=draft.base)
        draft.base = version
    elif raw is not None and not found and draft.base is not None:
        version = draft.base  # saved, but nothing changed since the last version
    draft.text = text
    draft.raw = raw
    draft.problems = problem_store.store(found)
    draft.marks = texts.update_marks(old_raw, raw, draft.marks) if raw is not None else draft.marks
    draft.revision += 1
    draft.save()
    Edit.objects.create(
        slug=draft.slug,
        draft=draft,
        user=by,
        action=action,
        version=version,
        detail={**detail, "problems": len(found), "new_version": created, "revision": draft.revision},
    )
    return Saved(draft, version, created, draft.problems)


def _locked(draft: Draft, revision: int | None) -> Draft:
    # The base version's snapshot (100+ KB of JSON) is not needed to save: only its hash.
    fresh = (
        Draft.objects.select_for_update(of=("self",)).select_related("base").defer("base__snapshot").get(pk=draft.pk)
    )
    if revision is not None and revision != fresh.revision:
        raise StaleEdit(fresh.revision)
    return fresh


def save_text(draft: Draft, *, text: str, by: Any, revision: int | None = None, action: str = Edit.SAVE) -> Saved:
    """The raw YAML tab: the text as typed (comments kept), checked under the draft's file name."""
    text = text.replace("\r\n", "\n")
    with transaction.atomic():
        draft = _locked(draft, revision)
        verdict = validate_text(text, source=draft.filename, stem=draft.slug)
        return _commit(
            draft,
            by=by,
            text=text,
            raw=verdict.raw,
            found=verdict.problems,
            action=action,
            detail={"panel": "yaml"},
            structured=False,
        )


def save_raw(
    draft: Draft,
    *,
    raw: dict[str, Any],
    by: Any,
    revision: int | None = None,
    panel: str = "",
    extra: list[Problem] | None = None,
    action: str = Edit.SAVE,
    detail: dict[str, Any] | None = None,
    confirm: list[str] | None = None,
) -> Saved:
    """A structured panel's change: the edited dict written out as YAML and checked whole.

    ``extra``: problems the editor found on the way (a field's YAML that does not parse), kept
    with the loader's. ``confirm``: text keys whose Spanish the author says still fits the
    English. The slug is the draft's, whatever the form sent.
    """
    raw = {**raw, "slug": draft.slug}
    with transaction.atomic():
        draft = _locked(draft, revision)
        verdict = validate_raw(raw, source=draft.filename)
        found = [*(extra or []), *verdict.problems]
        if not found and (draft.base is None or content_hash(raw) != draft.base.content_hash):
            raw = {**raw, "version": _next_version(draft.slug, raw)}  # numbered before writing: one dump
        saved = _commit(
            draft,
            by=by,
            text=dump(raw),
            raw=raw,
            found=found,
            action=action,
            detail={"panel": panel, **(detail or {})},
            structured=True,
        )
        if confirm:
            current = {t.key: t for t in texts.texts(saved.draft.raw)}
            for key in confirm:
                if key in current and current[key].es.strip():
                    saved.draft.marks[key] = texts.en_hash(current[key].en)
            saved.draft.save(update_fields=["marks"])
        return saved


# --------------------------------------------------------------------------- new drafts


def _copy_titles(raw: dict[str, Any]) -> None:
    title = raw.get("title")
    if isinstance(title, dict):
        if isinstance(title.get("en"), str):
            title["en"] = f"{title['en']} (copy)"
        if isinstance(title.get("es"), str):
            title["es"] = f"{title['es']} (copia)"


def copy_version(version: ScenarioVersion, *, by: Any, slug: str = "") -> Draft:
    """A new scenario, owned by ``by``, starting as an exact copy of ``version`` (under a new slug)."""
    with transaction.atomic():
        new_slug = free_slug(slug or f"{version.slug}-{getattr(by, 'username', '') or 'copy'}")
        raw = copy.deepcopy(version.snapshot)
        raw["slug"] = new_slug
        raw["version"] = 1
        _copy_titles(raw)
        draft = Draft.objects.create(
            slug=new_slug, owner=by, text="", base=version
        )  # base: the new version's derived_from
        saved = save_raw(
            draft, raw=raw, by=by, action=Edit.COPY, detail={"from": version.pk, "from_slug": version.slug}
        )
        return saved.draft


@dataclass
class Imported:
    draft: Draft
    renamed_from: str = ""  # the file's slug, when another scenario already had it


def import_text(text: str, *, by: Any, filename: str = "") -> Imported:
    """Store an uploaded or pasted scenario as a new draft, valid or not (a failing file is kept).

    The caller has already refused what must not be stored at all (``imports.check``).
    """
    text = text.replace("\r\n", "\n")
    verdict = validate_text(text, source=filename or "pasted.yaml")
    wanted = verdict.raw.get("slug") if verdict.raw and isinstance(verdict.raw.get("slug"), str) else ""
    stem = re.sub(r"\.(ya?ml|txt)$", "", filename.rsplit("/", 1)[-1], flags=re.IGNORECASE)
    with transaction.atomic():
        slug = free_slug(wanted or stem or "imported")
        renamed = wanted if wanted and wanted != slug else ""
        if wanted != slug and verdict.raw is not None:
            replaced = _set_line(text, _SLUG_LINE, "slug", slug)
            text = replaced if replaced is not None else dump({**verdict.raw, "slug": slug})
        draft = Draft.objects.create(slug=slug, owner=by, text="")
        # update_marks from nothing counts every Spanish text as current: the file is taken as it is.
        saved = save_text(draft, text=text, by=by, action=Edit.IMPORT)
        return Imported(saved.draft, renamed)


# --------------------------------------------------------------------------- the rest


def archive(slug: str, *, by: Any) -> None:
    with transaction.atomic():
        ArchivedScenario.objects.get_or_create(slug=slug, defaults={"archived_by": by})
        Edit.objects.create(slug=slug, draft=Draft.objects.filter(slug=slug).first(), user=by, action=Edit.ARCHIVE)


def restore(slug: str, *, by: Any) -> None:
    with transaction.atomic():
        ArchivedScenario.objects.filter(slug=slug).delete()
        Edit.objects.create(slug=slug, draft=Draft.objects.filter(slug=slug).first(), user=by, action=Edit.RESTORE)


def start(version: ScenarioVersion, *, by: Any, title: str = "", tables: int = 1) -> Exercise | Workshop:
    """An exercise (one table) or a workshop (several) on exactly this version."""
    with transaction.atomic():
        if tables > 1:
            made: Exercise | Workshop = exercise_services.create_workshop(
                scenario=version, title=title or version.title, tables=tables, by=by
            )
        else:
            made = exercise_services.create_exercise(scenario=version, title=title, by=by)
        Edit.objects.create(
            slug=version.slug,
            draft=Draft.objects.filter(slug=version.slug).first(),
            user=by,
            action=Edit.START,
            version=version,
            detail={"code": made.code, "tables": tables},
        )
    return made


def log_dry_run(version: ScenarioVersion, *, by: Any, job_id: str, seeds: int) -> None:
    Edit.objects.create(
        slug=version.slug,
        draft=Draft.objects.filter(slug=version.slug).first(),
        user=by,
        action=Edit.DRY_RUN,
        version=version,
        detail={"job": job_id, "seeds": seeds},
    )


# --------------------------------------------------------------------------- MSEL


@dataclass
class MselImport:
    draft: Draft
    applied: Any  # msel.Applied
    sheet: str
    copied: bool  # a new copy was made (the scenario was not the importer's)
    cells: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (cell, stored problem) per problem


def import_msel(slug: str, data: bytes, *, filename: str, by: Any) -> MselImport:
    """Rows of an MSEL sheet become the injects of ``slug`` (if it is the importer's) or of a new copy.

    Raises ``msel.Unreadable`` for a file that is no spreadsheet at all (nothing is stored).
    """
    from scenarios.library import latest

    from . import msel
    from .access import can_edit

    sheet, rows = msel.read(data, filename)
    draft = Draft.objects.filter(slug=slug).select_related("base").first()
    copied = False
    if not can_edit(by, draft):
        version = latest(slug)
        if version is None:
            raise msel.Unreadable(f"no scenario {slug!r}")
        draft = copy_version(version, by=by)
        copied = True
    assert draft is not None
    if draft.raw is None:
        raise msel.Unreadable("the scenario's YAML does not parse; fix it in the YAML tab first")
    applied = msel.apply(draft.raw, rows, sheet=sheet, source=filename)
    saved = save_raw(
        draft,
        raw=applied.raw,
        by=by,
        extra=applied.problems,
        action=Edit.MSEL,
        panel="injects",
        detail={"file": filename[:100], "changed": applied.changed, "added": applied.added, "removed": applied.removed},
    )
    cells = [(msel.cell_of(applied, item["location"], sheet), item) for item in saved.problems]
    return MselImport(saved.draft, applied, sheet, copied, cells)
