"""An MSEL spreadsheet from the command line (for bars and scripts).

    python manage.py msel export september-2001 --output sept.xlsx     # or sept.csv
    python manage.py msel import sept.xlsx --into september-2001 [--as my-copy] [--user NAME]

``import`` reads the rows into the injects of the latest version of ``--into`` and stores the
result as a new version of ``--as`` (default: the same slug when it is a studio scenario; a new
copy when it is a shipped, read-only one). One line per problem (``file: Injects!B7 (time): ...``);
exit status 1 and nothing stored when there is any.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from scenarios.library import latest
from studio import msel, services
from studio.models import Draft


class Command(BaseCommand):
    help = "Export the inject list of a scenario as an MSEL spreadsheet (XLSX or CSV), or import one."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        out = sub.add_parser("export", help="write the injects of the latest version of a scenario")
        out.add_argument("slug")
        out.add_argument("--output", "-o", required=True, type=Path, help="F.xlsx or F.csv")
        into = sub.add_parser("import", help="read a sheet into a scenario (a new version)")
        into.add_argument("file", type=Path)
        into.add_argument("--into", required=True, dest="into", help="the scenario whose injects the rows replace")
        into.add_argument("--as", dest="as_slug", default="", help="store under this slug (a copy)")
        into.add_argument(
            "--user", default="", help="the facilitator recorded as author (default: the first staff user)"
        )

    def handle(self, *args, action: str, **options) -> None:
        if action == "export":
            self.export(options["slug"], options["output"])
        else:
            self.import_(options["file"], options["into"], options["as_slug"], options["user"])

    def export(self, slug: str, output: Path) -> None:
        version = latest(slug)
        if version is None:
            raise CommandError(f"no scenario {slug!r} (run manage.py load_scenarios)")
        suffix = output.suffix.lower()
        if suffix == ".xlsx":
            output.write_bytes(msel.to_xlsx(version.snapshot))
        elif suffix == ".csv":
            output.write_text(msel.to_csv(version.snapshot), encoding="utf-8")
        else:
            raise CommandError("--output must end in .xlsx or .csv")
        count = len(version.snapshot.get("injects") or [])
        self.stdout.write(f"wrote {output} ({count} injects of {slug} v{version.version})")

    def import_(self, path: Path, into: str, as_slug: str, username: str) -> None:
        if not path.exists():
            raise CommandError(f"{path}: no such file")
        users = get_user_model().objects
        user = (
            users.filter(username=username).first() if username else users.filter(is_staff=True).order_by("pk").first()
        )
        if user is None:
            raise CommandError("no such user: create a facilitator first (manage.py createfacilitator)")
        base = latest(into)
        if base is None:
            raise CommandError(f"no scenario {into!r}")
        try:
            sheet, rows = msel.read(path.read_bytes(), path.name)
        except msel.Unreadable as exc:
            raise CommandError(f"{path}: {exc}") from None
        applied = msel.apply(base.snapshot, rows, sheet=sheet, source=str(path))
        problems = [str(p) for p in applied.problems]
        with transaction.atomic():
            target = as_slug or into
            draft = Draft.objects.filter(slug=target).first()
            if draft is None or draft.owner_id != user.pk:
                if as_slug and draft is None:
                    draft = services.copy_version(base, by=user, slug=as_slug)
                elif as_slug:
                    raise CommandError(f"{as_slug!r} belongs to someone else")
                else:
                    draft = services.copy_version(base, by=user)
            saved = services.save_raw(
                draft, raw={**applied.raw, "slug": draft.slug}, by=user, panel="msel", action="msel_import"
            )
            problems += [
                f"{path}: {msel.cell_of(applied, p['location'], sheet)}: {p['message']}" for p in saved.problems
            ]
            if problems:
                for line in problems:
                    self.stderr.write(line if line.startswith(str(path)) else line)
                transaction.set_rollback(True)
                raise SystemExit(1)
        self.stdout.write(
            f"{draft.slug} v{saved.version.version if saved.version else '?'}: "
            f"{len(applied.changed)} changed, {len(applied.added)} added, {len(applied.removed)} removed"
        )
