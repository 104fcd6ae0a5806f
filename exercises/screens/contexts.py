"""The context of each named fragment (a panel's partial template), and of whole screens.

``room``, ``lobby``, ``console`` and ``act_as`` are what a page renders; the panel builders
(``clock``, ``indicators``, ``actions``…) are what ``screens.frames`` pushes when a batch may
have changed that panel. Call inside ``translation.override(lang)``.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import Any

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe

from exercises import engine, instructor
from exercises.engine import Viewer

from . import feed as feeds
from . import panels
from . import roster as seating
from .labels import clock as clock_bar
from .partials import P, cached
from .snapshot import Snapshot


def base(snap: Snapshot) -> dict[str, Any]:
    """What every fragment may use, whichever transport renders it."""
    return {"code": snap.exercise.code}


# --------------------------------------------------------------------------- panel contexts


def clock(snap: Snapshot, lang: str) -> dict[str, Any]:
    return {"clock": clock_bar(snap, lang)}


def indicators(snap: Snapshot, viewer: Viewer, lang: str) -> dict[str, Any]:
    return {"indicators": panels.indicators(snap, viewer, lang)}


def actions(snap: Snapshot, role: str, lang: str, *, as_role: str = "") -> dict[str, Any]:
    return {"actions": panels.actions(snap, role, lang), "as_role": as_role, "status": snap.state.status}


def proposals(snap: Snapshot, viewer: Viewer, lang: str, *, as_role: str = "") -> dict[str, Any]:
    rows = panels.proposals(snap, viewer, lang, as_role=as_role)
    return {
        "pending": [p for p in rows if p.status == "pending"],
        "decisions": [p for p in rows if p.status != "pending"],
        "as_role": as_role,
    }


def decisions_shown(context: dict[str, Any]) -> dict[str, Any]:
    """What decisions.html shows of a ``proposals`` context: the decisions, without the marks
    it does not show (whose they are), so every role shown the same decisions has one content."""
    return {"decisions": [replace(p, mine=False) for p in context["decisions"]], "as_role": context["as_role"]}


def seats(snap: Snapshot, lang: str, *, with_presence: bool = False) -> dict[str, Any]:
    return {"sides": seating.seats(snap, lang, with_presence=with_presence), "status": snap.state.status}


def channels(
    snap: Snapshot, viewer: Viewer, lang: str, events: list[engine.Event] | None, *, as_role: str = ""
) -> dict[str, Any]:
    found = panels.channels(snap, viewer, lang, as_role=as_role)
    msgs = feeds.messages(snap, events, viewer, lang) if events is not None else {}
    for channel in found:
        channel.messages, channel.older_url = message_page(snap, viewer, channel.id, msgs.get(channel.id, []))
    return {"channels": found, "as_role": as_role}


def message_page(
    snap: Snapshot, viewer: Viewer, channel: str, found: list[feeds.Message]
) -> tuple[list[feeds.Message], str]:
    """A channel's newest ``MESSAGE_PAGE`` messages, and the URL of the page before them ("" if none)."""
    if len(found) <= feeds.MESSAGE_PAGE:
        return found, ""
    shown = found[-feeds.MESSAGE_PAGE :]
    name = "console_channel_page" if viewer.facilitator else "channel_page"
    return shown, reverse(name, args=[snap.exercise.code, channel]) + f"?before={shown[0].seq}"


def _inject_row_html(row: panels.InjectRow) -> str:
    return render_to_string(P + "inject_row.html", {"row": row})


def inject_rows_html(rows: list[panels.InjectRow]) -> str:
    """The console's inject rows, each rendered once per content (``partials.cached``)."""
    return "".join(cached("inject_row.html", {"row": row}, partial(_inject_row_html, row)) for row in rows)


def injects(snap: Snapshot, lang: str, rows: list[panels.InjectRow] | None = None) -> dict[str, Any]:
    """The console's whole inject list (a page, a catch-up); a live batch pushes only the rows it
    changed (``screens.frames``), so a release renders its own row, not the list."""
    html = inject_rows_html(panels.injects(snap, lang) if rows is None else rows)
    return {"inject_rows_html": mark_safe(html)}  # noqa: S308 - our own escaped partials


def instructor_notes(snap: Snapshot, lang: str) -> dict[str, Any]:
    """The facilitator-only notes panel: the current phase open, released injects marked."""
    st = snap.state
    released = set(st.released) - set(st.lost)
    return {"notes": instructor.notes(snap.scenario, lang, phase=st.phase, released=released)}


def _note_row_html(note: instructor.InjectNote) -> str:
    return render_to_string(P + "instructor_inject.html", {"inj": note})


def instructor_note_rows_html(snap: Snapshot, lang: str, inject_ids: list[str]) -> str:
    """The rows of the notes panel for these scripted injects, as they stand now (released or
    not), each rendered once per content: what a release changes in the notes, pushed alone."""
    st = snap.state
    released = set(st.released) - set(st.lost)
    by_id = snap.scenario.injects_by_id
    notes = [instructor.inject_note(by_id[i], snap.scenario, lang, released) for i in inject_ids if i in by_id]
    return "".join(cached("instructor_inject.html", {"inj": n}, partial(_note_row_html, n)) for n in notes)


def institutions(snap: Snapshot, lang: str) -> dict[str, Any]:
    return {"institutions": panels.institution_approvals(snap, lang)}


def ended(snap: Snapshot, *, facilitator: bool = False) -> dict[str, Any]:
    """The end screen: shown once the exercise has ended, with the players' report when shared."""
    report_url = ""
    if snap.state.status == "ended":
        from django.urls import reverse
        from django.utils import timezone

        from exercises.models import ShareLink

        link = (
            ShareLink.objects.filter(exercise_id=snap.exercise.pk, revoked_at=None)
            .exclude(expires_at__lte=timezone.now())
            .order_by("-created_at")
            .first()
        )
        if link is not None:
            report_url = reverse("review:share", args=[link.token])
    return {"ended": snap.state.status == "ended", "report_url": report_url, "facilitator": facilitator}


def controls(snap: Snapshot, lang: str) -> dict[str, Any]:
    sc, st = snap.scenario, snap.state
    index = sc.phase_index[st.phase]
    return {
        "status": st.status,
        "can_start": st.status == "lobby",
        "can_pause": st.status == "running",
        "can_resume": st.status == "paused" and st.game_time < sc.clock.end,
        "can_advance": st.status in ("running", "paused") and index + 1 < len(sc.phases),
        "can_end": st.status in ("running", "paused"),  # not before the start: End is not next to Start
        "paused_hint": st.status == "paused" and index + 1 < len(sc.phases),
        "next_phase": sc.phases[index + 1].title.get(lang) if index + 1 < len(sc.phases) else "",
    }


def roster(snap: Snapshot, lang: str) -> dict[str, Any]:
    people = seating.people(snap, lang)
    return {
        **seats(snap, lang, with_presence=True),
        "people": people,
        "unseated": [p for p in people if not p.role],
        "unfilled": [
            (r.id, r.title.get(lang))
            for r in snap.scenario.roles
            if r.id not in snap.state.holders and r.id not in snap.state.bots
        ],
    }


# --------------------------------------------------------------------------- whole screens


def room(snap: Snapshot, viewer: Viewer, lang: str, events: list[engine.Event]) -> dict[str, Any]:
    """A player with a role: brief, feed, channels, actions, approvals, decisions."""
    role = viewer.role
    return {
        "mode": "room",
        **ended(snap),
        "brief": panels.brief(snap, role, lang),
        "items": feeds.feed(snap, events, viewer, lang, limit=feeds.FEED_PAGE),
        **clock(snap, lang),
        **indicators(snap, viewer, lang),
        **channels(snap, viewer, lang, events),
        **actions(snap, role, lang),
        **proposals(snap, viewer, lang),
        **seats(snap, lang),
    }


def lobby(snap: Snapshot, viewer: Viewer, lang: str, events: list[engine.Event]) -> dict[str, Any]:
    """A participant without a role (or the projector): the roles to claim and the public board."""
    return {
        "mode": "lobby",
        **ended(snap),
        "items": feeds.feed(snap, events, viewer, lang, limit=feeds.FEED_PAGE),
        **clock(snap, lang),
        **indicators(snap, viewer, lang),
        **seats(snap, lang),
    }


def play(snap: Snapshot, viewer: Viewer, lang: str, events: list[engine.Event]) -> dict[str, Any]:
    return room(snap, viewer, lang, events) if viewer.role else lobby(snap, viewer, lang, events)


def console(snap: Snapshot, lang: str, events: list[engine.Event]) -> dict[str, Any]:
    viewer = engine.FACILITATOR_VIEW
    return {
        "mode": "console",
        **ended(snap, facilitator=True),
        "items": feeds.feed(snap, events, viewer, lang, limit=feeds.FEED_PAGE),
        **clock(snap, lang),
        **indicators(snap, viewer, lang),
        **channels(snap, viewer, lang, events),
        **controls(snap, lang),
        **injects(snap, lang),
        **instructor_notes(snap, lang),
        **institutions(snap, lang),
        **roster(snap, lang),
        "scripted": [(i.id, i.title.get(lang)) for i in snap.scenario.injects],
        "recipients": [(s.id, s.name.get(lang)) for s in snap.scenario.sides]
        + [(r.id, r.title.get(lang)) for r in snap.scenario.roles],
        "all_indicators": [(i.id, i.name.get(lang)) for i in snap.scenario.indicators],
        "all_channels": [
            (c.id, c.name.get(lang), snap.state.channels.get(c.id, c.open)) for c in snap.scenario.channels
        ],
    }


def act_as(snap: Snapshot, role: str, lang: str) -> dict[str, Any]:
    """The facilitator playing an unfilled role: its actions, approvals and channels."""
    viewer = engine.FACILITATOR_VIEW
    panel = proposals(snap, viewer, lang, as_role=role)
    panel["pending"] = [p for p in panel["pending"] if p.mine or p.awaits_me]
    panel["decisions"] = [p for p in panel["decisions"] if p.mine]
    return {
        "role": role,
        "role_title": snap.role_title(role, lang),
        "filled": role in snap.state.holders or role in snap.state.bots,
        "bot": role in snap.state.bots,
        **actions(snap, role, lang, as_role=role),
        **panel,
        **channels(snap, viewer, lang, None, as_role=role),
    }
