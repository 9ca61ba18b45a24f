from django.db import models
from django.db.models import F, Q
from django.db.models.functions import MD5

from pathway.models.base import ClinicalRecord, choices_constraint


class MdtStatus(models.TextChoices):
    OPEN = "open", "Waiting for discussion"
    DISCUSSED = "discussed", "Discussed"


class MdtCase(ClinicalRecord):
    """A case flagged for the monthly multidisciplinary team meeting."""

    Status = MdtStatus

    patient = models.ForeignKey("pathway.Patient", on_delete=models.PROTECT, related_name="+")
    question = models.TextField()
    notes = models.TextField(blank=True)
    agreed_actions = models.TextField(blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    discussed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            choices_constraint("status", MdtStatus, "reviews_mdtcase_status_valid"),
            # A discussed case records when, and what was agreed.
            models.CheckConstraint(
                condition=(
                    Q(status="open", discussed_at__isnull=True)
                    | (Q(status="discussed", discussed_at__isnull=False) & ~Q(agreed_actions=""))
                ),
                name="reviews_mdtcase_discussed_has_actions",
            ),
            # A question waits on the list once per patient: a form sent twice (Back and send
            # again, a double click) adds one case. On a hash of the text, as a long question
            # would not fit in a PostgreSQL index entry. The service also refuses the same
            # words with other spacing or capitals (reviews.services.mdt.flag_for_mdt).
            models.UniqueConstraint(
                F("patient"),
                MD5("question"),
                condition=Q(status="open"),
                name="reviews_mdtcase_one_open_per_question",
            ),
        ]
        indexes = [
            # The MDT list: open cases oldest first.
            models.Index(fields=["status", "created_at"], name="reviews_mdtcase_status_idx"),
        ]

    def __str__(self) -> str:
        return f"MDT case ({self.get_status_display()})"
