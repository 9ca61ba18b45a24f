"""Diary reads. Every page reads a constant number of queries whatever the diary's size; the
90-day window is one query on DiaryEntry (its derived flags make joins unnecessary).

Other apps read the diary through this module: `patients_with_diary_flags` for the care-team
worklist, `medicine_catalogue` / `medicines_flagged` for care plans and dashboards.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from functools import reduce
from operator import or_
from statistics import mean

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    prefetch_related_objects,
)
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.utils import timezone

from diaries import calendars, charts, rules, wording
from diaries.models import (
    CLASS_FIELDS,
    BodySite,
    DiaryEntry,
    DiaryReport,
    HeadacheEpisode,
    MedicationClass,
    MedicationDose,
    Medicine,
    MedicineRole,
    Trigger,
    WorkImpact,
)
from pathway.models import Episode, Patient
from pathway.models.episodes import Condition
from pathway.permissions import patients_visible_to

WINDOW_DAYS = rules.EVIDENCE_WINDOW_DAYS
RECENT_MEDICINES = 6


def diary_day(entry: DiaryEntry) -> rules.DiaryDay:
    """The pure-rules view of one day's record."""
    return rules.DiaryDay(
        day=entry.day,
        headache=entry.headache,
        migraine=entry.migraine,
        medication_classes=entry.medication_classes,
    )


def window_start(end: date, length: int = WINDOW_DAYS) -> date:
    """The first day of the `length`-day window that ends on (and includes) `end`."""
    return end - timedelta(days=length - 1)


def _live_between(patient: Patient, first: date, last: date) -> QuerySet[DiaryEntry]:
    return (
        DiaryEntry.objects.live().filter(patient=patient, day__range=(first, last)).order_by("day")
    )


def entries_between(patient: Patient, first: date, last: date) -> list[DiaryEntry]:
    """The patient's live day records from `first` to `last` inclusive, oldest first. One query
    (index diaries_entry_patient_day_idx)."""
    return list(_live_between(patient, first, last))


def _live_episodes() -> Prefetch:
    """Records' live headache episodes as `live_episodes`, in time order, each with `doses` and
    their medicines: two queries however many records."""
    doses = MedicationDose.objects.select_related("medicine").order_by("id")
    episodes = (
        HeadacheEpisode.objects.live()
        .order_by(*HeadacheEpisode.TIME_ORDER)
        .prefetch_related(Prefetch("doses", queryset=doses))
    )
    return Prefetch("episodes", queryset=episodes, to_attr="live_episodes")


def _live_doses_apart() -> Prefetch:
    """Records' live medicines taken apart from a headache as `live_doses_apart`, with their
    medicines, in the order entered: one query however many records."""
    doses = MedicationDose.objects.live().apart_from_headaches().select_related("medicine")
    return Prefetch("doses", queryset=doses.order_by("id"), to_attr="live_doses_apart")


def entry_for_day(patient: Patient, day: date) -> DiaryEntry | None:
    """The live record for `day` with `live_episodes` and `live_doses_apart` prefetched, or
    None. At most four queries."""
    return (
        DiaryEntry.objects.live()
        .filter(patient=patient, day=day)
        .prefetch_related(_live_episodes(), _live_doses_apart())
        .first()
    )


def entry_and_days_before(
    patient: Patient, day: date, days: int
) -> tuple[DiaryEntry | None, dict[date, DiaryEntry]]:
    """The record for `day` as `entry_for_day` gives it, and the live records of the `days`
    days before it by day (the Today page's "Earlier days"), each with its number of live
    headaches as `live_episode_count` (they are worded as the day's own page words them). One
    query, and three more when `day` has a record."""
    entries = list(
        _live_between(patient, day - timedelta(days=days), day).annotate(
            live_episode_count=Count("episodes", filter=Q(episodes__superseded_at__isnull=True))
        )
    )
    entry = next((e for e in entries if e.day == day), None)
    if entry is not None:
        prefetch_related_objects([entry], _live_episodes(), _live_doses_apart())
    return entry, {e.day: e for e in entries if e.day != day}


def entries_with_episodes(patient: Patient, first: date, last: date) -> list[DiaryEntry]:
    """Days with a headache, an acute medicine or a note from `first` to `last`, newest first,
    with `live_episodes` and their doses and `live_doses_apart` prefetched (four queries), for
    the clinician's day-by-day table."""
    took_any = reduce(or_, (Q(**{field: True}) for field in CLASS_FIELDS.values()))
    return list(
        DiaryEntry.objects.live()
        .filter(patient=patient, day__range=(first, last))
        .filter(Q(headache=True) | ~Q(note="") | took_any)
        .order_by("-day")
        .prefetch_related(_live_episodes(), _live_doses_apart())
    )


@dataclass(frozen=True)
class PainMonth:
    """Pain scores (0-10) in one 30-day month of a window: how many days have one, their
    average and the highest."""

    first_day: date
    last_day: date
    days: int
    average: float | None
    highest: int | None


def pain_months(entries: list[DiaryEntry], months) -> tuple[PainMonth, ...]:
    """Pain scores of `entries` in each of the window's 30-day `months` (rules.MonthCounts)."""
    result = []
    for month in months:
        scores = [
            entry.pain_score
            for entry in entries
            if entry.pain_score is not None and month.first_day <= entry.day <= month.last_day
        ]
        result.append(
            PainMonth(
                first_day=month.first_day,
                last_day=month.last_day,
                days=len(scores),
                average=mean(scores) if scores else None,
                highest=max(scores) if scores else None,
            )
        )
    return tuple(result)


@dataclass(frozen=True)
class DiaryWindow:
    """A diary window with its rules summary and the figures the pages show beside it."""

    start: date
    end: date
    summary: rules.DiarySummary
    months: tuple[rules.MonthCounts, ...]
    entries: list[DiaryEntry]
    trigger_counts: list[tuple[str, int]]
    site_counts: list[tuple[str, int]]
    pain_days: int
    pain_average: float | None
    pain_highest: int | None
    pain_months: tuple[PainMonth, ...]
    work_missed_days: int
    work_reduced_days: int
    period_days: int

    @property
    def length(self) -> int:
        return self.summary.length

    @property
    def days_missing(self) -> int:
        return self.summary.length - self.summary.days_recorded

    def gaps(self, *, first_day: date | None, today: date) -> wording.DiaryGaps:
        """What the patient has left empty: the days from the start of their diary (or of the
        window, if later) to yesterday with nothing recorded. Today is still going on. With
        nothing recorded yet (`first_day` None) nothing is missed: the diary has not begun."""
        if first_day is None:
            return wording.DiaryGaps(started_on=None, missed=0)
        recorded = {entry.day for entry in self.entries}
        began = max(self.start, first_day)
        last = min(self.end, today - timedelta(days=1))
        missed = [
            began + timedelta(days=offset)
            for offset in range((last - began).days + 1)
            if began + timedelta(days=offset) not in recorded
        ]
        return wording.DiaryGaps(
            started_on=first_day if first_day > self.start else None,
            missed=len(missed),
            latest_missed=missed[-1] if missed else None,
        )

    @property
    def latest_missing_day(self) -> date | None:
        """The most recent day of the window with nothing recorded, or None."""
        recorded = {entry.day for entry in self.entries}
        day = self.end
        while day >= self.start:
            if day not in recorded:
                return day
            day -= timedelta(days=1)
        return None


def build_window(entries: list[DiaryEntry], *, start: date, length: int = WINDOW_DAYS):
    """Summarise the records of `entries` that fall in `[start, start + length)` (others are
    ignored, so a caller may pass a wider read). No queries. Returns a DiaryWindow."""
    end = start + timedelta(days=length - 1)
    inside = [entry for entry in entries if start <= entry.day <= end]
    days = [diary_day(entry) for entry in inside]
    triggers = Counter(t for entry in inside for t in entry.triggers)
    sites = Counter(s for entry in inside for s in entry.pain_sites)
    scores = [entry.pain_score for entry in inside if entry.pain_score is not None]
    trigger_labels = dict(Trigger.choices)
    site_labels = dict(BodySite.choices)
    months = rules.month_counts(days, start=start, length=length)
    return DiaryWindow(
        start=start,
        end=end,
        summary=rules.summarise(days, start=start, length=length),
        months=months,
        entries=inside,
        trigger_counts=[(trigger_labels[t], n) for t, n in triggers.most_common()],
        site_counts=[(site_labels.get(s, s), n) for s, n in sites.most_common()],
        pain_days=len(scores),
        pain_average=mean(scores) if scores else None,
        pain_highest=max(scores) if scores else None,
        pain_months=pain_months(inside, months),
        work_missed_days=sum(e.work_impact == WorkImpact.MISSED for e in inside),
        work_reduced_days=sum(e.work_impact == WorkImpact.REDUCED for e in inside),
        period_days=sum(e.period for e in inside),
    )


def pain_first_annotation() -> RawSQL:
    """`pain_first` for a Patient query (see `pain_first`), read with the patient's own row.

    Written as SQL: the same test built from two ORM Exists() took about 1 ms a request to
    compile (measured on the load data set: the patient's read went from 0.6 to 1.6 ms, against
    0.8 ms for this), a fifth of the whole Today page, which reads the patient on every visit."""
    episodes = Episode._meta.db_table
    patients = Patient._meta.db_table
    cared_for = (
        f"EXISTS (SELECT 1 FROM {episodes} e WHERE e.patient_id = {patients}.id "  # noqa: S608
        "AND e.condition = %s AND e.status <> %s)"
    )
    error = Episode.Status.ENTERED_IN_ERROR
    return RawSQL(  # noqa: S611 - table names from the models, values as parameters
        f"{cared_for} AND NOT {cared_for}",
        (Condition.CHRONIC_PAIN, error, Condition.HEADACHE, error),
        output_field=BooleanField(),
    )


def pain_first(patient: Patient) -> bool:
    """Whether the patient's care is for chronic pain and not headache (no headache episode,
    open or ended): their diary asks for and shows pain scores first. Read from the patient's
    `pain_first` annotation (`pain_first_annotation`) when it has one, else one query."""
    annotated = getattr(patient, "pain_first", None)
    if annotated is None:
        annotated = (
            Patient.objects.filter(pk=patient.pk)
            .annotate(pain_first=pain_first_annotation())
            .values_list("pain_first", flat=True)
            .get()
        )
    return bool(annotated)


def headaches_apply(pain_first: bool, summary) -> bool:
    """Whether what the diary says of headaches applies to the patient: it does unless their
    care is for chronic pain alone (`pain_first`) and no headache is recorded in the window."""
    return not pain_first or summary.headache_days_total > 0


def first_day_annotation() -> Subquery:
    """`first_diary_day` for a Patient query: the first day their diary holds a live record
    for, or None."""
    return Subquery(
        DiaryEntry.objects.live().filter(patient=OuterRef("pk")).order_by("day").values("day")[:1]
    )


def diary_window(patient: Patient, *, end: date, length: int = WINDOW_DAYS) -> DiaryWindow:
    """The `length` days ending on `end`, read in one query and summarised by
    `diaries.rules.summarise`."""
    start = window_start(end, length)
    return build_window(entries_between(patient, start, end), start=start, length=length)


def window_with_calendars(
    patient: Patient,
    *,
    end: date,
    today: date,
    length: int = WINDOW_DAYS,
    link_days=None,
    pain_first: bool = False,
    window_days_only: bool = False,
) -> tuple[DiaryWindow, list[calendars.CalendarMonth]]:
    """The window ending on `end` and the calendar months it touches, from one query. With
    `window_days_only` the months leave the days outside the window blank (a report shows
    only its period; the diary tab shows whole months to browse)."""
    start = window_start(end, length)
    first = start.replace(day=1)
    last = calendars.month_end(end)
    entries = entries_between(patient, first, last)
    months = calendars.months_between(start, end)
    return (
        build_window(entries, start=start, length=length),
        [
            calendars.month_grid(
                year,
                month,
                entries,
                today=today,
                link_days=link_days,
                pain_first=pain_first,
                period=(start, end) if window_days_only else None,
            )
            for year, month in months
        ],
    )


def month_calendar(
    patient: Patient,
    year: int,
    month: int,
    *,
    today: date,
    link_days=None,
    pain_first=False,
    earliest: date = calendars.FIRST_MONTH,
) -> calendars.CalendarMonth:
    """One calendar month of the patient's diary, from one query."""
    first = date(year, month, 1)
    entries = entries_between(patient, first, calendars.month_end(first))
    return calendars.month_grid(
        year,
        month,
        entries,
        today=today,
        link_days=link_days,
        pain_first=pain_first,
        earliest=earliest,
    )


def medicine_use(patient: Patient, first: date, last: date) -> list[dict]:
    """Per medicine, the days taken and total doses from `first` to `last`, most days first.
    One aggregate query. Each row: medicine__name, medication_class, class_label, days, doses."""
    labels = dict(MedicationClass.choices)
    rows = list(
        MedicationDose.objects.live()
        .filter(
            entry__entered_in_error=False,
            entry__patient=patient,
            entry__day__range=(first, last),
        )
        .values("medicine__name", "medication_class")
        .annotate(days=Count("entry", distinct=True), doses=Sum("doses"))
        .order_by("-days", "medicine__name")
    )
    for row in rows:
        row["class_label"] = labels.get(row["medication_class"], "none")
    return rows


# Medicines ------------------------------------------------------------------------------------


def medicine_catalogue(*, role: str | None = None, include_retired: bool = False):
    """The medication catalogue by name; only medicines offered in the diary unless
    `include_retired`. `role` is a MedicineRole value to filter by."""
    medicines = Medicine.objects.all() if include_retired else Medicine.objects.filter(active=True)
    return medicines.filter(role=role) if role else medicines


def medicines_flagged(
    *, opioid: bool = False, gabapentinoid: bool = False, cgrp_antibody: bool = False
) -> QuerySet[Medicine]:
    """Catalogue medicines carrying any of the requested flags (e.g. opioids or gabapentinoids
    for deprescribing reviews and dashboards), retired ones included."""
    wanted = [
        Q(**{flag: True})
        for flag, on in (
            ("is_opioid", opioid),
            ("is_gabapentinoid", gabapentinoid),
            ("is_cgrp_antibody", cgrp_antibody),
        )
        if on
    ]
    return Medicine.objects.filter(reduce(or_, wanted)) if wanted else Medicine.objects.none()


@dataclass(frozen=True)
class MedicineOptions:
    """What the episode form offers: grouped select choices, and the medicines by code."""

    choices: list
    by_code: dict[str, Medicine]

    def painkillers(self) -> "MedicineOptions":
        """The same, with only the medicines of an ICHD-3 8.2 class (painkillers and migraine
        medicines): what the day offers for medicines taken for something other than a
        headache."""
        by_code = {code: m for code, m in self.by_code.items() if m.diary_class}
        choices = [
            (label, [(code, name) for code, name in group if code in by_code])
            for label, group in self.choices
        ]
        return MedicineOptions(
            choices=[(label, group) for label, group in choices if group], by_code=by_code
        )


def recorded_medicines(entry: DiaryEntry | None) -> list[Medicine]:
    """The medicines of a day's live doses, from its `live_episodes` and `live_doses_apart`
    prefetches (no query)."""
    if entry is None:
        return []
    doses = [
        *(dose for episode in entry.live_episodes for dose in episode.doses.all()),
        *entry.live_doses_apart,
    ]
    return list({dose.medicine.pk: dose.medicine for dose in doses}.values())


def medicine_options(
    patient: Patient, *, today: date, recorded: list[Medicine] = ()
) -> MedicineOptions:
    """The patient's recently used medicines first, then acute, then preventive ones. Two
    queries. `recorded` are the medicines already on the day being changed: any of them no
    longer offered in the diary comes first, so saving the day again keeps its doses."""
    retired = [medicine for medicine in recorded if not medicine.active]
    catalogue = list(medicine_catalogue())
    since = today - timedelta(days=WINDOW_DAYS)
    recent_ids = list(
        Medicine.objects.filter(
            active=True,
            doses__superseded_at__isnull=True,
            doses__entry__entered_in_error=False,
            doses__entry__patient=patient,
            doses__entry__day__gte=since,
        )
        .annotate(last_used=Max("doses__entry__day"))
        .order_by("-last_used", "name")
        .values_list("pk", flat=True)[:RECENT_MEDICINES]
    )
    by_pk = {medicine.pk: medicine for medicine in catalogue}
    recent = [by_pk[pk] for pk in recent_ids if pk in by_pk]
    others = [medicine for medicine in catalogue if medicine.pk not in set(recent_ids)]
    groups = [
        ("Recorded on this day", retired),
        ("Your recent medicines", recent),
        (
            "Painkillers and migraine medicines",
            [m for m in others if m.role == MedicineRole.ACUTE],
        ),
        (
            "Preventive and regular medicines",
            [m for m in others if m.role == MedicineRole.PREVENTIVE],
        ),
    ]
    return MedicineOptions(
        choices=[
            (label, [(m.code, m.name) for m in medicines])
            for label, medicines in groups
            if medicines
        ],
        by_code={medicine.code: medicine for medicine in (*retired, *catalogue)},
    )


# Reports --------------------------------------------------------------------------------------


def latest_report(patient: Patient) -> DiaryReport | None:
    """The patient's newest diary report, without its PDF bytes."""
    return DiaryReport.objects.filter(patient=patient).defer("pdf").first()


def report_for(user, report_uuid, *, with_pdf: bool = False) -> DiaryReport:
    """A report of a patient `user` may see. Raises Http404 otherwise (or for a bad UUID)."""
    reports = DiaryReport.objects.filter(patient__in=patients_visible_to(user)).select_related(
        "patient"
    )
    if not with_pdf:
        reports = reports.defer("pdf")
    try:
        return reports.get(uuid=report_uuid)
    except (DiaryReport.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such report") from exc


def report_content(report: DiaryReport, *, today: date | None = None) -> dict:
    """Everything the report PDF template shows, read at render time."""
    patient = (
        Patient.objects.select_related("registered_practice")
        .annotate(pain_first=pain_first_annotation(), first_diary_day=first_day_annotation())
        .get(pk=report.patient_id)
    )
    end = report.end
    today = today or timezone.localdate()
    window, months = window_with_calendars(
        patient,
        end=end,
        today=today,
        length=report.length,
        pain_first=patient.pain_first,
        window_days_only=True,
    )
    # Said as the summary page says it: days before the diary began, and today, not "missed".
    gaps = window.gaps(first_day=patient.first_diary_day, today=today)
    headaches = headaches_apply(patient.pain_first, window.summary)
    return {
        "report": report,
        "patient": patient,
        "pain_first": patient.pain_first,
        "window": window,
        "calendars": months,
        "pain_scored": any(month.pain_scored for month in months),
        "chart": charts.month_bar_chart(window.months),
        "medicines": medicine_use(patient, window.start, window.end),
        "patient_messages": wording.patient_messages(window.summary, gaps, headaches=headaches),
        "headaches": headaches,
        "no_limits": not headaches,
        "clinician_flags": wording.clinician_flags(window.summary),
        # The medication table is the patient's as much as the clinician's: in the words of
        # the patient's summary page, as the report's summary above it is. Only the section
        # "For the clinician" uses the clinical names, as the care team's diary tab does.
        "class_rows": wording.class_rows(window, for_patient=True),
        "notes": [entry for entry in window.entries if entry.note],
        "generated_at": timezone.now(),
    }


# Care-team worklist and reminders -------------------------------------------------------------


def patients_without_entry(patients: QuerySet[Patient], *, day: date) -> QuerySet[Patient]:
    """The patients of `patients` with no live diary record for `day` (for the opt-in diary
    nudge). Set-based: one NOT EXISTS subquery, served by the one-live-entry-per-day index."""
    recorded = DiaryEntry.objects.live().filter(patient=OuterRef("pk"), day=day)
    return patients.filter(~Exists(recorded))


def entries_changed_since(moment) -> QuerySet[DiaryEntry]:
    """Diary records that existed before `moment` and were changed or withdrawn at or after it:
    the only diary saves that can end a pattern a kept worklist scan found. A record made since
    can only add headache or medication days (a day without a record already counts as
    headache-free and medicine-free)."""
    return DiaryEntry.objects.filter(created_at__lt=moment, updated_at__gte=moment)


def _window_counts(patients: QuerySet[Patient], *, today: date, length: int):
    """Per patient with diary days in the window ending `today`: day counts (one GROUP BY)."""
    start = window_start(today, length)
    any_medicine = reduce(or_, (Q(**{field: True}) for field in CLASS_FIELDS.values()))
    return (
        DiaryEntry.objects.live()
        .filter(patient__in=patients.values("pk"), day__range=(start, today))
        .values("patient")
        .annotate(
            headache_days=Count("pk", filter=Q(headache=True)),
            migraine_days=Count("pk", filter=Q(migraine=True)),
            acute_days=Count("pk", filter=any_medicine),
            **{
                f"{name}_days": Count("pk", filter=Q(**{field: True}))
                for name, field in CLASS_FIELDS.items()
            },
        )
    )


def _flag_conditions(length: int) -> dict[str, Q]:
    """The ICHD-3 diary flags as conditions on the counts of `_window_counts`. Thresholds come
    from `diaries.rules` through `minimum_days` (tests check agreement with `summarise`)."""

    def reaches(count: str, per_month: int) -> Q:
        return Q(**{f"{count}__gte": rules.minimum_days(per_month, length=length)})

    one_class = reduce(
        or_,
        (
            reaches(f"{name}_days", rules.overuse_limit_days(name))
            for name in rules.MEDICATION_CLASSES
        ),
    )
    # ICHD-3 8.2.6: several classes on enough distinct days in total.
    multiple = Q(classes_used__gte=rules.MULTIPLE_CLASSES_MINIMUM) & reaches(
        "acute_days", rules.overuse_limit_days(rules.MULTIPLE_CLASSES)
    )
    chronic = reaches("headache_days", rules.CHRONIC_HEADACHE_DAYS_PER_MONTH)
    return {
        "medication_overuse": one_class | multiple,
        "chronic_headache": chronic,
        "chronic_migraine": chronic
        & reaches("migraine_days", rules.CHRONIC_MIGRAINE_DAYS_PER_MONTH),
    }


def diary_flag_rows(
    patients: QuerySet[Patient], *, today: date, length: int = WINDOW_DAYS
) -> QuerySet:
    """One row per patient whose diary window ending `today` meets a flag: `patient` (id),
    day counts (`headache_days`, `migraine_days`, `acute_days`, `<class>_days`) and the booleans
    `medication_overuse`, `chronic_headache`, `chronic_migraine`. One aggregate query."""
    conditions = _flag_conditions(length)
    classes_used = sum(
        Case(When(**{f"{name}_days__gt": 0}, then=Value(1)), default=Value(0))
        for name in rules.MEDICATION_CLASSES
    )
    return (
        _window_counts(patients, today=today, length=length)
        .annotate(
            classes_used=classes_used,
            **{
                name: Case(When(condition, then=Value(True)), default=Value(False))
                for name, condition in conditions.items()
            },
        )
        .filter(conditions["medication_overuse"] | conditions["chronic_headache"])
        # By the column, not the relation: Patient's default ordering would add a join.
        .order_by("patient_id")
    )


def patients_with_diary_flags(
    patients: QuerySet[Patient], *, today: date, length: int = WINDOW_DAYS
) -> QuerySet[Patient]:
    """The patients of `patients` whose diary for the `length` days ending `today` (inclusive)
    meets the medication-overuse intake criterion (ICHD-3 8.2 B, including 8.2.6) or shows a
    chronic pattern (headache on >=15 days/month), as `diaries.rules.summarise` would decide.

    Set-based: the window is aggregated per patient in the database (one GROUP BY ... HAVING
    subquery), never per patient in Python, so it composes with the caller's own filters and
    pagination. Each patient is annotated with the booleans `diary_medication_overuse`,
    `diary_chronic_headache` and `diary_chronic_migraine` (correlated subqueries over the same
    aggregate, served by diaries_entry_patient_day_idx).
    Days without a record count as headache-free, as in `summarise`. Flags mean "meets diary
    criteria", not a diagnosis.
    """
    rows = diary_flag_rows(patients, today=today, length=length)
    mine = rows.filter(patient=OuterRef("pk"))
    return patients.filter(pk__in=rows.values("patient")).annotate(
        **{
            f"diary_{name}": Subquery(mine.values(name)[:1], output_field=BooleanField())
            for name in ("medication_overuse", "chronic_headache", "chronic_migraine")
        }
    )
