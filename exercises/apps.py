from django.apps import AppConfig


class ExercisesConfig(AppConfig):
    name = "exercises"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        import exercises.whatif  # noqa: F401  (registers the counterfactual job)

        from . import checks  # noqa: F401  (registers the deploy checks)
