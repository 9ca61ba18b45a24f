"""`manage.py seed_load --patients N --days D`: the benchmark data set (DESIGN.md section 9).

The generator lives in `bench.loaddata` (it writes every app's tables, which the kernel may not
import), so it is imported inside `handle()`.
"""

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Build the load data set for benchmarks: N patients across the demo organisation tree, "
        "D days of diary each, and about two referrals, five appointments and three "
        "questionnaires per patient. Skips if already loaded at this size; --reset empties a "
        "benchmark database first."
    )

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, default=10_000)
        parser.add_argument("--days", type=int, default=140, help="Days of diary per patient.")
        parser.add_argument("--seed", type=int, default=None, help="Random seed (default fixed).")
        parser.add_argument(
            "--beside-demo",
            action="store_true",
            help="Add the data set beside the demo's patients (manage.py seed_demo), so the "
            "commissioner dashboard has figures large enough to publish.",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Empty the database first (refused if it holds patients the load did not make).",
        )

    def handle(self, *args, patients, days, seed, reset, beside_demo, **options):
        from bench import loaddata
        from pathway.dashboard import snapshots

        if patients < 1 or not 1 <= days <= 366:
            raise CommandError("--patients must be at least 1 and --days from 1 to 366.")
        try:
            result = loaddata.load(
                patients=patients,
                days=days,
                seed=loaddata.DEFAULT_SEED if seed is None else seed,
                reset_first=reset,
                beside_demo=beside_demo,
                log=self.stdout.write,
            )
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        if not result.skipped:
            # Figures kept from before the load would hide it until they fell due.
            snapshots.forget_all()
        if result.skipped:
            state = result.state
            self.stdout.write(
                f"Load data set already there: {state['patients']:,} patients, "
                f"{state['days']} days, loaded on {state['loaded_on']} in "
                f"{state['seconds']:.0f} s."
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Loaded {patients:,} patients and {days} days of diary in "
                    f"{result.seconds:.1f} s."
                )
            )
        for label, count in loaddata.summary(result.counts):
            self.stdout.write(f"  {label:<32} {count:>10,}")
