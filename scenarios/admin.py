from django.contrib import admin
from django.http import HttpRequest

from .models import ScenarioVersion


@admin.register(ScenarioVersion)
class ScenarioVersionAdmin(admin.ModelAdmin):
    """Read-only: versions come from files (``load_scenarios``) and exercises pin them."""

    list_display = ["slug", "version", "title", "short_hash", "source", "loaded_at"]
    list_filter = ["slug"]
    search_fields = ["slug", "title", "content_hash"]
    readonly_fields = ["slug", "version", "title", "content_hash", "source", "loaded_at", "snapshot"]

    @admin.display(description="hash")
    def short_hash(self, obj: ScenarioVersion) -> str:
        return obj.content_hash[:12]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ScenarioVersion | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ScenarioVersion | None = None) -> bool:
        return False
