"""Store every valid scenario file as a new version when its content is new.

Invalid files are reported (one line per problem) and never stored; exit status 1 if any.
"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from scenarios.library import sync_library


class Command(BaseCommand):
    help = "Load the scenario library into the database (default: every file in SCENARIO_DIRS)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="*", type=Path, help="scenario files or directories")

    def handle(self, *args: Any, paths: list[Path], **options: Any) -> None:
        report = sync_library(paths or None)
        for version in report.added:
            self.stdout.write(
                f"added {version.slug} v{version.version} ({version.content_hash[:12]}) from {version.source}"
            )
        for version in report.unchanged:
            self.stdout.write(f"unchanged {version.slug} v{version.version} ({version.content_hash[:12]})")
        for version in report.stale:
            self.stderr.write(
                f"{version.source}: (file): same text as {version.slug} v{version.version} "
                f"({version.content_hash[:12]}), which is older than the latest stored version; "
                "change the file (e.g. its version:) to make it the latest again"
            )
        for problems in report.rejected.values():
            for problem in problems:
                self.stderr.write(str(problem))
        self.stdout.write(
            f"{len(report.added)} added, {len(report.unchanged) + len(report.stale)} unchanged, "
            f"{len(report.rejected)} rejected"
        )
        if report.rejected:
            raise SystemExit(1)
