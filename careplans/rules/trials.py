"""Treatment trials: roles and outcomes, the 12-week review date, and which trials count as
failed preventives (clinical-rules.md section 10)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from careplans.rules.medicines import OTHER, medicine_key

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


def default_review_due(
    started_on: date, *, already_taking: bool = False, today: date | None = None
) -> date:
    """Return the default review date of a treatment trial: 12 weeks after it starts.

    For a medicine the patient already took before the pathway (`already_taking`), the 12 weeks
    run from `today`, the day the care team records it and takes it on (the app's convention;
    clinical-rules.md sets no review date for a medicine already taken): counted from its
    original start, which can be years back, the review would be overdue the moment it is
    recorded. Raises ValueError for `already_taking` without `today`.
    """
    if already_taking:
        if today is None:
            raise ValueError("A medicine already taken is reviewed from the day it is recorded.")
        return max(started_on, today) + timedelta(days=TRIAL_REVIEW_DAYS)
    return started_on + timedelta(days=TRIAL_REVIEW_DAYS)


# Outcomes after which the medicine carries on, so it needs a next review date, and the worklist's
# "past review" guard follows it (selectors.trials_past_review): a medicine that works is still
# reviewed, not prescribed and forgotten. After the others (did not work, not tolerated,
# stopped) the trial is over and nothing is reviewed again.
CONTINUING_OUTCOMES = frozenset({ONGOING, EFFECTIVE})
# A next-review date further ahead than this (about 18 months) is almost certainly a typing
# error, and would quietly switch off the review prompts until then.
MAX_REVIEW_AHEAD_DAYS = 550
REVIEW_TOO_FAR_AHEAD = "The next review date must be within 18 months. Check the year."


def first_review_problem(review_due: date, *, today: date) -> str | None:
    """Return what is wrong with the review date given as a treatment is recorded, or None. It
    may have passed (a treatment started a while ago, whose review is due now), but may not be
    more than MAX_REVIEW_AHEAD_DAYS ahead: a typing error that would silence its review."""
    if (review_due - today).days > MAX_REVIEW_AHEAD_DAYS:
        return "The review date must be within 18 months. Check the year."
    return None


def next_review_problem(*, outcome: str, review_due: date | None, today: date) -> str | None:
    """Return what is wrong with a trial review's next review date, or None if it will do.

    A date, when given, must be today or later (a review date in the past would be overdue the
    moment it is saved) and within MAX_REVIEW_AHEAD_DAYS. A treatment that carries on needs
    one; one that has ended does not.
    """
    if review_due is None:
        if outcome in CONTINUING_OUTCOMES:
            return "Enter the next review date. It is needed while the treatment carries on."
        return None
    if review_due < today:
        return "The next review date must be today or later."
    if (review_due - today).days > MAX_REVIEW_AHEAD_DAYS:
        return REVIEW_TOO_FAR_AHEAD
    return None


# clinical-rules.md section 10 counts a preventive as failed only after a trial "at an adequate
# dose and duration", and names no duration. CONVENTION: the shortest adequate trial is the only
# time the rules and DESIGN.md give for judging whether a treatment works: 12 weeks (84 days),
# when a treatment is reviewed for effectiveness (TRIAL_REVIEW_DAYS, DESIGN.md section 3
# Target) and when NICE judges a CGRP antibody's response (section 10). As the rules set no
# minimum of their own, a shorter trial is not refused: the clinician is warned and confirms it.
ADEQUATE_TRIAL_DAYS = TRIAL_REVIEW_DAYS


@dataclass(frozen=True)
class TrialFacts:
    """What the rules need to know about one treatment trial."""

    medicine: str  # medicine_key(): a code, or "other:<name>"
    medicine_class: str
    role: str
    outcome: str
    # Whether the clinician said it was given at an adequate dose for long enough: True, False,
    # or None when nobody answered. Never assumed: an unanswered trial does not count.
    adequate: bool | None = None
    # Days from its start to the day its outcome was recorded: the longest it can have been
    # taken (the app does not record the day it stopped). None when not known.
    days_tried: int | None = None
    # The clinician confirmed it was adequate although it was tried for less than
    # ADEQUATE_TRIAL_DAYS (needs_short_trial_confirmation).
    short_trial_confirmed: bool = False


def is_short_trial(days_tried: int | None) -> bool:
    """Return True for a trial tried for less than ADEQUATE_TRIAL_DAYS, or for a time not
    known."""
    return days_tried is None or days_tried < ADEQUATE_TRIAL_DAYS


def is_failed_preventive(trial: TrialFacts) -> bool:
    """Return True for a preventive that did not work after a trial the clinician confirmed was
    adequate, or was not tolerated.

    clinical-rules.md section 10, implementation notes: '"At least 3 preventive drug treatments
    failed" counts distinct drugs tried at an adequate dose and duration, or not tolerated, or
    contraindicated'. The clinician answers whether the trial was adequate explicitly (the
    review form shows when the medicine started), and a "did not work" counts only when the
    answer is yes (`adequate is True`). The rules name no minimum duration, so the app takes
    ADEQUATE_TRIAL_DAYS: a "yes" for a trial tried for less counts only once the clinician has
    confirmed it (`short_trial_confirmed`); a preventive recorded as not working on the day it
    started is not a failed preventive on an unconfirmed "yes".
    """
    if trial.role != PREVENTIVE:
        return False
    if trial.outcome == NOT_TOLERATED:
        return True
    return (
        trial.outcome == INEFFECTIVE
        and trial.adequate is True
        and (not is_short_trial(trial.days_tried) or trial.short_trial_confirmed)
    )


def asks_adequacy(*, role: str, outcome: str) -> bool:
    """Return True when a trial review must say whether the trial was adequate: a preventive
    recorded as not working (the only case is_failed_preventive reads the answer)."""
    return role == PREVENTIVE and outcome == INEFFECTIVE


def adequacy_problem(*, role: str, outcome: str, adequate: bool | None, name: str) -> str | None:
    """Return what is missing from a review of the trial of `name`, or None: a preventive that
    did not work needs an explicit answer to whether the trial was adequate."""
    if adequate is not None or not asks_adequacy(role=role, outcome=outcome):
        return None
    return (
        f"Say whether {name} was given at an adequate dose for long enough. A preventive that "
        "did not work counts towards CGRP antibodies and botulinum toxin A only after an "
        "adequate trial."
    )


def needs_short_trial_confirmation(
    *, role: str, outcome: str, adequate: bool | None, days_tried: int | None
) -> bool:
    """Return True when a review says a preventive that did not work was an adequate trial,
    but it was tried for less than ADEQUATE_TRIAL_DAYS (or for a time not known): the
    clinician must confirm that answer before it counts towards CGRP antibodies and botulinum
    toxin A (is_failed_preventive)."""
    return (
        asks_adequacy(role=role, outcome=outcome)
        and adequate is True
        and is_short_trial(days_tried)
    )


def contraindicated_before(names: Iterable[str], trials: Iterable[TrialFacts]) -> int:
    """How many distinct medicines an earlier record (the referral) names as never given
    because they were contraindicated, that no treatment on the plan records: each counts as a
    failed preventive (clinical-rules.md section 10: "counts distinct drugs ... or
    contraindicated"). A name is matched to the medicine list by its name, else compared as
    typed (`medicine_key`); one recorded as a treatment since is counted by that record alone."""
    keys = {medicine_key(OTHER, name) for name in names if name.strip()}
    return len(keys - {trial.medicine for trial in trials})


def failed_preventive_count(trials: Iterable[TrialFacts]) -> int:
    """Return how many distinct medicines failed as preventives; a medicine tried twice counts
    once (clinical-rules.md section 10: "counts distinct drugs")."""
    return len({t.medicine for t in trials if is_failed_preventive(t)})
