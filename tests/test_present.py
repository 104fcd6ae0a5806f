"""Small pieces of the screens' wording, without a database."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import translation

from exercises.screens import labels
from scenarios.loader import load_file

MINI = load_file(Path(__file__).parent / "fixtures" / "mini.yaml")[0]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("Heads the government.", "Heads the government."),
        ("Art. 88: the President may not leave. He asks first.", "Art. 88: the President may not leave."),
        ("Los EE. UU. piden ayuda. Luego más.", "Los EE. UU. piden ayuda."),
        ("word " * 60, ("word " * 32).strip() + "…"),
    ],
)
def test_it_cuts_a_brief_to_its_first_sentence(text, line):
    assert labels.first_sentence(text) == line


def test_it_names_an_audience_as_people_would():
    with translation.override("en"):
        assert labels.audience_label(MINI, MINI.roles_of(["all"]), "en") == "everyone"
        assert labels.audience_label(MINI, MINI.roles_of(["mx"]), "en") == "all of Mexico, Senate"
        assert labels.audience_label(MINI, ["defence", "us_command"], "en") == "Defence, US command"
    with translation.override("es"):
        assert labels.audience_label(MINI, ["defence", "us_command"], "es") == "Defensa, Comando de EUA"


def test_it_labels_rules_for_people():
    with translation.override("es"):
        assert labels.rule_label("R5") == "R5"
        assert labels.rule_label("phase") == "momento"
    assert labels.is_scenario_rule("R12") and not labels.is_scenario_rule("once")
