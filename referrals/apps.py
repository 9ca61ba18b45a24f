from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = "Referrals and triage"

    def ready(self) -> None:
        from pathway import episode_endings, patient_tasks, referrer_tasks, tried_before
        from pathway.signals import patient_details_corrected
        from referrals.episode_endings import referral_endings
        from referrals.patient_view import referral_outcomes
        from referrals.referrer_tasks import came_back
        from referrals.services.rescreening import screen_again_for_corrected_birth_date
        from referrals.tried_before import preventives_tried

        referrer_tasks.register(came_back)
        patient_tasks.register(referral_outcomes)
        tried_before.register(preventives_tried)
        episode_endings.register(referral_endings)
        patient_details_corrected.connect(
            screen_again_for_corrected_birth_date, dispatch_uid="referrals-screen-again"
        )

    def seed_demo(self, ctx) -> None:
        """Demo referrals for `manage.py seed_demo` (idempotent)."""
        from referrals.demo import seed_demo

        seed_demo(ctx)
