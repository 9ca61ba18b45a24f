from django.conf import settings
from django.db import models

from pathway import nhs_number
from pathway.models.base import ClinicalRecord, choices_constraint


class PatientQuerySet(models.QuerySet):
    def live(self):
        return self.filter(entered_in_error=False)


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    INDETERMINATE = "indeterminate", "Indeterminate"
    NOT_KNOWN = "not_known", "Not known"


class Patient(ClinicalRecord):
    """A person on the pathway. URLs and task arguments use `uuid`, never the primary key."""

    Sex = Sex

    nhs_number = models.CharField("NHS number", max_length=10, unique=True)
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    # Recorded by the care team (reviews: discharge because the patient has died). From then
    # on nothing is sent to the patient and their portal account is closed.
    date_of_death = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=16, choices=Sex.choices, default=Sex.NOT_KNOWN)
    mobile = models.CharField(max_length=16, blank=True, help_text="E.164, e.g. +447700900123")
    email = models.EmailField(blank=True)
    registered_practice = models.ForeignKey(
        "pathway.Organisation", on_delete=models.PROTECT, related_name="registered_patients"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="patient",
    )
    # Contact preferences: consent is recorded with its date; an opt-out stops all messages.
    sms_consent = models.BooleanField(default=False)
    email_consent = models.BooleanField(default=False)
    consent_recorded_at = models.DateTimeField(null=True, blank=True)
    opted_out_at = models.DateTimeField(null=True, blank=True)
    diary_nudge = models.BooleanField("daily diary reminder", default=False)
    entered_in_error = models.BooleanField(default=False)

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["family_name", "given_name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(nhs_number__regex=r"^[0-9]{10}$"),
                name="pathway_patient_nhs_number_ten_digits",
            ),
            choices_constraint("sex", Sex, "pathway_patient_sex_valid"),
            models.CheckConstraint(
                condition=(
                    models.Q(date_of_death__isnull=True)
                    | models.Q(date_of_death__gte=models.F("date_of_birth"))
                ),
                name="pathway_patient_death_not_before_birth",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(sms_consent=False, email_consent=False)
                    | models.Q(consent_recorded_at__isnull=False)
                ),
                name="pathway_patient_consent_has_date",
            ),
            models.CheckConstraint(
                condition=models.Q(sms_consent=False) | ~models.Q(mobile=""),
                name="pathway_patient_sms_consent_needs_mobile",
            ),
            models.CheckConstraint(
                condition=models.Q(email_consent=False) | ~models.Q(email=""),
                name="pathway_patient_email_consent_needs_email",
            ),
        ]
        indexes = [
            # Staff search by name and date of birth (pathway.selectors.search_patients).
            models.Index(
                fields=["family_name", "date_of_birth"], name="pathway_patient_name_dob_idx"
            ),
            # A care team's patients (pathway.permissions.patients_visible_to): the live
            # patients of a few practices as ids alone, read from the index without the table.
            # Every worklist, triage and dashboard query joins its rows to this scope.
            models.Index(
                fields=["registered_practice", "id"],
                condition=models.Q(entered_in_error=False),
                name="pathway_patient_scope_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def nhs_number_display(self) -> str:
        return nhs_number.format(self.nhs_number)

    @property
    def has_died(self) -> bool:
        return self.date_of_death is not None

    def can_receive(self, channel: str) -> bool:
        """Whether a message on `channel` ('sms' or 'email') may be sent to this patient."""
        if self.date_of_death is not None or self.opted_out_at is not None:
            return False
        if self.entered_in_error:
            return False
        if channel == "sms":
            return self.sms_consent and bool(self.mobile)
        if channel == "email":
            return self.email_consent and bool(self.email)
        return False
