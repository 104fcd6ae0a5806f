"""Dry runs: the bots' exercise in memory, equal to the database-backed one, summarised and flagged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.urls import reverse

from exercises import selectors
from exercises.bots import simulate
from jobs import runner
from jobs.models import Job
from scenarios.library import latest, sync_library
from studio import dryrun, services

FIXTURES = Path(__file__).parent / "fixtures"
pytestmark = pytest.mark.django_db


@pytest.fixture
def mini_version(db):
    sync_library([FIXTURES])
    return latest("mini")


def _portable(events) -> list[str]:
    """Events as JSON, participants renamed P0, P1... in the order they joined (their ids are random when stored)."""
    joined = [e.payload["participant"] for e in events if e.type == "participant_joined"]
    out = []
    for e in events:
        text = json.dumps([e.type, e.game_time, e.role, e.actor, e.payload, list(e.audience)], sort_keys=True)
        for n, pid in sorted(enumerate(joined), key=lambda item: -len(item[1])):  # bot10 before bot1
            text = text.replace(pid, f"P{n}")
        out.append(text)
    return out


@pytest.mark.parametrize("seed", [1, 2])
def test_the_memory_run_is_the_database_run(mini_version, seed):
    """Same scenario, same seed, same bots: the same events, whether stored or not.

    Mutation: giving the memory run its own wall clock step (120 s): the logs differ (red)."""
    stored = selectors.log(simulate(mini_version, seed=seed).exercise.pk)
    memory = dryrun.play(mini_version, seed).events
    assert len(memory) == len(stored)
    assert _portable(memory)[1:] == _portable(stored)[1:]  # event 1 names each exercise's own title


def test_a_dry_run_reports_injects_rules_objectives_and_charts(mini_version, alice):
    job = runner.run_inline(
        runner.submit(dryrun.KIND, owner=alice, params={"version": mini_version.pk, "seeds": [1, 2, 3]})
    )
    assert job.status == "done", job.error
    summary = job.result["summary"]
    assert summary["count"] == 3 and summary["reached_end"] == 3
    assert {i["id"] for i in summary["injects"]} == {i["id"] for i in mini_version.snapshot["injects"]}
    assert all(0 <= i["fired"] <= 3 for i in summary["injects"])
    assert summary["langs"]["en"]["rules"] and summary["langs"]["es"]["objectives"]
    assert job.result["runs"][0]["charts"]["es"][0]["points"]
    assert "forbidden" in {k for a in summary["actions"] for k in a}
    assert not any(f["kind"] == "end" for f in summary["flags"])


def test_it_flags_an_action_no_seed_could_take(mini_version, alice):
    """Mutation: counting forbidden or blocked views as available (no flag: red)."""
    raw = json.loads(json.dumps(mini_version.snapshot))
    raw["slug"] = "mini-locked"
    target = next(a for a in raw["actions"] if not a.get("forbidden") and not a.get("requires"))
    indicator = raw["indicators"][0]
    target["requires"] = [
        {
            "when": {"indicator": indicator["id"], "op": "gt", "value": indicator.get("max", 100)},
            "rule": "R0",
            "reason": {"en": "Never.", "es": "Nunca."},
        }
    ]
    from scenarios.library import store_version

    version, _created = store_version(raw, source="test")
    result = dryrun.run(version, [1, 2])
    flags = {f["kind"]: f["ids"] for f in result["summary"]["flags"]}
    assert target["id"] in flags["actions"]
    forbidden = [a["id"] for a in raw["actions"] if a.get("forbidden")]
    assert not set(forbidden) & set(flags["actions"])  # refused by design, not a mistake


def test_it_flags_a_scenario_that_cannot_reach_its_end(mini_version, monkeypatch):
    monkeypatch.setattr(dryrun, "MAX_STEPS", 2)
    result = dryrun.run(mini_version, [1])
    assert result["summary"]["reached_end"] == 0
    assert any(f["kind"] == "end" for f in result["summary"]["flags"])


def test_the_page_polls_while_the_job_runs_then_shows_the_report(mini_version, alice, alice_client):
    started = alice_client.post(reverse("studio:dry_run_start", args=[mini_version.pk]), {"seeds": "2"})
    job = Job.objects.get()
    assert started.status_code == 302 and started["Location"] == reverse("studio:dry_run", args=[job.pk])
    assert job.params == {"version": mini_version.pk, "seeds": [1, 2]}
    waiting = alice_client.get(started["Location"], HTTP_HX_REQUEST="true")
    assert b'hx-trigger="every 1s"' in waiting.content
    runner.run_inline(job)
    done = alice_client.get(started["Location"], HTTP_HX_REQUEST="true")
    assert b"hx-trigger" not in done.content and b'id="dry-run-report"' in done.content
    page = alice_client.get(started["Location"] + "?seed=2")
    assert b"rv-chart" in page.content and b'aria-current="true"' in page.content
    assert services.Edit.objects.filter(action="dry_run", version=mini_version).exists()


def test_nobody_else_sees_my_dry_run(mini_version, alice, mallory_client, django_user_model):
    job = runner.submit(dryrun.KIND, owner=alice, params={"version": mini_version.pk, "seeds": [1]})
    from django.test import Client

    bob = Client()
    bob.force_login(django_user_model.objects.create_user("bob", password="x-password-1", is_staff=True))
    assert bob.get(reverse("studio:dry_run", args=[job.pk])).status_code == 404
    assert mallory_client.get(reverse("studio:dry_run", args=[job.pk])).status_code == 404  # not staff
    assert Client().get(reverse("studio:dry_run", args=[job.pk])).status_code == 302  # sign in first
