"""Kernel tasks: thin wrappers that load by UUID and call one function."""

from celery import shared_task
from django.utils import timezone

from pathway.dashboard import snapshots
from pathway.models import WorkerHeartbeat
from pathway.notifications import outbox


@shared_task(name="pathway.tasks.heartbeat", ignore_result=True)
def heartbeat() -> None:
    WorkerHeartbeat.objects.update_or_create(name="worker", defaults={"seen_at": timezone.now()})


# Room for a send and the record of it (outbox.BATCH_SECONDS); the hard limit a little later.
DELIVERY_LIMITS = {
    "soft_time_limit": outbox.delivery_soft_time_limit(),
    "time_limit": outbox.delivery_soft_time_limit() + 30,
}


@shared_task(name="pathway.tasks.deliver_notification", ignore_result=True, **DELIVERY_LIMITS)
def deliver_notification(notification_uuid: str) -> str:
    return outbox.deliver(notification_uuid)


@shared_task(name="pathway.tasks.deliver_notifications", ignore_result=True, **DELIVERY_LIMITS)
def deliver_notifications(notification_uuids: list[str]) -> int:
    """Deliver a batch handed over by `outbox.enqueue_deliveries`; returns how many were sent."""
    return outbox.deliver_batch(notification_uuids)


@shared_task(name="pathway.tasks.requeue_stuck_notifications", ignore_result=True)
def requeue_stuck_notifications() -> int:
    return outbox.requeue_stuck()


@shared_task(name="pathway.tasks.refresh_dashboard_snapshots", ignore_result=True)
def refresh_dashboard_snapshots() -> int:
    return snapshots.refresh_standard_periods()
