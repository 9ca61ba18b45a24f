"""The rules added beside `summarise`: migraine features of one episode (ICHD-3 1.1 C and D),
30-day months of a window, and whole-day thresholds for database queries. No database."""

from datetime import date, timedelta
from itertools import product

import pytest

from diaries.rules import (
    CHRONIC_HEADACHE_DAYS_PER_MONTH,
    CHRONIC_MIGRAINE_DAYS_PER_MONTH,
    MEDICATION_CLASSES,
    MULTIPLE_CLASSES,
    SIMPLE_ANALGESIC,
    TRIPTAN,
    DiaryDay,
    has_migraine_features,
    includes_triptan_or_ergot,
    minimum_days,
    month_counts,
    overuse_limit_days,
    summarise,
)

START = date(2024, 1, 1)
NONE = {
    "unilateral": False,
    "pulsating": False,
    "worse_with_activity": False,
    "nausea_or_vomiting": False,
    "photophobia": False,
    "phonophobia": False,
    "aura": False,
}


def features(severity="mild", **on):
    return has_migraine_features(severity=severity, **{**NONE, **on})


# minimum_days: the whole-day form of the monthly thresholds


@pytest.mark.parametrize(
    ("per_month", "length", "expected"),
    [(15, 90, 45), (10, 90, 30), (8, 90, 24), (15, 30, 15), (10, 28, 10), (15, 1, 1), (0, 90, 0)],
)
def test_minimum_days_is_the_first_count_that_reaches_the_rate(per_month, length, expected):
    assert minimum_days(per_month, length=length) == expected


@pytest.mark.parametrize("length", [1, 28, 29, 30, 31, 60, 89, 90, 91, 120])
@pytest.mark.parametrize(
    "per_month",
    [CHRONIC_HEADACHE_DAYS_PER_MONTH, CHRONIC_MIGRAINE_DAYS_PER_MONTH, 10],
)
def test_minimum_days_agrees_with_summarise_at_every_count(per_month, length):
    """Whatever the window, `count >= minimum_days` holds exactly when summarise's unrounded
    rate reaches the threshold (checked through the headache-frequency flag and triptans)."""
    for count in range(length + 1):
        days = [
            DiaryDay(
                day=START + timedelta(days=i),
                headache=i < count,
                migraine=False,
                medication_classes=frozenset({TRIPTAN}) if i < count else frozenset(),
            )
            for i in range(length)
        ]
        summary = summarise(days, start=START, length=length)
        reached = count >= minimum_days(per_month, length=length)
        assert (summary.headache_days_per_month >= per_month) == reached
        if per_month == CHRONIC_HEADACHE_DAYS_PER_MONTH:
            assert (summary.headache_frequency == "chronic") == reached
        if per_month == overuse_limit_days(TRIPTAN):
            assert (TRIPTAN in summary.overused_classes) == reached


def test_minimum_days_rejects_a_bad_window_or_threshold():
    with pytest.raises(ValueError):
        minimum_days(15, length=0)
    with pytest.raises(ValueError):
        minimum_days(-1)


# has_migraine_features: ICHD-3 1.1 C (two of four) and D (nausea, or light and noise)


def test_two_pain_characteristics_with_nausea_make_a_migraine_episode():
    assert features(unilateral=True, pulsating=True, nausea_or_vomiting=True)


def test_one_pain_characteristic_is_not_enough():
    assert not features(unilateral=True, nausea_or_vomiting=True, photophobia=True)


def test_moderate_or_severe_intensity_counts_as_a_pain_characteristic():
    assert features("moderate", pulsating=True, nausea_or_vomiting=True)
    assert features("severe", worse_with_activity=True, nausea_or_vomiting=True)
    assert not features("mild", worse_with_activity=True, nausea_or_vomiting=True)


def test_light_sensitivity_alone_does_not_meet_criterion_d():
    assert not features("severe", unilateral=True, photophobia=True)
    assert not features("severe", unilateral=True, phonophobia=True)
    assert features("severe", unilateral=True, photophobia=True, phonophobia=True)


def test_accompanying_symptoms_without_pain_characteristics_are_not_migraine():
    assert not features(nausea_or_vomiting=True, photophobia=True, phonophobia=True)


def test_an_aura_counts_as_a_migraine_episode():
    assert features(aura=True)


def test_believed_migraine_relieved_by_a_triptan_or_ergot_counts_as_a_migraine_episode():
    # ICHD-3 1.3 C's third route (diary convention 3): both parts are needed.
    assert features(believed_migraine=True, relieved_by_triptan_or_ergot=True)
    assert not features(believed_migraine=True)
    assert not features(relieved_by_triptan_or_ergot=True)


def test_only_triptans_and_ergots_count_as_relieving_a_migraine():
    assert includes_triptan_or_ergot(["simple_analgesic", "triptan"])
    assert includes_triptan_or_ergot(["ergot"])
    assert not includes_triptan_or_ergot(["simple_analgesic", "opioid", "combination_analgesic"])


def test_every_combination_follows_c_and_d():
    names = ["unilateral", "pulsating", "worse_with_activity", "nausea_or_vomiting"]
    names += ["photophobia", "phonophobia"]
    for severity in ("mild", "moderate", "severe"):
        for values in product([False, True], repeat=6):
            on = dict(zip(names, values, strict=True))
            c = sum([on["unilateral"], on["pulsating"], on["worse_with_activity"]])
            c += severity != "mild"
            d = on["nausea_or_vomiting"] or (on["photophobia"] and on["phonophobia"])
            assert features(severity, **on) == (c >= 2 and d)


def test_an_unknown_severity_is_an_error():
    with pytest.raises(ValueError):
        features("agonising")


# month_counts: the window's three 30-day months


def _day(i, headache=True, migraine=False, classes=()):
    return DiaryDay(START + timedelta(days=i), headache, migraine, frozenset(classes))


def test_a_90_day_window_has_three_30_day_months():
    months = month_counts([], start=START)
    assert [(m.first_day, m.last_day, m.length) for m in months] == [
        (date(2024, 1, 1), date(2024, 1, 30), 30),
        (date(2024, 1, 31), date(2024, 2, 29), 30),
        (date(2024, 3, 1), date(2024, 3, 30), 30),
    ]
    assert all(m.headache_days == 0 and m.acute_medication_days == 0 for m in months)
    assert set(months[0].medication_days) == set(MEDICATION_CLASSES)


def test_days_are_counted_in_their_own_month():
    days = [
        _day(0, migraine=True, classes={TRIPTAN}),
        _day(29, classes={TRIPTAN, SIMPLE_ANALGESIC}),
        _day(30),
        _day(89, headache=False),
    ]
    first, second, third = month_counts(days, start=START)
    assert (first.headache_days, first.migraine_days, first.acute_medication_days) == (2, 1, 2)
    assert first.medication_days[TRIPTAN] == 2
    assert first.medication_days[SIMPLE_ANALGESIC] == 1
    assert (second.headache_days, third.headache_days) == (1, 0)


def test_months_add_up_to_the_summary():
    days = [
        _day(i, migraine=i % 3 == 0, classes={TRIPTAN} if i % 2 else ()) for i in range(0, 90, 2)
    ]
    months = month_counts(days, start=START)
    summary = summarise(days, start=START)
    assert sum(m.headache_days for m in months) == summary.headache_days_total
    assert sum(m.migraine_days for m in months) == summary.migraine_days_total
    assert sum(m.acute_medication_days for m in months) == summary.acute_medication_days_total


def test_a_window_that_is_not_whole_months_ends_with_a_short_month():
    months = month_counts([_day(94)], start=START, length=95)
    assert [m.length for m in months] == [30, 30, 30, 5]
    assert months[-1].headache_days == 1


@pytest.mark.parametrize(
    "bad",
    [
        [_day(90)],
        [_day(-1)],
        [_day(3), _day(3)],
        [DiaryDay(START, headache=False, migraine=True)],
        [_day(1, classes={"paracetamol"})],
        [_day(1, classes={MULTIPLE_CLASSES})],
    ],
)
def test_month_counts_rejects_the_days_summarise_rejects(bad):
    with pytest.raises(ValueError):
        month_counts(bad, start=START)
