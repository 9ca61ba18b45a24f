"""Headache and pain diary: day records, headache episodes, medication doses, the medicine
catalogue and stored diary reports (DESIGN.md section 3).

Choices used inside `Meta` constraints are module-level (a nested class body cannot be seen from
Meta) and aliased on the models, so code reads `DiaryEntry.Sleep.POOR`.
"""

from datetime import date, timedelta

from django.db import models

from diaries import rules
from pathway.models.base import ClinicalRecord, TimeStampedModel, choices_constraint


class MedicationClass(models.TextChoices):
    """The acute-medication classes of ICHD-3 8.2 (the vocabulary of `diaries.rules`)."""

    SIMPLE_ANALGESIC = rules.SIMPLE_ANALGESIC, "Simple painkiller (paracetamol, aspirin, NSAID)"
    TRIPTAN = rules.TRIPTAN, "Triptan"
    ERGOT = rules.ERGOT, "Ergotamine"
    OPIOID = rules.OPIOID, "Opioid"
    COMBINATION_ANALGESIC = rules.COMBINATION_ANALGESIC, "Combination painkiller"


class MedicineRole(models.TextChoices):
    ACUTE = "acute", "Acute (taken for an attack or a bad day)"
    PREVENTIVE = "preventive", "Preventive or regular"


class Severity(models.TextChoices):
    MILD = rules.MILD, "Mild"
    MODERATE = rules.MODERATE, "Moderate"
    SEVERE = rules.SEVERE, "Severe"


class Duration(models.TextChoices):
    UNDER_1_HOUR = "under_1h", "Less than 1 hour"
    HOURS_1_TO_4 = "1_to_4h", "1 to 4 hours"
    HOURS_4_TO_12 = "4_to_12h", "4 to 12 hours"
    HOURS_12_TO_24 = "12_to_24h", "12 to 24 hours"
    DAYS_1_TO_3 = "1_to_3d", "1 to 3 days"
    OVER_3_DAYS = "over_3d", "More than 3 days"
    ONGOING = "ongoing", "It has not stopped yet"


class Sleep(models.TextChoices):
    GOOD = "good", "Good"
    FAIR = "fair", "Fair"
    POOR = "poor", "Poor"


class Mood(models.TextChoices):
    GOOD = "good", "Good"
    OKAY = "okay", "Okay"
    LOW = "low", "Low"


class Activity(models.TextChoices):
    AS_USUAL = "as_usual", "As active as usual"
    LESS = "less", "Less active than usual"
    VERY_LITTLE = "very_little", "Hardly active at all"


class WorkImpact(models.TextChoices):
    NONE = "none", "No effect"
    REDUCED = "reduced", "I did less than usual"
    MISSED = "missed", "I missed it"
    NOT_APPLICABLE = "not_applicable", "Not a work, study or caring day"


class Trigger(models.TextChoices):
    SLEEP = "sleep", "Too little or too much sleep"
    STRESS = "stress", "Stress"
    MISSED_MEAL = "missed_meal", "Missed meal"
    ALCOHOL = "alcohol", "Alcohol"
    SCREEN = "screen", "Screen time"
    WEATHER = "weather", "Weather"
    PERIOD = "period", "Period"
    OTHER = "other", "Something else"


class BodySite(models.TextChoices):
    HEAD = "head", "Head"
    FACE_JAW = "face_jaw", "Face or jaw"
    NECK = "neck", "Neck"
    SHOULDERS = "shoulders", "Shoulders"
    UPPER_BACK = "upper_back", "Upper back"
    LOWER_BACK = "lower_back", "Lower back"
    CHEST = "chest", "Chest"
    ABDOMEN = "abdomen", "Stomach or pelvis"
    ARMS = "arms", "Arms or elbows"
    HANDS = "hands", "Hands or wrists"
    HIPS = "hips", "Hips"
    LEGS = "legs", "Legs"
    KNEES = "knees", "Knees"
    FEET = "feet", "Ankles or feet"
    WIDESPREAD = "widespread", "All over"


class ReportStatus(models.TextChoices):
    PREPARING = "preparing", "Preparing"
    RENDERING = "rendering", "Preparing"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


# The day's acute-medication class flags on DiaryEntry, by diaries.rules class name.
CLASS_FIELDS: dict[str, str] = {
    rules.SIMPLE_ANALGESIC: "took_simple_analgesic",
    rules.TRIPTAN: "took_triptan",
    rules.ERGOT: "took_ergot",
    rules.OPIOID: "took_opioid",
    rules.COMBINATION_ANALGESIC: "took_combination_analgesic",
}
# Possible-trigger flags on DiaryEntry, by Trigger value.
TRIGGER_FIELDS: dict[str, str] = {value: f"trigger_{value}" for value in Trigger.values}
PAIN_SCORE_MAX = 10
# The six features the diary asks about, as HeadacheEpisode field names, in question order.
MIGRAINE_FEATURES: tuple[str, ...] = (
    "unilateral",
    "pulsating",
    "worse_with_activity",
    "nausea_or_vomiting",
    "photophobia",
    "phonophobia",
)
# More doses of one medicine in a day than this is taken as a typing mistake.
MAX_DOSES_PER_DAY = 20


class Medicine(TimeStampedModel):
    """The medication catalogue (admin-editable; seeded by migration 0002).

    `diary_class` is the ICHD-3 8.2 class used for medication-overuse counting (blank for
    preventives and acute medicines outside those classes). The flags let care plans and
    dashboards find opioids, gabapentinoids and CGRP antibodies through `diaries.selectors`.
    A medicine is retired by clearing `active`, never deleted: doses refer to it.
    """

    DiaryClass = MedicationClass
    Role = MedicineRole

    code = models.SlugField(
        max_length=60, unique=True, help_text="Stable identifier, e.g. sumatriptan"
    )
    name = models.CharField(max_length=120, unique=True)
    diary_class = models.CharField(
        max_length=24, choices=MedicationClass.choices, blank=True, default=""
    )
    role = models.CharField(max_length=12, choices=MedicineRole.choices)
    is_opioid = models.BooleanField("opioid", default=False)
    is_gabapentinoid = models.BooleanField("gabapentinoid", default=False)
    is_cgrp_antibody = models.BooleanField("CGRP monoclonal antibody", default=False)
    active = models.BooleanField(default=True, help_text="Offered in the diary")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(diary_class__in=["", *MedicationClass.values]),
                name="diaries_medicine_diary_class_valid",
            ),
            choices_constraint("role", MedicineRole, "diaries_medicine_role_valid"),
            # Overuse counts acute intake only (ICHD-3 8.2 B): preventives carry no class.
            models.CheckConstraint(
                condition=~models.Q(role=MedicineRole.PREVENTIVE) | models.Q(diary_class=""),
                name="diaries_medicine_preventive_has_no_diary_class",
            ),
            # The opioid diary class and the opioid flag cannot disagree.
            models.CheckConstraint(
                condition=~models.Q(diary_class=MedicationClass.OPIOID) | models.Q(is_opioid=True),
                name="diaries_medicine_opioid_class_is_opioid",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class DiaryEntryQuerySet(models.QuerySet):
    def live(self):
        return self.filter(entered_in_error=False)


class DiaryEntry(ClinicalRecord):
    """One patient's diary for one calendar day (Europe/London).

    At most one live row per patient and day (a database constraint). `headache`, `migraine`,
    `worst_severity` and the `took_*` class flags are derived from the day's live episodes and
    doses by `diaries.services.record_entry`, the only writer: keeping them on the row lets the
    month, the 90-day window and the worklist read one table without joins.
    """

    Sleep = Sleep
    Mood = Mood
    Activity = Activity
    WorkImpact = WorkImpact
    Trigger = Trigger
    BodySite = BodySite
    Severity = Severity

    # No index of its own: the indexes below that start with the patient serve its lookups.
    patient = models.ForeignKey(
        "pathway.Patient", on_delete=models.PROTECT, related_name="diary_entries", db_index=False
    )
    day = models.DateField()
    headache = models.BooleanField(default=False, help_text="Any headache episode this day")
    migraine = models.BooleanField(default=False, help_text="An episode with migraine features")
    worst_severity = models.CharField(
        max_length=10, choices=Severity.choices, blank=True, default=""
    )
    took_simple_analgesic = models.BooleanField(default=False)
    took_triptan = models.BooleanField(default=False)
    took_ergot = models.BooleanField(default=False)
    took_opioid = models.BooleanField(default=False)
    took_combination_analgesic = models.BooleanField(default=False)
    trigger_sleep = models.BooleanField(default=False)
    trigger_stress = models.BooleanField(default=False)
    trigger_missed_meal = models.BooleanField(default=False)
    trigger_alcohol = models.BooleanField(default=False)
    trigger_screen = models.BooleanField(default=False)
    trigger_weather = models.BooleanField(default=False)
    trigger_period = models.BooleanField(default=False)
    trigger_other = models.BooleanField(default=False)
    period = models.BooleanField("period day", default=False)
    pain_score = models.PositiveSmallIntegerField(null=True, blank=True)
    # A short set of BodySite codes. Shown, never aggregated in SQL; a child table would cost
    # extra queries on every save and rows that corrections would have to delete.
    pain_sites = models.JSONField(default=list, blank=True)
    sleep = models.CharField(max_length=10, choices=Sleep.choices, blank=True, default="")
    mood = models.CharField(max_length=10, choices=Mood.choices, blank=True, default="")
    activity = models.CharField(max_length=12, choices=Activity.choices, blank=True, default="")
    work_impact = models.CharField(
        max_length=16, choices=WorkImpact.choices, blank=True, default=""
    )
    note = models.TextField(blank=True, default="")
    entered_in_error = models.BooleanField(default=False)

    objects = DiaryEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-day"]
        verbose_name_plural = "diary entries"
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "day"],
                condition=models.Q(entered_in_error=False),
                name="diaries_diaryentry_one_live_per_day",
            ),
            models.CheckConstraint(
                condition=models.Q(pain_score__isnull=True)
                | models.Q(pain_score__gte=0, pain_score__lte=PAIN_SCORE_MAX),
                name="diaries_diaryentry_pain_score_range",
            ),
            models.CheckConstraint(
                condition=models.Q(migraine=False) | models.Q(headache=True),
                name="diaries_diaryentry_migraine_needs_headache",
            ),
            models.CheckConstraint(
                condition=models.Q(headache=False, worst_severity="")
                | models.Q(headache=True, worst_severity__in=Severity.values),
                name="diaries_diaryentry_severity_matches_headache",
            ),
            models.CheckConstraint(
                condition=models.Q(sleep__in=["", *Sleep.values]),
                name="diaries_diaryentry_sleep_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(mood__in=["", *Mood.values]),
                name="diaries_diaryentry_mood_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(activity__in=["", *Activity.values]),
                name="diaries_diaryentry_activity_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(work_impact__in=["", *WorkImpact.values]),
                name="diaries_diaryentry_work_impact_valid",
            ),
        ]
        indexes = [
            # Month calendar, 90-day window and report reads: one patient's days by date
            # (diaries.selectors.window_rows, month_rows); also serves newest-first listings.
            models.Index(fields=["patient", "-day"], name="diaries_entry_patient_day_idx"),
            # The care-team flag selector scans every patient's live days in a date range
            # (diaries.selectors.patients_with_diary_flags).
            models.Index(
                fields=["day", "patient"],
                condition=models.Q(entered_in_error=False),
                name="diaries_entry_live_day_idx",
            ),
            # The worklist's re-check of the rows on screen: whether a patient's days were
            # corrected since the kept scan (selectors.entries_changed_since,
            # reviews.sources.changes_since).
            models.Index(fields=["patient", "updated_at"], name="diaries_entry_saved_idx"),
        ]

    def __str__(self) -> str:
        return f"Diary {self.day:%Y-%m-%d}"

    @property
    def medication(self) -> bool:
        return any(getattr(self, field) for field in CLASS_FIELDS.values())

    @property
    def medication_classes(self) -> frozenset[str]:
        return frozenset(name for name, field in CLASS_FIELDS.items() if getattr(self, field))

    @property
    def triggers(self) -> list[str]:
        return [value for value, field in TRIGGER_FIELDS.items() if getattr(self, field)]

    @property
    def has_day_details(self) -> bool:
        """Whether anything beyond the headache answer was recorded for the day."""
        return bool(
            self.triggers
            or self.period
            or self.pain_score is not None
            or self.pain_sites
            or self.sleep
            or self.mood
            or self.activity
            or self.work_impact
            or self.note
        )


class HeadacheEpisodeQuerySet(models.QuerySet):
    def live(self):
        return self.filter(superseded_at__isnull=True)


class HeadacheEpisode(ClinicalRecord):
    """One headache attack on a diary day; a day may hold several.

    The six migraine features are those of ICHD-3 1.1 C and D beside intensity (clinical-rules.md
    section 8), with an aura, and whether the patient felt it was a migraine at its start and a
    triptan or ergotamine eased it; `migraine` is `diaries.rules.has_migraine_features` at save
    time. Correcting a
    day supersedes its episodes (`superseded_at`) and writes new ones, so history is kept.
    """

    Severity = Severity
    Duration = Duration

    entry = models.ForeignKey(DiaryEntry, on_delete=models.PROTECT, related_name="episodes")
    start_time = models.TimeField(null=True, blank=True)
    duration = models.CharField(max_length=12, choices=Duration.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    unilateral = models.BooleanField("on one side of the head", default=False)
    pulsating = models.BooleanField("throbbing or pulsing", default=False)
    worse_with_activity = models.BooleanField("worse with routine activity", default=False)
    nausea_or_vomiting = models.BooleanField("felt sick or vomited", default=False)
    photophobia = models.BooleanField("light hurt or bothered", default=False)
    phonophobia = models.BooleanField("noise hurt or bothered", default=False)
    aura = models.BooleanField(default=False)
    # ICHD-3 1.3 C's third route to a migraine day: believed to be migraine at onset, and relieved
    # by a triptan or ergot derivative (one taken for this episode).
    felt_like_migraine = models.BooleanField("felt like a migraine when it started", default=False)
    eased_by_triptan = models.BooleanField("a triptan or ergotamine eased it", default=False)
    migraine = models.BooleanField(default=False)
    superseded_at = models.DateTimeField(null=True, blank=True)

    objects = HeadacheEpisodeQuerySet.as_manager()

    # In the order of the day, then as entered: a headache without a start time comes after
    # those with one on every database (PostgreSQL sorts nulls last by default, SQLite first).
    TIME_ORDER = (models.F("start_time").asc(nulls_last=True), "id")

    class Meta:
        ordering = [models.F("start_time").asc(nulls_last=True), "id"]
        constraints = [
            choices_constraint("severity", Severity, "diaries_headacheepisode_severity_valid"),
            choices_constraint("duration", Duration, "diaries_headacheepisode_duration_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_severity_display()} headache"

    @property
    def features(self) -> list[str]:
        return [name for name in MIGRAINE_FEATURES if getattr(self, name)]


class MedicationDoseQuerySet(models.QuerySet):
    def live(self):
        return self.filter(superseded_at__isnull=True)

    def apart_from_headaches(self):
        """Doses taken on the day but not for one of its headaches."""
        return self.filter(episode__isnull=True)


class MedicationDose(TimeStampedModel):
    """A medicine taken on a diary day and how many doses: for one of the day's headaches
    (`episode`), or apart from them (no episode: a painkiller for other pain, or on the day
    after a headache). Either way it makes the day a medication day (clinical-rules.md section
    8, diary convention 4). `medication_class` is the catalogue class at the time of entry, so
    later catalogue edits do not rewrite history.

    `entry` is the day's record for every dose. A dose is superseded with its episode, or, apart
    from headaches, when the day's list of such medicines is corrected; history is kept.
    """

    MedicationClass = MedicationClass

    entry = models.ForeignKey(DiaryEntry, on_delete=models.PROTECT, related_name="doses")
    episode = models.ForeignKey(
        HeadacheEpisode, on_delete=models.PROTECT, related_name="doses", null=True, blank=True
    )
    medicine = models.ForeignKey(Medicine, on_delete=models.PROTECT, related_name="doses")
    medication_class = models.CharField(
        max_length=24, choices=MedicationClass.choices, blank=True, default=""
    )
    doses = models.PositiveSmallIntegerField(default=1)
    superseded_at = models.DateTimeField(null=True, blank=True)

    objects = MedicationDoseQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["entry", "medicine"],
                condition=models.Q(episode__isnull=True, superseded_at__isnull=True),
                name="diaries_medicationdose_one_live_row_apart_per_medicine",
            ),
            models.CheckConstraint(
                condition=models.Q(doses__gte=1, doses__lte=MAX_DOSES_PER_DAY),
                name="diaries_medicationdose_doses_range",
            ),
            models.CheckConstraint(
                condition=models.Q(medication_class__in=["", *MedicationClass.values]),
                name="diaries_medicationdose_class_valid",
            ),
            models.UniqueConstraint(
                fields=["episode", "medicine"], name="diaries_medicationdose_one_row_per_medicine"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.doses} x {self.medicine}"


class DiaryReport(ClinicalRecord):
    """A diary report PDF for one window, rendered by the worker (DESIGN.md section 6).

    The PDF bytes live in the row (tens of kilobytes), so the file is as safe as the database and
    is served only by `diaries.views.report_pdf` after an access check, never by a media URL.
    Status moves preparing -> rendering (claimed by compare-and-swap) -> ready or failed.
    """

    Status = ReportStatus

    patient = models.ForeignKey(
        "pathway.Patient", on_delete=models.PROTECT, related_name="diary_reports"
    )
    start = models.DateField()
    length = models.PositiveSmallIntegerField(default=rules.EVIDENCE_WINDOW_DAYS)
    status = models.CharField(
        max_length=10, choices=ReportStatus.choices, default=ReportStatus.PREPARING
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    rendered_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    pdf = models.BinaryField(null=True, blank=True, editable=False)
    content_hash = models.CharField("SHA-256 of the PDF", max_length=64, blank=True, default="")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            choices_constraint("status", ReportStatus, "diaries_diaryreport_status_valid"),
            models.CheckConstraint(
                condition=~models.Q(status=ReportStatus.READY)
                | (
                    models.Q(pdf__isnull=False, rendered_at__isnull=False)
                    & ~models.Q(content_hash="")
                ),
                name="diaries_diaryreport_ready_has_file",
            ),
            models.CheckConstraint(
                condition=models.Q(length__gte=1, length__lte=366),
                name="diaries_diaryreport_length_range",
            ),
        ]
        indexes = [
            # The latest report on the summary page and diary tab (selectors.latest_report).
            models.Index(fields=["patient", "-created_at"], name="diaries_report_latest_idx"),
            # The stale-report sweep looks only at unfinished rows (services.requeue_stale_reports).
            models.Index(
                fields=["status", "updated_at"],
                condition=models.Q(status__in=["preparing", "rendering"]),
                name="diaries_report_unfinished_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Diary report from {self.start:%Y-%m-%d}"

    @property
    def end(self) -> date:
        return self.start + timedelta(days=self.length - 1)

    @property
    def finished(self) -> bool:
        return self.status in (ReportStatus.READY, ReportStatus.FAILED)
