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
    """``bush_address`` (9d12h) is scheduled after the new end, so it goes.

    The expectation used to be ``us_unilateral_turn`` going too; fidelity's content (issue #13)
    made it a trigger on ``us_president_unilateral_course`` (go it alone), an action open from
    ``cabinet_split`` on, *or* on ``bush_address``. Cut to three phases, the president can still
    choose to go it alone, so the inject legitimately stays, its trigger simplified to that choice.
    """
    raw = load_file(LIBRARY[-1].parent / "september-2001.yaml")[1]
    out, removed = tools.cut_to_phases(raw, 3)
    assert out["clock"]["end"] == "3d"
    assert all(i.get("at") is None or tools.parse_offset(i["at"]) < 3 * 86400 for i in out["injects"])
    assert ("injects", "bush_address") in removed.items
    turn = next(i for i in out["injects"] if i["id"] == "us_unilateral_turn")
    assert turn["trigger"] == {"action": "us_president_unilateral_course", "option": "go_it_alone"}
    kept_actions = {a["id"] for a in out["actions"]}
    assert all(set(a.get("phases") or []) <= {"prelude", "first_day", "cabinet_split"} for a in out["actions"])
    assert all(set(q.get("actions") or []) <= kept_actions for q in out["debrief"])


def _mini_with_everything_a_cut_must_follow() -> dict:
    """mini, plus a late inject and late statements that the references of every kind point at."""
    raw = load_file(FIXTURE)[1]
    raw["injects"].append(
        {
            "id": "late_news",
            "at": "3h30m",
            "recipients": ["all"],
            "title": {"en": "Late news", "es": "Noticias tardías"},
            "text": {"en": "Later.", "es": "Más tarde."},
        }
    )
    actions = {a["id"]: a for a in raw["actions"]}
    actions["assign_tasks"]["leak"]["inject"] = "late_news"  # a leak into it
    travel = actions["travel"]["approvals"][0]
    travel["on_refused"]["triggers"] = ["late_news"]  # an approval's on_refused
    actions["deploy_abroad"]["approvals"][0]["bypass"]["outcome"]["triggers"] = ["late_news"]
    actions["detect"]["chance"]["failure"]["triggers"] = ["late_news"]
    actions["statement"]["options"][0]["outcome"]["triggers"] = ["late_news"]
    actions["statement"]["options"][1]["deliberate"] = {"reason": {"en": "No cost: on purpose.", "es": "Sin costo."}}
    raw["consistency"]["on_contradiction"]["triggers"] = ["late_news"]
    actions["deploy_home"]["requires"][0]["when"] = {"any": [{"action": "order_army"}, {"inject": "late_news"}]}
    senate = next(r for r in raw["roles"] if r["id"] == "senate")
    senate["seats"] = [{"party": "PAN", "seats": 46, "lean": 1}, {"party": "PRI", "seats": 82, "lean": 0.4}]
    raw["consistency"]["topics"].append({"id": "late_topic", "label": {"en": "Late", "es": "Tarde"}})
    raw["actions"].append(
        {
            "id": "late_statement",
            "roles": ["defence"],
            "kind": "statement",
            "statement": "late_topic",
            "phases": ["response"],
            "title": {"en": "Late word", "es": "Palabra tardía"},
            "description": {"en": "Late.", "es": "Tarde."},
            "options": [{"id": "yes", "label": {"en": "Yes", "es": "Sí"}, "stance": "yes"}],
        }
    )
    raw["bot_lines"] = [
        {"action": "late_only", "text": {"en": "Now.", "es": "Ahora."}},  # its action goes
        {"action": "travel", "text": {"en": "Let me go.", "es": "Déjenme ir."}},  # stays
        {"topic": "late_topic", "role": "defence", "text": {"en": "Late.", "es": "Tarde."}},  # speaker loses it
        {"topic": "support", "role": "foreign", "text": {"en": "We back them.", "es": "Los apoyamos."}},  # stays
        {"action": "travel", "on": "grant", "role": "senate", "text": {"en": "Granted.", "es": "Concedido."}},
    ]
    assert validate_raw(raw, source="mini+.yaml").problems == []
    return raw


def test_a_cut_follows_every_kind_of_reference_in_the_format() -> None:
    """Leaks, approvals' on_refused and bypass, chances, options, on_contradiction, requirements,
    seat bots' lines; chambers' seats, votes and deliberate markers are kept as written.

    Mutations (tried): drop ``_drop_dangling`` → ``actions[2].leak.inject`` and two
    ``bot_lines[…]`` problems (red); leave out the ``on: refuse`` speakers check (approvers) →
    a kept line would be dropped."""
    raw = _mini_with_everything_a_cut_must_follow()
    out, removed = tools.cut_to_phases(raw, 2)
    assert validate_raw(out, source="cut.yaml").problems == []
    actions = {a["id"]: a for a in out["actions"]}
    assert ("injects", "late_news") in removed.items
    assert "leak" not in actions["assign_tasks"]
    assert actions["travel"]["approvals"][0]["on_refused"]["triggers"] == []
    assert actions["deploy_abroad"]["approvals"][0]["bypass"]["outcome"]["triggers"] == []
    assert actions["detect"]["chance"]["failure"]["triggers"] == []
    assert actions["statement"]["options"][0]["outcome"]["triggers"] == []
    assert out["consistency"]["on_contradiction"]["triggers"] == []
    assert actions["deploy_home"]["requires"][0]["when"] == {"action": "order_army"}
    before = next(a for a in raw["actions"] if a["id"] == "statement")
    assert actions["statement"]["options"][1]["deliberate"] == before["options"][1]["deliberate"]
    senate = next(r for r in out["roles"] if r["id"] == "senate")
    assert sum(s["seats"] for s in senate["seats"]) == actions["travel"]["approvals"][0]["vote"]["members"]
    assert "late_only" not in actions and "late_statement" not in actions
    assert [line.get("action") or line.get("topic") for line in out["bot_lines"]] == ["travel", "support", "travel"]
    assert ("bot_lines", "0") in removed.items and ("bot_lines", "2") in removed.items


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
