"""What a new care plan's first draft starts with, from what other apps recorded about the
episode: what matters to the patient, said at their first conversation, should not have to be
asked again. The kernel imports no feature app (DESIGN.md section 2), so apps register
providers (pathway.extensions): each takes the episode and returns a list of Prefill."""

from dataclasses import dataclass

from pathway.extensions import Registry


@dataclass(frozen=True)
class Prefill:
    # A field of the care plan version's draft, e.g. "what_matters".
    field: str
    text: str
    # Where the text comes from, to tell the clinician: "the first conversation on 3 December 2026".
    source: str


registry = Registry()
register = registry.register


def for_episode(episode) -> list[Prefill]:
    return registry.collect(episode)
