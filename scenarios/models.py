from django.db import models


class ScenarioVersion(models.Model):
    """One exact text of a scenario, stored once and never changed.

    An exercise pins a version: editing a file makes a new version (a new content hash)
    and exercises already running keep the snapshot they started with.
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

    class Meta:
        ordering = ["slug", "-loaded_at"]
        indexes = [models.Index(fields=["slug", "-loaded_at"], name="scenario_slug_latest")]

    def __str__(self) -> str:
        return f"{self.slug} v{self.version} ({self.content_hash[:8]})"
