"""Group sessions: monthly series, invitations, booking places, capacity and attendance."""

from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from pathway.models import AuditEvent, Notification
from reviews.errors import ReviewsError, SessionFull, StaleState
from reviews.models import GroupBooking, GroupSession
from reviews.services import groups as services
from tests.reviews import builders


def _form(world, **overrides):
    day = timezone.localdate() + timedelta(days=5)
    data = {
        "topic": "Pacing and sleep",
        "description": "",
        "condition": "",
        "start_date": day.isoformat(),
        "start_time": "18:00",
        "duration_minutes": "60",
        "capacity": "8",
        "video_link": "https://video.example.test/group",
        "venue": "",
        "facilitators": [world.clinician.pk],
        "repeat": "3",
        "organisation": world.service.pk,
    }
    return {**data, **overrides}


def test_a_clinician_sets_up_a_monthly_series(world, login, second_clinician):
    response = login(world.clinician).post(
        reverse("reviews:group-session-create"),
        _form(world, facilitators=[world.clinician.pk, second_clinician.pk]),
    )
    assert response.status_code == 302
    sessions = list(GroupSession.objects.order_by("start"))
    assert len(sessions) == 3
    assert len({s.series for s in sessions}) == 1
    assert {timezone.localtime(s.start).weekday() for s in sessions} == {
        timezone.localtime(sessions[0].start).weekday()
    }
    assert set(sessions[1].facilitators.all()) == {world.clinician, second_clinician}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"capacity": "0"}, "A session needs at least 1 place."),
        ({"video_link": "", "venue": ""}, "Enter a video link, a venue, or both."),
        ({"repeat": "13"}, "Set up at most 12 sessions at once."),
        ({"start_date": "2020-02-02"}, "Choose a date and time in the future."),
        ({"facilitators": []}, "Choose at least one facilitator."),
    ],
)
def test_bad_session_details_get_a_message(world, login, overrides, message):
    response = login(world.clinician).post(
        reverse("reviews:group-session-create"), _form(world, **overrides)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not GroupSession.objects.exists()


def test_a_facilitator_from_another_team_cannot_be_chosen(world, login):
    response = login(world.clinician).post(
        reverse("reviews:group-session-create"),
        _form(world, facilitators=[world.other_clinician.pk]),
    )
    assert response.status_code == 200
    assert not GroupSession.objects.exists()


def test_inviting_eligible_patients_tells_them_once(world, login):
    builders.episode_for(world.patient)
    builders.episode_for(world.patient_in_b)
    builders.episode_for(world.patient_in_c)  # another PCN: not eligible for this team
    builders.episode_for(world.other_patient, status="referred")  # not triaged yet
    session = builders.group_session(world.service)
    client = login(world.clinician)
    detail = client.get(reverse("reviews:group-session", kwargs={"session_uuid": session.uuid}))
    eligible = {p.pk for p in detail.context["eligible"]}
    assert eligible == {world.patient.pk, world.patient_in_b.pk}
    url = reverse("reviews:group-session-invite", kwargs={"session_uuid": session.uuid})
    client.post(url, {"patients": [str(world.patient.uuid)]})
    client.post(url, {"patients": [str(world.patient.uuid)]})  # no longer offered: refused
    assert GroupBooking.objects.filter(status="invited").count() == 1
    assert Notification.objects.filter(kind="group_invite").count() == 2  # sms and email
    response = client.post(url, {"patients": [str(world.patient_in_c.uuid)]}, follow=True)
    assert "Choose patients from the list." in response.content.decode()


def test_the_patient_books_a_place_and_cannot_book_twice(world, login):
    session = builders.group_session(world.service)
    invitation = builders.booking(session, world.patient)
    client = login(world.patient_user)
    url = reverse("reviews:my-group-booking", kwargs={"booking_uuid": invitation.uuid})
    client.post(url, {"action": "book"})
    invitation.refresh_from_db()
    assert invitation.status == "booked" and invitation.booked_at is not None
    response = client.post(url, {"action": "book"}, follow=True)
    assert "You already have a place" in response.content.decode()
    client.post(url, {"action": "cancel"})
    invitation.refresh_from_db()
    assert invitation.status == "cancelled"


def test_a_full_session_refuses_the_next_booking(world, login):
    session = builders.group_session(world.service, capacity=1)
    builders.booking(session, world.other_patient, status="booked")
    invitation = builders.booking(session, world.patient)
    response = login(world.patient_user).post(
        reverse("reviews:my-group-booking", kwargs={"booking_uuid": invitation.uuid}),
        {"action": "book"},
        follow=True,
    )
    assert "This session is full" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.status == "invited"
    with pytest.raises(SessionFull):
        services.book_place(actor=world.clinician, session=session, patient=world.patient_in_b)


def test_a_patient_cannot_book_a_session_they_were_not_invited_to(world):
    session = builders.group_session(world.service)
    with pytest.raises(ReviewsError, match="invited to"):
        services.book_place(actor=world.patient_user, session=session, patient=world.patient)
    # Staff may book by phone without an invitation.
    booking = services.book_place(actor=world.clinician, session=session, patient=world.patient)
    assert booking.status == "booked"


def test_a_started_session_takes_no_bookings(world):
    session = builders.group_session(world.service, start=timezone.now() - timedelta(minutes=1))
    builders.booking(session, world.patient)
    with pytest.raises(ReviewsError, match="already started"):
        services.book_place(actor=world.patient_user, session=session, patient=world.patient)


def test_attendance_is_recorded_after_the_start_and_can_be_corrected(world, login):
    session = builders.group_session(world.service, start=timezone.now() - timedelta(hours=1))
    place = builders.booking(session, world.patient, status="booked")
    client = login(world.clinician)
    url = reverse("reviews:group-booking", kwargs={"booking_uuid": place.uuid})
    client.post(url, {"action": "did_not_attend"})
    client.post(url, {"action": "attended"})
    place.refresh_from_db()
    assert place.status == "attended"
    invited = builders.booking(session, world.other_patient)
    with pytest.raises(StaleState):
        services.record_group_attendance(actor=world.clinician, booking=invited, attended=True)


def test_attendance_before_the_start_is_refused(world):
    session = builders.group_session(world.service)
    place = builders.booking(session, world.patient, status="booked")
    with pytest.raises(ReviewsError, match="once the session has started"):
        services.record_group_attendance(actor=world.clinician, booking=place, attended=True)


def test_the_database_allows_one_live_booking_per_patient_and_session(world):
    session = builders.group_session(world.service)
    builders.booking(session, world.patient)
    with pytest.raises(IntegrityError):
        builders.booking(session, world.patient, status="booked")


def test_another_teams_session_answers_404(world, login):
    session = builders.group_session(world.practice_c.parent)
    url = reverse("reviews:group-session", kwargs={"session_uuid": session.uuid})
    assert login(world.clinician).get(url).status_code == 404
    assert login(world.other_clinician).get(url).status_code == 200


def test_the_patient_sees_invitations_on_their_appointments_page(world, login):
    session = builders.group_session(world.service, topic="Sleep workshop")
    builders.booking(session, world.patient)
    page = login(world.patient_user).get(reverse("reviews:my-appointments")).content.decode()
    assert "Sleep workshop" in page and "Book a place" in page


def test_a_full_session_offers_staff_no_booking_and_says_it_is_full(world, login):
    session = builders.group_session(world.service, capacity=1)
    builders.booking(session, world.other_patient, status="booked")
    invitation = builders.booking(session, world.patient)
    client = login(world.clinician)
    url = reverse("reviews:group-session", kwargs={"session_uuid": session.uuid})
    page = client.get(url).content.decode()
    assert 'value="book"' not in page
    assert "Session full: no place to book" in page and "no places left" in page
    # A page left open while the last place went: the refusal speaks to staff.
    response = client.post(
        reverse("reviews:group-booking", kwargs={"booking_uuid": invitation.uuid}),
        {"action": "book"},
        follow=True,
    )
    page = response.content.decode()
    assert "This session is full: every place is booked." in page
    assert "invite Alice Anders to another session" in page
    assert "ask the team" not in page
    invitation.refresh_from_db()
    assert invitation.status == "invited"


def test_staff_free_a_place_so_a_full_session_can_take_someone_else(world, login):
    session = builders.group_session(world.service, capacity=1)
    place = builders.booking(session, world.other_patient, status="booked")
    invitation = builders.booking(session, world.patient)
    client = login(world.clinician)
    page = client.get(reverse("reviews:group-session", kwargs={"session_uuid": session.uuid}))
    assert "Free this place" in page.content.decode()
    booking_url = reverse("reviews:group-booking", kwargs={"booking_uuid": place.uuid})
    response = client.post(booking_url, {"action": "cancel"}, follow=True)
    assert "Place freed: Bob Baker no longer has a place." in response.content.decode()
    place.refresh_from_db()
    assert place.status == "cancelled"
    assert 'value="book"' in response.content.decode()
    client.post(
        reverse("reviews:group-booking", kwargs={"booking_uuid": invitation.uuid}),
        {"action": "book"},
    )
    invitation.refresh_from_db()
    assert invitation.status == "booked"
    assert AuditEvent.objects.filter(object_uuid=place.uuid, actor=world.clinician).exists()
    other = builders.booking(session, world.patient_in_b)
    response = client.post(
        reverse("reviews:group-booking", kwargs={"booking_uuid": other.uuid}),
        {"action": "cancel"},
        follow=True,
    )
    assert "Invitation withdrawn for" in response.content.decode()
    other.refresh_from_db()
    assert other.status == "declined"


def test_a_session_with_places_left_offers_staff_a_booking(world, login):
    session = builders.group_session(world.service, capacity=2)
    builders.booking(session, world.patient)
    page = login(world.clinician).get(
        reverse("reviews:group-session", kwargs={"session_uuid": session.uuid})
    )
    assert 'value="book"' in page.content.decode()
    assert "2 left" in page.content.decode()


def test_staff_booking_a_patient_who_has_a_place_are_told_in_their_words(world):
    session = builders.group_session(world.service)
    builders.booking(session, world.patient, status="booked")
    with pytest.raises(StaleState, match="Alice Anders already has a place"):
        services.book_place(actor=world.clinician, session=session, patient=world.patient)
