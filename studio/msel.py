"""The inject list as an MSEL spreadsheet (XLSX or CSV): export, edit anywhere, import into a copy.

One row per inject, in the scenario's order, English and Spanish side by side. Import reads
the rows back into injects: a row whose id the scenario has updates that inject (fields
without a column keep their value), a new id adds one, an inject without a row is removed
(with the references to it, ``tools.remove``). A row with a mistake is not applied (the
inject stays as it was) and its problem names the sheet, row and column, e.g.
``Injects!B7 (time): 'soon' is not a duration such as '1h30m' or '-6d'``.

Spreadsheets run formulas: a cell that starts with = + - @ (or a tab or carriage return)
could run one when the CSV is opened. The CSV export goes through the app's one CSV writer
(``review.exports.csv_lines``, which prefixes such cells with ``'``: OWASP's advice) and the
import takes the prefix off again; the XLSX export stores every text as text.
"""

from __future__ import annotations

import copy
import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from review.exports import FORMULA_START, csv_lines
from scenarios.loader import Problem, ScenarioError
from scenarios.messages import Msg
from scenarios.schema import Condition, Delivery, Outcome, parse_offset

from . import tools
from .yamlio import flow, read_value

SHEET = "Injects"
MAX_ROWS = 2000


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    width: int
    path: tuple[str, ...] = ()  # where the value goes in an inject; () for the derived phase


COLUMNS = [
    Column("id", "id", 26, ("id",)),
    Column("time", "time", 10, ("at",)),
    Column("phase", "phase", 18),
    Column("from_en", "from_en", 22, ("from", "en")),
    Column("from_es", "from_es", 22, ("from", "es")),
    Column("to", "to", 22, ("recipients",)),
    Column("title_en", "title_en", 34, ("title", "en")),
    Column("title_es", "title_es", 34, ("title", "es")),
    Column("text_en", "text_en", 60, ("text", "en")),
    Column("text_es", "text_es", 60, ("text", "es")),
    Column("trigger", "trigger", 34, ("trigger",)),
    Column("controller_note_en", "controller_note_en", 30, ("instructor", "en")),
    Column("controller_note_es", "controller_note_es", 30, ("instructor", "es")),
    Column("source", "source", 22, ("source",)),
    Column("public", "public", 8, ("public",)),
    Column("hidden", "hidden", 8, ("hidden",)),
    Column("outcome", "outcome", 34, ("outcome",)),
    Column("delivery", "delivery", 26, ("delivery",)),
    Column("debrief", "debrief", 12, ("debrief",)),
]
BY_HEADER = {c.header: c for c in COLUMNS} | {c.key: c for c in COLUMNS}
MODELS = {"trigger": Condition, "outcome": Outcome, "delivery": Delivery}
OPTIONAL_TEXTS = ("from", "instructor")  # both cells empty: the inject has none
# Headers of earlier exports, and what replaced them (a clear refusal rather than a silent loss).
RENAMED = {"controller_note": "controller_note_en, controller_note_es"}


def letter(n: int) -> str:
    """Column number (0-based) to spreadsheet letters: 0 -> A, 27 -> AB."""
    out = ""
    n += 1
    while n:
        n, rest = divmod(n - 1, 26)
        out = chr(65 + rest) + out
    return out


def _restore(value: str) -> str:
    """What ``exports.safe_cell`` wrote, read back: its ``'`` off a cell that starts like a formula."""
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_START) else value


# --------------------------------------------------------------------------- export


def _phase_of(raw: dict[str, Any], at: Any) -> str:
    try:
        seconds = parse_offset(at)
    except (ValueError, TypeError):
        return ""
    current = ""
    for phase in raw.get("phases") or []:
        try:
            if parse_offset(phase.get("start")) <= seconds:
                current = phase.get("id", "")
        except (ValueError, TypeError, AttributeError):
            continue
    return current


def _cell(inject: dict[str, Any], column: Column, raw: dict[str, Any]) -> Any:
    if column.key == "phase":
        return _phase_of(raw, inject.get("at")) if inject.get("at") is not None else ""
    value: Any = inject
    for part in column.path:
        value = value.get(part) if isinstance(value, dict) else None
    if value is None:
        return ""
    if column.key in MODELS:
        return flow(value)
    if column.key in ("to", "debrief"):
        return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def rows(raw: dict[str, Any]) -> list[list[Any]]:
    """The header row and one row per inject."""
    out: list[list[Any]] = [[c.header for c in COLUMNS]]
    for inject in raw.get("injects") or []:
        if isinstance(inject, dict):
            out.append([_cell(inject, c, raw) for c in COLUMNS])
    return out


def to_csv(raw: dict[str, Any]) -> str:
    """Every cell through the app's one CSV writer (``review.exports.csv_lines``: formulas made inert)."""
    return "".join(csv_lines(rows(raw)))


def to_xlsx(raw: dict[str, Any]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    for r, row in enumerate(rows(raw), start=1):
        for c, value in enumerate(row, start=1):
            cell = sheet.cell(row=r, column=c)
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"  # text stays text: "=..." is never a formula
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if r == 1:
                cell.font = Font(bold=True, color="FFFFFF")
                cell.fill = PatternFill("solid", fgColor="12263F")
    for n, column in enumerate(COLUMNS):
        sheet.column_dimensions[letter(n)].width = column.width
    sheet.freeze_panes = "B2"
    notes = book.create_sheet("Read me")
    for r, line in enumerate(
        [
            "Crisis Table MSEL: one row per inject. Edit, then import it back into a copy in the studio.",
            "time: offset from T+0 (1h30m, -6d, 2d). phase: where that time falls (not read back).",
            "to: role ids, side ids or all, separated by commas. trigger, outcome, delivery: YAML, as in the file.",
            "A row you delete removes its inject; a new id adds one. Fill both English and Spanish.",
        ],
        start=1,
    ):
        notes.cell(row=r, column=1).value = line
    notes.column_dimensions["A"].width = 110
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------- import


class Unreadable(Exception):
    """Not a spreadsheet we can read at all (the message says why)."""


@dataclass
class Applied:
    raw: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    rows: dict[int, int] = field(default_factory=dict)  # index of an inject in ``raw`` -> its sheet row
    letters: dict[str, str] = field(default_factory=dict)  # column key -> its letter in this sheet


def _read_xlsx(data: bytes) -> tuple[str, list[list[Any]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # zip or XML errors: all mean "not an XLSX we can read"
        raise Unreadable(
            _("This is not an XLSX spreadsheet we can read (%(error)s).") % {"error": type(exc).__name__}
        ) from None
    sheet = book[SHEET] if SHEET in book.sheetnames else book.worksheets[0]
    out = []
    for n, row in enumerate(sheet.iter_rows(), start=1):
        if n > MAX_ROWS + 1:
            raise Unreadable(_("The sheet has more than %(n)s rows.") % {"n": MAX_ROWS})
        out.append([("=formula", cell.value) if getattr(cell, "data_type", "") == "f" else cell.value for cell in row])
    book.close()
    return sheet.title, out


def _read_csv(data: bytes) -> tuple[str, list[list[Any]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Unreadable(_("The CSV is not UTF-8 text (byte %(byte)s).") % {"byte": exc.start}) from None
    out = []
    for n, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if n > MAX_ROWS + 1:
            raise Unreadable(_("The sheet has more than %(n)s rows.") % {"n": MAX_ROWS})
        out.append([_restore(v) for v in row])
    return "CSV", out


def read(data: bytes, filename: str) -> tuple[str, list[list[Any]]]:
    """The sheet's name and its rows of cell values."""
    limit = int(settings.CRISIS_TABLE.get("MSEL_MAX_BYTES", 2 * 1024 * 1024))
    if len(data) > limit:
        raise Unreadable(_("The file is larger than %(limit)s KB.") % {"limit": limit // 1024})
    if filename.lower().endswith(".csv"):
        return _read_csv(data)
    if not data.startswith(b"PK"):
        raise Unreadable(_("Send an .xlsx spreadsheet or a .csv file."))
    return _read_xlsx(data)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _columns(header_row: list[Any], result: Applied, *, sheet: str, source: str) -> dict[int, Column]:
    """The sheet's known columns by position; an unknown or renamed header is a problem at its cell."""
    columns: dict[int, Column] = {}
    for n, name in enumerate(_text(v).strip().lower() for v in header_row):
        if not name:
            continue
        if name in RENAMED:
            message = Msg("column {name!r} is now {new} (the note in both languages)", name=name, new=RENAMED[name])
            result.problems.append(Problem(source, f"{sheet}!{letter(n)}1", message))
            continue
        if name not in BY_HEADER:
            result.problems.append(Problem(source, f"{sheet}!{letter(n)}1", Msg("unknown column {name!r}", name=name)))
            continue
        columns[n] = BY_HEADER[name]
        result.letters[BY_HEADER[name].key] = letter(n)
    return columns


@dataclass
class _Row:
    """One sheet row being read into an inject: where its cells are, and what is wrong with it."""

    number: int
    inject: dict[str, Any]
    cells_at: dict[str, str]  # column key -> its cell in this row ("Injects!B7")
    source: str
    problems: list[Problem] = field(default_factory=list)

    def bad(self, key: str, message: Msg) -> None:
        self.problems.append(Problem(self.source, f"{self.cells_at[key]} ({BY_HEADER[key].header})", message))


def _read_time(row: _Row, column: Column, value: Any, text: str) -> None:
    if not text.strip():
        row.inject.pop("at", None)
        return
    try:
        parse_offset(value if isinstance(value, int) and not isinstance(value, bool) else text.strip())
    except ValueError as exc:
        row.bad(column.key, exc.args[0] if exc.args and isinstance(exc.args[0], Msg) else Msg(str(exc)))
        return
    text = text.strip()
    row.inject["at"] = int(text) if re.fullmatch(r"[-+]?\d+", text) else text  # a bare number: minutes


def _read_ids(row: _Row, column: Column, value: Any, text: str) -> None:
    ids = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    if ids or column.key == "to":
        row.inject[column.path[0]] = ids
    else:
        row.inject.pop(column.path[0], None)


def _read_flag(row: _Row, column: Column, value: Any, text: str) -> None:
    flag = text.strip().lower()
    if flag in ("", "false", "no", "0"):
        row.inject.pop(column.key, None)
    elif flag in ("true", "yes", "1", "x"):
        row.inject[column.key] = True
    else:
        row.bad(column.key, Msg("write true or false (got {value!r})", value=text))


def _read_model(row: _Row, column: Column, value: Any, text: str) -> None:
    """A trigger, outcome or delivery in YAML flow style, read with the loader's rules."""
    if not text.strip():
        row.inject.pop(column.key, None)
        return
    try:
        row.inject[column.key] = read_value(text, source=row.source, where=row.cells_at[column.key])
    except ScenarioError as exc:
        for p in exc.problems:
            row.bad(column.key, p.message if isinstance(p.message, Msg) else Msg(str(p.message)))


def _read_language(row: _Row, column: Column, value: Any, text: str) -> None:
    """One language of a text (``title_es``); an optional text with both cells empty goes."""
    name, lang = column.path
    existing = row.inject.get(name)
    current = {**existing, lang: text} if isinstance(existing, dict) else {lang: text}
    if name in OPTIONAL_TEXTS and not any(v.strip() for v in current.values() if isinstance(v, str)):
        row.inject.pop(name, None)
    else:
        row.inject[name] = current


def _read_plain(row: _Row, column: Column, value: Any, text: str) -> None:
    if text.strip():
        row.inject[column.path[0]] = text
    else:
        row.inject.pop(column.path[0], None)


_CELL_READERS: dict[str, Callable[[_Row, Column, Any, str], None]] = {
    "time": _read_time,
    "to": _read_ids,
    "debrief": _read_ids,
    "public": _read_flag,
    "hidden": _read_flag,
} | dict.fromkeys(MODELS, _read_model)


def _read_cell(row: _Row, column: Column, value: Any) -> None:
    if isinstance(value, tuple) and value and value[0] == "=formula":
        row.bad(column.key, Msg("this cell holds a formula; type the value itself"))
        return
    reader = _CELL_READERS.get(column.key) or (_read_language if len(column.path) == 2 else _read_plain)
    reader(row, column, value, _text(value))


class _InjectsImport:
    """The sheet's rows read one by one into the scenario's injects, in the sheet's order."""

    def __init__(self, base: dict[str, Any], result: Applied) -> None:
        self.result = result
        # By id as the file has it (an id that is not a string still names an inject to remove).
        self.old: dict[Any, dict[str, Any]] = {i.get("id"): i for i in base.get("injects") or [] if isinstance(i, dict)}
        self.injects: list[dict[str, Any]] = []
        self.seen: dict[str, int] = {}  # id -> the first row that has it
        self.kept_bad: set[str] = set()

    def read(self, number: int, cells: dict[Column, Any], cells_at: dict[str, str], source: str) -> None:
        ident = _text(cells.get(BY_HEADER["id"])).strip()
        row = _Row(number, copy.deepcopy(self.old.get(ident, {})) if ident else {}, cells_at, source)
        if not ident:
            row.bad("id", Msg("an inject needs an id"))
        elif ident in self.seen:
            row.bad("id", Msg("id {id!r} is also on row {row}", id=ident, row=self.seen[ident]))
        row.inject["id"] = ident
        for column, value in cells.items():
            if column.key not in ("id", "phase"):
                _read_cell(row, column, value)
        if ident:
            self.seen.setdefault(ident, number)
        if row.problems:
            self._keep_old(ident, row)
        else:
            self._take(ident, row)

    def _keep_old(self, ident: str, row: _Row) -> None:
        """A broken row leaves its inject as it was (once, however many rows have its id)."""
        self.result.problems += row.problems
        if ident in self.old and ident not in self.kept_bad and ident not in {i.get("id") for i in self.injects}:
            self.kept_bad.add(ident)
            self._append(copy.deepcopy(self.old[ident]), row.number)

    def _take(self, ident: str, row: _Row) -> None:
        if ident not in self.old:
            self.result.added.append(ident)
        elif row.inject != self.old[ident]:
            self.result.changed.append(ident)
        self._append(row.inject, row.number)

    def _append(self, inject: dict[str, Any], number: int) -> None:
        self.injects.append(inject)
        self.result.rows[len(self.injects) - 1] = number

    def finish(self, out: dict[str, Any]) -> None:
        """The injects into ``out``; one the sheet no longer lists goes, with its references in id lists."""
        kept = {i.get("id") for i in self.injects}
        out["injects"] = self.injects
        for ident in self.old:
            if ident not in kept:
                self.result.removed.append(ident)
                out["injects"].append(copy.deepcopy(self.old[ident]))
                tools.remove(out, "injects", len(out["injects"]) - 1)


def apply(base: dict[str, Any], sheet_rows: list[list[Any]], *, sheet: str, source: str) -> Applied:
    """The scenario with its injects read from the rows; every problem located at a cell."""
    out = copy.deepcopy(base)
    result = Applied(out)
    if not sheet_rows:
        result.problems.append(Problem(source, f"{sheet}!A1", Msg("the sheet is empty")))
        return result
    columns = _columns(sheet_rows[0], result, sheet=sheet, source=source)
    if not any(c.key == "id" for c in columns.values()):
        result.problems.append(Problem(source, f"{sheet}!A1", Msg("the sheet needs an 'id' column")))
        return result
    reading = _InjectsImport(base, result)
    for number, sheet_row in enumerate(sheet_rows[1:], start=2):
        if not any(_text(v).strip() for v in sheet_row):
            continue
        cells = {columns[n]: v for n, v in enumerate(sheet_row) if n in columns}
        cells_at = {c.key: f"{sheet}!{letter(n)}{number}" for n, c in columns.items()}
        reading.read(number, cells, cells_at, source)
    reading.finish(out)
    return result


def cell_of(applied: Applied, location: str, sheet: str) -> str:
    """A validator location inside an imported inject (``injects[4].title.es``) as its cell."""
    from .problems import tokens

    path = tokens(location)
    if len(path) < 2 or path[0] != "injects" or not isinstance(path[1], int) or path[1] not in applied.rows:
        return location
    row = applied.rows[path[1]]
    rest = path[2:]
    for column in COLUMNS:
        if column.path and tuple(rest[: len(column.path)]) == column.path and column.key in applied.letters:
            return f"{sheet}!{applied.letters[column.key]}{row} ({column.header})"
    return f"{sheet}!{row}:{row} ({location})"
