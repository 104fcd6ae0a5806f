"""Pushed frames: one per audience, only what that audience may see, and replays that add
exactly what a fresh page would show (no gap, no duplicate).
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from exercises import engine, presence, push, selectors, services
from exercises.engine import commands as c
from exercises.engine.events import EventType
from exercises.models import Exercise, Participant
from exercises.screens import answers, audiences, frames

pytestmark = pytest.mark.django_db

ITEM = re.compile(r'<li id="((?:ev|msg)-\d+)"')
SEQ = re.compile(r'id="ct-seq" data-seq="(\d+)"')


def _act(browser: Client, exercise, **fields) -> None:
    response = browser.post(reverse("play_command", args=[exercise.code]), fields, HTTP_HX_REQUEST="true")
    assert b"toast-error" not in response.content, response.content


def _facilitate(exercise, command) -> list[engine.Event]:
    return services.execute(exercise_id=exercise.pk, actor=engine.FACILITATOR, command=command).events


def render(exercise_id: int, events: list[engine.Event], key: tuple[str, str]) -> str:
    """``push.render_batch`` without its thread hop (its database_sync_to_async would close
    the test's connection; the consumer tests run the async path for real)."""
    return audiences.batch_frame(exercise_id, events, key)


def _items(html: str) -> list[str]:
    return ITEM.findall(html)


def _page(browser: Client, exercise) -> str:
    return browser.get(reverse("play", args=[exercise.code])).content.decode()


def test_it_replays_exactly_what_a_fresh_page_adds(bob, dave, mini_table):
    _facilitate(mini_table, c.Start())
    before = _page(bob, mini_table)
    seq = int(SEQ.search(before).group(1))
    _act(dave, mini_table, type="send_message", channel="cabinet", text="one")
    _act(dave, mini_table, type="propose_action", action="deploy_abroad", rationale="go")
    _act(bob, mini_table, type="send_message", channel="cabinet", text="two")
    _facilitate(mini_table, c.AdjustIndicator(indicator="legitimacy", delta=-4, reason="Protests"))
    viewer = engine.Viewer(role="president", participant=bob.participant.pk)
    frame, last = audiences.replay(mini_table.pk, seq, viewer, "en", False)
    after = _page(bob, mini_table)
    assert last == int(SEQ.search(after).group(1)) > seq
    assert sorted(set(_items(before)) | set(_items(frame))) == sorted(_items(after))
    assert not set(_items(before)) & set(_items(frame))  # nothing twice
    assert audiences.replay(mini_table.pk, last, viewer, "en", False) == ("", last)


def test_it_renders_one_frame_per_audience_with_only_what_it_may_see(bob, carol, mini_table):
    _facilitate(mini_table, c.Start())
    events = services.execute(
        exercise_id=mini_table.pk,
        actor=engine.Actor(kind="participant", participant=bob.participant.pk),
        command=c.SendMessage(channel="cabinet", text="for Mexico only"),
    ).events
    mexico = render(mini_table.pk, events, ("role:president", "en"))
    us = render(mini_table.pk, events, ("role:us_command", "en"))
    public = render(mini_table.pk, events, ("public", "en"))
    console = render(mini_table.pk, events, ("facilitator", "en"))
    assert "for Mexico only" in mexico and 'hx-swap-oob="beforeend:#msgs-cabinet"' in mexico
    assert "for Mexico only" in console
    assert "for Mexico only" not in us and "for Mexico only" not in public
    for frame in (mexico, us, public, console):
        assert SEQ.search(frame).group(1) == str(events[-1].seq)  # every frame moves the client's marker


def test_it_pushes_the_panels_a_batch_changes(dave, mini_table):
    _facilitate(mini_table, c.Start())
    events = services.execute(
        exercise_id=mini_table.pk,
        actor=engine.Actor(kind="participant", participant=dave.participant.pk),
        command=c.ProposeAction(action="deploy_abroad", rationale="now"),
    ).events
    frame = render(mini_table.pk, events, ("role:defence", "en"))
    for panel in ("indicators", "actions", "approvals", "decisions", "clock"):
        assert f'id="{panel}"' in frame
    assert 'hx-swap-oob="afterbegin:#feed"' in frame
    assert "Decide anyway" in frame


def test_it_renders_a_rejection_only_to_the_one_refused(bob, mini_table):
    events = services.execute(
        exercise_id=mini_table.pk,
        actor=engine.Actor(kind="participant", participant=bob.participant.pk),
        command=c.ProposeAction(action="travel"),
    ).events
    assert events[-1].type == "command_rejected"
    assert "clock" in answers.rejection_text(events[-1], "en")
    toast = answers.rejection_toast(events[-1], "es")
    assert "El ejercicio no ha comenzado: será posible cuando el facilitador lo inicie." in toast


def test_it_rerenders_a_players_whole_screen_when_their_role_changes(erin, mini_table):
    viewer = engine.Viewer(participant=erin.participant.pk)
    lobby, seq = audiences.replay(mini_table.pk, 0, viewer, "en", True)
    assert 'id="ct-main"' in lobby and 'id="lobby-roles"' in lobby
    services.execute(
        exercise_id=mini_table.pk,
        actor=engine.FACILITATOR,
        command=c.AssignRole(participant=erin.participant.pk, role="foreign"),
    )
    room, later = audiences.replay(
        mini_table.pk, seq, engine.Viewer(role="foreign", participant=erin.participant.pk), "en", True
    )
    assert later > seq
    assert 'id="ct-main" class="play-main mode-room"' in room
    assert "Be seen." in room  # the foreign minister's private brief


def test_it_counts_sockets_for_presence(bob, mini_table):
    presence.connections_changed({(mini_table.pk, bob.participant.pk): +1})
    presence.connections_changed({(mini_table.pk, bob.participant.pk): +1})
    presence.connections_changed({(mini_table.pk, bob.participant.pk): -1})
    participant = Participant.objects.get(pk=bob.participant.pk)
    assert participant.connections == 1 and participant.last_seen_at is not None
    assert "presence-connected" in answers.presence_frame(mini_table.pk, "en")
    for _ in range(3):
        presence.connections_changed({(mini_table.pk, bob.participant.pk): -1})
    assert Participant.objects.get(pk=bob.participant.pk).connections == 0  # never negative
    assert f'id="presence-{bob.participant.pk}" class="presence presence-away"' in answers.presence_frame(
        mini_table.pk, "en"
    )


def test_the_presence_frame_leaves_out_who_the_console_has_not_been_told_of(bob, mini_table):
    """A badge for a participant whose join is after the console's last seq has no row to land
    in (htmx ``oobErrorNoTarget``, seen once in CI when the presence beat overtook the join's
    batch). Mutation: ignoring ``seen_upto`` in ``presence_frame`` turns this red."""
    joined = next(
        e.seq
        for e in selectors.log(mini_table.pk)
        if e.type == EventType.PARTICIPANT_JOINED and e.payload["participant"] == bob.participant.pk
    )
    badge = f'id="presence-{bob.participant.pk}"'
    assert badge in answers.presence_frame(mini_table.pk, "en", joined)
    assert badge not in answers.presence_frame(mini_table.pk, "en", joined - 1)


def test_it_picks_the_socket_language_as_a_page_would():
    assert push.language_of({"cookies": {"django_language": "es"}, "session": {}}) == "es"
    assert push.language_of({"cookies": {}, "session": {"_language": "es"}}) == "es"
    assert push.language_of({"headers": [(b"accept-language", b"es-MX,es;q=0.9,en;q=0.5")]}) == "es"
    assert push.language_of({"headers": [(b"accept-language", b"de-DE")]}) == "en"
    assert push.language_of({"cookies": {"django_language": "xx"}}) == "en"


def test_it_renders_frames_in_the_socket_language(bob, mini_table):
    events = _facilitate(mini_table, c.Start())
    frame = render(mini_table.pk, events, ("role:president", "es"))
    assert "Una mañana tranquila" in frame  # scenario text
    assert "En curso" in frame  # the UI's own words


def test_it_keeps_the_projector_to_public_events(mini_table):
    """The projector's frame carries the public inject of a batch and not the private one.

    Mutations (tried): ``frames.frame`` returning "" for the public audience → red (the public inject
    and the seq marker are missing; the old test, which only checked an absence, stayed green);
    the public viewer seeing every event (``FACILITATOR_VIEW`` for "public") → red.
    """
    _facilitate(mini_table, c.Start())
    events = [
        *_facilitate(mini_table, c.AdhocInject(title="Quiet word", text="for defence", recipients=["defence"])),
        *_facilitate(
            mini_table, c.AdhocInject(title="Loud word", text="for everyone", recipients=["all"], public=True)
        ),
    ]
    frame = render(mini_table.pk, events, ("public", "en"))
    assert "Loud word" in frame  # not an empty frame: the public inject is on the projector
    assert "Quiet word" not in frame
    assert SEQ.search(frame).group(1) == str(events[-1].seq)
    assert "Quiet word" in render(mini_table.pk, events, ("role:defence", "en"))  # control: it is in the batch


def test_it_renders_a_quiet_batch_once_for_every_role_that_sees_it_alike(bob, dave, carol, mini_table, monkeypatch):
    _facilitate(mini_table, c.Start())
    sender = engine.Actor(kind="participant", participant=bob.participant.pk)
    events = services.execute(
        exercise_id=mini_table.pk, actor=sender, command=c.SendMessage(channel="press", text="Solidarity")
    ).events
    renders = []
    real = frames.frame_parts

    def counted_frame_parts(*a, **k):
        renders.append(a[2])
        return real(*a, **k)

    monkeypatch.setattr(frames, "frame_parts", counted_frame_parts)
    by_role = {
        role: render(mini_table.pk, events, (f"role:{role}", "en")) for role in ("president", "defence", "us_command")
    }
    assert by_role["defence"] == by_role["us_command"] != by_role["president"]  # the sender's is marked as theirs
    assert [v.role for v in renders] == ["president", "defence"]  # us_command reused defence's frame
    dave_page_frame = render(mini_table.pk, events, ("role:defence", "es"))
    assert "Solidarity" in dave_page_frame and len(renders) == 3  # another language is another frame


def test_sockets_resuming_from_the_same_event_share_one_log_read(bob, dave, mini_table, monkeypatch):
    """A reconnect storm: every socket of a table resumes from the same event; the log between
    it and the newest is read once for all of them (``audiences._log_slice``), and each still
    gets its own viewer's frame. Mutation: reading ``selectors.log`` per socket turns this red."""
    _facilitate(mini_table, c.Start())
    after = selectors.state_of(Exercise.objects.get(pk=mini_table.pk)).seq
    _act(dave, mini_table, type="send_message", channel="cabinet", text="one")
    _facilitate(mini_table, c.AdjustIndicator(indicator="legitimacy", delta=-4, reason="Protests"))
    reads = []
    original = selectors.log

    def counted(*args, **kwargs):
        reads.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(selectors, "log", counted)
    president = engine.Viewer(role="president", participant=bob.participant.pk)
    frame_a, last_a = audiences.replay(mini_table.pk, after, president, "en", False)
    frame_b, last_b = audiences.replay(mini_table.pk, after, engine.FACILITATOR_VIEW, "en", False)
    assert len(reads) == 1
    assert last_a == last_b > after and frame_a != frame_b


def test_catch_ups_share_the_newest_seq_only_with_sockets_that_asked_before_the_read(
    mini_table, django_assert_num_queries
):
    """A reconnect storm: the sockets of a table that ask for their catch-up before one read of the
    newest seq started share it (``audiences.head``); a socket that asks after a commit gets a read
    that sees it. Mutations (tried): serving any kept read (the later socket ends before the new
    event and waits for a batch that already went); never sharing (one read per socket)."""
    import time

    _facilitate(mini_table, c.Start())
    asked = time.monotonic()
    with django_assert_num_queries(1):
        first = audiences.head(mini_table.pk, asked)
        assert audiences.head(mini_table.pk, asked) == first  # asked before the read: shared
    _facilitate(mini_table, c.AdjustIndicator(indicator="legitimacy", delta=-4, reason="Protests"))
    later = audiences.head(mini_table.pk, time.monotonic())
    assert later[0] > first[0]


def test_a_catch_up_long_after_its_batch_shows_the_clock_as_of_now(mini_table):
    """The browser sets its clock's skew from the bar's server time (static/js/app.js ``tick``).
    A catch-up reads the table's snapshot cached with its batch, whose time may be minutes old
    on a quiet table; its clock bar must carry the time of the catch-up, or the browser's clock
    runs that many minutes behind. Mutation (tried): rendering with the cached snapshot's time."""
    import time

    _facilitate(mini_table, c.Start())
    events = _facilitate(mini_table, c.AdjustIndicator(indicator="legitimacy", delta=-4, reason="Protests"))
    audiences.batch_frame(mini_table.pk, events, ("facilitator", "en"), mini_table.code)
    audiences.snapshot_at(mini_table.pk, events[-1].seq, mini_table.code).now = (
        time.time() - 600
    )  # the batch, ten minutes ago
    frame, _ = audiences.replay(mini_table.pk, events[0].seq - 1, engine.FACILITATOR_VIEW, "en", False)
    server_now = float(re.search(r'data-server-now="([^"]+)"', frame).group(1))
    assert abs(server_now - time.time()) < 60


def test_a_console_s_catch_up_shows_presence_as_of_now(bob, mini_table):
    """The console's catch-up carries the presence badges read now (a player came back while the
    console was away, and no event says so); when the events since redraw its roster, that roster
    reads presence now too, not from the table's snapshot cached with the batch. Mutations
    (tried): no badges in the catch-up; the catch-up keeping the batch's participants and
    presence (the redrawn roster shows bob away)."""
    _facilitate(mini_table, c.Start())
    before = Exercise.objects.get(pk=mini_table.pk).last_seq
    services.join(exercise=mini_table, name="Late")  # a roster batch: it reads who is connected
    events = selectors.log(mini_table.pk, after=before)
    audiences.batch_frame(mini_table.pk, events, ("facilitator", "en"), mini_table.code)
    batch = audiences.snapshot_at(mini_table.pk, events[-1].seq, mini_table.code)
    assert batch.participants and batch.seen is not None  # read, as the roster batch did
    badge = f'id="presence-{bob.participant.pk}" class="presence presence-connected"'
    console = engine.FACILITATOR_VIEW
    assert badge not in audiences.replay(mini_table.pk, before, console, "en", False)[0]
    presence.connections_changed({(mini_table.pk, bob.participant.pk): +1})
    parts = dict(audiences.replay_parts(mini_table.pk, before, console, "en", False)[0])
    assert badge in parts["roster.html"]
    joined = events[-1].seq
    _facilitate(mini_table, c.AdjustIndicator(indicator="legitimacy", delta=-4, reason="Protests"))
    quiet = dict(audiences.replay_parts(mini_table.pk, joined, console, "en", False)[0])
    assert "roster.html" not in quiet
    assert badge in quiet["presence"]


def test_a_table_s_newest_snapshot_is_reused_after_other_tables_pushed_it_out(mini_table, django_assert_num_queries):
    """A worker keeps the last 16 batch snapshots and each table's newest; a storm's catch-ups at
    20 tables a worker found their table's evicted from the first and loaded it again. Mutation
    (tried): no fall-back to the newest (a load: the row, the proposals, the releases)."""
    _facilitate(mini_table, c.Start())
    events = _facilitate(mini_table, c.AdjustIndicator(indicator="legitimacy", delta=-4, reason="Protests"))
    audiences.batch_frame(mini_table.pk, events, ("facilitator", "en"), mini_table.code)
    batch = audiences.snapshot_at(mini_table.pk, events[-1].seq, mini_table.code)
    audiences._snapshots.clear()  # other tables' batches since
    with django_assert_num_queries(0):
        assert audiences.snapshot_at(mini_table.pk, events[-1].seq, mini_table.code) is batch


def test_a_pool_thread_health_checks_only_a_connection_idle_for_a_while(transactional_db, monkeypatch) -> None:
    """Django's health check (a ``SELECT 1`` round trip) runs before the first query after every
    sweep; the pools' sweep skips it for a connection that finished a call a moment ago, and keeps
    it for one idle longer than ``PROVEN_FOR`` (issue #11, part 6).

    Mutation: ``_sweep`` never skipping (no ``health_check_done = True``): the second query is
    checked too, red; always skipping: the idle one is not, red."""
    from django.db import connections

    from exercises import push

    conn = connections["default"]
    conn.ensure_connection()
    checks: list[int] = []
    monkeypatch.setattr(conn, "health_check_enabled", True)
    monkeypatch.setattr(conn, "close_at", None)

    def usable() -> bool:
        checks.append(1)
        return True

    monkeypatch.setattr(conn, "is_usable", usable)
    monkeypatch.setattr(conn, push._PROVEN, -1e9, raising=False)

    def query() -> None:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1")

    push._sweep(after=False)  # never proven: checked
    query()
    assert checks == [1]
    push._sweep(after=True)
    push._sweep(after=False)  # proven a moment ago: not checked
    query()
    assert checks == [1]
    push._sweep(after=True)
    clock = push.time.monotonic
    monkeypatch.setattr(push.time, "monotonic", lambda: clock() + push.PROVEN_FOR + 1)
    push._sweep(after=False)  # idle longer than PROVEN_FOR: checked again
    query()
    assert checks == [1, 1]


def test_a_connected_badge_renders_once_an_away_one_every_time(transactional_db) -> None:
    """The console's presence beat: a "connected" badge does not depend on the clock, so it is
    rendered once per participant and reused; an "away" badge says how long ago, every time.

    Mutation: ``partials._wall_clock`` True for every presence badge: the reuse count stays, red;
    False for all: the away badge is reused with a stale "seen … ago", red."""
    import datetime

    from django.utils import translation

    from exercises.screens import partials

    now = datetime.datetime.now(datetime.UTC)
    connected = {"pid": "p-1", "presence": "connected", "seen": None}
    away = {"pid": "p-2", "presence": "away", "seen": now - datetime.timedelta(minutes=3)}
    # In English whatever language an earlier test's request left active on this thread.
    with translation.override("en"):
        partials.render("presence.html", connected, oob=True)
        reused, rendered = partials.stats["reused"], partials.stats["rendered"]
        assert "connected" in partials.render("presence.html", connected, oob=True)
        assert partials.stats["reused"] == reused + 1
        assert "3\xa0minutes" in partials.render("presence.html", away, oob=True)
        assert "3\xa0minutes" in partials.render("presence.html", away, oob=True)
        assert partials.stats["rendered"] == rendered + 2
