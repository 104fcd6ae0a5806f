"""The live debrief in a real browser (issue #15's constraint): fork a finished exercise, seat a bot
from the console, play on, then run a debrief with two players voting from their own browser
contexts while the projector shows the results live. Then the hot wash and the improvement plan.
Screenshots go to docs/screenshots/ for docs/what-if.md.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from exercises import services
from exercises.bots import simulate
from exercises.models import Exercise
from scenarios.library import latest
from tests.e2e.test_journeys import _claim, _console_click, _facilitate, _join_by_code, _live, _shoot, _sign_in

pytestmark = pytest.mark.django_db(transaction=True)
expect.set_options(timeout=15_000)


def test_a_fork_played_on_with_a_bot_then_debriefed_live(
    browser: Browser, live_asgi: str, library, facilitator, shots, axe, csp_watch
):
    parent = simulate(latest("september-2001"), seed=5, step=120, policy="role").exercise
    assert parent.status == "ended"
    Exercise.objects.filter(pk=parent.pk).update(owner=facilitator)
    parent.refresh_from_db()
    fork = services.fork(exercise=parent, at_seq=parent.last_seq // 3, by=facilitator, title="What if: debrief")

    console = _sign_in(browser, live_asgi, facilitator)
    console_csp = csp_watch(console)
    console.goto(f"{live_asgi}/x/{fork.code}/console/")
    _live(console)
    expect(console.locator("#clock")).to_contain_text("Paused")
    # --- a bot in one seat, from the console
    seat = console.locator("#roster li", has_text="Foreign Minister (SRE)")
    seat.get_by_role("button", name="Put a bot in Foreign Minister (SRE)").click()
    expect(seat.locator(".badge-bot")).to_have_text("bot")

    # --- two players in their own browser contexts
    vicente = _join_by_code(browser, live_asgi, fork.code, "Vicente")
    vicente_csp = csp_watch(vicente)
    _claim(vicente, "mx_president")
    adolfo = _join_by_code(browser, live_asgi, fork.code, "Adolfo")
    _claim(adolfo, "mx_adviser")

    # --- play on: resume, a message or two, pause
    _facilitate(console, fork.code, type="resume")
    expect(vicente.locator("#clock")).to_have_attribute("data-status", "running")
    vicente.fill("#text-mx_cabinet", "We go on from here.")
    vicente.press("#text-mx_cabinet", "Enter")
    expect(adolfo.locator("#msgs-mx_cabinet .msg", has_text="We go on from here.")).to_be_visible()
    adolfo.fill("#text-mx_cabinet", "Agreed: one line for the press.")
    adolfo.press("#text-mx_cabinet", "Enter")
    expect(vicente.locator("#msgs-mx_cabinet .msg", has_text="one line for the press")).to_be_visible()
    _console_click(console, "Pause")
    expect(vicente.locator("#clock")).to_have_attribute("data-status", "paused")

    # --- the debrief: the facilitator starts it, the projector and the rooms follow
    projector = browser.new_context(viewport={"width": 1920, "height": 1080}, device_scale_factor=1).new_page()
    projector.goto(f"{live_asgi}/x/{fork.code}/projector/")
    _live(projector)
    console.get_by_role("link", name="Live debrief").click()
    console.get_by_role("button", name="Start the debrief").click()
    expect(console.locator(".db-plan li").first).to_be_visible()
    expect(console.locator(".db-plan").first).to_contain_text("Objective")
    decision = console.locator(".db-plan li", has=console.locator(".db-moment-meta", has_text="decision")).first
    decision.get_by_role("button", name="Show", exact=True).first.click()
    panel = projector.locator("#debrief-panel")
    expect(panel).to_be_visible()  # pushed: no reload
    expect(panel).to_contain_text("What each side saw then")
    expect(projector.locator(".projector-grid")).to_be_hidden()
    for player in (vicente, adolfo):
        expect(player.locator("#debrief-panel .db-form")).to_be_visible()

    vicente.locator("#debrief-panel .db-option").nth(0).click()
    vicente.get_by_role("button", name="Send my answer").click()
    expect(vicente.locator("#debrief-panel .db-mine")).to_contain_text("Your answer is in.")
    expect(panel.locator(".db-count")).to_contain_text("1 answer")
    adolfo.locator("#debrief-panel .db-option").nth(2).click()
    adolfo.get_by_role("button", name="Send my answer").click()
    expect(panel.locator(".db-count")).to_contain_text("2 answers")  # live on the projector
    expect(panel.locator(".db-bar-count[data-option='0']")).to_have_text("1")
    expect(panel.locator(".db-bar-count[data-option='2']")).to_have_text("1")
    _shoot(vicente, shots / "debrief-room.png", width=1000)
    projector.screenshot(path=shots / "debrief-projector.png")
    axe(projector, "projector in debrief")
    axe(vicente, "room in debrief")

    # --- a free question of the facilitator's own; one answer shown to the room
    second = console.locator(".db-plan li:not(.db-done)").first
    second.locator("summary", has_text="Show with my own poll").click()
    second.get_by_label("Question").fill("What would you have said to the press?")
    second.get_by_role("button", name="Show").last.click()
    expect(adolfo.locator("#debrief-panel textarea")).to_be_visible()
    adolfo.fill("#db-free", "Nothing before the cabinet agreed.")
    adolfo.get_by_role("button", name="Send my answer").click()
    expect(panel.locator(".db-count")).to_contain_text("1 written answer")
    expect(panel).not_to_contain_text("Nothing before the cabinet agreed.")
    expect(vicente.locator("body")).not_to_contain_text("Nothing before the cabinet agreed.")
    expect(console.locator(".db-private")).to_contain_text("Nothing before the cabinet agreed.")  # polled in
    console.get_by_role("button", name="Show to the room").click()
    expect(panel.locator(".db-shown")).to_contain_text("Nothing before the cabinet agreed.")
    expect(panel).not_to_contain_text("Adolfo")
    console.fill("#db-note", "The cabinet wanted one voice: ask why it did not happen on the 11th.")
    console.get_by_role("button", name="Add the note").click()
    _shoot(console, shots / "debrief-console.png")
    axe(console, "debrief console")
    console.get_by_role("button", name="End the debrief").click()

    # --- the hot wash, in the player's language, anonymous by default
    expect(vicente.locator("#debrief-panel")).to_contain_text("The debrief is over")
    vicente.get_by_role("link", name="Give your feedback").click()
    vicente.locator("input[name=useful][value='4']").check()
    vicente.locator("input[name=realistic][value='5']").check()
    vicente.fill("#id_went_well", "The fork made the what-if concrete.")
    _shoot(vicente, shots / "hotwash.png", width=1000)
    axe(vicente, "hot wash")
    vicente.get_by_role("button", name="Send").click()
    expect(vicente.locator("body")).to_contain_text("your feedback is in")

    # --- the report has the debrief and the hot wash
    console.goto(f"{live_asgi}/review/{fork.code}/report/")
    section = console.locator("#aar-live-debrief")
    expect(section).to_contain_text("What would you have said to the press?")
    expect(section).to_contain_text("ask why it did not happen on the 11th")
    expect(section).to_contain_text("The fork made the what-if concrete.")
    expect(section).to_contain_text("anonymous")
    section.screenshot(path=shots / "debrief-report.png")
    assert console_csp == [] and vicente_csp == []
    for page in (console, vicente, adolfo, projector):
        page.context.close()


def test_the_improvement_plan_across_exercises(browser: Browser, live_asgi: str, library, facilitator, shots, axe):
    from exercises import engine
    from exercises.engine import commands as c

    for n, (issue, action, owner, due) in enumerate(
        [
            ("Slow Senate approvals", "Pre-agree a travel protocol with the Senate", "Chief of staff", "2026-01-15"),
            ("No single voice", "Name one spokesperson for the cabinet", "Presidency press office", "2027-03-01"),
        ]
    ):
        exercise = services.create_exercise(scenario=latest("september-2001"), title=f"Cabinet {n + 1}", by=facilitator)
        services.execute(
            exercise_id=exercise.pk,
            actor=engine.FACILITATOR,
            command=c.EditReport(
                summary="s",
                actions=[
                    c.CorrectiveAction(issue=issue, action=action, owner=owner, due=due),
                    c.CorrectiveAction(
                        issue="Radar hours", action="Fund a night shift", owner="SEDENA", due="2026-06-30"
                    ),
                ],
            ),
        )
    page = _sign_in(browser, live_asgi, facilitator)
    page.goto(f"{live_asgi}/debrief/plan/")
    expect(page.locator(".db-table tbody tr")).to_have_count(4)
    row = page.locator("tr", has_text="Pre-agree a travel protocol")
    row.locator("select").select_option("closed")
    row.get_by_role("button", name="Set").click()
    expect(page.locator(".db-table tbody tr")).to_have_count(3)
    page.locator(".db-filters select[name=status]").select_option("all")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("tr", has_text="Pre-agree a travel protocol")).to_contain_text("by fran")
    _shoot(page, shots / "improvement-plan.png")
    axe(page, "improvement plan")
    page.context.close()
