"""Bad input anywhere gets a message or a 4xx, never a 500, and changes nothing it should not."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.reviews import builders

JUNK = {
    "kind": "x" * 500,
    "episode": "not-a-number",
    "start_date": "31/02/2026",
    "start_time": "noon",
    "duration_minutes": "1e9",
    "modality": "teleport",
    "clinician": "-1",
    "video_link": "ftp://x",
    "summary": "\x00",
    "next_review_date": "tomorrow",
    "questionnaires": ["SF-36"],
    "mental_health_follow_up": "maybe",
    "instrument": "<script>",
    "due": "2026-13-01",
    "action": "delete",
    "attendance": "yes",
    "patients": ["00000000-0000-0000-0000-000000000000"],
    "reason": "r" * 5000,
    "preferences": "p" * 5000,
    "action_taken": "",
    "question": "",
    "agreed_actions": "",
    "capacity": "-3",
    "repeat": "999",
    "facilitators": ["abc"],
    "organisation": "9999",
    "topic": "",
    "item_1": "99",
    "activity_1": "",
}


def _staff_urls(world):
    appointment = builders.appointment(world.patient, world.clinician, start=timezone.now())
    session = builders.group_session(world.service)
    booking = builders.booking(session, world.patient)
    return [
        reverse("reviews:appointment-create", kwargs={"patient_uuid": world.patient.uuid}),
        reverse("reviews:appointment-reschedule", kwargs={"appointment_uuid": appointment.uuid}),
        reverse("reviews:appointment-cancel", kwargs={"appointment_uuid": appointment.uuid}),
        reverse("reviews:appointment-attendance", kwargs={"appointment_uuid": appointment.uuid}),
        reverse("reviews:review", kwargs={"appointment_uuid": appointment.uuid}),
        reverse("reviews:questionnaire-request", kwargs={"patient_uuid": world.patient.uuid}),
        reverse("reviews:mdt-create", kwargs={"patient_uuid": world.patient.uuid}),
        reverse("reviews:mdt-case", kwargs={"case_uuid": builders.mdt_case(world.patient).uuid}),
        reverse("reviews:alert", kwargs={"alert_uuid": builders.safety_alert(world.patient).uuid}),
        reverse("reviews:group-session-create"),
        reverse("reviews:group-session-invite", kwargs={"session_uuid": session.uuid}),
        reverse("reviews:group-booking", kwargs={"booking_uuid": booking.uuid}),
        reverse("reviews:appointments") + "?start=garbage&end=2026-99-99&clinician=x&page=-4",
        reverse("reviews:worklist") + "?page=abc&clinician=<b>&practice=%00",
        reverse("reviews:group-sessions") + "?page=999999",
    ]


def test_junk_posted_to_every_staff_form_never_gives_a_500(world, login):
    client = login(world.clinician)
    for url in _staff_urls(world):
        for method in ("get", "post"):
            response = getattr(client, method)(url, JUNK if method == "post" else None)
            assert response.status_code < 500, (method, url, response.status_code)


def test_junk_posted_to_every_patient_form_never_gives_a_500(world, login):
    appointment = builders.appointment(
        world.patient, world.clinician, start=timezone.now() + timedelta(days=3)
    )
    session = builders.group_session(world.service)
    booking = builders.booking(session, world.patient)
    urls = [
        reverse("reviews:my-appointment-rearrange", kwargs={"appointment_uuid": appointment.uuid}),
        reverse("reviews:my-appointment-cancel", kwargs={"appointment_uuid": appointment.uuid}),
        reverse("reviews:my-booking-request"),
        reverse("reviews:my-group-booking", kwargs={"booking_uuid": booking.uuid}),
    ]
    for code in ("PHQ-9", "HIT-6", "MIDAS", "PSFS", "MSK-HQ", "ID_MIGRAINE"):
        request = builders.questionnaire_request(world.patient, instrument=code)
        urls.append(reverse("reviews:my-questionnaire", kwargs={"request_uuid": request.uuid}))
    client = login(world.patient_user)
    for url in urls:
        response = client.post(url, JUNK)
        assert response.status_code < 500, (url, response.status_code)
    appointment.refresh_from_db()
    # 5,000 characters is too long for either.
    assert appointment.rearrange_requested_at is None and appointment.status == "booked"


@pytest.mark.parametrize("value", ["", "0", "13", "1.5", "x"])
def test_a_bad_number_of_monthly_sessions_is_a_message(world, login, value):
    response = login(world.clinician).post(
        reverse("reviews:group-session-create"), {**JUNK, "repeat": value}
    )
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()


@pytest.mark.parametrize("value", ["9223372036854775808", "-9223372036854775809", "1" * 40])
def test_a_facilitator_number_too_large_for_the_database_is_a_message(world, login, value):
    response = login(world.clinician).post(
        reverse("reviews:group-session-create"), {**JUNK, "facilitators": [value]}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("start=9999-12-31", "start", "Enter a &#x27;from&#x27; date between 1 January"),
        ("end=9999-12-31", "end", "Enter a &#x27;to&#x27; date between 1 January"),
        ("start=0001-01-01&end=9999-12-31", "start", "Enter a &#x27;from&#x27; date between"),
        ("start=2026-99-99", "start", "Enter the &#x27;from&#x27; date as a real date"),
        ("clinician=x", "clinician", "Choose a clinician from the list"),
    ],
)
def test_unusable_appointment_list_filters_are_refused_beside_the_field(
    world, login, query, field, message
):
    response = login(world.clinician).get(f"{reverse('reviews:appointments')}?{query}")
    page = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: Appointments" in page and "There is a problem" in page
    assert f'id="id_{field}-error"' in page and message in page
    assert f'aria-describedby="id_{field}-error"' in page
    assert "Correct the filters above to see appointments." in page


def test_an_end_date_before_the_start_date_is_refused_not_swapped(world, login):
    later = timezone.now() + timedelta(days=5)
    builders.appointment(world.patient, world.clinician, start=later)
    start = timezone.localdate(later)
    url = reverse("reviews:appointments")
    query = f"?start={start.isoformat()}&end={(start - timedelta(days=3)).isoformat()}"
    page = login(world.clinician).get(url + query).content.decode()
    assert "The &#x27;to&#x27; date must be the same as or after the &#x27;from&#x27; date" in page
    assert world.patient.full_name not in page  # nothing is listed for dates it did not ask for
