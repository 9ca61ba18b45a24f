"""Beat-called jobs: the reminder planners (one each, safe to run twice), the worklist's
whole-team scan, and the discharge summaries for GPs (rendered, and swept up if never queued)."""

from celery import shared_task

from reviews import letters, reminders, worklist


@shared_task(name="reviews.tasks.plan_annual_review_invites", ignore_result=True)
def plan_annual_review_invites() -> int:
    return reminders.plan_annual_review_invites()


@shared_task(name="reviews.tasks.plan_appointment_reminders", ignore_result=True)
def plan_appointment_reminders() -> int:
    return reminders.plan_appointment_reminders()


@shared_task(name="reviews.tasks.plan_group_session_reminders", ignore_result=True)
def plan_group_session_reminders() -> int:
    return reminders.plan_group_session_reminders()


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


@shared_task(name="reviews.tasks.render_discharge_letter", ignore_result=True)
def render_discharge_letter(discharge_uuid: str) -> str:
    """Render the discharge summary for the GP. Safe to run twice: an existing letter is kept."""
    letter = letters.render_counted(discharge_uuid)
    return str(letter.uuid) if letter else ""


@shared_task(name="reviews.tasks.render_missing_discharge_letters", ignore_result=True)
def render_missing_discharge_letters() -> int:
    """Queue letters for discharges whose letter was never rendered (broker or worker down at
    discharge). Returns how many were queued."""
    return letters.queue_missing_letters()
