"""One exercise at one sequence number, and the viewer sets the screens sort events by.

Everything the screens build is filtered for one viewer: ``viewer_kind`` names the three kinds
(facilitator, role, public) and ``viewer_of_key`` reads a render key back into its viewer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from exercises import engine, presence, selectors
from exercises.engine import Viewer
from exercises.engine.events import EventType
from exercises.models import Exercise, Participant
from scenarios.schema import Scenario

from .labels import ActorWords, ScenarioLabels

# Event types that never change a panel (only the feed, a channel or the receipts).
QUIET = frozenset(
    {
        EventType.INJECT_SEEN,
        EventType.MESSAGE_SENT,
        EventType.MESSAGE_DELIVERED,
        EventType.NOTE_ADDED,
        EventType.COMMAND_REJECTED,
    }
)
ROSTER = frozenset(
    {
        EventType.PARTICIPANT_JOINED,
        EventType.ROLE_CLAIMED,
        EventType.ROLE_RELEASED,
        EventType.PARTICIPANT_REMOVED,
        EventType.BOT_SEATED,
        EventType.BOT_UNSEATED,
    }
)
MESSAGES = frozenset({EventType.MESSAGE_SENT, EventType.MESSAGE_DELIVERED})
# Kept out of the players' feed: bookkeeping, or shown elsewhere (lobby, channels, toasts).
NOT_FOR_PLAYERS = frozenset(
    {
        EventType.EXERCISE_CREATED,
        EventType.INJECT_SEEN,
        EventType.COMMAND_REJECTED,
        EventType.APPROVAL_REQUESTED,
        *ROSTER,
        *MESSAGES,
    }
)
NOT_FOR_CONSOLE = frozenset({EventType.INJECT_SEEN, *MESSAGES})


@dataclass
class Snapshot(ActorWords):
    """One exercise at one sequence number: the row, its scenario and its state."""

    exercise: Exercise
    scenario: Scenario
    state: engine.State
    _visible: dict[str, set[int]] = field(default_factory=dict, repr=False)  # audience key -> proposal ids
    # The wall time the clock of a pushed batch is shown at: one per batch, so every audience's
    # clock bar is the same fragment (rendered once); None: the time of rendering (pages).
    now: float | None = field(default=None, repr=False)
    # The log up to ``seq`` when the caller has read it already (the review's replay): the
    # proposal and release look-ups then read it instead of the database.
    log: list[engine.Event] | None = field(default=None, repr=False)

    @classmethod
    def folded(cls, exercise: Exercise, scenario: Scenario, log: list[engine.Event]) -> Snapshot:
        """The exercise right after the last of ``log`` (its events from the first, in order),
        folded in memory: what ``load(upto=seq)`` gives, without reading the log again."""
        return cls(exercise, scenario, engine.fold(scenario, log), log=log)

    @classmethod
    def load(cls, exercise: Exercise, *, upto: int | None = None) -> Snapshot:
        scenario = selectors.scenario_of(exercise)
        if upto is None or upto == exercise.last_seq:
            state = selectors.state_of(exercise)
        else:  # a batch overtaken by a later one: render the state this batch ended at
            state = selectors.state_at(exercise, upto)
        return cls(exercise, scenario, state)

    def advanced(self, events: list[engine.Event], state: engine.State | None = None) -> Snapshot:
        """This exercise after ``events``, the ones right after this snapshot's seq, in order,
        folded on a copy of this state without reading the database (a pushed batch whose
        previous batch this worker rendered: issue #11, part 5). The copy is a dump and a
        validation, ~0.16 ms at 18 KB (a deep copy costs 0.55); the proposals and releases
        this snapshot already read are extended, not read again (~2 ms late in a game). This
        snapshot is shared by other renders and is not touched.

        ``state``: the state after ``events`` when it is known already (``exercises.states``:
        the command that wrote them ran in this worker), used as it is instead of the fold."""
        if state is None:
            state = engine.State.model_validate(self.state.model_dump())
            for event in events:
                engine.apply(state, event)
        log = None if self.log is None else [*self.log, *events]
        nxt = Snapshot(self.exercise, self.scenario, state, log=log)
        if "proposal_events" in self.__dict__:
            nxt.__dict__["proposal_events"] = [
                *self.proposal_events,
                *(e for e in events if e.type == EventType.ACTION_PROPOSED),
            ]
        if "releases" in self.__dict__:
            released = {e.seq: e for e in events if e.type in (EventType.INJECT_RELEASED, EventType.INJECT_LOST)}
            nxt.__dict__["releases"] = {**self.releases, **released}
        return nxt

    @property
    def seq(self) -> int:
        return self.state.seq

    @cached_property
    def participants(self) -> dict[str, Participant]:
        return {p.pk: p for p in self.exercise.participants.all()}

    @cached_property
    def seen(self) -> dict[str, datetime | None]:
        """Each participant's last heartbeat (exercises.presence)."""
        return presence.last_seen(self.exercise.pk, self.participants.values())

    @cached_property
    def proposal_events(self) -> list[engine.Event]:
        return [e for e in self._of_type([EventType.ACTION_PROPOSED]) if e.seq <= self.seq]

    @cached_property
    def releases(self) -> dict[int, engine.Event]:
        """Every inject release or loss by seq (the console's receipts)."""
        types = [EventType.INJECT_RELEASED, EventType.INJECT_LOST]
        return {e.seq: e for e in self._of_type(types) if e.seq <= self.seq}

    def _of_type(self, types: list[EventType]) -> list[engine.Event]:
        if self.log is not None:
            return [e for e in self.log if e.type in types]
        return selectors.events_of_type(self.exercise.pk, types)

    def visible_proposals(self, viewer: Viewer) -> set[int]:
        """Proposal ids (the seq of their ``action_proposed``) this viewer may see."""
        key = viewer.audience_key
        if key not in self._visible:
            self._visible[key] = {e.seq for e in self.proposal_events if engine.can_see(e, viewer)}
        return self._visible[key]

    def inject_visible(self, inject: str, viewer: Viewer) -> bool:
        spec = self.scenario.injects_by_id.get(inject)
        if spec is None or inject not in self.state.released:
            return False
        return (
            viewer.facilitator
            or spec.public
            or (bool(viewer.role) and viewer.role in self.scenario.roles_of(spec.recipients))
        )

    @cached_property
    def t0(self) -> datetime:
        return datetime.fromisoformat(self.scenario.clock.t0)

    def name_of(self, participant: str) -> str:
        p = self.state.participants.get(participant)
        return p.name if p else ""

    def role_title(self, role: str, lang: str) -> str:
        spec = self.scenario.roles_by_id.get(role)
        return spec.title.get(lang) if spec else role

    def side_of(self, role: str) -> str:
        spec = self.scenario.roles_by_id.get(role)
        return spec.side if spec else ""

    def labels(self, lang: str) -> SnapshotLabels:
        """The look-up ``describe`` reads, in ``lang``, with what each viewer may know of causes."""
        return SnapshotLabels(self, lang)


class SnapshotLabels(ScenarioLabels):
    """``labels.Labels`` for a live table: names from its state, visibility from its log."""

    def __init__(self, snap: Snapshot, lang: str) -> None:
        super().__init__(snap.scenario, lang)
        self.snap = snap

    def name_of(self, participant: str) -> str:
        return self.snap.name_of(participant)

    def actor_name(self, actor: str) -> str:
        return self.snap.actor_name(actor)

    def inject_visible(self, inject: str, viewer: Viewer) -> bool:
        return self.snap.inject_visible(inject, viewer)

    def proposal_visible(self, proposal: int, viewer: Viewer) -> bool:
        return viewer.facilitator or proposal in self.snap.visible_proposals(viewer)

    def proposal_action(self, proposal: int) -> str:
        found = self.snap.state.proposals.get(proposal)
        return found.action if found else ""


def viewer_kind(viewer: Viewer) -> str:
    if viewer.facilitator:
        return "facilitator"
    return "role" if viewer.role else "public"


def viewer_of_key(audience_key: str) -> Viewer:
    """The viewer a render key stands for (``Viewer.audience_key`` read backwards)."""
    if audience_key == "facilitator":
        return engine.FACILITATOR_VIEW
    if audience_key.startswith("role:"):
        return Viewer(role=audience_key[5:])
    return engine.PUBLIC_VIEW
