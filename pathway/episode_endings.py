"""How an episode ended, in words, where another app knows better than the kernel's status: an
episode the referrals app closed before the team took the patient into care reads as what
happened to the referral ("Referral not accepted"), not as "Discharged", on the patient's and
the team's pages. The kernel imports no feature app (DESIGN.md section 2), so apps register
providers (pathway.extensions): each takes a list of episode ids and returns (episode id,
words) pairs for the episodes it has words for."""

from pathway.extensions import Registry
from pathway.models import Episode

registry = Registry()
register = registry.register


def with_endings(episodes: list[Episode]) -> list[Episode]:
    """`episodes`, each closed one given `ended_as`: the words for how it ended, or "" for its
    status's own label. One query per provider, whatever the number of episodes."""
    closed = [episode.pk for episode in episodes if not episode.is_open]
    words = dict(registry.collect(closed)) if closed else {}
    for episode in episodes:
        episode.ended_as = words.get(episode.pk, "")
    return episodes
