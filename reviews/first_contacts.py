"""The reviews app's answer to where each patient on the waiting list stands with their first
conversation (pathway.first_contacts), in one query for the page."""

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from pathway.first_contacts import FirstContact
from reviews.models import Appointment


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "D j M Y, H:i")


def first_conversations(referrals) -> list[tuple[int, FirstContact]]:
    """For each referral's episode: its booked first conversation, else the latest one the
    patient did not attend, else nothing yet; the last two with a link to book one for that
    episode."""
    episodes = {r.episode_id: r for r in referrals if r.episode_id and r.patient_id}
    if not episodes:
        return []
    appointments = Appointment.objects.filter(
        episode_id__in=episodes,
        kind=Appointment.Kind.FIRST_CONVERSATION,
        status__in=(Appointment.Status.BOOKED, Appointment.Status.DID_NOT_ATTEND),
    ).only("uuid", "episode_id", "start", "modality", "status")
    booked, missed = {}, {}
    for appointment in appointments.order_by("start", "id"):
        if appointment.status == Appointment.Status.BOOKED:
            booked.setdefault(appointment.episode_id, appointment)
        else:
            missed[appointment.episode_id] = appointment  # the latest, by start
    found = []
    for episode_id, referral in episodes.items():
        appointment = booked.get(episode_id)
        if appointment is not None:
            found.append(
                (
                    episode_id,
                    FirstContact(
                        text=f"{_when(appointment.start)}, "
                        f"{appointment.get_modality_display().lower()}",
                        url=reverse(
                            "reviews:appointment", kwargs={"appointment_uuid": appointment.uuid}
                        ),
                        link_text="See the appointment",
                        booked=True,
                    ),
                )
            )
            continue
        book = reverse("reviews:appointment-create", kwargs={"patient_uuid": referral.patient.uuid})
        book = f"{book}?episode={referral.episode.uuid}"
        dna = missed.get(episode_id)
        found.append(
            (
                episode_id,
                FirstContact(
                    text=f"Did not attend on {_when(dna.start)}" if dna else "Not booked",
                    url=book,
                    link_text="Book it again" if dna else "Book the first conversation",
                    booked=False,
                ),
            )
        )
    return found
