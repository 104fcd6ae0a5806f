"""Bots play whole exercises through the services; the log is the record."""

from __future__ import annotations

import json
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from exercises import engine, selectors
from exercises.bots import simulate
from exercises.models import Event, Exercise
from scenarios.library import latest, scenario_for, sync_library

FIXTURES = Path(__file__).parent / "fixtures"
pytestmark = pytest.mark.django_db


@pytest.fixture
def mini_version():
    sync_library([FIXTURES])
    return latest("mini")


def _normalised(code: str) -> list[dict]:
    """The exported log without wall-clock times and ids (participant ids differ per run)."""
    out = StringIO()
    call_command("export_log", code, "--format", "jsonl", stdout=out)
    text = out.getvalue()
    ids: dict[str, str] = {}
    for pid in re.findall(r'"participant": "([0-9a-f]{16})"', text):
        ids.setdefault(pid, f"P{len(ids)}")
    for pid, alias in ids.items():
        text = text.replace(pid, alias)
    records = [json.loads(line) for line in text.splitlines()]
    for record in records:
        record.pop("at")
    return records


def test_it_plays_a_whole_exercise_to_the_end(mini_version) -> None:
    summary = simulate(mini_version, seed=4)
    exercise = summary.exercise
    exercise.refresh_from_db()
    assert exercise.status == "ended"
    assert summary.events == exercise.last_seq == Event.objects.filter(exercise=exercise).count()
    assert summary.decisions > 0


def test_it_folds_the_stored_log_into_the_cached_state(mini_version) -> None:
    exercise = simulate(mini_version, seed=5).exercise
    exercise.refresh_from_db()
    folded = engine.fold(scenario_for(exercise.scenario), selectors.log(exercise.pk))
    assert folded == selectors.state_of(exercise)


def test_it_numbers_the_stored_log_without_gaps(mini_version) -> None:
    exercise = simulate(mini_version, seed=6).exercise
    seqs = list(Event.objects.filter(exercise=exercise).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))


def test_it_exports_the_same_log_for_the_same_seed(mini_version) -> None:
    first = simulate(mini_version, seed=9).exercise
    second = simulate(mini_version, seed=9).exercise
    assert first.code != second.code
    assert _normalised(first.code) == _normalised(second.code)


def test_it_exports_a_different_log_for_another_seed(mini_version) -> None:
    assert _normalised(simulate(mini_version, seed=1).exercise.code) != _normalised(
        simulate(mini_version, seed=2).exercise.code
    )


def test_it_prints_a_summary_ending_with_the_code(settings, mini_version) -> None:
    settings.CRISIS_TABLE = {**settings.CRISIS_TABLE, "SCENARIO_DIRS": [FIXTURES]}
    out = StringIO()
    call_command("simulate", "mini", "--seed", "3", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert lines[1].startswith("events")
    assert any(line.startswith("rejected") for line in lines)
    assert Exercise.objects.filter(code=lines[-1]).exists()


def test_it_exports_jsonl_with_the_promised_fields(mini_version, tmp_path) -> None:
    code = simulate(mini_version, seed=3).exercise.code
    target = tmp_path / "log.jsonl"
    call_command("export_log", code, "--format", "jsonl", "--output", str(target), stderr=StringIO())
    first = json.loads(target.read_text().splitlines()[0])
    assert {"seq", "type", "at", "game_time", "role", "payload"} <= set(first)
    assert first["type"] == "exercise_created"


def test_it_exports_csv(mini_version, tmp_path) -> None:
    code = simulate(mini_version, seed=3).exercise.code
    target = tmp_path / "log.csv"
    call_command("export_log", code, "--format", "csv", "--output", str(target), stderr=StringIO())
    lines = target.read_text().splitlines()
    assert lines[0].startswith("seq,type,at,game_time")
    assert len(lines) == Exercise.objects.get(code=code).last_seq + 1


def test_it_refuses_an_unknown_code() -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("export_log", "NOPE99")


@pytest.mark.parametrize("slug", ["september-2001", "pipeline-2007", "katrina-2005"])
def test_it_plays_every_seed_scenario_to_the_end(slug: str) -> None:
    """Three seeds per shipped scenario, through the services and the database, to the end."""
    sync_library()
    for seed in (1, 2, 3):
        summary = simulate(latest(slug), seed=seed, step=120)
        summary.exercise.refresh_from_db()
        assert summary.exercise.status == "ended"
        assert summary.decisions > 0
        assert engine.fold(
            scenario_for(summary.exercise.scenario), selectors.log(summary.exercise.pk)
        ) == selectors.state_of(summary.exercise)
