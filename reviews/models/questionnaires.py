from django.conf import settings
from django.db import models
from django.db.models import Q

from pathway.models.assessments import AssessmentContext, Instrument
from pathway.models.base import ClinicalRecord, choices_constraint


class RequestStatus(models.TextChoices):
    REQUESTED = "requested", "Waiting for the patient"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class QuestionnaireRequest(ClinicalRecord):
    """A questionnaire sent to a patient to complete in the portal.

    Completing it creates one `pathway.Assessment`: the request is claimed by compare-and-swap on
    `status`, and `assessment` is unique, so a form submitted twice never makes two.
    """

    Status = RequestStatus
    Instrument = Instrument
    Context = AssessmentContext

    patient = models.ForeignKey(
        "pathway.Patient", on_delete=models.PROTECT, related_name="questionnaire_requests"
    )
    instrument = models.CharField(max_length=16, choices=Instrument.choices)
    context = models.CharField(
        max_length=16, choices=AssessmentContext.choices, default=AssessmentContext.REVIEW
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    due = models.DateField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.REQUESTED)
    assessment = models.OneToOneField(
        "pathway.Assessment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="questionnaire_request",
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    # Answers sent to the request after it was completed (a second window, Back and send
    # again) that differ from its own: kept as assessments of their own, never dropped
    # (services.questionnaires.submit_questionnaire), and named here so the team's trend can say
    # they are a second set of answers to one questionnaire, not a later one.
    late_answers = models.ManyToManyField(
        "pathway.Assessment", blank=True, related_name="late_for_requests"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # PSFS only: the activities the patient rates, carried from the baseline so follow-ups
    # re-rate the same ones (clinical-rules.md section 5).
    activities = models.JSONField(default=list, blank=True)
    # Questions asked but never scored (MIDAS A and B), kept beside the scored answers.
    unscored_answers = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            choices_constraint("instrument", Instrument, "reviews_qrequest_instrument_valid"),
            choices_constraint("context", AssessmentContext, "reviews_qrequest_context_valid"),
            choices_constraint("status", RequestStatus, "reviews_qrequest_status_valid"),
            models.CheckConstraint(
                condition=(
                    Q(status="requested", assessment__isnull=True, completed_at__isnull=True)
                    | Q(status="completed", assessment__isnull=False, completed_at__isnull=False)
                    | Q(status="cancelled", assessment__isnull=True, cancelled_at__isnull=False)
                ),
                name="reviews_qrequest_status_matches_fields",
            ),
            # One outstanding request per patient and instrument.
            models.UniqueConstraint(
                fields=["patient", "instrument"],
                condition=Q(status="requested"),
                name="reviews_qrequest_one_open_per_instrument",
            ),
        ]
        indexes = [
            # Outstanding requests: the worklist and the 3- and 6-day reminder planner.
            models.Index(
                fields=["requested_at"],
                condition=Q(status="requested"),
                name="reviews_qrequest_open_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument} requested {self.requested_at:%Y-%m-%d}"


class AlertKind(models.TextChoices):
    PHQ9_ITEM9 = "phq9_item9", "PHQ-9 item 9: thoughts of self-harm"
    SAME_DAY_RISK = "same_day_risk", "Same-day risk assessment needed"
    RED_FLAGS = "red_flags", "New red flags in a second referral"
    EMERGENCY_STOP = "emergency_stop", "Emergency red flags stopped a referral"


# The alerts about the patient's mental health: a review cannot say no mental-health follow-up
# is needed while one is open without saying why.
MENTAL_HEALTH_ALERTS = (AlertKind.PHQ9_ITEM9, AlertKind.SAME_DAY_RISK)


# The records an alert can come from, one per kind.
ALERT_SOURCES = ("assessment", "review", "referral", "emergency_stop")


def _only_source(field: str) -> Q:
    """The alert comes from its `field` record and from no other."""
    return Q(**{f"{field}__isnull": False}) & Q(
        **{f"{other}__isnull": True for other in ALERT_SOURCES if other != field}
    )


class SafetyAlert(ClinicalRecord):
    """A risk that must reach a clinician: a PHQ-9 item 9 answer above 0 (from `assessment`), a
    review that asked for a same-day risk assessment (from `review`), or red flags in a
    self-referral closed as a copy of the referral that brought the patient into care (from
    `referral`, the closed copy, whose flags the accepted referral does not hold), or a GP's
    referral for a patient already in care stopped by an emergency red flag (from
    `emergency_stop`, which no referral carries to the team). It stays at
    the top of the team's worklist until a clinician records the action taken
    (clinical-rules.md section 7: never silently filed)."""

    Kind = AlertKind

    patient = models.ForeignKey(
        "pathway.Patient", on_delete=models.PROTECT, related_name="safety_alerts"
    )
    assessment = models.OneToOneField(
        "pathway.Assessment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="safety_alert",
    )
    review = models.OneToOneField(
        "reviews.Review",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="safety_alert",
    )
    referral = models.OneToOneField(
        "referrals.Referral",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="safety_alert",
    )
    emergency_stop = models.OneToOneField(
        "referrals.EmergencyStop",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="safety_alert",
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.PHQ9_ITEM9)
    raised_at = models.DateTimeField()
    responsible_clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action_taken = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["raised_at"]
        constraints = [
            choices_constraint("kind", AlertKind, "reviews_safetyalert_kind_valid"),
            # A resolved alert says what was done and by whom; an open one has neither time
            # nor resolver.
            models.CheckConstraint(
                condition=(
                    Q(resolved_at__isnull=True, resolved_by__isnull=True)
                    | (
                        Q(resolved_at__isnull=False, resolved_by__isnull=False)
                        & ~Q(action_taken="")
                    )
                ),
                name="reviews_safetyalert_resolved_needs_action",
            ),
            # Each kind comes from its own record, and only from that one. Written as
            # implications so that an unknown kind fails only its own choices constraint.
            models.CheckConstraint(
                condition=(
                    (~Q(kind="phq9_item9") | _only_source("assessment"))
                    & (~Q(kind="same_day_risk") | _only_source("review"))
                    & (~Q(kind="red_flags") | _only_source("referral"))
                    & (~Q(kind="emergency_stop") | _only_source("emergency_stop"))
                ),
                name="reviews_safetyalert_source_matches_kind",
            ),
        ]
        indexes = [
            # Open alerts at the top of the worklist.
            models.Index(
                fields=["raised_at"],
                condition=Q(resolved_at__isnull=True),
                name="reviews_safetyalert_open_idx",
            ),
        ]

    @property
    def about_mental_health(self) -> bool:
        """Whether the alert is about the patient's mental health: a risky PHQ-9 answer, a
        same-day risk assessment, or a stopped referral whose PHQ-9 showed, or could not say,
        a risk of self-harm."""
        if self.kind in MENTAL_HEALTH_ALERTS:
            return True
        stop = self.emergency_stop if self.emergency_stop_id else None
        return stop is not None and bool(stop.phq9_self_harm_score or stop.phq9_unread)

    def __str__(self) -> str:
        return f"{self.get_kind_display()} raised {self.raised_at:%Y-%m-%d %H:%M}"
