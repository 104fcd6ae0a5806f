"""Run jobs on a small thread pool inside the worker process that accepted them.

Why not Celery (or RQ, Dramatiq): the embedded default is one process and zero services, and
the jobs we have (a dry run: a few seconds of in-memory simulation) are short. A broker and
a separate worker would be a second thing to install, run and monitor for that. The price,
written down so nobody is surprised:

- a job runs in the process that accepted it; if that process dies the job dies with it.
  Its heartbeat then stops and, after ``JOB_STALE_SECONDS``, every reader sees it as failed
  ("the worker stopped") and may start it again. Nothing is retried behind anyone's back.
- the work shares the process's GIL with requests: a CPU-bound job slows that worker's
  requests a little (Python switches threads every 5 ms) but never blocks them. The pool is
  small (``JOB_THREADS``, default 1) so one worker never runs more than that many at once.

A job is a registered function ``fn(progress, params) -> result`` (JSON-serialisable dicts);
``progress(percent, message)`` records how far it is, throttled so a tight loop does not
write to the database on every call.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from .models import ACTIVE, DONE, FAILED, QUEUED, RUNNING, Job, stale_after

log = logging.getLogger(__name__)

JobFunction = Callable[["Progress", dict[str, Any]], dict[str, Any]]
_REGISTRY: dict[str, JobFunction] = {}

WORKER = f"{socket.gethostname()}:{os.getpid()}"
HEARTBEAT_SECONDS = 5.0
PROGRESS_EVERY = 0.4  # seconds between progress writes


class JobFailed(Exception):
    """Raised by a job to fail with a message meant for its owner."""


def register(kind: str) -> Callable[[JobFunction], JobFunction]:
    def wrap(fn: JobFunction) -> JobFunction:
        _REGISTRY[kind] = fn
        return fn

    return wrap


def _setting(name: str, default: int) -> int:
    return int(settings.CRISIS_TABLE.get(name, default))


# --------------------------------------------------------------------------- the pool


class _Pool:
    """One per process (re-made after a fork), with one heartbeat thread for the jobs it runs."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.executor = ThreadPoolExecutor(max_workers=_setting("JOB_THREADS", 1), thread_name_prefix="ct-job")
        self.running: set[Any] = set()
        self.lock = threading.Lock()
        self.beater = threading.Thread(target=self._beat, name="ct-job-heartbeat", daemon=True)
        self.beater.start()

    def _beat(self) -> None:
        while True:
            time.sleep(HEARTBEAT_SECONDS)
            with self.lock:
                ids = list(self.running)
            if not ids:
                continue
            try:
                Job.objects.filter(pk__in=ids, status__in=ACTIVE).update(heartbeat_at=timezone.now())
            except Exception:  # a database hiccup must not kill the heartbeat thread
                log.exception("job heartbeat failed")
            finally:
                connection.close()


_pool: _Pool | None = None
_pool_lock = threading.Lock()


def _get_pool() -> _Pool:
    global _pool
    with _pool_lock:
        if _pool is None or _pool.pid != os.getpid():
            _pool = _Pool()
        return _pool


# --------------------------------------------------------------------------- running one job


class Progress:
    """What a running job reports; writes at most every ``PROGRESS_EVERY`` seconds."""

    def __init__(self, job_id: Any) -> None:
        self.job_id = job_id
        self.last = 0.0
        self.percent = 0

    def __call__(self, percent: float, message: str = "", *, force: bool = False) -> None:
        self.percent = max(0, min(100, int(percent)))
        now = time.monotonic()
        if not force and now - self.last < PROGRESS_EVERY:
            return
        self.last = now
        Job.objects.filter(pk=self.job_id).update(
            progress=self.percent, message=message[:200], heartbeat_at=timezone.now()
        )


def _claim(job_id: Any) -> bool:
    """Queued -> running, once: a job is never run twice, even if submitted twice."""
    now = timezone.now()
    return bool(
        Job.objects.filter(pk=job_id, status=QUEUED).update(
            status=RUNNING, started_at=now, heartbeat_at=now, worker=WORKER[:100]
        )
    )


def execute(job_id: Any, *, own_connection: bool = True) -> None:
    """Run one job in this thread, start to finish; never raises.

    A pool thread owns its database connection and closes it when done; ``run_inline`` runs
    in a caller's thread (a test's transaction, say), whose connection is not ours to close.
    """
    if own_connection:
        close_old_connections()
    try:
        if not _claim(job_id):
            return
        job = Job.objects.get(pk=job_id)
        fn = _REGISTRY.get(job.kind)
        if fn is None:
            raise JobFailed(f"unknown job kind {job.kind!r}")
        result = fn(Progress(job_id), job.params)
        Job.objects.filter(pk=job_id).update(
            status=DONE, progress=100, result=result, finished_at=timezone.now(), heartbeat_at=timezone.now()
        )
    except JobFailed as exc:
        _fail(job_id, str(exc))
    except Exception as exc:  # the owner sees the kind of error; the log has the traceback
        log.exception("job %s failed", job_id)
        _fail(job_id, f"{type(exc).__name__}: {exc}")
    finally:
        if own_connection:
            connection.close()


def _fail(job_id: Any, error: str) -> None:
    try:
        Job.objects.filter(pk=job_id).update(status=FAILED, error=error[:500], finished_at=timezone.now())
    except Exception:
        log.exception("could not mark job %s failed", job_id)


def _run_tracked(job_id: Any) -> None:
    pool = _get_pool()
    with pool.lock:
        pool.running.add(job_id)
    try:
        execute(job_id)
    finally:
        with pool.lock:
            pool.running.discard(job_id)


# --------------------------------------------------------------------------- the API


def submit(kind: str, *, owner: Any, params: dict[str, Any] | None = None) -> Job:
    """Record a job and hand it to this process's pool once the transaction commits."""
    if kind not in _REGISTRY:
        raise KeyError(f"no job kind {kind!r} is registered")
    job = Job.objects.create(kind=kind, owner=owner, params=params or {}, worker=WORKER[:100])
    transaction.on_commit(lambda: _get_pool().executor.submit(_run_tracked, job.pk))
    return job


def run_inline(job: Job) -> Job:
    """Run a queued job in this thread (tests, management commands); returns it refreshed."""
    execute(job.pk, own_connection=False)
    job.refresh_from_db()
    return job


def status_of(job: Job) -> Job:
    """The job as its owner should see it: an active job whose worker stopped is marked failed."""
    if job.stale:
        cutoff = timezone.now() - stale_after()
        Job.objects.filter(pk=job.pk, status__in=ACTIVE, heartbeat_at__lt=cutoff).update(
            status=FAILED,
            error="the worker running this job stopped (restarted or crashed); start it again",
            finished_at=timezone.now(),
        )
        job.refresh_from_db()
    return job
