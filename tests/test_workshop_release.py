"""The workshop console's "release to every table" (issue #11): one request, one inject picked or
written once, released at every table as that table's own ``inject_released`` event."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from exercises import engine, services
from exercises.engine import commands as c
from exercises.models import Event

pytestmark = pytest.mark.django_db


def _released(workshop, **payload) -> dict[int, int]:
    """Per table number: how many inject_released events match ``payload``."""
    out = {}
    for table in workshop.tables.order_by("table"):
        events = Event.objects.filter(exercise=table, type="inject_released")
        out[table.table] = sum(1 for e in events if all(e.payload.get(k) == v for k, v in payload.items()))
    return out


@pytest.fixture
def workshop(mini_version, alice):
    workshop = services.create_workshop(scenario=mini_version, title="W", tables=3, by=alice)
    for table in workshop.tables.all():
        services.execute(exercise_id=table.pk, actor=engine.FACILITATOR, command=c.Start())
    return workshop


def test_it_releases_a_scripted_inject_at_every_table_in_one_request(alice_client, workshop):
    """Mutation: release at the first table only (``table_ids[:1]``): tables 2 and 3 get nothing."""
    first = workshop.tables.get(table=1)
    services.execute(exercise_id=first.pk, actor=engine.FACILITATOR, command=c.ReleaseInject(inject="leak_story"))
    url = reverse("workshop_command", args=[workshop.code])
    page = alice_client.post(url, {"type": "release_inject", "inject": "leak_story"}, follow=True).content.decode()
    assert "Released at 2 tables, 1 left as they were." in page
    assert _released(workshop, inject="leak_story") == {1: 1, 2: 1, 3: 1}  # table 1: once, not twice


def test_it_releases_a_written_inject_at_every_table(alice_client, workshop):
    url = reverse("workshop_command", args=[workshop.code])
    form = {"type": "adhoc_inject", "title": "Bridge closed", "text": "The bridge is closed.", "recipients": "all"}
    alice_client.post(url, {**form, "public": "1"})
    assert _released(workshop, title="Bridge closed") == {1: 1, 2: 1, 3: 1}


def test_the_workshop_console_offers_the_release_in_both_languages(alice_client, workshop):
    page = alice_client.get(reverse("workshop_console", args=[workshop.code])).content.decode()
    assert "Release to every table" in page and 'value="leak_story"' in page
    alice_client.post(reverse("switch_language"), {"language": "es"})
    page = alice_client.get(reverse("workshop_console", args=[workshop.code])).content.decode()
    assert "Publicar en todas las mesas" in page


def test_it_refuses_an_outsider_and_a_bad_form_and_changes_nothing(workshop, mallory_client, alice_client):
    """Mutation: drop ``staff_view("run", workshop=True)`` from ``workshop_command``: mallory releases."""
    url = reverse("workshop_command", args=[workshop.code])
    before = Event.objects.filter(exercise__workshop=workshop).count()
    form = {"type": "adhoc_inject", "title": "Fake", "text": "Fake news.", "recipients": "all"}
    assert mallory_client.post(url, form).status_code == 404
    assert Client().post(url, form).status_code == 302  # to the sign-in page
    page = alice_client.post(url, {**form, "title": ""}, follow=True).content.decode()  # no title: says so
    assert "title" in page.lower()
    assert _released(workshop, title="Fake") == {1: 0, 2: 0, 3: 0}
    assert Event.objects.filter(exercise__workshop=workshop).count() == before


@pytest.mark.django_db(transaction=True)
def test_it_releases_on_threads_when_not_inside_a_transaction(mini_version, django_user_model, settings):
    """The threaded path (each table's command on a thread of its own, CT_RELEASE_THREADS)."""
    settings.CRISIS_TABLE = {**settings.CRISIS_TABLE, "RELEASE_THREADS": 4}
    alice = django_user_model.objects.create_user("alice2", password="alice-password-1", is_staff=True)
    workshop = services.create_workshop(scenario=mini_version, title="W", tables=5, by=alice)
    for table in workshop.tables.all():
        services.execute(exercise_id=table.pk, actor=engine.FACILITATOR, command=c.Start())
    browser = Client()
    browser.force_login(alice)
    url = reverse("workshop_command", args=[workshop.code])
    page = browser.post(url, {"type": "release_inject", "inject": "leak_story"}, follow=True).content.decode()
    assert "Released at 5 tables, 0 left as they were." in page
    assert _released(workshop, inject="leak_story") == dict.fromkeys(range(1, 6), 1)
