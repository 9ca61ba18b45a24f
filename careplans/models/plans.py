"""A patient's care plan for an episode, and its versions: a draft is edited, then agreed,
after which it never changes; a new version starts as a copy and supersedes it when agreed."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from pathway.models.base import ClinicalRecord, choices_constraint


class CarePlan(ClinicalRecord):
    """One patient's care plan for one episode. Its contents are in `CarePlanVersion`s."""

    patient = models.ForeignKey(
        "pathway.Patient", on_delete=models.PROTECT, related_name="care_plans"
    )
    episode = models.ForeignKey(
        "pathway.Episode", on_delete=models.PROTECT, related_name="care_plans"
    )
    entered_in_error = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["episode"],
                condition=Q(entered_in_error=False),
                name="careplans_careplan_one_live_per_episode",
            ),
        ]

    def __str__(self) -> str:
        return f"Care plan for {self.patient}"


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    AGREED = "agreed", "Agreed"
    SUPERSEDED = "superseded", "Superseded"


class CarePlanVersion(ClinicalRecord):
    """The contents of a plan at one point. Agreed and superseded versions never change: the
    services refuse edits and neither the views nor the admin offer a way to change them."""

    Status = VersionStatus

    plan = models.ForeignKey(CarePlan, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    what_matters = models.TextField("what matters to me", blank=True)
    acute_plan = models.TextField("acute treatment plan", blank=True)
    wellbeing_notes = models.TextField("mental health and wellbeing", blank=True)
    next_review_on = models.DateField("next review date", null=True, blank=True)
    change_summary = models.TextField("why this version changed", blank=True)
    agreed_at = models.DateTimeField(null=True, blank=True)
    agreed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["plan", "-number"]
        constraints = [
            choices_constraint("status", VersionStatus, "careplans_careplanversion_status_valid"),
            models.UniqueConstraint(
                fields=["plan", "number"], name="careplans_careplanversion_unique_number"
            ),
            models.CheckConstraint(
                condition=Q(number__gte=1), name="careplans_careplanversion_number_positive"
            ),
            models.UniqueConstraint(
                fields=["plan"],
                condition=Q(status="draft"),
                name="careplans_careplanversion_one_draft_per_plan",
            ),
            models.UniqueConstraint(
                fields=["plan"],
                condition=Q(status="agreed"),
                name="careplans_careplanversion_one_agreed_per_plan",
            ),
            # Agreed and superseded versions say when and by whom they were agreed; drafts not.
            models.CheckConstraint(
                condition=(
                    Q(status="draft", agreed_at__isnull=True, agreed_by__isnull=True)
                    | Q(
                        status__in=["agreed", "superseded"],
                        agreed_at__isnull=False,
                        agreed_by__isnull=False,
                    )
                ),
                name="careplans_careplanversion_agreed_has_time_and_person",
            ),
            models.CheckConstraint(
                condition=Q(status="superseded", superseded_at__isnull=False)
                | (~Q(status="superseded") & Q(superseded_at__isnull=True)),
                name="careplans_careplanversion_superseded_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"Version {self.number} ({self.get_status_display()})"

    @property
    def is_draft(self) -> bool:
        return self.status == VersionStatus.DRAFT
