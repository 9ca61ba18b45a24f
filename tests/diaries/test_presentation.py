"""How the diary is shown: plain-English wording, clinician flags, calendar grid, chart."""

from datetime import date, timedelta
from types import SimpleNamespace

import pytest

from diaries import calendars, charts, rules, wording
from diaries.models import DiaryEntry

START = date(2024, 1, 1)


def _summary(*, headache=0, migraine=0, classes=None, recorded=90):
    classes = classes or {}
    days = []
    for i in range(recorded):
        taken = frozenset(name for name, n in classes.items() if i < n)
        days.append(
            rules.DiaryDay(
                START + timedelta(days=i), i < headache or bool(taken), i < migraine, taken
            )
        )
    return rules.summarise(days, start=START)


def test_the_triptan_warning_says_how_often_and_what_to_do():
    messages = wording.patient_messages(_summary(headache=33, classes={rules.TRIPTAN: 33}))
    (warning,) = messages.overuse
    assert "You took triptans on 11 days a month." in warning.text
    assert "Taking triptans on 10 or more days a month can make headaches worse" in warning.text
    assert "Talk to your care team" in warning.text


def test_simple_painkillers_warn_at_15_days_a_month_not_10():
    below = wording.patient_messages(_summary(classes={rules.SIMPLE_ANALGESIC: 44}))
    assert below.overuse == []
    (warning,) = wording.patient_messages(_summary(classes={rules.SIMPLE_ANALGESIC: 45})).overuse
    assert "on 15 days a month" in warning.text and "15 or more days" in warning.text


def test_several_kinds_of_medicine_are_warned_about_together():
    summary = _summary(classes={rules.SIMPLE_ANALGESIC: 20, rules.OPIOID: 0})
    days = [
        rules.DiaryDay(START + timedelta(days=i), True, False, frozenset({rules.SIMPLE_ANALGESIC}))
        for i in range(20)
    ] + [
        rules.DiaryDay(START + timedelta(days=i), True, False, frozenset({rules.OPIOID}))
        for i in range(20, 30)
    ]
    summary = rules.summarise(days, start=START)
    (warning,) = wording.patient_messages(summary).overuse
    assert "more than one kind on 10 days a month in total" in warning.text
    (flag,) = wording.clinician_flags(summary)
    assert flag.code == "ICHD-3 8.2 B"


def test_the_medicine_table_adds_a_total_row_when_more_than_one_kind_was_taken():
    one_kind = [
        rules.DiaryDay(START + timedelta(days=i), True, False, frozenset({rules.OPIOID}))
        for i in range(5)
    ]
    days = one_kind + [
        rules.DiaryDay(START + timedelta(days=i), True, False, frozenset({rules.SIMPLE_ANALGESIC}))
        for i in range(5, 30)
    ]
    for sample, totalled in ((one_kind, False), (days, True)):
        window = SimpleNamespace(
            summary=rules.summarise(sample, start=START),
            months=rules.month_counts(sample, start=START, length=90),
        )
        rows = wording.class_rows(window)
        assert (rows[-1].name == "All kinds together") is totalled
    (together,) = [row for row in rows if row.name == "All kinds together"]
    assert (together.per_month, together.total, together.limit) == ([30, 0, 0], 30, 10)
    assert together.overused and not any(row.overused for row in rows[:-1])
    # With one kind over its own limit too, the days together are still marked.
    triptans = [
        rules.DiaryDay(START + timedelta(days=i), True, False, frozenset({rules.TRIPTAN}))
        for i in range(30, 60)
    ]
    both = SimpleNamespace(
        summary=rules.summarise(days + triptans, start=START),
        months=rules.month_counts(days + triptans, start=START, length=90),
    )
    rows = wording.class_rows(both)
    assert [row.name for row in rows if row.overused] == ["Triptans", "All kinds together"]
    # The patient's own pages name them as the warnings above the table do.
    mine = wording.class_rows(both, for_patient=True)
    assert [row.name for row in mine][:3] == [
        "Simple painkillers",
        "Triptans",
        "Opioid painkillers",
    ]
    assert [row.name for row in rows][:3] == ["Simple analgesics", "Triptans", "Opioids"]


def test_rates_are_shown_to_two_decimal_places_without_rounding_up():
    assert wording.rate(44 / 3) == "14.67"
    assert wording.rate(15.0) == "15"
    assert wording.rate(12.5) == "12.5"


def test_chronic_migraine_is_described_as_meeting_diary_criteria():
    summary = _summary(headache=45, migraine=24)
    messages = wording.patient_messages(summary)
    assert "meets the diary criteria for chronic migraine" in messages.chronic_migraine
    (flag,) = wording.clinician_flags(summary)
    assert (flag.title, flag.code) == ("Meets diary criteria for chronic migraine", "ICHD-3 1.3")
    assert "Confirm criterion B" in flag.detail


def test_chronic_headache_without_enough_migraine_days_is_flagged_as_frequency_only():
    (flag,) = wording.clinician_flags(_summary(headache=45, migraine=23))
    assert flag.title == "Headache frequency meets diary criteria for chronic headache"
    assert flag.code == ""


def test_moh_codes_appear_only_with_chronic_headache():
    summary = _summary(headache=45, classes={rules.TRIPTAN: 30, rules.OPIOID: 30})
    titles = [(f.title, f.code) for f in wording.clinician_flags(summary)]
    assert (
        "Meets diary criteria for medication-overuse headache: triptans",
        "ICHD-3 8.2.2",
    ) in titles
    assert (
        "Meets diary criteria for medication-overuse headache: opioids",
        "ICHD-3 8.2.4",
    ) in titles
    for flag in wording.clinician_flags(summary):
        assert "diagnos" not in flag.title.lower() + flag.detail.lower()


def test_an_incomplete_diary_is_pointed_out():
    messages = wording.patient_messages(_summary(recorded=60))
    assert messages.completeness.startswith("You have filled in 60 of the 90 days.")
    assert wording.patient_messages(_summary()).completeness == ""


# Calendar grid


def _entry(day, **fields):
    values = {"headache": False, "migraine": False, "worst_severity": ""} | fields
    return DiaryEntry(day=day, **values)


def test_the_month_grid_starts_on_monday_and_marks_each_day():
    entries = [
        _entry(
            date(2025, 3, 3),
            headache=True,
            worst_severity="severe",
            migraine=True,
            took_triptan=True,
        ),
        _entry(date(2025, 3, 4)),
        _entry(date(2025, 3, 6), took_opioid=True, pain_score=4),
    ]
    month = calendars.month_grid(
        2025, 3, entries, today=date(2025, 3, 10), link_days=lambda d: f"/d/{d}"
    )
    first_week = month.weeks[0]
    assert [d.day.weekday() for d in first_week] == list(range(7))
    days = {d.day: d for week in month.weeks for d in week if d.in_month}
    assert days[date(2025, 3, 3)].state == "severe"
    assert days[date(2025, 3, 3)].mark == "sev"
    assert days[date(2025, 3, 3)].description == "severe headache, migraine, medicine taken"
    assert days[date(2025, 3, 4)].state == "clear"
    assert days[date(2025, 3, 5)].description == "not filled in"
    # A medicine taken apart from a headache is said on a headache-free day too.
    assert days[date(2025, 3, 6)].description == "no headache, medicine taken, pain 4 out of 10"
    assert days[date(2025, 3, 11)].state == "future"
    assert days[date(2025, 3, 11)].url is None
    assert days[date(2025, 3, 10)].url == "/d/2025-03-10"
    assert (month.previous, month.next) == (date(2025, 2, 1), None)
    assert (month.headache_days, month.medication_days) == (1, 2)


def test_months_between_crosses_the_year():
    assert calendars.months_between(date(2024, 11, 20), date(2025, 2, 1)) == [
        (2024, 11),
        (2024, 12),
        (2025, 1),
        (2025, 2),
    ]
    assert calendars.month_end(date(2024, 2, 10)) == date(2024, 2, 29)


# Chart


def test_the_chart_scales_bars_to_a_30_day_month():
    months = rules.month_counts(
        [rules.DiaryDay(START + timedelta(days=i), True, i < 15, frozenset()) for i in range(30)],
        start=START,
    )
    chart = charts.month_bar_chart(months)
    assert len(chart.bars) == 9 and len(chart.groups) == 3
    headache, migraine, medication = chart.bars[:3]
    assert headache.height == pytest.approx(chart.baseline_y - chart.ticks[-1].y)
    assert migraine.height == pytest.approx(headache.height / 2, abs=0.2)
    assert medication.height == 0
    assert chart.chronic_line_y == pytest.approx(chart.baseline_y - headache.height / 2, abs=0.2)


def test_patients_read_rates_as_whole_numbers_that_never_reach_a_limit_they_are_below():
    assert wording.patient_rate(15.0) == "15"
    assert wording.patient_rate(44 / 3) == "more than 14"
    assert wording.patient_rate(35 / 3) == "more than 11"
    assert wording.patient_rate(1 / 3) == "less than 1"
    assert wording.patient_rate(0) == "0"
    # With the unit, one day is a day.
    assert wording.patient_days_rate(1 / 3) == "less than 1 day"
    assert wording.patient_days_rate(1.0) == "1 day"
    assert wording.patient_days_rate(4 / 3) == "more than 1 day"
    assert wording.patient_days_rate(11.0) == "11 days"
    assert "That is less than 1 day a month on average." in (
        wording.patient_messages(_summary(headache=1)).headache
    )
    messages = wording.patient_messages(_summary(headache=46, classes={rules.TRIPTAN: 31}))
    assert "That is more than 15 days a month on average." in messages.headache
    (warning,) = messages.overuse
    assert "You took triptans on more than 10 days a month." in warning.text


def _day_words(**values):
    day = {
        "headache": False,
        "headaches": 0,
        "worst": "",
        "migraine": False,
        "medication": False,
        "pain_score": None,
    }
    return wording.day_in_words(**{**day, **values})


def test_a_day_is_worded_by_its_headaches_and_the_worst_of_them():
    assert _day_words(headache=True, headaches=1, worst="Mild") == "1 headache, worst mild"
    assert (
        _day_words(headache=True, headaches=2, worst="Moderate", migraine=True, medication=True)
        == "2 headaches, worst moderate, with migraine symptoms, medicine taken"
    )
    assert _day_words() == "no headache"
    assert (
        _day_words(medication=True, pain_score=0) == "no headache, medicine taken, pain 0 out of 10"
    )


def test_a_pain_first_day_without_a_headache_is_worded_by_its_pain_score():
    assert _day_words(pain_score=3, pain_first=True) == "pain 3 out of 10"
    assert _day_words(pain_score=3, medication=True, pain_first=True) == (
        "medicine taken, pain 3 out of 10"
    )
    # No score: "no headache" is still said, so the day is not described as nothing.
    assert _day_words(pain_first=True) == "no headache"
