"""The rows of a version: goals, self-management, support, named responsibilities and acute
treatments with their overuse limits."""

import uuid

from django.db import models
from django.db.models import Q

from careplans import rules
from careplans.models.plans import CarePlanVersion
from pathway.models.base import choices_constraint


def _rating_between(field: str, name: str, *, nullable: bool = False) -> models.CheckConstraint:
    condition = Q(**{f"{field}__gte": 0, f"{field}__lte": 10})
    if nullable:
        condition |= Q(**{f"{field}__isnull": True})
    return models.CheckConstraint(condition=condition, name=name)


class VersionItem(models.Model):
    """A row belonging to one version. `lineage` is kept when a new version copies the row, so
    the change list can tell an edited item from a new one."""

    lineage = models.UUIDField(default=uuid.uuid4, editable=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["position", "id"]


class Goal(VersionItem):
    """A goal in the patient's words with PSFS-style ratings 0 (cannot do) to 10 (as before)."""

    version = models.ForeignKey(CarePlanVersion, on_delete=models.CASCADE, related_name="goals")
    description = models.CharField(max_length=300)
    baseline = models.PositiveSmallIntegerField("rating at the start")
    target = models.PositiveSmallIntegerField("target rating")
    current = models.PositiveSmallIntegerField("rating now", null=True, blank=True)
    # The day `current` was given, carried into later versions with it, so a rating copied into
    # a new version is not read as this version's own. Empty on ratings given before it was
    # kept.
    current_rated_on = models.DateField(null=True, blank=True, editable=False)

    class Meta(VersionItem.Meta):
        constraints = [
            _rating_between("baseline", "careplans_goal_baseline_0_to_10"),
            _rating_between("target", "careplans_goal_target_0_to_10"),
            _rating_between("current", "careplans_goal_current_0_to_10", nullable=True),
            models.CheckConstraint(
                condition=Q(current__isnull=False) | Q(current_rated_on__isnull=True),
                name="careplans_goal_rated_on_needs_rating",
            ),
        ]

    def __str__(self) -> str:
        return self.description


class SelfManagementCategory(models.TextChoices):
    SLEEP = "sleep", "Sleep"
    EXERCISE = "exercise", "Exercise and activity"
    PACING = "pacing", "Pacing"
    DIET = "diet", "Eating regularly"
    HYDRATION = "hydration", "Drinking enough"
    TRIGGERS = "triggers", "Triggers"
    RELAXATION = "relaxation", "Relaxation"
    WORK = "work", "Work or study"


class Owner(models.TextChoices):
    PATIENT = "patient", "Me"
    TEAM = "team", "The care team"
    TOGETHER = "together", "Together"


class SelfManagementItem(VersionItem):
    Category = SelfManagementCategory

    version = models.ForeignKey(
        CarePlanVersion, on_delete=models.CASCADE, related_name="self_management"
    )
    category = models.CharField(max_length=16, choices=Category.choices)
    action = models.CharField("what I will do", max_length=300)
    owner = models.CharField("who does it", max_length=12, choices=Owner.choices)
    support = models.CharField("help from the team", max_length=300, blank=True)

    class Meta(VersionItem.Meta):
        constraints = [
            choices_constraint(
                "category", SelfManagementCategory, "careplans_selfmanagement_category_valid"
            ),
            choices_constraint("owner", Owner, "careplans_selfmanagement_owner_valid"),
        ]

    def __str__(self) -> str:
        return self.action


class SupportKind(models.TextChoices):
    MENTAL_HEALTH = "mental_health", "Mental health support"
    WELLBEING = "wellbeing", "Wellbeing coaching"
    SOCIAL_PRESCRIBING = "social_prescribing", "Social prescribing"
    WALKING_GROUP = "walking_group", "Walking group"
    PEER_SUPPORT = "peer_support", "Peer support"
    GROUP_SESSION = "group_session", "Group sessions"
    COMMUNITY = "community", "Other community link"


class SupportItem(VersionItem):
    """Mental health and wellbeing support, social prescribing and community links."""

    Kind = SupportKind

    version = models.ForeignKey(
        CarePlanVersion, on_delete=models.CASCADE, related_name="support_items"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    description = models.CharField(max_length=300)
    contact = models.CharField("how to get in touch", max_length=200, blank=True)

    class Meta(VersionItem.Meta):
        constraints = [choices_constraint("kind", SupportKind, "careplans_supportitem_kind_valid")]

    def __str__(self) -> str:
        return self.description


class ResponsibilityOwner(models.TextChoices):
    PATIENT = "patient", "Me"
    TEAM = "team", "The care team"


class Responsibility(VersionItem):
    """A named responsibility: who will do what, by when."""

    Owner = ResponsibilityOwner

    version = models.ForeignKey(
        CarePlanVersion, on_delete=models.CASCADE, related_name="responsibilities"
    )
    owner = models.CharField(max_length=8, choices=Owner.choices)
    person = models.CharField("name or role", max_length=120)
    action = models.CharField("what they will do", max_length=300)
    due_on = models.DateField("by when", null=True, blank=True)

    class Meta(VersionItem.Meta):
        verbose_name_plural = "responsibilities"
        constraints = [
            choices_constraint("owner", ResponsibilityOwner, "careplans_responsibility_owner_valid")
        ]

    def __str__(self) -> str:
        return f"{self.person}: {self.action}"


class AcuteClass(models.TextChoices):
    SIMPLE_ANALGESIC = rules.SIMPLE_ANALGESIC, "Simple painkillers"
    TRIPTAN = rules.TRIPTAN, "Triptans"
    COMBINATION_ANALGESIC = rules.COMBINATION_ANALGESIC, "Combination painkillers"
    OPIOID = rules.OPIOID, "Opioid painkillers"
    ERGOT = rules.ERGOT, "Ergotamine"


class AcuteTreatment(VersionItem):
    """An acute (rescue) medicine with its overuse limit explained from the thresholds."""

    MedicationClass = AcuteClass

    version = models.ForeignKey(
        CarePlanVersion, on_delete=models.CASCADE, related_name="acute_treatments"
    )
    medication_class = models.CharField(max_length=24, choices=MedicationClass.choices)
    medicine = models.CharField("medicine and dose", max_length=200)

    class Meta(VersionItem.Meta):
        constraints = [
            choices_constraint("medication_class", AcuteClass, "careplans_acutetreatment_class")
        ]

    def __str__(self) -> str:
        return self.medicine
