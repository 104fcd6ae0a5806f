"""A batch's feed part is worded once for the roles that read it alike (issue #11, part 10).

``screens.frames._role_feed`` reuses the feed part of a role before it in the same batch and
language when the next role sees the same events, has acknowledged the same releases among
them, and answers alike every question ``describe`` asked (``screens.feed.AskedLabels``).

The property: for random command batches on september-2001 (every playable role seated), each
role's pushed feed part equals the one worded for that role alone (``feed.feed``, no sharing).

Mutations that turn these red (tried): ``_role_feed`` not comparing the recorded answers
(``answers_alike`` left out): the second test, where one role saw a cause the others did not;
not comparing the acknowledged releases (``seen`` left out of the match): the property test, a
receipt's role keeps the others' "acknowledge" button (the fourth test); ``AskedLabels`` not recording
``proposal_visible`` (the question passed straight through): the third test.
"""

from __future__ import annotations

import inspect

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from exercises import engine, services
from exercises.engine import commands as c
from exercises.screens import feed as feeds
from exercises.screens import frames, partials
from exercises.screens.audiences import render_parts, snapshot_at, viewer_of_key
from exercises.screens.labels import Labels
from exercises.screens.snapshot import SnapshotLabels
from tests.test_incremental_frames import WALK, _batch, _drop_released, _table

pytestmark = pytest.mark.django_db

LANGS = ("en", "es")


@pytest.fixture
def version(db):
    from scenarios.library import latest, sync_library

    sync_library()
    return latest("september-2001")


def _alone(exercise_id: int, events: list[engine.Event], key: tuple[str, str]) -> str:
    """The feed part worded for this audience alone (no sharing), from the batch's snapshot."""
    snap = snapshot_at(exercise_id, events[-1].seq)
    viewer = viewer_of_key(key[0])
    with translation.override(key[1]):
        items = feeds.feed(snap, events, viewer, key[1])
        if not items:
            return ""
        return partials.append("afterbegin", "feed", partials.FEED_ITEM, items, {"code": snap.exercise.code})


def _feed_of(parts: list[tuple[str, str]]) -> str:
    return next((html for name, html in parts if name == "feed"), "")


@settings(WALK, max_examples=10)
@given(data=st.data())
def test_each_role_s_feed_part_is_the_one_worded_for_it_alone(data, version, alice):
    exercise, seats = _table(version, alice)
    for step in range(data.draw(st.integers(min_value=1, max_value=10), label="batches")):
        events = _batch(data, exercise, seats)
        if not events:
            continue
        for role in list(seats):
            for lang in LANGS:
                key = (f"role:{role}", lang)
                pushed = _feed_of(render_parts(exercise.pk, events, key, exercise.code))
                assert pushed == _alone(exercise.pk, events, key), f"batch {step}: {key} got another role's feed"
        _drop_released(seats, events)
        if not seats:
            break


def test_a_role_that_did_not_see_a_cause_is_not_shown_it(version, alice, monkeypatch):
    """A public release with an effect: every role sees both events, and the effect's card names
    its cause only to a viewer who saw the cause. Here one role is made to have seen it."""
    exercise, seats = _table(version, alice)
    knowing = sorted(seats)[0]
    monkeypatch.setattr(SnapshotLabels, "inject_visible", lambda self, inject, viewer: viewer.role == knowing)
    before = frames.feed_stats["shared"]
    result = services.execute(
        exercise_id=exercise.pk, actor=engine.FACILITATOR, command=c.ReleaseInject(inject="us_border_high_alert")
    )
    assert {e.type for e in result.events} >= {"inject_released", "indicator_changed"}
    parts = {
        role: _feed_of(render_parts(exercise.pk, result.events, (f"role:{role}", "en"), exercise.code))
        for role in sorted(seats)
    }
    cause = "after: Highest alert at the border"
    assert cause in parts[knowing]
    for role, part in parts.items():
        assert part == _alone(exercise.pk, result.events, (f"role:{role}", "en"))
        assert (cause in part) == (role == knowing)
    assert frames.feed_stats["shared"] - before == len(seats) - 2  # the others share one wording


def test_every_question_labels_asks_about_a_viewer_is_recorded():
    """``describe`` may read a viewer only through ``Labels``' questions that take one: each must
    be recorded by ``AskedLabels``, or two roles could share a card one of them may not read."""
    questions = [
        name
        for name, member in vars(Labels).items()
        if callable(member) and "viewer" in inspect.signature(member).parameters
    ]
    assert sorted(questions) == ["inject_visible", "proposal_visible"]

    class Plain:
        def inject_visible(self, inject: str, viewer: engine.Viewer) -> bool:
            return True

        def proposal_visible(self, proposal: int, viewer: engine.Viewer) -> bool:
            return False

    reads = feeds.AskedLabels(Plain())  # type: ignore[arg-type]
    viewer = engine.Viewer(role="r")
    for name in questions:
        getattr(reads, name)("x", viewer)
    assert [q for q, _subject, _answer in reads.asked] == questions


def test_a_role_that_acknowledged_a_release_in_the_batch_is_shown_it_acknowledged(version, alice):
    """Two commands merged into one batch (the hub merges what queued up): a release to every
    role, then one role's acknowledgement of it. Only that role's card shows it acknowledged."""
    exercise, seats = _table(version, alice)
    events = list(
        services.execute(
            exercise_id=exercise.pk,
            actor=engine.FACILITATOR,
            command=c.AdhocInject(title="Merged", text="merged", recipients=["all"]),
        ).events
    )
    reader = sorted(seats)[1]
    actor = engine.Actor(kind="participant", participant=seats[reader])
    events += services.execute(exercise_id=exercise.pk, actor=actor, command=c.MarkSeen(seq=events[0].seq)).events
    parts = {
        role: _feed_of(render_parts(exercise.pk, events, (f"role:{role}", "en"), exercise.code))
        for role in sorted(seats)
    }
    for role, part in parts.items():
        assert part == _alone(exercise.pk, events, (f"role:{role}", "en")), role
    assert len(set(parts.values())) == 2  # the reader's, and everyone else's
