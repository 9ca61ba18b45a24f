"""Beat-called reminder planners: thin wrappers, one planner each, safe to run twice."""

from celery import shared_task

from reviews import reminders


@shared_task(name="reviews.tasks.plan_annual_review_invites", ignore_result=True)
def plan_annual_review_invites() -> int:
    return reminders.plan_annual_review_invites()


@shared_task(name="reviews.tasks.plan_appointment_reminders", ignore_result=True)
def plan_appointment_reminders() -> int:
    return reminders.plan_appointment_reminders()


@shared_task(name="reviews.tasks.plan_questionnaire_reminders", ignore_result=True)
def plan_questionnaire_reminders() -> int:
    return reminders.plan_questionnaire_reminders()


@shared_task(name="reviews.tasks.plan_trial_review_reminders", ignore_result=True)
def plan_trial_review_reminders() -> int:
    return reminders.plan_trial_review_reminders()


@shared_task(name="reviews.tasks.plan_diary_nudges", ignore_result=True)
def plan_diary_nudges() -> int:
    return reminders.plan_diary_nudges()
