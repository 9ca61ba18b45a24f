"""An MDT discussion is the team meeting about a patient, not an appointment they attend: they
are not messaged about it and it is not on their own appointments page."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from pathway.models import Notification
from reviews import rules, selectors
from reviews.errors import ReviewsError
from reviews.models import Appointment
from reviews.services import appointments as services
from tests.reviews import builders

LONDON = ZoneInfo("Europe/London")


def _start(days=2, hour=10):
    return datetime.combine(timezone.localdate() + timedelta(days=days), time(hour), LONDON)


def _book(world, kind, start=None, *, patient=None, clinician=None):
    patient = patient or world.patient
    return services.book_appointment(
        actor=world.clinician,
        patient=patient,
        episode=builders.under_care(patient),
        kind=kind,
        start=start or _start(),
        duration_minutes=15,
        modality="video",
        clinician=clinician or world.clinician,
        # The patient joins a video appointment by its link; the team's discussion needs none.
        video_link="" if kind == "mdt" else "https://video.example.test/room",
    )


@pytest.mark.parametrize(
    ("kind", "attends"),
    [(kind, kind != "mdt") for kind in Appointment.Kind.values],
)
def test_the_patient_attends_every_kind_but_an_mdt_discussion(kind, attends):
    assert rules.patient_attends(kind) is attends


def test_booking_moving_and_cancelling_an_mdt_discussion_messages_no_one(world):
    mdt = _book(world, "mdt")
    services.reschedule_appointment(
        actor=world.clinician,
        appointment=mdt,
        start=_start(hour=11),
        duration_minutes=15,
        modality="video",
        clinician=world.clinician,
    )
    services.cancel_appointment(actor=world.clinician, appointment=mdt, reason="")
    assert not Notification.objects.exists()


def test_the_teams_discussion_does_not_take_the_patients_time(world, second_clinician):
    # The MDT lead discusses the patient while another clinician sees them, either way round.
    mdt = _book(world, "mdt")
    _book(world, "follow_up", clinician=second_clinician)
    services.cancel_appointment(actor=world.clinician, appointment=mdt, reason="")
    _book(world, "mdt")
    # The MDT lead is still one person: their own time is still checked.
    with pytest.raises(ReviewsError, match=f"{world.clinician.full_name} already has an"):
        _book(world, "follow_up", patient=world.other_patient)


def test_booking_a_follow_up_still_tells_the_patient(world):
    _book(world, "follow_up")
    assert Notification.objects.filter(kind="appointment_booked").count() == 2


def test_the_patient_cannot_ask_to_rearrange_an_mdt_discussion(world):
    mdt = builders.appointment(world.patient, world.clinician, kind="mdt")
    with pytest.raises(ReviewsError, match="meeting of your care team"):
        services.request_rearrangement(actor=world.patient_user, appointment=mdt, reason="Later")
    mdt.refresh_from_db()
    assert mdt.rearrange_requested_at is None


def test_the_patients_list_leaves_out_mdt_discussions_and_the_staff_list_keeps_them(world):
    follow_up = builders.appointment(world.patient, world.clinician, start=_start(hour=9))
    mdt = builders.appointment(world.patient, world.clinician, kind="mdt", start=_start(hour=11))
    assert list(selectors.appointments_for_patient(world.patient)) == [follow_up]
    assert set(selectors.appointments_for_patient(world.patient, with_team_meetings=True)) == {
        follow_up,
        mdt,
    }


def test_the_portal_shows_no_mdt_discussion_to_rearrange(world, login):
    builders.appointment(world.patient, world.clinician, kind="mdt")
    page = login(world.patient_user).get(reverse("reviews:my-appointments")).content.decode()
    assert "MDT discussion" not in page
    assert "Ask to rearrange" not in page
    assert "You have no appointments booked." in page


def test_the_staff_patient_page_still_shows_the_mdt_discussion(world, login):
    builders.appointment(world.patient, world.clinician, kind="mdt")
    url = reverse("reviews:patient-reviews", kwargs={"patient_uuid": world.patient.uuid})
    page = login(world.clinician).get(url).content.decode()
    assert "MDT discussion" in page


def test_the_rearrange_page_of_an_mdt_discussion_is_not_found_for_the_patient(world, login):
    meeting = builders.appointment(world.patient, world.clinician, kind="mdt")
    url = reverse("reviews:my-appointment-rearrange", kwargs={"appointment_uuid": meeting.uuid})
    assert login(world.patient_user).get(url).status_code == 404


def test_an_mdt_discussion_is_marked_held_and_cannot_be_missed(world, login):
    meeting = builders.appointment(world.patient, world.clinician, kind="mdt", start=timezone.now())
    with pytest.raises(ReviewsError, match="does not attend an MDT discussion"):
        services.record_attendance(actor=world.clinician, appointment=meeting, attended=False)
    meeting.refresh_from_db()
    assert meeting.status == "booked"
    client = login(world.clinician)
    page_url = reverse("reviews:appointment", kwargs={"appointment_uuid": meeting.uuid})
    page = client.get(page_url).content.decode()
    assert "Mark as held" in page and "Did not attend</button>" not in page
    url = reverse("reviews:appointment-attendance", kwargs={"appointment_uuid": meeting.uuid})
    page = client.post(url, {"attendance": "attended"}, follow=True).content.decode()
    meeting.refresh_from_db()
    assert meeting.status == "attended" and meeting.status_label == "Held"
    assert "Marked as held." in page and "Marked wrongly?" not in page


def test_a_patients_appointment_is_marked_attended_or_missed_as_before(world, login):
    appointment = builders.appointment(world.patient, world.clinician, start=timezone.now())
    page = login(world.clinician).get(
        reverse("reviews:appointment", kwargs={"appointment_uuid": appointment.uuid})
    )
    assert "Mark attended" in page.content.decode() and "Mark as held" not in page.content.decode()
    services.record_attendance(actor=world.clinician, appointment=appointment, attended=False)
    appointment.refresh_from_db()
    assert appointment.status_label == "Did not attend"
