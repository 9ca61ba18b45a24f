"""Waits against a target: the days a priority is given, and the clock shown beside a
referral."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta


def target_days_for(targets: Mapping[str, int], priority: str) -> int | None:
    """Return the target in days for `priority` from {priority: days} (pathway.Target rows of one
    from/to pair), falling back to the "any" row; None when neither exists."""
    if priority in targets:
        return targets[priority]
    return targets.get("any")


DAY_SECONDS = 24 * 60 * 60


@dataclass(frozen=True)
class WaitClock:
    """A wait measured against a target, in elapsed 24-hour days from the start.

    `days_waited` counts completed days; `days_left` is the target minus the days waited
    (negative when over); `breached` is true once the due moment (start + target days) has passed.
    """

    started_at: datetime
    due_at: datetime
    target_days: int
    days_waited: int
    days_left: int
    breached: bool

    @property
    def days_over(self) -> int:
        """Completed days past the target; 0 until a full day past it has gone."""
        return max(self.days_waited - self.target_days, 0)


def wait_clock(*, started_at: datetime, target_days: int, now: datetime) -> WaitClock:
    """Return the clock for a wait that started at `started_at` (aware datetimes).

    A start after `now` (a milestone recorded ahead of the clock) counts as no wait yet. Raises
    ValueError for a target that is not a positive whole number of days.
    """
    if isinstance(target_days, bool) or not isinstance(target_days, int) or target_days <= 0:
        raise ValueError(f"A target must be a positive whole number of days, got {target_days!r}.")
    due_at = started_at + timedelta(days=target_days)
    days_waited = max(int((now - started_at).total_seconds() // DAY_SECONDS), 0)
    return WaitClock(
        started_at=started_at,
        due_at=due_at,
        target_days=target_days,
        days_waited=days_waited,
        days_left=target_days - days_waited,
        breached=now > due_at,
    )


def triage_clock(
    *, submitted_at: datetime, urgency: str, targets: Mapping[str, int], now: datetime
) -> WaitClock | None:
    """The wait of a referral not yet triaged, from when it was received, against the
    referral-to-triage target for its urgency (`targets` as selectors.triage_targets gives
    them), or the one for any referral; None when there is neither."""
    days = target_days_for(targets, urgency)
    return wait_clock(started_at=submitted_at, target_days=days, now=now) if days else None


@dataclass(frozen=True)
class ContactTargets:
    """The first-contact targets ({priority: days}) of the pathway.Target rows ending at first
    contact: counted from triage (DESIGN.md section 3), and from the referral itself
    (clinical-rules.md section 11: an urgent referral is to be seen within 14 days of referral)."""

    from_triage: Mapping[str, int]
    from_referral: Mapping[str, int]


@dataclass(frozen=True)
class FirstContactTarget:
    """The first-contact target that falls due first for one referral."""

    days: int
    measured_from: str  # "referral" or "triage"
    started_at: datetime

    @property
    def due_at(self) -> datetime:
        return self.started_at + timedelta(days=self.days)

    @property
    def label(self) -> str:
        """E.g. "14 days from referral"."""
        return f"{self.days} days from {self.measured_from}"


def first_contact_target(
    targets: ContactTargets,
    priority: str,
    *,
    received_at: datetime | None,
    triaged_at: datetime | None,
) -> FirstContactTarget | None:
    """The target for first contact that falls due first: the priority's days from triage, or
    its days from referral, whichever ends earlier (on a tie, from referral, the earlier start).
    None when neither applies."""
    candidates = [
        FirstContactTarget(days=days, measured_from=measured_from, started_at=started_at)
        for measured_from, started_at, days in (
            ("referral", received_at, target_days_for(targets.from_referral, priority)),
            ("triage", triaged_at, target_days_for(targets.from_triage, priority)),
        )
        if started_at is not None and days
    ]
    return min(candidates, key=lambda target: target.due_at, default=None)
