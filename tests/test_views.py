"""The pages and form posts, per view, with personas (see conftest): and people trying to cheat.

alice facilitates; bob (Mexican president), dave (Mexican defence) and carol (US command)
play; erin joined without a role; mallory is signed in but no facilitator.
"""

from __future__ import annotations

import re

import pytest
import yaml
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from exercises import engine, selectors, services
from exercises.engine import commands as c
from exercises.models import Event, Exercise, Participant

pytestmark = pytest.mark.django_db


def _do(browser: Client, exercise: Exercise, htmx: bool = True, **fields):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return browser.post(reverse("play_command", args=[exercise.code]), fields, **headers)


def _console_do(browser: Client, exercise: Exercise, **fields):
    return browser.post(reverse("console_command", args=[exercise.code]), fields, HTTP_HX_REQUEST="true")


def _types(exercise: Exercise) -> list[str]:
    return list(Event.objects.filter(exercise=exercise).order_by("seq").values_list("type", flat=True))


def _start(exercise: Exercise) -> None:
    services.execute(exercise_id=exercise.pk, actor=engine.FACILITATOR, command=c.Start())


# --------------------------------------------------------------------------- home and join


def test_it_shows_the_home_page(client):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert b'name="code"' in response.content


def test_it_finds_an_exercise_by_its_code_however_typed(client, mini_table):
    typed = " " + mini_table.code.lower()[:3] + "-" + mini_table.code.lower()[3:] + " "
    response = client.post(reverse("find"), {"code": typed})
    assert response.status_code == 302
    assert response["Location"] == reverse("join", args=[mini_table.code])


def test_it_says_when_a_code_is_unknown(client, mini_table):
    response = client.post(reverse("find"), {"code": "ZZZZZZ"})
    assert response.status_code == 404
    assert b"No exercise has this code" in response.content


def test_it_joins_with_a_display_name_and_remembers_the_seat(client, mini_table):
    response = client.post(reverse("join", args=[mini_table.code]), {"name": "  Bob  "})
    assert response.status_code == 302
    assert response["Location"] == reverse("play", args=[mini_table.code])
    participant = selectors.participant_for(client.session, mini_table)
    assert participant is not None and participant.name == "Bob"
    mini_table.refresh_from_db()
    assert selectors.state_of(mini_table).participants[participant.pk].name == "Bob"


def test_it_sends_a_seated_browser_straight_to_its_table(bob, mini_table):
    response = bob.get(reverse("join", args=[mini_table.code]))
    assert response.status_code == 302
    assert response["Location"] == reverse("play", args=[mini_table.code])


@pytest.mark.parametrize("name", ["", "   ", "x" * (c.MAX_NAME + 1)])
def test_it_refuses_a_bad_display_name(client, mini_table, name):
    response = client.post(reverse("join", args=[mini_table.code]), {"name": name})
    assert response.status_code == 400
    assert b"Give a display name" in response.content
    assert not Participant.objects.filter(exercise=mini_table).exists()
    assert _types(mini_table) == ["exercise_created"]


def test_it_refuses_to_join_an_ended_exercise(client, mini_table):
    services.execute(exercise_id=mini_table.pk, actor=engine.FACILITATOR, command=c.End())
    response = client.post(reverse("join", args=[mini_table.code]), {"name": "Late"})
    assert response.status_code == 400
    assert b"This exercise has ended" in response.content


def test_it_escapes_a_script_in_a_display_name(mini_table, seat, alice_client):
    seat(mini_table, "<script>alert('x')</script>", "adviser")
    for response in (
        alice_client.get(reverse("console", args=[mini_table.code])),
        alice_client.get(reverse("projector", args=[mini_table.code])),
    ):
        assert b"<script>alert(" not in response.content
        assert b"&lt;script&gt;alert(" in response.content


def test_it_sends_a_stranger_to_the_join_page(client, mini_table):
    response = client.get(reverse("play", args=[mini_table.code]))
    assert response.status_code == 302
    assert response["Location"] == reverse("join", args=[mini_table.code])


def test_it_does_not_let_a_player_act_at_another_table(bob, mini_table, mini_version, alice):
    other = services.create_exercise(scenario=mini_version, title="Other", by=alice)
    assert bob.get(reverse("play", args=[other.code])).status_code == 302  # to the join page
    response = _do(bob, other, type="claim_role", role="president")
    assert response.status_code == 403
    assert _types(other) == ["exercise_created"]


def test_it_404s_an_unknown_code(client):
    assert client.get(reverse("play", args=["NOPE99"])).status_code == 404
    assert client.get(reverse("join", args=["NOPE99"])).status_code == 404


# --------------------------------------------------------------------------- rejoin link


def test_it_rejoins_from_another_device_with_the_personal_link(bob, mini_table):
    phone = Client()
    response = phone.get(reverse("rejoin", args=[bob.participant.token]))
    assert response.status_code == 302
    assert selectors.participant_for(phone.session, mini_table).pk == bob.participant.pk
    page = phone.get(reverse("play", args=[mini_table.code]))
    assert b"You want to travel." in page.content  # bob's private brief


def test_it_404s_an_unknown_rejoin_link(client):
    assert client.get(reverse("rejoin", args=["not-a-token"])).status_code == 404


def test_it_shows_the_rejoin_link_only_to_its_owner(bob, dave, mini_table):
    assert bob.participant.token.encode() in bob.get(reverse("play", args=[mini_table.code])).content
    assert bob.participant.token.encode() not in dave.get(reverse("play", args=[mini_table.code])).content


# --------------------------------------------------------------------------- lobby and roles


def test_it_shows_the_lobby_by_side_with_free_and_taken_roles(erin, bob, mini_table):
    page = erin.get(reverse("play", args=[mini_table.code])).content.decode()
    assert 'id="lobby-roles"' in page
    assert "Mexico" in page and "United States" in page
    assert "Bob" in page  # holds the presidency
    assert 'value="defence"' in page  # free: a claim form
    assert 'value="president"' not in page  # taken: no claim form
    assert "Heads the government." in page  # the one-line brief


def test_it_claims_a_role_with_a_form_post(erin, mini_table):
    response = _do(erin, mini_table, htmx=False, type="claim_role", role="adviser")
    assert response.status_code == 302
    mini_table.refresh_from_db()
    assert selectors.state_of(mini_table).holders["adviser"] == erin.participant.pk


def test_it_says_which_rule_refused_a_claim(erin, bob, mini_table):
    response = _do(erin, mini_table, type="claim_role", role="president")
    assert response.status_code == 200
    assert b"is held by Bob: only a free role can be taken" in response.content
    assert b"role taken" in response.content  # the rule's badge
    assert _types(mini_table)[-1] == "command_rejected"


def test_it_gives_any_free_role_in_fill_order(erin, bob, mini_table):
    response = erin.post(reverse("auto_role", args=[mini_table.code]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    mini_table.refresh_from_db()
    role = selectors.state_of(mini_table).role_of(erin.participant.pk)
    assert role and role != "president" and role != "senate"


def test_it_fills_free_roles_by_fill_order_not_file_order(tmp_path, alice, seat):
    """Fill order differs from file order here (foreign, us_command, adviser, defence after the president).

    Mutations (tried): sort the free roles by file order (drop ``key=lambda r: r.fill_order``) → red
    (adviser first); ``reverse=True`` → red (defence first). The test above passes under both.
    """
    from scenarios.library import latest, sync_library
    from scenarios.loader import load_file
    from tests.conftest import FIXTURES

    raw = load_file(FIXTURES / "mini.yaml")[1]
    raw["slug"] = "mini-fill"
    order = {"president": 1, "foreign": 2, "us_command": 3, "adviser": 4, "defence": 5}
    for role in raw["roles"]:
        if role["id"] in order:
            role["fill_order"] = order[role["id"]]
    (tmp_path / "mini-fill.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True))
    sync_library([tmp_path])
    exercise = services.create_exercise(scenario=latest("mini-fill"), title="Fill order", by=alice, seed=7)
    given = []
    for name in ("Ann", "Ben", "Cat", "Dee", "Eve"):
        player = seat(exercise, name)
        assert player.post(reverse("auto_role", args=[exercise.code]), HTTP_HX_REQUEST="true").status_code == 200
        exercise.refresh_from_db()
        given.append(selectors.state_of(exercise).role_of(player.participant.pk))
    assert given == ["president", "foreign", "us_command", "adviser", "defence"]  # never the senate (an institution)


# --------------------------------------------------------------------------- the player's room


def test_it_shows_a_player_their_own_briefs_and_objectives_only(bob, dave, mini_table):
    page = bob.get(reverse("play", args=[mini_table.code])).content.decode()
    assert "You want to travel." in page  # bob's private brief
    assert "Reach Washington." in page  # bob's objective
    assert "Keep the army out of politics." not in page  # dave's private brief
    assert "Get a Mexican counterpart." not in page  # carol's private brief


def test_it_shows_each_action_with_its_constraints_before_trying(dave, mini_table):
    page = dave.get(reverse("play", args=[mini_table.code])).content.decode()
    assert "Deploy at home" in page
    assert "The army acts at home only on a presidential order." in page  # R5, requires
    assert "needs approval from Senate" in page  # R2 approval
    assert "can go ahead without it, at a cost" in page  # R2 bypass


def test_it_shows_closed_channels_with_their_reason(dave, mini_table):
    page = dave.get(reverse("play", args=[mini_table.code])).content.decode()
    assert "Defence does not recognise the command." in page
    assert re.search(r'id="compose-direct".*?<fieldset disabled', page, re.S)


def test_it_hides_messages_of_channels_a_role_is_not_in(bob, carol, mini_table):
    _start(mini_table)
    assert _do(bob, mini_table, type="send_message", channel="cabinet", text="cabinet secret").content == b""
    assert b"cabinet secret" in bob.get(reverse("play", args=[mini_table.code])).content
    page = carol.get(reverse("play", args=[mini_table.code])).content
    assert b"cabinet secret" not in page
    assert b'id="msgs-cabinet"' not in page


def test_it_hides_hidden_injects_from_other_roles(dave, bob, mini_table, alice_client):
    _start(mini_table)
    _console_do(
        alice_client, mini_table, type="adhoc_inject", title="For defence only", text="psst", recipients="defence"
    )
    assert b"For defence only" in dave.get(reverse("play", args=[mini_table.code])).content
    assert b"For defence only" not in bob.get(reverse("play", args=[mini_table.code])).content
    assert b"For defence only" not in Client().get(reverse("projector", args=[mini_table.code])).content


def test_it_escapes_a_script_in_a_message(bob, dave, mini_table):
    _start(mini_table)
    _do(bob, mini_table, type="send_message", channel="cabinet", text="<script>alert(1)</script>")
    page = dave.get(reverse("play", args=[mini_table.code])).content
    assert b"<script>alert(1)</script>" not in page
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_it_refuses_an_oversized_message(bob, mini_table):
    _start(mini_table)
    before = _types(mini_table)
    response = _do(bob, mini_table, type="send_message", channel="cabinet", text="x" * (c.MAX_MESSAGE + 1))
    assert b"text" in response.content and b"toast" in response.content
    assert _types(mini_table) == before


def test_it_refuses_a_forged_command_for_another_role(bob, mini_table):
    _start(mini_table)
    before = _types(mini_table)
    response = _do(bob, mini_table, type="send_message", channel="cabinet", text="as defence", as_role="defence")
    assert response.status_code == 403
    assert b"You are not allowed to do this." in response.content
    assert _types(mini_table) == before  # an attack is not play: nothing in the log


def test_it_refuses_facilitator_commands_from_a_player(bob, mini_table):
    response = _do(bob, mini_table, type="start")
    assert b"You are not allowed to do this." in response.content
    mini_table.refresh_from_db()
    assert mini_table.status == "lobby"


def test_it_proposes_approves_and_executes_an_action(bob, mini_table, seat):
    adviser = seat(mini_table, "Ann", "adviser")
    _start(mini_table)
    _do(adviser, mini_table, type="propose_action", action="assign_tasks", rationale="Everyone needs a task.")
    page = bob.get(reverse("play", args=[mini_table.code])).content.decode()
    assert "Everyone needs a task." in page and 'name="grant"' in page
    proposal = Event.objects.get(exercise=mini_table, type="action_proposed").seq
    _do(bob, mini_table, type="respond_approval", proposal=str(proposal), grant="1", reason="")
    mini_table.refresh_from_db()
    assert selectors.state_of(mini_table).proposals[proposal].status == "executed"
    assert "carried out" in adviser.get(reverse("play", args=[mini_table.code])).content.decode()


def test_it_offers_decide_anyway_where_a_bypass_exists(dave, mini_table):
    _start(mini_table)
    _do(dave, mini_table, type="propose_action", action="deploy_abroad", rationale="now")
    page = dave.get(reverse("play", args=[mini_table.code])).content.decode()
    assert "Decide anyway" in page
    proposal = Event.objects.get(exercise=mini_table, type="action_proposed").seq
    _do(dave, mini_table, type="decide", proposal=str(proposal))
    mini_table.refresh_from_db()
    assert selectors.state_of(mini_table).proposals[proposal].status == "executed"


def test_it_does_not_show_the_other_sides_secret_decision_as_a_cause(carol, dave, mini_table):
    _start(mini_table)
    _do(dave, mini_table, type="propose_action", action="open_direct", rationale="")
    carols = carol.get(reverse("play", args=[mini_table.code])).content.decode()
    assert "Sovereignty: 70 → 62" in carols  # a public indicator moved
    assert "Open the direct line" not in carols  # but what moved it was Mexico's business
    assert "Open the direct line" in dave.get(reverse("play", args=[mini_table.code])).content.decode()


# --------------------------------------------------------------------------- projector


def test_it_shows_the_projector_public_board_to_anyone(bob, mini_table):
    _start(mini_table)
    page = Client().get(reverse("projector", args=[mini_table.code])).content.decode()
    assert "A calm morning" in page  # a public inject
    assert "<svg" in page and 'class="qr"' in page
    assert mini_table.code in page
    assert "You want to travel." not in page
    assert "Legitimacy" not in page  # visible to Mexico only


# --------------------------------------------------------------------------- facilitator


def test_it_keeps_the_console_for_facilitators(client, mallory_client, bob, mini_table):
    url = reverse("console", args=[mini_table.code])
    for outsider in (client, bob):
        response = outsider.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert mallory_client.get(url).status_code == 404  # signed in, not staff of this table: no such table
    assert mallory_client.post(reverse("console_command", args=[mini_table.code]), {"type": "start"}).status_code == 404
    assert mallory_client.post(reverse("facilitator_home"), {"type": "start"}).status_code == 404  # access.staff_only
    mini_table.refresh_from_db()
    assert mini_table.status == "lobby"


def test_it_shows_the_console_with_code_link_qr_and_every_role(alice_client, bob, mini_table):
    page = alice_client.get(reverse("console", args=[mini_table.code])).content.decode()
    assert mini_table.code in page
    assert reverse("join", args=[mini_table.code]) in page
    assert "<svg" in page
    assert reverse("projector", args=[mini_table.code]) in page
    for title in ("President", "Defence", "US command", "Senate"):
        assert title in page
    assert f'id="presence-{bob.participant.pk}"' in page


def test_it_runs_the_clock_from_the_console(alice_client, mini_table):
    _console_do(alice_client, mini_table, type="start")
    _console_do(alice_client, mini_table, type="pause")
    _console_do(alice_client, mini_table, type="resume")
    _console_do(alice_client, mini_table, type="advance_phase")
    clock = {"exercise_started", "exercise_paused", "exercise_resumed", "phase_changed"}
    assert [t for t in _types(mini_table) if t in clock] == [
        "exercise_started",
        "exercise_paused",
        "exercise_resumed",
        "phase_changed",
    ]
    _console_do(alice_client, mini_table, type="end")
    mini_table.refresh_from_db()
    assert mini_table.status == "ended"


def test_it_releases_an_inject_now_and_counts_receipts(alice_client, dave, mini_table):
    _start(mini_table)
    _console_do(alice_client, mini_table, type="release_inject", inject="leak_story")
    seq = Event.objects.get(exercise=mini_table, type="inject_released", payload__inject="leak_story").seq
    _do(dave, mini_table, type="mark_seen", seq=str(seq))
    page = alice_client.get(reverse("console", args=[mini_table.code])).content.decode()
    assert re.search(r"The plan leaked|Leak", page)
    assert "1/" in page and "Dave" in page


def test_it_writes_an_adhoc_inject(alice_client, bob, mini_table):
    _start(mini_table)
    _console_do(
        alice_client, mini_table, type="adhoc_inject", title="Storm", text="Rain", recipients=["mx"], public="1"
    )
    assert b"Storm" in bob.get(reverse("play", args=[mini_table.code])).content
    assert b"Storm" in Client().get(reverse("projector", args=[mini_table.code])).content


def test_it_adjusts_an_indicator_with_a_reason(alice_client, bob, mini_table):
    _console_do(alice_client, mini_table, type="adjust_indicator", indicator="trust", delta="-7", reason="Press leak")
    mini_table.refresh_from_db()
    assert selectors.state_of(mini_table).indicators["trust"] == 53
    assert b"Press leak" in bob.get(reverse("play", args=[mini_table.code])).content


def test_it_lets_the_facilitator_play_an_unfilled_role(alice_client, bob, mini_table):
    _start(mini_table)
    panel = alice_client.get(reverse("console_as", args=[mini_table.code, "adviser"])).content.decode()
    assert 'name="as_role" value="adviser"' in panel
    _console_do(alice_client, mini_table, type="propose_action", action="assign_tasks", as_role="adviser", rationale="")
    assert "action_proposed" in _types(mini_table)
    # bob holds the presidency: nobody plays him from the console
    panel = alice_client.get(reverse("console_as", args=[mini_table.code, "president"])).content.decode()
    assert "is played by a participant" in panel
    response = _console_do(
        alice_client, mini_table, type="send_message", channel="cabinet", text="hi", as_role="president"
    )
    assert b"is held by a player: only a free role can be taken or played for" in response.content


def test_the_console_role_picker_loads_the_act_as_panel_that_refreshes_itself(alice_client, mini_table):
    """The picker sends ``?role=`` (htmx, no script); the panel it gets reloads itself on ``ct:update``
    from its own URL; no role chosen gives an empty panel. Mutation: the panel without its
    ``hx-get`` (red: it would never refresh)."""
    _start(mini_table)
    chosen = reverse("console_as_chosen", args=[mini_table.code])
    console = alice_client.get(reverse("console", args=[mini_table.code])).content.decode()
    assert f'hx-get="{chosen}"' in console and "data-keep-open" in console
    panel = alice_client.get(chosen, {"role": "adviser"}).content.decode()
    assert 'name="as_role" value="adviser"' in panel
    own = reverse("console_as", args=[mini_table.code, "adviser"])
    assert f'hx-get="{own}"' in panel and 'hx-trigger="ct:update from:body delay:400ms"' in panel
    empty = alice_client.get(chosen, {"role": ""})
    assert empty.status_code == 200 and empty.content == b""
    assert alice_client.get(chosen, {"role": "nobody"}).status_code == 404


def test_it_resolves_an_approval_for_an_institution_nobody_plays(alice_client, bob, mini_table):
    _start(mini_table)
    _do(bob, mini_table, type="propose_action", action="travel", rationale="Go")
    page = alice_client.get(reverse("console", args=[mini_table.code])).content.decode()
    assert 'name="approver" value="senate"' in page
    proposal = Event.objects.get(exercise=mini_table, type="action_proposed").seq
    _console_do(
        alice_client,
        mini_table,
        type="resolve_approval",
        proposal=str(proposal),
        approver="senate",
        grant="0",
        reason="No",
    )
    mini_table.refresh_from_db()
    assert selectors.state_of(mini_table).proposals[proposal].status == "refused"


def test_it_assigns_a_waiting_participant_to_a_role(alice_client, erin, mini_table):
    _console_do(alice_client, mini_table, type="assign_role", participant=erin.participant.pk, role="foreign")
    mini_table.refresh_from_db()
    assert selectors.state_of(mini_table).holders["foreign"] == erin.participant.pk


def test_it_lists_scenarios_and_creates_an_exercise(alice_client, mini_version):
    page = alice_client.get(reverse("facilitator_home")).content.decode()
    assert "Mini crisis" in page
    response = alice_client.post(reverse("create"), {"scenario": "mini", "title": "Tuesday group", "tables": "1"})
    exercise = Exercise.objects.get(title="Tuesday group")
    assert response["Location"] == reverse("console", args=[exercise.code])
    assert exercise.created_by.username == "alice"


def test_it_creates_a_workshop_and_seats_players_at_the_emptiest_table(alice_client, mini_version):
    response = alice_client.post(reverse("create"), {"scenario": "mini", "title": "Workshop", "tables": "3"})
    table = Exercise.objects.filter(workshop__isnull=False).first()
    assert table is not None and table.workshop is not None
    workshop = table.workshop
    assert response["Location"] == reverse("workshop_console", args=[workshop.code])
    seated = []
    for name in ("A", "B", "C", "D"):
        browser = Client()
        response = browser.post(reverse("join", args=[workshop.code]), {"name": name})
        seated.append(response["Location"])
    codes = sorted(t.code for t in workshop.tables.all())
    assert sorted(set(seated[:3])) == sorted(reverse("play", args=[code]) for code in codes)  # one per table first
    page = alice_client.get(reverse("workshop_console", args=[workshop.code])).content.decode()
    for code in codes:
        assert reverse("console", args=[code]) in page
    assert "2 joined" in page and "1 joined" in page


def test_it_lets_a_workshop_player_pick_a_table(mini_version, alice):
    workshop = services.create_workshop(scenario=mini_version, title="W", tables=2, by=alice)
    browser = Client()
    response = browser.post(reverse("join", args=[workshop.code]), {"name": "Pia", "table": "2"})
    assert response["Location"] == reverse("play", args=[workshop.tables.get(table=2).code])


def test_it_starts_and_pauses_every_table_of_a_workshop_at_once(alice_client, mini_version, alice):
    workshop = services.create_workshop(scenario=mini_version, title="W", tables=3, by=alice)
    first = workshop.tables.get(table=1)
    services.execute(exercise_id=first.pk, actor=engine.FACILITATOR, command=c.Start())
    url = reverse("workshop_command", args=[workshop.code])
    response = alice_client.post(url, {"type": "start"}, follow=True)
    assert "2 tables done, 1 left as they were." in response.content.decode()
    assert set(workshop.tables.values_list("status", flat=True)) == {"running"}
    alice_client.post(url, {"type": "pause"})
    assert set(workshop.tables.values_list("status", flat=True)) == {"paused"}
    for table in workshop.tables.all():  # each table's own log records the facilitator's act
        assert table.events.filter(type="exercise_paused", actor="facilitator").count() == 1


def test_it_keeps_workshop_controls_from_players_and_unknown_commands(alice_client, mini_version, alice):
    workshop = services.create_workshop(scenario=mini_version, title="W", tables=2, by=alice)
    url = reverse("workshop_command", args=[workshop.code])
    assert Client().post(url, {"type": "start"}).status_code in (302, 403)
    assert set(workshop.tables.values_list("status", flat=True)) == {"lobby"}
    assert alice_client.post(url, {"type": "end"}).status_code == 400


def test_it_creates_a_facilitator_from_the_command_line(client):
    call_command("createfacilitator", "zoe", "--password", "zoe-password-1")
    login = {"username": "zoe", "password": "zoe-password-1"}
    assert client.post(reverse("login"), login).status_code == 302
    assert client.get(reverse("facilitator_home")).status_code == 200
    call_command("createfacilitator", "zoe", "--password", "zoe-password-2")  # resets, no duplicate
    assert client.post(reverse("login"), {**login, "password": "zoe-password-2"}).status_code == 302


# --------------------------------------------------------------------------- language


def test_it_switches_language_for_the_page_and_the_socket(bob, mini_table):
    response = bob.post(reverse("switch_language"), {"language": "es", "next": reverse("play", args=[mini_table.code])})
    assert response.status_code == 302
    assert bob.session["_language"] == "es"
    page = bob.get(reverse("play", args=[mini_table.code])).content.decode()
    assert 'lang="es"' in page
    assert "Presidente" in page  # scenario text in Spanish
    assert "Quiere viajar." in page  # the private brief too
    assert "Acciones" in page  # the UI's own strings


def test_it_follows_the_browser_language_first_time(client, mini_table):
    page = client.get(reverse("join", args=[mini_table.code]), HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9").content.decode()
    assert "Su nombre" in page or "nombre" in page


def test_it_proposes_a_public_statement_with_an_option(bob, carol, mini_table):
    _start(mini_table)
    page = bob.get(reverse("play", args=[mini_table.code])).content.decode()
    assert 'name="option"' in page and "Within the Constitution" in page
    _do(bob, mini_table, type="propose_action", action="statement", option="constitutional", rationale="Our line")
    mini_table.refresh_from_db()
    assert selectors.state_of(mini_table).statements["mx"]["support"] == ["constitutional"]
    assert (
        "Public statement" in carol.get(reverse("play", args=[mini_table.code])).content.decode()
    )  # statements are public


def test_it_keeps_facilitator_notes_from_players(alice_client, bob, mini_table):
    _console_do(alice_client, mini_table, type="add_note", text="Bob hesitates on R1", role="president")
    assert b"Bob hesitates on R1" in alice_client.get(reverse("console", args=[mini_table.code])).content
    assert b"Bob hesitates on R1" not in bob.get(reverse("play", args=[mini_table.code])).content
    assert b"Bob hesitates on R1" not in Client().get(reverse("projector", args=[mini_table.code])).content
