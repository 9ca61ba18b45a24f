from django import template

from diaries import wording

register = template.Library()


@register.simple_tag
def day_words(entry, pain_first=False):
    """A saved day in words (diaries.wording.day_in_words). Needs the entry's headaches as
    `live_episodes` (its own page) or their number as `live_episode_count` (earlier days), so
    wording a day never runs a query."""
    episodes = getattr(entry, "live_episodes", None)
    return wording.day_in_words(
        headache=entry.headache,
        headaches=len(episodes) if episodes is not None else entry.live_episode_count,
        worst=entry.get_worst_severity_display(),
        migraine=entry.migraine,
        medication=entry.medication,
        pain_score=entry.pain_score,
        pain_first=pain_first,
    )
