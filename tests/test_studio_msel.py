"""MSEL spreadsheets: XLSX/CSV export, edit, import into a copy; errors located at a cell."""

from __future__ import annotations

import copy
import io
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.core.management import call_command

from scenarios.library import latest, sync_library
from studio import msel, services
from studio.models import Draft

pytestmark = pytest.mark.django_db
SEPTEMBER = Path(settings.CRISIS_TABLE["SCENARIO_DIRS"][0]) / "september-2001.yaml"


@pytest.fixture
def library(db):
    sync_library([SEPTEMBER])
    return latest("september-2001")


def _sheet(data: bytes):
    book = openpyxl.load_workbook(io.BytesIO(data))
    return book, book[msel.SHEET]


def _column(sheet, header: str) -> int:
    return next(cell.column for cell in sheet[1] if cell.value == header)


def _row_of(sheet, inject_id: str) -> int:
    return next(row[0].row for row in sheet.iter_rows(min_row=2) if row[0].value == inject_id)


def test_it_round_trips_an_xlsx_with_one_change_one_addition_and_one_broken_row(library, alice):
    """The issue's test: export, edit with openpyxl (one inject changed, one added, one row broken),
    import into a copy: exactly those changes, and exactly one error naming the sheet row and column.

    Mutations tried: applying a broken row's other cells anyway (its title changes: red); dropping
    the column letter from the location (red).
    """
    original = library.snapshot
    book, sheet = _sheet(msel.to_xlsx(original))
    # 1. change the English title of one inject
    changed_row = _row_of(sheet, "us_border_high_alert")
    sheet.cell(changed_row, _column(sheet, "title_en")).value = "Highest alert on the whole border"
    # 2. add an inject, bilingual, with a trigger
    new = sheet.max_row + 1
    for header, value in {
        "id": "regional_press",
        "to": "mx",
        "title_en": "Our region asks questions",
        "title_es": "Nuestra región pregunta",
        "text_en": "Local papers ask what the border alert means for exporters.",
        "text_es": "La prensa local pregunta qué significa la alerta para los exportadores.",
        "trigger": "{inject: us_border_high_alert}",
        "source": "class exercise",
    }.items():
        sheet.cell(new, _column(sheet, header)).value = value
    # 3. break one row: a time that is not a duration (and a new title, which must not be applied either)
    broken_row = _row_of(sheet, "washington_asks_position")
    time_column = _column(sheet, "time")
    sheet.cell(broken_row, time_column).value = "tomorrow morning"
    sheet.cell(broken_row, _column(sheet, "title_en")).value = "A title from a broken row"
    buffer = io.BytesIO()
    book.save(buffer)

    result = services.import_msel("september-2001", buffer.getvalue(), filename="sept.xlsx", by=alice)

    assert result.copied and result.draft.slug != "september-2001"
    assert latest("september-2001").pk == library.pk  # the shipped scenario is untouched
    before = {i["id"]: i for i in original["injects"]}
    after = {i["id"]: i for i in result.draft.raw["injects"]}
    assert set(after) - set(before) == {"regional_press"}
    assert set(before) - set(after) == set()
    differing = {k for k in before if before[k] != after[k]}
    assert differing == {"us_border_high_alert"}
    assert after["us_border_high_alert"]["title"] == {
        **before["us_border_high_alert"]["title"],
        "en": "Highest alert on the whole border",
    }
    assert after["washington_asks_position"] == before["washington_asks_position"]  # the broken row left it as it was
    assert after["regional_press"]["trigger"] == {"inject": "us_border_high_alert"}
    assert result.applied.changed == ["us_border_high_alert"] and result.applied.added == ["regional_press"]
    assert len(result.cells) == 1
    cell, problem = result.cells[0]
    assert cell == f"Injects!{openpyxl.utils.get_column_letter(time_column)}{broken_row} (time)"
    assert "'tomorrow morning' is not a duration" in problem["message"]
    everything_else = copy.deepcopy(result.draft.raw)
    everything_else["injects"] = original["injects"]
    for key in ("slug", "version", "title"):
        everything_else[key] = original[key]
    assert everything_else == original  # nothing outside the injects moved


def test_it_imports_a_clean_sheet_as_a_new_version(library, alice):
    draft = services.copy_version(library, by=alice)
    book, sheet = _sheet(msel.to_xlsx(draft.raw))
    sheet.cell(_row_of(sheet, "attacks_on_us"), _column(sheet, "title_es")).value = "Ataques"
    buffer = io.BytesIO()
    book.save(buffer)
    result = services.import_msel(draft.slug, buffer.getvalue(), filename="x.xlsx", by=alice)
    assert not result.copied and result.draft.pk == draft.pk
    assert result.draft.valid and result.draft.base.version == 2
    assert result.draft.base.derived_from_id == draft.base_id


def test_an_unchanged_export_imports_as_no_change(library, alice):
    """Export then import, untouched: the same injects, so no new version content."""
    draft = services.copy_version(library, by=alice)
    for data, name in ((msel.to_xlsx(draft.raw), "x.xlsx"), (msel.to_csv(draft.raw).encode(), "x.csv")):
        sheet_name, rows = msel.read(data, name)
        applied = msel.apply(draft.raw, rows, sheet=sheet_name, source=name)
        assert not applied.problems and not applied.changed and not applied.added and not applied.removed
        assert applied.raw == draft.raw


def test_the_controller_note_is_two_columns_for_the_bilingual_instructor_note(library):
    """One controller note in the format (``instructor``, EN and ES); the sheet has one column per language.

    Mutation: map ``controller_note_es`` to ``instructor.en`` → the Spanish cell overwrites the English (red)."""
    raw = copy.deepcopy(library.snapshot)
    noted = next(i for i in raw["injects"] if i.get("instructor"))
    book, sheet = _sheet(msel.to_xlsx(raw))
    row = _row_of(sheet, noted["id"])
    assert sheet.cell(row, _column(sheet, "controller_note_en")).value == noted["instructor"]["en"]
    assert sheet.cell(row, _column(sheet, "controller_note_es")).value == noted["instructor"]["es"]
    assert "controller_note" not in [cell.value for cell in sheet[1]]
    sheet.cell(row, _column(sheet, "controller_note_es")).value = "Nota nueva."
    bare = next(i for i in raw["injects"] if not i.get("instructor"))
    sheet.cell(_row_of(sheet, bare["id"]), _column(sheet, "controller_note_en")).value = "A new note."
    sheet.cell(_row_of(sheet, bare["id"]), _column(sheet, "controller_note_es")).value = "Una nota nueva."
    buffer = io.BytesIO()
    book.save(buffer)
    sheet_name, rows = msel.read(buffer.getvalue(), "x.xlsx")
    applied = msel.apply(raw, rows, sheet=sheet_name, source="x.xlsx")
    after = {i["id"]: i for i in applied.raw["injects"]}
    assert after[noted["id"]]["instructor"] == {"en": noted["instructor"]["en"], "es": "Nota nueva."}
    assert after[bare["id"]]["instructor"] == {"en": "A new note.", "es": "Una nota nueva."}
    assert sorted(applied.changed) == sorted([noted["id"], bare["id"]]) and not applied.problems


def test_a_sheet_with_the_old_single_note_column_is_told_what_replaced_it(library):
    rows = [["id", "controller_note"], ["attacks_on_us", "Read slowly."]]
    applied = msel.apply(library.snapshot, rows, sheet="Injects", source="old.xlsx")
    assert [(p.location, str(p.message)) for p in applied.problems] == [
        (
            "Injects!B1",
            "column 'controller_note' is now controller_note_en, controller_note_es (the note in both languages)",
        )
    ]


def test_a_deleted_row_removes_its_inject_and_its_references(library, alice):
    raw = library.snapshot
    sheet_name, rows = msel.read(msel.to_csv(raw).encode(), "x.csv")
    rows = [r for r in rows if r[0] != "us_border_high_alert"]
    applied = msel.apply(raw, rows, sheet=sheet_name, source="x.csv")
    assert applied.removed == ["us_border_high_alert"]
    assert "us_border_high_alert" not in {i["id"] for i in applied.raw["injects"]}


def test_csv_cells_that_look_like_formulas_are_neutralised_and_read_back():
    """OWASP CSV injection: = + - @ tab CR get a leading quote; the import takes it off.

    Mutation: without the prefix, '=HYPERLINK(...)' reaches the CSV as is (red)."""
    raw = {
        "phases": [{"id": "p", "start": "-6d"}],
        "injects": [
            {
                "id": "a",
                "at": "-6d",
                "recipients": ["all"],
                "title": {"en": '=HYPERLINK("http://x")', "es": "@SUM(A1)"},
                "text": {"en": "+1", "es": "\tx"},
                "source": "-2+3",
            }
        ],
    }
    text = msel.to_csv(raw)
    for cell in ("'=HYPERLINK", "'@SUM", "'+1", "'-6d", "'-2+3"):
        assert cell in text
    assert "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text
    sheet, rows = msel.read(text.encode(), "x.csv")
    applied = msel.apply(raw, rows, sheet=sheet, source="x.csv")
    assert applied.raw["injects"][0] == raw["injects"][0]
    assert not hasattr(msel, "neutralise")  # one CSV writer for the whole app: exercises.exports


def test_xlsx_text_is_never_a_formula_and_a_typed_formula_is_refused(library):
    raw = copy.deepcopy(library.snapshot)
    raw["injects"][0]["title"]["en"] = "=1+1"
    book, sheet = _sheet(msel.to_xlsx(raw))
    cell = sheet.cell(2, _column(sheet, "title_en"))
    assert cell.value == "=1+1" and cell.data_type == "s"
    sheet.cell(2, _column(sheet, "source")).value = "=A1"  # a formula typed in a spreadsheet
    buffer = io.BytesIO()
    book.save(buffer)
    name, rows = msel.read(buffer.getvalue(), "x.xlsx")
    applied = msel.apply(library.snapshot, rows, sheet=name, source="x.xlsx")
    assert [p.location for p in applied.problems] == [
        f"Injects!{openpyxl.utils.get_column_letter(_column(sheet, 'source'))}2 (source)"
    ]
    assert "formula" in applied.problems[0].message


def test_it_refuses_what_is_not_a_spreadsheet():
    with pytest.raises(msel.Unreadable):
        msel.read(b"hello", "x.xlsx")
    with pytest.raises(msel.Unreadable):
        msel.read(b"PK\x03\x04garbage", "x.xlsx")
    with pytest.raises(msel.Unreadable):
        msel.read(b"\xff\xfe\x00", "x.csv")


def test_validator_problems_of_imported_rows_name_their_cell(library, alice):
    raw = library.snapshot
    sheet_name, rows = msel.read(msel.to_csv(raw).encode(), "x.csv")
    header = rows[0]
    target = next(n for n, r in enumerate(rows) if r[0] == "attacks_on_us")
    rows[target][header.index("to")] = "martians"
    result = services.import_msel(
        "september-2001", "\n".join(",".join(f'"{c}"' for c in r) for r in rows).encode(), filename="x.csv", by=alice
    )
    cells = [cell for cell, _problem in result.cells]
    assert cells == [f"CSV!{msel.letter(header.index('to'))}{target + 1} (to)"]


def test_the_command_exports_and_imports(library, alice, tmp_path: Path, capsys):
    out = tmp_path / "sept.xlsx"
    call_command("msel", "export", "september-2001", "--output", str(out))
    book, sheet = _sheet(out.read_bytes())
    sheet.cell(_row_of(sheet, "attacks_on_us"), _column(sheet, "title_en")).value = "The attacks"
    book.save(out)
    call_command("msel", "import", str(out), "--into", "september-2001", "--as", "sept-class", "--user", "alice")
    draft = Draft.objects.get(slug="sept-class")
    assert draft.valid and draft.owner == alice
    assert {i["id"]: i for i in draft.raw["injects"]}["attacks_on_us"]["title"]["en"] == "The attacks"
    csv_out = tmp_path / "sept.csv"
    call_command("msel", "export", "sept-class", "--output", str(csv_out))
    assert "The attacks" in csv_out.read_text()


def test_the_command_stores_nothing_when_a_row_is_wrong(library, alice, tmp_path: Path, capsys):
    out = tmp_path / "sept.csv"
    call_command("msel", "export", "september-2001", "--output", str(out))
    lines = out.read_text().splitlines()
    lines[1] = lines[1].replace("'-6d", "soon", 1)
    out.write_text("\n".join(lines) + "\n")
    with pytest.raises(SystemExit) as exit_:
        call_command("msel", "import", str(out), "--into", "september-2001", "--as", "broken", "--user", "alice")
    assert exit_.value.code == 1
    assert "CSV!B2 (time)" in capsys.readouterr().err
    assert not Draft.objects.filter(slug="broken").exists()
