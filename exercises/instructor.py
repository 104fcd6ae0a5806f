"""The instructor's notes, as plain data for the console, the review and the report's appendix.

A scenario file carries notes meant for the facilitator alone: the ``instructor`` guide, each
phase's and inject's ``instructor`` note, each inject's ``source`` and each indicator's
``start_note``. ``notes()`` gathers them for one language and says which phase is current.
Only facilitator screens include the partials that show them (the console, the review pages,
the report); the player room, the projector and the share link never do, and
``tests/test_instructor_notes.py`` tries.

Call inside ``translation.override(lang)``: the few labels go through gettext.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from exercises.engine.events import EventType
from scenarios.glossary import RULES, gloss
from scenarios.schema import Inject, Scenario

from .engine.clock import offset_label

_REF = re.compile(r"\[(\d+)\]")


@dataclass
class SourceRef:
    id: str
    text: str


@dataclass
class InjectNote:
    id: str
    title: str
    when: str
    source: str  # as written in the file (English); screens show ``refs`` and ``kinds``
    refs: list[SourceRef]
    note: str
    released: bool = False
    kinds: list[str] = field(default_factory=list)


@dataclass
class PhaseNote:
    id: str
    title: str
    span: str
    description: str
    note: str
    current: bool = False
    injects: list[InjectNote] = field(default_factory=list)


@dataclass
class Notes:
    phases: list[PhaseNote]
    unscheduled: list[InjectNote]  # fired by a trigger, a decision or the facilitator: no fixed time
    learning_objectives: list[str]
    timing: str
    fill_order: str
    watch_for: list[str]
    notes: list[str]
    start_notes: list[tuple[str, int, str]]  # indicator name, start value, why
    sources: list[SourceRef]
    glossary: list[tuple[str, str]]  # rule tag, one line

    @property
    def current(self) -> PhaseNote | None:
        return next((p for p in self.phases if p.current), None)


def refs(source: str, scenario: Scenario) -> list[SourceRef]:
    """The entries of ``instructor.sources`` that an inject's ``source`` cites ("paper", "[41]").

    The paper is named in the reader's language; numbered entries keep their bibliographic
    text (addresses and titles are cited as published, see docs/i18n.md).
    """
    known = {s.id: s.text for s in scenario.instructor.sources}
    wanted = (["paper"] if "paper" in source.lower() else []) + _REF.findall(source)
    return [
        SourceRef(i, _("the policy paper (course reading)") if i == "paper" else known.get(i, ""))
        for i in dict.fromkeys(wanted)
    ]


def kinds(source: str) -> list[str]:
    """What sort of card the ``source`` note says this is, in the reader's language."""
    low = source.lower()
    found = []
    if "counterfactual" in low:
        found.append(_("counterfactual"))
    if "exercise design" in low or "exercise construction" in low or "exercise timing" in low:
        found.append(_("exercise construction"))
    return found


def inject_note(inject: Inject, scenario: Scenario, lang: str, released: set[str]) -> InjectNote:
    """One inject's notes (a row of the console's notes panel, pushed alone when it is released)."""
    if inject.at is not None:
        when = offset_label(inject.at)
    elif inject.trigger is not None:
        when = _("on trigger")
    else:
        when = _("on demand")
    return InjectNote(
        id=inject.id,
        title=inject.title.get(lang),
        when=when,
        source=inject.source,
        refs=refs(inject.source, scenario),
        note=inject.instructor.get(lang) if inject.instructor else "",
        released=inject.id in released,
        kinds=kinds(inject.source),
    )


def notes(scenario: Scenario, lang: str, *, phase: str = "", released: Any = ()) -> Notes:
    """Everything the scenario tells its instructor, phase by phase; ``phase`` is the current one."""
    released = set(released)
    guide = scenario.instructor
    phases = []
    for n, spec in enumerate(scenario.phases):
        end = scenario.phases[n + 1].start if n + 1 < len(scenario.phases) else scenario.clock.end
        phases.append(
            PhaseNote(
                id=spec.id,
                title=spec.title.get(lang),
                span=f"{offset_label(spec.start)} → {offset_label(end)}",
                description=spec.description.get(lang) if spec.description else "",
                note=spec.instructor.get(lang) if spec.instructor else "",
                current=spec.id == phase,
            )
        )
    unscheduled = []
    for inject in scenario.injects:
        note = inject_note(inject, scenario, lang, released)
        if inject.at is None:
            unscheduled.append(note)
            continue
        # An inject belongs to the last phase that has started by its time.
        home = phases[0]
        for spec, phase_note in zip(scenario.phases, phases, strict=True):
            if spec.start <= inject.at:
                home = phase_note
        home.injects.append(note)
    return Notes(
        phases=phases,
        unscheduled=unscheduled,
        learning_objectives=[t.get(lang) for t in guide.learning_objectives],
        timing=guide.timing.get(lang) if guide.timing else "",
        fill_order=guide.fill_order.get(lang) if guide.fill_order else "",
        watch_for=[t.get(lang) for t in guide.watch_for],
        notes=[t.get(lang) for t in guide.notes],
        start_notes=[(i.name.get(lang), i.start, i.start_note.get(lang)) for i in scenario.indicators if i.start_note],
        sources=[SourceRef(s.id, s.text) for s in guide.sources],
        glossary=[(rule, gloss(rule, lang)) for rule in RULES],
    )


def blocs_line(blocs: list[dict[str, Any]] | None) -> str:
    """A vote's tally by party bloc (R10): " — by bloc, yes of seats: PAN 206/206, …"."""
    if not blocs:
        return ""
    parts = ", ".join(f"{b['party']} {b['yes']}/{b['seats']}" for b in blocs)
    return " — " + _("by bloc, yes of seats: %(blocs)s") % {"blocs": parts}


def released_injects(events: Any) -> set[str]:
    """The scripted injects that reached someone, from a log (events or review entries)."""
    return {e.payload["inject"] for e in events if e.type == EventType.INJECT_RELEASED and e.payload.get("inject")}
