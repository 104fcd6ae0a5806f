"""Reads. Players' access checks live here (``viewer_for``); staff access in ``exercises.access``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, QuerySet
from django.utils import timezone

from scenarios.library import scenario_for
from scenarios.schema import Scenario

from . import access, engine
from .engine import Viewer
from .engine.events import EventType
from .models import Event, Exercise, Participant, ShareLink, StaffAccess, Workshop, normalise_code

SESSION_KEY = "ct_participants"  # {exercise id: participant id} in the signed session


def is_facilitator(user: Any) -> bool:
    """Facilitators are staff accounts (``manage.py createfacilitator``)."""
    return bool(user and user.is_authenticated and user.is_staff)


class NotFound(LookupError):
    """Nothing has this code or link. Views answer 404; the consumer closes the socket."""


def exercise_by_code(code: str) -> Exercise:
    """The exercise with this code; ``NotFound`` when there is none.

    Without the scenario version's snapshot (100+ KB of JSON, 1-2 ms to fetch and decode on every
    page and socket connect): ``scenario_of`` parses it once per process, loading it only then.
    """
    try:
        return (
            Exercise.objects.select_related("scenario", "workshop")
            .defer("scenario__snapshot")
            .get(code=normalise_code(code))
        )
    except Exercise.DoesNotExist:
        raise NotFound("no exercise with this code") from None


def seat_in(session: Any, exercise: Exercise) -> str:
    """The participant id this browser's session names at this table, or ""."""
    seats = session.get(SESSION_KEY) or {}
    return str(seats.get(str(exercise.pk)) or "")


def seated(ids: set[str]) -> dict[str, Participant]:
    """The participants among ``ids`` still at their table, in one query (``participant_for``'s
    ``found``: a reconnect storm's sockets, identified together)."""
    return {p.pk: p for p in Participant.objects.filter(pk__in=ids, removed_at=None)}


def participant_for(
    session: Any, exercise: Exercise, *, found: Mapping[str, Participant] | None = None
) -> Participant | None:
    """The participant this browser is at this table, from its session; None if none.

    In a fork that kept its seats, a browser that played the parent is the participant
    continuing its seat there (``Participant.origin``). ``found``: ``seated`` of a set of ids
    that includes this session's, read already.
    """
    participant_id = seat_in(session, exercise)
    if participant_id:
        if found is not None:
            participant = found.get(participant_id)
            return participant if participant is not None and participant.exercise_id == exercise.pk else None
        return _seat(participant_id, exercise)
    seats = session.get(SESSION_KEY) or {}
    if exercise.parent_id is None or not seats:
        return None
    return Participant.objects.filter(exercise=exercise, origin_id__in=list(seats.values()), removed_at=None).first()


def _seat(participant_id: str, exercise: Exercise) -> Participant | None:
    return Participant.objects.filter(pk=participant_id, exercise=exercise, removed_at=None).first()


def remember_participant(session: Any, participant: Participant) -> None:
    seats = dict(session.get(SESSION_KEY) or {})
    seats[str(participant.exercise_id)] = participant.pk
    session[SESSION_KEY] = seats


def state_of(exercise: Exercise) -> engine.State:
    return engine.State.model_validate(exercise.state)


def scenario_of(exercise: Exercise) -> Scenario:
    return scenario_for(exercise.scenario)


def viewer_for(
    exercise: Exercise, *, user: Any, session: Any, mode: str, found: Mapping[str, Participant] | None = None
) -> Viewer | None:
    """Who is looking, or None when they may not look at all (``found``: see ``participant_for``)."""
    if mode == "console":
        from .access import level_of

        return engine.FACILITATOR_VIEW if level_of(user, exercise) is not None else None
    if mode == "projector":
        return engine.PUBLIC_VIEW
    participant = participant_for(session, exercise, found=found)
    if participant is None:
        return None
    role = state_of(exercise).role_of(participant.pk)
    return Viewer(role=role, participant=participant.pk)


def to_engine(row: Event) -> engine.Event:
    return engine.Event(
        seq=row.seq,
        type=row.type,
        game_time=row.game_time,
        payload=row.payload,
        audience=tuple(row.audience),
        role=row.role,
        actor=row.actor,
    )


# The columns an ``engine.Event`` is made of: reads of the log take them as tuples, without
# building a model instance per row (a third of the time of reading a whole log).
_EVENT_COLUMNS = ("seq", "type", "game_time", "payload", "audience", "role", "actor")


def _events(rows: QuerySet[Event]) -> list[engine.Event]:
    return [
        engine.Event(
            seq=seq, type=type_, game_time=game_time, payload=payload, audience=tuple(audience), role=role, actor=actor
        )
        for seq, type_, game_time, payload, audience, role, actor in rows.values_list(*_EVENT_COLUMNS)
    ]


def log(exercise_id: int, *, after: int = 0, upto: int | None = None) -> list[engine.Event]:
    rows = Event.objects.filter(exercise_id=exercise_id, seq__gt=after)
    if upto is not None:
        rows = rows.filter(seq__lte=upto)
    return _events(rows.order_by("seq"))


def visible_log(exercise_id: int, viewer: Viewer, *, after: int = 0, upto: int | None = None) -> list[engine.Event]:
    return list(engine.visible(log(exercise_id, after=after, upto=upto), viewer))


def state_at(exercise: Exercise, seq: int) -> engine.State:
    """The exercise as it was right after event ``seq`` (replay)."""
    return engine.fold(scenario_of(exercise), log(exercise.pk, upto=seq))


def joined_after(exercise_id: int, seq: int) -> list[str]:
    """Who joined this table after event ``seq`` (their row exists; a screen at ``seq`` lacks them)."""
    rows = Event.objects.filter(exercise_id=exercise_id, type=EventType.PARTICIPANT_JOINED, seq__gt=seq)
    return [str(p) for p in rows.values_list("payload__participant", flat=True)]


def events_of_type(exercise_id: int, types: Sequence[str]) -> list[engine.Event]:
    """Every event of these types, in order (proposals for a panel, inject releases for the console)."""
    return _events(Event.objects.filter(exercise_id=exercise_id, type__in=types).order_by("seq"))


def lineage(exercise: Exercise, user: Any = None) -> tuple[list[Exercise], list[Exercise]]:
    """Its ancestors (parent first, each with the ``parent_seq`` it was forked at) and its own forks.

    With ``user``, only the forks that user may see, and each ancestor says whether they may
    (``visible``): an ancestor they may not see keeps its place in the chain without its title or code.
    """
    ancestors = []
    seen = {exercise.pk}
    current = exercise
    while current.parent_id is not None and current.parent_id not in seen:
        parent = Exercise.objects.filter(pk=current.parent_id).only("pk", "code", "title", "parent_id").first()
        if parent is None:
            break
        parent.forked_at = current.parent_seq  # type: ignore[attr-defined]
        ancestors.append(parent)
        seen.add(parent.pk)
        current = parent
    forks = list(exercise.forks.only("pk", "code", "title", "parent_seq", "status").order_by("created_at"))
    if user is None:
        for parent in ancestors:
            parent.visible = True  # type: ignore[attr-defined]
        return ancestors, forks
    mine = set(
        access.visible_exercises(user).filter(pk__in=[e.pk for e in ancestors + forks]).values_list("pk", flat=True)
    )
    for parent in ancestors:
        parent.visible = parent.pk in mine  # type: ignore[attr-defined]
    return ancestors, [f for f in forks if f.pk in mine]


# --------------------------------------------------------------------------- screens (UI reads)


def participant_by_token(token: str) -> Participant:
    """The seat a personal rejoin link stands for."""
    try:
        return Participant.objects.select_related("exercise").get(token=token, removed_at=None)
    except Participant.DoesNotExist:
        raise NotFound("no seat with this link") from None


def workshop_by_code(code: str) -> Workshop | None:
    return Workshop.objects.select_related("scenario").filter(code=normalise_code(code)).first()


def tables_of(workshop: Workshop) -> list[Exercise]:
    """A workshop's tables in order, each with ``players`` (how many joined it)."""
    return list(workshop.tables.select_related("scenario").annotate(players=Count("participants")).order_by("table"))


def recent(user: Any, *, limit: int = 20) -> tuple[list[Exercise], list[Workshop]]:
    """This user's exercises (outside workshops) and workshops, newest first, for the facilitator's home."""
    from .access import visible_exercises, visible_workshops

    exercises = visible_exercises(user).filter(workshop=None).select_related("scenario").order_by("-created_at")[:limit]
    workshops = (
        visible_workshops(user).select_related("scenario").annotate(n=Count("tables")).order_by("-created_at")[:limit]
    )
    return list(exercises), list(workshops)


# --------------------------------------------------------------------------- the review (review/*)

LOG_COLUMNS = ("seq", "type", "game_time", "role", "actor", "payload", "audience", "created_at")


def log_rows(exercise: Exercise) -> Iterable[tuple[Any, ...]]:
    """The whole log up to ``last_seq`` in one query, as tuples in ``LOG_COLUMNS`` order (the review's read)."""
    return (
        Event.objects.filter(exercise_id=exercise.pk, seq__lte=exercise.last_seq)
        .order_by("seq")
        .values_list(*LOG_COLUMNS)
    )


def event_rows(exercise: Exercise) -> Iterator[Event]:
    """Every event row of an exercise in order, fetched in chunks (the exports stream them)."""
    return exercise.events.order_by("seq").iterator(chunk_size=2000)


def workshop_exercises(workshop: Workshop) -> list[Exercise]:
    """A workshop's tables in table order, with their scenario (the review's comparison)."""
    return list(workshop.tables.select_related("scenario").order_by("table", "pk"))


def share_link_by_token(token: str) -> ShareLink:
    """A share link with its exercise and scenario, live or not; ``NotFound`` when no link has this token."""
    try:
        return ShareLink.objects.select_related("exercise__scenario").get(token=token)
    except ShareLink.DoesNotExist:
        raise NotFound("no such link") from None


def live_share_link(exercise: Exercise) -> ShareLink | None:
    """The exercise's newest link that is neither revoked nor expired."""
    return (
        ShareLink.objects.filter(exercise=exercise, revoked_at=None)
        .exclude(expires_at__lte=timezone.now())
        .order_by("-created_at")
        .first()
    )


def open_share_links(exercise: Exercise) -> list[ShareLink]:
    """Every link of the exercise not revoked yet (expired ones too: revoking them is the audit)."""
    return list(ShareLink.objects.filter(exercise=exercise, revoked_at=None))


def share_history(exercise: Exercise, *, limit: int = 20) -> list[ShareLink]:
    return list(ShareLink.objects.filter(exercise=exercise).select_related("created_by", "revoked_by")[:limit])


def staff_grants(*, exercise: Exercise | None = None, workshop: Workshop | None = None) -> list[StaffAccess]:
    """Who else may run or watch this exercise (or workshop), by user name."""
    return list(
        StaffAccess.objects.filter(exercise=exercise, workshop=workshop)
        .select_related("user")
        .order_by("user__username")
    )


def staff_grant(pk: str, *, exercise: Exercise | None = None, workshop: Workshop | None = None) -> StaffAccess | None:
    """One grant on this exercise (or workshop); None if ``pk`` is not one of its grants."""
    if not pk.isdigit():
        return None
    return StaffAccess.objects.filter(pk=int(pk), exercise=exercise, workshop=workshop).first()


def facilitator_named(username: str) -> Any:
    """The active facilitator (staff) account with this user name, or None."""
    return get_user_model().objects.filter(username=username, is_staff=True, is_active=True).first()


def review_index(user: Any) -> tuple[list[Exercise], list[Workshop]]:
    """What the review's index lists: the newest 200 exercises and 50 workshops this user may see."""
    exercises = access.visible_exercises(user).select_related("scenario", "workshop").order_by("-created_at")[:200]
    workshops = access.visible_workshops(user).select_related("scenario").order_by("-created_at")[:50]
    return list(exercises), list(workshops)
