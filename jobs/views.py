"""The one job view: a job's progress as an htmx partial that polls itself while the job runs.

Why polling and not the WebSocket: a job runs in whichever worker accepted it, and the
browser's next request may reach another worker; both read the same row, so polling works
on one process or ten with no channel-layer wiring. One small GET a second for the few
seconds a job takes costs less than keeping a socket and a group per job.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .models import Job
from .runner import status_of


def job_for(user, pk) -> Job:
    """The job, if this user owns it; 404 otherwise (another person's job does not exist for you)."""
    job = Job.objects.filter(pk=pk, owner=user).first() if user.is_authenticated else None
    if job is None:
        raise Http404("no such job")
    return status_of(job)


@login_required
@require_GET
def job_status(request: HttpRequest, pk) -> HttpResponse:
    return render(request, "jobs/job.html", {"job": job_for(request.user, pk), "poll_url": request.path})
