from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from pathway.models.base import ClinicalRecord, TimeStampedModel, choices_constraint


class Condition(models.TextChoices):
    HEADACHE = "headache", "Headache"
    CHRONIC_PAIN = "chronic_pain", "Chronic pain"


class Priority(models.TextChoices):
    URGENT = "urgent", "Urgent"
    ROUTINE = "routine", "Routine"


class MilestoneKind(models.TextChoices):
    REFERRAL_RECEIVED = "referral_received", "Referral received"
    TRIAGED = "triaged", "Triaged"
    FIRST_CONTACT = "first_contact", "First contact"
    CARE_PLAN_AGREED = "care_plan_agreed", "Care plan agreed"
    TREATMENT_STARTED = "treatment_started", "Treatment started"
    REVIEW_HELD = "review_held", "Review held"
    ANNUAL_REVIEW_DUE = "annual_review_due", "Next review due"
    DISCHARGED = "discharged", "Discharged"


# Milestones that happen once in an episode; reviews and review-due dates repeat.
ONCE_ONLY_MILESTONES = [
    MilestoneKind.REFERRAL_RECEIVED,
    MilestoneKind.TRIAGED,
    MilestoneKind.FIRST_CONTACT,
    MilestoneKind.CARE_PLAN_AGREED,
    MilestoneKind.TREATMENT_STARTED,
    MilestoneKind.DISCHARGED,
]


class EpisodeStatus(models.TextChoices):
    REFERRED = "referred", "Referred"
    ACTIVE = "active", "Active"
    DISCHARGED = "discharged", "Discharged"
    ENTERED_IN_ERROR = "entered_in_error", "Entered in error"


# Statuses that end an episode, and so carry `closed_at`; the others are open.
CLOSED_STATUSES = ["discharged", "entered_in_error"]
OPEN_STATUSES = ["referred", "active"]


class EpisodeQuerySet(models.QuerySet):
    def open(self):
        """Episodes still under the pathway: referred or active."""
        return self.filter(status__in=OPEN_STATUSES)


class Episode(ClinicalRecord):
    """A patient's journey for one condition group. Waits are computed from its milestones."""

    Status = EpisodeStatus
    OPEN_STATUSES = OPEN_STATUSES

    patient = models.ForeignKey(
        "pathway.Patient", on_delete=models.PROTECT, related_name="episodes"
    )
    condition = models.CharField(max_length=16, choices=Condition.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REFERRED)
    priority = models.CharField(max_length=10, choices=Priority.choices, blank=True)
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    responsible_clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="responsible_episodes",
    )

    objects = EpisodeQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            choices_constraint("condition", Condition, "pathway_episode_condition_valid"),
            choices_constraint("status", EpisodeStatus, "pathway_episode_status_valid"),
            models.CheckConstraint(
                condition=models.Q(priority__in=["", *Priority.values]),
                name="pathway_episode_priority_valid",
            ),
            # One open episode per patient and condition.
            models.UniqueConstraint(
                fields=["patient", "condition"],
                condition=models.Q(status__in=OPEN_STATUSES),
                name="pathway_episode_one_open_per_condition",
            ),
            # Closed episodes carry their closing time; open ones do not.
            models.CheckConstraint(
                condition=(
                    models.Q(status__in=CLOSED_STATUSES, closed_at__isnull=False)
                    | (~models.Q(status__in=CLOSED_STATUSES) & models.Q(closed_at__isnull=True))
                ),
                name="pathway_episode_closed_at_matches_status",
            ),
            models.CheckConstraint(
                condition=models.Q(closed_at__isnull=True)
                | models.Q(closed_at__gte=models.F("opened_at")),
                name="pathway_episode_closes_after_opening",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_condition_display()} episode for {self.patient}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def timeline(self) -> list["Milestone"]:
        """The milestones in date order (`milestones.all()`, prefetched by the caller), with
        only the annual review due date recorded last: each review sets the next one, which
        replaces the one before, as the worklist and reminders read it (the worklist lists the
        review as overdue once that date has passed, whatever was recorded after it)."""
        milestones = list(self.milestones.all())
        due = [m for m in milestones if m.kind == MilestoneKind.ANNUAL_REVIEW_DUE]
        current = max(due, key=lambda m: (m.created_at, m.pk)) if due else None
        return [m for m in milestones if m.kind != MilestoneKind.ANNUAL_REVIEW_DUE or m is current]


class Milestone(TimeStampedModel):
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="milestones")
    kind = models.CharField(max_length=24, choices=MilestoneKind.choices)
    occurred_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["occurred_at", "id"]
        constraints = [
            choices_constraint("kind", MilestoneKind, "pathway_milestone_kind_valid"),
            models.UniqueConstraint(
                fields=["episode", "kind"],
                condition=models.Q(kind__in=[k.value for k in ONCE_ONLY_MILESTONES]),
                name="pathway_milestone_once_per_episode",
            ),
        ]
        indexes = [
            # Target and dashboard queries: all milestones of a kind in a period.
            models.Index(fields=["kind", "occurred_at"], name="pathway_milestone_kind_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.occurred_at:%Y-%m-%d}"

    @property
    def has_passed(self) -> bool:
        return self.occurred_at <= timezone.now()


class TargetPriority(models.TextChoices):
    ANY = "any", "Any priority"
    URGENT = "urgent", "Urgent"
    ROUTINE = "routine", "Routine"


# A timeframe target's days: at least 1 and at most ten years.
MAX_TARGET_DAYS = 3650
TARGET_DAYS_MESSAGE = f"Enter a number of days from 1 to {MAX_TARGET_DAYS:,} (10 years)."


class Target(TimeStampedModel):
    """A pathway timeframe target between two milestones (DESIGN.md section 3)."""

    AppliesTo = TargetPriority

    name = models.CharField(max_length=120)
    from_milestone = models.CharField(max_length=24, choices=MilestoneKind.choices)
    to_milestone = models.CharField(max_length=24, choices=MilestoneKind.choices)
    priority = models.CharField(max_length=10, choices=AppliesTo.choices, default=AppliesTo.ANY)
    days = models.PositiveIntegerField(
        validators=[
            MinValueValidator(1, TARGET_DAYS_MESSAGE),
            MaxValueValidator(MAX_TARGET_DAYS, TARGET_DAYS_MESSAGE),
        ]
    )

    class Meta:
        ordering = ["from_milestone", "priority"]
        constraints = [
            choices_constraint("from_milestone", MilestoneKind, "pathway_target_from_valid"),
            choices_constraint("to_milestone", MilestoneKind, "pathway_target_to_valid"),
            choices_constraint("priority", TargetPriority, "pathway_target_priority_valid"),
            # Every clock adds the days to a date: beyond ten years is no target, and a number
            # large enough to pass the year 9999 would stop every page that draws a clock.
            models.CheckConstraint(
                condition=models.Q(days__gte=1, days__lte=MAX_TARGET_DAYS),
                name="pathway_target_days_in_range",
            ),
            models.UniqueConstraint(
                fields=["from_milestone", "to_milestone", "priority"], name="pathway_target_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.days} days"

    def clean(self) -> None:
        """A target runs forward along the pathway: its end milestone comes after its start, as
        MilestoneKind lists them. Only a review is followed by another of its kind (last review
        to next annual review)."""
        super().clean()
        order = list(MilestoneKind.values)
        start, end = self.from_milestone, self.to_milestone
        if start not in order or end not in order:
            return  # the field's own choice check says so
        if start == end and start == MilestoneKind.REVIEW_HELD:
            return
        if order.index(end) <= order.index(start):
            raise ValidationError(
                {
                    "to_milestone": (
                        f"Choose a milestone that comes after "
                        f"{MilestoneKind(start).label.lower()} in the pathway."
                    )
                }
            )
