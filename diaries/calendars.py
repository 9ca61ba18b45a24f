"""Month calendars of a diary: the grid of weeks, each day with its shading and a text
alternative for screen readers. Plain Python over already-read rows; no queries."""

import calendar
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from diaries.models import DiaryEntry

# Short visible marks beside the colour, so severity is never shown by colour alone.
SEVERITY_MARKS = {"mild": "mild", "moderate": "mod", "severe": "sev"}
# The earliest month any calendar shows.
FIRST_MONTH = date(2000, 1, 1)


def first_month(earliest: date) -> date:
    """The first month a calendar going back to `earliest` shows (never before FIRST_MONTH)."""
    return max(earliest.replace(day=1), FIRST_MONTH)


@dataclass(frozen=True)
class CalendarDay:
    day: date
    # Shown as a day of this calendar: in its month, and in the period it shows when it has one
    # (a report's). Other days are blank cells.
    in_month: bool
    future: bool
    recorded: bool
    headache: bool
    migraine: bool
    severity: str
    medication: bool
    url: str | None
    # The day's pain score, 0-10, when one was recorded (chronic pain).
    pain_score: int | None = None
    # A patient cared for with chronic pain only: a day without a headache is not shown as a
    # good day ("clear"), only as filled in, and is described by its pain score.
    pain_first: bool = False
    # Not filled in and too long ago to fill in now (the patient's own calendar only).
    closed: bool = False

    @property
    def state(self) -> str:
        """The shading class suffix: severity, "clear" (headache-free), "recorded" (filled in,
        no headache, for a pain-first diary), "none", "closed" or "future"."""
        if self.future:
            return "future"
        if not self.recorded:
            return "closed" if self.closed else "none"
        if self.headache:
            return self.severity
        return "recorded" if self.pain_first else "clear"

    @property
    def mark(self) -> str:
        return SEVERITY_MARKS.get(self.severity, "") if self.headache else ""

    @property
    def pain(self) -> str:
        """The pain score's visible mark, e.g. "6/10", or "" when none was recorded."""
        return f"{self.pain_score}/10" if self.pain_score is not None else ""

    @property
    def description(self) -> str:
        """What a screen reader hears for the day, e.g. "severe headache, migraine, medicine
        taken, pain 6 out of 10"."""
        if self.future:
            return "in the future"
        if not self.recorded:
            return "not filled in, too long ago to fill in now" if self.closed else "not filled in"
        if not self.headache:
            parts = [] if self.pain_first and self.pain_score is not None else ["no headache"]
        else:
            parts = [f"{self.severity} headache"]
            if self.migraine:
                parts.append("migraine")
        if self.medication:
            parts.append("medicine taken")
        if self.pain_score is not None:
            parts.append(f"pain {self.pain_score} out of 10")
        return ", ".join(parts)


@dataclass(frozen=True)
class CalendarMonth:
    first: date
    weeks: list[list[CalendarDay]]
    previous: date | None
    next: date | None

    @property
    def title(self) -> str:
        return f"{self.first:%B %Y}"

    @property
    def recorded_days(self) -> list[CalendarDay]:
        return [d for week in self.weeks for d in week if d.in_month and d.recorded]

    @property
    def pain_scored(self) -> bool:
        """Whether any day of the month has a pain score (the key then explains the mark)."""
        return any(d.pain_score is not None for d in self.recorded_days)

    @property
    def has_closed_days(self) -> bool:
        """Whether any day of the month is too long ago to fill in (the key then explains it)."""
        return any(day.state == "closed" for week in self.weeks for day in week)

    @property
    def headache_days(self) -> int:
        return sum(d.headache for d in self.recorded_days)

    @property
    def medication_days(self) -> int:
        return sum(d.medication for d in self.recorded_days)


def month_end(day: date) -> date:
    """The last day of `day`'s month."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def months_between(first: date, last: date) -> list[tuple[int, int]]:
    """(year, month) pairs from `first`'s month to `last`'s month inclusive."""
    months = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def month_grid(
    year: int,
    month: int,
    entries: Iterable[DiaryEntry],
    *,
    today: date,
    link_days: Callable[[date], str | None] | None = None,
    pain_first: bool = False,
    earliest: date = FIRST_MONTH,
    period: tuple[date, date] | None = None,
) -> CalendarMonth:
    """The weeks (Monday first) of `year`-`month` with each day's diary state.

    `entries` may include days outside the month. `link_days(day)` gives a day's link, or
    None for no link (e.g. days a patient can no longer change). There is no previous month
    before `earliest`'s month. With `period` (first, last day), days of the month outside it
    are left blank like the days of other months, so a report's calendar shows only its days.
    """
    by_day = {entry.day: entry for entry in entries}
    weeks = []
    for week in calendar.Calendar(firstweekday=calendar.MONDAY).monthdatescalendar(year, month):
        row = []
        for day in week:
            entry = by_day.get(day)
            in_month = day.month == month and (period is None or period[0] <= day <= period[1])
            url = link_days(day) if link_days and in_month and day <= today else None
            row.append(
                CalendarDay(
                    day=day,
                    in_month=in_month,
                    future=day > today,
                    recorded=entry is not None,
                    headache=bool(entry and entry.headache),
                    migraine=bool(entry and entry.migraine),
                    severity=entry.worst_severity if entry else "",
                    medication=bool(entry and entry.medication),
                    pain_score=entry.pain_score if entry else None,
                    pain_first=pain_first,
                    url=url,
                    closed=bool(link_days) and in_month and day <= today and url is None,
                )
            )
        weeks.append(row)
    first = date(year, month, 1)
    following = month_end(first) + timedelta(days=1)
    return CalendarMonth(
        first=first,
        weeks=weeks,
        previous=(
            (first - timedelta(days=1)).replace(day=1) if first > first_month(earliest) else None
        ),
        next=following if following <= today else None,
    )
