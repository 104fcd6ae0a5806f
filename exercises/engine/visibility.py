"""Who may see which event. The one function every screen, push, replay and export obeys."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .events import EVERYONE, Event


@dataclass(frozen=True, slots=True)
class Viewer:
    """A facilitator sees everything; a player sees their role's and their own events;
    the projector (no role, no participant) sees what is public."""

    facilitator: bool = False
    role: str = ""
    participant: str = ""

    @property
    def audience_key(self) -> str:
        """Viewers with the same key see the same events: render once per key."""
        if self.facilitator:
            return "facilitator"
        return f"role:{self.role}" if self.role else "public"


FACILITATOR_VIEW = Viewer(facilitator=True)
PUBLIC_VIEW = Viewer()


def can_see(event: Event, viewer: Viewer) -> bool:
    if viewer.facilitator:
        return True
    audience = event.audience
    if EVERYONE in audience:
        return True
    if viewer.role and viewer.role in audience:
        return True
    return bool(viewer.participant) and f"p:{viewer.participant}" in audience


def visible(events: Iterable[Event], viewer: Viewer) -> Iterator[Event]:
    return (e for e in events if can_see(e, viewer))
