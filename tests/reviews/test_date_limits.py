"""Appointments, group sessions (every session of a series) and questionnaires' due dates lie at
most two years ahead: one rule (`rules.too_far_ahead`), a message beside the field, never a 500."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from reviews import rules
from reviews.errors import ReviewsError
from reviews.models import Appointment, GroupSession, QuestionnaireRequest
from reviews.services import appointments as services
from reviews.services import groups as group_services
from tests.reviews import builders

LONDON = ZoneInfo("Europe/London")
TODAY = date(2026, 5, 14)
LAST_DAY = "Choose a date on or before"

# Rules


def test_the_latest_day_is_the_same_date_two_years_on():
    assert rules.latest_date_ahead(TODAY) == date(2028, 5, 14)
    assert rules.latest_date_ahead(date(2028, 2, 29)) == date(2030, 2, 28)


def test_a_date_is_refused_from_the_day_after_the_latest():
    assert rules.too_far_ahead(date(2028, 5, 14), today=TODAY) == ""
    assert rules.too_far_ahead(TODAY, today=TODAY) == ""
    assert rules.too_far_ahead(date(2028, 5, 15), today=TODAY) == (
        "Choose a date on or before 14 May 2028, at most 2 years from today."
    )
    assert rules.too_far_ahead(date(9999, 12, 31), today=TODAY).startswith(LAST_DAY)


def test_a_series_is_refused_when_its_last_session_is_too_far_ahead():
    assert rules.series_too_far_ahead(date(2028, 5, 14), today=TODAY) == ""
    assert rules.series_too_far_ahead(date(2028, 6, 13), today=TODAY) == (
        "The last session would be on 13 June 2028, more than 2 years ahead. Set up fewer "
        "sessions, or start sooner."
    )


# Services


def _at(day: date, hour=10):
    return datetime.combine(day, time(hour), LONDON)


def _latest():
    return rules.latest_date_ahead(timezone.localdate())


def _book(world, start, duration=30):
    return services.book_appointment(
        actor=world.clinician,
        patient=world.patient,
        episode=builders.under_care(world.patient),
        kind="follow_up",
        start=start,
        duration_minutes=duration,
        modality="phone",
        clinician=world.clinician,
    )


def test_booking_on_the_last_day_of_the_calendar_is_a_message_not_a_crash(world):
    with pytest.raises(ReviewsError, match=LAST_DAY) as refused:
        _book(world, _at(date(9999, 12, 31), hour=23), duration=120)
    assert refused.value.field == "start"
    assert not Appointment.objects.exists()


def test_booking_is_allowed_up_to_the_latest_day_and_refused_after(world):
    _book(world, _at(_latest()))
    with pytest.raises(ReviewsError, match=LAST_DAY):
        _book(world, _at(_latest() + timedelta(days=1)))
    assert Appointment.objects.count() == 1


def test_moving_an_appointment_too_far_ahead_is_refused(world):
    appointment = builders.appointment(world.patient, world.clinician)
    with pytest.raises(ReviewsError, match=LAST_DAY):
        services.reschedule_appointment(
            actor=world.clinician,
            appointment=appointment,
            start=_at(date(9999, 12, 31), hour=23),
            duration_minutes=30,
            modality="phone",
            clinician=world.clinician,
        )
    appointment.refresh_from_db()
    assert appointment.start.year < 9999


def _sessions(world, start, repeat=1):
    return group_services.create_group_sessions(
        actor=world.clinician,
        organisation=world.service,
        topic="Pacing",
        start=start,
        duration_minutes=60,
        capacity=8,
        facilitators=[world.clinician],
        repeat=repeat,
        video_link="https://video.example.test/group",
    )


def test_a_group_session_in_9999_is_refused_beside_the_date(world):
    with pytest.raises(ReviewsError, match=LAST_DAY) as refused:
        _sessions(world, _at(date(9999, 11, 9)), repeat=3)
    assert refused.value.field == "start"
    assert not GroupSession.objects.exists()


def test_a_series_running_past_the_latest_day_is_refused_beside_its_length(world):
    start = _at(_latest() - timedelta(days=40))
    with pytest.raises(ReviewsError, match="The last session would be on") as refused:
        _sessions(world, start, repeat=3)
    assert refused.value.field == "repeat"
    assert len(_sessions(world, start, repeat=1)) == 1


# Pages


def _booking_form(world, day, **overrides):
    return {
        "kind": "follow_up",
        "episode": builders.under_care(world.patient).pk,
        "start_date": day,
        "start_time": "23:00",
        "duration_minutes": "120",
        "modality": "phone",
        "video_link": "",
        "location": "",
        "clinician": world.clinician.pk,
        **overrides,
    }


def test_the_booking_page_refuses_9999_beside_the_date(world, login):
    response = login(world.clinician).post(
        reverse("reviews:appointment-create", kwargs={"patient_uuid": world.patient.uuid}),
        _booking_form(world, "9999-12-31"),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_start_date-error"' in page
    assert LAST_DAY in page
    assert not Appointment.objects.exists()


def test_the_booking_page_refuses_2099(world, login):
    response = login(world.clinician).post(
        reverse("reviews:appointment-create", kwargs={"patient_uuid": world.patient.uuid}),
        _booking_form(world, "2099-03-01", start_time="10:00", duration_minutes="30"),
    )
    assert LAST_DAY in response.content.decode()
    assert not Appointment.objects.exists()


def test_the_move_page_refuses_9999_beside_the_date(world, login):
    appointment = builders.appointment(world.patient, world.clinician)
    response = login(world.clinician).post(
        reverse("reviews:appointment-reschedule", kwargs={"appointment_uuid": appointment.uuid}),
        _booking_form(world, "9999-12-31"),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_start_date-error"' in page and LAST_DAY in page


def _session_form(world, day, repeat="1"):
    return {
        "topic": "Pacing and sleep",
        "description": "",
        "condition": "",
        "start_date": day,
        "start_time": "18:00",
        "duration_minutes": "60",
        "capacity": "8",
        "video_link": "https://video.example.test/group",
        "venue": "",
        "facilitators": [world.clinician.pk],
        "repeat": repeat,
        "organisation": world.service.pk,
    }


def test_a_series_starting_in_november_9999_is_refused_for_its_date_not_its_length(world, login):
    response = login(world.clinician).post(
        reverse("reviews:group-session-create"), _session_form(world, "9999-11-09", repeat="3")
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_start_date-error"' in page and LAST_DAY in page
    assert "A series can have" not in page
    assert not GroupSession.objects.exists()


def test_a_series_running_too_far_is_refused_beside_the_number_of_sessions(world, login):
    day = (_latest() - timedelta(days=40)).isoformat()
    response = login(world.clinician).post(
        reverse("reviews:group-session-create"), _session_form(world, day, repeat="3")
    )
    page = response.content.decode()
    assert 'id="id_repeat-error"' in page and "The last session would be on" in page
    assert not GroupSession.objects.exists()


def _request(client, patient, due):
    builders.episode_for(patient)  # questionnaires go to patients under care
    return client.post(
        reverse("reviews:questionnaire-request", kwargs={"patient_uuid": patient.uuid}),
        {"instrument": "HIT-6", "due": due},
    )


def test_a_questionnaire_due_in_9999_is_refused_beside_the_date(world, login):
    response = _request(login(world.clinician), world.patient, "9999-12-31")
    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_due-error"' in page and LAST_DAY in page
    assert not QuestionnaireRequest.objects.exists()


def test_a_questionnaire_due_next_year_shows_the_year(world, login):
    due = date(timezone.localdate().year + 1, 1, 15)
    client = login(world.clinician)
    assert _request(client, world.patient, due.isoformat()).status_code == 302
    url = reverse("reviews:patient-reviews", kwargs={"patient_uuid": world.patient.uuid})
    assert f"due 15 Jan {due.year}" in client.get(url).content.decode()
