from collections.abc import Iterable
from datetime import date, timedelta

import pytest

from diaries.rules import (
    COMBINATION_ANALGESIC,
    ERGOT,
    MEDICATION_CLASSES,
    MULTIPLE_CLASSES,
    OPIOID,
    SIMPLE_ANALGESIC,
    TRIPTAN,
    DiaryDay,
    overuse_limit_days,
    summarise,
)

START = date(2024, 1, 1)
TEN_DAY_LIMIT_CLASSES = [ERGOT, TRIPTAN, OPIOID, COMBINATION_ANALGESIC]


def _on(day_index: int) -> date:
    return START + timedelta(days=day_index)


def _indices(spec: int | Iterable[int]) -> set[int]:
    return set(range(spec)) if isinstance(spec, int) else set(spec)


def diary(
    *,
    headache: int | Iterable[int] = 0,
    migraine: int | Iterable[int] = 0,
    medication: dict[str, int | Iterable[int]] | None = None,
    length: int = 90,
) -> list[DiaryDay]:
    """Return one DiaryDay for every day of the window.

    Each argument is a number of days (counted from the first day of the window) or the day indices.
    """
    headache_days = _indices(headache)
    migraine_days = _indices(migraine)
    medication_days = {name: _indices(spec) for name, spec in (medication or {}).items()}
    return [
        DiaryDay(
            day=_on(i),
            headache=i in headache_days,
            migraine=i in migraine_days,
            medication_classes=frozenset(
                name for name, indices in medication_days.items() if i in indices
            ),
        )
        for i in range(length)
    ]


# Headache frequency (ICHD-3 8.2 A, 1.3 A; NICE TA definition of episodic: <15 days/month)


@pytest.mark.parametrize(
    ("headache_days", "rate", "frequency"),
    [(44, 44 / 3, "episodic"), (45, 15.0, "chronic")],
)
def test_it_calls_headache_chronic_from_15_days_a_month_on_the_unrounded_rate(
    headache_days, rate, frequency
):
    summary = summarise(diary(headache=headache_days), start=START)

    assert summary.headache_days_total == headache_days
    assert summary.headache_days_per_month == pytest.approx(rate)
    assert summary.headache_frequency == frequency


def test_it_keeps_44_headache_days_below_15_a_month_although_it_displays_as_14_67():
    summary = summarise(diary(headache=44), start=START)

    assert round(summary.headache_days_per_month, 2) == 14.67
    assert summary.headache_days_per_month < 15
    assert summary.headache_frequency == "episodic"


def test_it_averages_over_the_months_so_a_single_low_month_does_not_break_chronic():
    months = [*range(0, 20), *range(30, 50), *range(60, 65)]

    summary = summarise(diary(headache=months), start=START)

    assert summary.headache_days_per_month == 15.0
    assert summary.headache_frequency == "chronic"


# Chronic migraine (ICHD-3 1.3: >=15 headache days/month with >=8 migraine days/month)


@pytest.mark.parametrize(
    ("migraine_days", "rate", "chronic_migraine"),
    [(23, 23 / 3, False), (24, 8.0, True)],
)
def test_it_needs_8_migraine_days_a_month_for_chronic_migraine(
    migraine_days, rate, chronic_migraine
):
    summary = summarise(diary(headache=45, migraine=migraine_days), start=START)

    assert summary.migraine_days_total == migraine_days
    assert summary.migraine_days_per_month == pytest.approx(rate)
    assert summary.chronic_migraine is chronic_migraine


def test_it_does_not_call_chronic_migraine_below_15_headache_days_a_month():
    summary = summarise(diary(headache=44, migraine=44), start=START)

    assert summary.migraine_days_per_month == pytest.approx(44 / 3)
    assert summary.chronic_migraine is False


# Overuse of a single class (ICHD-3 8.2.1-8.2.5)


@pytest.mark.parametrize("medication_class", TEN_DAY_LIMIT_CLASSES)
@pytest.mark.parametrize(
    ("medication_days", "rate", "overused"),
    [(29, 29 / 3, False), (30, 10.0, True)],
)
def test_it_calls_overuse_from_10_days_a_month_for_ten_day_classes(
    medication_class, medication_days, rate, overused
):
    summary = summarise(diary(medication={medication_class: medication_days}), start=START)

    assert summary.medication_days_per_month[medication_class] == pytest.approx(rate)
    assert summary.medication_overuse is overused
    assert summary.overused_classes == ((medication_class,) if overused else ())


@pytest.mark.parametrize(
    ("medication_days", "rate", "overused"),
    [(30, 10.0, False), (44, 44 / 3, False), (45, 15.0, True)],
)
def test_it_calls_simple_analgesic_overuse_from_15_days_a_month(medication_days, rate, overused):
    summary = summarise(diary(medication={SIMPLE_ANALGESIC: medication_days}), start=START)

    assert summary.medication_days_per_month[SIMPLE_ANALGESIC] == pytest.approx(rate)
    assert summary.medication_overuse is overused
    assert summary.overused_classes == ((SIMPLE_ANALGESIC,) if overused else ())


def test_it_lists_every_overused_class_in_ichd3_code_order():
    medication = {
        COMBINATION_ANALGESIC: range(30),
        OPIOID: range(30),
        SIMPLE_ANALGESIC: range(45),
        TRIPTAN: range(30),
        ERGOT: range(30),
    }

    summary = summarise(diary(headache=45, medication=medication), start=START)

    assert summary.overused_classes == (
        ERGOT,
        TRIPTAN,
        SIMPLE_ANALGESIC,
        OPIOID,
        COMBINATION_ANALGESIC,
    )
    assert summary.ichd3_moh_codes == ("8.2.1", "8.2.2", "8.2.3", "8.2.4", "8.2.5")


# Multiple classes, none overused on its own (ICHD-3 8.2.6)


@pytest.mark.parametrize(
    ("opioid_days", "acute_rate", "overused"),
    [(range(15, 29), 29 / 3, False), (range(15, 30), 10.0, True)],
)
def test_it_calls_8_2_6_when_distinct_acute_days_reach_10_a_month_across_classes(
    opioid_days, acute_rate, overused
):
    medication = {TRIPTAN: range(0, 15), OPIOID: opioid_days}

    summary = summarise(diary(headache=45, medication=medication), start=START)

    assert summary.medication_days_per_month[TRIPTAN] == 5.0
    assert summary.medication_days_per_month[OPIOID] < 10
    assert summary.acute_medication_days_per_month == pytest.approx(acute_rate)
    assert summary.medication_overuse is overused
    assert summary.overused_classes == ((MULTIPLE_CLASSES,) if overused else ())
    assert summary.ichd3_moh_codes == (("8.2.6",) if overused else ())
    assert summary.moh_ichd3 is overused


def test_it_counts_distinct_medication_days_for_8_2_6_not_the_sum_of_classes():
    medication = {TRIPTAN: range(0, 20), OPIOID: range(5, 25)}

    summary = summarise(diary(medication=medication), start=START)

    assert summary.medication_days_total == {
        SIMPLE_ANALGESIC: 0,
        TRIPTAN: 20,
        ERGOT: 0,
        OPIOID: 20,
        COMBINATION_ANALGESIC: 0,
    }
    assert summary.acute_medication_days_total == 25
    assert summary.acute_medication_days_per_month == pytest.approx(25 / 3)
    assert summary.medication_overuse is False


def test_it_does_not_call_8_2_6_for_a_single_class_below_its_own_limit():
    summary = summarise(diary(headache=45, medication={SIMPLE_ANALGESIC: 44}), start=START)

    assert summary.acute_medication_days_per_month == pytest.approx(44 / 3)
    assert summary.medication_overuse is False
    assert summary.overused_classes == ()


def test_it_does_not_add_8_2_6_when_a_class_is_overused_on_its_own():
    medication = {TRIPTAN: range(0, 30), SIMPLE_ANALGESIC: range(30, 40)}

    summary = summarise(diary(headache=45, medication=medication), start=START)

    assert summary.overused_classes == (TRIPTAN,)
    assert summary.ichd3_moh_codes == ("8.2.2",)


def test_it_counts_combination_analgesic_days_towards_8_2_6():
    medication = {COMBINATION_ANALGESIC: range(0, 20), SIMPLE_ANALGESIC: range(20, 30)}

    summary = summarise(diary(headache=45, medication=medication), start=START)

    assert summary.overused_classes == (MULTIPLE_CLASSES,)
    assert summary.ichd3_moh_codes == ("8.2.6",)


def test_it_calls_simple_analgesic_12_plus_triptan_2_a_month_moh_under_ichd3():
    medication = {SIMPLE_ANALGESIC: range(0, 36), TRIPTAN: range(36, 42)}

    summary = summarise(diary(headache=45, medication=medication), start=START)

    assert summary.medication_days_per_month[SIMPLE_ANALGESIC] == 12.0
    assert summary.medication_days_per_month[TRIPTAN] == 2.0
    assert summary.overused_classes == (MULTIPLE_CLASSES,)
    assert summary.moh_ichd3 is True


# Intake overuse versus ICHD-3 MOH (8.2 B versus 8.2 A + B)


@pytest.mark.parametrize(
    ("headache_days", "moh", "codes"),
    [(44, False, ()), (45, True, ("8.2.2",))],
)
def test_it_needs_15_headache_days_a_month_for_moh_as_well_as_intake_overuse(
    headache_days, moh, codes
):
    summary = summarise(diary(headache=headache_days, medication={TRIPTAN: 30}), start=START)

    assert summary.medication_overuse is True
    assert summary.overused_classes == (TRIPTAN,)
    assert summary.moh_ichd3 is moh
    assert summary.ichd3_moh_codes == codes


def test_it_reports_intake_overuse_without_moh_for_8_2_6_below_15_headache_days():
    medication = {TRIPTAN: range(0, 15), OPIOID: range(15, 30)}

    summary = summarise(diary(headache=44, medication=medication), start=START)

    assert summary.medication_overuse is True
    assert summary.overused_classes == (MULTIPLE_CLASSES,)
    assert summary.moh_ichd3 is False
    assert summary.ichd3_moh_codes == ()


def test_it_does_not_call_moh_for_chronic_headache_without_overuse():
    summary = summarise(diary(headache=90, medication={TRIPTAN: 29}), start=START)

    assert summary.headache_frequency == "chronic"
    assert summary.medication_overuse is False
    assert summary.moh_ichd3 is False
    assert summary.ichd3_moh_codes == ()


def test_it_gives_both_chronic_migraine_and_moh_when_both_are_met():
    summary = summarise(diary(headache=45, migraine=24, medication={TRIPTAN: 30}), start=START)

    assert summary.chronic_migraine is True
    assert summary.moh_ichd3 is True
    assert summary.ichd3_moh_codes == ("8.2.2",)


# Medication days


def test_it_reports_every_class_with_zero_when_not_taken():
    summary = summarise(diary(medication={OPIOID: 3}), start=START)

    assert set(summary.medication_days_per_month) == set(MEDICATION_CLASSES)
    assert summary.medication_days_per_month == {
        SIMPLE_ANALGESIC: 0.0,
        TRIPTAN: 0.0,
        ERGOT: 0.0,
        OPIOID: 1.0,
        COMBINATION_ANALGESIC: 0.0,
    }


def test_it_counts_medication_on_days_without_headache():
    summary = summarise(diary(headache=0, medication={TRIPTAN: 30}), start=START)

    assert summary.headache_days_total == 0
    assert summary.medication_days_total[TRIPTAN] == 30
    assert summary.medication_overuse is True


# Missing days and window length


def test_it_summarises_an_empty_diary_as_no_headache_and_no_medication():
    summary = summarise([], start=START)

    assert summary.days_recorded == 0
    assert summary.length == 90
    assert summary.complete is False
    assert summary.headache_days_total == 0
    assert summary.migraine_days_total == 0
    assert summary.headache_days_per_month == 0.0
    assert summary.migraine_days_per_month == 0.0
    assert summary.headache_frequency == "episodic"
    assert summary.chronic_migraine is False
    assert summary.medication_days_per_month == dict.fromkeys(MEDICATION_CLASSES, 0.0)
    assert summary.acute_medication_days_per_month == 0.0
    assert summary.medication_overuse is False
    assert summary.overused_classes == ()
    assert summary.ichd3_moh_codes == ()
    assert summary.moh_ichd3 is False


def test_it_counts_days_missing_from_the_diary_as_headache_free():
    recorded = [DiaryDay(_on(i), headache=True, migraine=False) for i in range(0, 90, 2)]

    summary = summarise(recorded, start=START)

    assert summary.days_recorded == 45
    assert summary.complete is False
    assert summary.headache_days_per_month == 15.0
    assert summary.headache_frequency == "chronic"


@pytest.mark.parametrize(
    ("length", "recorded", "covers"),
    [(90, 90, True), (120, 120, True), (89, 89, False), (90, 89, False)],
)
def test_it_says_whether_the_diary_covers_the_90_day_evidence_window(length, recorded, covers):
    summary = summarise(diary(length=length)[:recorded], start=START, length=length)

    assert summary.covers_evidence_window is covers


@pytest.mark.parametrize(
    ("length", "headache_days", "rate", "frequency"),
    [
        (30, 14, 14.0, "episodic"),
        (30, 15, 15.0, "chronic"),
        (28, 13, 13 * 30 / 28, "episodic"),
        (28, 14, 15.0, "chronic"),
    ],
)
def test_it_scales_rates_to_30_day_months_for_a_window_of_another_length(
    length, headache_days, rate, frequency
):
    summary = summarise(diary(headache=headache_days, length=length), start=START, length=length)

    assert summary.length == length
    assert summary.complete is True
    assert summary.headache_days_per_month == pytest.approx(rate)
    assert summary.headache_frequency == frequency


@pytest.mark.parametrize(("triptan_days", "overused"), [(9, False), (10, True)])
def test_it_applies_medication_limits_to_a_30_day_window(triptan_days, overused):
    days = diary(headache=15, medication={TRIPTAN: triptan_days}, length=30)

    summary = summarise(days, start=START, length=30)

    assert summary.medication_days_per_month[TRIPTAN] == float(triptan_days)
    assert summary.medication_overuse is overused
    assert summary.moh_ichd3 is overused


def test_it_summarises_a_one_day_window():
    days = [DiaryDay(START, headache=True, migraine=True, medication_classes=frozenset({TRIPTAN}))]

    summary = summarise(days, start=START, length=1)

    assert summary.headache_days_per_month == 30.0
    assert summary.chronic_migraine is True
    assert summary.overused_classes == (TRIPTAN,)


def test_it_accepts_days_in_any_order_and_from_a_generator():
    days = diary(headache=45)

    summary = summarise((day for day in reversed(days)), start=START)

    assert summary.headache_days_total == 45
    assert summary.days_recorded == 90


@pytest.mark.parametrize("day_index", [0, 89])
def test_it_accepts_the_first_and_last_day_of_the_window(day_index):
    summary = summarise([DiaryDay(_on(day_index), True, False, frozenset())], start=START)

    assert summary.headache_days_total == 1


# Invalid input


@pytest.mark.parametrize("day_index", [-1, 90])
def test_it_rejects_a_day_outside_the_window(day_index):
    with pytest.raises(ValueError, match="outside the window"):
        summarise([DiaryDay(_on(day_index), True, False, frozenset())], start=START)


def test_it_rejects_a_day_outside_a_window_of_another_length():
    with pytest.raises(ValueError, match="outside the window"):
        summarise([DiaryDay(_on(30), True, False, frozenset())], start=START, length=30)


def test_it_rejects_a_duplicate_day():
    days = [
        DiaryDay(START, headache=True, migraine=False),
        DiaryDay(START, headache=False, migraine=False),
    ]

    with pytest.raises(ValueError, match="more than once"):
        summarise(days, start=START)


def test_it_rejects_a_migraine_day_without_headache():
    with pytest.raises(ValueError, match="migraine day without headache"):
        summarise([DiaryDay(START, headache=False, migraine=True)], start=START)


@pytest.mark.parametrize("medication_class", ["paracetamol", "", MULTIPLE_CLASSES, "Triptan"])
def test_it_rejects_an_unknown_medication_class(medication_class):
    day = DiaryDay(
        START, headache=True, migraine=False, medication_classes=frozenset({medication_class})
    )

    with pytest.raises(ValueError, match="Unknown medication class"):
        summarise([day], start=START)


def test_it_rejects_medication_classes_given_as_a_string():
    day = DiaryDay(START, headache=True, migraine=False, medication_classes=TRIPTAN)

    with pytest.raises(TypeError, match="medication_classes"):
        summarise([day], start=START)


@pytest.mark.parametrize("length", [0, -1])
def test_it_rejects_a_window_shorter_than_one_day(length):
    with pytest.raises(ValueError, match="at least 1 day"):
        summarise([], start=START, length=length)


@pytest.mark.parametrize("length", [90.0, "90", True])
def test_it_rejects_a_window_length_that_is_not_an_integer(length):
    with pytest.raises(TypeError, match="must be an integer"):
        summarise([], start=START, length=length)


# Patient-facing limits


@pytest.mark.parametrize(
    ("medication_class", "limit"),
    [
        (SIMPLE_ANALGESIC, 15),
        (TRIPTAN, 10),
        (ERGOT, 10),
        (OPIOID, 10),
        (COMBINATION_ANALGESIC, 10),
        (MULTIPLE_CLASSES, 10),
    ],
)
def test_it_gives_the_monthly_overuse_limit_for_each_class(medication_class, limit):
    assert overuse_limit_days(medication_class) == limit


@pytest.mark.parametrize("medication_class", TEN_DAY_LIMIT_CLASSES + [SIMPLE_ANALGESIC])
def test_it_calls_overuse_on_exactly_the_limit_it_tells_patients(medication_class):
    limit = overuse_limit_days(medication_class)

    at_limit = summarise(
        diary(medication={medication_class: limit}, length=30), start=START, length=30
    )
    below = summarise(
        diary(medication={medication_class: limit - 1}, length=30), start=START, length=30
    )

    assert at_limit.overused_classes == (medication_class,)
    assert below.medication_overuse is False


def test_it_rejects_an_unknown_class_when_asked_for_a_limit():
    with pytest.raises(ValueError, match="Unknown medication class"):
        overuse_limit_days("paracetamol")
