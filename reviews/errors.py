"""Domain errors raised by reviews services. Views show `str(error)` to the user as it is, so
every message is written for the person who caused it."""

from datetime import datetime


class ReviewsError(Exception):
    """A request that cannot be carried out; the message says why and what to do."""

    field: str | None = None
    # The patient's own appointment that stands in the way (one already booked, or attended
    # with its outcome to write), for the page to link to.
    appointment = None

    def __init__(self, message: str, *, field: str | None = None, appointment=None):
        super().__init__(message)
        self.field = field
        self.appointment = appointment


class SlotTaken(ReviewsError):
    """The clinician or patient already has a booked appointment at that time."""


class StaleState(ReviewsError):
    """The row changed since the page was loaded (e.g. a form submitted twice)."""


class ScopeChanged(ReviewsError):
    """What an action would change is no longer what the page showed (e.g. care booked in
    another tab before a discharge): shown again, with the form kept, to check."""


class SessionFull(ReviewsError):
    """No places are left in a group session."""


class ChangedSinceOpened(StaleState):
    """Someone saved the row after the page was opened: saving would overwrite their change
    unseen. `changed_by` (words for who: a name, "the patient", "you in another tab or window")
    and `changed_at` say who and when."""

    def __init__(self, message: str, *, changed_by: str, changed_at: datetime):
        super().__init__(message)
        self.changed_by = changed_by
        self.changed_at = changed_at
