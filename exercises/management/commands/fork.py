from django.core.management.base import BaseCommand, CommandError

from exercises import engine, services
from exercises.models import Exercise


class Command(BaseCommand):
    help = "Fork an exercise right after event SEQ: a new exercise, paused there; prints, last, its code."

    def add_arguments(self, parser):
        parser.add_argument("code")
        parser.add_argument("--at", type=int, required=True, metavar="SEQ", help="the last event the fork inherits")
        parser.add_argument("--keep-seats", action="store_true", help="the same participants keep their roles")
        parser.add_argument("--title", default="")

    def handle(self, *args, code, at, keep_seats, title, **options):
        exercise = Exercise.objects.filter(code=code.strip().upper()).first()
        if exercise is None:
            raise CommandError(f"no exercise with code {code!r}")
        try:
            child = services.fork(exercise=exercise, at_seq=at, keep_seats=keep_seats, title=title)
        except engine.InvalidCommand as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"forked     {exercise.code} at event {at} ({child.title})")
        self.stdout.write(f"seats      {'kept' if keep_seats else 'empty'}; clock {child.status}")
        self.stdout.write(child.code)
