"""Links for the rows of long lists: one reverse() per list, not one per row.

reverse() with a namespace costs tens of microseconds, so a page of 25 rows with a link or two
each spends more on it than on its queries. `uuid_link` reverses the pattern once with a marker
UUID in the row's place and fills each row's UUID in by joining strings: the same URL reverse()
gives, since a UUID's text (hex digits and hyphens) is never quoted. `date_link` does the same
for a date written as YYYY-MM-DD (the diary's `diarydate` converter).
"""

import uuid
from collections.abc import Callable
from datetime import date

from django.urls import reverse

# Stand in for the row's UUID or date while the pattern is reversed; never a real record's.
MARKER = uuid.UUID(int=0)
MARKER_DAY = date(1, 1, 1)


def uuid_link(viewname: str, kwarg: str, **kwargs) -> Callable[[uuid.UUID | str], str]:
    """A function giving `reverse(viewname, kwargs={kwarg: value, **kwargs})` for each value.
    Raises NoReverseMatch at once, as reverse() would, for a name or argument that does not
    match; a value that is not a UUID raises ValueError."""
    url = reverse(viewname, kwargs={kwarg: MARKER, **kwargs})
    head, marker, tail = url.partition(str(MARKER))
    if not marker or str(MARKER) in tail:
        raise ValueError(f"{viewname}: the UUID is not in the URL exactly once")

    def link(value: uuid.UUID | str) -> str:
        value = value if isinstance(value, uuid.UUID) else uuid.UUID(value)
        return f"{head}{value}{tail}"

    return link


def date_link(viewname: str, kwarg: str, **kwargs) -> Callable[[date], str]:
    """A function giving `reverse(viewname, kwargs={kwarg: day, **kwargs})` for each day, for
    a pattern whose converter writes a date as YYYY-MM-DD (digits and hyphens, never quoted).
    Raises NoReverseMatch at once, as reverse() would, for a name or argument that does not
    match."""
    url = reverse(viewname, kwargs={kwarg: MARKER_DAY, **kwargs})
    text = MARKER_DAY.isoformat()
    head, marker, tail = url.partition(text)
    if not marker or text in tail:
        raise ValueError(f"{viewname}: the date is not in the URL exactly once")

    def link(day: date) -> str:
        return f"{head}{day.isoformat()}{tail}"

    return link
