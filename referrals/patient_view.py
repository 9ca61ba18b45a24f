"""What a patient reads about their own self-referral: the care team's decision in plain words,
with the advice the team wrote for them, and the line on their home page that points to it."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from pathway.extensions import Task
from pathway.models.episodes import MilestoneKind
from referrals import rules, selectors
from referrals.models import Referral

# How long after the decision the home page still points to it.
SHOWN_ON_HOME_FOR = timedelta(days=90)

# The reasons a referral is not accepted, as the patient reads them (rules.REJECTION_REASONS
# are the care team's words). "other" has none: the advice says why.
REASONS_FOR_PATIENT = {
    "red_flags_need_urgent_route": (
        "Some of your symptoms need to be seen more urgently than this service can."
    ),
    "not_eligible_age": "The service is not for people of your age.",
    "outside_area": "Your GP practice is outside the area this service covers.",
    "needs_specialist_service": "A specialist service is right for you rather than this one.",
    "insufficient_information": "The team need more information before they can decide.",
    "already_under_specialist": "You are already under a specialist for this condition.",
    "other": "",
}


def outcome_for_patient(referral: Referral) -> dict:
    """The decision as the patient's page shows it: a heading, what it means, and what to do."""
    if referral.status == rules.SUBMITTED:
        return {
            "heading": "Waiting for the care team",
            "meaning": "The care team has not looked at your referral yet.",
        }
    if referral.status == rules.ACCEPTED or (
        referral.status == rules.CLOSED and referral.decided_at is not None
    ):
        episode = referral.episode
        if referral.status == rules.CLOSED or (episode is not None and not episode.is_open):
            then = (
                "Your care with them for it has ended. If you need help again, contact your GP "
                "practice."
            )
        elif (
            episode is not None
            and episode.milestones.filter(kind=MilestoneKind.FIRST_CONTACT).exists()
        ):
            then = "You have had your first conversation with them."
        else:
            then = "They will contact you to arrange your first conversation."
        return {
            "heading": "Accepted",
            "meaning": f"The care team accepted your referral. {then}",
        }
    if referral.status == rules.REJECTED:
        return {
            "heading": "Not accepted",
            "meaning": (
                "The care team could not accept your referral. "
                + REASONS_FOR_PATIENT.get(referral.rejection_reason, "")
            ).strip(),
        }
    if referral.status == rules.REDIRECTED:
        where = (
            "another service"
            if referral.redirect_to == "other"
            else referral.get_redirect_to_display()
        )
        # The team's note on a redirect is for the service it names (it goes on the GP
        # practice's letter): the patient reads only the advice written for them.
        show = ", and show them what the team wrote below" if referral.advice_to_referrer else ""
        return {
            "heading": f"Another service is right for you: {where}",
            "meaning": f"The care team think {where} can help you more than this service. This "
            f"service cannot refer you there itself: ask your GP practice to refer you{show}.",
        }
    return {"heading": "Closed", "meaning": "This referral was closed before a decision."}


def referral_outcomes(patient) -> list[Task]:
    """A line on the patient's home page for each self-referral decided in the last
    SHOWN_ON_HOME_FOR (pathway.patient_tasks)."""
    since = timezone.now() - SHOWN_ON_HOME_FOR
    decided = selectors.own_self_referrals(patient).filter(decided_at__gte=since)[:3]
    return [
        Task(
            text=f"The care team has looked at the referral you sent on "
            f"{timezone.localtime(referral.submitted_at):%-d %B %Y}.",
            url=reverse("referrals:yours", kwargs={"referral_uuid": referral.uuid}),
            link_text="See what they decided",
        )
        for referral in decided
    ]
