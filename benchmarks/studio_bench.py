"""How fast the scenario studio is on a large scenario: what a facilitator does, timed on the server.

    .venv/bin/python benchmarks/studio_bench.py [--runs 9] [--profile]

The scenario is the largest shipped one, ``pipeline-2007`` (2,498 lines of YAML, 122 KB), and a
synthetic one twice its size (its injects and actions repeated under new ids: 5,000+ lines).
Every action goes through the Django test client as a signed-in facilitator, on a throwaway
SQLite database, so a figure is the whole server side: parsing, the form, the loader's
checks, writing YAML, the database, rendering the next page. The browser's part (a few ms
to paint) is not in it. Target (issue #14): a 2,500-line scenario edits and validates in
under 1 s. Prints one JSON object per line; ``--profile`` adds the top functions of one
inject save (cProfile, cumulative time).
"""

from __future__ import annotations

import argparse
import atexit
import copy
import cProfile
import io
import json
import os
import pstats
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _setup_django() -> None:
    if "DATABASE_URL" not in os.environ and "DJANGO_DB_NAME" not in os.environ:
        scratch = tempfile.mkdtemp(prefix="ct-studio-bench-")
        atexit.register(shutil.rmtree, scratch, ignore_errors=True)
        os.environ["DJANGO_DB_NAME"] = str(Path(scratch) / "bench.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_DEBUG", "0")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    call_command("migrate", verbosity=0, interactive=False)


def _bigger(raw: dict) -> dict:
    """The scenario with its injects and actions written twice (new ids), about twice the lines."""
    out = copy.deepcopy(raw)
    for key in ("injects", "actions"):
        extra = []
        for item in raw[key]:
            twin = copy.deepcopy(item)
            twin["id"] = f"{item['id']}_b"
            twin.pop("debrief", None)
            twin.pop("leak", None)
            if key == "actions":
                twin["once"] = True
            extra.append(twin)
        out[key] = raw[key] + extra
    return out


def _form(page: str, form_id: str) -> dict[str, str]:
    """The fields of one form of a page, as the browser would post them unchanged."""
    import html

    start = page.index(f'id="{form_id}"')
    form = page[start : page.index("</form>", start)]
    data: dict[str, str] = {}
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form):
        data[name] = html.unescape(value)
    for name in re.findall(r'<input type="text" name="([^"]+)"(?![^>]*value=)', form):
        data.setdefault(name, "")
    for name, value in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>\n?(.*?)</textarea>', form, re.S):
        data[name] = html.unescape(value)
    for name in re.findall(r'<input type="checkbox" name="([^"]+)"[^>]*checked', form):
        data[name] = "on"
    for name, value in re.findall(r'<select name="([^"]+)"[^>]*>.*?<option value="([^"]*)" selected', form, re.S):
        data[name] = value
    return data


def _timed(runs: int, fn) -> dict[str, float]:  # noqa: ANN001
    """Median and worst of ``runs`` calls; a call that returns a number reports its own duration (s)."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        own = fn()
        times.append((own if isinstance(own, float) else time.perf_counter() - started) * 1000)
    times.sort()
    return {"median_ms": round(statistics.median(times), 1), "max_ms": round(times[-1], 1), "runs": runs}


def bench(label: str, raw: dict, runs: int, profile: bool) -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    from jobs import runner
    from scenarios.library import store_version
    from studio import dryrun, msel, services
    from studio.models import Draft
    from studio.yamlio import dump

    user = get_user_model().objects.filter(username="bench").first() or get_user_model().objects.create_user(
        "bench", password="bench-password-1", is_staff=True
    )
    version, _created = store_version(raw, source="bench")
    draft = services.copy_version(version, by=user, slug=f"bench-{label}")
    text = draft.text
    lines = text.count("\n")
    client = Client()
    client.force_login(user)
    edit = reverse("studio:edit", args=[draft.slug])
    count = len(draft.raw["injects"])
    middle = count // 2
    page = client.get(f"{edit}?panel=injects&group=injects&item={middle}").content.decode()
    form = _form(page, f"item-injects-{middle}")
    toggle = [0]

    def save_inject() -> None:
        toggle[0] += 1
        data = {
            **form,
            "title-en": f"{form['title-en']} ({toggle[0]})",
            "revision": Draft.objects.get(pk=draft.pk).revision,
        }
        response = client.post(reverse("studio:save_item", args=[draft.slug]), data)
        assert response.status_code == 302, response.status_code

    def save_inject_and_see() -> None:
        save_inject()
        client.get(f"{edit}?panel=injects&group=injects&item={middle}")

    def save_yaml() -> None:
        toggle[0] += 1
        current = Draft.objects.get(pk=draft.pk)
        new = current.text.replace("period:", f"# edit {toggle[0]}\nperiod:", 1)
        response = client.post(
            reverse("studio:save_yaml", args=[draft.slug]), {"text": new, "revision": current.revision}
        )
        assert response.status_code == 302

    def broken_yaml() -> float:  # only the failing POST is timed; putting the text back is not
        current = Draft.objects.get(pk=draft.pk)
        started = time.perf_counter()
        response = client.post(
            reverse("studio:save_yaml", args=[draft.slug]),
            {"text": current.text.replace("clock:", "clock:\n  bogus: 1", 1), "revision": current.revision},
        )
        elapsed = time.perf_counter() - started
        assert response.status_code == 302
        services.save_text(Draft.objects.get(pk=draft.pk), text=current.text, by=user)
        return elapsed

    def import_file() -> None:
        response = client.post(reverse("studio:import"), {"text": dump({**raw, "slug": f"imp-{label}"})})
        assert response.status_code == 302

    results = {
        "inject save (POST, validate, store a version)": _timed(runs, save_inject),
        "inject save + reload the injects panel": _timed(runs, save_inject_and_see),
        "injects panel (GET, item form open)": _timed(
            runs, lambda: client.get(f"{edit}?panel=injects&group=injects&item={middle}")
        ),
        "raw YAML save (POST, validate, store a version)": _timed(runs, save_yaml),
        "raw YAML save with an error (draft kept)": _timed(runs, broken_yaml),
        "translations panel (GET, every text)": _timed(runs, lambda: client.get(f"{edit}?panel=translations&all=1")),
        "YAML panel (GET)": _timed(runs, lambda: client.get(f"{edit}?panel=yaml")),
        "import a pasted file": _timed(max(3, runs // 3), import_file),
        "MSEL export .xlsx": _timed(runs, lambda: msel.to_xlsx(draft.raw)),
    }
    data = msel.to_xlsx(Draft.objects.get(pk=draft.pk).raw)
    results["MSEL read + apply .xlsx"] = _timed(
        runs, lambda: msel.apply(draft.raw, msel.read(data, "x.xlsx")[1], sheet="Injects", source="x.xlsx")
    )

    def dry() -> None:  # submitted to the pool as the page does, polled until done
        job = runner.submit(dryrun.KIND, owner=user, params={"version": version.pk, "seeds": [1, 2, 3, 4, 5]})
        while job.status not in ("done", "failed"):
            time.sleep(0.02)
            job.refresh_from_db()
        assert job.status == "done", job.error

    results["dry run, 5 seeds (the job, submitted to the pool)"] = _timed(3, dry)
    load = os.getloadavg()[0]
    print(
        json.dumps(
            {
                "scenario": label,
                "load_average_1min": round(load, 1),
                "lines": lines,
                "kb": round(len(text.encode()) / 1024),
                "injects": count,
                "results": results,
            }
        ),
        flush=True,
    )
    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        save_inject()
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(
            r"studio/|scenarios/|yaml/|pydantic|sqlite3|json/", 24
        )
        print(out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    _setup_django()
    from django.conf import settings

    from scenarios.loader import load_file

    raw = load_file(Path(settings.CRISIS_TABLE["SCENARIO_DIRS"][0]) / "pipeline-2007.yaml")[1]
    bench("pipeline-2007", {**raw, "slug": "bench-source"}, args.runs, args.profile)
    bench("pipeline-2007-x2", {**_bigger(raw), "slug": "bench-source-x2"}, max(3, args.runs // 2), False)


if __name__ == "__main__":
    main()
