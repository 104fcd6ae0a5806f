"""The instructor's notes reach the facilitator's screens and no one else's (issue 13, item 1).

A shipped scenario (september-2001) carries phase and inject notes, sources and start notes.
The console shows them in an "Instructor notes" panel, the review and the after-action report
(its appendix, the PDF's too) show them, and the review explains every rule tag in one line.
The player room, the projector, the share link and the players' WebSocket frames never carry
them: each test below tries.

Mutations tried: including ``instructor_notes.html`` in ``play.html`` (the room test fails);
pushing the panel to every viewer kind in ``frames.frame`` (the frame test fails); putting
``instructor`` in the share view's context and the appendix into ``share.html`` (the share
test fails).
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from exercises import engine, instructor, selectors, services
from exercises.engine import commands as c
from exercises.screens import contexts, frames
from exercises.screens.snapshot import Snapshot
from scenarios.glossary import RULES, gloss
from scenarios.library import latest, sync_library

pytestmark = pytest.mark.django_db

PHASE_NOTE = "Let the table spend its optimism"  # prelude's instructor note (EN)
INJECT_NOTE = "Corrected dates: Chirac on 18 September"  # leaders_converge_washington (EN)
SOURCE = "presidency.ucsb.edu"  # instructor.sources [13]
START_NOTE = "the state visit has just ended"  # trust's start_note (EN)
SECRETS = (PHASE_NOTE, INJECT_NOTE, SOURCE, START_NOTE)


@pytest.fixture
def sept_table(alice):
    sync_library()
    exercise = services.create_exercise(scenario=latest("september-2001"), title="Sept table", by=alice, seed=3)
    return exercise


def _player(exercise, role: str) -> Client:
    from .conftest import _seat

    return _seat(exercise, "Vicente", role)


def _start(exercise) -> None:
    services.execute(exercise_id=exercise.pk, actor=engine.FACILITATOR, command=c.Start())


def test_it_gathers_phase_and_inject_notes_with_their_sources() -> None:
    sync_library()
    from scenarios.library import scenario_for

    sc = scenario_for(latest("september-2001"))
    notes = instructor.notes(sc, "en", phase="washington_pilgrimage", released={"leaders_converge_washington"})
    assert notes.current is not None and notes.current.id == "washington_pilgrimage"
    home = next(p for p in notes.phases if any(i.id == "leaders_converge_washington" for i in p.injects))
    inj = next(i for i in home.injects if i.id == "leaders_converge_washington")
    assert home.id == "washington_pilgrimage" and inj.released and INJECT_NOTE in inj.note
    assert any(r.id == "paper" and r.text for r in inj.refs)
    assert [t for t, _ in notes.glossary][:14] == [f"R{n}" for n in range(1, 15)]
    assert all(line for _, line in notes.glossary)
    es = instructor.notes(sc, "es")
    assert es.phases[0].note and es.phases[0].note != notes.phases[0].note


def test_it_shows_the_notes_on_the_console(alice_client, sept_table) -> None:
    page = alice_client.get(reverse("console", args=[sept_table.code])).content.decode()
    assert 'id="instructor-notes"' in page
    for secret in SECRETS:
        assert secret in page, secret


def test_it_keeps_the_notes_from_players_and_the_projector(sept_table) -> None:
    fox = _player(sept_table, "mx_president")
    _start(sept_table)
    room = fox.get(reverse("play", args=[sept_table.code])).content.decode()
    board = Client().get(reverse("projector", args=[sept_table.code])).content.decode()
    for page in (room, board):
        assert "instructor-notes" not in page
        for secret in SECRETS:
            assert secret not in page, secret


def test_it_pushes_the_panel_to_the_console_only(sept_table) -> None:
    _player(sept_table, "mx_president")
    _start(sept_table)
    services.execute(
        exercise_id=sept_table.pk,
        actor=engine.FACILITATOR,
        command=c.ReleaseInject(inject="leaders_converge_washington"),
    )
    sept_table.refresh_from_db()
    snap = Snapshot.load(sept_table)
    events = selectors.log(sept_table.pk)[-3:]
    console = frames.frame(snap, events, engine.FACILITATOR_VIEW, "en")
    assert 'id="instructor-notes"' in console and INJECT_NOTE in console
    for viewer in (engine.Viewer(role="mx_president"), engine.PUBLIC_VIEW):
        frame = frames.frame(snap, events, viewer, "en", everything=True)
        assert "instructor-notes" not in frame
        for secret in SECRETS:
            assert secret not in frame, secret
    assert contexts.instructor_notes(snap, "en")["notes"].current.id == snap.state.phase


def test_it_shows_the_notes_and_the_rule_glossary_in_the_review(alice_client, sept_table) -> None:
    _start(sept_table)
    overview = alice_client.get(reverse("review:overview", args=[sept_table.code])).content.decode()
    report = alice_client.get(reverse("review:report", args=[sept_table.code])).content.decode()
    timeline = alice_client.get(reverse("review:timeline", args=[sept_table.code])).content.decode()
    for page in (overview, report):
        for secret in (PHASE_NOTE, INJECT_NOTE, SOURCE):
            assert secret in page, secret
    assert 'id="aar-appendix"' in report
    for page in (overview, report, timeline):
        assert escape(gloss("R1", "en")) in page and escape(gloss("R14", "en")) in page
    assert len(RULES) == 15


def test_it_keeps_the_notes_off_the_share_link(alice_client, sept_table) -> None:
    _start(sept_table)
    sept_table.refresh_from_db()
    page = Client().get(reverse("review:share", args=[sept_table.share_token])).content.decode()
    assert "aar-appendix" not in page and 'id="instructor"' not in page
    for secret in SECRETS:
        assert secret not in page, secret


def test_it_writes_the_notes_in_spanish_for_a_spanish_console(alice_client, sept_table) -> None:
    alice_client.post(reverse("switch_language"), {"language": "es", "next": "/"})
    page = alice_client.get(reverse("console", args=[sept_table.code])).content.decode()
    assert "Deje que la mesa gaste su optimismo" in page
