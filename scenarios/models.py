from django.conf import settings
from django.db import models


class ScenarioVersion(models.Model):
    """One exact text of a scenario, stored once and never changed.

    An exercise pins a version: editing a file makes a new version (a new content hash)
    and exercises already running keep the snapshot they started with.

    Versions loaded from the library files have no ``created_by``; versions saved in the
    studio name who saved them and the version they were ``derived_from``.
    """

    slug = models.SlugField(max_length=64)
    version = models.PositiveIntegerField(help_text="the file's own 'version:' number")
    title = models.CharField(max_length=200, help_text="English title (cut at 200 characters)")
    content_hash = models.CharField(
        max_length=64, unique=True, help_text="sha256 of the canonical JSON of the snapshot"
    )
    snapshot = models.JSONField(help_text="the raw scenario dict as loaded from the file")
    source = models.CharField(max_length=500, help_text="the file it was loaded from")
    loaded_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="scenario_versions",
        help_text="who saved it in the studio (empty: loaded from a library file)",
    )
    derived_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="derivatives",
        help_text="the version it was edited from (empty: a library file, or a first import)",
    )

    class Meta:
        ordering = ["slug", "-loaded_at"]
        indexes = [models.Index(fields=["slug", "-loaded_at"], name="scenario_slug_latest")]

    def __str__(self) -> str:
        return f"{self.slug} v{self.version} ({self.content_hash[:8]})"


class ArchivedScenario(models.Model):
    """A scenario (every version of a slug) taken off the lists; its exercises keep running."""

    slug = models.SlugField(max_length=64, unique=True)
    archived_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    archived_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.slug
