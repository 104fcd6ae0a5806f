"""Every problem message the loader can write has a Spanish translation the studio can show."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest
from django.utils import translation

from scenarios.loader import Problem, ScenarioError, load_text, parse
from scenarios.messages import Msg
from studio import catalogue, problems

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ["scenarios/loader.py", "scenarios/schema.py", "studio/msel.py"]
PLUMBING = {"", "{message}{got}", "{problem} ({context})"}  # wrappers around text translated elsewhere


def _templates() -> set[str]:
    found = set()
    for name in SOURCES:
        for node in ast.walk(ast.parse((ROOT / name).read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Msg" and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    found.add(arg.value)
    return found - PLUMBING


def _fields(template: str) -> set[str]:
    return {name for _text, name, _spec, _conv in string.Formatter().parse(template) if name}


def _plain_messages() -> list[str]:
    """Problems written as plain strings (f-strings, literals): ``self.add(where, <not a Msg>)`` in
    the loader, ``raise ValueError(<not a Msg>)`` in the schema. Each would reach a Spanish
    facilitator in English."""
    found = []
    for name in ("scenarios/loader.py", "scenarios/schema.py"):
        for node in ast.walk(ast.parse((ROOT / name).read_text())):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            is_add = isinstance(func, ast.Attribute) and func.attr == "add" and len(node.args) == 2
            is_error = isinstance(func, ast.Name) and func.id == "ValueError"
            message = node.args[-1] if is_add else node.args[0] if is_error else None
            if isinstance(message, ast.JoinedStr | ast.Constant | ast.BinOp):
                found.append(f"{name}:{node.lineno}")
    return found


def test_every_loader_and_schema_message_is_a_template() -> None:
    """Fidelity's chamber checks and whatif's bot-line checks were f-strings; now every one is a
    ``Msg``. Mutation (tried): the "listed twice" party check as its old f-string (red here)."""
    assert _plain_messages() == []


def test_the_new_checks_speak_spanish() -> None:
    """The chamber and bot-line checks, as a Spanish facilitator reads them in the studio."""
    checks = [
        Msg("party {party!r} is listed twice (also at seats[{other}])", party="PRI", other=0),
        Msg(
            "{members} members, but {role!r} has {seats} seats in its blocs (roles[].seats)",
            members=100,
            role="senate",
            seats=128,
        ),
        Msg("{role!r} cannot answer {action} (on: {on})", role="defence", action="travel", on="grant"),
    ]
    stored = problems.store([Problem("x.yaml", "roles[5]", m) for m in checks])
    spanish = [problems.message(item, "es") for item in stored]
    assert spanish[0] == "el partido 'PRI' aparece dos veces (también en seats[0])"
    assert spanish[1].startswith("100 miembros, pero 'senate' tiene 128 escaños")
    assert spanish[2] == "'defence' no puede responder travel (on: grant)"


def test_every_message_is_in_the_catalogue() -> None:
    """A new loader message fails here until it is added to ``studio/catalogue.py`` (and translated)."""
    assert _templates() <= set(catalogue.TEMPLATES)


@pytest.mark.parametrize("template", sorted(set(catalogue.TEMPLATES) | set(problems.PYDANTIC.values())))
def test_every_template_has_a_spanish_translation_with_the_same_fields(template: str) -> None:
    with translation.override("es"):
        spanish = translation.gettext(template)
    assert spanish != template or template in {"{effects}"}, template
    assert _fields(spanish) == _fields(template)


@pytest.mark.parametrize("word", catalogue.WORDS)
def test_every_kind_of_thing_has_a_spanish_name(word: str) -> None:
    with translation.override("es"):
        assert translation.gettext(word) != word or word in {"inject", "at"}


def test_a_msg_is_its_english_text() -> None:
    """What validate_scenarios prints is unchanged: a Msg is the English string itself."""
    message = Msg(
        "unknown {what} {value!r}{hint}",
        what=Msg("indicator"),
        value="trsut",
        hint=Msg(" (did you mean {close!r}?)", close="trust"),
    )
    assert message == "unknown indicator 'trsut' (did you mean 'trust'?)"
    assert str(Problem("x.yaml", "a", message)) == "x.yaml: a: unknown indicator 'trsut' (did you mean 'trust'?)"


def test_stored_problems_translate_in_spanish(mini_raw: dict) -> None:
    mini_raw["injects"][0]["recipients"] = ["presidnet"]
    mini_raw["indicators"][0]["start"] = 500
    mini_raw["title"] = {"en": "x", "es": ""}
    with pytest.raises(ScenarioError) as caught:
        parse(mini_raw, source="mini.yaml")
    stored = problems.store(caught.value.problems)
    spanish = {p["location"]: problems.message(p, "es") for p in stored}
    english = {p["location"]: problems.message(p, "en") for p in stored}
    assert spanish["title.es"] == "no puede estar vacío (se recibió '')"
    assert spanish["indicators[0]"] == "el inicio 500 queda fuera de 0..100"
    assert english["indicators[0]"] == "start 500 is outside 0..100"


def test_yaml_syntax_errors_translate_too() -> None:
    with pytest.raises(ScenarioError) as caught:
        load_text("slug: x\ntitle: a: b\n", source="x.yaml")
    stored = problems.store(caught.value.problems)
    assert (
        problems.message(stored[0], "es")
        == "YAML no válido en la línea 2, columna 9: aquí no se admite un valor de mapa"
    )
