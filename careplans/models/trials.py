"""Treatment trials under a plan, with their review, and the steps of reducing a medicine.
They belong to the plan itself, because they outlive versions."""

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from careplans import rules
from careplans.models.plans import CarePlan
from pathway.models.base import ClinicalRecord, choices_constraint


def _days_a_month(field: str, name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__isnull": True})
        | Q(**{f"{field}__gte": 0, f"{field}__lte": rules.MAX_DAYS_PER_MONTH}),
        name=name,
    )


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
    TAPENTADOL = "tapentadol", "Tapentadol"
    CO_CODAMOL = "co_codamol", "Co-codamol (codeine with paracetamol)"
    CO_DYDRAMOL = "co_dydramol", "Co-dydramol (dihydrocodeine with paracetamol)"
    PARACETAMOL = "paracetamol", "Paracetamol"
    IBUPROFEN = "ibuprofen", "Ibuprofen"
    NAPROXEN = "naproxen", "Naproxen"
    DICLOFENAC = "diclofenac", "Diclofenac"
    DIAZEPAM = "diazepam", "Diazepam"
    QUETIAPINE = "quetiapine", "Quetiapine"
    KETAMINE = "ketamine", "Ketamine"
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
    PARACETAMOL = rules.PARACETAMOL, "Paracetamol"
    NSAID = rules.NSAID, "NSAID"
    BENZODIAZEPINE = rules.BENZODIAZEPINE, "Benzodiazepine"
    ANTIPSYCHOTIC = rules.ANTIPSYCHOTIC, "Antipsychotic"
    KETAMINE = rules.KETAMINE, "Ketamine"
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


# Botulinum toxin A's figures (NICE TA260): headache days a month after 2 treatment cycles, and
# in each of the last 3 months, oldest first.
RECENT_MONTHS = tuple(f"recent_month{n}_headache_days" for n in (1, 2, 3))
BOTOX_FIGURES = ("cycle2_headache_days", *RECENT_MONTHS)


class TreatmentTrial(ClinicalRecord):
    """A medicine tried under the plan, reviewed 12 weeks after it starts by default.

    Migraine and headache days a month before starting (baseline) and at the 12-week review are
    the figures the clinician enters or confirms from the diary; the CGRP and botulinum toxin
    prompts and the CGRP stopping rule use them. Botulinum toxin A's stopping rules use the
    headache days before starting, after 2 treatment cycles and in each of the last 3 months.
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
    # Answered by the clinician when a preventive did not work; None until then. Never
    # assumed: only a "yes" counts the trial as a failed preventive (rules.is_failed_preventive).
    adequate_trial = models.BooleanField(
        null=True,
        blank=True,
        default=None,
        help_text="Given at an adequate dose for long enough (asked when a preventive did not "
        "work; empty until answered).",
    )
    # The clinician confirmed that a preventive which did not work was an adequate trial
    # although it was tried for less than 12 weeks (rules.needs_short_trial_confirmation):
    # without it, such a "yes" does not count as a failed preventive (rules.is_failed_preventive).
    # A database default too, for rows written without it (the benchmark loader's COPY).
    short_trial_confirmed = models.BooleanField(
        default=False,
        db_default=False,
        help_text="Confirmed as an adequate trial although tried for less than 12 weeks.",
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
    # Botulinum toxin A (NICE TA260): headache days a month after 2 treatment cycles, and in
    # each of the last 3 months (oldest first), for its two stopping rules.
    cycle2_headache_days = models.DecimalField(
        max_digits=4, decimal_places=2, null=True, blank=True
    )
    recent_month1_headache_days = models.DecimalField(
        max_digits=4, decimal_places=2, null=True, blank=True
    )
    recent_month2_headache_days = models.DecimalField(
        max_digits=4, decimal_places=2, null=True, blank=True
    )
    recent_month3_headache_days = models.DecimalField(
        max_digits=4, decimal_places=2, null=True, blank=True
    )
    # The day the last 3 months' figures were recorded: the months are the 3 before it.
    recent_months_recorded_on = models.DateField(null=True, blank=True)
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
            # A short trial is confirmed only as the "yes" of a preventive that did not work.
            models.CheckConstraint(
                condition=Q(short_trial_confirmed=False)
                | Q(role="preventive", outcome="ineffective", adequate_trial=True),
                name="careplans_trial_short_confirmed_is_a_yes",
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
            _days_a_month("cycle2_headache_days", "careplans_trial_cycle2_headache_range"),
            *(
                _days_a_month(
                    f"recent_month{n}_headache_days", f"careplans_trial_recent_month{n}_range"
                )
                for n in (1, 2, 3)
            ),
            models.CheckConstraint(
                condition=Q(
                    recent_month1_headache_days__isnull=True,
                    recent_month2_headache_days__isnull=True,
                    recent_month3_headache_days__isnull=True,
                )
                | Q(
                    recent_month1_headache_days__isnull=False,
                    recent_month2_headache_days__isnull=False,
                    recent_month3_headache_days__isnull=False,
                ),
                name="careplans_trial_recent_months_all_or_none",
            ),
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
            # trials_past_review (the worklist's "prescribe and forget" guard): trials of
            # medicines still taken (rules.CONTINUING_OUTCOMES) by review date.
            models.Index(
                fields=["review_due"],
                condition=Q(outcome__in=["effective", "ongoing"], entered_in_error=False),
                name="careplans_trial_taken_rev_idx",
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

    @property
    def days_tried(self) -> int | None:
        """Days from the start to the day (London) the outcome was recorded: the longest the
        medicine can have been taken before it was judged (the day it stopped is not
        recorded). None while no outcome is recorded."""
        if self.outcome_recorded_at is None:
            return None
        return (timezone.localdate(self.outcome_recorded_at) - self.started_on).days

    @property
    def is_botox_for_migraine(self) -> bool:
        """Botulinum toxin A to prevent headaches: NICE TA260's stopping rules and figures."""
        return rules.is_botox_for_migraine(medicine_class=self.medicine_class, role=self.role)

    @property
    def is_cgrp_for_migraine(self) -> bool:
        """A CGRP antibody to prevent headaches: NICE's 12-week stopping rule and its figures."""
        return rules.is_cgrp_for_migraine(medicine_class=self.medicine_class, role=self.role)

    @property
    def carries_on(self) -> bool:
        """Still taken (ongoing, or working and kept on), so its next review date stands; a
        trial that has ended has none to check by."""
        return self.outcome in rules.CONTINUING_OUTCOMES

    @property
    def current_dose(self) -> str:
        """The dose taken now: the newest "dose reduced" step's (not entered in error), else
        the dose it started on. Reads `reductions` as prefetched, oldest first (printed_trials,
        plans_for_patient, trials_for_leaflet)."""
        reduced = [
            step
            for step in self.reductions.all()
            if not step.entered_in_error and step.step == ReductionStep.REDUCED
        ]
        return reduced[-1].dose if reduced else self.dose

    @property
    def morphine_equivalent_mg(self):
        """The oral morphine equivalent to show: None for a medicine that is not an opioid,
        whatever an older record holds (rules.has_morphine_equivalent)."""
        if not rules.has_morphine_equivalent(self.medicine_class):
            return None
        return self.daily_morphine_equivalent_mg


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
    # For a stop: the outcome the medicine had before it (ongoing, or effective) and when that
    # was recorded, so that a stop removed as entered in error gives them back. Empty for a step
    # of reducing, and for a stop recorded before they were kept (outcome_on_removal).
    outcome_before = models.CharField(max_length=16, choices=TrialOutcome.choices, blank=True)
    outcome_recorded_before = models.DateTimeField(null=True, blank=True)
    # The medicine's review decision before this step made it "reduce and stop", so that the
    # first step removed as entered in error gives it back. Null for a step recorded before it
    # was kept (the decision then stays as it is).
    decision_before = models.CharField(
        max_length=10, choices=ReviewDecision.choices, null=True, blank=True
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
            # Only a stop keeps the outcome it ended, one the medicine can be stopped from
            # (rules.CONTINUING_OUTCOMES), with its time as the trial keeps it
            # (careplans_trial_outcome_has_time).
            models.CheckConstraint(
                condition=Q(outcome_before="", outcome_recorded_before__isnull=True)
                | Q(step="stopped", outcome_before="ongoing", outcome_recorded_before__isnull=True)
                | Q(
                    step="stopped",
                    outcome_before="effective",
                    outcome_recorded_before__isnull=False,
                ),
                name="careplans_reduction_outcome_before_valid",
            ),
            models.CheckConstraint(
                condition=Q(decision_before__isnull=True)
                | Q(decision_before__in=ReviewDecision.values),
                name="careplans_reduction_decision_before_valid",
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

    @property
    def outcome_on_removal(self) -> TrialOutcome | None:
        """For a stop, the outcome removing it as entered in error gives the medicine back: the
        one it had before, or ongoing for a stop recorded before that was kept. None for a step
        of reducing, which leaves the outcome as it is."""
        if self.step != ReductionStep.STOPPED:
            return None
        return TrialOutcome(self.outcome_before or TrialOutcome.ONGOING)

    @property
    def morphine_equivalent_mg(self):
        """The oral morphine equivalent to show: None unless the medicine is an opioid."""
        if not rules.has_morphine_equivalent(self.medicine_class):
            return None
        return self.daily_morphine_equivalent_mg
