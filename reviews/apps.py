from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Reviews, questionnaires and reminders"

    def ready(self) -> None:
        from pathway import (
            episode_letters,
            first_contacts,
            patient_tasks,
            patient_warnings,
            plan_starts,
            referrer_tasks,
        )
        from pathway.signals import (
            assessment_recorded,
            emergency_stop_for_patient_in_care,
            red_flags_for_patient_in_care,
            referral_episode_ended,
        )
        from reviews.episode_letters import discharge_summaries
        from reviews.first_contacts import first_conversations
        from reviews.patient_tasks import things_to_do
        from reviews.patient_warnings import open_safety_alerts
        from reviews.plan_starts import what_matters
        from reviews.referrer_tasks import discharged
        from reviews.services.episodes import end_care_booked_before_triage
        from reviews.services.questionnaires import (
            alert_on_emergency_stop,
            alert_on_new_red_flags,
            alert_on_risky_answer,
        )

        assessment_recorded.connect(alert_on_risky_answer, dispatch_uid="reviews-safety-alert")
        red_flags_for_patient_in_care.connect(
            alert_on_new_red_flags, dispatch_uid="reviews-red-flags-alert"
        )
        emergency_stop_for_patient_in_care.connect(
            alert_on_emergency_stop, dispatch_uid="reviews-emergency-stop-alert"
        )
        referral_episode_ended.connect(
            end_care_booked_before_triage, dispatch_uid="reviews-end-care-booked-before-triage"
        )
        patient_warnings.register(open_safety_alerts)
        patient_tasks.register(things_to_do)
        plan_starts.register(what_matters)
        episode_letters.register(discharge_summaries)
        referrer_tasks.register(discharged)
        first_contacts.register(first_conversations)

    def seed_demo(self, ctx) -> None:
        from reviews.demo import seed_reviews

        seed_reviews(ctx)
