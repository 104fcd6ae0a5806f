"""The record: exercises, their append-only event log, and who is playing.

Events are written only by ``exercises.services`` and never updated or deleted.
State is derived from them; ``Exercise.state`` is a cached fold, refreshed in the
same transaction that appends the events it folds.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from scenarios.models import ScenarioVersion

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud in a room
# 32 ** 10 = 2 ** 50 codes: guessing one of 1,000 live codes at the throttled rate takes
# hundreds of thousands of years per address (docs/security.md has the arithmetic).
CODE_LENGTH = 10
CODE_MAX = 16  # older 6-character codes keep working


def new_code(length: int = CODE_LENGTH) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def normalise_code(text: str) -> str:
    """What people type (``k7qx-2mpa rt``) as stored (``K7QX2MPART``): dashes, spaces, case ignored."""
    return "".join(ch for ch in (text or "") if ch.isalnum()).upper()[: CODE_MAX + 4]


def grouped_code(code: str) -> str:
    """``K7QX2MPART`` as read aloud and typed: ``K7QX-2MPA-RT``."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def new_participant_id() -> str:
    return secrets.token_hex(8)


def new_token() -> str:
    return secrets.token_urlsafe(24)


def new_share_token() -> str:
    return secrets.token_urlsafe(16)


def now() -> datetime:
    """``timezone.now``, looked up when called (as ``auto_now_add`` does): tests can pin the clock."""
    return timezone.now()


class Workshop(models.Model):
    """Several tables of the same scenario, run from one console with one join code."""

    code = models.CharField(max_length=CODE_MAX, unique=True, default=new_code)
    title = models.CharField(max_length=200)
    scenario = models.ForeignKey(ScenarioVersion, on_delete=models.PROTECT, related_name="workshops")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="workshops")
    # Who may run it and its tables, add staff, share (exercises.access); the creator at first.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_workshops"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.title} ({self.code})"


class ExerciseQuerySet(models.QuerySet):
    def light(self) -> ExerciseQuerySet:
        """With its scenario version, minus the 100+ KB snapshot: hot paths parse a scenario once
        per process (``scenario_for``), so decoding the snapshot on every command is waste."""
        return self.select_related("scenario").defer("scenario__snapshot")


class Exercise(models.Model):
    code = models.CharField(max_length=CODE_MAX, unique=True, default=new_code)
    title = models.CharField(max_length=200)
    scenario = models.ForeignKey(ScenarioVersion, on_delete=models.PROTECT, related_name="exercises")
    workshop = models.ForeignKey(Workshop, null=True, blank=True, on_delete=models.CASCADE, related_name="tables")
    table = models.PositiveSmallIntegerField(default=1)
    seed = models.BigIntegerField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="exercises"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_exercises"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Seating and flood bounds (docs/security.md): None = the settings' default.
    join_locked = models.BooleanField(default=False)
    max_participants = models.PositiveIntegerField(null=True, blank=True)
    rate_limit = models.PositiveSmallIntegerField(null=True, blank=True, help_text="commands per participant per 10 s")
    # Cached fold of the log, valid at ``last_seq`` (see services.execute).
    last_seq = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, default="lobby", db_index=True)
    state = models.JSONField(default=dict)
    # Random per exercise; no longer a link (share links are ShareLink rows, made on purpose). The
    # review's cache keys on it so a reused primary key never returns another exercise's analysis.
    share_token = models.CharField(max_length=32, default=new_share_token, unique=True)
    # Lineage: a fork starts as a copy of ``parent``'s log up to event ``parent_seq``.
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="forks")
    parent_seq = models.PositiveIntegerField(null=True, blank=True)

    objects = ExerciseQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.title} ({self.code})"


class Event(models.Model):
    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()
    type = models.CharField(max_length=32)
    game_time = models.IntegerField()
    role = models.CharField(max_length=64, blank=True)
    actor = models.CharField(max_length=80, blank=True)
    payload = models.JSONField(default=dict)
    audience = models.JSONField(default=list)
    # A fork's copy of its parent's events keeps their time, and says it is a copy.
    created_at = models.DateTimeField(default=now)
    inherited = models.BooleanField(default=False)

    class Meta:
        ordering = ["exercise", "seq"]
        constraints = [models.UniqueConstraint(fields=["exercise", "seq"], name="unique_event_seq")]
        indexes = [models.Index(fields=["exercise", "type"])]

    def __str__(self) -> str:
        return f"{self.exercise_id}#{self.seq} {self.type}"


class Participant(models.Model):
    """A browser at a table. No account: the signed session holds ``id``; ``token`` rejoins."""

    id = models.CharField(primary_key=True, max_length=32, default=new_participant_id)
    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="participants")
    name = models.CharField(max_length=40)
    token = models.CharField(max_length=48, unique=True, default=new_token)
    language = models.CharField(max_length=8, default="en")
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)  # heartbeat (exercises.presence)
    connections = models.IntegerField(default=0)  # open sockets, for presence on the console
    # In a fork that kept its seats: the parent's participant this one continues (their browser
    # is recognised here by the session it has there).
    origin = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    removed_at = models.DateTimeField(null=True, blank=True)  # the facilitator removed them: seat gone

    def __str__(self) -> str:
        return f"{self.name} @ {self.exercise_id}"


class StaffAccess(models.Model):
    """A facilitator the owner let in: a co-facilitator (full control) or an evaluator (sees, notes)."""

    FACILITATOR = "facilitator"
    EVALUATOR = "evaluator"
    LEVELS = [(FACILITATOR, "co-facilitator"), (EVALUATOR, "evaluator")]

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_access")
    exercise = models.ForeignKey(Exercise, null=True, blank=True, on_delete=models.CASCADE, related_name="staff")
    workshop = models.ForeignKey(Workshop, null=True, blank=True, on_delete=models.CASCADE, related_name="staff")
    level = models.CharField(max_length=16, choices=LEVELS)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(exercise__isnull=False, workshop__isnull=True)
                | models.Q(exercise__isnull=True, workshop__isnull=False),
                name="staff_access_one_target",
            ),
            models.UniqueConstraint(fields=["user", "exercise"], name="unique_staff_exercise"),
            models.UniqueConstraint(fields=["user", "workshop"], name="unique_staff_workshop"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.level} of {self.exercise_id or self.workshop_id}"


def new_link_token() -> str:
    return secrets.token_urlsafe(24)


class ShareLink(models.Model):
    """A read-only report link the owner made on purpose. Rows are the audit trail: never deleted;
    revoking (or rotating, which revokes and makes a new one) stamps ``revoked_at``."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="share_links")
    token = models.CharField(max_length=48, unique=True, default=new_link_token)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"share link {self.pk} of {self.exercise_id}"

    @property
    def live(self) -> bool:
        from django.utils import timezone

        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())


class CommandReceipt(models.Model):
    """A client-numbered command already done: a resent frame (reconnect) is acknowledged, not redone.

    Written in the same transaction as the command's events, so "done" and "recorded" agree.
    """

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="+")
    participant = models.CharField(max_length=40)
    cid = models.CharField(max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["exercise", "participant", "cid"], name="unique_command_receipt")
        ]

    def __str__(self) -> str:
        return f"{self.exercise_id}/{self.participant}/{self.cid}"
