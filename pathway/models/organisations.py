from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

from pathway.models.base import TimeStampedModel, choices_constraint


class OrganisationKind(models.TextChoices):
    ICB = "icb", "Integrated care board"
    PCN = "pcn", "Primary care network"
    PRACTICE = "practice", "GP practice"
    SERVICE = "service", "Care service"


# What each kind of organisation hangs under: the tree the permissions and the dashboard's areas
# walk (a practice's patients are seen by its PCN's clinicians and services). An ICB is a root.
PARENT_KIND = {
    OrganisationKind.PRACTICE: OrganisationKind.PCN,
    OrganisationKind.SERVICE: OrganisationKind.PCN,
    OrganisationKind.PCN: OrganisationKind.ICB,
}


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

    def clean(self):
        """Keep the tree as the permissions and the dashboard read it: each kind under the kind
        above it (PARENT_KIND), and ODS codes in capitals (the same code typed in another case
        is the same organisation)."""
        super().clean()
        self.ods_code = (self.ods_code or "").strip().upper()
        errors = {}
        wanted = PARENT_KIND.get(self.kind)
        if self.parent_id is not None and self.parent is not None:
            if wanted is None:
                errors["parent"] = "An integrated care board has no parent."
            elif self.parent.kind != wanted:
                # Which also keeps an organisation from being under itself: each kind's
                # parent is of the kind above, and an ICB has none.
                errors["parent"] = (
                    f"A {self.get_kind_display().lower()} belongs to a "
                    f"{OrganisationKind(wanted).label.lower()}: choose one."
                )
        if self.pk is not None:
            misplaced = [
                child.name
                for child in Organisation.objects.filter(parent_id=self.pk)
                if PARENT_KIND.get(child.kind) != self.kind
            ]
            if misplaced:
                errors["kind"] = (
                    f"{', '.join(misplaced[:3])} {'is' if len(misplaced) == 1 else 'are'} under "
                    "this organisation and need it to stay the kind it is: move them first."
                )
        if errors:
            raise ValidationError(errors)


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
