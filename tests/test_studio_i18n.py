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
