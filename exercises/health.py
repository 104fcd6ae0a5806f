"""Is this worker fit to serve? The checks behind /healthz and /readyz, and the command gate.

- ``/healthz`` (liveness): the process answers. Restart it when this fails.
- ``/readyz`` (readiness): the database and the channel layer answer, each with how long it
  took. Take the worker out of the pool while this fails.
- ``layer_ok()``: asked before every command from a browser (``services.perform``). With the
  layer down a stored command would reach this worker's players and not the others', so the
  worker refuses with 503 until the layer is back. The answer is cached for a second, so a
  command costs at most one Redis PING per second per process.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers

CACHE_SECONDS = 1.0
TIMEOUT = 0.5  # seconds a check may take before it counts as down


@dataclass(frozen=True)
class Check:
    ok: bool
    ms: float
    error: str = ""

    def as_dict(self) -> dict[str, object]:
        return {"ok": self.ok, "ms": round(self.ms, 2), **({"error": self.error} if self.error else {})}


def _timed(probe) -> Check:
    started = time.perf_counter()
    try:
        probe()
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"; say which
        return Check(False, (time.perf_counter() - started) * 1000, f"{type(exc).__name__}: {exc}"[:200])
    return Check(True, (time.perf_counter() - started) * 1000)


def check_database() -> Check:
    def probe() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")

    return _timed(probe)


_redis_client = None
_redis_lock = threading.Lock()


def _redis():
    global _redis_client
    with _redis_lock:
        if _redis_client is None:
            import redis

            _redis_client = redis.Redis.from_url(
                settings.REDIS_URL, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT, retry_on_timeout=False
            )
        return _redis_client


def layer_backend() -> str:
    return settings.CHANNEL_LAYERS["default"]["BACKEND"]


def check_layer() -> Check:
    """The in-memory layer lives in this process and is always up; Redis is asked for a PING."""
    if "redis" not in layer_backend().lower():
        return Check(True, 0.0)
    return _timed(lambda: _redis().ping())


_last: tuple[float, bool] = (0.0, True)


def layer_ok() -> bool:
    global _last
    stamp, ok = _last
    now = time.monotonic()
    if now - stamp < CACHE_SECONDS:
        return ok
    ok = check_layer().ok
    _last = (now, ok)
    return ok


PROBES = {"/healthz", "/readyz"}


def healthz() -> HttpResponse:
    """Liveness: the process answers requests. No dependency is asked."""
    return JsonResponse({"ok": True})


def readyz() -> HttpResponse:
    """Readiness: the database and the channel layer answer (with how long each took)."""
    checks = {"database": check_database(), "channel_layer": check_layer()}
    ok = all(check.ok for check in checks.values())
    body = {"ok": ok, **{name: check.as_dict() for name, check in checks.items()}}
    return JsonResponse(body, status=200 if ok else 503)


class ProbeMiddleware:
    """First in MIDDLEWARE: answers the probes before anything else looks at the request.

    A probe comes from the machine itself (``curl http://127.0.0.1:8001/readyz``, a kubelet with
    the pod's address): its Host is not a public name in ALLOWED_HOSTS, and it speaks plain HTTP
    where SECURE_SSL_REDIRECT would redirect it. Neither matters for a probe, and nothing else is
    served here; nginx keeps both paths off the internet (deploy/nginx.conf).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info in PROBES and request.method in ("GET", "HEAD"):
            response = healthz() if request.path_info == "/healthz" else readyz()
            add_never_cache_headers(response)
            return response
        return self.get_response(request)
