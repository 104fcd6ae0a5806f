"""The scenario loader: every broken file names the file, the place and the reason. No database."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings

from scenarios.loader import (
    FILE,
    ROOT,
    Problem,
    ScenarioError,
    content_hash,
    discover,
    load_file,
    load_text,
    location,
    parse,
)
from scenarios.schema import Scenario

Mutation = Callable[[dict[str, Any]], None]


def _walk(raw: dict[str, Any], path: str) -> tuple[Any, str | int]:
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    node: Any = raw
    for part in parents:
        node = node[part]
    return node, last


def put(path: str, value: Any) -> Mutation:
    """``put("roles.0.side", "ca")``: set one value in the raw dict."""

    def mutate(raw: dict[str, Any]) -> None:
        node, last = _walk(raw, path)
        node[last] = value

    return mutate


def drop(path: str) -> Mutation:
    def mutate(raw: dict[str, Any]) -> None:
        node, last = _walk(raw, path)
        del node[last]

    return mutate


def problems_of(raw: dict[str, Any]) -> list[Problem]:
    with pytest.raises(ScenarioError) as caught:
        parse(raw, source="mini.yaml")
    return caught.value.problems


def text_problems(text: str) -> list[Problem]:
    with pytest.raises(ScenarioError) as caught:
        load_text(text, source="x.yaml")
    return caught.value.problems


def _all_institutions(raw: dict[str, Any]) -> None:
    for role in raw["roles"]:
        role["institution"] = True
    raw["actions"] = raw["debrief"] = raw["roles"][0]["objectives"] = []


def _duplicate_role(raw: dict[str, Any]) -> None:
    raw["roles"].append(copy.deepcopy(raw["roles"][0]))


def _role_named_us(raw: dict[str, Any]) -> None:
    raw["roles"].append({**copy.deepcopy(raw["roles"][4]), "id": "us"})


def _duplicate_objective(raw: dict[str, Any]) -> None:
    raw["roles"][0]["objectives"].append(copy.deepcopy(raw["roles"][0]["objectives"][0]))


# (mutation, the one problem's location, a fragment of its message)
BROKEN: dict[str, tuple[Mutation, str, str]] = {
    # schema (pydantic)
    "unknown key": (
        put("roles.0.titel", {"en": "a", "es": "b"}),
        "roles[0].titel",
        "unknown key 'titel' (did you mean 'title'?)",
    ),
    "missing es text": (put("roles.1.title", {"en": "Adviser"}), "roles[1].title.es", "missing required key 'es'"),
    "plain text where both languages are due": (
        put("roles.0.private_brief", "You want to travel."),
        "roles[0].private_brief",
        "expected text in both languages, {en: ..., es: ...}",
    ),
    "bad id": (put("channels.0.id", "Cabinet-Room"), "channels[0].id", "should match pattern"),
    "bad duration": (put("channels.2.delay", "30 minutes"), "channels[2].delay", "'30 minutes' is not a duration"),
    "indicator start outside range": (put("indicators.0.start", 120), "indicators[0]", "start 120 is outside 0..100"),
    "condition with two kinds": (
        put("injects.3.trigger", {"indicator": "sovereignty", "op": "lt", "value": 50, "inject": "attack"}),
        "injects[3].trigger",
        "exactly one of indicator, action, inject",
    ),
    "nested condition with no kind": (
        put("pressures.0.when", {"any": [{"phase": "impact"}, {"op": "lt"}]}),
        "pressures[0].when.any[1]",
        "(found none)",
    ),
    "condition on an option the action lacks": (
        put("injects.3.trigger", {"action": "statement", "option": "nope"}),
        "injects[3].trigger.option",
        "'statement' has no option 'nope'",
    ),
    "probability above one": (
        put("actions.0.approvals.0.probability.base", 1.5),
        "actions[0].approvals[0].probability.base",
        "less than or equal to 1",
    ),
    "closed channel without reason": (drop("channels.1.closed_reason"), "channels[1]", "needs a closed_reason"),
    # cross-references
    "duplicate role id": (_duplicate_role, "roles[6].id", "duplicate role id 'president' (also at roles[0])"),
    "duplicate objective id": (_duplicate_objective, "roles[0].objectives[1].id", "duplicate objective id 'travel'"),
    "duplicate option id": (put("actions.9.options.1.id", "total"), "actions[9].options[1].id", "duplicate option id"),
    "unknown side": (put("roles.0.side", "ca"), "roles[0].side", "unknown side 'ca'"),
    "unknown channel member": (
        put("channels.1.members.1", "northcom"),
        "channels[1].members[1]",
        "unknown role or side 'northcom'",
    ),
    "unknown visible_to": (
        put("indicators.2.visible_to", ["mexico"]),
        "indicators[2].visible_to[0]",
        "unknown role or side",
    ),
    "unknown inject recipient": (
        put("injects.2.recipients", ["defense"]),
        "injects[2].recipients[0]",
        "did you mean 'defence'?",
    ),
    "unknown indicator in an effect": (
        put("injects.1.outcome.effects.0.indicator", "trsut"),
        "injects[1].outcome.effects[0].indicator",
        "unknown indicator 'trsut' (did you mean 'trust'?)",
    ),
    "unknown inject in triggers": (
        put("actions.5.outcome.triggers", ["ghost"]),
        "actions[5].outcome.triggers[0]",
        "unknown inject 'ghost'",
    ),
    "unknown channel opened": (
        put("actions.5.outcome.opens", ["hotline"]),
        "actions[5].outcome.opens[0]",
        "unknown channel 'hotline'",
    ),
    "unknown indicator in on_refused": (
        put("actions.0.approvals.0.on_refused.effects.0.indicator", "support"),
        "actions[0].approvals[0].on_refused.effects[0].indicator",
        "unknown indicator 'support'",
    ),
    "unknown indicator in a bypass": (
        put("actions.1.approvals.0.bypass.outcome.effects.0.indicator", "pride"),
        "actions[1].approvals[0].bypass.outcome.effects[0].indicator",
        "unknown indicator 'pride'",
    ),
    "unknown indicator in a chance": (
        put("actions.7.chance.failure.effects.0.indicator", "radar"),
        "actions[7].chance.failure.effects[0].indicator",
        "unknown indicator 'radar'",
    ),
    "unknown indicator in on_contradiction": (
        put("consistency.on_contradiction.effects.0.indicator", "unity"),
        "consistency.on_contradiction.effects[0].indicator",
        "unknown indicator 'unity'",
    ),
    "phase order": (put("phases.2.start", "-2h"), "phases[2].start", "-2h must come after phases[1] (impact, 0)"),
    "phase after the end": (put("phases.2.start", "7h"), "phases[2].start", "is at or after clock.end (6h)"),
    "inject at out of range": (put("injects.2.at", "7h"), "injects[2].at", "at 7h is outside the exercise"),
    "inject before the first phase": (put("injects.0.at", "-2h"), "injects[0].at", "from the first phase (-1h)"),
    "t0 not a date": (put("clock.t0", "the morning of 9/11"), "clock.t0", "is not an ISO 8601 date"),
    "unknown time zone": (put("clock.timezone", "Mexico/Central_Time"), "clock.timezone", "unknown time zone"),
    "condition indicator value out of range": (
        put("injects.3.trigger.value", 150),
        "injects[3].trigger.value",
        "150 is outside sovereignty's range 0..100",
    ),
    "condition names an unknown action": (
        put("roles.0.objectives.0.done_when", {"action": "travell"}),
        "roles[0].objectives[0].done_when.action",
        "unknown action 'travell' (did you mean 'travel'?)",
    ),
    "condition names an unknown phase": (
        put("actions.4.requires.0.when", {"all": [{"action": "order_army"}, {"phase": "aftermath"}]}),
        "actions[4].requires[0].when.all[1].phase",
        "unknown phase 'aftermath'",
    ),
    "condition statement is not a topic": (
        put("pressures.0.when.not.statement", "suport"),
        "pressures[0].when.not.statement",
        "'suport' is not a topic in consistency.topics (did you mean 'support'?)",
    ),
    "condition by an unknown side": (
        put("pressures.0.when.not.by_side", "mex"),
        "pressures[0].when.not.by_side",
        "unknown side 'mex'",
    ),
    "condition stance nobody takes": (
        put("pressures.0.when.not.stance", "neutral"),
        "pressures[0].when.not.stance",
        "takes stance 'neutral' (stances: constitutional, total)",
    ),
    "stray key in a condition": (
        put("injects.3.trigger", {"inject": "attack", "by_side": "mx"}),
        "injects[3].trigger",
        "'stance' and 'by_side' belong to a statement condition",
    ),
    "action for an institution": (
        put("actions.3.roles", ["senate"]),
        "actions[3].roles[0]",
        "'senate' is an institution",
    ),
    "action for an unknown role": (
        put("actions.3.roles", ["presidente"]),
        "actions[3].roles[0]",
        "unknown role 'presidente'",
    ),
    "action in an unknown phase": (
        put("actions.10.phases", ["endgame"]),
        "actions[10].phases[0]",
        "unknown phase 'endgame'",
    ),
    "statement without topic": (drop("actions.9.statement"), "actions[9].statement", "needs 'statement: <topic>'"),
    "statement topic not declared": (
        put("actions.9.statement", "trade"),
        "actions[9].statement",
        "not declared in consistency.topics",
    ),
    "statement option without stance": (
        drop("actions.9.options.1.stance"),
        "actions[9].options[1].stance",
        "needs a stance",
    ),
    "stance on a plain action": (
        put("actions.3.options", [{"id": "now", "label": {"en": "Now", "es": "Ya"}, "stance": "firm"}]),
        "actions[3].options[0].stance",
        "a stance only counts on a statement action",
    ),
    "unknown approver": (
        put("actions.0.approvals.0.by", "congress"),
        "actions[0].approvals[0].by",
        "unknown role 'congress'",
    ),
    "vote without a vote": (
        drop("actions.0.approvals.0.vote"),
        "actions[0].approvals[0].vote",
        "needs 'vote: {members: N}'",
    ),
    "vote on an approval": (
        put("actions.1.approvals.0.vote", {"members": 128}),
        "actions[1].approvals[0].vote",
        "'vote' needs kind: vote",
    ),
    "modifier names an unknown indicator": (
        put("actions.0.approvals.0.probability.modifiers.0.indicator", "legitimacyy"),
        "actions[0].approvals[0].probability.modifiers[0].indicator",
        "unknown indicator 'legitimacyy'",
    ),
    "floor above ceiling": (
        put("injects.2.delivery.probability", {"base": 0.5, "floor": 0.9, "ceiling": 0.1}),
        "injects[2].delivery.probability",
        "floor 0.9 is above ceiling 0.1",
    ),
    "unknown leak inject": (
        put("actions.2.leak.inject", "leak_stroy"),
        "actions[2].leak.inject",
        "(did you mean 'leak_story'?)",
    ),
    "unknown debrief question": (
        put("actions.2.debrief", ["q9"]),
        "actions[2].debrief[0]",
        "unknown debrief question 'q9'",
    ),
    "debrief names an unknown action": (
        put("debrief.0.actions", ["assign"]),
        "debrief[0].actions[0]",
        "unknown action 'assign'",
    ),
    "inject triggers itself": (
        put("injects.1.outcome.triggers", ["attack"]),
        "injects[1].outcome.triggers[0]",
        "cannot trigger itself",
    ),
    "inject waits for itself": (
        put("injects.3.trigger", {"any": [{"inject": "backlash"}, {"inject": "attack"}]}),
        "injects[3].trigger",
        "'backlash' cannot wait for itself",
    ),
    "pressure without a period": (put("pressures.0.every", 0), "pressures[0].every", "the period must be positive"),
    "languages without es": (put("languages", ["en"]), "languages", "must include en and es (missing es)"),
    "no played role": (_all_institutions, "roles", "at least one role must be played"),
    "role id used as a side id": (_role_named_us, "roles[6].id", "'us' is also a side id"),
}


SEATS = [{"party": "PRI", "seats": 60, "lean": 0.4}, {"party": "PAN", "seats": 68, "lean": 1.0}]

EXTENSIONS: dict[str, tuple[Mutation, str, str]] = {
    "seats on a played role": (put("roles.0.seats", SEATS), "roles[0]", "only an institution (a chamber) has seats"),
    "a party listed twice": (
        put("roles.5.seats", [*SEATS, {"party": "PRI", "seats": 1}]),
        "roles[5].seats[2].party",
        "party 'PRI' is listed twice",
    ),
    "vote members that are not the seats": (
        put("roles.5.seats", [{"party": "PAN", "seats": 50}]),
        "actions[0].approvals[0].vote.members",
        "128 members, but 'senate' has 50 seats",
    ),
    "a deliberate marker without Spanish": (
        put("actions.0.deliberate", {"reason": {"en": "On purpose."}}),
        "actions[0].deliberate.reason.es",
        "missing required key 'es'",
    ),
    "a phase note as a plain string": (
        put("phases.0.instructor", "Watch the table."),
        "phases[0].instructor",
        "expected text in both languages",
    ),
}


@pytest.mark.parametrize(("mutate", "where", "fragment"), list(EXTENSIONS.values()), ids=list(EXTENSIONS))
def test_it_checks_seats_markers_and_notes(mini_raw: dict, mutate: Mutation, where: str, fragment: str) -> None:
    """The issue-13 extensions (party seats, deliberate markers, notes) name their place too.

    Mutation: removing the seats/members cross-check from ``loader._Checks.actions`` lets
    "vote members that are not the seats" load, and its case fails.
    """
    mutate(mini_raw)
    problems = problems_of(mini_raw)
    assert problems and problems[0].location == where, [str(p) for p in problems]
    assert fragment in problems[0].message


def test_it_accepts_seats_notes_and_a_holder_in_both_languages(mini_raw: dict) -> None:
    put("roles.5.seats", SEATS)(mini_raw)
    put("roles.0.holder", {"en": "Gen. X", "es": "Gral. X"})(mini_raw)
    put("phases.0.instructor", {"en": "Watch.", "es": "Observe."})(mini_raw)
    put("injects.0.instructor", {"en": "Sourced.", "es": "Con fuente."})(mini_raw)
    put("actions.0.deliberate", {"reason": {"en": "On purpose.", "es": "A propósito."}})(mini_raw)
    sc = parse(mini_raw, source="mini")
    assert [s.party for s in sc.role("senate").seats] == ["PRI", "PAN"]
    assert sc.role("president").holder_in("es") == "Gral. X" and sc.role("president").holder_in("en") == "Gen. X"
    assert sc.phases[0].instructor is not None and sc.injects[0].instructor is not None


def test_it_loads_the_fixture(mini_path: Path) -> None:
    scenario, raw = load_file(mini_path)

    assert isinstance(scenario, Scenario)
    assert scenario.slug == "mini"
    assert (len(scenario.roles), len(scenario.injects), len(scenario.actions)) == (6, 5, 11)
    assert raw["slug"] == "mini" and raw["clock"]["t0"] == "2001-09-11T08:46:00-04:00"


def test_it_parses_the_raw_dict_it_returns(mini_raw: dict) -> None:
    assert parse(mini_raw, source="mini").slug == "mini"


@pytest.mark.parametrize(("mutate", "where", "fragment"), list(BROKEN.values()), ids=list(BROKEN))
def test_it_names_the_place_and_reason(mini_raw: dict, mutate: Mutation, where: str, fragment: str) -> None:
    mutate(mini_raw)

    problems = problems_of(mini_raw)

    assert [p.location for p in problems] == [where], [str(p) for p in problems]
    assert fragment in problems[0].message
    assert problems[0].file == "mini.yaml"


def test_it_reports_every_schema_problem_at_once(mini_raw: dict) -> None:
    put("roles.0.titel", "x")(mini_raw)
    put("channels.2.delay", "soon")(mini_raw)
    drop("injects.4.text.es")(mini_raw)

    problems = problems_of(mini_raw)

    assert [p.location for p in problems] == ["roles[0].titel", "channels[2].delay", "injects[4].text.es"]


def test_it_reports_every_reference_problem_at_once(mini_raw: dict) -> None:
    put("roles.0.side", "ca")(mini_raw)
    put("injects.1.outcome.effects.0.indicator", "trsut")(mini_raw)
    put("actions.0.approvals.0.by", "congress")(mini_raw)
    put("debrief.0.actions", ["assign"])(mini_raw)

    problems = problems_of(mini_raw)

    assert [p.location for p in problems] == [
        "roles[0].side",
        "injects[1].outcome.effects[0].indicator",
        "actions[0].approvals[0].by",
        "debrief[0].actions[0]",
    ]


def test_it_prints_one_problem_per_line(mini_raw: dict) -> None:
    put("roles.0.side", "ca")(mini_raw)
    put("roles.1.side", "ca")(mini_raw)

    with pytest.raises(ScenarioError) as caught:
        parse(mini_raw, source="library/mini.yaml")

    assert str(caught.value).splitlines() == [
        "library/mini.yaml: roles[0].side: unknown side 'ca'",
        "library/mini.yaml: roles[1].side: unknown side 'ca'",
    ]


def test_it_points_at_the_line_of_a_yaml_syntax_error() -> None:
    text = "slug: mini\ntitle: {en: Mini, es: Mini}\nroles:\n  - id: a\n   side: mx\n"

    [problem] = text_problems(text)

    assert problem.location == FILE
    assert "invalid YAML at line 5, column 4: expected <block end>" in problem.message


def test_it_refuses_a_key_written_twice() -> None:
    [problem] = text_problems("slug: mini\ntitle: {en: A, es: A}\ntitle: {en: B, es: B}\n")

    assert (problem.location, problem.message) == (
        FILE,
        "invalid YAML at line 3, column 1: duplicate key 'title' (first at line 2)",
    )


@pytest.mark.parametrize(
    ("text", "where", "fragment"),
    [
        ("", FILE, "the file is empty"),
        ("# nothing but a comment\n", FILE, "the file is empty"),
        ("- slug: mini\n", ROOT, "the top level must be a mapping"),
        ("just words\n", ROOT, "not a str"),
        ("slug: mini\nnotes: !!set {a, b}\n", "notes", "a set value cannot be stored"),
        ("slug: mini\nscore: .nan\n", "score", "is not a finite number"),
    ],
    ids=["empty", "comment only", "a list", "a scalar", "a set", "nan"],
)
def test_it_rejects_files_that_are_not_a_scenario_mapping(text: str, where: str, fragment: str) -> None:
    [problem] = text_problems(text)

    assert problem.location == where
    assert fragment in problem.message


def test_it_keeps_dates_and_yes_no_as_text(mini_path: Path) -> None:
    text = mini_path.read_text().replace('t0: "2001-09-11T08:46:00-04:00"', "t0: 2001-09-11T08:46:00-04:00")
    text = text.replace("id: total,", "id: 'no',").replace("id: constitutional,", "id: yes,")

    scenario, raw = load_text(text, source="mini.yaml")

    assert raw["clock"]["t0"] == "2001-09-11T08:46:00-04:00"
    assert [o.id for o in scenario.action("statement").options] == ["no", "yes"]


def test_it_wants_the_slug_to_match_the_file_name(tmp_path: Path, mini_path: Path) -> None:
    path = tmp_path / "september.yaml"
    path.write_text(mini_path.read_text())

    with pytest.raises(ScenarioError) as caught:
        load_file(path)

    assert [str(p) for p in caught.value.problems] == [
        f"{path}: slug: slug 'mini' must match the file name ('september')"
    ]


def test_it_reports_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_file(tmp_path / "gone.yaml")

    assert [(p.location, p.message) for p in caught.value.problems] == [(FILE, "no such file")]


def test_it_turns_pydantic_locations_into_paths() -> None:
    assert location(("injects", 2, "outcome", "effects", 0, "indicator")) == "injects[2].outcome.effects[0].indicator"
    assert location(("pressures", 0, "when", "all_", 1, "not_", "any_", 0)) == "pressures[0].when.all[1].not.any[0]"
    assert location(()) == ROOT


def test_it_hashes_content_not_layout(mini_path: Path) -> None:
    _, raw = load_file(mini_path)
    reordered = yaml.safe_load(yaml.safe_dump(raw, sort_keys=True))
    changed = copy.deepcopy(raw)
    changed["roles"][0]["title"]["en"] = "Presidente"

    assert (
        content_hash(raw)
        == content_hash(reordered)
        == content_hash(load_text("# note\n" + mini_path.read_text(), source="x")[1])
    )
    assert content_hash(raw) != content_hash(changed)
    assert len(content_hash(raw)) == 64


def test_it_discovers_yaml_files_in_order(tmp_path: Path) -> None:
    for name in ["b.yaml", "a.yml", "c.txt", ".#a.yaml", "notes.md"]:
        (tmp_path / name).write_text("slug: x\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "d.yaml").write_text("slug: d\n")

    assert discover([tmp_path, tmp_path / "nowhere"]) == [tmp_path / "a.yml", tmp_path / "b.yaml"]
    assert discover([tmp_path / "c.txt"]) == [tmp_path / "c.txt"]


def _library_files() -> list[Path]:
    return discover(settings.CRISIS_TABLE["SCENARIO_DIRS"])


@pytest.mark.parametrize("path", _library_files(), ids=lambda p: p.name)
def test_it_loads_every_library_scenario(path: Path) -> None:
    scenario, _ = load_file(path)

    assert scenario.slug == path.stem
