"""A job: work that must not block a request (a dry run, a what-if), with its progress and result."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
ACTIVE = (QUEUED, RUNNING)


def stale_after() -> timedelta:
    """A job whose heartbeat is older than this lost its worker (the process died or was restarted)."""
    return timedelta(seconds=settings.CRISIS_TABLE.get("JOB_STALE_SECONDS", 30))


class Job(models.Model):
    # A random id: the status URL can be guessed by nobody (and is checked against the owner anyway).
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=64)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jobs")
    status = models.CharField(
        max_length=16,
        default=QUEUED,
        choices=[(QUEUED, "queued"), (RUNNING, "running"), (DONE, "done"), (FAILED, "failed")],
    )
    progress = models.PositiveSmallIntegerField(default=0, help_text="0-100")
    message = models.CharField(max_length=200, blank=True)
    params = models.JSONField(default=dict, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    worker = models.CharField(max_length=100, blank=True, help_text="host:pid of the process that accepted it")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "kind", "-created_at"], name="job_owner_kind_recent")]

    def __str__(self) -> str:
        return f"{self.kind} {self.id} ({self.status})"

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def stale(self) -> bool:
        """Still marked active, but nobody has touched it for too long: its worker is gone."""
        return self.active and self.heartbeat_at < timezone.now() - stale_after()
