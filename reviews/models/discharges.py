import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from pathway.episode_letters import LETTER_ATTEMPTS
from pathway.models.base import ClinicalRecord, TimeStampedModel, choices_constraint

# What the discharge summary's note may hold; also the text box's character count.
NOTE_MAX_LENGTH = 2000


class DischargeReason(models.TextChoices):
    GOALS_MET = "goals_met", "Finished the pathway: managing with their care plan"
    PATIENT_CHOICE = "patient_choice", "The patient asked to leave the pathway"
    NOT_ENGAGED = "not_engaged", "Did not attend or reply when the team got in touch"
    REFERRED_ON = "referred_on", "Referred on to a specialist service"
    MOVED_AWAY = "moved_away", "Moved away or registered with a practice outside the area"
    DIED = "died", "The patient has died"
    OTHER = "other", "Another reason"


class Discharge(ClinicalRecord):
    """Why an episode ended with a discharge, and what the care team tells the GP. One per
    episode; the summary letter for the GP practice is rendered from it by the worker."""

    Reason = DischargeReason

    episode = models.OneToOneField(
        "pathway.Episode", on_delete=models.PROTECT, related_name="discharge"
    )
    patient = models.ForeignKey("pathway.Patient", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=20, choices=DischargeReason.choices)
    note_for_gp = models.TextField("note for the GP", max_length=NOTE_MAX_LENGTH, blank=True)
    # Times the worker began to render the summary letter (pathway.episode_letters).
    letter_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            choices_constraint("reason", DischargeReason, "reviews_discharge_reason_valid"),
            # "Another reason" says which.
            models.CheckConstraint(
                condition=~Q(reason="other") | ~Q(note_for_gp=""),
                name="reviews_discharge_other_has_note",
            ),
        ]

    def __str__(self) -> str:
        return f"Discharge ({self.get_reason_display()})"

    @property
    def letter_not_made(self) -> bool:
        """Whether the sweep gave up on a letter that is still missing."""
        return self.letter_attempts >= LETTER_ATTEMPTS

    @property
    def discharged_at(self):
        """When the episode ended: its `closed_at`, set by the same discharge."""
        return self.episode.closed_at


class DischargeLetter(TimeStampedModel):
    """The discharge summary for the GP practice (PDF bytes and their SHA-256), downloaded only
    through an authenticated view. One per discharge, so rendering twice changes nothing."""

    discharge = models.OneToOneField(Discharge, on_delete=models.PROTECT, related_name="letter")
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    pdf = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()

    def __str__(self) -> str:
        return "Discharge summary letter"

    @property
    def filename(self) -> str:
        discharge = self.discharge
        condition = discharge.episode.condition.replace("_", "-")
        day = timezone.localtime(discharge.discharged_at)
        return f"discharge-summary-{condition}-{day:%Y-%m-%d}.pdf"
