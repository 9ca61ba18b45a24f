"""Letters about an episode of care that other apps write, such as the discharge summary (from
reviews), listed beside the referral that opened the episode: the GP who referred finds the
outcome of the care where they find the outcome of the referral. The kernel imports no feature
app (DESIGN.md section 2), so apps register providers (pathway.extensions): each takes a list of
episode ids and the signed-in user, and returns the EpisodeLetters that user may download."""

from collections import defaultdict
from dataclasses import dataclass

from pathway.extensions import Registry

# A letter the worker has begun to render this many times without storing it fails every time:
# the catch-up sweeps (every 10 minutes) stop queuing it and pages say it could not be made,
# instead of "being prepared" for ever. Only renders begun count: while the broker or the
# worker is down the sweeps keep queuing it.
LETTER_ATTEMPTS = 6


@dataclass(frozen=True)
class EpisodeLetter:
    episode_id: int
    title: str
    # Its download; "" while the worker is still preparing it.
    url: str = ""
    # No download, and the sweep has given up on it (LETTER_ATTEMPTS).
    not_made: bool = False


registry = Registry()
register = registry.register


def by_episode(episode_ids, user) -> dict[int, list[EpisodeLetter]]:
    """The letters of each of these episodes `user` may download, by episode id: one query per
    provider, whatever the number of episodes."""
    ids = sorted({episode_id for episode_id in episode_ids if episode_id is not None})
    found: dict[int, list[EpisodeLetter]] = defaultdict(list)
    if ids:
        for letter in registry.collect(ids, user):
            found[letter.episode_id].append(letter)
    return found
