"""The studio's pages: who may do what, and what each form does to the scenario.

Personas: alice (facilitator, owns the copy), bob (another facilitator), mallory (signed in,
not staff), and anonymous visitors.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from exercises.models import Exercise, Workshop
from scenarios.library import latest, sync_library
from scenarios.models import ScenarioVersion
from studio import services
from studio.models import Draft, Edit

pytestmark = pytest.mark.django_db
SEPTEMBER = Path(settings.CRISIS_TABLE["SCENARIO_DIRS"][0]) / "september-2001.yaml"
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def sept(db):
    sync_library([SEPTEMBER])
    return latest("september-2001")


@pytest.fixture
def mini(db):
    sync_library([FIXTURES])
    return latest("mini")


@pytest.fixture
def copy_(mini, alice):
    return services.copy_version(mini, by=alice)


@pytest.fixture
def bob_client(django_user_model):
    bob = django_user_model.objects.create_user("bob", password="bob-password-1", is_staff=True)
    client = Client()
    client.force_login(bob)
    return client


def _edit(slug: str, **query) -> str:
    return reverse("studio:edit", args=[slug]) + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def _item_post(client, draft, group: str, index: int | None, **changes):
    """Post an item's form as the browser would: every field as shown, with ``changes`` applied."""
    page = client.get(_edit(draft.slug, panel="x", group=group, item=index if index is not None else ""))
    form_id = f"item-{group}-{index}" if index is not None else f"block-{group}"
    html = page.content.decode()
    start = html.index(f'id="{form_id}"')
    form = html[start : html.index("</form>", start)]
    data = {}
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form):
        data[name] = value
    for name in re.findall(r'<input type="text" name="([^"]+)"(?![^>]*value=)', form):
        data.setdefault(name, "")
    for name, value in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>\n?(.*?)</textarea>', form, re.S):
        data[name] = __import__("html").unescape(value)
    for name in re.findall(r'<input type="checkbox" name="([^"]+)"[^>]*checked', form):
        data[name] = "on"
    for name, value in re.findall(r'<select name="([^"]+)"[^>]*>.*?<option value="([^"]*)" selected', form, re.S):
        data[name] = value
    for key, value in data.items():
        data[key] = __import__("html").unescape(value)
    data.update(changes)
    return client.post(reverse("studio:save_item", args=[draft.slug]), data)


# --------------------------------------------------------------------------- access


def test_the_studio_is_for_facilitators_only(mini, mallory_client, client):
    """Anonymous visitors sign in; a signed-in account that is not staff gets 404, as on every
    staff page (issue #9: a page you may not see does not exist for you)."""
    url = reverse("studio:library")
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert mallory_client.get(url).status_code == 404
    assert mallory_client.post(reverse("studio:copy", args=["mini"])).status_code == 404
    assert mallory_client.get(reverse("studio:scenario", args=["mini"])).status_code == 404
    assert not Draft.objects.exists()


def test_a_superuser_may_fix_a_colleagues_copy(copy_, django_user_model):
    """``can_edit``: the owner, plus superusers (operators); nobody else (docs/studio.md)."""
    root = django_user_model.objects.create_user("root", password="root-password-1", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(root)
    assert client.get(_edit(copy_.slug)).status_code == 200
    client.post(reverse("studio:save_yaml", args=[copy_.slug]), {"text": copy_.text.replace("Mini", "Mini fixed", 1)})
    copy_.refresh_from_db()
    assert "Mini fixed" in copy_.text and copy_.owner.username == "alice"
    assert Edit.objects.filter(slug=copy_.slug, user=root).exists()


def test_a_scenario_page_names_only_the_exercises_you_may_see(copy_, alice, alice_client, bob_client):
    """Which exercises use a version: yours by code; other facilitators' counted, not named (a
    code is a join code). Mutation: drop the ``pk__in=mine`` filter → bob sees alice's code."""
    from studio import services as studio_services

    mine = studio_services.start(copy_.base, by=alice, title="Alice's class")
    page = bob_client.get(reverse("studio:scenario", args=[copy_.slug])).content.decode()
    assert mine.code not in page and "1 of other facilitators" in page
    assert "started an exercise" in page  # the edit log says what happened, without the code
    page = alice_client.get(reverse("studio:scenario", args=[copy_.slug])).content.decode()
    assert mine.code in page and "of other facilitators" not in page


def test_only_the_owner_changes_a_copy(copy_, bob_client):
    """bob may read and copy alice's scenario but not change it (404: it is not his to edit).

    Mutation: ``can_edit`` returning ``is_facilitator(user)`` (bob's save goes through: red)."""
    for url in (_edit(copy_.slug), reverse("studio:draft_yaml", args=[copy_.slug])):
        assert bob_client.get(url).status_code == 404
    before = copy_.text
    for name in ("save_item", "save_yaml", "add_item", "remove_item", "cut", "save_translations", "archive"):
        response = bob_client.post(
            reverse(f"studio:{name}", args=[copy_.slug]),
            {"text": "slug: x", "group": "injects", "index": "0", "keep": "1"},
        )
        assert response.status_code == 404, name
    copy_.refresh_from_db()
    assert copy_.text == before
    assert bob_client.get(reverse("studio:scenario", args=[copy_.slug])).status_code == 200
    assert bob_client.post(reverse("studio:copy", args=[copy_.slug])).status_code == 302


def test_shipped_scenarios_are_read_only(mini, alice_client):
    assert alice_client.get(_edit("mini")).status_code == 404
    assert alice_client.post(reverse("studio:save_yaml", args=["mini"]), {"text": "slug: mini"}).status_code == 404
    page = alice_client.get(reverse("studio:library")).content.decode()
    row = page[page.index('data-slug="mini"') :]
    row = row[: row.index("</tr>")]
    assert "shipped" in row and "studio:edit" not in row and "/edit/" not in row


# --------------------------------------------------------------------------- library and scenario pages


def test_the_library_lists_versions_authors_and_uses(mini, copy_, alice_client):
    Exercise.objects.create(title="t", scenario=copy_.base, seed=1)
    page = alice_client.get(reverse("studio:library")).content.decode()
    assert copy_.slug in page and "yours" in page and "library file" in page and "1 exercise" in page
    mine = alice_client.get(reverse("studio:library") + "?show=mine").content.decode()
    assert 'data-slug="mini"' not in mine and f'data-slug="{copy_.slug}"' in mine
    page = alice_client.get(reverse("studio:scenario", args=[copy_.slug])).content.decode()
    assert copy_.base.content_hash[:12] in page and "alice" in page


def test_copy_makes_my_draft_and_opens_the_editor(mini, alice_client, alice):
    response = alice_client.post(reverse("studio:copy", args=["mini"]), {"version": mini.pk})
    draft = Draft.objects.get(owner=alice)
    assert response["Location"] == reverse("studio:edit", args=[draft.slug])
    assert alice_client.get(response["Location"]).status_code == 200


def test_every_panel_renders(copy_, alice_client):
    for panel in (
        "overview",
        "roles",
        "channels",
        "indicators",
        "phases",
        "injects",
        "actions",
        "pressures",
        "debrief",
        "translations",
        "yaml",
    ):
        response = alice_client.get(_edit(copy_.slug, panel=panel))
        assert response.status_code == 200, panel
    for group, index in (("roles", 0), ("injects", 1), ("actions", 2), ("topics", 0), ("sides", 0)):
        page = alice_client.get(_edit(copy_.slug, panel="x", group=group, item=index)).content.decode()
        assert f'id="item-{group}-{index}"' in page


# --------------------------------------------------------------------------- editing


def test_saving_an_untouched_form_changes_nothing(copy_, alice_client):
    """Every field as shown, posted back: the same dict (no version, no text change)."""
    for group, index in (
        ("roles", 0),
        ("injects", 0),
        ("actions", 0),
        ("channels", 0),
        ("overview", None),
        ("instructor", None),
    ):
        before = Draft.objects.get(pk=copy_.pk)
        _item_post(alice_client, before, group, index)
        after = Draft.objects.get(pk=copy_.pk)
        assert after.raw == before.raw, group
    assert ScenarioVersion.objects.filter(slug=copy_.slug).count() == 1


def test_an_item_save_with_a_mistake_shows_it_at_its_field_and_links_there(copy_, alice_client):
    """Mutation: ``place`` ignoring the known anchors (the link points at the item, not the box: red)."""
    response = _item_post(
        alice_client,
        copy_,
        "injects",
        0,
        **{"title-es": "", "trigger": "{indicator: trsut, op: lt, value: 40}", "at": ""},
    )
    draft = Draft.objects.get(pk=copy_.pk)
    # The loader checks references once the shape is right: first the empty text, then the unknown indicator.
    assert [p["location"] for p in draft.problems] == ["injects[0].title.es"]
    page = alice_client.get(response["Location"]).content.decode()
    assert (
        f'href="/studio/s/{copy_.slug}/edit/?panel=injects&amp;group=injects&amp;item=0#f-injects-0-title-es"' in page
    )
    response = _item_post(alice_client, draft, "injects", 0, **{"title-es": "Algo"})
    draft = Draft.objects.get(pk=copy_.pk)
    assert [p["location"] for p in draft.problems] == ["injects[0].trigger.indicator"]
    page = alice_client.get(response["Location"]).content.decode()
    assert f'href="/studio/s/{copy_.slug}/edit/?panel=injects&amp;group=injects&amp;item=0#f-injects-0-trigger"' in page
    assert "unknown indicator &#x27;trsut&#x27; (did you mean &#x27;" in page
    box = re.search(r'<textarea[^>]*id="f-injects-0-trigger"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in box and "f-injects-0-trigger-err-1" in box
    assert not Draft.objects.get(pk=copy_.pk).valid and draft.base.version == 1


def test_the_problems_speak_spanish_to_a_spanish_facilitator(copy_, alice_client):
    """Mutation: ``problems.message`` returning the stored English (red)."""
    _item_post(
        alice_client,
        copy_,
        "injects",
        0,
        **{"title-es": "", "trigger": "{indicator: trsut, op: lt, value: 40}", "at": ""},
    )
    alice_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    page = alice_client.get(_edit(copy_.slug, panel="injects")).content.decode()
    assert "no puede estar vacío" in page and "must not be empty" not in page
    _item_post(alice_client, Draft.objects.get(pk=copy_.pk), "injects", 0, **{"title-es": "Algo"})
    page = alice_client.get(_edit(copy_.slug, panel="injects")).content.decode()
    assert "indicador &#x27;trsut&#x27; no existe (¿quiso decir &#x27;" in page
    assert "unknown indicator" not in page


def test_a_yaml_box_that_does_not_parse_is_kept_and_named(copy_, alice_client):
    _item_post(alice_client, copy_, "injects", 0, trigger="{indicator: [", at="")
    draft = Draft.objects.get(pk=copy_.pk)
    assert draft.raw["injects"][0]["trigger"] == "{indicator: ["
    assert any(p["location"] == "injects[0].trigger" and "invalid YAML" in p["message"] for p in draft.problems)


def test_fixing_the_mistakes_makes_a_new_version(copy_, alice_client):
    _item_post(alice_client, copy_, "injects", 0, **{"title-es": ""})
    assert not Draft.objects.get(pk=copy_.pk).valid
    _item_post(alice_client, Draft.objects.get(pk=copy_.pk), "injects", 0, **{"title-es": "Un título"})
    draft = Draft.objects.get(pk=copy_.pk)
    assert draft.valid and draft.base.version == 2 and draft.raw["injects"][0]["title"]["es"] == "Un título"
    assert Edit.objects.filter(draft=draft, action="save").count() == 2


def test_add_and_remove_an_item(copy_, alice_client):
    count = len(copy_.raw["injects"])
    response = alice_client.post(
        reverse("studio:add_item", args=[copy_.slug]), {"group": "injects", "revision": copy_.revision}
    )
    assert response["Location"].endswith(f"item={count}#item-injects-{count}")
    draft = Draft.objects.get(pk=copy_.pk)
    assert len(draft.raw["injects"]) == count + 1 and not draft.valid  # a new inject has empty texts
    alice_client.post(
        reverse("studio:remove_item", args=[copy_.slug]),
        {"group": "injects", "index": count, "revision": draft.revision},
    )
    draft = Draft.objects.get(pk=copy_.pk)
    assert len(draft.raw["injects"]) == count and draft.valid


def test_a_form_from_an_older_revision_is_refused(copy_, alice_client):
    old = copy_.revision
    alice_client.post(reverse("studio:save_yaml", args=[copy_.slug]), {"text": copy_.text + "# a\n", "revision": old})
    response = alice_client.post(
        reverse("studio:save_yaml", args=[copy_.slug]), {"text": "slug: gone\n", "revision": old}, follow=True
    )
    assert "saved elsewhere" in response.content.decode()
    assert Draft.objects.get(pk=copy_.pk).text.endswith("# a\n")


def test_the_cut_tool_shortens_the_scenario(sept, alice, alice_client):
    draft = services.copy_version(sept, by=alice)
    alice_client.post(reverse("studio:cut", args=[draft.slug]), {"keep": "3", "revision": draft.revision})
    draft.refresh_from_db()
    assert [p["id"] for p in draft.raw["phases"]] == ["prelude", "first_day", "cabinet_split"]
    assert draft.valid and draft.base.version == 2
    assert Edit.objects.filter(draft=draft, action="tool", detail__tool="cut").exists()


def test_the_yaml_tab_saves_text_as_typed(copy_, alice_client):
    text = "# comment kept\n" + copy_.text.replace("version: 1", "version: 1")
    alice_client.post(reverse("studio:save_yaml", args=[copy_.slug]), {"text": text + "\n", "revision": copy_.revision})
    draft = Draft.objects.get(pk=copy_.pk)
    assert draft.text.startswith("# comment kept\n")


def test_translations_side_by_side_report_and_fix(copy_, alice_client):
    raw = copy_.raw
    english = raw["injects"][0]["title"]["en"]
    _item_post(alice_client, copy_, "injects", 0, **{"title-en": english + " (updated)"})
    page = alice_client.get(_edit(copy_.slug, panel="translations")).content.decode()
    assert "injects[0].title" in page and "stale" in page
    rows = re.findall(r'name="(t-(\d+)-loc)" value="([^"]+)"', page)
    n = next(number for _name, number, loc in rows if loc == "injects[0].title")
    alice_client.post(
        reverse("studio:save_translations", args=[copy_.slug]),
        {f"t-{n}-loc": "injects[0].title", f"t-{n}-ok": "1", "revision": Draft.objects.get(pk=copy_.pk).revision},
    )
    page = alice_client.get(_edit(copy_.slug, panel="translations")).content.decode()
    assert "injects[0].title" not in page


def test_a_missing_spanish_text_blocks_the_version(copy_, alice_client):
    """The schema's rule: both languages, or no version."""
    draft = Draft.objects.get(pk=copy_.pk)
    alice_client.post(
        reverse("studio:save_translations", args=[copy_.slug]),
        {"t-0-loc": "title", "t-0-en": "New", "t-0-es": "", "revision": draft.revision},
    )
    draft.refresh_from_db()
    assert not draft.valid and [p["location"] for p in draft.problems] == ["title.es"]
    assert draft.base.version == 1


# --------------------------------------------------------------------------- import, export, diff, preview, start


def test_import_by_upload_and_by_paste(mini, alice_client):
    upload = SimpleUploadedFile(
        "class.yaml", Path(FIXTURES / "mini.yaml").read_bytes().replace(b"slug: mini", b"slug: class")
    )
    response = alice_client.post(reverse("studio:import"), {"file": upload})
    draft = Draft.objects.get(slug="class")
    assert response["Location"] == reverse("studio:edit", args=["class"]) and draft.valid
    response = alice_client.post(reverse("studio:import"), {"text": "slug: pasted\ntitle: oops\n"})
    draft = Draft.objects.get(slug="pasted")
    assert not draft.valid and draft.problems
    page = alice_client.get(response["Location"]).content.decode()
    assert "expected text in both languages" in page


def test_import_refusals_store_nothing(alice_client, db):
    response = alice_client.post(
        reverse("studio:import"), {"file": SimpleUploadedFile("x.yaml", b"a: &x 1\nb: *x\n")}, follow=True
    )
    assert "aliases" in response.content.decode() and not Draft.objects.exists()


def test_export_diff_and_preview(copy_, alice_client):
    raw = {**copy_.raw, "summary": {"en": "A new summary.", "es": "Un resumen nuevo."}}
    services.save_raw(Draft.objects.get(pk=copy_.pk), raw=raw, by=copy_.owner)
    old, new = ScenarioVersion.objects.filter(slug=copy_.slug).order_by("pk")
    diff = alice_client.get(reverse("studio:diff") + f"?a={old.pk}&b={new.pk}").content.decode()
    assert re.search(r"<ins>[^<]*A new summary\.[^<]*</ins>", diff) and "<del>" in diff
    assert b"slug: " + copy_.slug.encode() in alice_client.get(reverse("studio:export", args=[new.pk, "yaml"])).content
    assert alice_client.get(reverse("studio:export", args=[new.pk, "xlsx"])).content.startswith(b"PK")
    assert alice_client.get(reverse("studio:export", args=[new.pk, "csv"])).content.startswith(b"id,time,phase")
    preview = alice_client.get(reverse("studio:preview", args=[new.pk]) + "?role=president").content.decode()
    assert "role-header" in preview and "inert" in preview
    assert alice_client.get(reverse("studio:preview", args=[new.pk]) + "?role=senate").status_code == 404  # not played


def test_start_an_exercise_or_a_workshop_from_any_version(copy_, alice_client):
    response = alice_client.post(
        reverse("studio:start", args=[copy_.slug]), {"version": copy_.base.pk, "title": "Class"}
    )
    exercise = Exercise.objects.get(title="Class")
    assert response["Location"] == reverse("console", args=[exercise.code]) and exercise.scenario == copy_.base
    response = alice_client.post(reverse("studio:start", args=[copy_.slug]), {"version": copy_.base.pk, "tables": "2"})
    workshop = Workshop.objects.get()
    assert response["Location"] == reverse("workshop_console", args=[workshop.code])
    other = latest("mini")
    assert alice_client.post(reverse("studio:start", args=[copy_.slug]), {"version": other.pk}).status_code == 404


def test_archived_copies_leave_the_facilitator_home(copy_, alice_client):
    assert f'value="{copy_.slug}"' in alice_client.get(reverse("facilitator_home")).content.decode()
    alice_client.post(reverse("studio:archive", args=[copy_.slug]))
    alice_client.get(reverse("studio:scenario", args=[copy_.slug]))  # shows (and uses up) the message naming it
    assert f'value="{copy_.slug}"' not in alice_client.get(reverse("facilitator_home")).content.decode()
    assert f'data-slug="{copy_.slug}"' not in alice_client.get(reverse("studio:library")).content.decode()
    assert copy_.slug in alice_client.get(reverse("studio:library") + "?archived=1").content.decode()


def test_an_injects_sender_reaches_players_and_its_note_only_the_console(copy_, alice, alice_client, seat):
    """``from`` is shown on the players' card; the controller's note (``instructor``, bilingual) on
    the console once, in the facilitator's language, never to players.

    Mutation: put the note back on the console's inject table as well → it shows twice (red)."""
    raw = {**copy_.raw}
    raw["injects"] = [dict(i) for i in raw["injects"]]
    attack = next(i for i in raw["injects"] if i["id"] == "attack")
    attack["from"] = {"en": "Wire services", "es": "Agencias de noticias"}
    attack["instructor"] = {"en": "Read it aloud if the room is quiet.", "es": "Léalo en voz alta si la sala calla."}
    saved = services.save_raw(Draft.objects.get(pk=copy_.pk), raw=raw, by=alice)
    assert saved.draft.valid
    exercise = services.start(saved.version, by=alice)
    console = alice_client.get(reverse("console", args=[exercise.code])).content.decode()
    assert console.count("Read it aloud if the room is quiet.") == 1
    alice_client.cookies["django_language"] = "es"
    console = alice_client.get(reverse("console", args=[exercise.code])).content.decode()
    assert console.count("Léalo en voz alta si la sala calla.") == 1 and "Read it aloud" not in console
    alice_client.cookies["django_language"] = "en"
    player = seat(exercise, "Bob", "president")
    alice_client.post(
        reverse("console_command", args=[exercise.code]),
        {"type": "release_inject", "inject": "attack"},
        HTTP_HX_REQUEST="true",
    )
    page = player.get(reverse("play", args=[exercise.code])).content.decode()
    assert "from: Wire services" in page
    assert "Read it aloud" not in page and "Léalo" not in page


def test_the_editor_edits_the_controller_note_in_both_languages(copy_, alice_client):
    """The inject form's controller note is ``instructor.en`` / ``instructor.es``; empty both: none."""
    response = _item_post(
        alice_client,
        copy_,
        "injects",
        0,
        **{"instructor-en": "Pause after reading.", "instructor-es": "Haga una pausa tras leerlo."},
    )
    assert response.status_code == 302
    draft = Draft.objects.get(pk=copy_.pk)
    assert draft.raw["injects"][0]["instructor"] == {"en": "Pause after reading.", "es": "Haga una pausa tras leerlo."}
    assert "note" not in draft.raw["injects"][0] and draft.valid
    page = alice_client.get(_edit(copy_.slug, panel="injects")).content.decode()
    assert "Pause after reading." in page  # the MSEL table's note column
    _item_post(alice_client, draft, "injects", 0, **{"instructor-en": "", "instructor-es": ""})
    assert "instructor" not in Draft.objects.get(pk=copy_.pk).raw["injects"][0]
