"""Messages that could not be delivered, for the team to follow up."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from pathway.models import Notification
from pathway.permissions import patients_visible_to
from reviews.selectors.lookups import _get_or_404


def failed_notifications_for(user) -> QuerySet[Notification]:
    """Failed outbox rows for patients `user` may see, and staff messages to `user`, newest
    first."""
    return (
        Notification.objects.filter(status=Notification.Status.FAILED)
        .filter(Q(patient__in=patients_visible_to(user)) | Q(user=user))
        .select_related("patient", "user")
        .order_by("-updated_at", "-id")
    )


def failed_notification_for(user, notification_uuid) -> Notification:
    return _get_or_404(failed_notifications_for(user), uuid=notification_uuid)
