"""The reviews app's letters beside a referral (pathway.episode_letters): the discharge summary
of the episode the referral opened."""

from django.urls import reverse

from pathway.episode_letters import LETTER_ATTEMPTS, EpisodeLetter
from pathway.permissions import patients_visible_to
from reviews.models import Discharge


def discharge_summaries(episode_ids: list[int], user) -> list[EpisodeLetter]:
    """Each discharge's summary for the GP, for the patients `user` may see (who alone may
    download it: reviews.selectors.discharge_letter_for)."""
    rows = (
        Discharge.objects.filter(episode_id__in=episode_ids, patient__in=patients_visible_to(user))
        .order_by("episode_id")
        .values_list("episode_id", "letter__uuid", "letter_attempts")
    )
    return [
        EpisodeLetter(
            episode_id=episode_id,
            title="Discharge summary",
            url=reverse("reviews:discharge-letter", kwargs={"letter_uuid": letter_uuid})
            if letter_uuid
            else "",
            not_made=not letter_uuid and sweeps >= LETTER_ATTEMPTS,
        )
        for episode_id, letter_uuid, sweeps in rows
    ]
