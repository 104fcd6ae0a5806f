from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from exercises import services
from exercises.models import Exercise
from scenarios.library import latest, sync_library

DEMO_USER = "facilitator"
DEMO_PASSWORD = "crisis-table-demo"  # printed below; local demo only (make run binds 127.0.0.1); 12+ characters


class Command(BaseCommand):
    help = "Make sure a demo facilitator and a demo exercise exist, and print their links."

    def add_arguments(self, parser):
        parser.add_argument("--slug", default="september-2001")
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    def handle(self, *args, slug, base_url, **options):
        sync_library()
        version = latest(slug)
        if version is None:
            raise CommandError(f"scenario {slug!r} is missing or invalid (manage.py validate_scenarios)")
        User = get_user_model()
        user = User.objects.filter(username=DEMO_USER).first()
        if user is None:
            user = User.objects.create_user(DEMO_USER, password=DEMO_PASSWORD, is_staff=True)
            self.stdout.write(f"Created the demo facilitator: {DEMO_USER} / {DEMO_PASSWORD}")
        elif not user.check_password(DEMO_PASSWORD):  # an older demo's shorter password
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        # The demo facilitator's own: with ownership (docs/security.md) another account's table
        # would answer 404 on the console link printed below.
        exercise = Exercise.objects.filter(title__startswith="Demo ·", status="lobby", owner=user).first()
        if exercise is None:
            exercise = services.create_exercise(scenario=version, title=f"Demo · {version.title}", by=user)
        self.stdout.write("")
        self.stdout.write(f"  Demo exercise   {exercise.title}  (code {exercise.code})")
        self.stdout.write(f"  Sign in         {base_url}/accounts/login/   ({DEMO_USER} / {DEMO_PASSWORD})")
        self.stdout.write(f"  Console         {base_url}/x/{exercise.code}/console/")
        self.stdout.write(f"  Players join    {base_url}/join/{exercise.code}/")
        self.stdout.write(f"  Projector       {base_url}/x/{exercise.code}/projector/")
        self.stdout.write(f"  Review          {base_url}/review/{exercise.code}/")
        self.stdout.write(f"  Studio          {base_url}/studio/")
        self.stdout.write("")
