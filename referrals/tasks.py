"""Referral tasks: thin wrappers that take UUID strings and call one service."""

from celery import shared_task

from referrals import letters


@shared_task(name="referrals.tasks.render_triage_letter", ignore_result=True)
def render_triage_letter(referral_uuid: str) -> str:
    """Render the triage-outcome letter. Safe to run twice: an existing letter is kept."""
    letter = letters.render_counted(referral_uuid)
    return str(letter.uuid) if letter else ""


@shared_task(name="referrals.tasks.render_missing_letters", ignore_result=True)
def render_missing_letters() -> int:
    """Queue letters for decisions whose letter was never rendered (broker or worker down when
    the decision was saved). Returns how many were handed to the broker."""
    return letters.queue_missing_letters()
