from django.apps import AppConfig


class DiariesConfig(AppConfig):
    name = "diaries"
    verbose_name = "Headache and pain diary"

    def ready(self) -> None:
        from diaries.patient_tasks import todays_diary
        from diaries.recent import last_90_days
        from pathway import patient_tasks, recent_diary

        patient_tasks.register(todays_diary)
        recent_diary.register(last_90_days)

    def seed_demo(self, ctx) -> None:
        """Demo diaries for the demo patients (called by `manage.py seed_demo`)."""
        from diaries.demo import seed_demo

        seed_demo(ctx)
