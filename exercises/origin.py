"""The WebSocket Origin check: scheme, host and port must match exactly.

Channels' ``AllowedHostsOriginValidator`` compares the Origin's host with ``ALLOWED_HOSTS`` and
ignores the port and the scheme, so a page on ``http://our-host:9999`` (any other service on the
same machine) could open a player's socket with their cookie. Here an Origin is accepted when it is

- the origin of the request itself: the same scheme (``ws`` ↔ ``http``, ``wss`` ↔ ``https``), and the
  same host *and port* as the ``Host`` header, that host being in ``ALLOWED_HOSTS`` (what Django's
  CSRF check does for a form post), or
- listed exactly in ``CT_ALLOWED_ORIGINS`` (``DJANGO_CSRF_TRUSTED_ORIGINS``).

Anything else, and a handshake with no Origin at all, is refused with 403 before the consumer runs.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(scheme: str, host: str, port: int | None) -> tuple[str, str, int]:
    return (scheme, host.lower().strip("[]"), port or DEFAULT_PORTS.get(scheme, 0))


def parse_origin(text: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname or parts.path not in ("", "/"):
        return None
    return _origin(parts.scheme, parts.hostname, port)


def request_origin(scope: dict[str, Any]) -> tuple[str, str, int] | None:
    headers = dict(scope.get("headers") or [])
    host = headers.get(b"host", b"").decode("latin-1")
    if not host:
        return None
    domain, port = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return None
    scheme = "https" if scope.get("scheme") == "wss" else "http"
    return _origin(scheme, domain, int(port) if port.isdigit() else None)


def origin_allowed(scope: dict[str, Any]) -> bool:
    headers = dict(scope.get("headers") or [])
    raw = headers.get(b"origin", b"").decode("latin-1")
    origin = parse_origin(raw) if raw else None
    if origin is None:
        return False
    if origin in {parse_origin(o) for o in getattr(settings, "CT_ALLOWED_ORIGINS", [])}:
        return True
    return origin == request_origin(scope)


class SameOriginValidator:
    """ASGI middleware for the websocket route (config/asgi.py)."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] == "websocket" and not origin_allowed(scope):
            denier = WebsocketDenier()
            return await denier(scope, receive, send)
        return await self.application(scope, receive, send)
