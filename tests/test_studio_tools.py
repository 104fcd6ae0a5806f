"""Editing tools and translation tracking: pure functions over scenario dicts (no database)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from django.conf import settings

from scenarios.loader import load_file, validate_raw
from studio import texts, tools

LIBRARY = sorted(Path(settings.CRISIS_TABLE["SCENARIO_DIRS"][0]).glob("*.yaml"))
FIXTURE = Path(__file__).parent / "fixtures" / "mini.yaml"


def _cases():
    for path in LIBRARY:
        raw = load_file(path)[1]
        for keep in range(1, len(raw["phases"])):
            yield pytest.param(path, keep, id=f"{path.stem}-keep{keep}")


@pytest.mark.parametrize(("path", "keep"), list(_cases()))
def test_cutting_a_shipped_scenario_to_any_number_of_phases_leaves_it_valid(path: Path, keep: int) -> None:
    """Mutation: not simplifying conditions about removed things (september-2001 keep 3: 11 problems, red)."""
    raw = load_file(path)[1]
    out, removed = tools.cut_to_phases(raw, keep)
    assert [p["id"] for p in out["phases"]] == [p["id"] for p in raw["phases"][:keep]]
    verdict = validate_raw(out, source="cut.yaml")
    assert verdict.problems == []
    assert raw == load_file(path)[1]  # the input is not changed


def test_a_cut_ends_the_clock_where_the_next_phase_began_and_drops_later_injects() -> None:
    raw = load_file(LIBRARY[-1].parent / "september-2001.yaml")[1]
    out, removed = tools.cut_to_phases(raw, 3)
    assert out["clock"]["end"] == "3d"
    assert all(i.get("at") is None or tools.parse_offset(i["at"]) < 3 * 86400 for i in out["injects"])
    assert ("injects", "us_unilateral_turn") in removed.items
    kept_actions = {a["id"] for a in out["actions"]}
    assert all(set(a.get("phases") or []) <= {"prelude", "first_day", "cabinet_split"} for a in out["actions"])
    assert all(set(q.get("actions") or []) <= kept_actions for q in out["debrief"])


def test_removing_an_item_scrubs_its_id_from_lists() -> None:
    raw = load_file(FIXTURE)[1]
    phase = raw["phases"][1]["id"]
    users = [a["id"] for a in raw["actions"] if phase in (a.get("phases") or [])]
    removed = tools.remove(raw, "phases", 1)
    assert removed.items[0] == ("phases", phase)
    assert all(phase not in (a.get("phases") or []) for a in raw["actions"])
    assert all(phase not in (q.get("phases") or []) for q in raw.get("debrief") or [])
    # an action only allowed in the removed phase goes too (an empty list would mean "every phase")
    for ident in users:
        action = next((a for a in raw["actions"] if a["id"] == ident), None)
        assert action is None or action.get("phases")


@pytest.mark.parametrize(
    ("cond", "expected"),
    [
        ({"action": "gone"}, tools.FALSE),
        ({"not": {"action": "gone"}}, tools.TRUE),
        (
            {"all": [{"not": {"phase": "late"}}, {"indicator": "x", "op": "lt", "value": 3}]},
            {"indicator": "x", "op": "lt", "value": 3},
        ),
        ({"any": [{"inject": "gone"}, {"after": "99d"}]}, tools.FALSE),
        ({"any": [{"action": "kept"}, {"after": "99d"}]}, {"action": "kept"}),
        ({"all": [{"action": "kept"}, {"not": {"all": [{"inject": "gone"}]}}]}, {"action": "kept"}),
        ({"statement": "t", "stance": "s"}, tools.FALSE),
        ({"after": "1d"}, {"after": "1d"}),
    ],
)
def test_conditions_about_removed_things_simplify(cond, expected) -> None:
    gone = tools.Gone(actions={"gone"}, injects={"gone"}, phases={"late"}, stances={("t", "s")}, end=2 * 86400)
    assert tools.simplify(cond, gone) == expected


def test_translation_marks_find_missing_and_stale_spanish() -> None:
    """Mutation: updating the mark when only the English changes (stale never shows: red)."""
    raw = load_file(FIXTURE)[1]
    marks = texts.update_marks(None, raw, {})
    assert all(r.status == texts.OK for r in texts.report(raw, marks))
    edited = copy.deepcopy(raw)
    edited["injects"][0]["title"]["en"] = "A new English title"
    edited["injects"][1]["text"]["es"] = ""
    marks = texts.update_marks(raw, edited, marks)
    rows = {r.ref.location: r for r in texts.report(edited, marks)}
    assert rows["injects[0].title"].status == texts.STALE
    assert rows["injects[1].text"].status == texts.MISSING and rows["injects[1].text"].missing == "es"
    fixed = copy.deepcopy(edited)
    fixed["injects"][0]["title"]["es"] = "Un nuevo título"
    marks = texts.update_marks(edited, fixed, marks)
    assert {r.ref.location: r for r in texts.report(fixed, marks)}["injects[0].title"].status == texts.OK


def test_marks_follow_an_item_when_the_list_is_reordered() -> None:
    raw = load_file(FIXTURE)[1]
    marks = texts.update_marks(None, raw, {})
    changed = copy.deepcopy(raw)
    changed["injects"][1]["title"]["en"] = "Changed"
    marks = texts.update_marks(raw, changed, marks)
    moved = copy.deepcopy(changed)
    moved["injects"].insert(0, moved["injects"].pop(1))  # the changed inject is now first
    marks = texts.update_marks(changed, moved, marks)
    stale = [r.ref.location for r in texts.report(moved, marks) if r.status == texts.STALE]
    assert stale == ["injects[0].title"]
