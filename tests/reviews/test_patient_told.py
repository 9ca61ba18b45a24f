"""Staff are told whether the patient was messaged, following what was queued, and why not."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from pathway.models import Notification
from reviews import messaging
from tests.reviews import builders

OPTED_OUT = "they have asked for no messages"
NO_DETAILS = "they have no mobile number or email address on record"
NO_CONSENT = "they have not agreed to texts or emails"
# Consent to a channel needs its detail (pathway_patient_sms_consent_needs_mobile).
NO_CONTACT = {"mobile": "", "email": "", "sms_consent": False, "email_consent": False}


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({}, ""),
        ({"email_consent": False}, ""),
        ({"mobile": "", "sms_consent": False}, ""),
        ({"opted_out_at": timezone.now()}, OPTED_OUT),
        (NO_CONTACT, NO_DETAILS),
        ({**NO_CONTACT, "opted_out_at": timezone.now()}, OPTED_OUT),
        ({"sms_consent": False, "email_consent": False}, NO_CONSENT),
        ({"sms_consent": False, "email": "", "email_consent": False}, NO_CONSENT),
    ],
)
def test_the_reason_is_empty_exactly_when_a_message_is_made(world, changes, reason):
    for name, value in changes.items():
        setattr(world.patient, name, value)
    assert messaging.not_told_reason(world.patient) == reason
    drafts = messaging.patient_drafts(
        patient=world.patient, kind="test", template="test", key="k", path="/"
    )
    assert bool(drafts) is (reason == "")


def _reschedule(client, appointment):
    day = timezone.localdate() + timedelta(days=3)
    return client.post(
        reverse("reviews:appointment-reschedule", kwargs={"appointment_uuid": appointment.uuid}),
        {
            "start_date": day.isoformat(),
            "start_time": "11:00",
            "duration_minutes": "30",
            "modality": "phone",
            "video_link": "",
            "location": "",
            "clinician": appointment.clinician_id,
        },
        follow=True,
    )


def test_moving_an_appointment_says_the_patient_was_told(world, login):
    appointment = builders.appointment(world.patient, world.clinician)
    page = _reschedule(login(world.clinician), appointment).content.decode()
    assert "Follow-up moved. The patient has been told." in page
    assert Notification.objects.filter(kind="appointment_booked").count() == 2


def test_moving_an_appointment_for_a_patient_who_stopped_messages_says_they_were_not_told(
    world, login
):
    world.patient.opted_out_at = timezone.now()
    world.patient.save()
    appointment = builders.appointment(world.patient, world.clinician)
    page = _reschedule(login(world.clinician), appointment).content.decode()
    assert f"Follow-up moved. The patient has not been told: {OPTED_OUT}." in page
    assert "has been told" not in page
    assert not Notification.objects.exists()


def test_moving_an_mdt_discussion_says_nothing_of_the_patient(world, login):
    appointment = builders.appointment(world.patient, world.clinician, kind="mdt")
    page = _reschedule(login(world.clinician), appointment).content.decode()
    assert "MDT discussion moved." in page
    assert "been told" not in page


def test_booking_for_a_patient_with_no_contact_details_says_they_were_not_told(world, login):
    for name, value in NO_CONTACT.items():
        setattr(world.patient, name, value)
    world.patient.save()
    day = timezone.localdate() + timedelta(days=2)
    page = (
        login(world.clinician)
        .post(
            reverse("reviews:appointment-create", kwargs={"patient_uuid": world.patient.uuid}),
            {
                "kind": "follow_up",
                "episode": builders.under_care(world.patient).pk,
                "start_date": day.isoformat(),
                "start_time": "10:00",
                "duration_minutes": "",
                "modality": "phone",
                "video_link": "",
                "location": "",
                "clinician": world.clinician.pk,
            },
            follow=True,
        )
        .content.decode()
    )
    assert f"Follow-up booked. The patient has not been told: {NO_DETAILS}." in page


def _request_questionnaire(client, patient):
    builders.episode_for(patient)  # questionnaires go to patients under care
    return client.post(
        reverse("reviews:questionnaire-request", kwargs={"patient_uuid": patient.uuid}),
        {"instrument": "HIT-6", "due": ""},
        follow=True,
    ).content.decode()


def test_questionnaires_chosen_at_a_review_warn_when_they_cannot_reach_the_patient(world, login):
    world.patient.opted_out_at = timezone.now()
    world.patient.user = None
    world.patient.save()
    appointment = builders.appointment(
        world.patient, world.clinician, start=timezone.now() - timedelta(minutes=30)
    )
    page = (
        login(world.clinician)
        .post(
            reverse("reviews:review", kwargs={"appointment_uuid": appointment.uuid}),
            {
                "summary": "Talked it through.",
                "next_review_date": (timezone.localdate() + timedelta(days=60)).isoformat(),
                "mental_health_follow_up": "not_needed",
                "questionnaires": ["HIT-6", "PHQ-9"],
            },
            follow=True,
        )
        .content.decode()
    )
    assert "Follow-up review recorded." in page
    assert f"{world.patient.full_name} has not been told about the questionnaires" in page
    assert (
        f"{world.patient.full_name} has no patient portal account, so cannot fill in the "
        "questionnaires online yet." in page
    )


def test_sending_a_questionnaire_names_the_patient_as_told(world, login):
    page = _request_questionnaire(login(world.clinician), world.patient)
    assert f"Headache impact (HIT-6) sent to {world.patient.full_name}." in page


def test_sending_a_questionnaire_to_a_patient_who_stopped_messages_says_they_were_not_told(
    world, login
):
    world.patient.opted_out_at = timezone.now()
    world.patient.save()
    page = _request_questionnaire(login(world.clinician), world.patient)
    assert "sent to" not in page
    assert (
        f"Headache impact (HIT-6) is waiting in {world.patient.full_name}&#x27;s "
        "questionnaires." in page
    )
    assert (
        f"{world.patient.full_name} has not been told about Headache impact (HIT-6): "
        f"{OPTED_OUT}." in page
    )
    assert not Notification.objects.exists()
