"""Staff actions on the outbox: send a failed message again once the cause is fixed."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from pathway.audit import record_event
from pathway.models import AuditEvent, Notification, User
from pathway.notifications.outbox import enqueue_delivery
from reviews.errors import StaleState


@transaction.atomic
def retry_notification(*, actor: User, notification: Notification) -> Notification:
    """Put a failed message back in the queue with a fresh set of attempts (compare-and-swap on
    `failed`, so two clicks queue it once). Delivery is enqueued on commit; if the broker is
    down the re-queue beat job sends it later."""
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
