"""Patient information leaflets, and the leaflets the team attaches to a plan."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from careplans.models.plans import CarePlan
from pathway.models.base import TimeStampedModel, choices_constraint


class LeafletCondition(models.TextChoices):
    GENERAL = "general", "Everyone"
    HEADACHE = "headache", "Headache"
    CHRONIC_PAIN = "chronic_pain", "Chronic pain"


class Leaflet(TimeStampedModel):
    """A patient information leaflet in a safe Markdown subset (see careplans.safe_markdown).
    Written for a reading age of 9 to 11, with its sources and a date to review it by."""

    Condition = LeafletCondition

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=160)
    summary = models.CharField(max_length=300)
    condition = models.CharField(
        max_length=16, choices=Condition.choices, default=Condition.GENERAL
    )
    medicines = models.CharField(
        "medicines this leaflet is about",
        max_length=200,
        blank=True,
        help_text=(
            "Medicine codes or classes, separated by spaces (for example: topiramate, or: opioid "
            "gabapentinoid). Personalised copies show the patient's dose of these medicines."
        ),
    )
    body_markdown = models.TextField("text (Markdown)")
    sources = models.TextField(help_text="One source a line: title, then the https address.")
    version = models.PositiveIntegerField(default=1)
    review_on = models.DateField("review by")
    is_published = models.BooleanField(default=True)

    class Meta:
        ordering = ["title"]
        constraints = [
            choices_constraint("condition", LeafletCondition, "careplans_leaflet_condition_valid"),
            # Lower-case codes separated by single spaces; each is checked against the vocabulary
            # by the admin form (careplans.rules.unknown_medicine_tokens).
            models.CheckConstraint(
                condition=Q(medicines__regex=r"^([a-z_]+( [a-z_]+)*)?$"),
                name="careplans_leaflet_medicines_format",
            ),
            models.CheckConstraint(
                condition=Q(version__gte=1), name="careplans_leaflet_version_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class CarePlanLeaflet(TimeStampedModel):
    """A leaflet attached to a plan by the team. Removing it keeps the row (removed_at)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    plan = models.ForeignKey(CarePlan, on_delete=models.PROTECT, related_name="leaflet_links")
    leaflet = models.ForeignKey(Leaflet, on_delete=models.PROTECT, related_name="+")
    attached_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "leaflet"],
                condition=Q(removed_at__isnull=True),
                name="careplans_careplanleaflet_once_per_plan",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.leaflet} on {self.plan}"
