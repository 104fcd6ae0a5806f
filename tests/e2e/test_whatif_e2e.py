"""What if, in a real browser: the facilitator seats a bot from the console and takes it out
again while a player watches the table; a forked exercise's console shows where it came from.
Screenshots go to docs/screenshots/ (CT_SCREENSHOTS=1), for docs/what-if.md.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from exercises import engine, services
from exercises.bots import simulate
from exercises.models import Exercise
from scenarios.library import latest, scenario_for
from tests.e2e.test_journeys import _claim, _join_by_code, _live, _shoot, _sign_in

pytestmark = pytest.mark.django_db(transaction=True)
expect.set_options(timeout=10_000)


def test_the_facilitator_seats_a_bot_and_everyone_sees_it(
    browser: Browser, live_asgi: str, library, facilitator, shots, csp_watch, axe
):
    """The console's bot controls work under the strict Content-Security-Policy (no inline handler
    or style: nothing reported on either screen) and pass axe-core."""
    exercise = services.create_exercise(scenario=latest("september-2001"), title="Fox's cabinet", by=facilitator)
    console = _sign_in(browser, live_asgi, facilitator)
    console_csp = csp_watch(console)
    console.goto(f"{live_asgi}/x/{exercise.code}/console/")
    _live(console)
    player = _join_by_code(browser, live_asgi, exercise.code, "Vicente")
    player_csp = csp_watch(player)
    _claim(player, "mx_president")

    seat = console.locator("#roster li", has_text="Foreign Minister (SRE)")
    seat.get_by_role("button", name="Put a bot in Foreign Minister (SRE)").click()
    expect(seat.locator(".badge-bot")).to_have_text("bot")  # pushed: no reload
    expect(player.locator("#table li", has_text="Foreign Minister (SRE)").locator(".badge-bot")).to_be_visible()
    expect(console.locator("#feed")).to_contain_text("A bot plays Foreign Minister (SRE)")
    console.locator("#roster li", has_text="Interior Minister").get_by_role("button", name="Put a bot in").click()
    expect(console.locator("#roster .badge-bot")).to_have_count(2)
    console.locator("#roster").screenshot(path=shots / "console-bots.png")
    _shoot(player, shots / "room-with-bots.png")
    axe(console, "console with bots")
    axe(player, "room with bots")

    seat.get_by_role("button", name="Take the bot out of Foreign Minister (SRE)").click()
    expect(seat.locator(".badge-bot")).to_have_count(0)
    expect(player.locator("#table li", has_text="Foreign Minister (SRE)")).to_contain_text("free")
    assert console_csp == [] and player_csp == []
    for page in (console, player):
        page.context.close()


def test_a_forks_console_shows_its_lineage(browser: Browser, live_asgi: str, library, facilitator, shots):
    parent = simulate(latest("september-2001"), seed=2, step=120, policy="role").exercise
    Exercise.objects.filter(pk=parent.pk).update(owner=facilitator)  # simulate's exercises have no owner
    parent.refresh_from_db()
    child = services.fork(
        exercise=parent, at_seq=60, by=facilitator, keep_seats=True, title="What if the Senate says yes"
    )
    grandchild = services.fork(exercise=child, at_seq=child.last_seq, by=facilitator)
    console = _sign_in(browser, live_asgi, facilitator)
    console.goto(f"{live_asgi}/x/{child.code}/console/")
    _live(console)
    lineage = console.locator("#lineage")
    expect(lineage).to_contain_text("A fork, after event #60 of")
    expect(lineage.get_by_role("link", name=parent.title)).to_be_visible()
    expect(lineage).to_contain_text(grandchild.title)
    # the parent's bots kept their seats: one per playable role (12 since fidelity's SSP, PGR and Canada roles)
    playable = [r for r in scenario_for(parent.scenario).roles if not r.institution]
    expect(console.locator("#roster .badge-bot")).to_have_count(len(playable))
    expect(console.locator("#clock")).to_contain_text("Paused")
    expect(console.locator("#feed")).to_contain_text("Forked from")
    _shoot(console, shots / "console-fork.png")
    console.goto(f"{live_asgi}/x/{grandchild.code}/console/")
    expect(console.locator("#lineage li")).to_contain_text(parent.title)  # the grandparent, further up
    expect(console.locator("#roster .badge-bot")).to_have_count(0)  # seats emptied
    console.context.close()


def test_fork_here_a_counterfactual_and_compare_from_the_review(
    browser: Browser, live_asgi: str, library, facilitator, shots, csp_watch, axe
):
    """The review's what-if journey: a finished exercise's timeline → "Fork here" → the fork's console
    (paused, with its lineage) → a counterfactual with K = 3 that runs in the background to its
    results → branches compared. No CSP report; no serious axe violation on the new pages."""
    import time

    from exercises.engine import commands as c

    parent = simulate(latest("september-2001"), seed=2, step=120, policy="role").exercise
    Exercise.objects.filter(pk=parent.pk).update(owner=facilitator)
    parent.refresh_from_db()
    assert parent.status == "ended"
    page = _sign_in(browser, live_asgi, facilitator)
    csp = csp_watch(page)

    page.goto(f"{live_asgi}/review/{parent.code}/timeline/?seq=60#e60")
    axe(page, "timeline with fork links")
    page.locator("#e58").scroll_into_view_if_needed()
    top, bottom = page.locator("#e58").bounding_box(), page.locator("#e61").bounding_box()
    assert top and bottom
    page.screenshot(
        path=shots / "whatif-timeline-fork-here.png",
        clip={"x": top["x"], "y": top["y"], "width": top["width"], "height": bottom["y"] + bottom["height"] - top["y"]},
    )
    page.locator("#e60").get_by_role("link", name="Fork here").click()
    expect(page.get_by_role("heading", name="Fork after event #60")).to_be_visible()
    axe(page, "fork form")
    page.get_by_label("Title of the new exercise (optional)").fill("What if the cabinet waits")
    page.get_by_label("Keep the seats for the same participants").check()
    _shoot(page, shots / "whatif-fork-form.png")
    page.get_by_role("button", name="Fork here").click()
    child = Exercise.objects.get(parent=parent)
    expect(page).to_have_url(f"{live_asgi}/x/{child.code}/console/")
    _live(page)
    expect(page.locator("#clock")).to_contain_text("Paused")
    expect(page.locator("#lineage")).to_contain_text("A fork, after event #60 of")

    # the fork plays on a little (its kept bots), so that the branches differ
    now = time.time()
    services.execute(exercise_id=child.pk, actor=engine.FACILITATOR, command=c.Resume(), now=now)
    services.tick(child.pk, now=now + 2400)

    page.goto(f"{live_asgi}/whatif/{parent.code}/counterfactual/?seq=60")
    axe(page, "counterfactual form")
    page.get_by_label("Changed decision 1").select_option(index=1)
    page.get_by_label("Seeds (runs)").fill("3")
    _shoot(page, shots / "whatif-counterfactual-form.png")
    page.get_by_role("button", name="Run", exact=True).click()
    expect(page.locator("#cf-result")).to_be_visible(timeout=60_000)  # htmx polling swapped the results in
    expect(page.locator("#cf-result .rv-chart").first).to_be_visible()
    page.reload()  # stored on the job: the page comes back without recomputing
    expect(page.locator("#cf-result")).to_contain_text("How often each objective was met")
    axe(page, "counterfactual results")
    _shoot(page, shots / "whatif-counterfactual.png")

    page.goto(f"{live_asgi}/review/{child.code}/")
    expect(page.locator("#rv-lineage")).to_contain_text("A fork, after event #60 of")
    page.locator(".rv-head").screenshot(path=shots / "whatif-review-lineage.png")
    page.locator("#rv-lineage").get_by_role("link", name="Compare with its parent").click()
    expect(page.get_by_role("heading", name="Compare branches")).to_be_visible()
    expect(page.locator(".wi-diverge")).to_contain_text("up to #60")
    expect(page.locator("#divergence")).to_be_visible()
    expect(page.locator(".rv-chart").first).to_be_visible()
    axe(page, "compare branches")
    _shoot(page, shots / "whatif-compare.png")
    assert csp == []
    page.context.close()
