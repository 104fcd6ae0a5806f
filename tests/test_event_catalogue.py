"""The event catalogue (issue #10 item 1): one list of event types, one payload model each,
checked when an event is emitted, and no event type spelt as a bare string elsewhere."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
import yaml

from exercises import engine
from exercises.engine import commands as c
from exercises.engine.events import PAYLOADS, BadPayload, EventType, payload_of, validate
from exercises.engine.rules import Decider
from exercises.engine.state import HANDLERS
from scenarios.schema import Scenario

from .harness import Table

ROOT = Path(__file__).resolve().parent.parent
APP_DIRS = ("exercises", "studio", "jobs", "scenarios", "benchmarks")
CATALOGUE = ROOT / "exercises" / "engine" / "events.py"
GOLDEN = ROOT / "tests" / "fixtures" / "golden"
MINI = ROOT / "tests" / "fixtures" / "mini.yaml"
# Not event types, though spelt alike: the engine rule and the refusal code for a closed channel
# (their names are in logs recorded since before the catalogue).
NOT_EVENT_TYPES = {("exercises/engine/refusals.py", "channel_closed")}


def _app_files() -> list[Path]:
    files = []
    for folder in APP_DIRS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "migrations" in path.parts or path == CATALOGUE:
                continue  # migrations are frozen history; the catalogue is where the values live
            files.append(path)
    return files


def test_no_event_type_is_spelt_as_a_string_outside_the_catalogue() -> None:
    """Mutation: write ``if e.type == "message_sent":`` anywhere in exercises/, studio/, jobs/,
    scenarios/ or benchmarks/ (e.g. in ``services.Outcome.rejection``): this test names the line."""
    values = {t.value for t in EventType}
    found = []
    for path in _app_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in values:
                if (str(path.relative_to(ROOT)), node.value) in NOT_EVENT_TYPES:
                    continue
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value!r}")
    assert found == [], "use EventType members, not strings:\n" + "\n".join(found)
    assert len(_app_files()) > 50  # the walk did look at the app


def test_every_type_has_a_payload_model_and_every_handler_a_type() -> None:
    assert set(PAYLOADS) == set(EventType)
    assert set(HANDLERS) <= set(EventType)
    for model in set(PAYLOADS.values()):
        assert model.model_config.get("extra") == "forbid", model.__name__


def test_every_event_in_the_golden_logs_is_catalogued_and_valid() -> None:
    """Mutation: drop a field from a payload model (e.g. ``IndicatorChanged.reason``) or
    rename a key: a recorded event no longer validates."""
    seen = set()
    for path in sorted(GOLDEN.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            validate(record["type"], record["payload"])
            seen.add(record["type"])
    assert len(seen) >= 20


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return Scenario.model_validate(yaml.safe_load(MINI.read_text()))


def test_a_bad_payload_raises_at_emit_and_records_nothing(scenario: Scenario) -> None:
    """Mutation: remove the ``validate(type_, payload)`` call from ``Decider.emit``: the
    misspelt key is recorded and folded, and this test goes red."""
    state = engine.initial_state(scenario)
    decider = Decider(scenario, state, seed=1, wall=0.0)
    with pytest.raises(BadPayload, match="indicator_changed.delta"):
        decider.emit(EventType.INDICATOR_CHANGED, {"indicator": "x", "value": 1, "cause": {}}, ["*"])
    with pytest.raises(BadPayload, match="wal: Extra"):
        decider.emit(EventType.EXERCISE_PAUSED, {"wall": 1.0, "wal": 2.0}, ["*"])
    with pytest.raises(BadPayload, match="unknown event type"):
        decider.emit("exercise_exploded", {}, ["*"])
    assert decider.events == [] and state.seq == 0


def test_the_engine_emits_only_valid_payloads_and_payload_of_types_them(scenario: Scenario) -> None:
    table = Table(scenario)
    ann = table.seat("ann", "president")
    table.do(engine.FACILITATOR, c.Start())
    table.do(ann, c.ProposeAction(action=scenario.actions[0].id))
    for event in table.log:
        typed = payload_of(event)
        assert typed.model_dump(exclude_none=True).keys() <= event.payload.keys()
