"""Background jobs: run once, report progress, fail clearly, and look failed when their worker died."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jobs import runner
from jobs.models import DONE, FAILED, RUNNING, Job


@runner.register("test.add")
def _add(progress, params):
    for n in range(3):
        progress(n * 30, f"step {n}", force=True)
    return {"sum": params["a"] + params["b"]}


@runner.register("test.boom")
def _boom(progress, params):
    raise runner.JobFailed("the scenario disappeared")


@runner.register("test.crash")
def _crash(progress, params):
    return {"x": 1 / 0}


@pytest.mark.django_db
def test_it_runs_a_job_and_keeps_its_result(alice):
    job = runner.run_inline(runner.submit("test.add", owner=alice, params={"a": 2, "b": 3}))
    assert job.status == DONE and job.result == {"sum": 5} and job.progress == 100
    assert job.started_at and job.finished_at and job.started_at <= job.finished_at


@pytest.mark.django_db
def test_a_job_runs_only_once(alice):
    """Mutation: claiming without the ``status=queued`` filter (the second run reruns it: red)."""
    job = runner.run_inline(runner.submit("test.add", owner=alice, params={"a": 1, "b": 1}))
    finished = job.finished_at
    runner.run_inline(job)
    job.refresh_from_db()
    assert job.finished_at == finished


@pytest.mark.django_db
def test_a_failing_job_says_why(alice):
    job = runner.run_inline(runner.submit("test.boom", owner=alice))
    assert job.status == FAILED and job.error == "the scenario disappeared"
    job = runner.run_inline(runner.submit("test.crash", owner=alice))
    assert job.status == FAILED and job.error.startswith("ZeroDivisionError")


@pytest.mark.django_db
def test_an_unknown_kind_is_refused(alice):
    with pytest.raises(KeyError):
        runner.submit("test.nothing", owner=alice)


@pytest.mark.django_db
def test_a_job_whose_worker_stopped_is_shown_as_failed(alice, settings):
    """A running job with an old heartbeat lost its worker. Mutation: ``stale`` comparing with ``>`` (red)."""
    settings.CRISIS_TABLE = {**settings.CRISIS_TABLE, "JOB_STALE_SECONDS": 30}
    job = Job.objects.create(kind="test.add", owner=alice, status=RUNNING, heartbeat_at=timezone.now())
    assert runner.status_of(job).status == RUNNING
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=31))
    job.refresh_from_db()
    job = runner.status_of(job)
    assert job.status == FAILED and "stopped" in job.error


@pytest.mark.django_db
def test_progress_writes_are_throttled(alice, django_assert_max_num_queries):
    job = runner.submit("test.add", owner=alice, params={"a": 0, "b": 0})
    progress = runner.Progress(job.pk)
    with django_assert_max_num_queries(1):
        for n in range(200):
            progress(n / 2, "busy")
    job.refresh_from_db()
    assert job.progress == 0 and job.message == "busy"


@pytest.mark.django_db
def test_only_its_owner_sees_a_job(alice, django_user_model):
    job = runner.run_inline(runner.submit("test.add", owner=alice, params={"a": 1, "b": 2}))
    mine = Client()
    mine.force_login(alice)
    page = mine.get(reverse("jobs:status", args=[job.pk]))
    assert page.status_code == 200 and b'data-status="done"' in page.content
    other = Client()
    other.force_login(django_user_model.objects.create_user("bob", password="x-password-1", is_staff=True))
    assert other.get(reverse("jobs:status", args=[job.pk])).status_code == 404
    assert Client().get(reverse("jobs:status", args=[job.pk])).status_code == 302


@pytest.mark.django_db(transaction=True)
def test_the_pool_runs_a_job_in_the_background_after_commit(django_user_model):
    """The real path: ``submit`` hands the job to this process's thread pool once the row is committed."""
    owner = django_user_model.objects.create_user("olga", password="x-password-1", is_staff=True)
    job = runner.submit("test.add", owner=owner, params={"a": 20, "b": 22})
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status == DONE:
            break
        time.sleep(0.05)
    assert job.status == DONE and job.result == {"sum": 42} and job.worker == runner.WORKER[:100]
