"""System checks of our own: ``manage.py check --deploy`` fails on a secret key no server may use."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def secret_key_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    from config.settings import weak_secret_key

    reason = weak_secret_key(settings.SECRET_KEY)
    if not reason:
        return []
    return [
        Error(
            f"{reason}.",
            hint="Generate one: python -c 'import secrets; print(secrets.token_urlsafe(50))' (docs/deploy.md).",
            id="crisis_table.E001",
        )
    ]
