"""A person's age, for every app's rules (pure: no database)."""

from datetime import date


def age_in_years(date_of_birth: date, on: date) -> int:
    """Return the age in completed years on the date `on` (a birthday counts from that day;
    29 February birthdays count from 1 March in other years).

    Raises ValueError when the date of birth is after `on`.
    """
    if date_of_birth > on:
        raise ValueError("The date of birth is after the date the age is wanted for.")
    had_birthday = (on.month, on.day) >= (date_of_birth.month, date_of_birth.day)
    return on.year - date_of_birth.year - (0 if had_birthday else 1)
