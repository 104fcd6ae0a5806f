"""A pushed panel's context holds what it shows and nothing of its table (issue #11, part 12).

The render cache (``screens.partials.cached``) keys a fragment by its template, language and
context. With the exercise's code in every context, two tables that showed the same panel (the
console's controls and instructor notes, a role's actions) rendered it once each: a scripted
inject released on 20 tables of a worker rendered the same 27 KB of notes twenty times. Only the
partials that read the code (``frames.CODE_PANELS``) get it now.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import translation

from exercises import engine
from exercises.screens import frames, partials
from exercises.screens.audiences import snapshot_at
from tests.test_incremental_frames import _table

TEMPLATES = Path(__file__).parents[1] / "templates"
PARTIALS = "exercises/partials/"
TAG = re.compile(r"\{[{%](.*?)[}%]\}", re.S)
INCLUDE = re.compile(r'\{%\s*include\s+"([^"]+)"')


def _reads_code(template: str, seen: set[str] | None = None) -> bool:
    """Whether ``template`` or a template it includes names ``code`` inside a tag or a variable."""
    seen = seen if seen is not None else set()
    if template in seen:
        return False
    seen.add(template)
    source = (TEMPLATES / template).read_text()
    if any(re.search(r"\bcode\b", tag) for tag in TAG.findall(source)):
        return True
    return any(_reads_code(inner, seen) for inner in INCLUDE.findall(source))


def _pushed() -> set[str]:
    """Every partial a frame renders: the template names ``screens/frames.py`` puts, and the appended items."""
    source = Path(frames.__file__).read_text()
    names = set(re.findall(r'"([a-z_]+\.html)', source))
    return {n for n in names if (TEMPLATES / PARTIALS / n).exists()} | {"append.html", "feed_item.html", "message.html"}


def test_the_partials_given_the_code_are_exactly_those_that_read_it() -> None:
    """Mutation: dropping ``lobby_roles.html`` from ``CODE_PANELS`` (its "any free role" button
    posts to the exercise's URL) turns this red, and so does adding a panel that does not read it."""
    pushed = _pushed()
    assert {"controls.html", "instructor_notes.html", "actions.html", "lobby_roles.html"} <= pushed
    assert {name for name in pushed if _reads_code(PARTIALS + name)} == frames.CODE_PANELS


@pytest.fixture
def version(db):
    from scenarios.library import latest, sync_library

    sync_library()
    return latest("september-2001")


@pytest.mark.django_db
def test_two_tables_that_show_the_same_console_panels_render_them_once(version, alice, monkeypatch) -> None:
    """Mutation: giving every panel ``contexts.base`` again (the code in each context) renders
    the second table's controls, institutions and notes anew: red."""
    from exercises import selectors

    built: list[str] = []
    real = partials.render_to_string

    def spy(name: str, ctx: dict) -> str:
        built.append(name)
        return real(name, ctx)

    monkeypatch.setattr(partials, "render_to_string", spy)
    per_table = []
    with partials._rendered_lock:
        partials._rendered.clear()  # what earlier tests rendered in this process would be reused too
    for exercise, _seats in (_table(version, alice), _table(version, alice)):
        snap = snapshot_at(exercise.pk, exercise.last_seq)
        built.clear()
        with translation.override("en"):
            frames.frame_parts(snap, [selectors.log(exercise.pk)[-1]], engine.FACILITATOR_VIEW, "en", everything=True)
        per_table.append({name.removeprefix(PARTIALS) for name in built})
    first, second = per_table
    shared = {"controls.html", "institutions.html", "instructor_notes.html"}
    assert shared <= first
    assert not shared & second, second
