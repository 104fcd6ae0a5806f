"""The studio's write path: copies, imports, saves, versions, the edit log, exercises pinned."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from exercises import services as exercise_services
from scenarios.library import available, latest, scenario_for, sync_library
from scenarios.models import ScenarioVersion
from studio import imports, services
from studio.models import Edit
from studio.yamlio import dump

pytestmark = pytest.mark.django_db
SEPTEMBER = Path(settings.CRISIS_TABLE["SCENARIO_DIRS"][0]) / "september-2001.yaml"


@pytest.fixture
def sept(db):
    sync_library([SEPTEMBER])
    return latest("september-2001")


@pytest.fixture
def bob(django_user_model):
    return django_user_model.objects.create_user("bob", password="bob-password-1", is_staff=True)


def test_a_copy_belongs_to_its_maker_and_is_a_version_derived_from_the_original(sept, alice):
    draft = services.copy_version(sept, by=alice)
    assert draft.owner == alice and draft.slug == "september-2001-alice"
    assert draft.valid and draft.base.slug == draft.slug
    assert draft.base.created_by == alice and draft.base.derived_from == sept
    assert draft.raw["title"]["en"].endswith("(copy)") and draft.raw["title"]["es"].endswith("(copia)")
    assert Edit.objects.get(draft=draft).action == Edit.COPY
    assert services.copy_version(sept, by=alice).slug == "september-2001-alice-2"


def test_a_valid_save_makes_a_new_version_and_exercises_keep_theirs(sept, alice):
    """Mutation: making ``_commit`` update the base version's snapshot in place (the exercise's scenario changes: red)."""
    draft = services.copy_version(sept, by=alice)
    first = draft.base
    exercise = exercise_services.create_exercise(scenario=first, by=alice, seed=3)
    assert draft.raw is not None
    raw = {**draft.raw, "summary": {"en": "Shorter.", "es": "Más corto."}}
    saved = services.save_raw(draft, raw=raw, by=alice, revision=draft.revision)
    assert saved.created and saved.version.version == 2 and saved.version.derived_from == first
    assert latest(draft.slug) == saved.version
    exercise.refresh_from_db()
    assert exercise.scenario_id == first.pk
    assert scenario_for(exercise.scenario).summary.en != "Shorter."
    first.refresh_from_db()
    assert first.snapshot["summary"] != raw["summary"]
    assert ScenarioVersion.objects.filter(slug=draft.slug).count() == 2


def test_an_invalid_save_keeps_the_text_and_its_problems_and_stores_no_version(sept, alice):
    draft = services.copy_version(sept, by=alice)
    assert draft.raw is not None
    raw = {**draft.raw, "clock": {**draft.raw["clock"], "end": "soon"}}
    saved = services.save_raw(draft, raw=raw, by=alice, revision=draft.revision)
    assert not saved.draft.valid and saved.version is None
    assert [p["location"] for p in saved.draft.problems] == ["clock.end"]
    assert "end: soon" in saved.draft.text
    assert latest(draft.slug).pk == draft.base_id  # the last valid version is still the latest


def test_saving_the_same_content_stores_nothing_new(sept, alice):
    draft = services.copy_version(sept, by=alice)
    saved = services.save_text(draft, text=draft.text, by=alice)
    assert not saved.created and saved.version == draft.base


def test_a_save_from_a_stale_form_is_refused(sept, alice):
    draft = services.copy_version(sept, by=alice)
    old = draft.revision
    services.save_text(draft, text=draft.text + "\n# note\n", by=alice, revision=old)
    with pytest.raises(services.StaleEdit):
        services.save_text(draft, text="slug: x\n", by=alice, revision=old)
    draft.refresh_from_db()
    assert "# note" in draft.text


def test_the_yaml_tab_keeps_comments_and_bumps_the_version_line(sept, alice):
    draft = services.copy_version(sept, by=alice)
    text = "# my class edition\n" + draft.text.replace("Shorter", "x").replace(
        "version: 1", "version: 1  # bumped by the studio"
    )
    text = text.replace(draft.raw["period"]["en"], "Autumn 2001")
    saved = services.save_text(draft, text=text, by=alice)
    assert saved.created and saved.draft.text.startswith("# my class edition\n")
    assert "version: 2  # bumped by the studio" in saved.draft.text


def test_the_edit_log_is_append_only(sept, alice):
    draft = services.copy_version(sept, by=alice)
    edit = Edit.objects.get(draft=draft)
    with pytest.raises(ValueError):
        edit.save()
    with pytest.raises(ValueError):
        edit.delete()


def test_archive_takes_a_copy_off_the_lists_and_restore_puts_it_back(sept, alice):
    draft = services.copy_version(sept, by=alice)
    assert draft.slug in {v.slug for v in available()}
    services.archive(draft.slug, by=alice)
    assert draft.slug not in {v.slug for v in available()}
    services.restore(draft.slug, by=alice)
    assert draft.slug in {v.slug for v in available()}
    assert [e.action for e in Edit.objects.filter(slug=draft.slug).order_by("pk")] == ["copy", "archive", "restore"]


def test_start_makes_an_exercise_or_a_workshop_on_exactly_that_version(sept, alice):
    exercise = services.start(sept, by=alice, title="Class A")
    assert exercise.scenario == sept and exercise.title == "Class A"
    workshop = services.start(sept, by=alice, tables=3)
    assert workshop.tables.count() == 3 and workshop.scenario == sept
    assert Edit.objects.filter(slug="september-2001", action=Edit.START).count() == 2


# --------------------------------------------------------------------------- import


def test_a_failing_file_is_kept_as_a_draft_with_its_problems(sept, alice):
    text = dump({**sept.snapshot, "slug": "my-scenario", "phases": []})
    result = services.import_text(text, by=alice, filename="my-scenario.yaml")
    draft = result.draft
    assert draft.slug == "my-scenario" and not draft.valid
    assert draft.text == text and any(p["location"] == "phases" for p in draft.problems)
    assert not ScenarioVersion.objects.filter(slug="my-scenario").exists()


def test_unparseable_yaml_is_kept_too(alice, db):
    result = services.import_text("slug: [unclosed\n", by=alice, filename="broken.yaml")
    assert result.draft.raw is None and result.draft.slug == "broken"
    assert result.draft.problems[0]["location"] == "(file)"


def test_an_import_under_a_taken_name_is_renamed(sept, alice):
    result = services.import_text(dump(sept.snapshot), by=alice, filename="september-2001.yaml")
    assert result.renamed_from == "september-2001" and result.draft.slug == "september-2001-2"
    assert result.draft.valid and result.draft.raw["slug"] == "september-2001-2"
    assert latest("september-2001") == sept


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"slug: x\n" + b"#" * (1024 * 1024), "the limit is 1 MB"),
        (b"PK\x03\x04 a spreadsheet", "binary"),
        (b"slug: x\x00\n", "binary"),
        ("slug: señal\n".encode("latin-1"), "not UTF-8"),
        (b"a: &x [1]\nb: *x\n", "aliases"),
    ],
    ids=["oversized", "zip", "nul", "latin1", "aliased"],
)
def test_it_refuses_what_is_not_a_scenario_text(data, fragment):
    """Mutation: dropping the alias check (the aliased file is stored as a draft: red)."""
    with pytest.raises(imports.Refused) as refusal:
        imports.check(data)
    assert fragment in str(refusal.value)


def test_a_utf8_file_with_a_bom_is_read():
    assert imports.check("\ufeffslug: x\n".encode()) == "slug: x\n"
