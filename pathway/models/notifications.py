import uuid

from django.conf import settings
from django.db import models

from pathway.models.base import TimeStampedModel, choices_constraint


class Channel(models.TextChoices):
    SMS = "sms", "Text message"
    EMAIL = "email", "Email"


class NotificationStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class Notification(TimeStampedModel):
    """The outbox: one row per message to send (DESIGN.md section 6).

    Written in the same transaction as the change that caused it; delivery is enqueued on commit
    and claimed by compare-and-swap on `status`, so a row is sent once or marked failed.
    """

    Channel = Channel

    Status = NotificationStatus

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        "pathway.Patient",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
        help_text="A staff recipient, e.g. the referrer told of a triage decision.",
    )
    channel = models.CharField(max_length=8, choices=Channel.choices)
    kind = models.CharField(max_length=40)
    template = models.CharField(max_length=80)
    context = models.JSONField(default=dict, blank=True)
    scheduled_for = models.DateTimeField()
    # After this moment the message is no longer true (the appointment or session it announces
    # has begun), so delivery cancels it instead of sending it late. Empty: it never goes stale.
    expires_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    provider_reference = models.CharField(max_length=120, blank=True)
    idempotency_key = models.CharField(max_length=200, unique=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Why the message was withdrawn while a worker was sending it (outbox.withdraw_queued): a
    # send already under way finishes, but one that does not go through is cancelled then, not
    # tried again.
    withdrawn_while_sending = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        ordering = ["-scheduled_for"]
        constraints = [
            choices_constraint("channel", Channel, "pathway_notification_channel_valid"),
            choices_constraint("status", NotificationStatus, "pathway_notification_status_valid"),
            models.CheckConstraint(
                condition=models.Q(patient__isnull=False) | models.Q(user__isnull=False),
                name="pathway_notification_has_recipient",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False),
                name="pathway_notification_sent_has_time",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="sending") | models.Q(claimed_at__isnull=False),
                name="pathway_notification_sending_is_claimed",
            ),
        ]
        indexes = [
            # The re-queue beat job and the delivery sweep read only unfinished rows.
            models.Index(
                fields=["status", "scheduled_for"],
                condition=models.Q(status__in=["queued", "sending"]),
                name="pathway_notification_open_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} by {self.channel} ({self.status})"


class WorkerHeartbeat(models.Model):
    """The last time a Celery worker ran the heartbeat task; read by /health/."""

    name = models.CharField(max_length=60, primary_key=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.seen_at:%H:%M:%S}"
