"""Care plans, their versions and contents, treatment trials, leaflets and PDF documents.

A plan belongs to a patient's episode. Its contents live in versions: a draft is edited, then
agreed, after which it never changes; a new version starts as a copy and supersedes it when agreed.
Treatment trials and medication reductions belong to the plan itself, because they outlive
versions. TextChoices used by constraints sit at module level (a Meta class cannot see a nested
class body) and are aliased on the models.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from careplans import rules
from pathway.models.base import ClinicalRecord, TimeStampedModel, choices_constraint


def _rating_between(field: str, name: str, *, nullable: bool = False) -> models.CheckConstraint:
    condition = Q(**{f"{field}__gte": 0, f"{field}__lte": 10})
    if nullable:
        condition |= Q(**{f"{field}__isnull": True})
    return models.CheckConstraint(condition=condition, name=name)


def _days_a_month(field: str, name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__isnull": True})
        | Q(**{f"{field}__gte": 0, f"{field}__lte": rules.MAX_DAYS_PER_MONTH}),
        name=name,
    )


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

    class Meta(VersionItem.Meta):
        constraints = [
            _rating_between("baseline", "careplans_goal_baseline_0_to_10"),
            _rating_between("target", "careplans_goal_target_0_to_10"),
            _rating_between("current", "careplans_goal_current_0_to_10", nullable=True),
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


class MedicineCode(models.TextChoices):
    """The coded medicines of `careplans.rules.MEDICINES`."""

    PROPRANOLOL = "propranolol", "Propranolol"
    METOPROLOL = "metoprolol", "Metoprolol"
    AMITRIPTYLINE = "amitriptyline", "Amitriptyline"
    NORTRIPTYLINE = "nortriptyline", "Nortriptyline"
    TOPIRAMATE = "topiramate", "Topiramate"
    CANDESARTAN = "candesartan", "Candesartan"
    ERENUMAB = "erenumab", "Erenumab"
    GALCANEZUMAB = "galcanezumab", "Galcanezumab"
    FREMANEZUMAB = "fremanezumab", "Fremanezumab"
    ATOGEPANT = "atogepant", "Atogepant"
    RIMEGEPANT = "rimegepant", "Rimegepant"
    BOTULINUM_TOXIN_A = "botulinum_toxin_a", "Botulinum toxin type A"
    DULOXETINE = "duloxetine", "Duloxetine"
    VENLAFAXINE = "venlafaxine", "Venlafaxine"
    GABAPENTIN = "gabapentin", "Gabapentin"
    PREGABALIN = "pregabalin", "Pregabalin"
    CODEINE = "codeine", "Codeine"
    DIHYDROCODEINE = "dihydrocodeine", "Dihydrocodeine"
    TRAMADOL = "tramadol", "Tramadol"
    MORPHINE = "morphine", "Morphine"
    OXYCODONE = "oxycodone", "Oxycodone"
    BUPRENORPHINE = "buprenorphine", "Buprenorphine"
    FENTANYL = "fentanyl", "Fentanyl"
    OTHER = "other", "Other (type the name)"


class MedicineClass(models.TextChoices):
    BETA_BLOCKER = rules.BETA_BLOCKER, "Beta blocker"
    TRICYCLIC = rules.TRICYCLIC, "Tricyclic antidepressant"
    ANTICONVULSANT = rules.ANTICONVULSANT, "Anticonvulsant"
    ARB = rules.ARB, "Angiotensin receptor blocker"
    CGRP_ANTIBODY = rules.CGRP_ANTIBODY, "CGRP antibody"
    GEPANT = rules.GEPANT, "Gepant"
    BOTULINUM_TOXIN = rules.BOTULINUM_TOXIN, "Botulinum toxin"
    OPIOID = rules.OPIOID, "Opioid"
    GABAPENTINOID = rules.GABAPENTINOID, "Gabapentinoid"
    SNRI = rules.SNRI, "SNRI"
    OTHER = rules.OTHER, "Other"


class TrialRole(models.TextChoices):
    PREVENTIVE = rules.PREVENTIVE, "Headache prevention"
    ACUTE = rules.ACUTE, "Acute headache treatment"
    PAIN = rules.PAIN, "Pain management"


class TrialOutcome(models.TextChoices):
    ONGOING = rules.ONGOING, "Ongoing"
    EFFECTIVE = rules.EFFECTIVE, "Effective"
    INEFFECTIVE = rules.INEFFECTIVE, "Did not work"
    NOT_TOLERATED = rules.NOT_TOLERATED, "Not tolerated"
    STOPPED = rules.STOPPED, "Stopped"


class ReviewDecision(models.TextChoices):
    NONE = "", "Not reviewed yet"
    CONTINUE = rules.REVIEW_CONTINUE, "Continue safely"
    REDUCE = rules.REVIEW_REDUCE, "Reduce and stop"


class TreatmentTrial(ClinicalRecord):
    """A medicine tried under the plan, reviewed 12 weeks after it starts by default.

    Migraine and headache days a month before starting (baseline) and at the 12-week review are
    the figures the clinician enters or confirms from the diary; the CGRP and botulinum toxin
    prompts and the CGRP stopping rule use them.
    """

    Outcome = TrialOutcome
    Role = TrialRole

    plan = models.ForeignKey(CarePlan, on_delete=models.PROTECT, related_name="trials")
    medicine_code = models.CharField("medicine", max_length=24, choices=MedicineCode.choices)
    medicine_name = models.CharField("other medicine name", max_length=120, blank=True)
    medicine_class = models.CharField(max_length=20, choices=MedicineClass.choices)
    role = models.CharField(max_length=12, choices=TrialRole.choices)
    dose = models.CharField(max_length=200)
    started_on = models.DateField()
    review_due = models.DateField()
    already_taking = models.BooleanField(
        default=False, help_text="Taken before this plan (not started by the care team)."
    )
    start_warning_acknowledged = models.BooleanField(default=False)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.ONGOING)
    adequate_trial = models.BooleanField(
        default=True, help_text="Given at an adequate dose for long enough."
    )
    outcome_recorded_at = models.DateTimeField(null=True, blank=True)
    review_decision = models.CharField(
        max_length=10, choices=ReviewDecision.choices, default="", blank=True
    )
    daily_morphine_equivalent_mg = models.DecimalField(
        "oral morphine equivalent (mg a day)",
        max_digits=7,
        decimal_places=1,
        null=True,
        blank=True,
    )
    baseline_headache_days = models.DecimalField(
        max_digits=4, decimal_places=2, null=True, blank=True
    )
    baseline_migraine_days = models.DecimalField(
        max_digits=4, decimal_places=2, null=True, blank=True
    )
    month3_headache_days = models.DecimalField(
        max_digits=4, decimal_places=2, null=True, blank=True
    )
    month3_migraine_days = models.DecimalField(
        max_digits=4, decimal_places=2, null=True, blank=True
    )
    notes = models.TextField(blank=True)
    entered_in_error = models.BooleanField(default=False)

    class Meta:
        ordering = ["-started_on", "-id"]
        constraints = [
            choices_constraint("medicine_code", MedicineCode, "careplans_trial_medicine_valid"),
            choices_constraint("medicine_class", MedicineClass, "careplans_trial_class_valid"),
            choices_constraint("role", TrialRole, "careplans_trial_role_valid"),
            choices_constraint("outcome", TrialOutcome, "careplans_trial_outcome_valid"),
            models.CheckConstraint(
                condition=Q(review_decision__in=ReviewDecision.values),
                name="careplans_trial_review_decision_valid",
            ),
            models.CheckConstraint(
                condition=Q(review_due__gte=F("started_on")),
                name="careplans_trial_review_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(medicine_code="other") | ~Q(medicine_name=""),
                name="careplans_trial_other_has_name",
            ),
            models.CheckConstraint(
                condition=Q(outcome="ongoing", outcome_recorded_at__isnull=True)
                | (~Q(outcome="ongoing") & Q(outcome_recorded_at__isnull=False)),
                name="careplans_trial_outcome_has_time",
            ),
            models.CheckConstraint(
                condition=Q(daily_morphine_equivalent_mg__isnull=True)
                | Q(daily_morphine_equivalent_mg__gte=0),
                name="careplans_trial_mme_not_negative",
            ),
            _days_a_month("baseline_headache_days", "careplans_trial_baseline_headache_range"),
            _days_a_month("baseline_migraine_days", "careplans_trial_baseline_migraine_range"),
            _days_a_month("month3_headache_days", "careplans_trial_month3_headache_range"),
            _days_a_month("month3_migraine_days", "careplans_trial_month3_migraine_range"),
            models.CheckConstraint(
                condition=Q(baseline_migraine_days__isnull=True)
                | Q(baseline_headache_days__isnull=True)
                | Q(baseline_migraine_days__lte=F("baseline_headache_days")),
                name="careplans_trial_baseline_migraine_within_headache",
            ),
            models.CheckConstraint(
                condition=Q(month3_migraine_days__isnull=True)
                | Q(month3_headache_days__isnull=True)
                | Q(month3_migraine_days__lte=F("month3_headache_days")),
                name="careplans_trial_month3_migraine_within_headache",
            ),
        ]
        indexes = [
            # trials_past_review (the worklist's "prescribe and forget" guard): ongoing trials
            # by review date.
            models.Index(
                fields=["review_due"],
                condition=Q(outcome="ongoing", entered_in_error=False),
                name="careplans_trial_review_idx",
            ),
            # The worklist's re-check of the rows on screen: trials saved since the kept scan
            # (selectors.trials_changed_since, reviews.sources.changes_since).
            models.Index(fields=["updated_at"], name="careplans_trial_saved_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.get_outcome_display()})"

    @property
    def display_name(self) -> str:
        if self.medicine_code == MedicineCode.OTHER:
            return self.medicine_name
        return self.get_medicine_code_display()

    @property
    def is_ongoing(self) -> bool:
        return self.outcome == TrialOutcome.ONGOING


class ReductionStep(models.TextChoices):
    REDUCED = "reduced", "Dose reduced"
    STOPPED = "stopped", "Stopped"


class MedicationReduction(ClinicalRecord):
    """One step of a deprescribing plan. The baseline is the trial's own dose; the latest step is
    "now", so dashboards can show baseline against now."""

    Step = ReductionStep

    trial = models.ForeignKey(TreatmentTrial, on_delete=models.PROTECT, related_name="reductions")
    medicine_class = models.CharField(max_length=20, choices=MedicineClass.choices)
    step = models.CharField(max_length=10, choices=Step.choices)
    reduced_on = models.DateField()
    dose = models.CharField("new dose", max_length=200, blank=True)
    daily_morphine_equivalent_mg = models.DecimalField(
        "oral morphine equivalent (mg a day)",
        max_digits=7,
        decimal_places=1,
        null=True,
        blank=True,
    )
    entered_in_error = models.BooleanField(default=False)

    class Meta:
        ordering = ["reduced_on", "id"]
        constraints = [
            choices_constraint("medicine_class", MedicineClass, "careplans_reduction_class_valid"),
            choices_constraint("step", ReductionStep, "careplans_reduction_step_valid"),
            models.CheckConstraint(
                condition=Q(step="stopped") | ~Q(dose=""),
                name="careplans_reduction_reduced_has_dose",
            ),
            models.CheckConstraint(
                condition=Q(daily_morphine_equivalent_mg__isnull=True)
                | Q(daily_morphine_equivalent_mg__gte=0),
                name="careplans_reduction_mme_not_negative",
            ),
        ]
        indexes = [
            # Deprescribing figures: latest step per class across patients.
            models.Index(
                fields=["medicine_class", "reduced_on"], name="careplans_reduction_class_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_step_display()} on {self.reduced_on}"


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


class DocumentKind(models.TextChoices):
    CAREPLAN = "careplan", "Care plan"
    LEAFLET = "leaflet", "Personalised leaflet"


class DocumentStatus(models.TextChoices):
    PENDING = "pending", "Preparing"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class Document(TimeStampedModel):
    """A PDF made by the worker from the HTML stored here. `content_hash` is the fingerprint of
    what it prints (careplans.printing.fingerprint: the HTML without the time it was made), so
    asking again for unchanged content returns the same row instead of a new render, and pages
    offer only the row whose fingerprint matches what they show now. A copy made before a change
    (a treatment stopped, a new dose) stays stored for the record but is no longer offered.
    Downloaded only through an authenticated view that checks the patient is visible."""

    Kind = DocumentKind
    Status = DocumentStatus

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    patient = models.ForeignKey(
        "pathway.Patient", on_delete=models.PROTECT, related_name="care_documents"
    )
    version = models.ForeignKey(
        CarePlanVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="documents"
    )
    leaflet = models.ForeignKey(
        Leaflet, null=True, blank=True, on_delete=models.PROTECT, related_name="documents"
    )
    leaflet_version = models.PositiveIntegerField(null=True, blank=True)
    content_hash = models.CharField(max_length=64)
    html = models.TextField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    pdf = models.BinaryField(null=True, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveIntegerField(default=0)
    filename = models.CharField(max_length=120)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    rendered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            choices_constraint("kind", DocumentKind, "careplans_document_kind_valid"),
            choices_constraint("status", DocumentStatus, "careplans_document_status_valid"),
            # One document per content (STYLE.md rule 11 keys a care plan by version; the
            # fingerprint covers the version and everything else the PDF prints, such as the
            # treatments, which change without a new version). Also serves the pages' look-up
            # of the current copy by fingerprint.
            models.UniqueConstraint(
                fields=["patient", "content_hash"], name="careplans_document_unique_content"
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="careplan", version__isnull=False, leaflet__isnull=True)
                    | Q(kind="leaflet", leaflet__isnull=False, leaflet_version__isnull=False)
                ),
                name="careplans_document_kind_matches_source",
            ),
            models.CheckConstraint(
                condition=~Q(status="ready") | Q(pdf__isnull=False, rendered_at__isnull=False),
                name="careplans_document_ready_has_pdf",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} PDF ({self.get_status_display()})"

    @property
    def is_ready(self) -> bool:
        return self.status == DocumentStatus.READY
