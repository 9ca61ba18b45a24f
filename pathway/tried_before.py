"""Treatments an episode's other records say the patient tried before the pathway (a GP's
referral lists preventives tried), for the care plan to show beside what it counts. The kernel
imports no feature app (DESIGN.md section 2), so apps register providers
(pathway.extensions): each takes the episode and returns a list of TriedBefore."""

from dataclasses import dataclass

from pathway.extensions import Registry


@dataclass(frozen=True)
class TriedBefore:
    # "Propranolol 80 mg, 12 weeks: did not work"
    text: str
    # Where it is recorded: "the referral of 3 December 2026".
    source: str


registry = Registry()
register = registry.register


def for_episode(episode) -> list[TriedBefore]:
    return registry.collect(episode)
