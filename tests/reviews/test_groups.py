"""Group sessions: monthly series, invitations, booking places, capacity and attendance."""

from datetime import datetime, time, timedelta

import pytest
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from pathway.models import AuditEvent, Notification
from reviews import rules
from reviews.errors import ReviewsError, SessionFull, StaleState
from reviews.models import GroupBooking, GroupSession
from reviews.services import groups as services
from tests.factories import PatientFactory
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
        ({"video_link": "http://video.example.test/group"}, "secure web address, starting https"),
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


@pytest.mark.parametrize(
    ("start_time", "minutes", "problem"),
    [
        ("03:00", "60", "03:00 on "),
        ("20:30", "60", "Starting at 20:30, it would end at 21:30, after clinic hours"),
    ],
)
def test_a_session_outside_clinic_hours_is_set_up_only_when_meant(
    world, login, start_time, minutes, problem
):
    client = login(world.clinician)
    url = reverse("reviews:group-session-create")
    data = _form(world, start_time=start_time, duration_minutes=minutes, repeat="1")
    asked = client.post(url, data).content.decode()
    assert problem in asked
    assert "Tick to set it up at this time anyway, or change the time." in asked
    assert not GroupSession.objects.exists()
    assert client.post(url, {**data, "set_up_anyway": "on"}).status_code == 302
    assert GroupSession.objects.count() == 1


def test_a_series_reaching_the_hour_the_clocks_skip_is_refused(world, login):
    # A monthly series, from a Sunday at 01:30, one of whose later sessions falls on the night
    # the clocks go forward (the last Sunday of March).
    def clocks_change(day):
        return day.month == 3 and day.weekday() == 6 and (day + timedelta(days=7)).month == 4

    today = timezone.localdate()
    first, change = next(
        (day, later.date())
        for day in (today + timedelta(days=n) for n in range(1, 400))
        if day.weekday() == 6
        for later in rules.monthly_occurrences(datetime.combine(day, time(1, 30)), 3)[1:]
        if clocks_change(later.date())
    )
    client = login(world.clinician)
    data = _form(
        world, start_date=first.isoformat(), start_time="01:30", repeat="3", set_up_anyway="on"
    )
    response = client.post(reverse("reviews:group-session-create"), data)
    assert (
        f"The session on {change:%-d %B %Y} would be at 01:30, which does not happen that night"
    ) in response.content.decode()
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
    response = client.post(url, {"patients": [str(world.patient_in_c.uuid)]})
    assert response.status_code == 400
    assert "Choose patients from the list." in response.content.decode()
    # Nothing chosen: the error summary and the error beside the list, on the page itself.
    empty = client.post(url, {}).content.decode()
    assert "<title>Error: " in empty and "There is a problem" in empty
    assert 'href="#id_patients_0">Choose at least one patient to invite.</a>' in empty


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
    page = client.post(url, {"action": "cancel"}, follow=True).content.decode()
    assert "Cancel your place?" in page
    invitation.refresh_from_db()
    assert invitation.status == "booked"
    page = client.post(url, {"action": "cancel", "confirm": "yes"}, follow=True).content.decode()
    invitation.refresh_from_db()
    assert invitation.status == "cancelled"
    assert "is cancelled. Thank you for letting us know." in page


def test_turning_down_an_invitation_asks_first_and_says_it_was_turned_down(world, login):
    session = builders.group_session(world.service)
    invitation = builders.booking(session, world.patient)
    client = login(world.patient_user)
    url = reverse("reviews:my-group-booking", kwargs={"booking_uuid": invitation.uuid})
    page = client.post(url, {"action": "cancel"}, follow=True).content.decode()
    assert "Turn down this invitation?" in page
    assert "Yes, turn it down" in page
    assert GroupBooking.objects.get(pk=invitation.pk).status == "invited"
    page = client.post(url, {"action": "cancel", "confirm": "yes"}, follow=True).content.decode()
    assert GroupBooking.objects.get(pk=invitation.pk).status == "declined"
    assert "You have turned down the invitation to the group session on" in page
    assert "Your place" not in page


def test_cancelling_a_place_asks_on_a_page_that_reloads_and_says_when_it_is_done(world, login):
    session = builders.group_session(world.service)
    place = builders.booking(session, world.patient, status="booked")
    client = login(world.patient_user)
    ask = reverse("reviews:my-group-booking-cancel", kwargs={"booking_uuid": place.uuid})
    mine = client.get(reverse("reviews:my-appointments")).content.decode()
    assert f'href="{ask}">Cancel my place' in mine
    # Opened, reloaded or come Back to: the same question each time, nothing ended yet.
    for _ in range(2):
        response = client.get(ask)
        assert response.status_code == 200
        page = response.content.decode()
        assert "<h1>Cancel your place?</h1>" in page
        assert f'action="{ask}"' in page and "Yes, cancel my place" in page
    assert GroupBooking.objects.get(pk=place.pk).status == "booked"
    # A form from the appointments page as it was (a POST asking first) is sent to that page.
    old = reverse("reviews:my-group-booking", kwargs={"booking_uuid": place.uuid})
    response = client.post(old, {"action": "cancel"})
    assert (response.status_code, response["Location"]) == (302, ask)
    done = client.post(ask, {"confirm": "yes"}, follow=True)
    assert done.redirect_chain == [(reverse("reviews:my-appointments"), 302)]
    assert "is cancelled. Thank you for letting us know." in done.content.decode()
    assert GroupBooking.objects.get(pk=place.pk).status == "cancelled"
    # Back to the question afterwards: it says what happened, with nothing to press.
    response = client.get(ask)
    page = response.content.decode()
    assert response.status_code == 200
    assert "You cancelled your place at this session." in page
    assert "Cancel your place?" not in page and "Yes, cancel my place" not in page


def test_turning_down_an_invitation_is_asked_on_a_page_of_its_own(world, login):
    session = builders.group_session(world.service)
    invitation = builders.booking(session, world.patient)
    client = login(world.patient_user)
    ask = reverse("reviews:my-group-booking-cancel", kwargs={"booking_uuid": invitation.uuid})
    mine = client.get(reverse("reviews:my-appointments")).content.decode()
    assert f'href="{ask}">No thanks' in mine
    assert "Turn down this invitation?" in client.get(ask).content.decode()
    client.post(ask, {"confirm": "yes"})
    assert GroupBooking.objects.get(pk=invitation.pk).status == "declined"
    page = client.get(ask).content.decode()
    assert "You turned down the invitation to this session." in page
    assert "Yes, turn it down" not in page


@pytest.mark.parametrize(
    ("change", "told"),
    [
        ({"start": timezone.now() - timedelta(minutes=5)}, "This session has already started."),
        ({"cancelled_at": timezone.now()}, "This session has been cancelled."),
    ],
)
def test_the_cancelling_page_of_a_session_begun_or_cancelled_says_why_not(
    world, login, change, told
):
    session = builders.group_session(world.service)
    place = builders.booking(session, world.patient, status="booked")
    GroupSession.objects.filter(pk=session.pk).update(**change)
    ask = reverse("reviews:my-group-booking-cancel", kwargs={"booking_uuid": place.uuid})
    page = login(world.patient_user).get(ask).content.decode()
    assert told in page and "Yes, cancel my place" not in page
    assert GroupBooking.objects.get(pk=place.pk).status == "booked"


def test_a_started_session_is_not_offered_for_cancelling(world, login):
    session = builders.group_session(world.service)
    place = builders.booking(session, world.patient, status="booked")
    GroupSession.objects.filter(pk=session.pk).update(start=timezone.now() - timedelta(minutes=5))
    url = reverse("reviews:my-group-booking", kwargs={"booking_uuid": place.uuid})
    page = login(world.patient_user).post(url, {"action": "cancel"}, follow=True).content.decode()
    assert "Cancel your place?" not in page
    assert "This session has already started." in page
    assert GroupBooking.objects.get(pk=place.pk).status == "booked"


def test_a_past_session_says_how_many_places_were_booked_not_how_many_are_left(world, login):
    session = builders.group_session(world.service, capacity=10, duration_minutes=1)
    builders.booking(session, world.patient, status="booked")
    url = reverse("reviews:group-session", kwargs={"session_uuid": session.uuid})
    client = login(world.clinician)
    page = client.get(url).content.decode()
    assert "1 of 10 booked · 9 left" in page and "(1 minute)" in page
    GroupSession.objects.filter(pk=session.pk).update(start=timezone.now() - timedelta(days=1))
    # Booked before it began, as every place is.
    session.bookings.update(booked_at=timezone.now() - timedelta(days=2))
    page = client.get(url).content.decode()
    assert "1 of 10 places were booked" in page and "left" not in page


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


def test_an_invitation_to_a_full_session_offers_no_place_until_one_is_free(world, login):
    session = builders.group_session(world.service, capacity=1)
    taken = builders.booking(session, world.other_patient, status="booked")
    invitation = builders.booking(session, world.patient)
    client = login(world.patient_user)
    page = client.get(reverse("reviews:my-appointments")).content.decode()
    assert "This session is full at the moment." in page
    ask = reverse("reviews:my-group-booking-cancel", kwargs={"booking_uuid": invitation.uuid})
    assert 'value="book"' not in page and f'href="{ask}">No thanks' in page
    GroupBooking.objects.filter(pk=taken.pk).update(status="cancelled", cancelled_at=timezone.now())
    page = client.get(reverse("reviews:my-appointments")).content.decode()
    assert "This session is full" not in page and 'value="book"' in page


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
    # Invited, not booked: they cannot have missed a place they never had, but if they joined
    # anyway they attended, and the page offers that.
    invited = builders.booking(session, world.other_patient)
    with pytest.raises(StaleState, match="invited and joining"):
        services.record_group_attendance(actor=world.clinician, booking=invited, attended=False)
    page = client.get(reverse("reviews:group-session", kwargs={"session_uuid": session.uuid}))
    assert "Joined without a place: attended" in page.content.decode()
    services.record_group_attendance(actor=world.clinician, booking=invited, attended=True)
    invited.refresh_from_db()
    assert invited.status == "attended" and invited.booked_at is not None


def test_attendance_marked_from_a_page_opened_before_another_mark_is_refused(world, login):
    session = builders.group_session(world.service, start=timezone.now() - timedelta(hours=1))
    place = builders.booking(session, world.patient, status="booked")
    client = login(world.clinician)
    url = reverse("reviews:group-booking", kwargs={"booking_uuid": place.uuid})
    page = client.get(reverse("reviews:group-session", kwargs={"session_uuid": session.uuid}))
    assert 'name="was" value="booked"' in page.content.decode()
    # Tab A marks them missing; tab B, opened before, says they came.
    client.post(url, {"action": "did_not_attend", "was": "booked"})
    response = client.post(url, {"action": "attended", "was": "booked"}, follow=True)
    place.refresh_from_db()
    assert place.status == "did_not_attend"
    assert (
        f"{world.patient.full_name} was marked as did not attend by {world.clinician.full_name} "
        "after this page was opened. Nothing has been changed" in response.content.decode()
    )
    # The same mark pressed twice is harmless; a correction from the page as it is now works.
    services.record_group_attendance(
        actor=world.clinician, booking=place, attended=False, was="booked"
    )
    client.post(url, {"action": "attended", "was": "did_not_attend"})
    place.refresh_from_db()
    assert place.status == "attended"


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
    response = client.post(booking_url, {"action": "cancel", "confirm": "yes"}, follow=True)
    assert (
        "Place freed: Bob Baker no longer has a place. The patient has been told."
        in response.content.decode()
    )
    place.refresh_from_db()
    assert place.status == "withdrawn"
    assert "Place withdrawn by the care team" in response.content.decode()
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
        {"action": "cancel", "confirm": "yes"},
        follow=True,
    )
    page = response.content.decode()
    assert "Invitation withdrawn for" in page
    assert "Invitation withdrawn by the care team" in page
    assert "Declined" not in page
    other.refresh_from_db()
    assert other.status == "withdrawn"


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


# Ended by the patient or by the team


def _session_page(client, session):
    return client.get(
        reverse("reviews:group-session", kwargs={"session_uuid": session.uuid})
    ).content.decode()


def test_the_patients_own_answers_read_as_theirs_on_the_staff_page(world, login):
    session = builders.group_session(world.service)
    invitation = builders.booking(session, world.patient)
    services.cancel_place(actor=world.patient_user, booking=invitation)
    invitation.refresh_from_db()
    assert invitation.status == "declined"
    place = builders.booking(session, world.patient, status="booked")
    services.cancel_place(actor=world.patient_user, booking=place)
    place.refresh_from_db()
    assert place.status == "cancelled"
    page = _session_page(login(world.clinician), session)
    assert "Declined" in page and "Cancelled" in page
    assert "withdrawn by the care team" not in page


def test_a_withdrawal_by_the_team_reads_as_theirs_whatever_was_withdrawn(world):
    session = builders.group_session(world.service)
    invitation = services.cancel_place(
        actor=world.clinician, booking=builders.booking(session, world.patient)
    )
    place = services.cancel_place(
        actor=world.clinician,
        booking=builders.booking(session, world.other_patient, status="booked"),
    )
    assert (invitation.status, place.status) == ("withdrawn", "withdrawn")
    assert invitation.status_label == "Invitation withdrawn by the care team"
    assert place.status_label == "Place withdrawn by the care team"
    assert invitation.cancelled_at is not None and invitation.updated_by == world.clinician
    event = AuditEvent.objects.get(object_uuid=place.uuid, actor=world.clinician)
    assert sorted(event.fields) == ["cancelled_at", "status"]


def test_nothing_is_withdrawn_once_the_session_has_started(world):
    session = builders.group_session(world.service, start=timezone.now() - timedelta(minutes=1))
    place = builders.booking(session, world.patient, status="booked")
    with pytest.raises(ReviewsError, match="already started"):
        services.cancel_place(actor=world.clinician, booking=place)
    place.refresh_from_db()
    assert place.status == "booked"
    assert not Notification.objects.exists()


def test_withdrawing_twice_says_it_is_done_already(world, login):
    session = builders.group_session(world.service)
    invitation = builders.booking(session, world.patient)
    client = login(world.clinician)
    url = reverse("reviews:group-booking", kwargs={"booking_uuid": invitation.uuid})
    client.post(url, {"action": "cancel", "confirm": "yes"})
    page = client.post(url, {"action": "cancel"}, follow=True).content.decode()
    assert "The care team has already withdrawn this invitation or place." in page
    assert GroupBooking.objects.get(pk=invitation.pk).status == "withdrawn"


def test_a_place_booked_since_the_invitation_was_read_is_not_withdrawn_as_an_invitation(world):
    session = builders.group_session(world.service)
    invitation = builders.booking(session, world.patient)
    GroupBooking.objects.filter(pk=invitation.pk).update(status="booked", booked_at=timezone.now())
    with pytest.raises(StaleState, match="changed since the page was opened"):
        services.cancel_place(actor=world.clinician, booking=invitation)
    assert GroupBooking.objects.get(pk=invitation.pk).status == "booked"


def test_a_patient_whose_invitation_was_withdrawn_can_be_invited_again(world, login):
    builders.episode_for(world.patient)
    session = builders.group_session(world.service)
    invitation = builders.booking(session, world.patient)
    services.cancel_place(actor=world.clinician, booking=invitation)
    client = login(world.clinician)
    detail = client.get(reverse("reviews:group-session", kwargs={"session_uuid": session.uuid}))
    assert world.patient in detail.context["eligible"]
    [again] = services.invite_patients(
        actor=world.clinician, session=session, patients=[world.patient]
    )
    assert again.status == "invited" and again.pk != invitation.pk


def test_a_patient_who_turned_the_session_down_is_listed_again_with_a_note(world, login):
    builders.episode_for(world.patient)
    builders.episode_for(world.patient_in_b)
    session = builders.group_session(world.service)
    builders.booking(session, world.patient, status="declined")
    client = login(world.clinician)
    url = reverse("reviews:group-session", kwargs={"session_uuid": session.uuid})
    page = client.get(url).content.decode()
    assert f"{world.patient.full_name}, born" in page
    assert "(turned down an earlier invitation to this session)" in page
    assert page.count("(turned down") == 1  # the other patient has no note
    assert "Patients who turned it down or gave up a place are listed again" in page
    services.invite_patients(actor=world.clinician, session=session, patients=[world.patient])
    response = client.get(url)
    rows = [(b.status, b.replaced) for b in response.context["bookings"]]
    assert rows == [("invited", False), ("declined", True)]
    assert response.content.decode().count("Earlier invitation: invited again since") == 1


def test_a_patient_beyond_the_first_50_is_found_by_name_and_invited(world, login):
    for number in range(50):
        builders.episode_for(
            PatientFactory(
                registered_practice=world.practice_a, given_name="Ann", family_name=f"A{number:02d}"
            )
        )
    last = PatientFactory(
        registered_practice=world.practice_a, given_name="Zoe", family_name="Zimmerman"
    )
    builders.episode_for(last)
    session = builders.group_session(world.service)
    url = reverse("reviews:group-session", kwargs={"session_uuid": session.uuid})
    client = login(world.clinician)
    listing = client.get(url)
    assert len(listing.context["eligible"]) == 50 and last not in listing.context["eligible"]
    assert "Only the first 50 are listed: find a patient by name" in listing.content.decode()
    found = client.get(url, {"name": "zoe zim"})
    assert found.context["eligible"] == [last]
    assert client.get(url, {"name": "Zimmerman Zoe"}).context["eligible"] == [last]
    assert "Only the first" not in found.content.decode()
    assert client.get(url, {"name": "Nobody"}).context["eligible"] == []
    assert client.get(url, {"name": "Zo\x00e"}).context["eligible"] == [last]
    invite = reverse("reviews:group-session-invite", kwargs={"session_uuid": session.uuid})
    client.post(invite, {"patients": [str(last.uuid)]})
    assert GroupBooking.objects.filter(session=session, patient=last, status="invited").exists()
    response = client.post(invite, {"patients": ["not-a-uuid"]}, follow=True)
    assert "Choose patients from the list." in response.content.decode()


def test_the_session_form_asks_for_a_video_link_or_a_venue_without_calling_them_optional(
    world, login
):
    page = login(world.clinician).get(reverse("reviews:group-session-create")).content.decode()
    assert "Video link (optional)" not in page and "Venue (optional)" not in page
    assert "A session needs a video link, a venue, or both." in page


def test_the_patient_sees_a_withdrawn_invitation_and_how_to_ask_for_another(world, login):
    session = builders.group_session(world.service, topic="Sleep workshop")
    services.cancel_place(actor=world.clinician, booking=builders.booking(session, world.patient))
    page = login(world.patient_user).get(reverse("reviews:my-appointments")).content.decode()
    assert "Sleep workshop" in page
    assert "Invitation withdrawn by the care team" in page
    assert "To ask for a place at another session, contact your care team." in page
    assert 'value="book"' not in page and "Declined" not in page


def test_the_patient_is_asked_not_to_join_a_session_whose_place_was_withdrawn(world, login):
    session = builders.group_session(world.service, topic="Sleep workshop")
    services.cancel_place(
        actor=world.clinician, booking=builders.booking(session, world.patient, status="booked")
    )
    page = login(world.patient_user).get(reverse("reviews:my-appointments")).content.decode()
    assert "Place withdrawn by the care team" in page
    assert "You no longer have a place at this session, so please do not join it." in page
    assert "Join online" not in page and "video.example.test" not in page


def test_the_patients_own_declines_and_cancellations_leave_their_page(world, login):
    session = builders.group_session(world.service, topic="Sleep workshop")
    builders.booking(session, world.patient, status="declined")
    builders.booking(builders.group_session(world.service), world.patient, status="cancelled")
    page = login(world.patient_user).get(reverse("reviews:my-appointments")).content.decode()
    assert "You have no group session invitations at the moment." in page


def test_a_withdrawn_invitation_replaced_by_a_new_one_shows_only_the_new_one(world, login):
    session = builders.group_session(world.service, topic="Sleep workshop")
    services.cancel_place(actor=world.clinician, booking=builders.booking(session, world.patient))
    services.invite_patients(actor=world.clinician, session=session, patients=[world.patient])
    response = login(world.patient_user).get(reverse("reviews:my-appointments"))
    assert [b.status for b in response.context["groups"]] == ["invited"]
    page = response.content.decode()
    assert "Book a place" in page and "withdrawn" not in page


def test_booking_from_a_page_left_open_after_the_team_withdrew_says_so(world, login):
    session = builders.group_session(world.service)
    invitation = builders.booking(session, world.patient)
    services.cancel_place(actor=world.clinician, booking=invitation)
    url = reverse("reviews:my-group-booking", kwargs={"booking_uuid": invitation.uuid})
    client = login(world.patient_user)
    page = client.post(url, {"action": "book"}, follow=True).content.decode()
    assert "Your care team has withdrawn this invitation." in page
    assert "already have a place" not in page
    page = client.post(url, {"action": "cancel"}, follow=True).content.decode()
    assert "The care team has already withdrawn this invitation or place." in page
    assert GroupBooking.objects.get(pk=invitation.pk).status == "withdrawn"


@pytest.mark.parametrize(
    ("status", "told"),
    [
        ("cancelled", "You cancelled your place at this session."),
        ("declined", "You turned down the invitation to this session."),
        ("attended", "This group session has already taken place."),
    ],
)
def test_booking_from_a_page_shown_before_the_place_ended_says_what_happened(
    world, login, status, told
):
    session = builders.group_session(world.service)
    invitation = builders.booking(session, world.patient, status=status)
    url = reverse("reviews:my-group-booking", kwargs={"booking_uuid": invitation.uuid})
    page = login(world.patient_user).post(url, {"action": "book"}, follow=True).content.decode()
    assert told in page
    assert "already have a place" not in page
    assert GroupBooking.objects.get(pk=invitation.pk).status == status


def test_freeing_a_place_asks_first_and_says_who_will_be_told(world, login):
    session = builders.group_session(world.service)
    place = builders.booking(session, world.patient, status="booked")
    client = login(world.clinician)
    url = reverse("reviews:group-booking", kwargs={"booking_uuid": place.uuid})
    page = client.post(url, {"action": "cancel"}).content.decode()
    assert "Free Alice Anders's place?" in page
    assert "We will send them a message to say so" in page
    assert 'name="confirm" value="yes"' in page
    place.refresh_from_db()
    assert place.status == "booked"
    assert not Notification.objects.exists()
    client.post(url, {"action": "cancel", "confirm": "yes"})
    place.refresh_from_db()
    assert place.status == "withdrawn"


def test_withdrawing_an_invitation_asks_first_and_warns_when_the_patient_cannot_be_told(
    world, login
):
    session = builders.group_session(world.service)
    invitation = builders.booking(session, world.patient)
    world.patient.opted_out_at = timezone.now()
    world.patient.save()
    page = (
        login(world.clinician)
        .post(
            reverse("reviews:group-booking", kwargs={"booking_uuid": invitation.uuid}),
            {"action": "cancel"},
        )
        .content.decode()
    )
    assert "Withdraw Alice Anders's invitation?" in page
    assert "They will not be told" in page
    assert "they have asked for no messages" in page
    assert "Yes, withdraw the invitation" in page
    invitation.refresh_from_db()
    assert invitation.status == "invited"


def test_a_place_at_a_cancelled_session_is_not_withdrawn_again(world, login):
    session = builders.group_session(world.service, cancelled_at=timezone.now())
    place = builders.booking(session, world.patient, status="booked")
    client = login(world.clinician)
    page = client.get(reverse("reviews:group-session", kwargs={"session_uuid": session.uuid}))
    assert "Free this place" not in page.content.decode()
    with pytest.raises(ReviewsError, match="This session has been cancelled."):
        services.cancel_place(actor=world.clinician, booking=place)
    url = reverse("reviews:group-booking", kwargs={"booking_uuid": place.uuid})
    page = client.post(url, {"action": "cancel"}, follow=True).content.decode()
    assert "This session has been cancelled." in page
    place.refresh_from_db()
    assert place.status == "booked"
    assert not Notification.objects.exists()


# Cancelling a whole session.


def _cancel_url(session):
    return reverse("reviews:group-session-cancel", kwargs={"session_uuid": session.uuid})


def test_cancelling_a_session_asks_first_naming_who_will_be_told(world, login):
    session = builders.group_session(world.service)
    builders.booking(session, world.patient, status="booked")
    builders.booking(session, world.other_patient)
    client = login(world.clinician)
    detail = client.get(reverse("reviews:group-session", kwargs={"session_uuid": session.uuid}))
    assert "Cancel this session</button>" in detail.content.decode()
    page = client.post(_cancel_url(session)).content.decode()
    assert "Cancel this group session?" in page
    assert f"{world.patient.full_name} (booked)" in page
    assert f"{world.other_patient.full_name} (invited)" in page
    session.refresh_from_db()
    assert session.cancelled_at is None
    assert not Notification.objects.filter(kind="group_session_cancelled").exists()


def test_a_cancelled_session_tells_everyone_invited_or_booked_and_shows_as_cancelled(world, login):
    session = builders.group_session(world.service)
    place = builders.booking(session, world.patient, status="booked")
    invitation = builders.booking(session, world.other_patient)
    builders.booking(session, world.patient_in_b, status="declined")
    client = login(world.clinician)
    response = client.post(_cancel_url(session), {"confirm": "yes"}, follow=True)
    page = response.content.decode()
    assert "Session cancelled." in page and "This session was cancelled on" in page
    # Its places are not "full": it is off, and each invitation and place says so.
    assert ">Full<" not in page and "1 of 10 places had been booked" in page
    assert page.count(">Session cancelled</span>") == 2  # the place and the invitation
    listed = client.get(reverse("reviews:group-sessions")).content.decode()
    assert "1 of 10 had been booked" in listed and "invited" not in listed
    session.refresh_from_db()
    assert session.cancelled_at is not None
    told = Notification.objects.filter(kind="group_session_cancelled")
    assert {n.patient for n in told} == {world.patient, world.other_patient}
    assert all(n.expires_at == session.start for n in told)
    assert "Pacing and sleep" not in " ".join(str(n.context) for n in told)
    # Rows stay as they were; the patient's page says the session is off.
    place.refresh_from_db()
    invitation.refresh_from_db()
    assert (place.status, invitation.status) == ("booked", "invited")
    mine = login(world.patient_user).get(reverse("reviews:my-appointments")).content.decode()
    assert "Cancelled by the care team" in mine
    assert "so please do not join it" in mine
    assert "Cancel my place" not in mine and "Book a place" not in mine
    # Once is enough.
    sent = told.count()
    again = login(world.clinician).post(_cancel_url(session), {"confirm": "yes"}, follow=True)
    assert "already been cancelled" in again.content.decode()
    assert told.count() == sent


def test_a_started_session_cannot_be_cancelled_and_a_cancelled_one_has_no_attendance(world):
    started = builders.group_session(world.service, start=timezone.now() - timedelta(minutes=5))
    with pytest.raises(ReviewsError, match="already started"):
        services.cancel_session(actor=world.clinician, session=started)
    cancelled = builders.group_session(
        world.service,
        start=timezone.now() - timedelta(minutes=5),
        cancelled_at=timezone.now() - timedelta(days=1),
    )
    place = builders.booking(cancelled, world.patient, status="booked")
    with pytest.raises(ReviewsError, match="was cancelled"):
        services.record_group_attendance(actor=world.clinician, booking=place, attended=True)


def test_what_the_team_records_for_a_place_is_said_plainly(world, login):
    session = builders.group_session(world.service)
    invitation = builders.booking(session, world.patient)
    client = login(world.clinician)
    url = reverse("reviews:group-booking", kwargs={"booking_uuid": invitation.uuid})
    page = client.post(url, {"action": "book"}, follow=True).content.decode()
    assert f"Place booked for {world.patient.full_name}." in page
    GroupSession.objects.filter(pk=session.pk).update(start=timezone.now() - timedelta(minutes=5))
    page = client.post(url, {"action": "did_not_attend"}, follow=True).content.decode()
    assert f"{world.patient.full_name} did not attend." in page


def test_inviting_says_who_cannot_book_online(world, login):
    session = builders.group_session(world.service)
    assert world.patient.user_id is not None
    without = PatientFactory(registered_practice=world.patient.registered_practice, user=None)
    builders.episode_for(without, status="active")
    builders.episode_for(world.patient, status="active")
    response = login(world.clinician).post(
        reverse("reviews:group-session-invite", kwargs={"session_uuid": session.uuid}),
        {"patients": [str(world.patient.uuid), str(without.uuid)]},
        follow=True,
    )
    page = response.content.decode()
    assert "2 invited. 1 of them has no patient portal account" in page


def test_the_patients_reviews_tab_lists_their_group_sessions_and_attendance(world, login):
    now = timezone.now()
    went = builders.group_session(world.service, topic="Pacing", start=now - timedelta(days=40))
    missed = builders.group_session(world.service, topic="Sleep", start=now - timedelta(days=10))
    coming = builders.group_session(world.service, topic="Flare plans")
    builders.booking(went, world.patient, status="attended")
    builders.booking(missed, world.patient, status="did_not_attend")
    builders.booking(coming, world.patient, status="invited")
    builders.booking(coming, world.other_patient, status="booked")
    url = reverse("reviews:patient-reviews", kwargs={"patient_uuid": world.patient.uuid})
    response = login(world.clinician).get(url)
    assert [(b.session.topic, b.status) for b in response.context["group_bookings"]] == [
        ("Flare plans", "invited"),
        ("Sleep", "did_not_attend"),
        ("Pacing", "attended"),
    ]
    page = response.content.decode()
    assert "<h2>Group sessions</h2>" in page
    assert ">Did not attend</strong>" in page
    assert reverse("reviews:group-session", kwargs={"session_uuid": missed.uuid}) in page
    other = reverse("reviews:patient-reviews", kwargs={"patient_uuid": world.patient_in_b.uuid})
    assert "No group session invitations." in login(world.clinician).get(other).content.decode()


def _started(minutes_ago: int, **fields):
    return {"start": timezone.now() - timedelta(minutes=minutes_ago), **fields}


def test_the_patient_is_not_offered_a_place_at_a_session_that_has_started(world, login):
    session = builders.group_session(world.service, **_started(10, duration_minutes=60))
    builders.booking(session, world.patient)
    page = login(world.patient_user).get(reverse("reviews:my-appointments")).content.decode()
    assert "This session has started." in page
    assert "Book a place" not in page and 'value="book"' not in page
    assert 'value="cancel"' not in page


def test_the_patient_with_a_place_at_a_session_under_way_can_join_but_not_cancel(world, login):
    session = builders.group_session(world.service, **_started(10, duration_minutes=60))
    builders.booking(session, world.patient, status="booked")
    page = login(world.patient_user).get(reverse("reviews:my-appointments")).content.decode()
    assert "This session has started. You have a place: " in page
    assert 'href="https://video.example.test/room"' in page
    assert "Cancel my place" not in page


def test_a_full_session_that_has_ended_says_so_not_that_a_place_may_come_free(world, login):
    session = builders.group_session(world.service, capacity=1, **_started(90, duration_minutes=60))
    builders.booking(session, world.other_patient, status="attended")
    builders.booking(session, world.patient)
    page = login(world.patient_user).get(reverse("reviews:my-appointments")).content.decode()
    assert "This session has ended." in page
    assert "If a place comes free" not in page and "This session is full" not in page
    assert 'value="book"' not in page and 'value="cancel"' not in page


def test_the_patient_sees_earlier_todays_session_they_came_to_as_ended(world, login):
    session = builders.group_session(world.service, **_started(120, duration_minutes=60))
    builders.booking(session, world.patient, status="attended")
    page = login(world.patient_user).get(reverse("reviews:my-appointments")).content.decode()
    assert "Pacing and sleep" in page
    assert "This session has ended. You attended it." in page


def test_patients_who_joined_without_a_place_are_counted_apart_from_the_places_booked(world, login):
    session = builders.group_session(world.service, capacity=2, **_started(30))
    builders.booking(session, world.patient, status="booked")
    builders.booking(session, world.other_patient, status="booked")
    walk_in = builders.booking(session, PatientFactory())
    services.record_group_attendance(actor=world.clinician, booking=walk_in, attended=True)
    client = login(world.clinician)
    page = client.get(reverse("reviews:group-session", kwargs={"session_uuid": session.uuid}))
    assert "2 of 2 places were booked, 1 joined without a place" in page.content.decode()
    listed = client.get(reverse("reviews:group-sessions")).content.decode()
    assert "2 of 2 booked, 1 joined without a place" in listed
    assert "3 of 2" not in listed


def test_a_walk_in_marked_missing_after_all_is_neither_a_place_nor_a_walk_in(world, login):
    session = builders.group_session(world.service, capacity=2, **_started(30))
    builders.booking(session, world.patient, status="booked")
    walk_in = builders.booking(session, world.other_patient)
    services.record_group_attendance(actor=world.clinician, booking=walk_in, attended=True)
    services.record_group_attendance(actor=world.clinician, booking=walk_in, attended=False)
    page = login(world.clinician).get(
        reverse("reviews:group-session", kwargs={"session_uuid": session.uuid})
    )
    text = page.content.decode()
    assert "1 of 2 places were booked" in text and "joined without a place" not in text
