"""The structured outcome of a review: the review page's form."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import timezone

from pathway.audit import record_event
from pathway.models import AuditEvent, Episode, User
from pathway.models.episodes import MilestoneKind
from pathway.services import record_milestone
from reviews import reminders, rules
from reviews.errors import ReviewsError, StaleState
from reviews.models import Appointment, QuestionnaireRequest, Review
from reviews.services.questionnaires import (
    not_under_care,
    raise_review_alert,
    request_questionnaire,
)

LONDON = ZoneInfo("Europe/London")
# The annual-review-due milestone is dated at the start of the clinic day it falls on.
DUE_TIME = time(9, 0)

OUTCOME_FIELDS = (
    "summary",
    "what_matters",
    "changes_agreed",
    "mental_health_follow_up",
    "mental_health_notes",
    "next_review_date",
    "next_review_kind",
)


def due_moment(day: date) -> datetime:
    return datetime.combine(day, DUE_TIME, tzinfo=LONDON)


@transaction.atomic
def complete_review(
    *,
    actor: User,
    appointment: Appointment,
    summary: str,
    next_review_date: date,
    next_review_kind: str = Review.NextKind.ANNUAL_REVIEW,
    what_matters: str = "",
    changes_agreed: str = "",
    mental_health_follow_up: str = Review.MentalHealth.NOT_NEEDED,
    mental_health_notes: str = "",
    questionnaires: tuple[str, ...] = (),
) -> Review:
    """Record the outcome of a first conversation, follow-up, medication or annual review.

    Marks a booked appointment attended, writes the episode's `first_contact` (first
    conversation) or `review_held` milestone at the appointment's start and the next
    `annual_review_due` (`next_review_kind` says whether that is the annual review or a sooner
    follow-up), sends any
    questionnaires chosen for before the next review, and raises a safety alert when the
    mental-health follow-up is a same-day risk assessment (clinical-rules.md section 7: a risk
    must reach a clinician the same day). A questionnaire chosen while one of the same is still
    waiting for the patient is not sent again (the patient has one request of each at a time):
    the Review returned lists those in `questionnaires_still_waiting`, in the order chosen, so
    the page can say so. Returns the Review. Raises ReviewsError
    for an appointment that cannot have a review (its episode's referral still waiting for
    triage among them), StaleState if one is already recorded."""
    if appointment.kind not in rules.REVIEW_KINDS:
        raise ReviewsError("Group sessions and MDT discussions do not have a review form.")
    if appointment.status in (Appointment.Status.CANCELLED, Appointment.Status.DID_NOT_ATTEND):
        raise ReviewsError("This appointment did not take place, so it cannot have a review.")
    if Episode.objects.filter(pk=appointment.episode_id, status=Episode.Status.REFERRED).exists():
        # Care may be booked before triage, but not begun: a first contact before `triaged`
        # would make the waits negative, and a referral rejected later would leave it on an
        # episode the team never took on. Read afresh, as triage may have decided meanwhile.
        raise ReviewsError(not_triaged(appointment))
    today = timezone.localdate()
    if appointment.start > timezone.now():
        # As attendance: a first conversation's outcome records the first contact, which must
        # not be dated before anyone has spoken to the patient.
        raise ReviewsError(not_started(appointment))
    if not summary.strip():
        raise ReviewsError("Write a short summary of the conversation.", field="summary")
    if next_review_kind not in Review.NextKind.values:
        raise ReviewsError("Choose what the next review is.", field="next_review_kind")
    if problem := rules.next_review_problem(
        kind=next_review_kind, due=next_review_date, today=today
    ):
        raise ReviewsError(problem, field="next_review_date")
    if Review.objects.filter(appointment=appointment).exists():
        raise StaleState("The outcome of this review has already been recorded.")
    if questionnaires and not appointment.patient.episodes.open().exists():
        raise ReviewsError(not_under_care(appointment.patient), field="questionnaires")
    now = timezone.now()
    if appointment.status == Appointment.Status.BOOKED:
        changed = Appointment.objects.filter(
            pk=appointment.pk, status=Appointment.Status.BOOKED
        ).update(
            status=Appointment.Status.ATTENDED,
            attendance_recorded_at=now,
            updated_by=actor,
            updated_at=now,
        )
        if not changed:
            raise StaleState("This appointment has just been changed. Check it and try again.")
        appointment.status = Appointment.Status.ATTENDED
    try:
        with transaction.atomic():
            review = Review.objects.create(
                appointment=appointment,
                patient=appointment.patient,
                episode=appointment.episode,
                summary=summary.strip(),
                what_matters=what_matters.strip(),
                changes_agreed=changes_agreed.strip(),
                mental_health_follow_up=mental_health_follow_up,
                mental_health_notes=mental_health_notes.strip(),
                next_review_date=next_review_date,
                next_review_kind=next_review_kind,
                completed_at=now,
                completed_by=actor,
                created_by=actor,
                updated_by=actor,
            )
    except IntegrityError as exc:
        raise StaleState("The outcome of this review has already been recorded.") from exc
    Appointment.objects.filter(pk=appointment.pk).update(outcome=summary.strip()[:2000])
    record_event(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        patient=appointment.patient,
        obj=review,
        fields=[name for name in OUTCOME_FIELDS if review.__dict__.get(name)],
    )
    if review.mental_health_follow_up == Review.MentalHealth.SAME_DAY:
        raise_review_alert(review=review)
    if appointment.episode is not None:
        # An invitation to ask for the review just held, not sent yet, is no longer true.
        reminders.withdraw_review_invitation(
            appointment.episode, "Withdrawn: a review was held, which set the next review date"
        )
        # Dated when the patient was seen, not when the outcome was written up: the waits
        # against target are measured to it.
        record_milestone(
            episode=appointment.episode,
            kind=rules.milestone_for(appointment.kind),
            occurred_at=appointment.start,
            actor=actor,
        )
        record_milestone(
            episode=appointment.episode,
            kind=MilestoneKind.ANNUAL_REVIEW_DUE,
            occurred_at=due_moment(next_review_date),
            actor=actor,
        )
    context = (
        QuestionnaireRequest.Context.BASELINE
        if appointment.kind in rules.FIRST_CONTACT_KINDS
        else QuestionnaireRequest.Context.REVIEW
    )
    waiting = set(
        appointment.patient.questionnaire_requests.filter(
            status=QuestionnaireRequest.Status.REQUESTED
        ).values_list("instrument", flat=True)
    )
    for code in questionnaires:
        if code not in waiting:
            request_questionnaire(
                actor=actor, patient=appointment.patient, instrument=code, context=context
            )
    review.questionnaires_still_waiting = tuple(code for code in questionnaires if code in waiting)
    return review


def not_triaged(appointment: Appointment) -> str:
    """Why an appointment of an episode still referred (its referral waiting for triage) has no
    outcome to record yet."""
    what = "first conversation" if appointment.kind in rules.FIRST_CONTACT_KINDS else "review"
    return (
        f"The referral is still waiting for triage. Accept it at triage before recording the "
        f"outcome of this {what}."
    )


def not_started(appointment: Appointment) -> str:
    start = timezone.localtime(appointment.start)
    day = "today" if start.date() == timezone.localdate() else f"{start:%A} {start.day} {start:%B}"
    return f"You can record the outcome once the appointment has started, at {start:%H:%M} {day}."
