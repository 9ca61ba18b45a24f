from datetime import date
from decimal import Decimal

import pytest

from pathway.dashboard.rules import (
    Period,
    csv_safe,
    custom_period_problems,
    months_in,
    period_for,
    publish_count,
    publish_percentage,
    publish_statistic,
    runs_past_month_of,
)


@pytest.mark.parametrize(
    ("count", "shown"),
    [
        (0, "0"),
        (1, "*"),
        (7, "*"),
        (8, "10"),
        (12, "10"),
        (13, "15"),
        (17, "15"),
        (18, "20"),
        (100, "100"),
        (102, "100"),
        (103, "105"),
    ],
)
def test_it_suppresses_one_to_seven_and_rounds_the_rest_to_five(count, shown):
    assert publish_count(count) == shown


def test_it_refuses_a_negative_count():
    with pytest.raises(ValueError):
        publish_count(-1)


@pytest.mark.parametrize(
    ("numerator", "denominator", "shown"),
    [
        (0, 0, "–"),
        (3, 20, "*"),
        (10, 7, "*"),
        (0, 20, "0.0%"),
        (8, 20, "50.0%"),  # shown as 10 of 20
        (20, 30, "66.7%"),
        (30, 30, "100.0%"),
        # The rest of the total is a count too: 14 of 15 is not published as 100%.
        (14, 15, "*"),
        (8, 10, "*"),
        (12, 13, "*"),
        (23, 30, "*"),
        (22, 30, "66.7%"),
    ],
)
def test_a_percentage_on_a_suppressed_count_is_suppressed(numerator, denominator, shown):
    assert publish_percentage(numerator, denominator) == shown


def test_a_percentage_of_records_of_few_people_is_suppressed():
    assert publish_percentage(10, 20, people=7) == "*"
    assert publish_percentage(10, 20, people=8) == "50.0%"


@pytest.mark.parametrize(
    ("numerator", "denominator", "shown"),
    [
        (11, 165, "6.1%"),  # 10 of 165: "6.6%" would say 11
        (10, 54, "18.2%"),  # 10 of 55: "18.5%" would say 54
        (22, 33, "57.1%"),  # 20 of 35: "66.7%" would say 22 of 33
    ],
)
def test_a_percentage_is_worked_out_from_the_rounded_counts_it_is_shown_beside(
    numerator, denominator, shown
):
    assert publish_percentage(numerator, denominator) == shown


def test_a_percentage_never_goes_over_100_or_below_0():
    for denominator in range(8, 200):
        for numerator in range(0, denominator + 1):
            shown = publish_percentage(numerator, denominator)
            if shown != "*":
                assert 0 <= Decimal(shown.rstrip("%")) <= 100


def test_a_statistic_over_few_people_is_suppressed():
    assert publish_statistic(12.345, 7) == "*"
    assert publish_statistic(12.345, 8) == "12.3"
    assert publish_statistic(None, 0) == "–"


def test_financial_quarters_and_years_follow_the_nhs_year():
    q = period_for("quarter", today=date(2026, 11, 22))
    assert (q.start, q.end, q.label) == (date(2026, 10, 1), date(2027, 1, 1), "Q3 2026/27")
    q4 = period_for("quarter", today=date(2027, 2, 1))
    assert (q4.start, q4.end, q4.label) == (date(2027, 1, 1), date(2027, 4, 1), "Q4 2026/27")
    year = period_for("year", today=date(2027, 3, 31))
    assert (year.start, year.end) == (date(2026, 4, 1), date(2027, 4, 1))
    month = period_for("month", today=date(2026, 2, 10))
    assert (month.start, month.end) == (date(2026, 2, 1), date(2026, 3, 1))


def test_a_custom_period_includes_its_end_date_and_rejects_bad_ranges():
    custom = period_for(
        "custom", today=date(2026, 1, 1), start=date(2026, 1, 1), end=date(2026, 1, 31)
    )
    assert custom.days == 31
    assert custom.label == "January 2026"
    with pytest.raises(ValueError, match="on or after"):
        period_for("custom", today=date(2026, 3, 1), start=date(2026, 2, 1), end=date(2026, 1, 1))
    with pytest.raises(ValueError):
        period_for("fortnight", today=date(2026, 1, 1))


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("+1+1", "'+1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("-12.5", "-12.5"),
        ("Practice A", "Practice A"),
        (None, ""),
        (5, "5"),
    ],
)
def test_csv_cells_cannot_start_a_formula(value, safe):
    assert csv_safe(value) == safe


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2026, 11, 1), date(2026, 11, 30)),
        (date(2026, 11, 22), date(2026, 11, 22)),
        (date(2026, 11, 2), date(2026, 11, 27)),
    ],
)
def test_a_custom_period_covers_whole_months_so_days_cannot_be_told_apart(start, end):
    period = period_for("custom", today=date(2026, 12, 4), start=start, end=end)
    assert (period.start, period.end, period.last_day, period.label) == (
        date(2026, 11, 1),
        date(2026, 12, 1),
        date(2026, 11, 30),
        "November 2026",
    )


def test_a_custom_period_over_several_months_runs_from_the_first_to_the_last_day():
    period = period_for(
        "custom", today=date(2026, 12, 4), start=date(2025, 12, 15), end=date(2026, 2, 3)
    )
    assert (period.start, period.end) == (date(2025, 12, 1), date(2026, 3, 1))
    assert period.label == "December 2025 to February 2026"


def test_months_in_a_period_stop_at_this_month():
    today = date(2026, 12, 4)
    year = period_for("year", today=today)
    months = months_in(year, today=today)
    assert months[0] == date(2026, 4, 1)
    assert months[-1] == date(2026, 12, 1)
    assert len(months) == 9
    past = period_for(
        "custom", today=date(2026, 12, 4), start=date(2025, 11, 30), end=date(2026, 2, 1)
    )
    assert months_in(past, today=date(2026, 12, 4)) == [
        date(2025, 11, 1),
        date(2025, 12, 1),
        date(2026, 1, 1),
        date(2026, 2, 1),
    ]
    # A period still to come (no custom period may start after this month, but months_in is
    # not the place that refuses one).
    future = Period(date(2027, 1, 1), date(2027, 4, 1), "January 2027 to March 2027")
    assert months_in(future, today=date(2026, 12, 4)) == []


def test_custom_period_problems_name_the_date_that_is_wrong():
    today = date(2026, 12, 4)
    assert custom_period_problems(None, None, today=today) == [
        ("start", "Enter a start date"),
        ("end", "Enter an end date"),
    ]
    assert custom_period_problems(date(2026, 2, 1), date(2026, 1, 1), today=today) == [
        ("end", "The end date must be on or after the start date")
    ]
    assert custom_period_problems(date(2020, 1, 1), date(2026, 1, 1), today=today) == [
        (
            "end",
            "Choose a period of 5 years or less: figures cover whole months, so these dates "
            "cover January 2020 to January 2026 (73 months)",
        )
    ]
    assert custom_period_problems(date(2026, 1, 1), date(2026, 1, 1), today=today) == []
    assert custom_period_problems(date(1, 1, 1), date(1, 12, 31), today=today) == [
        ("start", "The start date must be on or after 1 January 2000")
    ]
    assert custom_period_problems(date(2000, 1, 1), date(2000, 12, 31), today=today) == []
    # Ending up to the month a year ahead (366 days) ends, as figures run to the end of the
    # end date's month, and never the last day a date can hold.
    assert custom_period_problems(date(2026, 4, 1), date(2027, 12, 31), today=today) == []
    assert custom_period_problems(date(2026, 4, 1), date(2028, 1, 1), today=today) == [
        ("end", "The end date must be in December 2027 or earlier")
    ]
    assert custom_period_problems(date(9999, 12, 31), date(9999, 12, 31), today=today) == [
        (
            "start",
            "The start date must be in December 2026 or earlier: a period that has not started "
            "yet has no figures",
        ),
        ("end", "The end date must be in December 2027 or earlier"),
    ]
    with pytest.raises(ValueError, match="Enter an end date"):
        period_for("custom", today=date(2026, 12, 4), start=date(2026, 1, 1))


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (date(2021, 12, 31), date(2026, 12, 31), 61),  # five years to the day, 61 months
        (date(2021, 12, 1), date(2026, 11, 1), 60),
        (date(2022, 1, 1), date(2026, 12, 31), 60),
        (date(2021, 12, 31), date(2026, 11, 30), 60),
        (date(2021, 11, 30), date(2026, 12, 1), 62),
    ],
)
def test_the_five_year_limit_is_checked_on_the_whole_months_the_period_covers(start, end, months):
    today = date(2026, 12, 5)
    problems = custom_period_problems(start, end, today=today)
    if months <= 60:
        assert problems == []
        period = period_for("custom", today=today, start=start, end=end)
        assert (
            period.end.year - period.start.year
        ) * 12 + period.end.month - period.start.month == (months)
    else:
        assert problems == [
            (
                "end",
                "Choose a period of 5 years or less: figures cover whole months, so these dates "
                f"cover {start:%B %Y} to {end:%B %Y} ({months} months)",
            )
        ]
        with pytest.raises(ValueError, match="5 years or less"):
            period_for("custom", today=today, start=start, end=end)


def test_a_custom_period_that_has_not_started_is_refused():
    today = date(2026, 12, 5)
    not_started = (
        "start",
        "The start date must be in December 2026 or earlier: a period that has not started yet "
        "has no figures",
    )
    assert custom_period_problems(date(2027, 1, 1), date(2027, 6, 30), today=today) == [not_started]
    with pytest.raises(ValueError, match="has not started"):
        period_for("custom", today=today, start=date(2027, 1, 1), end=date(2027, 6, 30))
    # Any day of this month starts the period on the 1st, which has passed.
    assert custom_period_problems(date(2026, 12, 31), date(2027, 6, 30), today=today) == []
    assert period_for(
        "custom", today=today, start=date(2026, 12, 31), end=date(2027, 6, 30)
    ).start == date(2026, 12, 1)
    # On the 1st of a month, that month has started.
    assert (
        custom_period_problems(date(2027, 1, 31), date(2027, 1, 31), today=date(2027, 1, 1)) == []
    )


@pytest.mark.parametrize(
    ("start", "end", "runs_past"),
    [
        # Ending this month (the period's end is the 1st of the next): nothing still to come.
        (date(2026, 10, 1), date(2026, 12, 31), False),
        (date(2026, 12, 1), date(2026, 12, 1), False),
        # Ending next month or later: its later months have no data yet.
        (date(2026, 10, 1), date(2027, 1, 1), True),
        (date(2026, 4, 1), date(2027, 3, 31), True),
    ],
)
def test_a_period_runs_past_this_month_when_it_ends_in_a_later_one(start, end, runs_past):
    today = date(2026, 12, 31)
    period = period_for("custom", today=today, start=start, end=end)
    assert runs_past_month_of(period, today=today) is runs_past
    # Whatever day of the month today is.
    assert runs_past_month_of(period, today=date(2026, 12, 1)) is runs_past
