"""Care-plan domain errors, each with a message fit to show the user, and the check that a change
is based on the copy saved now."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from careplans import rules
from pathway.audit import who_saved


class CarePlanError(Exception):
    """A change the care-plan rules do not allow; the message is shown to the user."""


class VersionLocked(CarePlanError):
    """An agreed or superseded version cannot change."""


class CannotAgree(CarePlanError):
    """The draft is not ready to agree."""


class EpisodeEnded(CarePlanError):
    """The plan's episode of care has ended (discharged): its plan stays as it was left."""

    def __init__(self, episode):
        ended = timezone.localtime(episode.closed_at) if episode.closed_at else None
        when = f" on {ended:%-d %B %Y}" if ended else ""
        super().__init__(
            f"This episode of care ended{when}, so its care plan stays as it was left. "
            "A new referral is needed for a new plan."
        )


def check_episode_open(plan) -> None:
    """Raise EpisodeEnded unless the plan's episode is still open (referred or active)."""
    if not plan.episode.is_open:
        raise EpisodeEnded(plan.episode)


class ChangedSinceOpened(CarePlanError):
    """Someone saved the row after the form was opened: saving would overwrite their change.
    `changed_by` and `changed_at` say who and when, for the message."""

    def __init__(self, *, what: str, changed_by: str, changed_at: datetime):
        self.changed_by = changed_by
        self.changed_at = changed_at
        local = timezone.localtime(changed_at)
        when = f"{local:%-I:%M}{local:%p}".lower() + f" on {local:%-d %B %Y}"
        super().__init__(f"This {what} was changed by {changed_by} at {when} since you opened it.")


def _check_based_on(current, based_on: datetime | None, *, actor, what: str) -> None:
    """Refuse a change based on an older copy of `current` (a row re-read under lock).
    `based_on` is the updated_at the form was opened on; None skips the check (a caller with no
    form, such as the demo). Raises ChangedSinceOpened."""
    if based_on is None or current.updated_at == based_on:
        return
    name = who_saved(current.updated_by, actor)
    raise ChangedSinceOpened(what=what, changed_by=name, changed_at=current.updated_at)


class NeedsAcknowledgement(CarePlanError):
    """Starting this medicine shows a NICE warning that must be acknowledged first."""

    def __init__(self, prompt: rules.Prompt):
        super().__init__(prompt.title)
        self.prompt = prompt
