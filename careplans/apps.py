from django.apps import AppConfig


class CareplansConfig(AppConfig):
    name = "careplans"
    verbose_name = "Care plans"

    def seed_demo(self, ctx) -> None:
        """Demo plans, trials and leaflets for `manage.py seed_demo` (idempotent)."""
        from careplans.demo import seed

        seed(ctx)
