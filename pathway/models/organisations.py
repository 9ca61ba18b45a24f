from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

from pathway.models.base import TimeStampedModel, choices_constraint


class OrganisationKind(models.TextChoices):
    ICB = "icb", "Integrated care board"
    PCN = "pcn", "Primary care network"
    PRACTICE = "practice", "GP practice"
    SERVICE = "service", "Care service"


class Organisation(TimeStampedModel):
    """An ICB, PCN, GP practice or care service, in a tree (practice -> PCN -> ICB)."""

    Kind = OrganisationKind

    kind = models.CharField(max_length=16, choices=Kind.choices)
    name = models.CharField(max_length=200)
    ods_code = models.CharField("ODS code", max_length=12, unique=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # How patients reach a care service: shown to its patients wherever they are asked to
    # contact their care team.
    phone = models.CharField(
        "Phone number for patients",
        max_length=40,
        blank=True,
        help_text="For example 01632 960000",
        validators=[
            RegexValidator(
                r"^\+?[0-9(][0-9 ()-]{8,}[0-9]$",
                "Enter a phone number patients can call, like 01632 960000, using digits, spaces "
                "and brackets only.",
            )
        ],
    )
    email = models.EmailField("Email address for patients", blank=True)
    contact_hours = models.CharField(
        "When the phone is answered",
        max_length=120,
        blank=True,
        help_text="For example Monday to Friday, 9am to 5pm",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            choices_constraint("kind", OrganisationKind, "pathway_organisation_kind_valid"),
            # An ICB is a root; every other organisation hangs under one.
            models.CheckConstraint(
                condition=(models.Q(kind="icb", parent__isnull=True) | ~models.Q(kind="icb")),
                name="pathway_organisation_icb_is_root",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="icb") | models.Q(parent__isnull=False),
                name="pathway_organisation_has_parent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.ods_code})"


class Membership(TimeStampedModel):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="memberships"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation"], name="pathway_membership_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation}"
