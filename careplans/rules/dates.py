"""Dates set on a plan's rows: when a "by when" is acceptable."""

from __future__ import annotations

from datetime import date

BY_WHEN_IN_THE_PAST = "The date in 'By when' must be today or later."


def by_when_problem(*, due_on: date | None, saved: date | None, today: date) -> str | None:
    """Return what is wrong with a responsibility's "by when" date, or None if it will do.

    A date set or changed now must be today or later: a deadline already passed when it is
    agreed is a typing mistake. A date kept as it was saved (a row carried into a new version,
    or a draft saved earlier) stays acceptable after it passes, so an overdue action can be
    kept on the plan while the rest of the draft is edited.
    """
    if due_on is None or due_on == saved or due_on >= today:
        return None
    return BY_WHEN_IN_THE_PAST
