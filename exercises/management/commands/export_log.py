from django.core.management.base import BaseCommand, CommandError

from exercises.models import Exercise
from review import exports


class Command(BaseCommand):
    help = "Write an exercise's event log as JSON Lines (one event per line) or CSV."

    def add_arguments(self, parser):
        parser.add_argument("code")
        parser.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
        parser.add_argument("--output", default="-", help="file path; '-' for standard output")

    def handle(self, *args, code, format, output, **options):
        exercise = Exercise.objects.select_related("scenario").filter(code=code.upper()).first()
        if exercise is None:
            raise CommandError(f"no exercise with code {code!r}")
        lines = exports.jsonl(exercise) if format == "jsonl" else exports.csv_lines(exports.event_table(exercise))
        if output == "-":
            for line in lines:
                self.stdout.write(line, ending="")
            return
        with open(output, "w", encoding="utf-8", newline="") as handle:
            for line in lines:
                handle.write(line)
        self.stderr.write(f"wrote {output}")
