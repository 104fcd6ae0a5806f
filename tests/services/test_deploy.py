"""The production set-up of docs/deploy.md, checked with deploy/crisis-table.env.sample.

These need no running service (``check --deploy`` and ``collectstatic`` open no connection),
so they run in every ``make test``, not only in the service-backed pass.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from .live import ROOT, Server

SAMPLE = ROOT / "deploy" / "crisis-table.env.sample"
STATIC_FILE = "admin/css/base.css"  # shipped by Django itself, so always there


def production_env(**extra: str) -> dict[str, str]:
    """The sample env file, as systemd's EnvironmentFile reads it, over a clean environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "CT_"))}
    for line in SAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip()
    return {**env, **extra}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


REAL_KEY = "kJ3n8Qx2VbT5mZr7Lw9Yc4Hd6Fg1Ps0Ae-" + "u8Ri3Oq5Nt7Mv2Xk4Bz6Wj9Cy1"  # what an operator pastes in


def test_it_passes_check_deploy_with_the_production_env() -> None:
    done = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env(DJANGO_SECRET_KEY=REAL_KEY))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues (0 silenced)." in done.stdout
    assert "WARNING" not in done.stderr + done.stdout


def test_it_flags_the_local_default_secret_key_in_check_deploy() -> None:
    env = production_env(DJANGO_DEBUG="1")
    del env["DJANGO_SECRET_KEY"]
    done = manage("check", "--deploy", env=env)
    assert "security.W009" in done.stdout + done.stderr


def test_it_fails_check_deploy_on_the_samples_placeholder_key() -> None:
    """Issue 9, item 13. Mutation: drop ``exercises/checks.py``'s check and run with DEBUG on: exit 0."""
    done = manage("check", "--deploy", env=production_env(DJANGO_DEBUG="1"))
    assert done.returncode != 0
    assert "crisis_table.E001" in done.stdout + done.stderr
    assert "placeholder" in done.stdout + done.stderr


@pytest.mark.parametrize(
    "key",
    [None, "django-insecure-abcdefghijklmnopqrstuvwxyz0123456789", "CHANGE-ME-kV3q9xT7pL2mN8rB4wZ6yH1cF5gJ0dS"],
    ids=["missing", "insecure-prefix", "placeholder"],
)
def test_it_refuses_to_start_with_debug_off_and_a_weak_key(key: str | None) -> None:
    """Issue 9, item 13: with DEBUG off (or unset) the settings refuse a key no server may use.
    Mutation: make ``DEBUG`` default to True again and unset DJANGO_DEBUG: ``check`` passes."""
    env = production_env()
    env.pop("DJANGO_DEBUG")  # unset means off
    env.pop("DJANGO_SECRET_KEY")
    if key is not None:
        env["DJANGO_SECRET_KEY"] = key
    done = manage("check", env=env)
    assert done.returncode != 0
    assert "Refusing to start with DEBUG off" in done.stderr


def test_it_starts_with_debug_off_and_a_real_key() -> None:
    env = production_env(DJANGO_SECRET_KEY=REAL_KEY)
    env.pop("DJANGO_DEBUG")
    done = manage("shell", "-c", "from django.conf import settings; print('DEBUG', settings.DEBUG)", env=env)
    assert done.returncode == 0, done.stderr
    assert "DEBUG False" in done.stdout


@pytest.fixture
def collected(tmp_path: Path) -> Path:
    root = tmp_path / "staticfiles"
    done = manage(
        "collectstatic", "--noinput", env=production_env(DJANGO_STATIC_ROOT=str(root), DJANGO_SECRET_KEY=REAL_KEY)
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return root


def test_it_collects_hashed_compressed_static_files(collected: Path) -> None:
    manifest = json.loads((collected / "staticfiles.json").read_text())["paths"]
    hashed = manifest[STATIC_FILE]
    assert hashed != STATIC_FILE
    assert (collected / (hashed + ".gz")).exists() or (collected / (hashed + ".br")).exists()


def test_it_serves_static_files_through_whitenoise_from_a_production_worker(collected: Path) -> None:
    hashed = json.loads((collected / "staticfiles.json").read_text())["paths"][STATIC_FILE]
    server = Server(production_env(DJANGO_STATIC_ROOT=str(collected), DJANGO_SECRET_KEY=REAL_KEY)).start()
    try:
        request = urllib.request.Request(
            f"http://127.0.0.1:{server.port}/static/{hashed}",
            headers={"Host": "crisis.example.org", "X-Forwarded-Proto": "https", "Accept-Encoding": "gzip"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
            assert "immutable" in response.headers["Cache-Control"]  # hashed names are cached for good
            assert response.headers.get("Content-Encoding") == "gzip"
    finally:
        server.kill()
