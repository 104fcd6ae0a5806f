"""A workshop's console: every table at a glance, and one command for every table at once
(start, pause, resume, advance; or "release to every table", each table's own command in its own log).
"""

from __future__ import annotations

import asyncio
from typing import Any

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib import messages
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from .. import engine, inputs, selectors, services
from ..access import staff_view
from ..engine import commands as c
from ..models import Workshop
from .common import _lang, _share


@require_GET
@staff_view("view", workshop=True)
def workshop_console(request: HttpRequest, workshop: Workshop) -> HttpResponse:
    lang = _lang(request)
    rows = []
    for table in selectors.tables_of(workshop):
        state = selectors.state_of(table)
        scenario = selectors.scenario_of(table)
        rows.append(
            {
                "exercise": table,
                "players": table.players,  # type: ignore[attr-defined]
                "seated": len(state.holders),
                "status": state.status,
                "phase": scenario.phases[scenario.phase_index[state.phase]].title.get(lang),
            }
        )
    context: dict[str, Any] = {"workshop": workshop, "rows": rows, **_share(request, workshop.code)}
    if rows:  # every table plays the workshop's one scenario: its injects, once for all tables
        scenario = selectors.scenario_of(rows[0]["exercise"])
        context["scripted"] = [(i.id, i.title.get(lang)) for i in scenario.injects]
        context["recipients"] = [(s.id, s.name.get(lang)) for s in scenario.sides] + [
            (r.id, r.title.get(lang)) for r in scenario.roles
        ]
        context["max_message"] = c.MAX_MESSAGE
    return render(request, "exercises/workshop.html", context)


WORKSHOP_COMMANDS = {"start": c.Start, "pause": c.Pause, "resume": c.Resume, "advance_phase": c.AdvancePhase}
# "Release to every table": one inject, picked or written once, released at every table.
WORKSHOP_RELEASES: dict[str, type[c.Cmd]] = {"release_inject": c.ReleaseInject, "adhoc_inject": c.AdhocInject}


def _on_table(exercise_id: int, command: engine.Command) -> bool | None:
    """One table's command through the write path: done (True), refused by a rule (False), or
    not valid there (None: e.g. that table already released the inject)."""
    try:
        return services.execute(exercise_id=exercise_id, actor=engine.FACILITATOR, command=command).ok
    except engine.InvalidCommand:
        return None


def _on_every_table(table_ids: list[int], command: engine.Command) -> list[bool | None]:
    """``command`` at every table, each table's own command in its own log (``services.execute``).

    The tables' commands run on threads (``CT_RELEASE_THREADS`` at once), so their commits and
    their fan-out (published to every worker as each commits) do not wait for one another: with
    PostgreSQL the commits overlap, and the first tables' players get the inject while the last
    tables' commands are still committing. Inside a transaction (a test's) they run one by one.
    """
    threads = settings.CRISIS_TABLE["RELEASE_THREADS"]
    if threads <= 1 or len(table_ids) < 2 or connection.in_atomic_block:
        return [_on_table(pk, command) for pk in table_ids]

    async def every_table() -> list[bool | None]:
        gate = asyncio.Semaphore(threads)
        run = database_sync_to_async(_on_table, thread_sensitive=False)

        async def one(pk: int) -> bool | None:
            async with gate:
                return await run(pk, command)

        return list(await asyncio.gather(*(one(pk) for pk in table_ids)))

    return async_to_sync(every_table)()


@require_POST
@staff_view("run", workshop=True)
def workshop_command(request: HttpRequest, workshop: Workshop) -> HttpResponse:
    """Start, pause, resume or advance every table of a workshop at once.

    Each table gets its own command through the one write path, so each log records it; a
    table the command does not fit (already started, not paused) is left as it is and counted.
    """
    kind = request.POST.get("type", "")
    if kind in WORKSHOP_RELEASES:
        return _workshop_release(request, workshop, WORKSHOP_RELEASES[kind])
    command_class = WORKSHOP_COMMANDS.get(kind)
    if command_class is None:
        return HttpResponse(status=400)
    done = skipped = 0
    for table in workshop.tables.all():
        try:
            result = services.execute(exercise_id=table.pk, actor=engine.FACILITATOR, command=command_class())
        except engine.InvalidCommand:
            skipped += 1
            continue
        done += result.ok
        skipped += not result.ok
    messages.success(
        request, _("%(done)d tables done, %(skipped)d left as they were.") % {"done": done, "skipped": skipped}
    )
    return redirect("workshop_console", code=workshop.code)


def _workshop_release(request: HttpRequest, workshop: Workshop, expected: type[c.Cmd]) -> HttpResponse:
    """Release one inject (from the scenario, or written here) at every table: one request."""
    back = redirect("workshop_console", code=workshop.code)
    try:
        command = inputs.command_from(inputs.from_post(request.POST))
    except engine.InvalidCommand as exc:
        messages.error(request, str(exc))
        return back
    if not isinstance(command, expected):
        return HttpResponse(status=400)
    table_ids = list(workshop.tables.order_by("table").values_list("pk", flat=True))
    results = _on_every_table(table_ids, command)
    done = sum(1 for r in results if r)
    messages.success(
        request,
        _("Released at %(done)d tables, %(skipped)d left as they were.")
        % {"done": done, "skipped": len(results) - done},
    )
    return back
