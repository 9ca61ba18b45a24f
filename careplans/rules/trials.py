"""Treatment trials: roles and outcomes, the 12-week review date, and which trials count as
failed preventives (clinical-rules.md section 10)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

# Trial roles and outcomes (DESIGN.md section 3).
PREVENTIVE = "preventive"
ACUTE = "acute"
PAIN = "pain"
ONGOING = "ongoing"
EFFECTIVE = "effective"
INEFFECTIVE = "ineffective"
NOT_TOLERATED = "not_tolerated"
STOPPED = "stopped"

# clinical-rules.md section 10 (CONVENTION) and DESIGN.md section 3 Target: a treatment is reviewed
# for effectiveness 12 weeks (84 days) after it starts.
TRIAL_REVIEW_DAYS = 84


def default_review_due(started_on: date) -> date:
    """Return the default review date of a treatment trial: 12 weeks after it starts."""
    return started_on + timedelta(days=TRIAL_REVIEW_DAYS)


# Outcomes after which the medicine carries on, so it needs a next review date. After the others
# (did not work, not tolerated, stopped) the trial is over and nothing is reviewed again: the
# worklist's "past review" guard only follows ongoing trials (selectors.trials_past_review).
CONTINUING_OUTCOMES = frozenset({ONGOING, EFFECTIVE})


def next_review_problem(*, outcome: str, review_due: date | None, today: date) -> str | None:
    """Return what is wrong with a trial review's next review date, or None if it will do.

    A date, when given, must be today or later (a review date in the past would be overdue the
    moment it is saved). A treatment that carries on needs one; one that has ended does not.
    """
    if review_due is None:
        if outcome in CONTINUING_OUTCOMES:
            return "Enter the next review date. It is needed while the treatment carries on."
        return None
    if review_due < today:
        return "The next review date must be today or later."
    return None


@dataclass(frozen=True)
class TrialFacts:
    """What the rules need to know about one treatment trial."""

    medicine: str  # medicine_key(): a code, or "other:<name>"
    medicine_class: str
    role: str
    outcome: str
    adequate: bool = True  # given at an adequate dose for long enough


def is_failed_preventive(trial: TrialFacts) -> bool:
    """A preventive that did not work after an adequate trial, or was not tolerated
    (clinical-rules.md section 10: "tried at an adequate dose and duration, or not tolerated")."""
    if trial.role != PREVENTIVE:
        return False
    return trial.outcome == NOT_TOLERATED or (trial.outcome == INEFFECTIVE and trial.adequate)


def failed_preventive_count(trials: Iterable[TrialFacts]) -> int:
    """Return how many distinct medicines failed as preventives; a medicine tried twice counts
    once (clinical-rules.md section 10: "counts distinct drugs")."""
    return len({t.medicine for t in trials if is_failed_preventive(t)})
