"""Pure rules for publishing aggregate figures: small-number suppression, rounding, periods.

DESIGN.md section 7: counts of 1-7 show as `*`, other counts round to the nearest 5, and a
percentage (or mean, median) built on a suppressed count is suppressed too. A percentage is
worked out from the rounded counts it is shown beside, so that it cannot be used to undo their
rounding (14 of 15 shown as "15, 93.3%" would give the 14 away). The rest of its total (those
not counted: the waits over target beside the share within it) is a count it is built on as
well, so a percentage whose rest is small is suppressed: 8 of 10 within target would otherwise
be published as "10 of 10, 100.0%" while 2 patients waited longer.
"""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

SUPPRESSED = "*"
# Nothing to work a figure out from: a share of no referrals, a mean over no patients.
NO_DATA = "–"
# A figure that has no meaning in its place (the rate of a total): shown as a dash like
# NO_DATA, and said differently to a screen reader (templates/dashboard/tables.html).
NOT_APPLICABLE = "not applicable"
# Counts from 1 to this value could identify a person (DESIGN.md section 7).
SMALL_NUMBER_MAX = 7
ROUND_TO = 5


def is_small(count: int) -> bool:
    return 1 <= count <= SMALL_NUMBER_MAX


def rounded_count(count: int) -> int:
    """A count of 8 or more rounded to the nearest 5 (halves up), as it is published."""
    return int((Decimal(count) / ROUND_TO).quantize(Decimal(1), rounding=ROUND_HALF_UP) * ROUND_TO)


def publish_count(count: int | None) -> str:
    """A count as shown to commissioners: '0', '*' for 1-7, otherwise rounded to the nearest 5."""
    if count is None or count < 0:
        raise ValueError("a count must be a whole number of 0 or more")
    if count == 0:
        return "0"
    if is_small(count):
        return SUPPRESSED
    return str(rounded_count(count))


def publish_percentage(numerator: int, denominator: int, *, people: int | None = None) -> str:
    """numerator/denominator as a percentage to one decimal place, worked out from the counts as
    published (each rounded to the nearest 5), never from the true counts, which it would give
    away. Rounding keeps the order of two counts, so it never goes over 100%.

    Suppressed when either count or the rest (denominator - numerator) is small, so a share
    shown as 0% or 100% is exactly that, or when the counts are of records (episodes) that
    belong to a small number of `people`; NO_DATA ('–') when the denominator is 0.
    """
    if denominator == 0:
        return NO_DATA
    counts = (numerator, denominator, denominator - numerator)
    if any(is_small(count) for count in counts) or (people is not None and is_small(people)):
        return SUPPRESSED
    value = Decimal(rounded_count(numerator) * 100) / Decimal(rounded_count(denominator))
    return f"{value.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


def publish_statistic(value: float | Decimal | None, n: int, places: int = 1) -> str:
    """A mean, median or other summary over `n` people: suppressed when n is small, NO_DATA
    ('–') when there is nothing to summarise."""
    if n == 0 or value is None:
        return NO_DATA
    if is_small(n):
        return SUPPRESSED
    quantum = Decimal(1).scaleb(-places)
    return str(Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Period:
    """A half-open date range [start, end) with a label."""

    start: date
    end: date
    label: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)


def months_in(period: Period, *, today: date) -> list[date]:
    """The first day of each month the period covers, up to the month of `today` (a month
    still to come has nothing to count yet)."""
    last = min(period.end - timedelta(days=1), today)
    months = []
    month = period.start.replace(day=1)
    while month <= last:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def runs_past_month_of(period: Period, *, today: date) -> bool:
    """Whether `period` goes on past the end of `today`'s month, into months that have no
    data yet (a custom period may end up to LATEST_DAYS_AHEAD days ahead)."""
    following = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    return period.end > following


# A custom period may run on past today (a financial year to come), but not beyond this.
LATEST_DAYS_AHEAD = 366
# Nor start before this: the service holds nothing older, and a year such as 0001 or 1026 is a
# slip of the keyboard that would otherwise read as a real (empty) period.
EARLIEST_DATE = date(2000, 1, 1)
# The longest custom period, in the whole months it covers once widened (5 years).
LONGEST_MONTHS = 60


def _first_of_month(day: date) -> date:
    return day.replace(day=1)


def _months_covered(start: date, end: date) -> int:
    """How many calendar months a period from `start` to `end` covers once widened to whole
    months (both months counted)."""
    return (end.year - start.year) * 12 + end.month - start.month + 1


def custom_period_problems(
    start: date | None, end: date | None, *, today: date
) -> list[tuple[str, str]]:
    """What is wrong with the dates of a custom period, as (which date, message) pairs: "start"
    or "end". Empty when both are given, in order, starting no earlier than EARLIEST_DATE and
    no later than `today`'s month (a period that has not started has no figures yet), ending no
    later than the month LATEST_DAYS_AHEAD days after `today`, and covering LONGEST_MONTHS
    whole months at most once widened to whole months (as `period_for` widens them)."""
    problems = []
    latest = today + timedelta(days=LATEST_DAYS_AHEAD)
    if start is None:
        problems.append(("start", "Enter a start date"))
    elif start < EARLIEST_DATE:
        problems.append(("start", f"The start date must be on or after {EARLIEST_DATE:%-d %B %Y}"))
    elif _first_of_month(start) > today:
        # Figures start on the 1st of the start date's month: any day of this month will do.
        problems.append(
            (
                "start",
                f"The start date must be in {today:%B %Y} or earlier: a period that has not "
                "started yet has no figures",
            )
        )
    if end is None:
        problems.append(("end", "Enter an end date"))
    elif _first_of_month(end) > _first_of_month(latest):
        # Figures run to the end of the end date's month: checked on that month, so a date
        # allowed is never widened past the limit.
        problems.append(("end", f"The end date must be in {latest:%B %Y} or earlier"))
    if problems:
        return problems
    if end < start:
        problems.append(("end", "The end date must be on or after the start date"))
    elif (months := _months_covered(start, end)) > LONGEST_MONTHS:
        # Checked on the whole months shown, not the dates typed: 31 December 2021 to
        # 31 December 2026 is five years to the day, but covers December 2021 to December 2026.
        problems.append(
            (
                "end",
                "Choose a period of 5 years or less: figures cover whole months, so these dates "
                f"cover {start:%B %Y} to {end:%B %Y} ({months} months)",
            )
        )
    return problems


def period_for(
    kind: str, *, today: date, start: date | None = None, end: date | None = None
) -> Period:
    """The reporting period of `kind` ('month', 'quarter', 'year', 'custom') containing `today`
    (or, for custom, the whole months from `start`'s to `end`'s). Raises ValueError for
    anything else."""
    if kind == "month":
        first = today.replace(day=1)
        last = calendar.monthrange(today.year, today.month)[1]
        return Period(first, first.replace(day=last) + timedelta(days=1), first.strftime("%B %Y"))
    if kind == "quarter":
        # NHS financial quarters: Q1 April-June, Q2 July-September, Q3 October-December,
        # Q4 January-March.
        fy_start_year = today.year if today.month >= 4 else today.year - 1
        index = ((today.month - 4) % 12) // 3
        start_month = 4 + 3 * index
        year = fy_start_year + (start_month - 1) // 12
        month = (start_month - 1) % 12 + 1
        first = date(year, month, 1)
        end_month = month + 3
        end_first = date(year + (end_month - 1) // 12, (end_month - 1) % 12 + 1, 1)
        label = f"Q{index + 1} {fy_start_year}/{str(fy_start_year + 1)[2:]}"
        return Period(first, end_first, label)
    if kind == "year":
        fy_start_year = today.year if today.month >= 4 else today.year - 1
        return Period(
            date(fy_start_year, 4, 1),
            date(fy_start_year + 1, 4, 1),
            f"{fy_start_year}/{str(fy_start_year + 1)[2:]}",
        )
    if kind == "custom":
        problems = custom_period_problems(start, end, today=today)
        if problems:
            raise ValueError(problems[0][1])
        # Whole months only: with periods a day apart, comparing their published (suppressed
        # and rounded) counts would give back each day's small numbers.
        first = _first_of_month(start)
        following = (_first_of_month(end) + timedelta(days=32)).replace(day=1)
        last_month = following - timedelta(days=1)
        label = (
            f"{first:%B %Y}"
            if (first.year, first.month) == (end.year, end.month)
            else f"{first:%B %Y} to {last_month:%B %Y}"
        )
        return Period(first, following, label)
    raise ValueError(f"Unknown period {kind!r}")


def csv_safe(value) -> str:
    """A cell for CSV export that spreadsheet programs will not run as a formula."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "@", "\t", "\r"):
        return "'" + text
    if text[:1] == "-":
        # A negative number is data; anything else starting with a minus could be a formula.
        try:
            float(text)
        except ValueError:
            return "'" + text
    return text
