"""Beat-called jobs: the reminder planners (one each, safe to run twice) and the worklist's
whole-team scan."""

from celery import shared_task

from reviews import reminders, worklist


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


@shared_task(name="reviews.tasks.warm_team_worklists", ignore_result=True)
def warm_team_worklists() -> int:
    return worklist.warm_team_scans()
