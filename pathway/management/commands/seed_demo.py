from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from pathway.demo import DEMO_PASSWORD, USERS, seed_kernel


class Command(BaseCommand):
    help = "Load the demo data set (idempotent) and print one demo login per role (two patients)."

    def handle(self, *args, **options):
        with transaction.atomic():
            ctx = seed_kernel()
            for config in apps.get_app_configs():
                hook = getattr(config, "seed_demo", None)
                if callable(hook):
                    hook(ctx)
        # Planner statistics for the rows just written. SQLite keeps none until ANALYZE runs,
        # and without them it finds an episode's milestones by walking every milestone of the
        # kind, which made an area's dashboard take seconds on a few thousand patients.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready. Demo logins (password for all: {DEMO_PASSWORD}):")
        )
        seen = set()
        for _key, email, name, role, _discipline, _orgs in USERS:
            # Both patients: one cared for with headache, one with chronic pain.
            if role in seen and role != "patient":
                continue
            seen.add(role)
            self.stdout.write(f"  {role:<13} {email:<28} {name}")
