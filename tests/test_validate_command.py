"""validate_scenarios, load_scenarios and the library sync behind them."""

from __future__ import annotations

import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from scenarios import library
from scenarios.library import available, latest, scenario_for, sync_library
from scenarios.models import ScenarioVersion


@pytest.fixture
def lib(tmp_path: Path, mini_path: Path) -> Path:
    """A library directory holding a copy of mini.yaml."""
    folder = tmp_path / "library"
    folder.mkdir()
    (folder / "mini.yaml").write_text(mini_path.read_text(encoding="utf-8"), encoding="utf-8")
    return folder


@pytest.fixture
def broken(lib: Path, mini_path: Path) -> Path:
    """An invalid scenario next to the valid one: an unknown side and an unknown indicator."""
    text = mini_path.read_text(encoding="utf-8").replace("slug: mini", "slug: broken", 1)
    text = text.replace("side: mx", "side: ca", 1).replace(
        "{indicator: trust, delta: -5}", "{indicator: trsut, delta: -5}", 1
    )
    path = lib / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def run(command: str, *args: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command(command, *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# --------------------------------------------------------------------------- validate_scenarios


def test_it_accepts_a_valid_file(mini_path: Path) -> None:
    code, out, err = run("validate_scenarios", str(mini_path))

    assert code == 0
    assert out.splitlines() == ["OK tests/fixtures/mini.yaml (mini: 6 roles, 5 injects, 11 actions)"]
    assert err == ""


def test_it_prints_one_line_per_problem_and_fails(broken: Path) -> None:
    code, out, err = run("validate_scenarios", str(broken))

    assert code == 1
    assert out == ""
    assert err.splitlines() == [
        f"{broken}: roles[0].side: unknown side 'ca'",
        f"{broken}: injects[1].outcome.effects[0].indicator: unknown indicator 'trsut' (did you mean 'trust'?)",
    ]


def test_it_checks_a_whole_directory(lib: Path, broken: Path) -> None:
    code, out, err = run("validate_scenarios", str(lib))

    assert code == 1
    assert out.splitlines() == [f"OK {lib / 'mini.yaml'} (mini: 6 roles, 5 injects, 11 actions)"]
    assert len(err.splitlines()) == 2
    assert all(line.startswith(f"{broken}: ") for line in err.splitlines())


def test_it_checks_the_configured_library_by_default(settings, lib: Path) -> None:
    settings.CRISIS_TABLE = {**settings.CRISIS_TABLE, "SCENARIO_DIRS": [lib]}

    code, out, _ = run("validate_scenarios")

    assert code == 0
    assert out.startswith(f"OK {lib / 'mini.yaml'} ")


def test_it_fails_on_an_empty_library(settings, tmp_path: Path) -> None:
    settings.CRISIS_TABLE = {**settings.CRISIS_TABLE, "SCENARIO_DIRS": [tmp_path]}

    code, _, err = run("validate_scenarios")

    assert code == 1
    assert err.startswith("no scenario files")


def test_it_names_a_path_that_does_not_exist(tmp_path: Path) -> None:
    code, _, err = run("validate_scenarios", str(tmp_path / "nope.yaml"))

    assert code == 1
    assert err.splitlines() == [f"{tmp_path / 'nope.yaml'}: (file): no such file or directory"]


def test_it_refuses_two_files_with_one_slug(tmp_path: Path, lib: Path, mini_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "mini.yaml").write_text(mini_path.read_text(encoding="utf-8"), encoding="utf-8")

    code, _, err = run("validate_scenarios", str(lib), str(other))

    assert code == 1
    assert err.splitlines() == [f"{other / 'mini.yaml'}: slug: slug 'mini' is already used by {lib / 'mini.yaml'}"]


@pytest.mark.django_db
def test_it_validates_without_storing_anything(lib: Path, broken: Path) -> None:
    before = ScenarioVersion.objects.count()

    run("validate_scenarios", str(lib))

    assert ScenarioVersion.objects.count() == before


def test_it_exits_non_zero_from_the_shell(broken: Path) -> None:
    done = subprocess.run(
        [sys.executable, "manage.py", "validate_scenarios", str(broken)],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == f"{broken}: roles[0].side: unknown side 'ca'"


# --------------------------------------------------------------------------- load_scenarios / sync_library


@pytest.mark.django_db
def test_it_loads_valid_files_and_rejects_the_rest(lib: Path, broken: Path) -> None:
    code, out, err = run("load_scenarios", str(lib))

    assert code == 1
    assert out.splitlines()[0].startswith("added mini v1 (")
    assert out.splitlines()[-1] == "1 added, 0 unchanged, 1 rejected"
    assert len(err.splitlines()) == 2
    assert list(ScenarioVersion.objects.values_list("slug", flat=True)) == ["mini"]


@pytest.mark.django_db
def test_it_loads_the_same_text_once(lib: Path) -> None:
    run("load_scenarios", str(lib))

    code, out, _ = run("load_scenarios", str(lib))

    assert code == 0
    assert out.splitlines()[-1] == "0 added, 1 unchanged, 0 rejected"
    assert ScenarioVersion.objects.count() == 1


@pytest.mark.django_db
def test_it_never_stores_an_invalid_file(lib: Path, broken: Path) -> None:
    report = sync_library([lib])

    assert not report.ok
    assert list(report.rejected) == [str(broken)]
    assert not ScenarioVersion.objects.filter(slug="broken").exists()


@pytest.mark.django_db
def test_it_keeps_the_old_version_when_a_file_changes(lib: Path) -> None:
    first = sync_library([lib]).added[0]

    edit(lib / "mini.yaml", "title: {en: Mini crisis,", "title: {en: Mini crisis (revised),")
    report = sync_library([lib])

    [second] = report.added
    assert second.pk != first.pk and second.content_hash != first.content_hash
    first.refresh_from_db()
    assert first.snapshot["title"]["en"] == "Mini crisis"  # an exercise pinned to it keeps its text
    assert scenario_for(first).title.en == "Mini crisis"
    assert scenario_for(second).title.en == "Mini crisis (revised)"
    assert latest("mini") == second
    assert available() == [second]


@pytest.mark.django_db
def test_it_does_not_store_an_edit_that_breaks_the_file(lib: Path) -> None:
    first = sync_library([lib]).added[0]

    edit(lib / "mini.yaml", "side: mx", "side: ca")
    report = sync_library([lib])

    assert (report.added, list(report.rejected)) == ([], [str(lib / "mini.yaml")])
    assert list(ScenarioVersion.objects.all()) == [first]
    assert latest("mini") == first


@pytest.mark.django_db
def test_it_flags_a_file_put_back_to_an_older_text(lib: Path) -> None:
    first = sync_library([lib]).added[0]
    original = (lib / "mini.yaml").read_text(encoding="utf-8")
    edit(lib / "mini.yaml", "slug: mini", "slug: mini\nversion: 2")
    second = sync_library([lib]).added[0]

    (lib / "mini.yaml").write_text(original, encoding="utf-8")
    report = sync_library([lib])

    assert report.stale == [first]
    assert latest("mini") == second


@pytest.mark.django_db
def test_it_lists_the_latest_version_of_each_scenario(lib: Path, mini_path: Path) -> None:
    text = mini_path.read_text(encoding="utf-8").replace("slug: mini", "slug: other", 1)
    (lib / "other.yaml").write_text(text, encoding="utf-8")
    sync_library([lib])
    edit(lib / "other.yaml", "slug: other", "slug: other\nversion: 2")
    newer = sync_library([lib]).added[0]

    assert [(v.slug, v.version) for v in available()] == [("mini", 1), ("other", 2)]
    assert latest("other") == newer
    assert latest("nothing") is None


@pytest.mark.django_db
def test_it_parses_a_stored_version_once(lib: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    version = sync_library([lib]).added[0]
    library._parsed.pop(version.content_hash, None)
    calls = []
    real_parse = library.parse

    def counted_parse(raw, source):
        calls.append(source)
        return real_parse(raw, source=source)

    monkeypatch.setattr(library, "parse", counted_parse)

    first = scenario_for(version)
    again = scenario_for(ScenarioVersion.objects.get(pk=version.pk))

    assert first is again
    assert len(calls) == 1
