from django.apps import AppConfig


def close_request_connections(**kwargs: object) -> None:
    """Close the connections of a finished HTTP request's thread (persistent connections are for
    the WebSocket workers' long-lived database thread; an ASGI request thread is never reused).

    A connection inside a transaction is left alone (a test's ``TestCase`` wraps requests in one).
    """
    from django.db import connections

    for conn in connections.all(initialized_only=True):
        if not conn.in_atomic_block:
            conn.close()


class ExercisesConfig(AppConfig):
    name = "exercises"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core.signals import request_finished

        import exercises.whatif_counterfactual  # noqa: F401  (registers the counterfactual job)

        from . import checks  # noqa: F401  (registers the deploy checks)

        request_finished.connect(close_request_connections, dispatch_uid="ct-close-request-connections")
