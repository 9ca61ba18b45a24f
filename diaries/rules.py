"""Headache diary rules: monthly rates, chronic migraine and medication overuse (ICHD-3).

Pure functions over plain values; no Django, no database. The clinical source is
clinical-rules.md section 8 (ICHD-3 1.3 and 8.2, and the app's "Diary conventions").

Conventions applied (clinical-rules.md section 8, "Diary conventions"):

* A month is 30 days; a rate per month is ``count * 30 / length`` (``count / 3`` for the default
  90-day window), never rounded here. Thresholds are compared on exact values (integer
  cross-multiplication), so 44 headache days in 90 (14.67/month) is below 15 and 45 (15.00) is not.
* A day of the window with no ``DiaryDay`` counts as a day without headache and without acute
  medication. ``DiarySummary.days_recorded`` and ``DiarySummary.complete`` let callers tell a
  partial diary from a complete one; the flags themselves are not gated on completeness.
* A medication day for a class is a day with any dose of that class. The 8.2.6 total is the number
  of distinct days with any acute medication (the union), not the sum of per-class days.
* ``medication_overuse`` is the intake criterion (ICHD-3 8.2 B) only; ``moh_ichd3`` also needs
  headache on at least 15 days/month (8.2 A). ICHD-3 codes are given only when ``moh_ichd3`` holds.
* A complete 90-day diary stands in for ICHD-3's ">3 months"; callers should say "meets diary
  criteria", not make a diagnosis. 8.2.7 (unverified overuse) cannot come from a diary and is never
  returned.

Besides ``summarise``: ``has_migraine_features`` decides whether one headache episode counts
towards a migraine day (ICHD-3 1.1 C and D, an aura, or believed migraine relieved by a triptan
or ergot; ``includes_triptan_or_ergot`` names those medicines), ``month_counts`` splits a
window into its 30-day months for tables and charts, and ``minimum_days`` turns a per-month
threshold into the whole number of days that reaches it, so database queries can apply the same
thresholds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

# The shared ICHD-3 vocabulary and thresholds live in the kernel (pathway.ichd3).
from pathway.ichd3 import (
    CHRONIC_HEADACHE_DAYS_PER_MONTH,
    CHRONIC_MIGRAINE_DAYS_PER_MONTH,
    COMBINATION_ANALGESIC,
    DAYS_PER_MONTH,
    ERGOT,
    MEDICATION_CLASSES,
    MULTIPLE_CLASSES_OVERUSE_DAYS_PER_MONTH,
    OPIOID,
    OVERUSE_DAYS_PER_MONTH,
    SIMPLE_ANALGESIC,
    TRIPTAN,
)

# Marker in ``overused_classes`` for ICHD-3 8.2.6: several classes, none overused on its own.
MULTIPLE_CLASSES = "multiple_classes"

CHRONIC = "chronic"
EPISODIC = "episodic"

# clinical-rules.md section 8, Diary conventions 1 and 7: 90 days (3 months of 30 days) is the
# evidence window accepted for ICHD-3's ">3 months".
EVIDENCE_WINDOW_DAYS = 90

# ICHD-3 8.2.6 and diary convention 6: at least two classes used in the window.
MULTIPLE_CLASSES_MINIMUM = 2

# Headache severity as the diary records it (ICHD-3 1.1 C uses "moderate or severe pain
# intensity" as one of its four pain characteristics).
MILD = "mild"
MODERATE = "moderate"
SEVERE = "severe"
SEVERITIES: tuple[str, ...] = (MILD, MODERATE, SEVERE)
# ICHD-3 1.1 C: at least two of unilateral location, pulsating quality, moderate or severe
# intensity, aggravation by (or avoidance of) routine physical activity.
MIGRAINE_PAIN_CHARACTERISTICS_MINIMUM = 2

# ICHD-3 8.2 sub-type codes, in code order; this order is also used for ``overused_classes``.
ICHD3_MOH_CODES: dict[str, str] = {
    ERGOT: "8.2.1",
    TRIPTAN: "8.2.2",
    SIMPLE_ANALGESIC: "8.2.3",
    OPIOID: "8.2.4",
    COMBINATION_ANALGESIC: "8.2.5",
    MULTIPLE_CLASSES: "8.2.6",
}


@dataclass(frozen=True)
class DiaryDay:
    """One calendar day of a headache diary.

    ``migraine`` marks a headache day with migraine features; ``medication_classes`` holds the
    acute medication classes taken that day (any number of doses counts once).
    """

    day: date
    headache: bool
    migraine: bool
    medication_classes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class DiarySummary:
    """Counts, unrounded monthly rates and ICHD-3 flags for one diary window.

    ``medication_days_total`` and ``medication_days_per_month`` hold every class in
    ``MEDICATION_CLASSES``, with 0 / 0.0 for a class not taken. ``overused_classes`` and
    ``ichd3_moh_codes`` are in ICHD-3 code order.
    """

    start: date
    length: int
    days_recorded: int
    headache_days_total: int
    migraine_days_total: int
    headache_days_per_month: float
    migraine_days_per_month: float
    headache_frequency: str
    chronic_migraine: bool
    medication_days_total: dict[str, int]
    medication_days_per_month: dict[str, float]
    acute_medication_days_total: int
    acute_medication_days_per_month: float
    medication_overuse: bool
    overused_classes: tuple[str, ...]
    ichd3_moh_codes: tuple[str, ...]
    moh_ichd3: bool

    @property
    def complete(self) -> bool:
        """Return True when every day of the window has a diary record."""
        return self.days_recorded == self.length

    @property
    def covers_evidence_window(self) -> bool:
        """Return True for a complete diary of at least 90 days (diary convention 7)."""
        return self.complete and self.length >= EVIDENCE_WINDOW_DAYS


def summarise(days: Iterable[DiaryDay], *, start: date, length: int = 90) -> DiarySummary:
    """Summarise the diary days in the window ``[start, start + length)``.

    Days of the window without a record count as headache-free with no medication.

    Returns a ``DiarySummary``.
    Raises ``ValueError`` if ``length`` is below 1, a day falls outside the window, a day appears
    twice, a migraine day is not a headache day, or a medication class is unknown; ``TypeError`` if
    ``length`` is not an integer or a day's ``medication_classes`` is not a set of names.
    """
    if isinstance(length, bool) or not isinstance(length, int):
        raise TypeError(f"Diary window length must be an integer, got {length!r}.")
    if length < 1:
        raise ValueError(f"Diary window length must be at least 1 day, got {length}.")
    end = start + timedelta(days=length)
    seen: set[date] = set()
    headache_days = 0
    migraine_days = 0
    acute_days = 0
    class_days = dict.fromkeys(MEDICATION_CLASSES, 0)
    for entry in days:
        _validate_day(entry, start=start, end=end, seen=seen)
        seen.add(entry.day)
        headache_days += entry.headache
        migraine_days += entry.migraine
        acute_days += bool(entry.medication_classes)
        for medication_class in entry.medication_classes:
            class_days[medication_class] += 1

    chronic_headache = _at_least(headache_days, CHRONIC_HEADACHE_DAYS_PER_MONTH, length)
    overused = _overused_classes(class_days, acute_days, length)
    moh = bool(overused) and chronic_headache
    return DiarySummary(
        start=start,
        length=length,
        days_recorded=len(seen),
        headache_days_total=headache_days,
        migraine_days_total=migraine_days,
        headache_days_per_month=_per_month(headache_days, length),
        migraine_days_per_month=_per_month(migraine_days, length),
        headache_frequency=CHRONIC if chronic_headache else EPISODIC,
        chronic_migraine=chronic_headache
        and _at_least(migraine_days, CHRONIC_MIGRAINE_DAYS_PER_MONTH, length),
        medication_days_total=class_days,
        medication_days_per_month={
            medication_class: _per_month(count, length)
            for medication_class, count in class_days.items()
        },
        acute_medication_days_total=acute_days,
        acute_medication_days_per_month=_per_month(acute_days, length),
        medication_overuse=bool(overused),
        overused_classes=overused,
        ichd3_moh_codes=tuple(ICHD3_MOH_CODES[name] for name in overused) if moh else (),
        moh_ichd3=moh,
    )


def overuse_limit_days(medication_class: str) -> int:
    """Return the days of intake per month at which ``medication_class`` counts as overused.

    10 for triptans, ergots, opioids, combination analgesics and ``MULTIPLE_CLASSES`` (in total);
    15 for simple analgesics (ICHD-3 8.2.1-8.2.6, NICE CG150). The limit is reached, not exceeded:
    taking the medicine on this many days a month is overuse.
    Raises ``ValueError`` for an unknown class.
    """
    if medication_class == MULTIPLE_CLASSES:
        return MULTIPLE_CLASSES_OVERUSE_DAYS_PER_MONTH
    _check_class(medication_class)
    return OVERUSE_DAYS_PER_MONTH[medication_class]


def minimum_days(per_month: int, *, length: int = EVIDENCE_WINDOW_DAYS) -> int:
    """Return the fewest days in a window of ``length`` days whose monthly rate reaches
    ``per_month`` (``count * 30 / length >= per_month``; 45 for 15/month over 90 days).

    Lets a database query compare whole-day counts with the same thresholds ``summarise`` uses.
    Raises ``ValueError`` if ``length`` is below 1 or ``per_month`` is negative.
    """
    if length < 1:
        raise ValueError(f"Diary window length must be at least 1 day, got {length}.")
    if per_month < 0:
        raise ValueError(f"A monthly threshold cannot be negative, got {per_month}.")
    # Ceiling of per_month * length / 30 in integers: the smallest count with _at_least true.
    return -(-per_month * length // DAYS_PER_MONTH)


def includes_triptan_or_ergot(classes: Iterable[str]) -> bool:
    """Whether the medicine classes taken for a headache include a triptan or an ergot: the
    medicines whose relief counts towards a migraine day (ICHD-3 1.3 C)."""
    return any(name in (TRIPTAN, ERGOT) for name in classes)


def has_migraine_features(
    *,
    severity: str,
    unilateral: bool,
    pulsating: bool,
    worse_with_activity: bool,
    nausea_or_vomiting: bool,
    photophobia: bool,
    phonophobia: bool,
    aura: bool,
    believed_migraine: bool = False,
    relieved_by_triptan_or_ergot: bool = False,
) -> bool:
    """Return True when one headache episode counts towards a migraine day.

    ICHD-3 1.1 C and D (clinical-rules.md section 8): at least two of unilateral, pulsating,
    moderate or severe, worse with routine activity; and nausea or vomiting, or both photophobia
    and phonophobia. An episode with aura also counts (ICHD-3 1.2; the diary cannot check the
    aura criteria B and C, so a reported aura is taken as the patient's known migraine with aura).
    So does one the patient believed to be migraine at onset and that a triptan or ergot derivative
    relieved (ICHD-3 1.3 C; diary convention 3): treated early, a migraine may never show the
    features. Raises ``ValueError`` for an unknown severity.
    """
    if severity not in SEVERITIES:
        raise ValueError(f"Unknown headache severity {severity!r}.")
    pain_characteristics = sum(
        (unilateral, pulsating, severity in (MODERATE, SEVERE), worse_with_activity)
    )
    accompanying = nausea_or_vomiting or (photophobia and phonophobia)
    return (
        aura
        or (pain_characteristics >= MIGRAINE_PAIN_CHARACTERISTICS_MINIMUM and accompanying)
        or (believed_migraine and relieved_by_triptan_or_ergot)
    )


@dataclass(frozen=True)
class MonthCounts:
    """Day counts for one 30-day month of a diary window (diary convention 1).

    ``last_day`` is inclusive. ``medication_days`` holds every class in ``MEDICATION_CLASSES``.
    """

    first_day: date
    last_day: date
    headache_days: int
    migraine_days: int
    acute_medication_days: int
    medication_days: dict[str, int]

    @property
    def length(self) -> int:
        return (self.last_day - self.first_day).days + 1


def month_counts(
    days: Iterable[DiaryDay], *, start: date, length: int = EVIDENCE_WINDOW_DAYS
) -> tuple[MonthCounts, ...]:
    """Split the window ``[start, start + length)`` into consecutive 30-day months and count
    headache, migraine and medication days in each (the last month is shorter when ``length`` is
    not a multiple of 30). Missing days count as headache-free with no medication.

    Returns the months in date order.
    Raises ``ValueError``/``TypeError`` for the same bad days as ``summarise``.
    """
    if isinstance(length, bool) or not isinstance(length, int):
        raise TypeError(f"Diary window length must be an integer, got {length!r}.")
    if length < 1:
        raise ValueError(f"Diary window length must be at least 1 day, got {length}.")
    end = start + timedelta(days=length)
    months = (length + DAYS_PER_MONTH - 1) // DAYS_PER_MONTH
    headache = [0] * months
    migraine = [0] * months
    acute = [0] * months
    classes = [dict.fromkeys(MEDICATION_CLASSES, 0) for _ in range(months)]
    seen: set[date] = set()
    for entry in days:
        _validate_day(entry, start=start, end=end, seen=seen)
        seen.add(entry.day)
        index = (entry.day - start).days // DAYS_PER_MONTH
        headache[index] += entry.headache
        migraine[index] += entry.migraine
        acute[index] += bool(entry.medication_classes)
        for medication_class in entry.medication_classes:
            classes[index][medication_class] += 1
    return tuple(
        MonthCounts(
            first_day=start + timedelta(days=index * DAYS_PER_MONTH),
            last_day=min(start + timedelta(days=(index + 1) * DAYS_PER_MONTH), end)
            - timedelta(days=1),
            headache_days=headache[index],
            migraine_days=migraine[index],
            acute_medication_days=acute[index],
            medication_days=classes[index],
        )
        for index in range(months)
    )


def _validate_day(entry: DiaryDay, *, start: date, end: date, seen: set[date]) -> None:
    if not start <= entry.day < end:
        last = end - timedelta(days=1)
        raise ValueError(f"Diary day {entry.day} is outside the window {start} to {last}.")
    if entry.day in seen:
        raise ValueError(f"Diary day {entry.day} appears more than once.")
    if entry.migraine and not entry.headache:
        raise ValueError(f"Diary day {entry.day} is a migraine day without headache.")
    if not isinstance(entry.medication_classes, (set, frozenset)):
        raise TypeError(f"Diary day {entry.day}: medication_classes must be a set of class names.")
    for medication_class in entry.medication_classes:
        _check_class(medication_class)


def _check_class(medication_class: str) -> None:
    if medication_class not in OVERUSE_DAYS_PER_MONTH:
        raise ValueError(f"Unknown medication class {medication_class!r}.")


def _overused_classes(class_days: dict[str, int], acute_days: int, length: int) -> tuple[str, ...]:
    """Return the classes meeting ICHD-3 8.2 B, or (``MULTIPLE_CLASSES``,) for 8.2.6."""
    overused = tuple(
        medication_class
        for medication_class, threshold in OVERUSE_DAYS_PER_MONTH.items()
        if _at_least(class_days[medication_class], threshold, length)
    )
    if overused:
        return overused
    classes_used = sum(1 for count in class_days.values() if count)
    if classes_used >= MULTIPLE_CLASSES_MINIMUM and _at_least(
        acute_days, MULTIPLE_CLASSES_OVERUSE_DAYS_PER_MONTH, length
    ):
        return (MULTIPLE_CLASSES,)
    return ()


def _per_month(count: int, length: int) -> float:
    return count * DAYS_PER_MONTH / length


def _at_least(count: int, per_month: int, length: int) -> bool:
    # Exact comparison of count / length * 30 >= per_month, free of float rounding.
    return count * DAYS_PER_MONTH >= per_month * length
