"""PSFS-style goals: the scores of a version's goals (clinical-rules.md section 5)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pathway import instruments


@dataclass(frozen=True)
class GoalScores:
    """PSFS means over a version's goals (clinical-rules.md section 5), unrounded.

    `current_mean`, `change`, `important` and `worse` are None until every goal has a current
    rating. `important` is a clinically important improvement (a rise of the mean of at least 2
    points); `worse` a fall of at least as much.
    """

    baseline_mean: float
    target_mean: float
    current_mean: float | None
    change: float | None
    important: bool | None
    worse: bool | None = None


def goal_scores(
    baselines: Sequence[int], targets: Sequence[int], currents: Sequence[int | None]
) -> GoalScores | None:
    """Return the PSFS scores of a plan's goals, or None when there are no goals.

    Raises pathway.instruments.InvalidAnswers for more than 5 goals or a rating outside 0-10.
    """
    if not baselines:
        return None
    baseline = instruments.score("PSFS", list(baselines)).total
    target = instruments.score("PSFS", list(targets)).total
    if any(value is None for value in currents):
        return GoalScores(baseline, target, None, None, None)
    ratings = [int(value) for value in currents if value is not None]
    change, important = instruments.psfs_change(list(baselines), ratings)
    current = instruments.score("PSFS", ratings).total
    worse = instruments.is_psfs_worsening(change)
    return GoalScores(baseline, target, current, change, important, worse)
