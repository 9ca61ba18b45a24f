"""Staff actions on the outbox: send a failed message again once the cause is fixed."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from pathway.audit import record_event
from pathway.models import AuditEvent, Milestone, Notification, User
from pathway.models.episodes import MilestoneKind
from pathway.notifications.outbox import enqueue_delivery
from reviews.errors import ReviewsError, StaleState
from reviews.models import Appointment

# Messages true only while the patient is under the team's care: a failed one is not sent
# again once they are not (a discharge leaves failed rows listed, for staff to see the number
# or address that may be wrong).
WHILE_UNDER_CARE = frozenset({"annual_review_invite", "diary_nudge"})


@transaction.atomic
def retry_notification(*, actor: User, notification: Notification) -> Notification:
    """Put a failed message back in the queue with a fresh set of attempts (compare-and-swap on
    `failed`, so two clicks queue it once). Delivery is enqueued on commit; if the broker is
    down the re-queue beat job sends it later. Raises ReviewsError for a message no longer
    true (`no_longer_true`)."""
    if reason := no_longer_true(notification):
        raise ReviewsError(f"{reason} It has not been sent again.")
    changed = Notification.objects.filter(
        pk=notification.pk, status=Notification.Status.FAILED
    ).update(
        status=Notification.Status.QUEUED,
        attempts=0,
        claimed_at=None,
        scheduled_for=timezone.now(),
        updated_at=timezone.now(),
    )
    if not changed:
        raise StaleState("This message is no longer marked as failed.")
    record_event(
        actor=actor,
        action=AuditEvent.Action.SEND,
        patient=notification.patient,
        obj=notification,
        fields=["status"],
    )
    transaction.on_commit(lambda: enqueue_delivery(notification.uuid))
    notification.refresh_from_db()
    return notification


def no_longer_true(notification: Notification) -> str:
    """Why a failed message would no longer be true if sent now, or "": the patient is no
    longer under the team's care (WHILE_UNDER_CARE), or an invitation to ask for the annual
    review when one is booked or a review has been held since it was made."""
    patient = notification.patient
    if patient is None or notification.kind not in WHILE_UNDER_CARE:
        return ""
    if not patient.episodes.open().exists():
        return (
            f"{patient.full_name} is no longer under the team's care, so this message is not true."
        )
    if notification.kind != "annual_review_invite":
        return ""
    booked = Appointment.objects.filter(
        patient=patient,
        kind=Appointment.Kind.ANNUAL_REVIEW,
        status=Appointment.Status.BOOKED,
        start__gt=timezone.now(),
    )
    if booked.exists():
        return (
            f"{patient.full_name}'s annual review is booked, so an invitation to ask for it is "
            "not true."
        )
    held = Milestone.objects.filter(
        episode__patient=patient,
        kind__in=[MilestoneKind.REVIEW_HELD, MilestoneKind.FIRST_CONTACT],
        occurred_at__gt=notification.created_at,
    )
    if held.exists():
        return (
            f"{patient.full_name} has had a review since this invitation was made, so it is not "
            "true."
        )
    return ""
