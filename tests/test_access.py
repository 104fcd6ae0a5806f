"""Issue 9, item 11: who among the staff may see and do what, on every staff URL and the console socket.

Personas: alice owns the table (she created it); carl is her co-facilitator, eva her evaluator;
otto is another facilitator of the instance; sue a superuser; pablo is signed in without being
staff; and an anonymous visitor. Everyone without a level gets 404, anonymous visitors the
sign-in page.

Mutation: let ``access.level_of`` return "owner" for any staff user (the old "any facilitator runs
and reviews everything"): every ``otto`` case turns red.
"""

from __future__ import annotations

import importlib

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.apps import apps
from django.test import Client
from django.urls import reverse

from config.asgi import application
from exercises import access, services
from exercises.models import Exercise, StaffAccess

from .test_consumers_ui import HOST, ORIGIN, _drain, _send

pytestmark = pytest.mark.django_db

ALLOWED = {
    "view": {"alice", "carl", "eva", "sue"},
    "note": {"alice", "carl", "eva", "sue"},
    "run": {"alice", "carl", "sue"},
    "own": {"alice", "sue"},
}
PEOPLE = ["alice", "carl", "eva", "otto", "sue", "pablo", "anonymous"]

# (method, url name, extra args, form data, need). The table's code goes first in the args.
TABLE_URLS = [
    ("get", "console", [], None, "view"),
    ("post", "console_command", [], {"type": "pause"}, "run"),
    ("post", "console_command", [], {"type": "seat_bot", "role": "adviser"}, "run"),
    ("post", "console_command", [], {"type": "unseat_bot", "role": "adviser"}, "run"),
    ("post", "console_command", [], {"type": "remove_participant", "participant": "nobody"}, "run"),
    ("get", "console_as", ["president"], None, "run"),
    ("get", "console_as_chosen", [], None, "run"),
    ("post", "join_lock", [], {"locked": "1"}, "run"),
    ("get", "review:overview", [], None, "view"),
    ("get", "review:timeline", [], None, "view"),
    ("get", "review:replay", [], None, "view"),
    ("post", "review:add_note", [], {"text": "A note."}, "note"),
    ("get", "review:report", [], None, "view"),
    ("get", "review:report_edit", [], None, "run"),
    ("post", "review:report_edit", [], {"summary": "Edited."}, "run"),
    ("get", "review:report_pdf", [], None, "view"),
    ("get", "review:export", ["events.jsonl"], None, "view"),
    ("get", "review:export", ["messages.csv"], None, "view"),
    ("get", "review:export", ["decisions.csv"], None, "view"),
    ("get", "review:export", ["scenario.yaml"], None, "view"),
    ("get", "review:sharing", [], None, "run"),
    ("post", "review:sharing", [], {"act": "create"}, "run"),
    ("get", "review:people", [], None, "own"),
    ("post", "review:people", [], {"username": "otto", "level": "evaluator"}, "own"),
]
WORKSHOP_URLS: list[tuple[str, str, list[str], dict[str, str] | None, str]] = [
    ("get", "workshop_console", [], None, "view"),
    ("post", "workshop_command", [], {"type": "pause"}, "run"),
    ("post", "workshop_command", [], {"type": "release_inject", "inject": "background"}, "run"),
    ("post", "workshop_command", [], {"type": "adhoc_inject", "title": "T", "text": "x", "recipients": "all"}, "run"),
    ("get", "review:workshop", [], None, "view"),
    ("get", "review:workshop_people", [], None, "own"),
]


@pytest.fixture
def staff(django_user_model, mini_version):
    """The personas, and a workshop of alice's whose first table is the one under test."""
    make = django_user_model.objects.create_user
    people = {
        "alice": make("alice", password="alice-password-1", is_staff=True),
        "carl": make("carl", password="carl-password-1", is_staff=True),
        "eva": make("eva", password="eva-password-1", is_staff=True),
        "otto": make("otto", password="otto-password-1", is_staff=True),
        "sue": make("sue", password="sue-password-1", is_staff=True, is_superuser=True),
        "pablo": make("pablo", password="pablo-password-1"),
    }
    workshop = services.create_workshop(scenario=mini_version, title="Course", tables=2, by=people["alice"])
    table = workshop.tables.order_by("table").first()
    StaffAccess.objects.create(user=people["carl"], workshop=workshop, level=StaffAccess.FACILITATOR)
    StaffAccess.objects.create(user=people["eva"], exercise=table, level=StaffAccess.EVALUATOR)
    StaffAccess.objects.create(user=people["eva"], workshop=workshop, level=StaffAccess.EVALUATOR)
    return people, workshop, table


def _client(people, who: str) -> Client:
    client = Client()
    if who != "anonymous":
        client.force_login(people[who])
    return client


def _check(response, who: str, need: str) -> None:
    location = response.get("Location", "") if response.status_code == 302 else ""
    if who == "anonymous":
        assert response.status_code == 302 and location.startswith(reverse("login")), response.status_code
    elif who in ALLOWED[need]:
        assert response.status_code in (200, 302, 400), response.status_code
        assert not location.startswith(reverse("login"))
    else:
        assert response.status_code == 404, (who, response.status_code)


@pytest.mark.parametrize("who", PEOPLE)
@pytest.mark.parametrize(("method", "name", "extra", "data", "need"), TABLE_URLS, ids=lambda v: str(v))
def test_it_lets_each_role_reach_exactly_its_table_urls(staff, who, method, name, extra, data, need) -> None:
    people, _workshop, table = staff
    url = reverse(name, args=[table.code, *extra])
    response = getattr(_client(people, who), method)(url, data or {})
    _check(response, who, need)


@pytest.mark.parametrize("who", PEOPLE)
@pytest.mark.parametrize(("method", "name", "extra", "data", "need"), WORKSHOP_URLS, ids=lambda v: str(v))
def test_it_lets_each_role_reach_exactly_its_workshop_urls(staff, who, method, name, extra, data, need) -> None:
    people, workshop, _table = staff
    url = reverse(name, args=[workshop.code, *extra])
    response = getattr(_client(people, who), method)(url, data or {})
    _check(response, who, need)


def test_it_changes_nothing_for_those_who_may_not_act(staff) -> None:
    """An evaluator's or an outsider's command is refused before it reaches the log."""
    people, _workshop, table = staff
    for who in ("eva", "otto"):
        _client(people, who).post(reverse("console_command", args=[table.code]), {"type": "start"})
        _client(people, who).post(reverse("review:report_edit", args=[table.code]), {"summary": "Mine now."})
    table.refresh_from_db()
    assert table.status == "lobby"
    assert not table.events.filter(type="report_edited").exists()


def test_it_lists_only_what_each_facilitator_may_see(staff, mini_version) -> None:
    people, workshop, table = staff
    services.create_exercise(scenario=mini_version, title="Otto's own", by=people["otto"])
    otto_home = _client(people, "otto").get(reverse("facilitator_home")).content.decode()
    assert "Otto&#x27;s own" in otto_home and workshop.title not in otto_home
    otto_review = _client(people, "otto").get(reverse("review:index")).content.decode()
    assert table.code not in otto_review
    alice_review = _client(people, "alice").get(reverse("review:index")).content.decode()
    assert table.code in alice_review and "Otto" not in alice_review


def test_it_lets_the_owner_add_and_remove_staff(staff) -> None:
    people, _workshop, table = staff
    alice = _client(people, "alice")
    url = reverse("review:people", args=[table.code])
    assert alice.post(url, {"username": "otto", "level": "facilitator"}).status_code == 302
    assert _client(people, "otto").get(reverse("console", args=[table.code])).status_code == 200
    grant = StaffAccess.objects.get(user=people["otto"], exercise=table)
    assert alice.post(url, {"remove": grant.pk}).status_code == 302
    assert _client(people, "otto").get(reverse("console", args=[table.code])).status_code == 404
    refused = alice.post(url, {"username": "pablo", "level": "evaluator"})  # not a facilitator account
    assert refused.status_code == 400


def test_it_gives_existing_exercises_to_their_creator(staff, mini_version) -> None:
    """The data migration: ownership of what existed before it."""
    people, workshop, table = staff
    loose = services.create_exercise(scenario=mini_version, title="Old", by=people["otto"])
    fork = services.fork(exercise=loose, at_seq=1)  # as ``manage.py fork`` made them before ownership
    Exercise.objects.filter(pk=fork.pk).update(created_by=None)
    Exercise.objects.update(owner=None)
    workshop.__class__.objects.update(owner=None)
    migration = importlib.import_module("exercises.migrations.0003_ownership_sharing_limits_presence")
    migration.owners_from_creators(apps, None)
    assert Exercise.objects.get(pk=loose.pk).owner == people["otto"]
    assert Exercise.objects.get(pk=fork.pk).owner == people["otto"]  # a creator-less fork: its parent's owner
    assert Exercise.objects.get(pk=table.pk).owner == people["alice"]
    assert access.level_of(people["alice"], Exercise.objects.get(pk=table.pk)) == access.OWNER


# --------------------------------------------------------------------------- the console WebSocket


async def _console(client: Client | None, code: str) -> tuple[bool, WebsocketCommunicator]:
    headers = [ORIGIN, HOST]
    if client is not None and "sessionid" in client.cookies:
        headers.append((b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()))
    socket = WebsocketCommunicator(application, f"/ws/exercise/{code}/console/", headers=headers)
    connected, _ = await socket.connect()
    return connected, socket


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("who", PEOPLE)
async def test_it_opens_the_console_socket_to_staff_of_the_table_only(staff, who) -> None:
    people, _workshop, table = staff
    client = await database_sync_to_async(_client)(people, who)
    connected, socket = await _console(client, table.code)
    try:
        assert connected is (who in ALLOWED["view"])
        if not connected:
            return
        await _send(socket, type="start")
        answers = " ".join(await _drain(socket))
        status = await database_sync_to_async(lambda: Exercise.objects.get(pk=table.pk).status)()
        if who in ALLOWED["run"]:
            assert status == "running", (who, status)
        else:  # the evaluator watches
            assert status == "lobby" and "Evaluators watch" in answers
    finally:
        await socket.disconnect()
