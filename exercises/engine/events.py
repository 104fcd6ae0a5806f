"""The event: the one record of everything that happens in an exercise."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

EVERYONE = "*"  # audience marker: every participant and the projector


@dataclass(frozen=True, slots=True)
class Event:
    """One fact, numbered by ``seq`` inside its exercise.

    ``audience`` lists who may see it besides the facilitator (who sees everything):
    ``"*"`` for everyone (projector included), role ids, or ``"p:<participant>"``.
    ``game_time`` is in seconds from the scenario's T+0.
    """

    seq: int
    type: str
    game_time: int
    payload: dict[str, Any] = field(default_factory=dict)
    audience: tuple[str, ...] = ()
    role: str = ""
    actor: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "type": self.type,
            "game_time": self.game_time,
            "payload": self.payload,
            "audience": list(self.audience),
            "role": self.role,
            "actor": self.actor,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Event:
        return cls(
            seq=data["seq"],
            type=data["type"],
            game_time=data["game_time"],
            payload=data.get("payload") or {},
            audience=tuple(data.get("audience") or ()),
            role=data.get("role") or "",
            actor=data.get("actor") or "",
        )
