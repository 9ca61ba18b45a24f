"""Links for the rows of long lists: one reverse() per list, not one per row.

reverse() with a namespace costs tens of microseconds, so a page of 25 rows with a link or two
each spends more on it than on its queries. `uuid_link` reverses the pattern once with a marker
UUID in the row's place and fills each row's UUID in by joining strings: the same URL reverse()
gives, since a UUID's text (hex digits and hyphens) is never quoted.
"""

import uuid
from collections.abc import Callable

from django.urls import reverse

# Stands in for the row's UUID while the pattern is reversed; never a real record's.
MARKER = uuid.UUID(int=0)


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
