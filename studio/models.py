"""The studio's records: a facilitator's working copy of a scenario, and the log of every edit.

A stored ``ScenarioVersion`` never changes; what a facilitator edits is a ``Draft``: YAML
text that may be invalid (its problems are kept with it). Every save validates the text;
a valid one is also stored as a new version (``studio.services``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from scenarios.models import ScenarioVersion


class Draft(models.Model):
    """One scenario copy (one slug) being edited; it belongs to the facilitator who made it."""

    slug = models.SlugField(max_length=64, unique=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="scenario_drafts")
    text = models.TextField(help_text="the YAML text, as saved (may be invalid)")
    raw = models.JSONField(null=True, blank=True, help_text="the parsed text, when it is YAML of a mapping")
    problems = models.JSONField(default=list, blank=True, help_text="the validator's problems, stored translatable")
    base = models.ForeignKey(
        ScenarioVersion,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="drafts",
        help_text="the version this text was last saved as, or copied from",
    )
    marks = models.JSONField(
        default=dict, blank=True, help_text="text key -> hash of the English when the Spanish was last edited"
    )
    revision = models.PositiveIntegerField(default=1, help_text="bumped by every save (stale forms are refused)")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug

    @property
    def valid(self) -> bool:
        return self.raw is not None and not self.problems

    @property
    def saved(self) -> bool:
        """Whether the text is exactly the base version (nothing unsaved)."""
        from scenarios.loader import content_hash

        raw = self.raw  # a mapping when the text is valid (``valid`` alone does not narrow it for mypy)
        return (
            self.valid
            and isinstance(raw, dict)
            and self.base is not None
            and content_hash(raw) == self.base.content_hash
        )

    @property
    def filename(self) -> str:
        return f"{self.slug}.yaml"


class Edit(models.Model):
    """Append-only: who did what to which scenario, when, and which version it made or used."""

    COPY, IMPORT, SAVE, MSEL, ARCHIVE, RESTORE, START, DRY_RUN, TOOL = (
        "copy",
        "import",
        "save",
        "msel_import",
        "archive",
        "restore",
        "start",
        "dry_run",
        "tool",
    )
    slug = models.SlugField(max_length=64, db_index=True)
    draft = models.ForeignKey(Draft, null=True, blank=True, on_delete=models.SET_NULL, related_name="edits")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    at = models.DateTimeField(auto_now_add=True)
    action = models.CharField(max_length=16)
    version = models.ForeignKey(ScenarioVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.action} {self.slug}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("studio edits are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("studio edits are append-only")
