"""What a new care plan's draft starts with from the episode's reviews (pathway.plan_starts):
what matters to the patient, as the latest review of the episode recorded it."""

from __future__ import annotations

from django.utils import timezone

from pathway.plan_starts import Prefill
from reviews.models import Review


def what_matters(episode) -> list[Prefill]:
    review = (
        Review.objects.filter(episode=episode)
        .exclude(what_matters="")
        .select_related("appointment")
        .order_by("-completed_at")
        .first()
    )
    if review is None:
        return []
    when = timezone.localtime(review.completed_at)
    kind = review.appointment.get_kind_display().lower()
    return [Prefill("what_matters", review.what_matters, f"the {kind} on {when:%-d %B %Y}")]
