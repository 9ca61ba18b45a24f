"""A patient cancels an appointment from their appointments page: the time is freed, its
reminders are withdrawn, the clinician is told, and the team reads why."""

import html
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from pathway.models import AuditEvent, Notification
from reviews import rules
from reviews.errors import ReviewsError, StaleState
from reviews.models import Appointment
from reviews.services import appointments as services
from tests.reviews import builders

pytestmark = pytest.mark.django_db

MY_APPOINTMENTS = reverse("reviews:my-appointments")


def _cancel_url(appointment):
    return reverse("reviews:my-appointment-cancel", kwargs={"appointment_uuid": appointment.uuid})


def _booked(world, **fields):
    """A video follow-up booked through the service in 3 days, so its messages are queued."""
    return services.book_appointment(
        actor=world.clinician,
        patient=world.patient,
        episode=builders.under_care(world.patient),
        kind=fields.pop("kind", "follow_up"),
        start=timezone.now().replace(microsecond=0) + timedelta(days=3),
        duration_minutes=30,
        modality="video",
        clinician=world.clinician,
        video_link="https://video.example.test/room",
        **fields,
    )


def test_the_patient_cancels_saying_why_and_the_clinician_is_told(world, login):
    appointment = _booked(world)
    booked_messages = list(Notification.objects.filter(kind="appointment_booked"))
    assert booked_messages
    client = login(world.patient_user)
    page = client.get(MY_APPOINTMENTS).content.decode()
    assert _cancel_url(appointment) in page

    form = client.get(_cancel_url(appointment)).content.decode()
    assert f"with {world.clinician.full_name} is on" in form
    assert "ask to rearrange it" in form and "<textarea" in form
    assert form.count("(optional)") == 1

    response = client.post(_cancel_url(appointment), {"reason": "  I feel  much better now "})
    assert response.status_code == 302 and response["Location"] == MY_APPOINTMENTS
    appointment.refresh_from_db()
    assert appointment.status == "cancelled" and appointment.cancelled_at is not None
    assert appointment.cancellation_reason == "Cancelled by the patient: I feel much better now"
    assert appointment.updated_by == world.patient_user
    event = AuditEvent.objects.get(object_uuid=appointment.uuid, action="update")
    assert event.actor == world.patient_user and "cancellation_reason" in event.fields
    # The messages announcing it are withdrawn; the patient is not told what they did.
    assert all(Notification.objects.get(pk=row.pk).status == "cancelled" for row in booked_messages)
    assert not Notification.objects.filter(kind="appointment_cancelled").exists()
    email = Notification.objects.get(kind="appointment_cancelled_by_patient")
    assert email.user == world.clinician and email.channel == "email"
    assert str(appointment.uuid) in email.context["link"]

    page = html.unescape(client.get(MY_APPOINTMENTS).content.decode())
    assert "is cancelled and your care team has been told" in page
    assert "Follow-up (cancelled)" in page
    assert _cancel_url(appointment) not in page
    staff = login(world.clinician).get(
        reverse("reviews:appointment", kwargs={"appointment_uuid": appointment.uuid})
    )
    assert "(Cancelled by the patient: I feel much better now)" in staff.content.decode()


def test_a_reason_is_optional(world, login):
    appointment = _booked(world)
    response = login(world.patient_user).post(_cancel_url(appointment), {"reason": ""})
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.cancellation_reason == rules.CANCELLED_BY_PATIENT


def test_a_reason_too_long_is_refused_and_kept(world, login):
    appointment = _booked(world)
    words = "x" * (rules.PATIENT_CANCEL_REASON_MAX + 1)
    response = login(world.patient_user).post(_cancel_url(appointment), {"reason": words})
    page = response.content.decode()
    assert response.status_code == 200
    assert f"Keep this to {rules.PATIENT_CANCEL_REASON_MAX} characters or fewer." in page
    assert words in page
    appointment.refresh_from_db()
    assert appointment.status == "booked"
    # The longest allowed fits beside the words the team reads first.
    longest = "y" * rules.PATIENT_CANCEL_REASON_MAX
    assert len(rules.patient_cancellation(longest)) == 200


@pytest.mark.parametrize(
    ("status", "hours", "reason"),
    [
        ("booked", -2, "has passed, so it cannot be cancelled."),
        ("attended", -2, "has passed, so it cannot be cancelled."),
        ("cancelled", 48, "was cancelled."),
    ],
)
def test_an_appointment_that_cannot_be_cancelled_says_why_without_a_form(
    world, login, status, hours, reason
):
    appointment = builders.appointment(
        world.patient, world.clinician, status=status, start=timezone.now() + timedelta(hours=hours)
    )
    client = login(world.patient_user)
    for response in (client.get(_cancel_url(appointment)), client.post(_cancel_url(appointment))):
        page = response.content.decode()
        assert response.status_code == 200
        assert reason in page and "<textarea" not in page
    appointment.refresh_from_db()
    assert appointment.status == status
    assert not Notification.objects.filter(kind="appointment_cancelled_by_patient").exists()


def test_sending_the_form_twice_cancels_once_and_tells_the_clinician_once(world, login):
    appointment = _booked(world)
    client = login(world.patient_user)
    client.post(_cancel_url(appointment), {"reason": "Away"})
    again = client.post(_cancel_url(appointment), {"reason": "Away"})
    assert "was cancelled." in again.content.decode()
    assert Notification.objects.filter(kind="appointment_cancelled_by_patient").count() == 1


def test_another_patients_appointment_and_a_team_meeting_are_not_found(world, login):
    theirs = builders.appointment(world.other_patient, world.clinician)
    meeting = builders.appointment(world.patient, world.clinician, kind="mdt")
    client = login(world.patient_user)
    for appointment in (theirs, meeting):
        assert client.get(_cancel_url(appointment)).status_code == 404
        assert client.post(_cancel_url(appointment)).status_code == 404
        appointment.refresh_from_db()
        assert appointment.status == "booked"


def test_the_service_refuses_a_meeting_a_started_appointment_and_a_stale_copy(world):
    meeting = builders.appointment(world.patient, world.clinician, kind="mdt")
    with pytest.raises(ReviewsError, match="not an appointment to cancel"):
        services.cancel_by_patient(actor=world.patient_user, appointment=meeting)
    started = builders.appointment(
        world.patient, world.clinician, start=timezone.now() - timedelta(minutes=5)
    )
    with pytest.raises(ReviewsError, match="already started"):
        services.cancel_by_patient(actor=world.patient_user, appointment=started)
    booked = _booked(world)
    stale = Appointment.objects.get(pk=booked.pk)
    services.cancel_by_patient(actor=world.patient_user, appointment=booked)
    with pytest.raises(StaleState):
        services.cancel_by_patient(actor=world.patient_user, appointment=stale)


def test_cancelling_a_first_conversation_tells_the_patient_what_follows_it(world, login):
    episode = builders.episode_for(world.patient)
    soon = timezone.localtime(timezone.now()).replace(hour=10, minute=0, second=0, microsecond=0)

    def book(kind, days):
        return services.book_appointment(
            actor=world.clinician,
            patient=world.patient,
            episode=episode,
            kind=kind,
            start=soon + timedelta(days=days),
            duration_minutes=30,
            modality="phone",
            clinician=world.clinician,
        )

    first = book("first_conversation", 5)
    review = book("follow_up", 9)
    client = login(world.patient_user)

    page = html.unescape(client.get(_cancel_url(first)).content.decode())
    assert "Your other appointments follow this one" in page
    when = timezone.localtime(review.start).strftime("%A %-d %B %Y at %H:%M")
    assert f"<li>your follow-up on {when}</li>" in page
    assert "arrange a new first conversation before that appointment." in page
    # Not on the follow-up's own page, nor once nothing follows.
    assert "follow this one" not in client.get(_cancel_url(review)).content.decode()
    services.cancel_appointment(actor=world.clinician, appointment=review, reason="Not needed")
    assert "follow this one" not in client.get(_cancel_url(first)).content.decode()
