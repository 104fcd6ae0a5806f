"""Numbers the browser parses are never localized; the Spanish catalogue is complete (issue #12, item 7).

The Spanish review drew its charts with decimal commas (``y1="136,0"``): Django's number
localization applies to template output, and an SVG coordinate is not text for people. Every page
that serves an SVG is fetched here in both languages and each ``<svg>`` is parsed with
``xml.etree``; every numeric attribute must parse as a float (``points`` and ``viewBox`` too).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from django.test import Client

from exercises.bots import simulate
from exercises.models import Exercise, ShareLink
from scenarios.library import latest, sync_library

ROOT = Path(__file__).resolve().parents[1]
NUMERIC = {"x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "r", "rx", "ry", "width", "height", "dy", "dx", "stroke-width"}
LISTS = {"viewBox", "points"}
SVG = re.compile(r"<svg\b.*?</svg>", re.S)


def _numbers_ok(svg: str, where: str) -> int:
    """Parse one SVG; every numeric attribute a float. Returns how many numbers were checked."""
    root = ET.fromstring(svg)  # noqa: S314 - our own output, parsed in a test
    checked = 0
    for element in root.iter():
        for name, value in element.attrib.items():
            local = name.split("}")[-1]
            if local in NUMERIC and value and not value.endswith("%"):
                float(value.removesuffix("px"))  # ValueError on "136,0"
                checked += 1
            elif local in LISTS:
                parts = [p for p in re.split(r"[\s,]+", value.strip()) if p]
                if local == "points":
                    # x,y pairs: a decimal comma would make an odd count or a non-number
                    pairs = value.split()
                    for pair in pairs:
                        x, y = pair.split(",")
                        float(x), float(y)
                for p in parts:
                    float(p)
                checked += len(parts)
    return checked


@pytest.fixture
def simulated(django_user_model) -> tuple[Exercise, Client]:
    sync_library()
    exercise = simulate(latest("september-2001"), seed=2).exercise
    user = django_user_model.objects.create_user("sofia", password="sofia-password-1", is_staff=True)
    Exercise.objects.filter(pk=exercise.pk).update(owner=user)
    exercise.refresh_from_db()
    ShareLink.objects.create(exercise=exercise, created_by=user)
    client = Client()
    client.force_login(user)
    return exercise, client


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["en", "es"])
def test_every_svg_the_app_serves_parses_with_plain_numbers(simulated, lang: str) -> None:
    """Mutation: dropping ``{% localize off %}`` from review/_charts.html fails the "es" case here."""
    exercise, client = simulated
    client.cookies["django_language"] = lang
    token = ShareLink.objects.get(exercise=exercise).token
    pages = {
        "review charts": f"/review/{exercise.code}/",
        "report": f"/review/{exercise.code}/report/",
        "share link": f"/review/share/{token}/",
        "console QR": f"/x/{exercise.code}/console/",
        "projector QR": f"/x/{exercise.code}/projector/",
    }
    total = 0
    for where, url in pages.items():
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=lang)
        assert response.status_code == 200, (where, response.status_code)
        html = response.content.decode()
        assert f'lang="{lang}"' in html, where
        found = SVG.findall(html)
        assert found, f"{where}: no SVG"
        for svg in found:
            total += _numbers_ok(svg, where)
    assert total > 500  # the charts really were checked, not only a QR code


# --------------------------------------------------------------------------- the catalogues


def _po_files() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.po") if ".venv" not in p.parts and "node_modules" not in p.parts)


def _entries(po: Path) -> list[dict[str, str | bool]]:
    """A small .po reader: msgid, msgstr (joined plural forms), fuzzy flag, obsolete flag."""
    entries: list[dict[str, str | bool]] = []
    current: dict[str, str | bool] = {}
    field = ""

    def flush() -> None:
        if current.get("msgid") not in (None, ""):
            entries.append(dict(current))

    for raw in po.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            flush()
            current, field = {}, ""
        elif line.startswith("#~"):
            current["obsolete"] = True
        elif line.startswith("#,"):
            current["fuzzy"] = "fuzzy" in line
        elif line.startswith("#"):
            continue
        elif line.startswith(("msgid ", "msgid_plural ", "msgstr", "msgctxt ")):
            field = line.split(" ", 1)[0]
            field = "msgstr" if field.startswith("msgstr") else field
            value = line.split(" ", 1)[1].strip()[1:-1]
            current[field] = str(current.get(field, "")) + value if field == "msgstr" else value
        elif line.startswith('"') and field:
            current[field] = str(current.get(field, "")) + line[1:-1]
    flush()
    return entries


def test_every_catalogue_compiles_cleanly_with_msgfmt_check() -> None:
    """Mutation: a msgstr dropping a ``%(name)s`` placeholder makes msgfmt --check fail here."""
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip("gettext's msgfmt is not installed (apt-get install gettext)")
    files = _po_files()
    assert files
    for po in files:
        result = subprocess.run(  # noqa: S603
            [msgfmt, "--check", "-o", "/dev/null", str(po)], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, f"{po}: {result.stderr}"


def test_no_catalogue_has_fuzzy_or_untranslated_entries() -> None:
    """Mutation: marking one entry ``#, fuzzy`` (or emptying its msgstr) fails this test."""
    problems = []
    for po in _po_files():
        for entry in _entries(po):
            if entry.get("obsolete"):
                continue
            if entry.get("fuzzy"):
                problems.append(f"{po.relative_to(ROOT)}: fuzzy: {entry['msgid']!r}")
            elif not entry.get("msgstr"):
                problems.append(f"{po.relative_to(ROOT)}: untranslated: {entry['msgid']!r}")
    assert problems == [], "\n".join(problems[:40])
