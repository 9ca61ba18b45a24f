"""The preventives a referral lists as tried before (pathway.tried_before), for the episode's
care plan."""

from django.utils import timezone

from pathway.tried_before import TriedBefore
from referrals.models import PreventiveTried


def preventives_tried(episodes) -> list[TriedBefore]:
    rows = (
        PreventiveTried.objects.filter(
            referral__episode__in=episodes, referral__entered_in_error=False
        )
        .select_related("referral")
        .order_by("referral__submitted_at", "id")
    )
    found = []
    for row in rows:
        details = ", ".join(
            part
            for part in (
                row.dose,
                f"{row.duration_weeks} week{'' if row.duration_weeks == 1 else 's'}"
                if row.duration_weeks is not None
                else "",
            )
            if part
        )
        named = f"{row.medicine} {details}" if details else row.medicine
        text = f"{named}: {row.get_stopped_reason_display().lower()}"
        sent = timezone.localtime(row.referral.submitted_at)
        found.append(
            TriedBefore(
                episode_id=row.referral.episode_id,
                text=text,
                source=f"the referral of {sent:%-d %B %Y}",
                medicine=row.medicine,
                contraindicated=row.stopped_reason == PreventiveTried.StoppedReason.CONTRAINDICATED,
            )
        )
    return found
