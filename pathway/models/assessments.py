from django.conf import settings
from django.db import models

from pathway.models.base import ClinicalRecord, choices_constraint


class Instrument(models.TextChoices):
    ID_MIGRAINE = "ID_MIGRAINE", "ID Migraine screener"
    MIDAS = "MIDAS", "MIDAS"
    HIT6 = "HIT-6", "HIT-6"
    PSEQ = "PSEQ", "Pain Self-Efficacy Questionnaire"
    PSFS = "PSFS", "Patient-Specific Functional Scale"
    MSKHQ = "MSK-HQ", "MSK-HQ"
    PHQ9 = "PHQ-9", "PHQ-9"
    GAD7 = "GAD-7", "GAD-7"


class AssessmentContext(models.TextChoices):
    REFERRAL = "referral", "Referral"
    BASELINE = "baseline", "Baseline"
    REVIEW = "review", "Review"
    SELF = "self", "Self-completed"


class Assessment(ClinicalRecord):
    """One completed questionnaire, scored by `pathway.instruments.score`. Raw answers are kept so
    a rule change can be replayed."""

    Context = AssessmentContext

    patient = models.ForeignKey(
        "pathway.Patient", on_delete=models.PROTECT, related_name="assessments"
    )
    instrument = models.CharField(max_length=16, choices=Instrument.choices)
    answers = models.JSONField()
    total = models.DecimalField(max_digits=6, decimal_places=2)
    band = models.CharField(max_length=32, blank=True)
    alert = models.BooleanField(default=False)
    context = models.CharField(max_length=16, choices=Context.choices)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    completed_at = models.DateTimeField()
    entered_in_error = models.BooleanField(default=False)
    # What the score leaves out, kept with the answers: the activities a PSFS rated (in the
    # order of `answers`) and the answers to unscored questions (MIDAS A and B). Empty on rows
    # recorded before they were kept here, whose questionnaire request holds them.
    activities = models.JSONField(default=list, blank=True)
    unscored_answers = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-completed_at"]
        constraints = [
            choices_constraint("instrument", Instrument, "pathway_assessment_instrument_valid"),
            choices_constraint("context", AssessmentContext, "pathway_assessment_context_valid"),
            models.CheckConstraint(
                condition=models.Q(total__gte=0), name="pathway_assessment_total_not_negative"
            ),
        ]
        indexes = [
            # Trends per patient and instrument; baseline vs latest for dashboards.
            models.Index(
                fields=["patient", "instrument", "completed_at"],
                name="pathway_assessment_trend_idx",
            ),
            # The worklist's severe mood and anxiety scores (instruments.REVIEW_BANDS), asked
            # for on every view: a few rows in a hundred.
            models.Index(
                fields=["patient", "completed_at"],
                condition=models.Q(instrument__in=["PHQ-9", "GAD-7"], band="severe"),
                name="pathway_assessment_severe_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument} {self.total} ({self.completed_at:%Y-%m-%d})"
