"""Fixtures shared across the test suite. Append new ones below, one small block each."""

from pathlib import Path

import pytest

from scenarios.loader import load_file

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def mini_path() -> Path:
    """The small valid scenario that exercises every rule kind."""
    return FIXTURES / "mini.yaml"


@pytest.fixture
def mini_raw(mini_path: Path) -> dict:
    """A fresh raw dict of mini.yaml, safe to mutate (each test gets its own copy)."""
    return load_file(mini_path)[1]


# --------------------------------------------------------------------------- screens: personas at a table
# alice runs the exercise (a facilitator); bob plays the Mexican president, dave Mexican
# defence, carol the US command; erin has joined but holds no role; mallory is signed in
# without being a facilitator. Each player is a Django test Client with their own session.


@pytest.fixture
def mini_version(db):
    """mini.yaml stored as a scenario version (the library sync a deployment runs)."""
    from scenarios.library import latest, sync_library

    sync_library([FIXTURES])
    return latest("mini")


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_user("alice", password="alice-password-1", is_staff=True)


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def mallory_client(django_user_model):
    from django.test import Client

    mallory = django_user_model.objects.create_user("mallory", password="mallory-password-1")
    other = Client()
    other.force_login(mallory)
    return other


@pytest.fixture
def mini_table(mini_version, alice):
    from exercises import services

    return services.create_exercise(scenario=mini_version, title="Mini table", by=alice, seed=7)


def _seat(exercise, name: str, role: str = ""):
    """A browser that joined ``exercise`` as ``name`` and, when given, claimed ``role``."""
    from django.urls import reverse

    from exercises import selectors
    from tests.seats import SeatedClient

    browser = SeatedClient()
    response = browser.post(reverse("join", args=[exercise.code]), {"name": name})
    assert response.status_code == 302, response.content[:500]
    exercise.refresh_from_db()
    participant = selectors.participant_for(browser.session, exercise)
    assert participant is not None, "the join left no participant in the session"
    browser.participant = participant
    if role:
        response = browser.post(reverse("play_command", args=[exercise.code]), {"type": "claim_role", "role": role})
        assert response.status_code == 302
        exercise.refresh_from_db()
        assert selectors.state_of(exercise).role_of(browser.participant.pk) == role
    browser.role = role
    return browser


@pytest.fixture
def seat():
    return _seat


@pytest.fixture
def bob(mini_table):
    return _seat(mini_table, "Bob", "president")


@pytest.fixture
def dave(mini_table):
    return _seat(mini_table, "Dave", "defence")


@pytest.fixture
def carol(mini_table):
    return _seat(mini_table, "Carol", "us_command")


@pytest.fixture
def erin(mini_table):
    return _seat(mini_table, "Erin")


# --------------------------------------------------------------------------- throttles start empty


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """Counters live in the cache and in per-process buckets: each test starts with none
    (a primary key reused by the next test must not inherit an emptied bucket)."""
    from django.core.cache import cache

    from exercises import health, throttle

    cache.clear()
    throttle._buckets.clear()
    health._last = (0.0, True)
    yield
