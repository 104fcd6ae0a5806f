"""Check scenario files and print every problem, one line each; writes nothing.

    python manage.py validate_scenarios                  # every file in SCENARIO_DIRS
    python manage.py validate_scenarios path/to/x.yaml   # files or directories

Exit status 0 when every file is valid, 1 otherwise (for CI and editors).
"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from scenarios.library import check_files, display_path, scenario_dirs
from scenarios.loader import FILE, Problem, discover


class Command(BaseCommand):
    help = "Validate scenario files (default: every file in SCENARIO_DIRS). Changes nothing."
    requires_system_checks = []  # a file check: it must run even while the rest of the project is mid-change

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="*", type=Path, help="scenario files or directories")

    def handle(self, *args: Any, paths: list[Path], **options: Any) -> None:
        targets = paths or scenario_dirs()
        missing = [Problem(display_path(p), FILE, "no such file or directory") for p in paths if not p.exists()]
        results = check_files(discover(targets))
        if not results and not missing:
            self.stderr.write(f"no scenario files (*.yaml, *.yml) in {', '.join(display_path(t) for t in targets)}")
            raise SystemExit(1)
        for problem in missing:
            self.stderr.write(str(problem))
        for item in results:
            if item.scenario is not None:
                sc = item.scenario
                self.stdout.write(
                    f"OK {item.name} ({sc.slug}: {len(sc.roles)} roles, {len(sc.injects)} injects, {len(sc.actions)} actions)"
                )
            for problem in item.problems:
                self.stderr.write(str(problem))
        invalid = len(missing) + sum(1 for item in results if item.problems)
        if invalid:
            raise SystemExit(1)
