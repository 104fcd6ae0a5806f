"""Replay: the live screens of one viewer, rendered at an earlier sequence number.

There is no second drawing of a player's screen for the review. The replay loads the exercise
as it stood right after event ``seq`` (``Snapshot.load(upto=seq)``), takes the events that
viewer could see up to then, and hands both to the same context builders and partial templates
the live room, projector and console use. The clock is frozen at the wall time of event ``seq``,
so it reads what the room read at that moment.

Three viewers, as in the room:
- a role: the player's room (``exercises/partials/main_play.html``), what that role's holder saw;
- ``""``: the projector's public board (clock, feed, indicators, seats);
- ``"facilitator"``: the console's read-only panels (clock, indicators, feed, injects, notes,
  institutions, channels). The console's forms are not replayed: nothing can be done in the past.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from exercises import engine, selectors
from exercises.engine.clock import offset_label
from exercises.engine.events import EventType
from exercises.screens import contexts
from exercises.screens.snapshot import Snapshot

from .log import Log

if TYPE_CHECKING:
    from exercises.models import Exercise

FACILITATOR = "facilitator"
PROJECTOR = ""

ROOM = "room"
CONSOLE = "console"
BOARD = "projector"


@dataclass
class ReplayScreen:
    """What the replay page shows: the live partials' context at ``seq``, and a caption."""

    role: str
    mode: str  # ROOM, BOARD or CONSOLE: which live layout the partials sit in
    seq: int
    last_seq: int
    title: str
    holder: str
    clock: datetime  # the in-game date and time at seq, naive, in the scenario's zone
    offset: str
    phase: str
    ticks: list[tuple[int, str]] = field(default_factory=list)  # (seq, phase title): the scrubber's marks
    context: dict[str, Any] = field(default_factory=dict)


def viewer_at(state: engine.State, role: str, roles: set[str]) -> engine.Viewer:
    """The viewer a role had at that moment: the role with whoever held it then."""
    if role == FACILITATOR:
        return engine.FACILITATOR_VIEW
    if role in roles:
        return engine.Viewer(role=role, participant=state.holders.get(role, ""))
    return engine.PUBLIC_VIEW


def frozen_now(snap: Snapshot, wall: datetime | None) -> float | None:
    """The wall time at which the table's clock read the state's game time: the clock bar is
    drawn as it stood when event ``seq`` landed. From the state's own anchor, not the row's
    commit time (``wall``), so logs played on a virtual clock (simulations, benchmarks) replay
    right too; a stopped clock only feeds the page's script, and gets the commit time."""
    st = snap.state
    if st.status == "running":
        rate = snap.scenario.phases[snap.scenario.phase_index[st.phase]].rate
        return st.anchor_wall + (st.game_time - st.anchor_game) / rate
    return wall.timestamp() if wall else None


def live_context(snap: Snapshot, viewer: engine.Viewer, mode: str, lang: str) -> dict[str, Any]:
    """The same context the live page of that viewer builds (views.players.play / projector, views.console.console)."""
    exercise = snap.exercise
    log = snap.log if snap.log is not None else selectors.log(exercise.pk, upto=snap.seq)
    if mode == CONSOLE:
        built = contexts.console(snap, lang, log)
    else:
        built = contexts.play(snap, viewer, lang, list(engine.visible(log, viewer)))
    return {
        **contexts.base(snap),
        **built,
        "seq": snap.seq,
        "exercise": exercise,
        "feed_public": mode == BOARD,
        "replaying": True,
    }


def screen(exercise: Exercise, log: Log, *, role: str, seq: int, lang: str) -> ReplayScreen:
    """What ``role`` (``""`` the projector, ``"facilitator"`` everything) saw right after event ``seq``."""
    seq = max(1, min(seq, log.last_seq)) if log.entries else 0
    # Snapshot.load(exercise, upto=seq), folded from the log the review has read already.
    snap = Snapshot.folded(exercise, log.scenario, [e.event() for e in log.entries if e.seq <= seq])
    entry = log.by_seq.get(seq)
    snap.now = frozen_now(snap, entry.wall if entry else None)
    scenario = log.scenario
    viewer = viewer_at(snap.state, role, set(scenario.roles_by_id))
    mode = CONSOLE if viewer.facilitator else ROOM if viewer.role else BOARD
    holder = snap.state.holders.get(role, "")
    game_time = entry.game_time if entry else snap.state.game_time
    return ReplayScreen(
        role=viewer.role or (FACILITATOR if viewer.facilitator else PROJECTOR),
        mode=mode,
        seq=seq,
        last_seq=log.last_seq,
        title=_("Facilitator (everything)")
        if viewer.facilitator
        else log.role_title(viewer.role)
        if viewer.role
        else _("Projector (public)"),
        holder=snap.name_of(holder) if holder else "",
        clock=log.game_clock(game_time),
        offset=offset_label(game_time),
        phase=log.phase_title(snap.state.phase),
        ticks=phase_ticks(log),
        context=live_context(snap, viewer, mode, lang),
    )


def phase_ticks(log: Log) -> list[tuple[int, str]]:
    """Where each phase begins, for the scrubber's marks and the phase buttons."""
    first = log.scenario.phases[0].id
    return [
        (e.seq, log.phase_title(e.payload.get("phase") or first))
        for e in log.entries
        if e.type == EventType.EXERCISE_STARTED or (e.type == EventType.PHASE_CHANGED and not e.payload.get("stopped"))
    ]
