from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from exercises import engine, services
from exercises.models import Exercise, normalise_code


class Command(BaseCommand):
    help = "Fork an exercise right after event SEQ: a new exercise, paused there; prints, last, its code."

    def add_arguments(self, parser):
        parser.add_argument("code")
        parser.add_argument("--at", type=int, required=True, metavar="SEQ", help="the last event the fork inherits")
        parser.add_argument("--keep-seats", action="store_true", help="the same participants keep their roles")
        parser.add_argument("--title", default="")
        parser.add_argument(
            "--by",
            default="",
            metavar="USERNAME",
            help="the facilitator who forks it and owns the fork (the parent's owner or a co-facilitator); "
            "default: the parent's owner",
        )

    def handle(self, *args, code, at, keep_seats, title, by, **options):
        exercise = Exercise.objects.filter(code=normalise_code(code)).first()
        if exercise is None:
            raise CommandError(f"no exercise with code {code!r}")
        user = None
        if by:
            user = get_user_model().objects.filter(username=by).first()
            if user is None:
                raise CommandError(f"no user named {by!r}")
        try:
            child = services.fork(exercise=exercise, at_seq=at, by=user, keep_seats=keep_seats, title=title)
        except engine.InvalidCommand as exc:
            raise CommandError(str(exc)) from None
        owner = child.owner.get_username() if child.owner else "nobody (superusers only)"
        self.stdout.write(f"forked     {exercise.code} at event {at} ({child.title})")
        self.stdout.write(f"seats      {'kept' if keep_seats else 'empty'}; clock {child.status}; owner {owner}")
        self.stdout.write(child.code)
