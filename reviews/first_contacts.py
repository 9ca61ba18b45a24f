"""The reviews app's answer to where each patient on the waiting list stands with their first
conversation (pathway.first_contacts), in one query for the page."""

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from pathway.first_contacts import FirstContact
from reviews.models import Appointment
from reviews.models.appointments import FIRST_CONVERSATION_ARRANGED

Status = Appointment.Status


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "D j M Y, H:i")


def _arranged(appointment: Appointment) -> FirstContact:
    """A first conversation that is booked, or attended with its outcome still to record (the
    outcome records the first contact, which takes the patient off the waiting list)."""
    if appointment.status == Status.ATTENDED:
        return FirstContact(
            text=f"Attended on {_when(appointment.start)}: outcome not recorded",
            url=reverse("reviews:review", kwargs={"appointment_uuid": appointment.uuid}),
            link_text="Record the outcome",
            tag="Attended",
        )
    return FirstContact(
        text=f"{_when(appointment.start)}, {appointment.get_modality_display().lower()}",
        url=reverse("reviews:appointment", kwargs={"appointment_uuid": appointment.uuid}),
        link_text="See the appointment",
        tag="Booked",
    )


def first_conversations(referrals) -> list[tuple[int, FirstContact]]:
    """For each referral's episode: its first conversation attended or booked, else the latest
    one the patient did not attend, else nothing yet; the last two with a link to book one for
    that episode."""
    episodes = {r.episode_id: r for r in referrals if r.episode_id and r.patient_id}
    if not episodes:
        return []
    appointments = Appointment.objects.filter(
        episode_id__in=episodes,
        kind=Appointment.Kind.FIRST_CONVERSATION,
        status__in=(*FIRST_CONVERSATION_ARRANGED, Status.DID_NOT_ATTEND),
    ).only("uuid", "episode_id", "start", "modality", "status")
    arranged, missed = {}, {}
    for appointment in appointments.order_by("start", "id"):
        if appointment.status == Status.DID_NOT_ATTEND:
            missed[appointment.episode_id] = appointment  # the latest, by start
        elif arranged.get(appointment.episode_id) is None or appointment.status == Status.ATTENDED:
            arranged[appointment.episode_id] = appointment
    found = []
    for episode_id, referral in episodes.items():
        if episode_id in arranged:
            found.append((episode_id, _arranged(arranged[episode_id])))
            continue
        book = reverse("reviews:appointment-create", kwargs={"patient_uuid": referral.patient.uuid})
        dna = missed.get(episode_id)
        found.append(
            (
                episode_id,
                FirstContact(
                    text=f"Did not attend on {_when(dna.start)}" if dna else "Not booked",
                    url=f"{book}?episode={referral.episode.uuid}",
                    link_text="Book it again" if dna else "Book the first conversation",
                ),
            )
        )
    return found
