"""Incremental frames never leave a panel stale (issue #11).

A pushed frame leaves out the panels a batch cannot change (by its event types) and the panels
whose content the audience's screens already show (``screens.audiences._Sent``). The property: for random
command batches on a real scenario (september-2001, every playable role seated, started), a
screen that applies each batch's incremental frame shows, panel for panel, exactly what a full
re-render of every panel at that batch shows.

Each pushed batch's snapshot is the one before advanced by the batch (``Snapshot.advanced``); the
full re-render reads it from the database.

Mutation that turns it red (tried): dropping ``indicator_changed`` from
``screens.frames.INDICATOR_CHANGES`` (an adjusted indicator stays old on the players' screens; found in the
first examples); dropping the ``inject_seen`` branch of ``screens.panels.inject_rows_changed`` (the
console's row keeps its old receipt count; pushed rows are applied as static/js/app.js does). The
actions gate (``screens.frames.ACTION_CHANGES``) is a union: a proposal's batch carries two of its
types, so dropping one is masked here; the third test pins one type alone. The contiguity check (a batch not rendered for an audience) needs an A → B → A
sequence the random walk rarely draws; the second test pins it.

A socket that comes back from a screen it showed (a Wi-Fi blip, a gap) is caught up with the
events since as one batch (``screens.audiences.replay_parts``): after each batch, a random
audience comes back from a random earlier screen, and its screen then must equal a full
re-render too. When the audience's frames on this worker end at that seq (it had no socket
for the batches since), the panels they showed are known and left out if unchanged; otherwise
nothing is known. Mutation (tried): ``known_at`` answering with the audience's newest panels
whatever seq the socket came back from (a stale panel).
"""

from __future__ import annotations

import contextlib
import itertools
import re
from typing import Any

import pytest
from django.test import TestCase
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exercises import engine, selectors, services
from exercises.engine import commands as c
from exercises.models import Exercise
from exercises.screens import frames
from exercises.screens.audiences import render_parts, replay_parts, snapshot_at
from exercises.screens.snapshot import Snapshot

pytestmark = pytest.mark.django_db

LANGS = ("en", "es")
NOT_PANELS = ("seq", "feed", "msgs-", frames.INJECT_ROWS, frames.NOTE_ROWS)
ROW = re.compile(r'[ ]*<tr id="([^"]+)".*?</tr>\n?', re.S)
HASH = re.compile(r'data-hash="[^"]*"')


def _apply_rows(section: str, part: str) -> str:
    """What static/js/app.js does with the console's pushed inject rows: each replaces the row with
    its id, or is appended to the list; the panel's hash no longer holds (compared without it)."""
    assert part.startswith('<template hx-swap-oob="beforeend:#inject-rows">'), part[:80]
    for pushed in ROW.finditer(part):
        shown = re.search(rf'[ ]*<tr id="{re.escape(pushed.group(1))}".*?</tr>\n?', section, re.S)
        if shown:
            section = section[: shown.start()] + pushed.group(0) + section[shown.end() :]
        else:
            end = section.index("\n    </tbody>")
            section = section[:end] + pushed.group(0) + section[end:]
    return HASH.sub('data-hash=""', section)


# An instructor note's row: the ``<li>`` of instructor_inject.html, whose own closing tag starts a
# line (its source refs are ``<li>``s too, closed inline).
NOTE_ROW = re.compile(r'<li id="(instr-inject-[^"]+)".*?\n</li>', re.S)


def _apply_note_rows(section: str, part: str) -> str:
    """What static/js/app.js does with the notes' pushed rows: each replaces the row with its id
    (every scripted inject has one in the panel); the panel's hash no longer holds."""
    assert part.startswith('<template hx-swap-oob="beforeend:#instructor-notes">'), part[:80]
    pushed = list(NOTE_ROW.finditer(part))
    assert pushed, part[:200]
    for row in pushed:
        shown = re.search(rf'<li id="{re.escape(row.group(1))}".*?\n</li>', section, re.S)
        assert shown, f"{row.group(1)} is not on the screen"
        section = section[: shown.start()] + row.group(0) + section[shown.end() :]
    return HASH.sub('data-hash=""', section)


# What the clock bar's browser side computes itself (static/js/app.js ``tick``) or uses only to
# correct its skew: the in-game time shown and the server's time. A clock pushed only when its
# anchors move (``frames._clock``) shows older values of these, and the browser the same time.
CLOCK_MOVING = re.compile(
    r'(data-game|data-server-now)="[^"]*"|(<time class="js-game-time">)[^<]*(</time>)|(class="js-game-offset offset">)[^<]*'
)


def _same(name: str, html: str) -> str:
    if name == "clock.html":
        return CLOCK_MOVING.sub(lambda m: m.group(1) or "".join(g or "" for g in m.groups()[1:]), html)
    return HASH.sub('data-hash=""', html) if name in ("injects.html", "instructor_notes.html") else html


def _apply(screen: dict[str, str], parts: list[tuple[str, str]]) -> None:
    """A frame's parts applied to a screen (panel name -> html), as htmx and app.js do."""
    for name, html in parts:
        if name == frames.INJECT_ROWS:
            screen["injects.html"] = _apply_rows(screen["injects.html"], html)
        elif name == frames.NOTE_ROWS:
            screen["instructor_notes.html"] = _apply_note_rows(screen["instructor_notes.html"], html)
        elif not name.startswith(NOT_PANELS):
            screen[name] = html


_tables = itertools.count()


@pytest.fixture
def version(db):
    from scenarios.library import latest, sync_library

    sync_library()
    return latest("september-2001")


def _table(version, alice) -> tuple[Exercise, dict[str, str]]:
    """A started september-2001 table, every playable role held: (exercise, role -> participant)."""
    from scenarios.library import scenario_for

    scenario = scenario_for(version)
    exercise = services.create_exercise(scenario=version, title=f"Prop {next(_tables)}", by=alice, seed=3)
    seats = {}
    for role in [r.id for r in scenario.roles if not r.institution]:
        participant, _ = services.join(exercise=exercise, name=f"P {role}"[:40])
        actor = engine.Actor(kind="participant", participant=participant.pk)
        services.execute(exercise_id=exercise.pk, actor=actor, command=c.ClaimRole(role=role))
        seats[role] = participant.pk
    services.execute(exercise_id=exercise.pk, actor=engine.FACILITATOR, command=c.Start())
    return exercise, seats


def _adhoc(exercise: Exercise, title: str) -> services.Result:
    """The facilitator's ad-hoc inject to every role: a batch that changes no panel it need not."""
    return services.execute(
        exercise_id=exercise.pk,
        actor=engine.FACILITATOR,
        command=c.AdhocInject(title=title, text=title.lower(), recipients=["all"]),
    )


def _audiences(seats: dict[str, str]) -> list[tuple[engine.Viewer, tuple[str, str]]]:
    viewers = [engine.Viewer(role=role, participant=pid) for role, pid in seats.items()]
    viewers += [engine.FACILITATOR_VIEW, engine.Viewer()]
    return [(v, (v.audience_key, lang)) for v in viewers for lang in LANGS]


def _full(exercise_id: int, seq: int, events: list[engine.Event], viewer: engine.Viewer, lang: str) -> dict[str, str]:
    """Every panel of the viewer's screen re-rendered at ``seq`` (the same snapshot as the push)."""
    from django.utils import translation

    # Read from the database, not the snapshot the push advanced batch by batch
    # (``Snapshot.advanced``): a wrong fold there shows as a stale panel. The same clock.
    snap = Snapshot.load(Exercise.objects.light().get(pk=exercise_id), upto=seq)
    snap.now = snapshot_at(exercise_id, seq).now
    with translation.override(lang):
        parts, _ = frames.frame_parts(snap, events, viewer, lang, everything=True)
    return {name: html for name, html in parts if not name.startswith(NOT_PANELS)}


def _command(data: st.DataObject, exercise: Exercise, seats: dict[str, str]) -> tuple[engine.Actor, c.Cmd]:  # noqa: C901 - one branch per command kind
    """One command of the real mix (or a facilitator's), drawn against the table's current state."""

    exercise.refresh_from_db()
    state = selectors.state_of(exercise)
    scenario = selectors.scenario_of(exercise)
    role = data.draw(st.sampled_from(sorted(seats)))
    me = engine.Actor(kind="participant", participant=seats[role])
    kind = data.draw(
        st.sampled_from(
            [
                "message",
                "propose",
                "respond",
                "withdraw",
                "decide",
                "adhoc",
                "release",
                "indicator",
                "channel",
                "advance",
                "pause",
                "seen",
                "release_role",
            ]
        )
    )
    pending = state.pending_proposals()
    if kind == "propose":
        views = [v for v in engine.action_views(scenario, state, role) if v.available]
        if views:
            action = data.draw(st.sampled_from(views)).action
            option = action.options[0].id if action.options else None
            return me, c.ProposeAction(action=action.id, option=option, rationale="why")
    if kind == "respond":
        waiting = [(p, a.approver) for p in pending for a in p.approvals if a.status == "pending"]
        if waiting:
            proposal, approver = data.draw(st.sampled_from(waiting))
            grant = data.draw(st.booleans())
            if approver in seats:
                actor = engine.Actor(kind="participant", participant=seats[approver])
                return actor, c.RespondApproval(proposal=proposal.id, grant=grant, reason="ok")
            return engine.FACILITATOR, c.ResolveApproval(proposal=proposal.id, approver=approver, grant=grant)
    if kind in ("withdraw", "decide") and pending:
        proposal = data.draw(st.sampled_from(pending))
        actor = engine.Actor(kind="participant", participant=seats.get(proposal.role, seats[role]))
        return actor, (c.Withdraw if kind == "withdraw" else c.Decide)(proposal=proposal.id)
    if kind == "adhoc":
        recipients = data.draw(st.sampled_from([["all"], [role]]))
        return engine.FACILITATOR, c.AdhocInject(title="News", text="Text", recipients=recipients, public=True)
    if kind == "release":
        unreleased = [i.id for i in scenario.injects if i.id not in state.released]
        if unreleased:
            return engine.FACILITATOR, c.ReleaseInject(inject=data.draw(st.sampled_from(unreleased)))
    if kind == "indicator":
        indicator = data.draw(st.sampled_from([i.id for i in scenario.indicators]))
        return engine.FACILITATOR, c.AdjustIndicator(
            indicator=indicator, delta=data.draw(st.sampled_from([-7, 5])), reason="why"
        )
    if kind == "channel":
        channel = data.draw(st.sampled_from([ch.id for ch in scenario.channels]))
        return engine.FACILITATOR, c.SetChannel(channel=channel, open=data.draw(st.booleans()))
    if kind == "advance":
        return engine.FACILITATOR, c.AdvancePhase()
    if kind == "pause":
        return engine.FACILITATOR, c.Pause() if state.status == "running" else c.Resume()
    if kind == "seen":
        released = [e.seq for e in selectors.events_of_type(exercise.pk, ["inject_released"])]
        if released:
            return me, c.MarkSeen(seq=data.draw(st.sampled_from(released)))
    if kind == "release_role":
        return me, c.ReleaseRole()
    channels = [ch.id for ch in scenario.channels if role in scenario.roles_of(ch.members)]
    return me, c.SendMessage(channel=data.draw(st.sampled_from(channels)), text="hello")


def _batch(data: st.DataObject, exercise: Exercise, seats: dict[str, str]) -> list[engine.Event]:
    """A batch as the hub merges it: one command of the mix, or several that queued up meanwhile
    (those the engine refuses add nothing)."""
    events: list[engine.Event] = []
    for _ in range(data.draw(st.integers(min_value=1, max_value=3), label="commands in the batch")):
        actor, command = _command(data, exercise, seats)
        # The commits' callbacks run, as in a worker: the command's state is offered to the
        # batch's snapshot (exercises.states), which then is that state, not a fold.
        with (
            TestCase.captureOnCommitCallbacks(execute=True),
            contextlib.suppress(engine.InvalidCommand, engine.Forbidden),
        ):
            events += services.execute(exercise_id=exercise.pk, actor=actor, command=command).events
    return events


def _drop_released(seats: dict[str, str], events: list[engine.Event]) -> None:
    """Forget the seats whose players released their role in ``events``."""
    for role, pid in list(seats.items()):
        if any(e.type == "role_released" and e.payload.get("participant") == pid for e in events):
            del seats[role]


# The random walks' settings: a table per example, built by the test (a fixture per function).
WALK = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


@settings(WALK, max_examples=12)
@given(data=st.data())
def test_incremental_frames_equal_a_full_rerender(data, version, alice):
    exercise, seats = _table(version, alice)
    audiences = _audiences(seats)
    # The screens as a page load shows them, then each batch's incremental frame applied by id.
    seq = Exercise.objects.get(pk=exercise.pk).last_seq
    screens = {key: _full(exercise.pk, seq, [], viewer, key[1]) for viewer, key in audiences}
    shown_at: dict[tuple[str, str], dict[int, dict[str, str]]] = {key: {} for _viewer, key in audiences}
    steps = data.draw(st.integers(min_value=1, max_value=10), label="batches")
    for step in range(steps):
        events = _batch(data, exercise, seats)
        if not events:
            continue
        types = sorted({e.type for e in events})
        away = set(data.draw(st.lists(st.sampled_from([k for _v, k in audiences]), max_size=2), label="no socket"))
        for viewer, key in audiences:
            if any(e.type == "role_released" and e.payload.get("participant") == viewer.participant for e in events):
                continue  # that socket re-renders its whole screen (consumers._role_changed)
            if key in away:  # no socket of this audience on the worker: nothing rendered for it;
                # its next socket resumes, and the resume re-renders every panel (screens.audiences.replay)
                screens[key] = _full(exercise.pk, events[-1].seq, events, viewer, key[1])
                shown_at[key][events[-1].seq] = dict(screens[key])  # no frame ended here: nothing known
                continue
            parts = render_parts(exercise.pk, events, key, exercise.code)
            assert parts[0][0] == "seq"
            _apply(screens[key], parts)
            full = _full(exercise.pk, events[-1].seq, events, viewer, key[1])
            for name, html in full.items():
                shown = _same(name, screens[key].get(name, ""))
                assert shown == _same(name, html), f"batch {step} {types}: {key} shows a stale {name}"
            shown_at[key][events[-1].seq] = dict(screens[key])
        # A socket that showed an earlier frame comes back (a Wi-Fi blip): its catch-up, applied
        # to the screen it showed then, shows what a full re-render shows now.
        for viewer, key in data.draw(st.lists(st.sampled_from(audiences), max_size=2, unique=True), label="back"):
            if not shown_at[key]:
                continue
            after = data.draw(st.sampled_from(sorted(shown_at[key])), label="back from")
            parts, end = replay_parts(exercise.pk, after, viewer, key[1], False)
            screen = dict(shown_at[key][after])
            _apply(screen, parts)
            full = _full(exercise.pk, end, selectors.log(exercise.pk, after=after, upto=end), viewer, key[1])
            for name, html in full.items():
                shown = _same(name, screen.get(name, ""))
                assert shown == _same(name, html), f"back from {after} to {end}: {key} shows a stale {name}"
        # a role released: its player's sockets now watch as a role-less participant
        _drop_released(seats, events)
        audiences = [(v, k) for v, k in audiences if not v.role or v.role in seats]
        if not seats:
            break


def test_an_audience_that_missed_a_batch_gets_every_panel_again(version, alice):
    """A → B → A: the console had no socket here while the exercise was paused (its next socket
    resumed from the log, paused controls); on resume the controls are what the worker last
    rendered for it, and must still be sent. Mutation: drop the contiguity check in
    ``screens.audiences.render_parts``: the console keeps the paused controls."""
    exercise, _seats = _table(version, alice)
    key = ("facilitator", "en")
    run = services.execute
    first = _adhoc(exercise, "A")
    assert "controls.html" in dict(render_parts(exercise.pk, first.events, key))
    run(exercise_id=exercise.pk, actor=engine.FACILITATOR, command=c.Pause())  # not rendered here: no socket
    resumed = run(exercise_id=exercise.pk, actor=engine.FACILITATOR, command=c.Resume())
    assert "controls.html" in dict(render_parts(exercise.pk, resumed.events, key))
    again = _adhoc(exercise, "B")
    assert "controls.html" not in dict(render_parts(exercise.pk, again.events, key))  # unchanged: left out


def _actions_built(monkeypatch) -> list[str]:
    """The roles whose actions panel is built from here on (``contexts.actions`` counted)."""
    from exercises.screens import contexts

    built: list[str] = []
    original = contexts.actions

    def counted(snap: Any, r: str, lang: str, **kw: Any) -> dict[str, Any]:
        built.append(r)
        return original(snap, r, lang, **kw)

    monkeypatch.setattr(contexts, "actions", counted)
    return built


def test_a_role_s_actions_are_rebuilt_only_when_the_batch_can_change_them(version, alice, monkeypatch):
    """The actions gate (``screens.frames.ACTION_CHANGES``): an ad-hoc inject leaves a role's actions
    unbuilt; withdrawing a once-only proposal (a batch of one ``action_withdrawn``) makes the action
    available again, and the frame carries it. Mutation that turns it red (tried): dropping
    ``ACTION_WITHDRAWN`` from ``ACTION_CHANGES`` (the action stays "blocked" on the proposer's screen)."""

    exercise, seats = _table(version, alice)
    scenario = selectors.scenario_of(exercise)
    found: list[tuple[str, Any]] = []
    while not found:  # the first phase with a once-only action that needs an approval
        services.execute(exercise_id=exercise.pk, actor=engine.FACILITATOR, command=c.AdvancePhase())
        exercise.refresh_from_db()
        state = selectors.state_of(exercise)
        found = [
            (role, view.action)
            for role in sorted(seats)
            for view in engine.action_views(scenario, state, role)
            if view.available and view.action.once and view.action.approvals
        ]
    role, action = found[0]
    viewer = engine.Viewer(role=role, participant=seats[role])
    key = (viewer.audience_key, "en")
    me = engine.Actor(kind="participant", participant=seats[role])
    option = action.options[0].id if action.options else None
    proposed = services.execute(
        exercise_id=exercise.pk, actor=me, command=c.ProposeAction(action=action.id, option=option, rationale="why")
    )
    assert "actions.html" in dict(render_parts(exercise.pk, proposed.events, key))  # first batch here: every panel
    built = _actions_built(monkeypatch)
    news = _adhoc(exercise, "A")
    assert "actions.html" not in dict(render_parts(exercise.pk, news.events, key))
    assert built == []  # not even built to compare
    exercise.refresh_from_db()
    proposal = next(p for p in selectors.state_of(exercise).pending_proposals() if p.action == action.id)
    withdrawn = services.execute(exercise_id=exercise.pk, actor=me, command=c.Withdraw(proposal=proposal.id))
    assert {e.type for e in withdrawn.events} == {"action_withdrawn"}
    pushed = dict(render_parts(exercise.pk, withdrawn.events, key))
    full = _full(exercise.pk, withdrawn.events[-1].seq, withdrawn.events, viewer, "en")
    assert pushed.get("actions.html") == full["actions.html"]


def test_a_scripted_release_rebuilds_actions_only_when_a_requirement_names_it(version, alice, monkeypatch):
    """The actions gate for releases (``Scenario.requirement_injects``, ``screens.frames._moves_actions``): a scripted inject that no
    action requires leaves every role's actions unbuilt; the release of one an action requires
    (the calls for the foreign minister's dismissal, which the Mexican president's answer to them
    needs) makes that action available, and the president's frame carries it as a full re-render
    shows it. Mutations that turn it red (tried): a release never moving the actions
    (``_moves_actions`` answering False for it: the random walk above did not notice that one);
    every scripted release moving them (the gate as it was: built for nothing)."""
    exercise, seats = _table(version, alice)
    scenario = selectors.scenario_of(exercise)
    role, action, needed = "mx_president", "mx_president_answer_dismissal_calls", "calls_to_dismiss_castaneda"
    assert needed in scenario.requirement_injects
    while selectors.state_of(exercise).phase not in scenario.action(action).phases:
        services.execute(exercise_id=exercise.pk, actor=engine.FACILITATOR, command=c.AdvancePhase())
        exercise.refresh_from_db()
    viewer = engine.Viewer(role=role, participant=seats[role])
    key = (viewer.audience_key, "en")
    first = _adhoc(exercise, "A")
    assert "actions.html" in dict(render_parts(exercise.pk, first.events, key))  # first batch here: every panel
    built = _actions_built(monkeypatch)
    run = services.execute
    other = run(
        exercise_id=exercise.pk, actor=engine.FACILITATOR, command=c.ReleaseInject(inject="us_consults_partners")
    )
    assert {e.type for e in other.events} <= {"inject_released", "indicator_changed"}, other.events
    assert "actions.html" not in dict(render_parts(exercise.pk, other.events, key))
    assert built == []  # not even built to compare
    exercise.refresh_from_db()
    state = selectors.state_of(exercise)
    assert not next(v for v in engine.action_views(scenario, state, role) if v.action.id == action).available
    released = run(exercise_id=exercise.pk, actor=engine.FACILITATOR, command=c.ReleaseInject(inject=needed))
    pushed = dict(render_parts(exercise.pk, released.events, key))
    full = _full(exercise.pk, released.events[-1].seq, released.events, viewer, "en")
    assert built, "the actions were not rebuilt for the inject their requirement names"
    assert pushed.get("actions.html") == full["actions.html"]
    exercise.refresh_from_db()
    assert next(
        v for v in engine.action_views(scenario, selectors.state_of(exercise), role) if v.action.id == action
    ).available


def test_an_advanced_snapshot_equals_one_read_from_the_database(version, alice):
    """A pushed batch's snapshot is the previous one folded on by the batch, not read again
    (``screens.audiences.snapshot_at``). After every batch of a played table it must equal a fresh
    load: the state, the proposals and the releases. Mutations that turn it red (tried): not
    extending the proposals in ``Snapshot.advanced`` (a new proposal missing); applying the
    batch's events to the previous snapshot's own state (the previous one changes under the
    renders still using it)."""
    exercise, seats = _table(version, alice)
    pid = next(iter(seats.values()))
    me = engine.Actor(kind="participant", participant=pid)
    role = next(iter(seats))
    scenario = selectors.scenario_of(exercise)
    first = services.execute(exercise_id=exercise.pk, actor=engine.FACILITATOR, command=c.AdvancePhase()).events
    previous = snapshot_at(exercise.pk, first[-1].seq, exercise.code, first)
    assert previous.proposal_events is not None  # read once here, then carried from batch to batch
    kept = previous.state.model_dump()
    for step in range(12):
        state = previous.state
        views = [v for v in engine.action_views(scenario, state, role) if v.available]
        if step % 3 == 0 and views:
            action = views[0].action
            command: c.Cmd = c.ProposeAction(
                action=action.id, option=action.options[0].id if action.options else None, rationale="why"
            )
            actor = me
        elif step % 3 == 1:
            command, actor = c.AdhocInject(title=f"N{step}", text="t", recipients=["all"]), engine.FACILITATOR
        else:
            command, actor = (
                c.AdjustIndicator(indicator=scenario.indicators[0].id, delta=-3, reason="why"),
                engine.FACILITATOR,
            )
        with contextlib.suppress(engine.InvalidCommand, engine.Forbidden):
            events = services.execute(exercise_id=exercise.pk, actor=actor, command=command).events
            pushed = snapshot_at(exercise.pk, events[-1].seq, exercise.code, events)
            assert previous.state.model_dump() == kept  # the one before is untouched
            loaded = Snapshot.load(Exercise.objects.light().get(pk=exercise.pk), upto=events[-1].seq)
            assert pushed.state == loaded.state
            assert [e.seq for e in pushed.proposal_events] == [e.seq for e in loaded.proposal_events]
            assert sorted(pushed.releases) == sorted(loaded.releases)
            previous, kept = pushed, pushed.state.model_dump()
    assert "proposal_events" in previous.__dict__  # carried from batch to batch, never read again


def test_the_console_s_notes_are_rebuilt_only_when_the_phase_moves_and_a_release_pushes_its_row(
    version, alice, monkeypatch
):
    """The instructor notes read the phase and the scripted releases (``frames._notes``): an ad-hoc
    inject leaves them unbuilt; a scripted release pushes that inject's row alone (not the 27 KB
    panel, which also closed the phases the facilitator had opened), and the row applied to the
    screen gives what a full re-render shows; a phase change pushes the whole panel.

    Mutations that turn it red (tried): dropping the row branch of ``_notes`` (the console's notes
    keep the inject unreleased); ``NOTE_ROW_CHANGES`` without ``INJECT_RELEASED`` (the same);
    pushing the whole panel on a release (no row part: the size assertion)."""

    from exercises.screens import contexts

    exercise, _seats = _table(version, alice)
    key = ("facilitator", "en")
    run = services.execute
    first = _adhoc(exercise, "A")
    screen = _full(exercise.pk, first.events[-1].seq, first.events, engine.FACILITATOR_VIEW, "en")
    assert "instructor_notes.html" in dict(render_parts(exercise.pk, first.events, key, exercise.code))
    built: list[str] = []
    original = contexts.instructor_notes

    def counted(snap: Any, lang: str) -> dict[str, Any]:
        built.append(lang)
        return original(snap, lang)

    monkeypatch.setattr(contexts, "instructor_notes", counted)
    news = _adhoc(exercise, "B")
    assert "instructor_notes.html" not in dict(render_parts(exercise.pk, news.events, key, exercise.code))
    assert built == []
    exercise.refresh_from_db()
    state, scenario = selectors.state_of(exercise), selectors.scenario_of(exercise)
    inject = next(i.id for i in scenario.injects if i.id not in state.released)
    released = run(exercise_id=exercise.pk, actor=engine.FACILITATOR, command=c.ReleaseInject(inject=inject))
    assert {e.type for e in released.events} <= {"inject_released", "pressure_checked", "indicator_changed"}
    pushed = dict(render_parts(exercise.pk, released.events, key, exercise.code))
    assert "instructor_notes.html" not in pushed and built == []
    row = pushed[frames.NOTE_ROWS]
    assert f'id="instr-inject-{inject}"' in row and "is-released" in row
    assert len(row) * 5 < len(screen["instructor_notes.html"])  # a row, not the panel
    shown = _apply_note_rows(screen["instructor_notes.html"], row)
    full = _full(exercise.pk, released.events[-1].seq, released.events, engine.FACILITATOR_VIEW, "en")
    assert _same("instructor_notes.html", shown) == _same("instructor_notes.html", full["instructor_notes.html"])
    advanced = run(exercise_id=exercise.pk, actor=engine.FACILITATOR, command=c.AdvancePhase())
    pushed = dict(render_parts(exercise.pk, advanced.events, key, exercise.code))
    full = _full(exercise.pk, advanced.events[-1].seq, advanced.events, engine.FACILITATOR_VIEW, "en")
    assert pushed["instructor_notes.html"] == full["instructor_notes.html"]


def test_the_clock_is_pushed_only_when_what_the_browser_runs_it_from_moves(version, alice):
    """An ad-hoc inject leaves the running clock's anchors alone: the role frames carry no clock
    bar (it was half of such a frame); a pause moves them, and every audience gets the bar.

    Mutation: ``frames._clock`` skipping whenever anything is known (not comparing anchors): the
    pause's frame has no clock, red; pushing it always: the inject's frame has one, red."""
    exercise, seats = _table(version, alice)
    role = sorted(seats)[0]
    key = (engine.Viewer(role=role, participant=seats[role]).audience_key, "en")
    first = _adhoc(exercise, "First").events
    assert "clock.html" in dict(render_parts(exercise.pk, first, key, exercise.code))  # nothing known yet
    second = _adhoc(exercise, "Second").events
    assert "clock.html" not in dict(render_parts(exercise.pk, second, key, exercise.code))
    paused = services.execute(exercise_id=exercise.pk, actor=engine.FACILITATOR, command=c.Pause()).events
    parts = dict(render_parts(exercise.pk, paused, key, exercise.code))
    assert 'data-status="paused"' in parts["clock.html"]


def test_a_socket_back_from_a_frame_it_showed_is_sent_only_what_changed(version, alice):
    """A blip: a role's frames ended at ad-hoc inject A's seq on this worker; back from there, its
    catch-up for ad-hoc inject B carries B's feed item but not the actions, which B cannot change.
    Back from a seq no frame of this worker ended at, nothing is known of the panels' content, but
    the screen still shows the exercise at that seq: the ad-hoc injects since change neither the
    actions nor the seats, so neither comes. The console's catch-up always carries the presence
    badges: presence moves while it is away, and no event says so.

    Mutations (tried): ``replay_parts`` ignoring ``known_at`` (the actions come again, first
    assertion); ``frame_parts`` ignoring ``shown_time`` (the actions come again when nothing is
    known, part 8); every panel when nothing is known (the seats come again); dropping the
    console's badges."""
    exercise, seats = _table(version, alice)
    role = sorted(seats)[0]
    viewer = engine.Viewer(role=role, participant=seats[role])
    first = _adhoc(exercise, "A")
    render_parts(exercise.pk, first.events, (viewer.audience_key, "en"), exercise.code)
    render_parts(exercise.pk, first.events, ("facilitator", "en"), exercise.code)
    _adhoc(exercise, "B")
    back = first.events[-1].seq
    parts = dict(replay_parts(exercise.pk, back, viewer, "en", False)[0])
    assert "feed" in parts
    assert "actions.html" not in parts
    unknown = dict(replay_parts(exercise.pk, first.events[0].seq - 1, viewer, "en", False)[0])
    assert "feed" in unknown
    assert "actions.html" not in unknown
    assert "table.html" not in unknown
    console = dict(replay_parts(exercise.pk, back, engine.FACILITATOR_VIEW, "en", False)[0])
    assert "presence" in console
    assert "controls.html" not in console


def test_a_catch_up_across_a_time_an_action_waits_for_brings_the_actions(version, alice):
    """The actions also change with the game time (an action not available after T+4d15h): a screen
    that shows the exercise at a game time before such a threshold, caught up with events after
    it that change nothing else, gets the actions again; at the same side of every threshold, not.

    Mutations (tried): the catch-up's actions clock read from the snapshot instead of
    ``shown_time`` (the first assertion goes red); ``shown_time`` ignored, so nothing known means
    every panel (the second goes red)."""
    from django.utils import translation

    exercise, seats = _table(version, alice)
    role = sorted(seats)[0]
    viewer = engine.Viewer(role=role, participant=seats[role])
    start = snapshot_at(exercise.pk, Exercise.objects.get(pk=exercise.pk).last_seq, exercise.code).state.game_time
    for _phase in range(4):  # to unilateral_turn (T+9d), past an action's T+4d15h
        services.execute(exercise_id=exercise.pk, actor=engine.FACILITATOR, command=c.AdvancePhase())
    later = _adhoc(exercise, "Later")
    snap = snapshot_at(exercise.pk, later.events[-1].seq, exercise.code)
    assert frames._actions_clock(snap) > frames._actions_clock_at(snap.scenario, start)  # a threshold between
    with translation.override("en"):
        before, _ = frames.frame_parts(snap, later.events, viewer, "en", shown_time=start)
        same, _ = frames.frame_parts(snap, later.events, viewer, "en", shown_time=snap.state.game_time)
    assert "actions.html" in dict(before)
    assert "actions.html" not in dict(same)


def _section(html: str, dom_id: str) -> str:
    """The ``<section id=dom_id>`` element of a page or a frame, without what only a push carries
    (``hx-swap-oob``) or what the browser and the render fill in (``data-hash``)."""
    found = re.search(rf'<section id="{dom_id}".*?</section>', html, re.S)
    assert found, f"no #{dom_id}"
    return HASH.sub('data-hash=""', found.group(0).replace(' hx-swap-oob="true"', ""))


def test_the_pushed_proposal_panels_are_the_page_s(version, alice):
    """A role's approvals and decisions panels are pushed keyed and rendered from what each shows
    (issue #11, part 8: a new proposal no longer re-renders every role's decisions; the decisions
    are one content for every role shown the same ones); the page includes the same templates
    with the whole proposals context. Both must show the same, with a proposal pending and one
    decided on the table.

    Mutations (tried): ``contexts.decisions_shown`` leaving out the decisions of the viewer's own
    role; the approvals pushed without ``pending`` (both red here; the property test compares
    a push only with a full push, so it cannot see these)."""
    from django.utils import translation

    from exercises.screens import contexts
    from exercises.screens.partials import render

    exercise, seats = _table(version, alice)
    for _phase in range(2):  # where september-2001's cabinet has actions both with and without approvals
        services.execute(exercise_id=exercise.pk, actor=engine.FACILITATOR, command=c.AdvancePhase())
    snap = snapshot_at(exercise.pk, Exercise.objects.get(pk=exercise.pk).last_seq, exercise.code)
    statuses: set[str] = set()
    for role in sorted(seats):
        views = [v for v in engine.action_views(snap.scenario, snap.state, role) if v.available]
        for view in views:
            need = "pending" if view.action.approvals else "executed"
            if need in statuses:
                continue
            actor = engine.Actor(kind="participant", participant=seats[role])
            option = {"option": view.action.options[0].id} if view.action.options else {}
            command = c.ProposeAction(action=view.action.id, **option)
            with contextlib.suppress(engine.InvalidCommand, engine.Forbidden):
                services.execute(exercise_id=exercise.pk, actor=actor, command=command)
                statuses.add(need)
    assert statuses == {"pending", "executed"}, statuses
    seq = Exercise.objects.get(pk=exercise.pk).last_seq
    snap = snapshot_at(exercise.pk, seq, exercise.code)
    for role, pid in seats.items():
        viewer = engine.Viewer(role=role, participant=pid)
        with translation.override("en"):
            pushed = "".join(html for _name, html in frames.frame_parts(snap, [], viewer, "en", everything=True)[0])
            events = selectors.visible_log(exercise.pk, viewer, upto=seq)
            page = render("main_play.html", {**contexts.base(snap), **contexts.play(snap, viewer, "en", events)})
        for dom_id in ("approvals", "decisions"):
            assert _section(pushed, dom_id) == _section(page, dom_id), f"{role}: #{dom_id}"


def test_a_decision_is_rendered_once_for_the_roles_shown_the_same_decisions(version, alice, monkeypatch):
    """A proposal carried out at once changes the decisions panel of every role that sees it: the
    panel is rendered once per distinct list of decisions, not once per role, and each panel's
    content is keyed once (for what the audience shows and for the render cache alike).

    Mutations (tried): ``contexts.decisions_shown`` keeping the ``mine`` mark (the proposer's
    panel is rendered apart: one render more); ``_Frame.put`` not passing its key to
    ``partials.render`` (each decisions context sent keyed twice)."""
    from exercises.screens import partials

    exercise, seats = _table(version, alice)
    for _phase in range(2):
        services.execute(exercise_id=exercise.pk, actor=engine.FACILITATOR, command=c.AdvancePhase())
    warm = _adhoc(exercise, "Warm")  # every audience's panels known: the batch below changes only what it changes
    audiences = [(engine.Viewer(role=role, participant=pid), (f"role:{role}", "en")) for role, pid in seats.items()]
    for _viewer, audience in audiences:
        render_parts(exercise.pk, warm.events, audience, exercise.code)
    snap = snapshot_at(exercise.pk, warm.events[-1].seq, exercise.code)
    role, view = next(
        (r, v)
        for r in sorted(seats)
        for v in engine.action_views(snap.scenario, snap.state, r)
        if v.available and not v.action.approvals and not v.action.options
    )
    actor = engine.Actor(kind="participant", participant=seats[role])
    done = services.execute(exercise_id=exercise.pk, actor=actor, command=c.ProposeAction(action=view.action.id))
    assert any(e.type == "action_executed" for e in done.events), [e.type for e in done.events]

    built: list[str] = []
    keyed: list[int] = []
    real_render, real_key = partials.render_to_string, partials.content_key

    def build(name: str, ctx: dict[str, Any]) -> str:
        built.append(name)
        return real_render(name, ctx)

    def keying(value: Any) -> Any:
        if isinstance(value, dict) and "decisions" in value:
            keyed.append(1)
        return real_key(value)

    monkeypatch.setattr(partials, "render_to_string", build)
    monkeypatch.setattr(partials, "content_key", keying)
    shown: dict[str, tuple[int, ...]] = {}
    for viewer, audience in audiences:
        parts = dict(render_parts(exercise.pk, done.events, audience, exercise.code))
        if "decisions.html" in parts:
            after = snapshot_at(exercise.pk, done.events[-1].seq, exercise.code)
            decided = after.visible_proposals(viewer) - {p.id for p in after.state.pending_proposals()}
            shown[viewer.role] = tuple(sorted(decided))
    assert shown, "no role was sent the new decision"
    assert sum(name.endswith("decisions.html") for name in built) == len(set(shown.values()))
    assert len(keyed) == len(audiences)  # one decisions context a role, keyed once, sent or not
