"""The referrals app's words for how an episode ended (pathway.episode_endings): an episode
closed before the team took the patient into care ended with its referral, not a discharge."""

from pathway.models import Episode
from referrals import rules
from referrals.models import Referral

# What happened to the referral, as the episode's card says it.
ENDED_AS = {
    rules.REJECTED: "Referral not accepted",
    rules.REDIRECTED: "Referred elsewhere",
    # Closed with no decision: withdrawn by the referrer before triage.
    rules.CLOSED: "Referral withdrawn",
}


def referral_endings(episode_ids: list[int]) -> list[tuple[int, str]]:
    """For each discharged episode none of whose referrals the team took into care, what
    happened to its latest referral. An episode the team took into care was discharged by the
    team (its accepted referral closed then, keeping its decision): it keeps its status's
    words. So does every episode of a patient who has died, whose death ended them all (a
    referral waiting for triage was closed for it, not withdrawn by the referrer)."""
    rows = (
        Referral.objects.live()
        .filter(
            episode_id__in=episode_ids,
            episode__status=Episode.Status.DISCHARGED,
            episode__patient__date_of_death__isnull=True,
        )
        .order_by("episode_id", "submitted_at", "id")
        .values_list("episode_id", "status", "decided_at")
    )
    latest: dict[int, str] = {}
    taken_into_care: set[int] = set()
    for episode_id, status, decided_at in rows:
        latest[episode_id] = status
        if status == rules.ACCEPTED or (status == rules.CLOSED and decided_at is not None):
            taken_into_care.add(episode_id)
    return [
        (episode_id, ENDED_AS[status])
        for episode_id, status in latest.items()
        if episode_id not in taken_into_care and status in ENDED_AS
    ]
