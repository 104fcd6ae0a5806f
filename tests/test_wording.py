"""Refusals that teach (issue #12 item 5) and no words in the engine (issue #10 item 2).

The engine refuses with data (``Rejected(rule, code, **data)``); ``exercises/wording.py`` says
what is missing and when it becomes possible, in the player's language, with labels, never ids.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from exercises import engine, wording
from exercises.engine import commands as c
from exercises.engine.refusals import Refusal, Rule
from exercises.screens import answers
from scenarios.schema import Scenario

ROOT = Path(__file__).resolve().parent.parent
SEPTEMBER = ROOT / "scenarios" / "library" / "september-2001.yaml"


@pytest.fixture(scope="module")
def september() -> Scenario:
    from scenarios.loader import _load_yaml

    return Scenario.model_validate(_load_yaml(SEPTEMBER.read_text(encoding="utf-8")))


def _too_early(scenario: Scenario) -> dict:
    """The President asks to travel to Washington in the prelude: refused by the clock's phase."""
    state = engine.initial_state(scenario)
    president = engine.Actor(kind="participant", participant="p1")
    for cmd in (c.Join(name="Vicente"), c.ClaimRole(role="mx_president")):
        _, state = engine.run(scenario, state, president, cmd, seed=1, wall=0.0)
    _, state = engine.run(scenario, state, engine.FACILITATOR, c.Start(), seed=1, wall=0.0)
    events, _ = engine.run(
        scenario, state, president, c.ProposeAction(action="mx_president_travel_washington"), seed=1, wall=0.0
    )
    assert events[-1].type == "command_rejected"
    return events[-1].payload


def test_a_phase_refusal_says_when_it_becomes_possible_in_both_languages(september: Scenario) -> None:
    """Mutation: drop ``opens``/``at`` from ``Decider.phase_window`` (or the PHASE_LATER branch):
    the refusal no longer says when, and this goes red."""
    payload = _too_early(september)
    assert payload["code"] == "wrong_phase" and payload["rule"] == "phase"
    assert payload["data"]["opens"] == "washington_pilgrimage" and payload["data"]["at"] == 3 * 86400
    en = wording.rejection(payload, september, "en")
    es = wording.rejection(payload, september, "es")
    assert "It becomes possible in “Leaders in Washington”, from 14 September, 08:46." in en, en
    assert "Será posible en «Los líderes en Washington», a partir del 14 de septiembre, 08:46." in es, es
    for text in (en, es):
        assert "mx_president_travel_washington" not in text and "washington_pilgrimage" not in text


def test_the_engine_holds_no_words(september: Scenario) -> None:
    """Every ``Rejected`` in the engine takes a ``Refusal`` code, never a sentence.
    Mutation: ``raise Rejected(RULE_CLOCK, "the exercise has not started")`` in rules.py."""
    for path in (ROOT / "exercises" / "engine").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Rejected":
                code = node.args[1]
                assert isinstance(code, ast.Attribute) and getattr(code.value, "id", "") == "Refusal", (
                    f"{path.name}:{node.lineno}"
                )
    payload = _too_early(september)
    assert set(payload) == {"command", "rule", "code", "data"}


@pytest.mark.parametrize("code", list(Refusal))
def test_every_refusal_has_words_in_both_languages(code: Refusal) -> None:
    en = wording.refusal(code, {}, None, "en")
    es = wording.refusal(code, {}, None, "es")
    assert en and es and en != es
    assert "{" not in en + es


def test_the_spanish_approval_says_del_senado(september: Scenario) -> None:
    """Issue #12: the engine wrote "requiere votación de Senado de la República"."""
    views = {v.action.id: v for v in engine.action_views(september, engine.initial_state(september), "mx_president")}
    votes = [k for k in views["mx_president_travel_washington"].constraints if k.kind == "vote"]
    es = [wording.constraint(k.kind, k.data, september, "es") for k in votes]
    en = [wording.constraint(k.kind, k.data, september, "en") for k in votes]
    assert es == ["requiere votación del Senado de la República", "requiere votación de la Cámara de Diputados"]
    assert en[0].startswith("needs a vote of ") and "mx_senate" not in en[0]
    phase = next(k for k in views["mx_president_travel_washington"].constraints if k.kind == "phase")
    assert "(próxima: «Los líderes en Washington», a partir del 14 de septiembre, 08:46)" in wording.constraint(
        phase.kind, phase.data, september, "es"
    )


def test_the_rule_name_opens_its_one_line_explanation() -> None:
    """Mutation: drop ``explain`` from ``answers.toast``'s context: no <details> with the line."""
    from django.utils import translation

    with translation.override("es"):
        html = answers.toast("No.", "error", "R1", "es")
    assert '<details class="rule-explain"><summary class="badge badge-rule">R1</summary>' in html
    assert wording.rule_explanation("R1", "es") in html and "Congreso" in wording.rule_explanation("R1", "es")
    assert (
        wording.rule_explanation(Rule.PHASE, "en") == "Some actions are possible only in certain phases of the crisis."
    )
    assert wording.rule_explanation(Rule.PHASE, "es").startswith("Algunas acciones solo son posibles")


def test_an_old_log_refusal_still_reads() -> None:
    """Logs recorded before structured refusals carry an English ``message``."""
    old = {"command": "propose_action", "rule": "R9", "message": "x is forbidden", "detail": {}}
    assert wording.rejection(old, None, "en") == "x is forbidden"
    assert wording.rejection(old, None, "es") == "Una regla del escenario no lo permite."
    scenario_words = {**old, "detail": {"reason": {"en": "No troops.", "es": "Sin tropas."}}}
    assert wording.rejection(scenario_words, None, "es") == "Sin tropas."
