from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = "Referrals and triage"

    def seed_demo(self, ctx) -> None:
        """Demo referrals for `manage.py seed_demo` (idempotent)."""
        from referrals.demo import seed_demo

        seed_demo(ctx)
