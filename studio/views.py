"""The studio's pages: thin views over ``services`` (writes), ``editor`` (forms) and reads.

Staff only (``access.staff_required``); changing a scenario needs ``access.can_edit`` via
``access.editable``, so no view can forget the owner check. Every POST redirects (the
browser's back button never re-sends a save), and the editor's forms carry the draft's
revision so a save from a stale tab is refused instead of overwriting newer work.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from itertools import groupby
from typing import Any

from django.contrib import messages
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from exercises import access
from exercises.models import Exercise, Workshop
from jobs import runner
from jobs.views import job_for
from scenarios.library import latest, scenario_for
from scenarios.models import ArchivedScenario, ScenarioVersion

from . import dryrun, editor, imports, msel, preview, problems, review_bridge, services, texts, tools
from .access import can_edit, editable, staff_required
from .models import Draft, Edit
from .yamlio import dump, flow

MAX_TABLES = 12


def _lang() -> str:
    return "es" if (translation.get_language() or "en").startswith("es") else "en"


def _text(value: Any, lang: str) -> str:
    if isinstance(value, dict):
        found = value.get(lang) or value.get("en") or ""
        return found if isinstance(found, str) else str(found)
    return "" if value is None else str(value)


def _version(pk: int) -> ScenarioVersion:
    return get_object_or_404(ScenarioVersion.objects.select_related("created_by", "derived_from"), pk=pk)


# --------------------------------------------------------------------------- the library


@staff_required
@require_GET
def library(request: HttpRequest) -> HttpResponse:
    """Every scenario (shipped, yours, other facilitators'), its versions and what uses them."""
    lang = _lang()
    query = (request.GET.get("q") or "").strip().lower()
    show = request.GET.get("show") or "all"
    with_archived = request.GET.get("archived") == "1"
    archived = set(ArchivedScenario.objects.values_list("slug", flat=True))
    drafts = {d.slug: d for d in Draft.objects.select_related("owner", "base")}
    versions = (
        ScenarioVersion.objects.select_related("created_by")
        .defer("snapshot")
        .annotate(n_exercises=Count("exercises", distinct=True), n_workshops=Count("workshops", distinct=True))
        .order_by("slug", "-loaded_at", "-pk")
    )
    # Ordered by slug, so one group per scenario (the element type keeps its use counts for mypy).
    by_slug = {slug: list(group) for slug, group in groupby(versions, key=lambda v: v.slug)}
    titles = dict(
        ScenarioVersion.objects.filter(pk__in=[v[0].pk for v in by_slug.values()]).values_list("pk", "snapshot__title")
    )
    rows = []
    for slug in sorted(set(by_slug) | set(drafts)):
        draft = drafts.get(slug)
        found = by_slug.get(slug, [])
        newest = found[0] if found else None
        title = (
            _text(titles.get(newest.pk), lang)
            if newest
            else _text((draft.raw or {}).get("title"), lang)
            if draft
            else ""
        )
        kind = "shipped" if draft is None else ("mine" if draft.owner_id == request.user.pk else "others")
        if show in ("shipped", "mine", "others") and kind != show:
            continue
        if slug in archived and not with_archived:
            continue
        if query and query not in slug and query not in title.lower():
            continue
        rows.append(
            {
                "slug": slug,
                "title": title or slug,
                "kind": kind,
                "draft": draft,
                "editable": can_edit(request.user, draft),
                "latest": newest,
                "versions": found,
                "archived": slug in archived,
                "uses": sum(v.n_exercises + v.n_workshops for v in found),
            }
        )
    return render(
        request,
        "studio/library.html",
        {
            "rows": rows,
            "q": request.GET.get("q", ""),
            "show": show,
            "with_archived": with_archived,
            "limit": imports.limit_label(),
        },
    )


@staff_required
@require_POST
def import_scenario(request: HttpRequest) -> HttpResponse:
    """A YAML file by upload or paste; a failing one is kept as a draft, a non-scenario refused."""
    upload = request.FILES.get("file")
    pasted = request.POST.get("text") or ""
    if upload is not None:
        data = upload.read(imports.max_bytes() + 1)
        filename = upload.name or "upload.yaml"
    elif pasted.strip():
        data, filename = pasted.encode("utf-8"), "pasted.yaml"
    else:
        messages.error(request, _("Choose a file or paste a scenario."))
        return redirect("studio:library")
    try:
        text = imports.check(data)
    except imports.Refused as refusal:
        messages.error(request, str(refusal))
        return redirect("studio:library")
    result = services.import_text(text, by=request.user, filename=filename)
    draft = result.draft
    if result.renamed_from:
        messages.info(
            request,
            _("A scenario called %(old)s already exists; this one is %(new)s.")
            % {"old": result.renamed_from, "new": draft.slug},
        )
    if draft.valid:
        messages.success(
            request, _("Imported and valid: version %(n)s stored.") % {"n": draft.base.version if draft.base else 1}
        )
    else:
        count = len(draft.problems)
        messages.error(
            request,
            ngettext(
                "Imported as a draft with %(n)d problem to fix.",
                "Imported as a draft with %(n)d problems to fix.",
                count,
            )
            % {"n": count},
        )
    return redirect("studio:edit", slug=draft.slug)


# --------------------------------------------------------------------------- one scenario


@staff_required
@require_GET
def scenario(request: HttpRequest, slug: str) -> HttpResponse:
    """A scenario's versions (who, when, what uses them), its edits, and what can be done with it."""
    lang = _lang()
    # What was played on a version is listed only to staff who may see it (exercises.access):
    # other facilitators' tables are counted, never named (their codes are join codes).
    mine = access.visible_exercises(request.user).values("pk")
    workshops_seen = access.visible_workshops(request.user).values("pk")
    versions = list(
        ScenarioVersion.objects.filter(slug=slug)
        .select_related("created_by", "derived_from")
        .defer("snapshot")
        .annotate(
            # Uses this user may not see: counted, never named.
            hidden_uses=Count("exercises", filter=Q(exercises__workshop=None) & ~Q(exercises__in=mine), distinct=True)
            + Count("workshops", filter=~Q(workshops__in=workshops_seen), distinct=True),
        )
        .prefetch_related(
            Prefetch(
                "exercises",
                queryset=Exercise.objects.filter(workshop=None, pk__in=mine).only(
                    "code", "title", "scenario_id", "status"
                ),
            ),
            Prefetch(
                "workshops",
                queryset=access.visible_workshops(request.user).only("code", "title", "scenario_id"),
            ),
        )
        .order_by("-loaded_at", "-pk")
    )
    draft = Draft.objects.select_related("owner", "base").filter(slug=slug).first()
    if not versions and draft is None:
        raise Http404("no such scenario")
    newest = versions[0] if versions else None
    model = scenario_for(newest) if newest else None
    edits = list(Edit.objects.filter(slug=slug).select_related("user", "version")[:30])
    started = [e.detail.get("code") for e in edits if e.action == Edit.START and isinstance(e.detail, dict)]
    visible_codes = set(
        access.visible_exercises(request.user).filter(code__in=started).values_list("code", flat=True)
    ) | set(access.visible_workshops(request.user).filter(code__in=started).values_list("code", flat=True))
    return render(
        request,
        "studio/scenario.html",
        {
            "slug": slug,
            "draft": draft,
            "editable": can_edit(request.user, draft),
            "versions": versions,
            "latest": newest,
            "title": model.title.get(lang) if model else slug,
            "summary": model.summary.get(lang) if model else "",
            "roles": [(r.id, r.title.get(lang)) for r in model.roles if not r.institution] if model else [],
            "archived": ArchivedScenario.objects.filter(slug=slug).exists(),
            "edits": edits,
            "visible_codes": visible_codes,
            "table_choices": range(1, MAX_TABLES + 1),
            "msel_limit": msel_limit(),
        },
    )


def msel_limit() -> str:
    from django.conf import settings

    return f"{int(settings.CRISIS_TABLE.get('MSEL_MAX_BYTES', 2 * 1024 * 1024)) // (1024 * 1024)} MB"


@staff_required
@require_POST
def copy(request: HttpRequest, slug: str) -> HttpResponse:
    version = _version(int(request.POST["version"])) if request.POST.get("version") else latest(slug)
    if version is None or version.slug != slug:
        raise Http404("no such version")
    draft = services.copy_version(version, by=request.user)
    messages.success(request, _("Your copy %(slug)s is ready to edit.") % {"slug": draft.slug})
    return redirect("studio:edit", slug=draft.slug)


@staff_required
@require_POST
def archive(request: HttpRequest, slug: str) -> HttpResponse:
    editable(request.user, slug)
    if request.POST.get("restore"):
        services.restore(slug, by=request.user)
        messages.success(request, _("%(slug)s is back on the lists.") % {"slug": slug})
    else:
        services.archive(slug, by=request.user)
        messages.success(
            request, _("%(slug)s is archived: it is off the lists; its exercises keep running.") % {"slug": slug}
        )
    return redirect("studio:scenario", slug=slug)


# --------------------------------------------------------------------------- the editor


def _problem_link(slug: str, location: str, known: set[str]) -> str:
    """The editor URL that opens the item a location is in, scrolled (and focused) to its field."""
    place = problems.place(location, known)
    group, index = editor.group_of_location(location)
    query = {"panel": editor.PANEL_OF_GROUP.get(group.name, place.panel) if group is not None else place.panel}
    if group is not None and group.is_list:
        query["group"] = group.name
        if index is not None:
            query["item"] = str(index)
    return f"{reverse('studio:edit', args=[slug])}?{urlencode(query)}#{place.anchor}"


def _problem_rows(draft: Draft, lang: str) -> list[dict[str, Any]]:
    known = editor.anchors(draft.raw)
    rows = []
    for item in draft.problems:
        group, _index = editor.group_of_location(item["location"])
        place = problems.place(item["location"], known)
        rows.append(
            {
                "location": item["location"],
                "message": problems.message(item, lang),
                "panel": editor.PANEL_OF_GROUP.get(group.name, place.panel) if group is not None else place.panel,
                "href": _problem_link(draft.slug, item["location"], known),
                "anchor": place.anchor,
            }
        )
    return rows


def _summary(item: Any, field: editor.Field, lang: str) -> str:
    value = editor.get_at(item, field.path) if isinstance(item, dict) else None
    if field.kind == "text":
        return _text(value, lang)
    if field.kind == "bool":
        return "✓" if value else ""
    return editor.shown(value, field)


def _list_rows(
    group: editor.Group, raw: dict[str, Any], lang: str, problem_rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    fields = {f.key: f for f in group.fields}
    counts: dict[int, int] = defaultdict(int)
    for p in problem_rows:
        g, index = editor.group_of_location(p["location"])
        if g is group and index is not None:
            counts[index] += 1
    rows = []
    for n, item in enumerate(editor.items_of(raw, group)):
        rows.append(
            {
                "index": n,
                "id": item.get("id", "") if isinstance(item, dict) else "",
                "cells": [_summary(item, fields[key], lang) for key in group.columns if key != "id"],
                "problems": counts.get(n, 0),
                "item": item,
            }
        )
    return rows


def _msel_rows(raw: dict[str, Any], lang: str, problem_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The injects as a timeline: time, phase, from/to, title, text, trigger, note, source."""
    group = editor.GROUPS["injects"]
    base = _list_rows(group, raw, lang, problem_rows)
    out = []
    for row in base:
        item = row["item"] if isinstance(row["item"], dict) else {}
        at = item.get("at")
        try:
            seconds = editor_offset(at)
        except ValueError:
            seconds = None
        trigger = item.get("trigger")
        out.append(
            {
                **row,
                "at": "" if at is None else str(at),
                "seconds": seconds,
                "phase": msel._phase_of(raw, at) if at is not None else "",
                "from": _text(item.get("from"), lang),
                "to": ", ".join(item.get("recipients") or []) if isinstance(item.get("recipients"), list) else "",
                "title_en": _text(
                    (item.get("title") or {}).get("en") if isinstance(item.get("title"), dict) else "", "en"
                ),
                "title_es": _text(
                    (item.get("title") or {}).get("es") if isinstance(item.get("title"), dict) else "", "es"
                ),
                "text": _text(item.get("text"), lang),
                "trigger": flow(trigger),
                "note": _text(item.get("instructor"), lang),
                "source": item.get("source") or "",
                "public": bool(item.get("public")),
                "hidden": bool(item.get("hidden")),
            }
        )
    out.sort(key=lambda r: (r["seconds"] is None, r["seconds"] or 0, r["index"]))
    return out


def editor_offset(value: Any) -> int | None:
    from scenarios.schema import parse_offset

    return None if value is None else parse_offset(value)


def _form_for(group: editor.Group, raw: dict[str, Any], index: int | None, data: Any = None) -> editor.ItemForm | None:
    if group.is_list:
        items = editor.items_of(raw, group)
        if index is None or not 0 <= index < len(items):
            return None
        return editor.ItemForm(group, items[index], raw, (*group.path, index), data=data)
    return editor.ItemForm(group, raw, raw, (), data=data)


def _field_errors(form: editor.ItemForm, problem_rows: list[dict[str, Any]]) -> None:
    """Put each problem under the field it is about, and tell assistive technology which boxes are wrong."""
    prefix = form.prefix_path
    for row in form.rows:
        base = (*prefix, *row["field"].path)
        row["errors"] = [p for p in problem_rows if problems.tokens(p["location"])[: len(base)] == base]
        described = [f"{row['anchor']}-help"] if row["field"].help else []
        described += [f"{row['anchor']}-err-{n}" for n in range(1, len(row["errors"]) + 1)]
        paths = [problems.tokens(p["location"]) for p in row["errors"]]
        for name in row["names"]:
            attrs = form.fields[name].widget.attrs
            if described:
                attrs["aria-describedby"] = " ".join(described)
            # "title-es" is the box of title.es: an error there (or on the whole field) marks it.
            own = (
                *prefix,
                *row["field"].path,
                *(int(p) if p.isdigit() else p for p in name.split("-")[len(row["field"].path) :]),
            )
            if any(path[: len(own)] == own or path == base for path in paths):
                attrs["aria-invalid"] = "true"


@staff_required
@require_GET
def edit(request: HttpRequest, slug: str) -> HttpResponse:
    draft = editable(request.user, slug)
    lang = _lang()
    wanted_group = request.GET.get("group") or ""
    panel_name = request.GET.get("panel") or ""
    if panel_name not in editor.PANELS_BY_NAME:
        panel_name = editor.PANEL_OF_GROUP.get(wanted_group, "overview" if draft.raw is not None else "yaml")
    panel = editor.PANELS_BY_NAME[panel_name]
    if draft.raw is None and panel.name not in ("yaml",):
        panel = editor.PANELS_BY_NAME["yaml"]
    raw = draft.raw or {}
    problem_rows = _problem_rows(draft, lang)
    counts: dict[str, int] = defaultdict(int)
    for p in problem_rows:
        counts[p["panel"]] += 1
    report = texts.report(draft.raw, draft.marks)
    todo = [r for r in report if r.status != texts.OK]
    try:
        wanted_item: int | None = int(request.GET["item"]) if request.GET.get("item") not in (None, "") else None
    except ValueError:
        wanted_item = None
    lists = [g for g in panel.groups if editor.GROUPS[g].is_list]
    target = wanted_group if wanted_group in lists else (lists[0] if len(lists) == 1 and not wanted_group else "")
    groups = []
    for name in panel.groups:
        group = editor.GROUPS[name]
        index = wanted_item if name == target else None
        form = _form_for(group, raw, index)
        if form is not None:
            _field_errors(form, problem_rows)
        groups.append(
            {
                "group": group,
                "rows": (
                    _msel_rows(raw, lang, problem_rows)
                    if name == "injects"
                    else _list_rows(group, raw, lang, problem_rows)
                )
                if group.is_list
                else [],
                "headers": [f.label for f in group.fields if f.key in group.columns and f.key != "id"],
                "form": form,
                "index": index,
            }
        )
    context: dict[str, Any] = {
        "draft": draft,
        "panel": panel,
        "panels": [(p, counts.get(p.name, 0)) for p in editor.PANELS],
        "groups": groups,
        "problem_rows": problem_rows,
        "todo_count": len(todo),
        "phases": [(n + 1, p.get("id", "")) for n, p in enumerate(raw.get("phases") or []) if isinstance(p, dict)],
        "title": _text(raw.get("title"), lang) or draft.slug,
    }
    if panel.name == "translations":
        only = request.GET.get("all") != "1"
        known = editor.anchors(draft.raw)
        context["translations"] = [
            {
                "ref": r.ref,
                "status": r.status,
                "missing": r.missing,
                "href": _problem_link(draft.slug, r.ref.location, known),
                "rows": min(10, max(2, max(len(r.ref.en), len(r.ref.es)) // 48 + 1)),
            }
            for r in report
            if not only or r.status != texts.OK
        ]
        context["only_todo"] = only
    if panel.name == "yaml":
        context["yaml_problems"] = problem_rows
    return render(request, "studio/editor.html", context)


def _back(slug: str, panel: str, group: str = "", item: int | None = None, anchor: str = "") -> str:
    query = {"panel": panel}
    if group:
        query["group"] = group
    if item is not None:
        query["item"] = str(item)
    return f"{reverse('studio:edit', args=[slug])}?{urlencode(query)}" + (f"#{anchor}" if anchor else "")


def _revision(request: HttpRequest) -> int | None:
    try:
        return int(request.POST.get("revision") or "")
    except ValueError:
        return None


def _report(request: HttpRequest, saved: services.Saved) -> None:
    if saved.draft.valid and saved.created and saved.version is not None:
        messages.success(request, _("Saved. Version %(n)s is stored and can be run.") % {"n": saved.version.version})
    elif saved.draft.valid:
        messages.success(
            request,
            _("Saved. Nothing changed since version %(n)s.") % {"n": saved.version.version if saved.version else "?"},
        )
    else:
        count = len(saved.draft.problems)
        messages.warning(
            request,
            ngettext(
                "Saved as a draft: %(n)d problem to fix before it becomes a version.",
                "Saved as a draft: %(n)d problems to fix before it becomes a version.",
                count,
            )
            % {"n": count},
        )


def _stale(request: HttpRequest, slug: str) -> HttpResponse:
    messages.error(
        request,
        _(
            "This scenario was saved elsewhere (another tab?) since you opened it. Your change was not saved; here is the newer text."
        ),
    )
    return redirect("studio:edit", slug=slug)


@staff_required
@require_POST
def save_item(request: HttpRequest, slug: str) -> HttpResponse:
    """One item of a list (an inject, a role) or one block (the overview), from its form."""
    draft = editable(request.user, slug)
    group = editor.GROUPS.get(request.POST.get("group", ""))
    if group is None or draft.raw is None:
        raise Http404("no such part")
    raw = copy_raw(draft.raw)
    panel = editor.PANEL_OF_GROUP[group.name]
    if group.is_list:
        items = editor.items_of(raw, group)
        try:
            index = int(request.POST.get("index", ""))
        except ValueError:
            raise Http404("no such item") from None
        if not 0 <= index < len(items):
            raise Http404("no such item")
        where = (*group.path, index)
        new, found = editor.apply(group, items[index], request.POST, where=where, source=draft.filename)
        items[index] = new
    else:
        index = None
        new, found = editor.apply(group, raw, request.POST, where=(), source=draft.filename)
        raw = new
    try:
        saved = services.save_raw(
            draft, raw=raw, by=request.user, revision=_revision(request), panel=panel, extra=found
        )
    except services.StaleEdit:
        return _stale(request, slug)
    _report(request, saved)
    return redirect(
        _back(
            slug,
            panel,
            group.name if group.is_list else "",
            index,
            f"item-{group.name}-{index}" if index is not None else f"group-{group.name}",
        )
    )


def copy_raw(raw: dict[str, Any]) -> dict[str, Any]:
    import copy as _copy

    return _copy.deepcopy(raw)


@staff_required
@require_POST
def add_item(request: HttpRequest, slug: str) -> HttpResponse:
    draft = editable(request.user, slug)
    group = editor.GROUPS.get(request.POST.get("group", ""))
    if group is None or not group.is_list or group.new is None or draft.raw is None:
        raise Http404("no such list")
    raw = copy_raw(draft.raw)
    items = editor.get_at(raw, group.path)
    if not isinstance(items, list):
        items = []
        editor.set_at(raw, group.path, items)
    items.append(group.new(raw))
    try:
        saved = services.save_raw(draft, raw=raw, by=request.user, revision=_revision(request), panel=group.name)
    except services.StaleEdit:
        return _stale(request, slug)
    _report(request, saved)
    index = len(items) - 1
    return redirect(_back(slug, editor.PANEL_OF_GROUP[group.name], group.name, index, f"item-{group.name}-{index}"))


@staff_required
@require_POST
def remove_item(request: HttpRequest, slug: str) -> HttpResponse:
    """Remove an item and the references to it in id lists (``tools.remove``)."""
    draft = editable(request.user, slug)
    group = editor.GROUPS.get(request.POST.get("group", ""))
    if group is None or not group.is_list or draft.raw is None:
        raise Http404("no such list")
    raw = copy_raw(draft.raw)
    try:
        index = int(request.POST.get("index", ""))
    except ValueError:
        raise Http404("no such item") from None
    items = editor.items_of(raw, group)
    if not 0 <= index < len(items):
        raise Http404("no such item")
    if len(group.path) == 1:
        removed = tools.remove(raw, group.path[0], index)
    else:
        items.pop(index)
        removed = tools.Removed(items=[(group.name, str(index))])
    try:
        saved = services.save_raw(
            draft,
            raw=raw,
            by=request.user,
            revision=_revision(request),
            panel=group.name,
            action=Edit.TOOL,
            detail={"tool": "remove", "removed": removed.items, "scrubbed": removed.scrubbed},
        )
    except services.StaleEdit:
        return _stale(request, slug)
    messages.info(
        request,
        _("Removed %(what)s (and %(n)s references to it).")
        % {"what": ", ".join(i for _k, i in removed.items[:6]), "n": removed.scrubbed},
    )
    _report(request, saved)
    return redirect(_back(slug, editor.PANEL_OF_GROUP[group.name], group.name))


@staff_required
@require_POST
def cut(request: HttpRequest, slug: str) -> HttpResponse:
    """Keep the first N phases: the tool for shortening a scenario (``tools.cut_to_phases``)."""
    draft = editable(request.user, slug)
    if draft.raw is None:
        raise Http404("no scenario to cut")
    try:
        keep = int(request.POST.get("keep", ""))
    except ValueError:
        keep = 0
    phases = draft.raw.get("phases") or []
    if not 1 <= keep < len(phases):
        messages.error(request, _("Choose how many phases to keep (1 to %(n)s).") % {"n": max(len(phases) - 1, 1)})
        return redirect(_back(slug, "phases"))
    raw, removed = tools.cut_to_phases(draft.raw, keep)
    try:
        saved = services.save_raw(
            draft,
            raw=raw,
            by=request.user,
            revision=_revision(request),
            panel="phases",
            action=Edit.TOOL,
            detail={"tool": "cut", "keep": keep, "removed": removed.items, "scrubbed": removed.scrubbed},
        )
    except services.StaleEdit:
        return _stale(request, slug)
    kinds: dict[str, int] = defaultdict(int)
    for kind, _ident in removed.items:
        kinds[kind] += 1
    names = {
        "phases": lambda n: ngettext("%(n)d phase", "%(n)d phases", n),
        "injects": lambda n: ngettext("%(n)d inject", "%(n)d injects", n),
        "actions": lambda n: ngettext("%(n)d action", "%(n)d actions", n),
        "objectives": lambda n: ngettext("%(n)d objective", "%(n)d objectives", n),
        "pressures": lambda n: ngettext("%(n)d pressure", "%(n)d pressures", n),
        "bot_lines": lambda n: ngettext("%(n)d bot line", "%(n)d bot lines", n),
    }
    messages.info(
        request,
        _(
            "Cut to %(keep)s phases: the clock now ends at %(end)s. Removed %(what)s; %(n)s references taken out of lists."
        )
        % {
            "keep": keep,
            "end": (raw.get("clock") or {}).get("end", "?"),
            "what": ", ".join(
                names[kind](n) % {"n": n} if kind in names else f"{n} {kind}" for kind, n in kinds.items()
            )
            or "—",
            "n": removed.scrubbed,
        },
    )
    _report(request, saved)
    return redirect(_back(slug, "phases"))


@staff_required
@require_POST
def save_yaml(request: HttpRequest, slug: str) -> HttpResponse:
    draft = editable(request.user, slug)
    text = request.POST.get("text", "")
    if len(text.encode("utf-8")) > imports.max_bytes():
        messages.error(request, _("The text is larger than %(limit)s.") % {"limit": imports.limit_label()})
        return redirect(_back(slug, "yaml"))
    try:
        saved = services.save_text(draft, text=text, by=request.user, revision=_revision(request))
    except services.StaleEdit:
        return _stale(request, slug)
    _report(request, saved)
    return redirect(_back(slug, "yaml"))


@staff_required
@require_POST
def save_translations(request: HttpRequest, slug: str) -> HttpResponse:
    """The side-by-side table: every shown text's English and Spanish, and 'still correct' ticks."""
    draft = editable(request.user, slug)
    if draft.raw is None:
        raise Http404("no texts")
    raw = copy_raw(draft.raw)
    current = {t.location: t for t in texts.texts(raw)}
    confirm = []
    n = 0
    while f"t-{n}-loc" in request.POST:
        location = request.POST[f"t-{n}-loc"]
        ref = current.get(location)
        if ref is not None:
            path = problems.tokens(location)
            for lang in ("en", "es"):
                name = f"t-{n}-{lang}"
                if name in request.POST and request.POST[name] != getattr(ref, lang):
                    editor.set_at(raw, (*path, lang), request.POST[name])
            if request.POST.get(f"t-{n}-ok"):
                confirm.append(ref.key)
        n += 1
    try:
        saved = services.save_raw(
            draft, raw=raw, by=request.user, revision=_revision(request), panel="translations", confirm=confirm
        )
    except services.StaleEdit:
        return _stale(request, slug)
    _report(request, saved)
    query = "&all=1" if request.POST.get("all") == "1" else ""
    return redirect(_back(slug, "translations") + query)


@staff_required
@require_GET
def draft_yaml(request: HttpRequest, slug: str) -> HttpResponse:
    draft = editable(request.user, slug)
    response = HttpResponse(draft.text, content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{draft.filename}"'
    return response


# --------------------------------------------------------------------------- versions: export, diff, preview


@staff_required
@require_GET
def export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    version = _version(pk)
    name = f"{version.slug}-v{version.version}"
    if fmt == "yaml":
        response = HttpResponse(dump(version.snapshot), content_type="application/yaml; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{version.slug}.yaml"'
    elif fmt == "xlsx":
        response = HttpResponse(
            msel.to_xlsx(version.snapshot),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}-msel.xlsx"'
    elif fmt == "csv":
        response = HttpResponse(msel.to_csv(version.snapshot), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}-msel.csv"'
    else:
        raise Http404("no such format")
    return response


@staff_required
@require_GET
def diff(request: HttpRequest) -> HttpResponse:
    """Two versions as YAML, line by line: what was removed, what was added."""
    try:
        a, b = _version(int(request.GET.get("a", ""))), _version(int(request.GET.get("b", "")))
    except ValueError:
        raise Http404("choose two versions") from None
    old, new = dump(a.snapshot).splitlines(), dump(b.snapshot).splitlines()
    hunks = []
    added = removed = 0
    for group in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_grouped_opcodes(3):
        lines: list[tuple[str, int | str, int | str, str]] = []  # kind, old line no, new line no, text
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [("same", i + 1, j + 1, old[i]) for i, j in zip(range(i1, i2), range(j1, j2), strict=True)]
                continue
            if tag in ("replace", "delete"):
                lines += [("del", i + 1, "", old[i]) for i in range(i1, i2)]
                removed += i2 - i1
            if tag in ("replace", "insert"):
                lines += [("add", "", j + 1, new[j]) for j in range(j1, j2)]
                added += j2 - j1
        hunks.append(lines)
    return render(
        request,
        "studio/diff.html",
        {"a": a, "b": b, "hunks": hunks, "added": added, "removed": removed, "slug": b.slug},
    )


@staff_required
@require_GET
def preview_role(request: HttpRequest, pk: int) -> HttpResponse:
    version = _version(pk)
    model = scenario_for(version)
    lang = _lang()
    played = [r for r in model.roles if not r.institution]
    role = request.GET.get("role") or (played[0].id if played else "")
    if role not in {r.id for r in played}:
        raise Http404("no such role")
    context = preview.first_screen(version, role, lang)
    return render(
        request,
        "studio/preview.html",
        {
            **context,
            "version": version,
            "roles": [(r.id, r.title.get(lang)) for r in played],
            "role": role,
            "role_spec": model.role(role),
            "lang": lang,
        },
    )


# --------------------------------------------------------------------------- dry run and start


@staff_required
@require_POST
def dry_run_start(request: HttpRequest, pk: int) -> HttpResponse:
    version = _version(pk)
    try:
        count = max(1, min(dryrun.MAX_SEEDS, int(request.POST.get("seeds") or dryrun.DEFAULT_SEEDS)))
    except ValueError:
        count = dryrun.DEFAULT_SEEDS
    job = runner.submit(
        dryrun.KIND, owner=request.user, params={"version": version.pk, "seeds": list(range(1, count + 1))}
    )
    services.log_dry_run(version, by=request.user, job_id=str(job.pk), seeds=count)
    return redirect("studio:dry_run", job=job.pk)


def _dry_context(job: Any, lang: str, seed: int | None) -> dict[str, Any]:
    result = job.result or {}
    summary = result.get("summary") or {}
    runs = result.get("runs") or []
    chosen = next((r for r in runs if r["seed"] == seed), runs[0] if runs else None)
    version = ScenarioVersion.objects.filter(pk=result.get("version") or job.params.get("version")).first()
    return {
        "job": job,
        "version": version,
        "summary": summary,
        "lang_summary": (summary.get("langs") or {}).get(lang, {}),
        "runs": runs,
        "chosen": chosen,
        "charts": review_bridge.charts(chosen["charts"][lang]) if chosen else [],
        "phase_legend": chosen["legend"][lang] if chosen else [],
        "seconds": result.get("seconds"),
        "flags": summary.get("flags") or [],
        "lang": lang,
        "offset": review_bridge.offset,
    }


@staff_required
@require_GET
def dry_run(request: HttpRequest, job: str) -> HttpResponse:
    """The job's progress while it runs (the partial polls every second), then its report."""
    found = job_for(request.user, job)
    if found.kind != dryrun.KIND:
        raise Http404("not a dry run")
    lang = _lang()
    try:
        seed = int(request.GET.get("seed", ""))
    except ValueError:
        seed = None
    poll_url = reverse("studio:dry_run", args=[found.pk])
    if getattr(request, "htmx", False):
        if found.active or found.status == "failed":
            return render(request, "jobs/job.html", {"job": found, "poll_url": poll_url})
        return render(request, "studio/_dry_run_report.html", _dry_context(found, lang, seed))
    context = _dry_context(found, lang, seed) if found.status == "done" else {"job": found}
    version = context.get("version") or ScenarioVersion.objects.filter(pk=found.params.get("version")).first()
    return render(request, "studio/dry_run.html", {**context, "job": found, "version": version, "poll_url": poll_url})


@staff_required
@require_POST
def start(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        version = _version(int(request.POST.get("version", "")))
    except ValueError:
        raise Http404("choose a version") from None
    if version.slug != slug:
        raise Http404("no such version")
    title = (request.POST.get("title") or "").strip()[:200]
    try:
        tables = max(1, min(MAX_TABLES, int(request.POST.get("tables") or 1)))
    except ValueError:
        tables = 1
    made = services.start(version, by=request.user, title=title, tables=tables)
    if isinstance(made, Workshop):
        return redirect("workshop_console", code=made.code)
    return redirect("console", code=made.code)


@staff_required
@require_POST
def msel_import(request: HttpRequest, slug: str) -> HttpResponse:
    """An MSEL spreadsheet into this scenario (your copy) or into a new copy of it."""
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose an .xlsx or .csv file."))
        return redirect("studio:scenario", slug=slug)
    try:
        result = services.import_msel(slug, upload.read(), filename=upload.name or "msel.xlsx", by=request.user)
    except msel.Unreadable as refusal:
        messages.error(request, str(refusal))
        return redirect("studio:scenario", slug=slug)
    lang = _lang()
    return render(
        request,
        "studio/msel_result.html",
        {
            "result": result,
            "draft": result.draft,
            "cells": [(cell, problems.message(item, lang)) for cell, item in result.cells],
        },
    )
