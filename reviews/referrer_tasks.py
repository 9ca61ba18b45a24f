"""The reviews app's lines on the GP's home page (pathway.referrer_tasks): patients they referred
who have been discharged from the pathway, with the discharge summary to read, for four weeks."""

from datetime import timedelta

from django.db.models import F, OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from pathway.extensions import Task
from pathway.permissions import patients_visible_to
from referrals.models import Referral
from referrals.referrer_tasks import CAME_BACK_DAYS as DISCHARGED_DAYS
from referrals.referrer_tasks import SHOWN
from reviews.models import Discharge


def discharged(user) -> list[Task]:
    """Discharges in the last four weeks of episodes opened by referrals `user` sent, latest
    first, for patients they may still see who have not died, in one query."""
    since = timezone.now() - timedelta(days=DISCHARGED_DAYS)
    # The user's latest referral that opened or joined the episode: none, not theirs to hear of.
    referred = Referral.objects.live().filter(referrer=user, episode=OuterRef("episode"))
    discharges = list(
        Discharge.objects.filter(
            episode__closed_at__gte=since,
            patient__in=patients_visible_to(user),
            patient__date_of_death__isnull=True,
        )
        .annotate(
            closed_at=F("episode__closed_at"),
            letter_uuid=F("letter__uuid"),
            referral_uuid=Subquery(referred.order_by("-submitted_at", "-id").values("uuid")[:1]),
        )
        .filter(referral_uuid__isnull=False)
        .select_related("patient")
        .order_by("-episode__closed_at", "-id")[: SHOWN + 1]
    )
    tasks = [_task(discharge) for discharge in discharges[:SHOWN]]
    if len(discharges) > SHOWN:
        tasks.append(
            Task(
                text=f"More patients you referred were discharged in the last {DISCHARGED_DAYS} "
                "days.",
                url=reverse("referrals:mine"),
                link_text="See their referrals in My referrals",
            )
        )
    return tasks


def _task(discharge) -> Task:
    when = date_format(timezone.localtime(discharge.closed_at), "j F")
    text = f"{discharge.patient.full_name} was discharged from the pathway on {when}."
    if discharge.letter_uuid:
        return Task(
            text=text,
            url=reverse("reviews:discharge-letter", kwargs={"letter_uuid": discharge.letter_uuid}),
            link_text="Read the discharge summary (PDF)",
        )
    # The worker has not rendered the letter yet: the referral's page says so and links it
    # when it is ready.
    return Task(
        text=f"{text} The discharge summary is being prepared.",
        url=reverse("referrals:detail", kwargs={"referral_uuid": discharge.referral_uuid}),
        link_text="See the referral",
    )
