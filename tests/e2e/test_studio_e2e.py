"""The studio in a real browser: the issue's journey, and axe-core on every studio page.

The journey (issue #14, "done when"): a facilitator, in the browser only, copies september-2001,
cuts it to three phases, adds a bilingual inject with a trigger, fixes the errors the validator
reports, dry-runs it for 5 seeds and starts an exercise on it.

Accessibility: axe-core (the shared ``axe`` fixture of tests/e2e/conftest.py) runs on each studio
page; a serious or critical violation fails the test. The studio runs under the app's strict
Content-Security-Policy: every page the journey opens is watched (``csp_watch``) and must report no
violation. Screenshots go to docs/screenshots/ when CT_SCREENSHOTS=1.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from exercises.models import Exercise
from scenarios.library import latest, scenario_for

pytestmark = pytest.mark.django_db(transaction=True)
expect.set_options(timeout=15_000)
SIZE = {"width": 1440, "height": 900}
ROOT = Path(__file__).resolve().parents[2]


def _shoot(page: Page, path: Path, *, full: bool = True) -> None:
    size = page.viewport_size or SIZE
    if full:
        height = page.evaluate("document.documentElement.scrollHeight")
        page.set_viewport_size({"width": size["width"], "height": min(max(height, 600), 3200)})
        page.wait_for_timeout(200)
    page.screenshot(path=path)
    page.set_viewport_size(size)


def _sign_in(browser: Browser, base: str, user, watch) -> tuple[Page, list[str]]:
    page = browser.new_context(viewport=SIZE, device_scale_factor=1).new_page()
    seen = watch(page)
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", user.raw_password)
    page.click("form.stack button[type=submit]")
    expect(page).to_have_url(re.compile(r"/facilitator/$"))
    return page, seen


def test_a_facilitator_adapts_september_2001_and_runs_it(
    browser: Browser, live_asgi: str, library, facilitator, shots, axe, csp_watch
):
    """Mutation (tried): a ``style="width:N%"`` meter back in the dry-run report → a
    ``style-src-attr`` violation is reported and the test fails at its end."""
    base = live_asgi
    page, violations = _sign_in(browser, base, facilitator, csp_watch)

    # --- the library, reached from the facilitator's home
    page.get_by_role("link", name="Adapt or import a scenario in the studio").click()
    expect(page.get_by_role("heading", name="Scenario studio")).to_be_visible()
    axe(page, "library")
    _shoot(page, shots / "studio-library.png")

    # --- 1. copy september-2001: the copy is mine, and the editor opens
    page.locator("tr[data-slug='september-2001'] form[action$='/copy/'] button").click()
    expect(page).to_have_url(re.compile(r"/studio/s/september-2001-fran/edit/$"))
    slug = "september-2001-fran"
    expect(page.locator("#draft-status")).to_contain_text("valid · version 1")
    axe(page, "editor overview")

    # --- 2. cut it to three phases
    page.locator("nav.st-nav").get_by_role("link", name="Phases").click()
    page.select_option("#keep", "3")
    page.locator("#cut-tool button[type=submit]").click()
    expect(page.locator("#toasts")).to_contain_text("Cut to 3 phases")
    expect(page.locator("#draft-status")).to_contain_text("valid · version 2")
    expect(page.locator("#group-phases tbody tr")).to_have_count(3)
    axe(page, "editor phases")
    _shoot(page, shots / "studio-phases.png")

    # --- 3. add a bilingual inject with a trigger (a typo in the trigger, as people make)
    page.locator("nav.st-nav").get_by_role("link", name="Injects (MSEL)").click()
    expect(page).to_have_url(re.compile(r"panel=injects"))  # count the rows of the new page, not of the old
    expect(page.locator("#group-injects tbody tr").first).to_be_visible()
    count = page.locator("#group-injects tbody tr").count()
    page.locator("#group-injects form[action$='/edit/add/'] button").click()
    form = page.locator(f"#item-injects-{count}")
    expect(form).to_be_visible()
    form.locator(f"#f-injects-{count}-id").fill("regional_press")
    form.locator(f"#f-injects-{count}-recipients").fill("mx_gobernacion, mx_hacienda")
    form.locator(f"#f-injects-{count}-title-en").fill("Our border region asks questions")
    form.locator(f"#f-injects-{count}-title-es").fill("La región fronteriza pregunta")
    form.locator(f"#f-injects-{count}-text-en").fill(
        "Local papers ask what the border alert means for exporters in Ciudad Juárez."
    )
    form.locator(f"#f-injects-{count}-text-es").fill(
        "La prensa local pregunta qué significa la alerta para los exportadores de Ciudad Juárez."
    )
    form.locator(f"#f-injects-{count}-trigger").fill("{indicator: througput, op: lt, value: 70}")
    form.locator(f"#f-injects-{count}-source").fill("class exercise")
    form.get_by_role("button", name="Save").click()

    # --- 4. the validator's error, at its place: follow the link, fix it
    expect(page.locator("#draft-status")).to_contain_text("1 problem")
    problem = page.locator("#problems li", has_text="unknown indicator 'througput' (did you mean 'throughput'?)")
    expect(problem).to_be_visible()
    expect(page.locator(f"#f-injects-{count}-trigger")).to_have_attribute("aria-invalid", "true")
    axe(page, "editor with a problem")
    _shoot(page, shots / "studio-inject-error.png", full=False)
    problem.get_by_role("link").click()
    trigger = page.locator(f"#f-injects-{count}-trigger")
    expect(trigger).to_be_focused()
    trigger.fill("{indicator: throughput, op: lt, value: 70}")
    page.locator(f"#item-injects-{count}").get_by_role("button", name="Save").click()
    expect(page.locator("#draft-status")).to_contain_text("valid · version 3")
    expect(page.locator("#problems")).to_have_count(0)
    _shoot(page, shots / "studio-injects.png")

    # the other panels, as a keyboard and a screen reader meet them
    for panel in ("Roles", "Actions", "Translations", "YAML"):
        page.locator("nav.st-nav").get_by_role("link", name=panel, exact=True).click()
        expect(page.locator("nav.st-nav a[aria-current='page']")).to_have_text(re.compile(panel))
        axe(page, f"editor {panel}")
    page.goto(base + f"/studio/s/{slug}/edit/?panel=translations&all=1")
    _shoot(page, shots / "studio-translations.png", full=False)

    # --- 5. dry run, 5 seeds, in the background
    page.locator("#dry-run-button").click()
    expect(page).to_have_url(re.compile(r"/studio/dry-run/[0-9a-f-]+/$"))
    report = page.locator("#dry-run-report")
    expect(report).to_be_visible(timeout=90_000)
    expect(report.locator(".st-kpis")).to_contain_text("5/5")
    expect(report.locator("tr", has_text="regional_press")).to_be_visible()
    axe(page, "dry-run report")
    _shoot(page, shots / "studio-dry-run.png")

    # --- the scenario page: versions, diff, preview
    page.goto(base + f"/studio/s/{slug}/")
    axe(page, "scenario page")
    _shoot(page, shots / "studio-scenario.png")
    page.get_by_role("button", name="Compare the two chosen versions").click()
    expect(page.locator(".st-diff ins", has_text="regional_press").first).to_be_visible()
    axe(page, "diff")
    _shoot(page, shots / "studio-diff.png", full=False)
    page.goto(base + f"/studio/s/{slug}/")
    page.select_option("#preview-role", "mx_gobernacion")
    page.get_by_role("button", name="Preview", exact=True).click()
    expect(page.locator(".st-preview-frame .role-title")).to_be_visible()
    axe(page, "preview")
    _shoot(page, shots / "studio-preview.png")

    # --- 6. start an exercise on the new version
    page.goto(base + f"/studio/s/{slug}/")
    page.locator("#start-form").get_by_role("button", name="Start").click()
    expect(page.locator(".join-code")).to_be_visible()
    code = page.locator("p.join-code").inner_text().strip().replace("-", "")  # shown grouped, K7QX-2MPA-RT
    exercise = Exercise.objects.select_related("scenario").get(code=code)
    version = latest(slug)
    assert exercise.scenario == version and version.version == 3
    model = scenario_for(version)
    assert [p.id for p in model.phases] == ["prelude", "first_day", "cabinet_split"]
    assert model.inject("regional_press").trigger.indicator == "throughput"
    assert model.inject("regional_press").title.es == "La región fronteriza pregunta"
    assert violations == []  # every studio page, the dry run's polling and the console it ends on
    page.context.close()


def test_the_studio_in_spanish(browser: Browser, live_asgi: str, library, facilitator, shots, axe, csp_watch):
    page, violations = _sign_in(browser, live_asgi, facilitator, csp_watch)
    page.goto(live_asgi + "/studio/")
    page.get_by_role("button", name="Español").click()
    expect(page.get_by_role("heading", name="Estudio de escenarios")).to_be_visible()
    page.locator("tr[data-slug='katrina-2005'] form[action$='/copy/'] button").click()
    expect(page.locator("#draft-status")).to_contain_text("válido · versión 1")
    page.goto(live_asgi + page.url.split(live_asgi)[1] + "?panel=injects&group=injects&item=0")
    form = page.locator("#item-injects-0")
    form.locator("#f-injects-0-title-es").fill("")
    form.get_by_role("button", name="Guardar").click()
    expect(page.locator("#problems")).to_contain_text("injects[0].title.es: no puede estar vacío")
    axe(page, "editor in Spanish")
    _shoot(page, shots / "studio-editor-es.png", full=False)
    assert violations == []
    page.context.close()
