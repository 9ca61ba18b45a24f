from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = "Referrals and triage"

    def ready(self) -> None:
        from pathway import referrer_tasks
        from referrals.referrer_tasks import came_back

        referrer_tasks.register(came_back)

    def seed_demo(self, ctx) -> None:
        """Demo referrals for `manage.py seed_demo` (idempotent)."""
        from referrals.demo import seed_demo

        seed_demo(ctx)
