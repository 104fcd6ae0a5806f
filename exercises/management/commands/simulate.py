from django.core.management.base import BaseCommand, CommandError

from exercises.bots import simulate
from scenarios.library import latest, sync_library


class Command(BaseCommand):
    help = "Play a whole exercise headless with bots; prints a summary and, last, the exercise code."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--players", type=int, default=None, help="how many roles bots fill (default: all)")
        parser.add_argument("--step", type=float, default=60.0, help="virtual real-time seconds per step")
        parser.add_argument(
            "--policy",
            choices=["role", "random"],
            default="role",
            help="role: seat bots that play their roles' objectives (default); random: random players",
        )

    def handle(self, *args, slug, seed, players, step, policy, **options):
        sync_library()
        version = latest(slug)
        if version is None:
            raise CommandError(f"no valid scenario with slug {slug!r} (run manage.py validate_scenarios)")
        summary = simulate(version, seed=seed, players=players, step=step, policy=policy)
        out = self.stdout
        out.write(f"scenario   {slug} (version {version.content_hash[:12]}), seed {seed}, {policy} policy")
        out.write(f"events     {summary.events}")
        out.write(f"decisions  {summary.decisions} executed, {summary.refused} refused by an approver")
        rejected = ", ".join(f"{rule}: {n}" for rule, n in sorted(summary.rejected.items())) or "none"
        out.write(f"rejected   {sum(summary.rejected.values())} commands ({rejected})")
        out.write("indicators " + ", ".join(f"{k}={v}" for k, v in summary.indicators.items()))
        out.write(summary.exercise.code)
