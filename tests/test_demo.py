"""``manage.py demo`` (run by ``make run``): every link it prints works for whom it is printed.

Mutation (tried): pick any lobby exercise called "Demo ·" whoever owns it (as before ownership):
with another account's demo table in the database, the printed console link answers 404.
"""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from exercises import services
from exercises.management.commands.demo import DEMO_PASSWORD, DEMO_USER
from scenarios.library import latest, sync_library

pytestmark = pytest.mark.django_db


def test_every_printed_link_opens(django_user_model) -> None:
    sync_library()
    someone = django_user_model.objects.create_user("someone", password="someone-password-1", is_staff=True)
    services.create_exercise(scenario=latest("september-2001"), title="Demo · someone else's", by=someone)
    out = StringIO()
    call_command("demo", stdout=out)
    links = dict(
        re.findall(
            r"^\s+(Console|Players join|Projector|Review|Studio)\s+http://127\.0\.0\.1:8000(\S+)", out.getvalue(), re.M
        )
    )
    assert set(links) == {"Console", "Players join", "Projector", "Review", "Studio"}
    facilitator = Client()
    user = django_user_model.objects.get(username=DEMO_USER)
    assert user.check_password(DEMO_PASSWORD) and user.is_staff
    facilitator.force_login(user)
    for name in ("Console", "Review", "Studio"):
        assert facilitator.get(links[name]).status_code == 200, name
    for name in ("Players join", "Projector"):
        assert Client().get(links[name]).status_code == 200, name
    out2 = StringIO()
    call_command("demo", stdout=out2)  # run again (make run twice): the same table, not a new one
    assert re.search(r"code (\w+)", out.getvalue()).group(1) == re.search(r"code (\w+)", out2.getvalue()).group(1)
