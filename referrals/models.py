"""Referrals into the pathway, their triage, the advice given when the red-flag screen stopped a
referral, and the triage-outcome letters (DESIGN.md section 3).

The vocabularies (statuses, rejection reasons, redirect destinations, red-flag codes) come from
the pure `referrals.rules`, so the database constraints and the rules cannot drift apart.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from pathway.episode_letters import LETTER_ATTEMPTS
from pathway.models.base import ClinicalRecord, TimeStampedModel, choices_constraint
from pathway.models.episodes import Condition
from referrals import rules


def _choices(name: str, mapping) -> type[models.TextChoices]:
    """A TextChoices class built from a {code: label} mapping of referrals.rules."""
    return models.TextChoices(
        name, [(code.upper(), (code, label)) for code, label in mapping.items()]
    )


# Module level so that the Meta constraints below can see them (a nested class body cannot).
ReferralStatus = _choices("ReferralStatus", rules.REFERRAL_STATUSES)
RejectionReason = _choices("RejectionReason", rules.REJECTION_REASONS)
RedirectDestination = _choices("RedirectDestination", rules.REDIRECT_DESTINATIONS)
TellReason = _choices("TellReason", rules.TELL_REASONS)


class ReferralSource(models.TextChoices):
    GP = "gp", "GP"
    PARTNER = "partner", "Partner (pharmacist, physiotherapist or other)"
    SELF = "self", "Self-referral"


class Urgency(models.TextChoices):
    """The screen's tier for a referral that was sent: an emergency is never sent."""

    URGENT = rules.URGENT, "Urgent (within 2 weeks)"
    ROUTINE = rules.ROUTINE, "Routine"


class ReferralPriority(models.TextChoices):
    """The priority a clinician gives on accepting; it selects the first-contact target."""

    URGENT = rules.URGENT, "Urgent"
    ROUTINE = rules.ROUTINE, "Routine"


class PreferredContact(models.TextChoices):
    PHONE = "phone", "Phone call"
    SMS = "sms", "Text message"
    EMAIL = "email", "Email"
    LETTER = "letter", "Letter"


_OPEN = list(rules.OPEN_STATUSES)
_DECIDED = list(rules.DECIDED_STATUSES)
_TOLD_BY_TEAM = list(rules.TOLD_BY_TEAM_STATUSES)
# A referral its referrer withdrew before triage: closed with no decision.
WITHDRAWN = Q(status=rules.CLOSED, decided_at__isnull=True)


class ReferralQuerySet(models.QuerySet):
    def live(self):
        return self.filter(entered_in_error=False)

    def open(self):
        return self.live().filter(status__in=_OPEN)

    def standing(self):
        """Live referrals not withdrawn by their referrer before triage (closed undecided)."""
        return self.live().exclude(WITHDRAWN)


class Referral(ClinicalRecord):
    """A referral from a GP, a partner or the patient, and its triage decision.

    A self-referral may arrive before the team has matched it to a patient record: `patient` is
    then empty and the self-referrer's own details are in the `stated_*` fields.
    """

    Status = ReferralStatus
    Source = ReferralSource
    Urgency = Urgency
    Priority = ReferralPriority
    RejectionReason = RejectionReason
    RedirectDestination = RedirectDestination
    PreferredContact = PreferredContact

    source = models.CharField(max_length=10, choices=Source.choices)
    condition = models.CharField(max_length=16, choices=Condition.choices)
    patient = models.ForeignKey(
        "pathway.Patient",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals",
    )
    episode = models.ForeignKey(
        "pathway.Episode",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals",
        help_text="The patient's episode for this condition, opened or reused on submission.",
    )
    referrer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals_made",
    )

    # What a self-referrer told us about themselves, kept as stated for the team to verify.
    stated_given_name = models.CharField("first name", max_length=100, blank=True)
    stated_family_name = models.CharField("last name", max_length=100, blank=True)
    stated_date_of_birth = models.DateField("date of birth", null=True, blank=True)
    stated_nhs_number = models.CharField("NHS number", max_length=10, blank=True)
    stated_practice = models.ForeignKey(
        "pathway.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="GP practice",
    )
    stated_email = models.EmailField("email address", blank=True)
    # A mobile, or a landline for someone who asked for a phone call (pathway.contact).
    stated_mobile = models.CharField("phone number", max_length=16, blank=True)
    # The self-referral form's one-time token (referrals.forms.SelfReferralForm): the same form
    # sent again, after Back or from a second click that got through, finds this referral
    # instead of making a copy for triage. None for every other referral.
    submission_token = models.CharField(
        max_length=40, null=True, blank=True, unique=True, editable=False
    )

    # The referral itself.
    red_flags = models.JSONField(
        default=list, blank=True, help_text="Red-flag codes of referrals.rules.RED_FLAGS."
    )
    urgency = models.CharField(max_length=10, choices=Urgency.choices)
    age_at_referral = models.PositiveSmallIntegerField(
        help_text="The age the urgency was worked out with, so the rule can be replayed."
    )
    # The referrer said the headache is not new (a long-standing pattern): asked by the GP and
    # partner form when a flag counts only with a new-onset headache, and the reason such a
    # flag changed no tier. A self-referral cannot say it (the team asks them instead).
    headache_not_new = models.BooleanField(default=False, db_default=False)
    # When the screen was run again with an age from a corrected date of birth, or from the
    # record's on matching a self-referral (or the self-referrer's on undoing it), while the
    # referral waited for triage (referrals.services.rescreening): the referral page says so.
    rescreened_at = models.DateTimeField(null=True, blank=True, editable=False)
    problem = models.TextField("the problem in the patient's words")
    current_acute_medication = models.TextField(blank=True)
    acute_medication_days_per_month = models.PositiveSmallIntegerField(null=True, blank=True)
    mental_health_concerns = models.TextField(blank=True)
    patient_goals = models.TextField("what the patient wants from the service", blank=True)
    id_migraine_answers = models.JSONField(
        null=True,
        blank=True,
        help_text="Raw ID Migraine answers; saved as an assessment once a patient is matched.",
    )
    assessments = models.ManyToManyField(
        "pathway.Assessment", blank=True, related_name="+", help_text="Questionnaires sent with it."
    )
    consent_to_contact = models.BooleanField(default=False)
    preferred_contact = models.CharField(max_length=8, choices=PreferredContact.choices)
    interpreter_language = models.CharField(max_length=80, blank=True)
    accessibility_needs = models.TextField(blank=True)

    # Triage.
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SUBMITTED)
    submitted_at = models.DateTimeField()
    matched_at = models.DateTimeField(null=True, blank=True)
    matched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The last match undone as the wrong person (services.unmatch_self_referral), kept so the
    # next match is made with that in mind.
    unmatched_at = models.DateTimeField(null=True, blank=True)
    unmatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    priority = models.CharField(max_length=10, choices=Priority.choices, blank=True)
    rejection_reason = models.CharField(max_length=40, choices=RejectionReason.choices, blank=True)
    redirect_to = models.CharField(max_length=40, choices=RedirectDestination.choices, blank=True)
    advice_to_referrer = models.TextField(blank=True)
    decision_note = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # Times the worker began to render the triage-outcome letter (pathway.episode_letters).
    letter_attempts = models.PositiveSmallIntegerField(default=0)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    entered_in_error = models.BooleanField(default=False)
    # On a self-referral the team closed as a second copy of another referral: that referral.
    # The copy is marked entered in error, so it leaves every list and figure
    # (services.close_as_duplicate). Also on a GP's or partner's referral refused for it
    # (services.keep_refused_referral) and on the self-referral form sent again with its
    # one-time token (services.submit_self_referral), kept for the red flags they gave.
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="duplicates"
    )

    # On a referral sent again after the team rejected or redirected an earlier one, with what
    # the advice to the referrer asked for: that earlier referral (services.submit_referral).
    # Triage reads the two together; the earlier one links to this one.
    resends = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="sent_again_as"
    )

    # A self-referral rejected or redirected when no message could lead the patient to the
    # outcome (none may be sent to them, or they have no account to read it in): the team tells
    # them by phone or letter, and the referral stays on the triage page's list of outcomes to
    # tell until a clinician records how they were told (services.record_outcome_told).
    # Why, as decided (rules.TELL_REASONS); "" when a message leads them to it.
    tell_by_team = models.CharField(
        max_length=12, choices=TellReason.choices, blank=True, editable=False
    )
    told_at = models.DateTimeField(null=True, blank=True, editable=False)
    told_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    told_how = models.TextField("how the patient was told", blank=True, editable=False)

    objects = ReferralQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at"]
        constraints = [
            choices_constraint("source", ReferralSource, "referrals_referral_source_valid"),
            models.CheckConstraint(
                condition=Q(tell_by_team__in=["", *TellReason.values]),
                name="referrals_referral_tell_reason_valid",
            ),
            choices_constraint("condition", Condition, "referrals_referral_condition_valid"),
            choices_constraint("urgency", Urgency, "referrals_referral_urgency_valid"),
            choices_constraint("status", ReferralStatus, "referrals_referral_status_valid"),
            choices_constraint(
                "preferred_contact", PreferredContact, "referrals_referral_contact_valid"
            ),
            models.CheckConstraint(
                condition=Q(priority__in=["", *ReferralPriority.values]),
                name="referrals_referral_priority_valid",
            ),
            models.CheckConstraint(
                condition=Q(rejection_reason__in=["", *RejectionReason.values]),
                name="referrals_referral_rejection_reason_valid",
            ),
            models.CheckConstraint(
                condition=Q(redirect_to__in=["", *RedirectDestination.values]),
                name="referrals_referral_redirect_valid",
            ),
            # One open referral per patient and condition; an unmatched self-referral (no
            # patient yet) is checked when it is matched.
            models.UniqueConstraint(
                fields=["patient", "condition"],
                condition=Q(status__in=_OPEN, entered_in_error=False),
                name="referrals_referral_one_open_per_condition",
            ),
            # Only a self-referral arrives without a referrer, and only it may lack a patient.
            models.CheckConstraint(
                condition=Q(source="self", referrer__isnull=True)
                | (~Q(source="self") & Q(referrer__isnull=False, patient__isnull=False)),
                name="referrals_referral_source_matches_people",
            ),
            models.CheckConstraint(
                condition=Q(consent_to_contact=True), name="referrals_referral_has_consent"
            ),
            # A decision records who made it and when; a submitted referral has neither.
            models.CheckConstraint(
                condition=Q(status__in=_DECIDED, decided_at__isnull=False, decided_by__isnull=False)
                | Q(status="submitted", decided_at__isnull=True, decided_by__isnull=True)
                | Q(status="closed"),
                name="referrals_referral_decision_recorded",
            ),
            models.CheckConstraint(
                condition=~Q(status="accepted") | (~Q(priority="") & Q(patient__isnull=False)),
                name="referrals_referral_accepted_has_priority_and_patient",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(rejection_reason=""),
                name="referrals_referral_rejected_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status="redirected") | ~Q(redirect_to=""),
                name="referrals_referral_redirected_has_destination",
            ),
            models.CheckConstraint(
                condition=Q(status="closed", closed_at__isnull=False)
                | (~Q(status="closed") & Q(closed_at__isnull=True)),
                name="referrals_referral_closed_at_matches_status",
            ),
            models.CheckConstraint(
                condition=Q(acute_medication_days_per_month__isnull=True)
                | Q(acute_medication_days_per_month__lte=31),
                name="referrals_referral_medication_days_in_month",
            ),
            models.CheckConstraint(
                condition=Q(age_at_referral__lte=130), name="referrals_referral_age_plausible"
            ),
            models.CheckConstraint(
                condition=Q(stated_nhs_number="") | Q(stated_nhs_number__regex=r"^[0-9]{10}$"),
                name="referrals_referral_stated_nhs_number_ten_digits",
            ),
            models.CheckConstraint(
                condition=Q(duplicate_of__isnull=True)
                | Q(entered_in_error=True) & ~Q(duplicate_of=F("id")),
                name="referrals_referral_duplicate_entered_in_error",
            ),
            # A referral is sent again once: a second copy would split its triage in two. One
            # withdrawn before triage no longer stands for it, so it can be sent again.
            models.UniqueConstraint(
                fields=["resends"],
                condition=Q(entered_in_error=False) & ~WITHDRAWN,
                name="referrals_referral_sent_again_once",
            ),
            models.CheckConstraint(
                condition=~Q(resends=F("id")), name="referrals_referral_resends_another"
            ),
            # Telling is recorded only where the team had to tell, with who, when and how.
            models.CheckConstraint(
                condition=Q(told_at__isnull=True, told_by__isnull=True, told_how="")
                | (
                    ~Q(tell_by_team="")
                    & Q(told_at__isnull=False, told_by__isnull=False)
                    & ~Q(told_how="")
                ),
                name="referrals_referral_told_recorded",
            ),
            models.CheckConstraint(
                condition=Q(tell_by_team="") | Q(source="self", status__in=_TOLD_BY_TEAM),
                name="referrals_referral_tell_by_team_decided",
            ),
        ]
        indexes = [
            # The triage queue: live submitted referrals, urgent first, oldest first. It holds
            # every column the queue's scoped list of ids reads (referrals.views.triage_queue),
            # so PostgreSQL answers that from the index alone, without a visit to each row.
            models.Index(
                fields=["urgency", "submitted_at", "id", "patient", "stated_practice"],
                condition=Q(status="submitted", entered_in_error=False),
                name="referrals_triage_queue_idx",
            ),
            # "My referrals": a referrer's own referrals, newest first.
            models.Index(fields=["referrer", "-submitted_at"], name="referrals_referrer_idx"),
            # Outcomes the team still has to tell (the triage page's list).
            models.Index(
                fields=["decided_at"],
                condition=~Q(tell_by_team="") & Q(told_at__isnull=True, entered_in_error=False),
                name="referrals_to_tell_idx",
            ),
            # Unmatched self-referrals are scoped by the practice the self-referrer named.
            models.Index(
                fields=["stated_practice"],
                condition=Q(patient__isnull=True),
                name="referrals_unmatched_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_condition_display()} referral ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in rules.OPEN_STATUSES

    @property
    def is_form_sent_again(self) -> bool:
        """Whether this copy is the self-referral form sent again with its one-time token, kept
        by services.submit_self_referral for the red flags it gave: no one closed it (closing a
        copy records who did, in updated_by)."""
        return (
            self.source == self.Source.SELF
            and self.duplicate_of_id is not None
            and self.updated_by_id is None
        )

    @property
    def letter_not_made(self) -> bool:
        """Whether the sweep gave up on a triage-outcome letter that is still missing."""
        return self.letter_attempts >= LETTER_ATTEMPTS

    @property
    def is_decided(self) -> bool:
        return self.status in rules.DECIDED_STATUSES

    @property
    def is_unmatched(self) -> bool:
        return self.patient_id is None

    @property
    def display_name(self) -> str:
        """The patient's name, or the self-referrer's stated name before matching."""
        if self.patient is not None:
            return self.patient.full_name
        return f"{self.stated_given_name} {self.stated_family_name}".strip()

    @property
    def red_flag_labels(self) -> list[str]:
        return [rules.RED_FLAGS.get(code, code) for code in self.red_flags]

    @property
    def reference(self) -> str:
        """A short reference to quote on the phone; the full UUID stays in URLs."""
        return str(self.uuid)[:8].upper()


class StoppedReason(models.TextChoices):
    INEFFECTIVE = "ineffective", "Did not work"
    NOT_TOLERATED = "not_tolerated", "Side effects"
    CONTRAINDICATED = "contraindicated", "Unsuitable (contraindicated)"
    STILL_TAKING = "still_taking", "Still taking it"
    OTHER = "other", "Other reason"


class PreventiveTried(TimeStampedModel):
    """A preventive medicine the patient has tried, with dose, duration and why it stopped."""

    StoppedReason = StoppedReason

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="preventives")
    medicine = models.CharField(max_length=120)
    dose = models.CharField(max_length=80, blank=True)
    duration_weeks = models.PositiveSmallIntegerField(null=True, blank=True)
    stopped_reason = models.CharField(max_length=20, choices=StoppedReason.choices)

    class Meta:
        ordering = ["id"]
        verbose_name = "preventive tried"
        verbose_name_plural = "preventives tried"
        constraints = [
            choices_constraint(
                "stopped_reason", StoppedReason, "referrals_preventivetried_reason_valid"
            ),
            models.CheckConstraint(
                condition=Q(duration_weeks__isnull=True) | Q(duration_weeks__lte=520),
                name="referrals_preventivetried_duration_plausible",
            ),
        ]

    def __str__(self) -> str:
        return self.medicine


class EmergencyStop(ClinicalRecord):
    """The red-flag screen stopped a referral: what it advised, to whom and when.

    No referral is created. A GP's stop records who was advised (`created_by`) and, when known,
    the patient; a self-referrer's stop holds no personal details, only the flags and the advice,
    unless the service knows the self-referrer is a patient on its records (their form sent
    again, or a signed-in patient's own details): then it names the patient, so that the
    clinicians caring for them are told (services.self_referrer_on_record).
    """

    Source = ReferralSource

    source = models.CharField(max_length=10, choices=ReferralSource.choices)
    condition = models.CharField(max_length=16, choices=Condition.choices, blank=True)
    patient = models.ForeignKey(
        "pathway.Patient",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="emergency_stops",
    )
    stated_practice = models.ForeignKey(
        "pathway.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    red_flags = models.JSONField(default=list)
    advice = models.JSONField(default=list, help_text="The lines of advice shown, in order.")
    # PHQ-9 question 9's score (1-3) when the stopped referral's PHQ-9 answered it above 0: no
    # referral carries the answer to the care team, so the stop page puts it to the GP.
    phq9_self_harm_score = models.PositiveSmallIntegerField(null=True, blank=True)
    # A PHQ-9 was typed in but could not be read: whether question 9 shows a risk is not known.
    phq9_unread = models.BooleanField(default=False)
    entered_in_error = models.BooleanField(default=False)

    @property
    def red_flag_labels(self) -> list[str]:
        return [rules.RED_FLAGS.get(code, code) for code in self.red_flags]

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            choices_constraint("source", ReferralSource, "referrals_emergencystop_source_valid"),
            models.CheckConstraint(
                condition=Q(condition__in=["", *Condition.values]),
                name="referrals_emergencystop_condition_valid",
            ),
            # A professional's stop names who was advised; a self-referrer's names nobody who
            # advised (the patient, when known, is the self-referrer).
            models.CheckConstraint(
                condition=Q(source="self", created_by__isnull=True)
                | (~Q(source="self") & Q(created_by__isnull=False)),
                name="referrals_emergencystop_advised_person",
            ),
        ]

    def __str__(self) -> str:
        return f"Emergency stop ({self.get_source_display()}) at {self.created_at:%Y-%m-%d %H:%M}"


class LetterKind(models.TextChoices):
    TRIAGE_OUTCOME = "triage_outcome", "Triage outcome"


class ReferralLetter(TimeStampedModel):
    """A rendered letter (PDF bytes and their SHA-256), downloaded only through an authenticated
    view. One per referral and kind, so rendering twice changes nothing."""

    Kind = LetterKind

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="letters")
    kind = models.CharField(max_length=20, choices=LetterKind.choices)
    pdf = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()

    class Meta:
        ordering = ["created_at"]
        constraints = [
            choices_constraint("kind", LetterKind, "referrals_referralletter_kind_valid"),
            models.UniqueConstraint(
                fields=["referral", "kind"], name="referrals_referralletter_one_per_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} letter"

    @property
    def filename(self) -> str:
        return f"referral-{self.referral.reference.lower()}-{self.kind.replace('_', '-')}.pdf"
