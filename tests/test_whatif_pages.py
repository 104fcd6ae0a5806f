"""The what-if pages: fork here, counterfactual runs as background jobs, branches compared.

Personas as in ``tests/test_access.py``: alice owns the table, carl co-facilitates, eva evaluates,
otto is another facilitator of the instance, pablo a player's account (not staff).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from exercises import engine, selectors, services, whatif_compare, whatif_counterfactual
from exercises.bots import simulate
from exercises.engine import commands as c
from exercises.models import Exercise
from jobs import runner
from jobs.models import Job

from .test_access import staff  # noqa: F401  (the personas' fixture)

pytestmark = pytest.mark.django_db
W0 = 1_000_000_000.0
F = engine.FACILITATOR


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _started(table: Exercise) -> Exercise:
    services.execute(exercise_id=table.pk, actor=F, command=c.Start(), now=W0)
    table.refresh_from_db()
    return table


def _svgs(html: str) -> list[ET.Element]:
    """Every inline SVG of a page, parsed as XML (it must be well formed)."""
    return [ET.fromstring(svg) for svg in re.findall(r"<svg\b.*?</svg>", html, flags=re.S)]


# --------------------------------------------------------------------------- access


@pytest.mark.parametrize(
    "who, fork_ok, cf_ok",
    [
        ("alice", True, True),
        ("carl", True, True),
        ("eva", False, True),
        ("otto", False, False),
        ("pablo", False, False),
    ],
)
def test_who_may_fork_and_who_may_run_a_counterfactual(staff, who, fork_ok, cf_ok) -> None:  # noqa: F811
    """Fork needs ``run`` (an evaluator may not); a counterfactual needs ``view`` (changes nothing).
    Mutation: ``staff_view("view")`` on ``fork`` → eva gets the fork form (200, not 404)."""
    people, _workshop, table = staff
    _started(table)
    client = _client(people[who])
    fork_url = reverse("whatif:fork", args=[table.code])
    assert client.get(f"{fork_url}?seq=1").status_code == (200 if fork_ok else 404)
    before = Exercise.objects.count()
    response = client.post(fork_url, {"seq": 1})
    assert response.status_code == (302 if fork_ok else 404)
    assert Exercise.objects.count() == before + (1 if fork_ok else 0)
    cf_url = reverse("whatif:counterfactual", args=[table.code])
    assert client.get(cf_url).status_code == (200 if cf_ok else 404)
    assert client.post(cf_url, {"seq": 2, "seeds": 2}).status_code == (302 if cf_ok else 404)
    # the timeline offers "Fork here" only to who may fork
    if cf_ok:
        timeline = client.get(reverse("review:timeline", args=[table.code])).content.decode()
        assert ("Fork here" in timeline) is fork_ok
        assert "What if…" in timeline


def test_anonymous_visitors_are_sent_to_sign_in(staff) -> None:  # noqa: F811
    _people, _workshop, table = staff
    client = _client()
    for url in (
        reverse("whatif:fork", args=[table.code]),
        reverse("whatif:counterfactual", args=[table.code]),
        reverse("whatif:compare") + f"?codes={table.code}",
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert client.post(reverse("whatif:fork", args=[table.code]), {"seq": 1}).status_code == 302
    assert Exercise.objects.filter(parent=table).count() == 0


def test_the_fork_form_needs_the_csrf_token(staff) -> None:  # noqa: F811
    people, _workshop, table = staff
    _started(table)
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["alice"])
    assert client.post(reverse("whatif:fork", args=[table.code]), {"seq": 1}).status_code == 403
    assert Exercise.objects.filter(parent=table).count() == 0


# --------------------------------------------------------------------------- fork here


def test_fork_here_makes_a_paused_fork_and_opens_its_console(staff) -> None:  # noqa: F811
    """Mutation: drop ``exercise_paused`` from ``engine.fork_tail`` → the fork's clock runs."""
    people, _workshop, table = staff
    _started(table)
    seq = table.last_seq
    client = _client(people["alice"])
    response = client.post(
        reverse("whatif:fork", args=[table.code]), {"seq": seq, "keep_seats": "on", "title": "What if"}
    )
    child = Exercise.objects.get(parent=table)
    assert response.status_code == 302 and response["Location"] == reverse("console", args=[child.code])
    assert child.parent_seq == seq and child.title == "What if" and child.owner == people["alice"]
    paused = selectors.state_at(child, child.last_seq)
    assert paused.status == "paused" and paused.game_time == selectors.state_at(table, seq).game_time
    # its lineage in the review, both ways, with the compare and what-if links
    page = client.get(reverse("review:overview", args=[child.code])).content.decode()
    assert "A fork, after event #" in page and table.title in page
    assert reverse("whatif:compare_family", args=[child.code]) + "?with=parent" in page
    parent_page = client.get(reverse("review:overview", args=[table.code])).content.decode()
    assert child.code in parent_page and "Compare with its forks" in parent_page
    # forking a fork works the same way
    response = client.post(reverse("whatif:fork", args=[child.code]), {"seq": child.last_seq})
    grandchild = Exercise.objects.get(parent=child)
    assert response["Location"] == reverse("console", args=[grandchild.code])
    assert selectors.state_at(grandchild, grandchild.last_seq).status == "paused"
    page = client.get(reverse("review:overview", args=[grandchild.code])).content.decode()
    assert "1 fork further up" in page


def test_fork_here_refuses_a_bad_seq_with_a_reason_and_makes_nothing(staff) -> None:  # noqa: F811
    people, _workshop, table = staff
    _started(table)
    response = _client(people["alice"]).post(reverse("whatif:fork", args=[table.code]), {"seq": 999})
    assert response.status_code == 400 and "choose an event from 1 to" in response.content.decode()
    assert Exercise.objects.filter(parent=table).count() == 0


# --------------------------------------------------------------------------- counterfactual runs


def test_the_form_offers_the_decisions_open_at_that_point(staff) -> None:  # noqa: F811
    people, _workshop, table = staff
    _started(table)
    page = _client(people["eva"]).get(reverse("whatif:counterfactual", args=[table.code]) + "?seq=2").content.decode()
    assert 'value="travel=go"' in page and 'value="travel@*=grant"' in page and 'value="travel=never"' in page


def test_a_run_is_a_job_with_progress_then_stored_results(staff) -> None:  # noqa: F811
    """No request plays the runs: the POST only records a job. Mutation: call ``counterfactual_job``
    inside the POST → the job is already done when the POST returns (asserted queued)."""
    people, _workshop, table = staff
    _started(table)
    client = _client(people["eva"])
    response = client.post(
        reverse("whatif:counterfactual", args=[table.code]),
        {"seq": 2, "seeds": 3, "change1": "travel@senate=grant", "change2": "travel=go"},
    )
    job = Job.objects.get(kind=whatif_counterfactual.KIND)
    assert response.status_code == 302
    assert response["Location"] == reverse("whatif:run", args=[table.code, job.pk])
    assert job.status == "queued" and job.params == {
        "exercise": table.pk,
        "at": 2,
        "changes": ["travel@senate=grant", "travel=go"],
        "seeds": 3,
    }
    # while it waits, the htmx partial polls itself
    poll = client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in poll and 'data-status="queued"' in poll
    runner.run_inline(job)
    job.refresh_from_db()
    assert job.status == "done" and job.result["seeds"] == [1, 2, 3]
    assert job.result["changes"] == ["travel@senate=grant", "travel=go"]
    # the poll now answers the results; the page reloads them from the job (no recomputing)
    done = client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert 'id="cf-result"' in done and "hx-trigger" not in done
    page = client.get(response["Location"]).content.decode()
    assert "How often each objective was met" in page and "Which rules bit" in page
    svgs = _svgs(page)
    assert len(svgs) == len(job.result["bands"])
    for svg in svgs:
        assert svg.find("{http://www.w3.org/2000/svg}polygon") is not None or svg.find("polygon") is not None
    # earlier runs are listed on the form, for everyone who may view the exercise
    alice_form = _client(people["alice"]).get(reverse("whatif:counterfactual", args=[table.code])).content.decode()
    assert reverse("whatif:run", args=[table.code, job.pk]) in alice_form


def test_the_svg_numbers_stay_unlocalized_in_spanish(staff) -> None:  # noqa: F811
    """Mutation: remove ``{% localize off %}`` and ``_num`` → "12,5" breaks the points in Spanish."""
    people, _workshop, table = staff
    _started(table)
    job = runner.submit(
        whatif_counterfactual.KIND, owner=people["alice"], params={"exercise": table.pk, "at": 2, "seeds": 2}
    )
    runner.run_inline(job)
    client = _client(people["alice"])
    client.cookies["django_language"] = "es"
    with translation.override("es"):
        page = client.get(reverse("whatif:run", args=[table.code, job.pk]), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert 'lang="es"' in page
    svgs = _svgs(page)
    assert svgs
    for svg in svgs:
        for element in svg.iter():
            for name in ("x", "y", "x1", "x2", "y1", "y2", "width", "height", "viewBox"):
                assert "," not in element.get(name, ""), (name, element.get(name))
            if element.get("points"):
                assert re.fullmatch(
                    r"(-?\d+(\.\d+)?,-?\d+(\.\d+)?)( -?\d+(\.\d+)?,-?\d+(\.\d+)?)*", element.get("points")
                )


def test_a_bad_change_is_refused_with_its_reason_and_starts_nothing(staff) -> None:  # noqa: F811
    people, _workshop, table = staff
    _started(table)
    response = _client(people["alice"]).post(
        reverse("whatif:counterfactual", args=[table.code]), {"seq": 2, "change1": "travel@defence=grant"}
    )
    assert response.status_code == 400
    assert "approved by senate" in response.content.decode()
    assert not Job.objects.exists()


def test_one_run_at_a_time_per_person(staff) -> None:  # noqa: F811
    """Mutation: skip the ``busy`` check → a second POST queues a second job."""
    people, _workshop, table = staff
    _started(table)
    client = _client(people["alice"])
    url = reverse("whatif:counterfactual", args=[table.code])
    assert client.post(url, {"seq": 2, "seeds": 2}).status_code == 302
    assert client.post(url, {"seq": 2, "seeds": 2}).status_code == 429
    assert Job.objects.count() == 1


def test_a_run_of_another_exercise_is_not_found_here(staff) -> None:  # noqa: F811
    people, workshop, table = staff
    _started(table)
    other = workshop.tables.exclude(pk=table.pk).first()
    job = runner.submit(
        whatif_counterfactual.KIND, owner=people["alice"], params={"exercise": table.pk, "at": 2, "seeds": 1}
    )
    client = _client(people["alice"])
    assert client.get(reverse("whatif:run", args=[other.code, job.pk])).status_code == 404
    assert _client(people["otto"]).get(reverse("whatif:run", args=[table.code, job.pk])).status_code == 404


# --------------------------------------------------------------------------- compare


S = whatif_compare.Step


def test_divergence_finds_the_common_ancestor_and_the_first_leaving_point() -> None:
    root, a, b, aa = S(1, None), S(2, 60), S(3, 40), S(4, 90)
    assert whatif_compare.divergence([[root], [root, a]]) == (1, 60, [None, 60])
    assert whatif_compare.divergence([[root, a], [root, b]]) == (1, 40, [60, 40])
    assert whatif_compare.divergence([[root, a, aa], [root, a]]) == (2, 90, [90, None])
    assert whatif_compare.divergence([[root, a, aa], [root, b]]) == (1, 40, [60, 40])
    assert whatif_compare.divergence([[root], [S(9, None)]]) is None


def test_decisions_are_aligned_by_game_time_with_the_divergence_marked() -> None:
    """Mutation: key rows without ``after`` → a decision re-made after the divergence at the same
    time merges with the shared one and the line goes in the wrong place."""
    shared = whatif_compare.Item(100, "travel", "", "Travel", "executed", 5)
    a_late = whatif_compare.Item(300, "deploy", "", "Deploy", "executed", 20)
    b_early = whatif_compare.Item(200, "deploy", "", "Deploy", "refused", 18)
    b_late = whatif_compare.Item(300, "deploy", "", "Deploy", "executed", 25)
    b_again = whatif_compare.Item(100, "travel", "", "Travel", "refused", 12)  # the fork's clock was paused at 100
    rows = whatif_compare.align([[shared, a_late], [shared, b_again, b_early, b_late]], diverge_seq=10)
    assert [(r.game_time, r.after, [x.seq if x else None for x in r.cells]) for r in rows] == [
        (100, False, [5, 5]),
        (100, True, [None, 12]),
        (200, True, [None, 18]),
        (300, True, [20, 25]),
    ]
    assert [r.first_after for r in rows] == [False, True, False, False]
    assert [r.differs for r in rows] == [False, True, True, False]


def test_compare_shows_branches_side_by_side(staff) -> None:  # noqa: F811
    """Mutation: ``compare`` without the access check (``exercise_for``) → otto sees alice's tables."""
    people, workshop, table = staff
    _started(table)
    one = services.fork(exercise=table, at_seq=table.last_seq, by=people["alice"], title="Branch one")
    two = services.fork(exercise=table, at_seq=table.last_seq, by=people["alice"], title="Branch two")
    client = _client(people["eva"])
    url = reverse("whatif:compare") + f"?codes={table.code},{one.code},{two.code}"
    page = client.get(url).content.decode()
    assert "Branch one" in page and "Branch two" in page and "the common ancestor" in page
    assert f"up to #{table.last_seq}" in page
    svgs = _svgs(page)
    assert len(svgs) == len(selectors.scenario_of(table).indicators)
    for svg in svgs:
        lines = [e for e in svg.iter() if e.tag.endswith("polyline")]
        assert len(lines) == 3
        assert any(e.get("class") == "wi-diverge-line" for e in svg.iter())
    assert _client(people["otto"]).get(url).status_code == 404
    unrelated = workshop.tables.exclude(pk=table.pk).first()
    response = client.get(reverse("whatif:compare") + f"?codes={one.code},{unrelated.code}")
    assert response.status_code == 400 and "no common ancestor" in response.content.decode()
    # from the lineage box: with its parent, with its parent and siblings
    family = client.get(reverse("whatif:compare_family", args=[one.code]) + "?with=siblings")
    assert family.status_code == 302 and family["Location"].endswith(f"codes={table.code},{one.code},{two.code}")


def test_compare_aligns_real_decisions_of_a_simulated_exercise(library_sept) -> None:
    parent, child = library_sept
    comparison = whatif_compare.compare([parent, child])
    assert comparison.diverge_seq == child.parent_seq
    shared = [r for r in comparison.rows if not r.after]
    assert shared and all(r.cells[0] and r.cells[1] for r in shared if r.cells[0] and r.cells[0].seq <= 60)
    assert all(r.cells[1] is None for r in comparison.rows if r.after)  # the fork has not played on


@pytest.fixture
def library_sept(db, django_user_model):
    from scenarios.library import latest, sync_library

    sync_library()
    owner = django_user_model.objects.create_user("fay", password="fay-password-1", is_staff=True)
    parent = simulate(latest("september-2001"), seed=2, step=120, policy="role").exercise
    Exercise.objects.filter(pk=parent.pk).update(owner=owner)
    parent.refresh_from_db()
    child = services.fork(exercise=parent, at_seq=60, by=owner)
    return parent, child


def test_compare_without_codes_is_just_the_form(staff) -> None:  # noqa: F811
    people, _workshop, _table = staff
    response = _client(people["eva"]).get(reverse("whatif:compare"))
    assert response.status_code == 200 and 'name="codes"' in response.content.decode()
