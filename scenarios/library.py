"""The scenario library: files on disk, versions in the database.

Thin on purpose: the checks live in ``loader`` (plain Python); this module stores
what passes them and hands the engine a parsed ``Scenario`` for a stored version.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import OuterRef, QuerySet, Subquery

from .loader import Problem, ScenarioError, content_hash, discover, load_file, parse
from .models import ArchivedScenario, ScenarioVersion
from .schema import Scenario


@dataclass
class SyncReport:
    added: list[ScenarioVersion] = field(default_factory=list)
    unchanged: list[ScenarioVersion] = field(default_factory=list)
    # Files whose text matches a version stored earlier than the slug's latest (a file put back
    # to an old text): nothing is stored, and latest() still returns the newer version.
    stale: list[ScenarioVersion] = field(default_factory=list)
    rejected: dict[str, list[Problem]] = field(default_factory=dict)  # file -> its problems

    @property
    def ok(self) -> bool:
        return not self.rejected


def scenario_dirs() -> list[Path]:
    return [Path(d) for d in settings.CRISIS_TABLE["SCENARIO_DIRS"]]


def display_path(path: str | Path) -> str:
    """A path as people read it: relative to the project (or the working directory) when inside it."""
    resolved = Path(path).resolve()
    for base in (Path(settings.BASE_DIR).resolve(), Path.cwd()):
        if resolved.is_relative_to(base):
            return str(resolved.relative_to(base))
    return str(path)


@dataclass
class Checked:
    """One file's verdict: ``scenario`` and ``raw`` when valid, ``problems`` otherwise."""

    path: Path
    name: str
    scenario: Scenario | None = None
    raw: dict | None = None
    problems: list[Problem] = field(default_factory=list)


def check_files(paths: Iterable[str | Path]) -> list[Checked]:
    """Load and check every file, in order. Writes nothing.

    A slug may be used by one file only (two library dirs could both hold ``mini.yaml``).
    """
    results: list[Checked] = []
    owners: dict[str, str] = {}
    for path in map(Path, paths):
        item = Checked(path, display_path(path))
        results.append(item)
        try:
            item.scenario, item.raw = load_file(path, source=item.name)
        except ScenarioError as exc:
            item.problems = exc.problems
            continue
        slug = item.scenario.slug
        if slug in owners:
            item.problems = [Problem(item.name, "slug", f"slug {slug!r} is already used by {owners[slug]}")]
            item.scenario = item.raw = None
            continue
        owners[slug] = item.name
    return results


def sync_library(dirs: Iterable[str | Path] | None = None) -> SyncReport:
    """Store a new ScenarioVersion for every valid file whose content is new; never store an invalid one."""
    report = SyncReport()
    for item in check_files(discover(scenario_dirs() if dirs is None else dirs)):
        if item.scenario is None or item.raw is None:
            report.rejected[item.name] = item.problems
            continue
        scenario = item.scenario
        newest = latest(scenario.slug)
        version, created = ScenarioVersion.objects.get_or_create(
            content_hash=content_hash(item.raw),
            defaults={
                "slug": scenario.slug,
                "version": scenario.version,
                "title": scenario.title.en[:200],
                "snapshot": item.raw,
                "source": item.name[:500],
            },
        )
        if created:
            report.added.append(version)
        elif newest is not None and newest.pk != version.pk:
            report.stale.append(version)
        else:
            report.unchanged.append(version)
    return report


def store_version(
    raw: dict[str, Any], *, source: str, created_by: Any = None, derived_from: ScenarioVersion | None = None
) -> tuple[ScenarioVersion, bool]:
    """Store a valid raw scenario as a version (the studio's save); an identical text is found, not stored twice.

    Raises ``ScenarioError`` if the dict is not a valid scenario: nothing invalid is ever stored.
    """
    scenario = parse(raw, source=source)
    return ScenarioVersion.objects.get_or_create(
        content_hash=content_hash(raw),
        defaults={
            "slug": scenario.slug,
            "version": scenario.version,
            "title": scenario.title.en[:200],
            "snapshot": raw,
            "source": source[:500],
            "created_by": created_by,
            "derived_from": derived_from,
        },
    )


def _newest_first() -> QuerySet[ScenarioVersion]:
    return ScenarioVersion.objects.order_by("-loaded_at", "-pk")


def latest(slug: str) -> ScenarioVersion | None:
    return _newest_first().filter(slug=slug).first()


def available() -> list[ScenarioVersion]:
    """The latest version of every scenario not archived, by slug."""
    newest = _newest_first().filter(slug=OuterRef("slug")).values("pk")[:1]
    return list(
        ScenarioVersion.objects.filter(pk=Subquery(newest))
        .exclude(slug__in=ArchivedScenario.objects.values("slug"))
        .order_by("slug")
    )


# content_hash -> parsed Scenario. A version never changes, so an entry never goes stale;
# parsing (pydantic + cross-checks) runs once per version per process.
_parsed: dict[str, Scenario] = {}


def scenario_for(version: ScenarioVersion) -> Scenario:
    scenario = _parsed.get(version.content_hash)
    if scenario is None:
        scenario = parse(version.snapshot, source=f"{version.slug} v{version.version} ({version.content_hash[:12]})")
        _parsed[version.content_hash] = scenario
    return scenario
