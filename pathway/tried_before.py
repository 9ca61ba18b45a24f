"""Treatments an episode's other records say the patient tried before the pathway (a GP's
referral lists preventives tried), for the care plan to show beside what it counts. The kernel
imports no feature app (DESIGN.md section 2), so apps register providers
(pathway.extensions): each takes a list of episodes and returns TriedBefore rows for them."""

from collections import defaultdict
from dataclasses import dataclass

from pathway.extensions import Registry


@dataclass(frozen=True)
class TriedBefore:
    episode_id: int
    # "Propranolol 80 mg, 12 weeks: did not work"
    text: str
    # Where it is recorded: "the referral of 3 December 2026".
    source: str
    # The medicine as recorded, and whether it was never given because it was contraindicated
    # (clinical-rules.md section 10 counts such a preventive among those that failed).
    medicine: str = ""
    contraindicated: bool = False


registry = Registry()
register = registry.register


def for_episodes(episodes) -> dict[int, list[TriedBefore]]:
    """Each episode's rows by its id (one query per provider, whatever the number)."""
    found: dict[int, list[TriedBefore]] = defaultdict(list)
    if episodes:
        for row in registry.collect(list(episodes)):
            found[row.episode_id].append(row)
    return found
