from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from pathway.demo import DEMO_PASSWORD, USERS, seed_kernel


class Command(BaseCommand):
    help = "Load the demo data set (idempotent) and print one demo login per role."

    def handle(self, *args, **options):
        with transaction.atomic():
            ctx = seed_kernel()
            for config in apps.get_app_configs():
                hook = getattr(config, "seed_demo", None)
                if callable(hook):
                    hook(ctx)
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready. Demo logins (password for all: {DEMO_PASSWORD}):")
        )
        seen = set()
        for _key, email, name, role, _discipline, _orgs in USERS:
            if role in seen:
                continue
            seen.add(role)
            self.stdout.write(f"  {role:<13} {email:<28} {name}")
