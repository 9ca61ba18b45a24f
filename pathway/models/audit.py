from django.conf import settings
from django.db import models

from pathway.models.base import choices_constraint


class AuditAction(models.TextChoices):
    VIEW = "view", "Viewed"
    CREATE = "create", "Created"
    UPDATE = "update", "Updated"
    ENTERED_IN_ERROR = "entered_in_error", "Marked entered in error"
    DOWNLOAD = "download", "Downloaded"
    SEARCH = "search", "Searched"
    DECIDE = "decide", "Decided"
    SEND = "send", "Sent"


class AuditEvent(models.Model):
    """Who did what to which patient record, and when. Field names only, never values.

    Rows are written by services in the same transaction as the action, and by views for staff
    reads. Nothing in the app or admin edits or deletes them.
    """

    Action = AuditAction

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_role = models.CharField(max_length=16, blank=True)
    patient = models.ForeignKey(
        "pathway.Patient",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_events",
        # No index of its own: pathway_audit_patient_at_idx starts with the patient.
        db_index=False,
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    object_type = models.CharField(max_length=60)
    object_uuid = models.UUIDField(null=True, blank=True)
    fields = models.JSONField(default=list, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [choices_constraint("action", AuditAction, "pathway_auditevent_action_valid")]
        indexes = [
            # "Who looked at my record" for the patient, newest first.
            models.Index(fields=["patient", "-at"], name="pathway_audit_patient_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.actor_role} {self.action} {self.object_type} at {self.at:%Y-%m-%d %H:%M}"
