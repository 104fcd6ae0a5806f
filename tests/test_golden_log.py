"""The same seed gives the same exported log, byte for byte, before and after a refactor (issue #10).

The golden files in ``tests/fixtures/golden/`` were recorded from ``main`` before the event
catalogue and the structured refusals went in: each is the JSON Lines export (``export_log``)
of a bot-played exercise (``simulate``), without the wall-clock ``at`` and with participant ids
(random per run) replaced by ``P0``, ``P1``... in order of appearance.

Mutation that turns it red: in ``exercises/engine/rules.py`` change the ``Random`` key in
``Decider.rng`` (``f"{self.seed}:{self.state.seq + 1}:{purpose}"`` -> ``...seq + 2...``), or
rename any payload key an event carries: every scenario's file differs.

Regenerate (only when a change to the log is deliberate, in its own commit, saying why):
``CT_REGEN_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden_log.py``.
"""

from __future__ import annotations

import json
import os
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from exercises.bots import simulate
from scenarios.library import latest, sync_library

GOLDEN = Path(__file__).parent / "fixtures" / "golden"
CASES = [(slug, seed) for slug in ("september-2001", "pipeline-2007", "katrina-2005") for seed in (1, 2)]
pytestmark = pytest.mark.django_db


def exported(code: str) -> str:
    """The JSONL export without ``at``, participant ids aliased; one line per event, keys sorted."""
    out = StringIO()
    call_command("export_log", code, "--format", "jsonl", stdout=out)
    text = out.getvalue()
    ids: dict[str, str] = {}
    for pid in re.findall(r'"participant": "([0-9a-f]{16})"', text):
        ids.setdefault(pid, f"P{len(ids)}")
    for pid, alias in ids.items():
        text = text.replace(pid, alias)
    lines = []
    for line in text.splitlines():
        record = json.loads(line)
        record.pop("at")
        lines.append(json.dumps(record, ensure_ascii=False, sort_keys=True))
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(("slug", "seed"), CASES)
def test_the_same_seed_gives_the_golden_log(slug: str, seed: int) -> None:
    sync_library()
    code = simulate(latest(slug), seed=seed, step=120).exercise.code
    text = exported(code)
    path = GOLDEN / f"{slug}.seed{seed}.jsonl"
    if os.environ.get("CT_REGEN_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    golden = path.read_text(encoding="utf-8")
    assert text.count("\n") == golden.count("\n"), "a different number of events"
    for n, (got, want) in enumerate(zip(text.splitlines(), golden.splitlines(), strict=True), start=1):
        assert got == want, f"{path.name} line {n} differs"
