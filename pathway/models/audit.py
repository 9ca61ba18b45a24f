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


# What each kind of audited row is, as the patient's "Who has looked at your record" page says
# it ("Viewed your care plan"). Labels, not imports: the kernel names other apps' rows only here.
RECORD_PARTS = {
    "pathway.patient": "your record",
    "pathway.assessment": "a questionnaire",
    "pathway.episode": "your care with the service",
    "diaries.diaryentry": "your diary",
    "diaries.diaryreport": "a diary report",
    "referrals.referral": "a referral",
    "referrals.referralletter": "a referral letter",
    "careplans.careplan": "your care plan",
    "careplans.careplanversion": "a version of your care plan",
    "careplans.careplanleaflet": "a leaflet in your care plan",
    "careplans.treatmenttrial": "a medicine in your care plan",
    "careplans.medicationreduction": "a medicine in your care plan",
    "careplans.document": "a care plan document",
    "reviews.appointment": "an appointment",
    "reviews.review": "a review",
    "reviews.bookingrequest": "an appointment request",
    "reviews.groupbooking": "a group session booking",
    "reviews.mdtcase": "a team discussion about your care",
    "reviews.questionnairerequest": "a questionnaire",
    "reviews.safetyalert": "a follow-up by your care team",
    "reviews.discharge": "your discharge from the service",
}

# Where "Created a …" or "Decided a …" would not read as plain English to the patient, what
# was done, said as they would say it. By (action, kind of row); the rest read as the action
# and the part of the record ("Viewed your diary").
SAID_TO_PATIENT = {
    ("create", "careplans.careplanversion"): "Started a new version of your care plan",
    ("decide", "careplans.careplanversion"): "Agreed a version of your care plan",
    ("create", "careplans.careplanleaflet"): "Added a leaflet to your care plan",
    ("create", "careplans.treatmenttrial"): "Added a medicine to your care plan",
    ("create", "careplans.medicationreduction"): "Lowered the dose of a medicine in your care plan",
    ("create", "pathway.assessment"): "Recorded your answers to a questionnaire",
    ("create", "reviews.questionnairerequest"): "Asked you to fill in a questionnaire",
    ("create", "reviews.appointment"): "Booked an appointment",
    ("create", "reviews.review"): "Recorded a review of your care",
    ("create", "reviews.groupbooking"): "Invited you to a group session",
    ("create", "reviews.mdtcase"): "Asked the team meeting about your care",
    ("decide", "referrals.referral"): "Decided on a referral",
    ("create", "reviews.discharge"): "Discharged you from the service",
}


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

    @property
    def record_part(self) -> str:
        """Which part of the patient's record the row is about, in the patient's words."""
        return RECORD_PARTS.get(self.object_type, "your record")

    @property
    def said_to_patient(self) -> str:
        """What was done, as one phrase for the patient ("Viewed your diary", "Marked a
        questionnaire as recorded in error")."""
        if self.action == AuditAction.ENTERED_IN_ERROR:
            return f"Marked {self.record_part} as recorded in error"
        if said := SAID_TO_PATIENT.get((self.action, self.object_type)):
            return said
        return f"{self.get_action_display()} {self.record_part}"
