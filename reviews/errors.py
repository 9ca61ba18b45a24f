"""Domain errors raised by reviews services. Views show `str(error)` to the user as it is, so
every message is written for the person who caused it."""


class ReviewsError(Exception):
    """A request that cannot be carried out; the message says why and what to do."""

    field: str | None = None

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


class SlotTaken(ReviewsError):
    """The clinician or patient already has a booked appointment at that time."""


class StaleState(ReviewsError):
    """The row changed since the page was loaded (e.g. a form submitted twice)."""


class SessionFull(ReviewsError):
    """No places are left in a group session."""
