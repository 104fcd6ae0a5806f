"""Who among the staff may do what with an exercise or a workshop: the one access check.

Levels, strongest first:
- ``owner``: who created it (``manage.py`` data migration: existing ones too), and any superuser.
  Everything, plus adding staff and making, rotating or revoking share links.
- ``facilitator``: a co-facilitator the owner added (to the exercise or to its workshop).
  Full control of the table: console, commands, report, share links.
- ``evaluator``: an evaluator or observer. Sees everything (console read-only, review, exports,
  PDF), writes evaluator notes; cannot act in the exercise or change the report.
Everyone else, signed in or not, gets a 404: an exercise they may not see does not exist for them.

Every console, review, export, PDF and share-management view goes through ``staff_view``; the
pages that list what a facilitator may see (home, create, review index, the studio) through
``staff_only``; the console WebSocket through ``level_of``. There are no other staff checks.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

from .models import Exercise, StaffAccess, Workshop, normalise_code

OWNER = "owner"
FACILITATOR = StaffAccess.FACILITATOR
EVALUATOR = StaffAccess.EVALUATOR
RANK = {EVALUATOR: 1, FACILITATOR: 2, OWNER: 3}
# What each need asks for: the weakest level that may.
NEEDS = {"view": EVALUATOR, "note": EVALUATOR, "run": FACILITATOR, "own": OWNER}


def _staff(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active and user.is_staff)


def level_of(user: Any, exercise: Exercise) -> str | None:
    """The user's level on this exercise (through it or its workshop), or None."""
    if not _staff(user):
        return None
    if user.is_superuser or exercise.owner_id == user.pk:
        return OWNER
    workshop = exercise.workshop if exercise.workshop_id else None
    if workshop is not None and workshop.owner_id == user.pk:
        return OWNER
    grants = StaffAccess.objects.filter(user=user).filter(
        Q(exercise=exercise) | Q(workshop_id=exercise.workshop_id) if exercise.workshop_id else Q(exercise=exercise)
    )
    return max((g.level for g in grants), key=RANK.__getitem__, default=None)


def workshop_level_of(user: Any, workshop: Workshop) -> str | None:
    if not _staff(user):
        return None
    if user.is_superuser or workshop.owner_id == user.pk:
        return OWNER
    grant = StaffAccess.objects.filter(user=user, workshop=workshop).first()
    return grant.level if grant else None


def allows(level: str | None, need: str) -> bool:
    return level is not None and RANK[level] >= RANK[NEEDS[need]]


def exercise_for(user: Any, code: str, need: str) -> tuple[Exercise, str]:
    """The exercise and the user's level on it; Http404 unless the level meets ``need``."""
    found = Exercise.objects.select_related("scenario", "workshop").filter(code=normalise_code(code)).first()
    level = level_of(user, found) if found is not None else None
    if found is None or level is None or not allows(level, need):
        raise Http404("no exercise with this code")
    return found, level


def workshop_for(user: Any, code: str, need: str) -> tuple[Workshop, str]:
    found = Workshop.objects.select_related("scenario").filter(code=normalise_code(code)).first()
    level = workshop_level_of(user, found) if found is not None else None
    if found is None or level is None or not allows(level, need):
        raise Http404("no workshop with this code")
    return found, level


def staff_only(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Decorate a view for any active staff account (lists of what they may see, the studio).

    Anonymous visitors are sent to sign in; anyone else signed in gets 404. A view about one
    exercise or workshop uses ``staff_view`` instead, which also checks the level on it."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not _staff(request.user):
            raise Http404("no such page")
        return view(request, *args, **kwargs)

    return wrapper


def staff_view(
    need: str, *, workshop: bool = False
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """Decorate a view taking ``code``: it gets ``request.access`` (the level) and the exercise
    (or workshop) in place of the code. Anonymous visitors are sent to sign in; anyone signed in
    without the level gets 404."""

    def decorate(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        def wrapper(request: HttpRequest, code: str, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            found, level = (workshop_for if workshop else exercise_for)(request.user, code, need)
            request.access = level  # type: ignore[attr-defined]
            return view(request, found, *args, **kwargs)

        return wrapper

    return decorate


def visible_exercises(user: Any) -> QuerySet[Exercise]:
    """Every exercise this user may at least view (lists on the facilitator's home and the review)."""
    if not _staff(user):
        return Exercise.objects.none()
    if user.is_superuser:
        return Exercise.objects.all()
    grants = StaffAccess.objects.filter(user=user)
    return Exercise.objects.filter(
        Q(owner=user)
        | Q(workshop__owner=user)
        | Q(pk__in=grants.values("exercise"))
        | Q(workshop__in=grants.values("workshop"))
    ).distinct()


def visible_workshops(user: Any) -> QuerySet[Workshop]:
    if not _staff(user):
        return Workshop.objects.none()
    if user.is_superuser:
        return Workshop.objects.all()
    return Workshop.objects.filter(Q(owner=user) | Q(pk__in=StaffAccess.objects.filter(user=user).values("workshop")))
