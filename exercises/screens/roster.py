"""Who sits where: the seats by side (lobby, table, console roster) and the people at the
table with their presence. Call inside ``translation.override(lang)``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from exercises import presence
from exercises.models import Participant

from .labels import first_sentence
from .snapshot import Snapshot

# --------------------------------------------------------------------------- people


@dataclass
class Seat:
    role: str
    title: str
    side: str
    brief: str
    institution: bool
    fill_order: int
    holder: str = ""  # participant id
    holder_name: str = ""
    presence: str = "empty"  # connected | away | empty
    bot: str = ""  # the policy of the bot playing it, if one does
    seen: datetime | None = None  # last heartbeat, shown as "last seen" when away


@dataclass
class SideView:
    id: str
    name: str
    seats: list[Seat]


def presence_of(participant: Participant | None, seen: datetime | None = None) -> str:
    if participant is None:
        return "away"
    return presence.status(participant, seen if seen is not None else participant.last_seen_at)


def seats(snap: Snapshot, lang: str, *, with_presence: bool = False) -> list[SideView]:
    """Roles by side, in the order they should be filled, with who holds each."""
    sc, st = snap.scenario, snap.state
    out = []
    for side in sc.sides:
        rows = []
        for role in sorted((r for r in sc.roles if r.side == side.id), key=lambda r: (r.institution, r.fill_order)):
            holder = st.holders.get(role.id, "")
            seat = Seat(
                role=role.id,
                title=role.title.get(lang),
                side=side.id,
                brief=first_sentence(role.public_brief.get(lang)),
                institution=role.institution,
                fill_order=role.fill_order,
                holder=holder,
                holder_name=snap.name_of(holder) if holder else "",
                bot=st.bots[role.id].policy if role.id in st.bots else "",
            )
            if with_presence and holder:
                seat.presence = presence_of(snap.participants.get(holder), snap.seen.get(holder))
                seat.seen = snap.seen.get(holder)
            rows.append(seat)
        out.append(SideView(id=side.id, name=side.name.get(lang), seats=rows))
    return out


@dataclass
class Person:
    id: str
    name: str
    role: str
    presence: str
    seen: datetime | None = None


def people(snap: Snapshot, lang: str) -> list[Person]:
    """Everyone who joined, for the console (presence from their open sockets)."""
    out = []
    for pid, p in snap.state.participants.items():
        if pid not in snap.participants:
            continue  # inherited by a fork from its parent's table: not at this one
        if p.removed:
            continue
        out.append(
            Person(
                id=pid,
                name=p.name,
                role=snap.role_title(p.role, lang) if p.role else "",
                presence=presence_of(snap.participants.get(pid), snap.seen.get(pid)),
                seen=snap.seen.get(pid),
            )
        )
    return out
