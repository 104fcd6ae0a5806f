# ruff: noqa: F811  (the review fixtures are imported from tests/test_review.py)
"""Issue 9 over HTTP: sign-in lockout, join codes, classrooms behind one address, seats, share
links made on purpose, settings that fail closed, CSP, safe redirects, CSV cells, the PDF, 403 logs,
presence that expires, and the health probes.

Each test's docstring names the mutation (usually: the code as it was) that turns it red.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from exercises import engine, health, presence, services
from exercises.engine import commands as c
from exercises.models import CODE_ALPHABET, Event, Exercise, Participant, ShareLink, new_code
from review import exports
from tests.test_review import W0, Play, _link, _text, facilitator_client, played, review_version  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "templates"
pytestmark = pytest.mark.django_db


# --------------------------------------------------------------------------- item 1: sign-in lockout


def _sign_in(client: Client, password: str, ip: str = "10.1.1.1"):
    return client.post(reverse("login"), {"username": "alice", "password": password}, REMOTE_ADDR=ip)


def test_it_locks_a_name_out_from_an_address_after_five_failures(db, alice) -> None:
    """Mutation: remove ``axes`` from AUTHENTICATION_BACKENDS: the right password still gets in."""
    client = Client()
    statuses = [_sign_in(client, "not-the-password").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]  # the fifth failure locks
    locked = _sign_in(client, "alice-password-1")  # now even the right password
    assert locked.status_code == 429
    text = locked.content.decode()
    assert "Sign-in locked" in text and "manage.py axes_reset" in text
    assert _sign_in(Client(), "alice-password-1", ip="10.9.9.9").status_code == 302  # another address: not locked
    call_command("axes_reset", verbosity=0)
    assert _sign_in(Client(), "alice-password-1").status_code == 302  # the reset path


@pytest.mark.parametrize(
    ("name", "password", "why"),
    [
        ("zoe", "short-pw-1", "at least 12"),
        ("zoe", "123456789012", "entirely numeric"),
        ("zoe", "password1234", "too common"),
        ("frankenstein", "frankenstein1", "too similar"),
    ],
)
def test_it_refuses_weak_facilitator_passwords(db, name, password, why) -> None:
    """Mutation: only ``MinimumLengthValidator`` with its default 8, as before: these pass."""
    with pytest.raises(CommandError, match=why):
        call_command("createfacilitator", name, "--password", password)


def test_it_prints_a_demo_password_that_meets_the_rules(db) -> None:
    from django.contrib.auth.password_validation import validate_password

    from exercises.management.commands.demo import DEMO_PASSWORD

    validate_password(DEMO_PASSWORD)
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert DEMO_PASSWORD in readme and "(facilitator / crisis-table)" not in readme


# --------------------------------------------------------------------------- item 2: join codes


def test_it_makes_long_codes_from_an_alphabet_read_aloud_easily() -> None:
    """Mutation: ``new_code(length=6)`` (30 bits) as before."""
    codes = {new_code() for _ in range(200)}
    assert all(len(code) == 10 for code in codes)
    assert len(codes) == 200
    assert not set("".join(codes)) & set("01OI")
    assert len(CODE_ALPHABET) ** 10 >= 2**50


def test_it_reads_a_code_typed_in_any_case_with_dashes_or_spaces(mini_table) -> None:
    grouped = f"{mini_table.code[:4]}-{mini_table.code[4:8]} {mini_table.code[8:]}".lower()
    response = Client().post(reverse("find"), {"code": grouped})
    assert response.status_code == 302 and response["Location"] == reverse("join", args=[mini_table.code])


def test_it_throttles_failed_code_look_ups_per_address(mini_table, settings) -> None:
    """Mutation: skip ``throttle.code_misses()`` in ``views.common._lookup``: every guess gets a 404, never 429."""
    settings.CRISIS_TABLE = {**settings.CRISIS_TABLE, "CODE_MISSES": 5}
    guesser = Client(REMOTE_ADDR="10.2.2.2")
    statuses = [guesser.post(reverse("find"), {"code": f"ZZZZZZZZ{n:02d}"}).status_code for n in range(5)]
    assert statuses == [404] * 5
    assert guesser.get(reverse("join", args=["ZZZZZZZZ99"])).status_code == 429  # /join/ counts too
    blocked = guesser.post(reverse("find"), {"code": mini_table.code})  # even a right code, now
    assert blocked.status_code == 429 and blocked["Retry-After"]
    assert "Too many tries from this network" in blocked.content.decode()
    spanish = Client(REMOTE_ADDR="10.2.2.2").get(reverse("join", args=[mini_table.code]), HTTP_ACCEPT_LANGUAGE="es")
    assert spanish.status_code == 429 and "Demasiados intentos" in spanish.content.decode()
    other = Client(REMOTE_ADDR="10.3.3.3").post(reverse("find"), {"code": mini_table.code})
    assert other.status_code == 302  # another address is not punished


# --------------------------------------------------------------------------- item 3: classrooms, seats, floods


def test_it_seats_sixty_students_behind_one_address(mini_table, settings) -> None:
    """A class behind one NAT joins in under two minutes. Mutation: a per-address join limit of 50."""
    settings.CRISIS_TABLE = {**settings.CRISIS_TABLE, "PARTICIPANTS_PER_ROLE": 12}  # 5 roles x 12 = 60 seats
    url = reverse("join", args=[mini_table.code])
    statuses = [Client(REMOTE_ADDR="10.4.4.4").post(url, {"name": f"Student {n}"}).status_code for n in range(60)]
    assert statuses == [302] * 60
    assert Participant.objects.filter(exercise=mini_table).count() == 60
    full = Client(REMOTE_ADDR="10.4.4.4").post(url, {"name": "One too many"})
    assert full.status_code == 400 and "This table is full" in full.content.decode()


def test_it_bounds_joins_from_one_address(mini_table, settings) -> None:
    settings.CRISIS_TABLE = {**settings.CRISIS_TABLE, "JOINS_PER_IP": 3}
    url = reverse("join", args=[mini_table.code])
    statuses = [Client(REMOTE_ADDR="10.5.5.5").post(url, {"name": f"P{n}"}).status_code for n in range(4)]
    assert statuses == [302, 302, 302, 429]


def test_it_caps_seats_per_exercise_from_its_own_figure(mini_table) -> None:
    Exercise.objects.filter(pk=mini_table.pk).update(max_participants=2)
    url = reverse("join", args=[mini_table.code])
    statuses = [Client().post(url, {"name": f"P{n}"}).status_code for n in range(3)]
    assert statuses == [302, 302, 400]


def test_it_lets_the_facilitator_close_joining(alice_client, mini_table) -> None:
    """Mutation: ignore ``join_locked`` in ``services.join``."""
    response = alice_client.post(reverse("join_lock", args=[mini_table.code]), {"locked": "1"})
    assert response.status_code == 302
    refused = Client().post(reverse("join", args=[mini_table.code]), {"name": "Late"})
    assert refused.status_code == 400 and "closed this table to newcomers" in refused.content.decode()
    alice_client.post(reverse("join_lock", args=[mini_table.code]), {"locked": "0"})
    assert Client().post(reverse("join", args=[mini_table.code]), {"name": "Late"}).status_code == 302


def test_it_lets_the_facilitator_remove_a_participant(alice_client, bob, mini_table) -> None:
    """Role freed, recorded as events, the removed browser can neither play nor act."""
    response = alice_client.post(
        reverse("console_command", args=[mini_table.code]),
        {"type": "remove_participant", "participant": bob.participant.pk},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    last = list(Event.objects.filter(exercise=mini_table).order_by("-seq")[:2])
    assert [e.type for e in reversed(last)] == ["role_released", "participant_removed"]
    mini_table.refresh_from_db()
    assert "president" not in mini_table.state["holders"]
    assert bob.get(reverse("play", args=[mini_table.code])).status_code == 302  # back to the join page
    act = bob.post(reverse("play_command", args=[mini_table.code]), {"type": "claim_role", "role": "president"})
    assert act.status_code == 403
    console = alice_client.get(reverse("console", args=[mini_table.code])).content.decode()
    assert "The facilitator removed Bob from the table" in console


# --------------------------------------------------------------------------- item 7: presence expires


def test_it_shows_a_silent_player_as_away_with_when_last_seen(alice_client, bob, mini_table) -> None:
    """A worker killed with SIGKILL never decrements ``connections``; the heartbeat's age decides.

    Mutation: ``presence_of`` = ``connections > 0`` (as before): the player stays "connected"."""
    stale = timezone.now() - timedelta(minutes=5)
    Participant.objects.filter(pk=bob.participant.pk).update(connections=1, last_seen_at=stale)
    page = alice_client.get(reverse("console", args=[mini_table.code])).content.decode()
    badge = re.search(rf'id="presence-{bob.participant.pk}"[^>]*>(.*?)</span>', page, re.S)
    assert badge and "presence-away" in page and "seen 5" in badge.group(1), badge
    presence.beat(mini_table.pk, [bob.participant.pk])  # a worker with Bob's socket beats
    page = alice_client.get(reverse("console", args=[mini_table.code])).content.decode()
    assert f'id="presence-{bob.participant.pk}" class="presence presence-connected"' in page


# --------------------------------------------------------------------------- item 9 (HTTP side): refuse honestly


def test_it_refuses_commands_with_503_while_the_layer_is_down(bob, mini_table, monkeypatch) -> None:
    """Mutation: no ``health.layer_ok()`` gate in ``services.perform``: 200 and the message stored."""
    services.execute(exercise_id=mini_table.pk, actor=engine.FACILITATOR, command=c.Start())
    monkeypatch.setattr(health, "layer_ok", lambda: False)
    before = Event.objects.filter(exercise=mini_table).count()
    url = reverse("play_command", args=[mini_table.code])
    data = {"type": "send_message", "channel": "cabinet", "text": "lost?"}
    response = bob.post(url, data, HTTP_HX_REQUEST="true")
    assert response.status_code == 503 and "lost its connection" in response.content.decode()
    spanish = bob.post(url, data, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="es")
    assert spanish.status_code == 503 and "perdido la conexión" in spanish.content.decode()
    assert Event.objects.filter(exercise=mini_table).count() == before


def test_it_answers_the_health_probes(db, monkeypatch) -> None:
    live = Client().get("/healthz")
    assert live.status_code == 200 and live.json() == {"ok": True}
    ready = Client().get("/readyz").json()
    assert ready["ok"] and ready["database"]["ok"] and ready["channel_layer"]["ok"]
    assert isinstance(ready["database"]["ms"], float | int)
    monkeypatch.setattr(health, "check_layer", lambda: health.Check(False, 500.0, "ConnectionError: refused"))
    down = Client().get("/readyz")
    assert down.status_code == 503 and down.json()["channel_layer"]["error"].startswith("ConnectionError")
    assert Client().get("/healthz").status_code == 200  # alive, just not ready


def test_it_answers_probes_from_the_machine_whatever_the_public_host(db, settings) -> None:
    """systemd and kubelets probe ``http://127.0.0.1:8001``: not an allowed host, not HTTPS.
    Mutation: serve the probes from urls.py instead of ``ProbeMiddleware``: 400 (DisallowedHost)."""
    settings.ALLOWED_HOSTS = ["crisis.example.org"]
    settings.SECURE_SSL_REDIRECT = True
    assert Client().get("/healthz", HTTP_HOST="127.0.0.1:8001").status_code == 200
    ready = Client().get("/readyz", HTTP_HOST="10.0.0.7:8001")
    assert ready.status_code == 200 and "no-cache" in ready["Cache-Control"]


# --------------------------------------------------------------------------- item 12: share links


def test_it_makes_rotates_and_revokes_share_links_on_purpose(played, facilitator_client) -> None:
    """Mutation: look the exercise up by ``share_token`` again: a link is live from creation and
    a revoked one still answers."""
    url = reverse("review:sharing", args=[played.code])
    assert not ShareLink.objects.filter(exercise=played).exists()  # nothing is shared by default
    facilitator_client.post(url, {"act": "create", "expires": "7"})
    first = ShareLink.objects.get(exercise=played)
    assert first.expires_at is not None
    assert Client().get(reverse("review:share", args=[first.token])).status_code == 200
    facilitator_client.post(url, {"act": "rotate"})
    second = ShareLink.objects.filter(exercise=played, revoked_at=None).get()
    assert second.token != first.token
    assert Client().get(reverse("review:share", args=[first.token])).status_code == 404
    assert Client().get(reverse("review:share", args=[second.token])).status_code == 200
    facilitator_client.post(url, {"act": "revoke"})
    assert Client().get(reverse("review:share", args=[second.token])).status_code == 404
    rows = ShareLink.objects.filter(exercise=played)
    assert rows.count() == 2 and all(r.revoked_at and r.revoked_by for r in rows)  # the audit trail
    page = facilitator_client.get(url).content.decode()
    assert page.count("<tr>") == 3  # header + two links in the history


def test_it_expires_share_links(played) -> None:
    link = ShareLink.objects.create(exercise=played, expires_at=timezone.now() - timedelta(seconds=1))
    assert Client().get(reverse("review:share", args=[link.token])).status_code == 404


# --------------------------------------------------------------------------- item 14: CSP


def test_it_sends_a_strict_content_security_policy(mini_table, bob) -> None:
    """Mutation: drop ``csp.middleware.CSPMiddleware``: no header."""
    response = bob.get(reverse("play", args=[mini_table.code]))
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    page = response.content.decode()
    assert '"includeIndicatorStyles":false' in page and '"allowEval":false' in page


def test_it_has_no_inline_handler_or_style_in_any_template() -> None:
    """``hx-on`` needs eval and ``style=`` needs unsafe-inline. The PDF's document (rendered by
    WeasyPrint, never served) may carry its stylesheet inline. Every template folder: the project's
    and each app's (the studio's and the jobs' too).

    Mutation (tried): put back the studio's ``style="width:N%"`` dry-run meters → red."""
    folders = [TEMPLATES, *sorted(ROOT.glob("*/templates"))]
    assert ROOT / "studio" / "templates" in folders and ROOT / "jobs" / "templates" in folders
    offenders = []
    for folder in folders:
        for path in folder.rglob("*.html"):
            text = path.read_text()
            if path.name != "report_document.html" and re.search(r"\shx-on|\sstyle=|<style|<script>|\son[a-z]+=", text):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


# --------------------------------------------------------------------------- item 16: open redirect


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/x", "/\\evil.example", "http:evil"])
def test_it_never_redirects_a_note_off_site(played, facilitator_client, target) -> None:
    """Mutation: the old ``back.startswith("/")`` check alone: ``//evil.example/`` passes."""
    response = facilitator_client.post(reverse("review:add_note", args=[played.code]), {"text": "ok", "next": target})
    assert response.status_code == 302
    assert response["Location"] == reverse("review:overview", args=[played.code])


def test_it_still_goes_back_to_the_page_the_note_came_from(played, facilitator_client) -> None:
    back = reverse("review:timeline", args=[played.code])
    response = facilitator_client.post(reverse("review:add_note", args=[played.code]), {"text": "ok", "next": back})
    assert response["Location"] == back


# --------------------------------------------------------------------------- item 17: CSV formulas


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_it_neutralises_a_cell_a_spreadsheet_would_run(start) -> None:
    assert exports.safe_cell(start + "HYPERLINK(1)") == "'" + start + "HYPERLINK(1)"
    assert exports.safe_cell(-3600) == -3600 and exports.safe_cell("Plain") == "Plain"


def test_it_neutralises_formulas_in_every_csv_export(review_version, facilitator_client) -> None:
    """Mutation: ``csv.writer`` without ``safe_cell`` (as before): the cells start with ``=`` or ``@``."""
    play = Play(review_version)
    play.seat("=cmd|' /C calc'!A0", "president")
    play.do(W0, engine.FACILITATOR, c.Start())
    president = play.actors["president"]
    play.do(W0 + 10, president, c.SendMessage(channel="cabinet", text='=HYPERLINK("http://evil.example","x")'))
    play.do(W0 + 20, president, c.ProposeAction(action="statement", option="total", rationale="@SUM(1+1)*cmd"))
    code = play.exercise.code
    for name in ("messages.csv", "decisions.csv", "events.csv"):
        body = _text(facilitator_client.get(reverse("review:export", args=[code, name])))
        cells = [cell for row in csv.reader(io.StringIO(body)) for cell in row]
        assert not [cell for cell in cells if cell[:1] in ("=", "+", "@", "\t", "\r")], name
        if name != "events.csv":  # there text sits inside the payload's JSON, which starts with {
            assert any(cell.startswith(("'=", "'@")) for cell in cells), name


# --------------------------------------------------------------------------- item 18: the PDF


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext: apt-get install poppler-utils")
def test_it_draws_the_spanish_report_with_its_charts_without_a_browser(played, facilitator_client, monkeypatch) -> None:
    """Mutations (tried): strip the ``<svg class="rv-svg">`` charts from what WeasyPrint draws: no
    axis labels, no stroked lines (red). The chromium printer as before: with no browser found it
    answers 503 (red)."""
    import review.pdf

    seen: list[str] = []
    real = review.pdf.html_to_pdf

    def spy(html: str, base_url: str) -> bytes:
        seen.append(html)
        return real(html, base_url)

    monkeypatch.setattr(review.pdf, "html_to_pdf", spy)
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)  # no browser anywhere
    response = facilitator_client.get(reverse("review:report_pdf", args=[played.code]), HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert seen and '<svg class="rv-svg"' in seen[0]  # the charts are in what was drawn
    text = subprocess.run(
        ["/usr/bin/pdftotext", "-layout", "-", "-"], input=response.content, capture_output=True, check=True
    ).stdout.decode()
    lowered = text.lower()  # the print CSS sets some headings in capitals
    assert "informe posterior a la acción" in lowered
    assert "soberanía" in lowered or "confianza" in lowered  # indicator names, the charts' titles, in Spanish
    charts = text.split("Indicadores a lo largo del tiempo", 1)[1][:3000]  # the report's chart section
    assert "Confianza 60 → 63" in charts and "Soberanía 70 → 45" in charts  # each chart's caption
    # Axis labels under the captions: 100 / 50 / 0 up the side, the phase numbers along the bottom of
    # two charts side by side. (Before the charts were unlocalized, ``x="136,0"`` put every label of
    # the Spanish PDF in the wrong place.)
    assert re.search(r"^\s*100\s+100\s*$", charts, re.M), "no axis labels drawn under the captions"
    assert re.search(r"^\s*1\s+2\s+1\s+2\s*$", charts, re.M), "no phase numbers along the x axes"
    # The step lines are strokes: drawn as vector paths, not text. pdftocairo shows them.
    svg = subprocess.run(["pdftocairo", "-svg", "-", "-"], input=response.content, capture_output=True).stdout
    assert svg.count(b"fill:none;stroke-width") >= 8, "no chart lines in the PDF"


# --------------------------------------------------------------------------- item 19: 403 without tracebacks


def test_it_logs_a_403_without_a_traceback(db, settings) -> None:
    """Mutation: remove the ``quiet_403`` filter from LOGGING: Django attaches the traceback."""
    from django.core.exceptions import PermissionDenied
    from django.core.handlers.exception import response_for_exception
    from django.test import RequestFactory

    handler = next(h for h in logging.getLogger().handlers if isinstance(h, logging.StreamHandler) and h.filters)
    stream = io.StringIO()
    old = handler.setStream(stream)
    try:
        try:
            raise PermissionDenied
        except PermissionDenied as exc:
            response = response_for_exception(RequestFactory().get("/review/X/"), exc)
    finally:
        handler.setStream(old)
    assert response.status_code == 403
    assert "Forbidden (Permission denied): /review/X/" in stream.getvalue()
    assert "Traceback" not in stream.getvalue()


def test_it_answers_a_player_on_a_review_page_with_a_quiet_404(played, caplog) -> None:
    player = Client()
    player.force_login(
        __import__("django.contrib.auth", fromlist=["get_user_model"]).get_user_model().objects.create_user("pia")
    )
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert player.get(reverse("review:overview", args=[played.code])).status_code == 404
    assert not [r for r in caplog.records if r.exc_info]


def test_one_heartbeat_refreshes_every_table_of_the_worker(mini_version, alice, bob, mini_table) -> None:
    """The worker's heartbeat writes the presence of every table's players in one hop
    (``presence.beat_many``, issue #11 part 8): each table's silent player is seen again.

    Mutation (tried): ``beat_many`` writing only the first table (the second stays away)."""
    other = services.create_exercise(scenario=mini_version, title="Other table", by=alice, seed=8)
    eve, _ = services.join(exercise=other, name="Eve")
    stale = timezone.now() - timedelta(minutes=5)
    Participant.objects.filter(pk__in=[bob.participant.pk, eve.pk]).update(connections=1, last_seen_at=stale)
    presence.beat_many({mini_table.pk: [bob.participant.pk], other.pk: {eve.pk}})
    fresh = timezone.now() - timedelta(seconds=presence.ttl())
    for row in Participant.objects.filter(pk__in=[bob.participant.pk, eve.pk]):
        seen = presence.last_seen(row.exercise_id, [row])[row.pk]
        assert seen is not None and seen > fresh, row.name
