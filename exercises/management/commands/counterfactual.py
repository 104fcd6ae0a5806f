import json
import sys

from django.core.management.base import BaseCommand, CommandError

from exercises import selectors
from exercises.engine import counterfactual
from exercises.models import Exercise
from scenarios.library import scenario_for


class Command(BaseCommand):
    help = (
        "Play an exercise on from event SEQ with bots, K times, in memory (nothing is stored); prints JSON: "
        "indicator bands over time, objective rates, rules that bit, key events. "
        "Changed decisions: --set ACTION=go|never|OPTION, --set ACTION@ROLE=grant|refuse (ROLE may be *)."
    )

    def add_arguments(self, parser):
        parser.add_argument("code")
        parser.add_argument("--at", type=int, required=True, metavar="SEQ", help="play on from right after this event")
        parser.add_argument("--set", action="append", default=[], metavar="DECISION", dest="changes")
        parser.add_argument("--seeds", type=int, default=20, metavar="K")
        parser.add_argument("--first-seed", type=int, default=1, help="seeds are FIRST .. FIRST+K-1")
        parser.add_argument("--policy", choices=counterfactual.POLICIES, default="role")
        parser.add_argument("--points", type=int, default=60, help="moments sampled over the rest of the play")
        parser.add_argument("--progress", action="store_true", help="report each seed on stderr")

    def handle(self, *args, code, at, changes, seeds, first_seed, policy, points, progress, **options):
        exercise = Exercise.objects.filter(code=code.strip().upper()).first()
        if exercise is None:
            raise CommandError(f"no exercise with code {code!r}")
        if not 1 <= seeds <= 1000:
            raise CommandError("--seeds: from 1 to 1000")
        if not 2 <= points <= 1000:
            raise CommandError("--points: from 2 to 1000")
        scenario = scenario_for(exercise.scenario)
        try:
            parsed = [counterfactual.parse_change(text, scenario) for text in changes]
            result = counterfactual.run(
                scenario,
                selectors.log(exercise.pk),  # the whole log: the real run is shown beside the counterfactual
                at_seq=at,
                seeds=range(first_seed, first_seed + seeds),
                changes=parsed,
                policy=policy,
                points=points,
                progress=(lambda done, total: print(f"seed {done}/{total}", file=sys.stderr)) if progress else None,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(json.dumps({"exercise": exercise.code, **result.as_dict()}, ensure_ascii=False))
