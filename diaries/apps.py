from django.apps import AppConfig


class DiariesConfig(AppConfig):
    name = "diaries"
    verbose_name = "Headache and pain diary"

    def seed_demo(self, ctx) -> None:
        """Demo diaries for the demo patients (called by `manage.py seed_demo`)."""
        from diaries.demo import seed_demo

        seed_demo(ctx)
