"""Diary figures (migraine and headache days a month) as exact numbers, their 0-31 range, and
chronic headache and chronic migraine (clinical-rules.md sections 8 and 10).

Thresholds are compared exactly: numbers are turned into fractions through their decimal text, so
a 50.0% reduction is exactly 50% and never 49.999...% from binary floating point.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from fractions import Fraction

from pathway.ichd3 import CHRONIC_HEADACHE_DAYS_PER_MONTH, CHRONIC_MIGRAINE_DAYS_PER_MONTH

# clinical-rules.md sections 8 and 10: chronic = headache on >=15 days/month with >=8 migraine.
CHRONIC_HEADACHE_DAYS = CHRONIC_HEADACHE_DAYS_PER_MONTH
CHRONIC_MIGRAINE_DAYS = CHRONIC_MIGRAINE_DAYS_PER_MONTH
# A month holds at most 31 calendar days; figures outside 0-31 days a month are input errors.
MAX_DAYS_PER_MONTH = 31


def exact(value: int | float | Decimal | Fraction | str, name: str = "value") -> Fraction:
    """Return `value` as an exact fraction, reading floats through their shortest decimal text.
    Raises ValueError for booleans, non-numbers, NaN and infinities."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number.")
    if isinstance(value, Fraction | int):
        return Fraction(value)
    try:
        decimal = Decimal(str(value)) if isinstance(value, float | str) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError(f"{name} must be a number.") from None
    if not decimal.is_finite():
        raise ValueError(f"{name} must be a finite number.")
    return Fraction(decimal)


def _days_per_month(value, name: str) -> Fraction:
    days = exact(value, name)
    if not 0 <= days <= MAX_DAYS_PER_MONTH:
        raise ValueError(f"{name} must be between 0 and {MAX_DAYS_PER_MONTH} days a month.")
    return days


def unrounded(days: Fraction) -> Fraction:
    """Return a days-a-month figure as the diary rate it was rounded from.

    Diary rates are a 90-day count divided by 3, shown to 2 decimal places (clinical-rules.md
    section 8, diary conventions 1 and 2), so 40 migraine days in 90 reads 13.33 and 20 reads
    6.67. Compared as typed, 13.33 falling to 6.67 is a 49.96% reduction, not the 50% the
    diaries show, and a response exactly at the threshold would be judged as not met. A figure
    within rounding (0.005) of a third or two thirds past a whole number is read as that
    fraction; any other figure is exact as entered. A whole-number threshold is never crossed:
    such a figure and the fraction it is read as lie between the same two whole numbers.
    """
    thirds = round(days * 3)
    if thirds % 3 and abs(days * 3 - thirds) <= Fraction(3, 200):
        return Fraction(thirds, 3)
    return days


def is_chronic(headache_days_per_month) -> bool:
    """Chronic when headache days are at least 15 a month (NICE TA definition; clinical-rules.md
    section 10: "decided from the baseline diary")."""
    return _days_per_month(headache_days_per_month, "Headache days") >= CHRONIC_HEADACHE_DAYS


def is_chronic_migraine(headache_days_per_month, migraine_days_per_month) -> bool:
    """Chronic migraine: headache on at least 15 days a month, at least 8 with migraine."""
    migraine = _days_per_month(migraine_days_per_month, "Migraine days")
    return is_chronic(headache_days_per_month) and migraine >= CHRONIC_MIGRAINE_DAYS
