from django.apps import AppConfig


class StudioConfig(AppConfig):
    name = "studio"
    verbose_name = "Scenario studio"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import dryrun  # noqa: F401 - registers the dry-run job
