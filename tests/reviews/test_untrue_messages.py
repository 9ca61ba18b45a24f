"""Messages made untrue by a later change are withdrawn in the same transaction, and messages
about something that has begun are not sent late (DESIGN.md section 6)."""

from datetime import datetime, time, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from pathway.models import Notification
from pathway.notifications import outbox
from reviews import reminders
from reviews.services import appointments as services
from reviews.services import groups as group_services
from reviews.services import questionnaires as questionnaire_services
from tests.reviews import builders

LONDON = ZoneInfo("Europe/London")


def _tomorrow_at(hour, minute=0):
    return datetime.combine(timezone.localdate() + timedelta(days=1), time(hour, minute), LONDON)


def _book(world, start, kind="follow_up"):
    return services.book_appointment(
        actor=world.clinician,
        patient=world.patient,
        # Reviews follow the first conversation, which is booked before it is held.
        episode=(
            builders.episode_for(world.patient)
            if kind == "first_conversation"
            else builders.under_care(world.patient)
        ),
        kind=kind,
        start=start,
        duration_minutes=30,
        modality="phone",
        clinician=world.clinician,
    )


def _move(world, appointment, start):
    return services.reschedule_appointment(
        actor=world.clinician,
        appointment=appointment,
        start=start,
        duration_minutes=30,
        modality="phone",
        clinician=world.clinician,
    )


def _statuses(kind):
    """{status: count} of the rows of one kind of message."""
    rows = Notification.objects.filter(kind=kind)
    return {s: rows.filter(status=s).count() for s in set(rows.values_list("status", flat=True))}


# Appointments


def test_cancelling_withdraws_the_queued_reminder_and_booked_message_but_sends_the_news(world):
    appointment = _book(world, _tomorrow_at(10))
    assert reminders.plan_appointment_reminders() == 2
    services.cancel_appointment(actor=world.clinician, appointment=appointment, reason="Ill")
    assert _statuses("appointment_reminder") == {"cancelled": 2}
    assert _statuses("appointment_booked") == {"cancelled": 2}
    assert _statuses("appointment_cancelled") == {"queued": 2}
    reminder = Notification.objects.filter(kind="appointment_reminder").first()
    assert reminder.last_error == "Withdrawn: the appointment was cancelled"
    # The planner does not bring the reminder back for a cancelled appointment.
    assert reminders.plan_appointment_reminders() == 0


def test_cancelling_withdraws_a_failed_reminder_so_it_cannot_be_sent_again(world, login):
    appointment = _book(world, _tomorrow_at(10))
    reminders.plan_appointment_reminders()
    failed = Notification.objects.get(kind="appointment_reminder", channel="sms")
    Notification.objects.filter(pk=failed.pk).update(status="failed", last_error="Notify 400")
    services.cancel_appointment(actor=world.clinician, appointment=appointment, reason="Ill")
    failed.refresh_from_db()
    assert failed.status == "cancelled"
    # Why it failed stays beside why it was withdrawn.
    assert (
        failed.last_error == "Withdrawn: the appointment was cancelled. It had failed: Notify 400"
    )
    # Nothing is left for staff to send again.
    client = login(world.clinician)
    page = client.get(reverse("reviews:failed-notifications")).content.decode()
    assert str(failed.uuid) not in page


def test_the_reminder_names_the_day_so_it_stays_true_when_held_overnight(world):
    start = _tomorrow_at(10)
    _book(world, start)
    reminders.plan_appointment_reminders()
    sms = Notification.objects.get(kind="appointment_reminder", channel="sms")
    assert sms.context["day"] == f"{timezone.localtime(start):%A %-d %B}"
    text = render_to_string("sms/reviews-appointment-tomorrow.txt", sms.context)
    assert f"on {sms.context['day']} at 10:00" in text and "tomorrow" not in text


def test_cancelling_leaves_messages_already_sent_alone(world):
    appointment = _book(world, _tomorrow_at(10))
    Notification.objects.filter(kind="appointment_booked").update(
        status="sent", sent_at=timezone.now()
    )
    services.cancel_appointment(actor=world.clinician, appointment=appointment, reason="")
    assert _statuses("appointment_booked") == {"sent": 2}


def test_moving_withdraws_the_old_reminder_so_the_planner_reminds_of_the_new_time(world):
    appointment = _book(world, _tomorrow_at(10))
    reminders.plan_appointment_reminders()
    _move(world, appointment, _tomorrow_at(14))
    assert _statuses("appointment_reminder") == {"cancelled": 2}
    assert reminders.plan_appointment_reminders() == 2
    live = Notification.objects.get(kind="appointment_reminder", status="queued", channel="sms")
    assert live.context["time"] == "14:00"
    # The old booked message is withdrawn; the patient is told of the new time.
    assert _statuses("appointment_booked") == {"cancelled": 2, "queued": 2}


def test_moving_back_to_the_first_time_announces_and_reminds_again(world):
    appointment = _book(world, _tomorrow_at(10))
    reminders.plan_appointment_reminders()
    _move(world, appointment, _tomorrow_at(14))
    _move(world, appointment, _tomorrow_at(10))
    assert reminders.plan_appointment_reminders() == 2
    queued = Notification.objects.filter(status="queued", channel="sms")
    assert sorted(queued.values_list("kind", flat=True)) == [
        "appointment_booked",
        "appointment_reminder",
    ]
    assert queued.get(kind="appointment_reminder").context["time"] == "10:00"


def test_changing_only_how_it_happens_tells_the_patient_again(world):
    appointment = _book(world, _tomorrow_at(10))
    Notification.objects.update(status="sent", sent_at=timezone.now())
    services.reschedule_appointment(
        actor=world.clinician,
        appointment=appointment,
        start=appointment.start,
        duration_minutes=30,
        modality="in_person",
        location="Room 4",
        clinician=world.clinician,
    )
    assert _statuses("appointment_booked") == {"sent": 2, "queued": 2}


def test_recording_attendance_withdraws_a_reminder_still_waiting(world):
    appointment = _book(world, _tomorrow_at(10))
    reminders.plan_appointment_reminders()
    with mock.patch("django.utils.timezone.now", return_value=_tomorrow_at(10, 5)):
        services.record_attendance(actor=world.clinician, appointment=appointment, attended=True)
    assert _statuses("appointment_reminder") == {"cancelled": 2}


def test_a_booked_text_held_for_the_night_is_not_sent_after_the_appointment(world):
    # Booked at 20:30 for 21:00 the same evening.
    evening, start = _tomorrow_at(20, 30), _tomorrow_at(21)
    with mock.patch("django.utils.timezone.now", return_value=evening):
        appointment = _book(world, start)
        sms = Notification.objects.get(kind="appointment_booked", channel="sms")
        assert sms.expires_at == appointment.start
        assert outbox.deliver(sms.uuid) == Notification.Status.CANCELLED
        email = Notification.objects.get(kind="appointment_booked", channel="email")
        assert outbox.deliver(email.uuid) == Notification.Status.SENT


def test_the_cancellation_news_is_not_sent_after_the_appointment_time(world):
    appointment = _book(world, _tomorrow_at(10))
    services.cancel_appointment(actor=world.clinician, appointment=appointment, reason="")
    row = Notification.objects.get(kind="appointment_cancelled", channel="email")
    assert row.expires_at == appointment.start
    with mock.patch("django.utils.timezone.now", return_value=_tomorrow_at(10, 1)):
        assert outbox.deliver(row.uuid) == Notification.Status.CANCELLED


# Group sessions


def _invite(world, session):
    group_services.invite_patients(actor=world.clinician, session=session, patients=[world.patient])
    return session.bookings.get(patient=world.patient)


def test_a_group_invite_is_not_sent_once_the_session_has_begun(world):
    session = builders.group_session(world.service)
    _invite(world, session)
    row = Notification.objects.get(kind="group_invite", channel="email")
    assert row.expires_at == session.start
    with mock.patch("django.utils.timezone.now", return_value=session.start):
        assert outbox.deliver(row.uuid) == Notification.Status.CANCELLED
    assert Notification.objects.get(pk=row.pk).status == "cancelled"


def test_declining_a_place_withdraws_the_invite_still_waiting(world):
    booking = _invite(world, builders.group_session(world.service))
    group_services.cancel_place(actor=world.patient_user, booking=booking)
    assert _statuses("group_invite") == {"cancelled": 2}


def test_booking_a_place_withdraws_the_invite_still_waiting(world):
    session = builders.group_session(world.service)
    _invite(world, session)
    group_services.book_place(actor=world.clinician, session=session, patient=world.patient)
    assert _statuses("group_invite") == {"cancelled": 2}


def test_another_patients_invite_is_left_alone(world):
    session = builders.group_session(world.service)
    group_services.invite_patients(
        actor=world.clinician, session=session, patients=[world.patient, world.other_patient]
    )
    booking = session.bookings.get(patient=world.patient)
    group_services.cancel_place(actor=world.patient_user, booking=booking)
    assert (
        Notification.objects.filter(
            kind="group_invite", patient=world.other_patient, status="queued"
        ).count()
        == 2
    )


# Questionnaires


@pytest.fixture
def requested(world):
    builders.episode_for(world.patient)
    request = questionnaire_services.request_questionnaire(
        actor=world.clinician, patient=world.patient, instrument="PHQ-9"
    )
    return request


def test_completing_a_questionnaire_withdraws_its_request_and_reminders(world, requested):
    later = timezone.localdate() + timedelta(days=3)
    assert reminders.plan_questionnaire_reminders(today=later) == 2
    requested.refresh_from_db()
    questionnaire_services.submit_questionnaire(
        actor=world.patient_user, request=requested, answers=[0] * 9
    )
    assert _statuses("questionnaire_requested") == {"cancelled": 2}
    assert _statuses("questionnaire_reminder") == {"cancelled": 2}
    assert (
        Notification.objects.filter(kind="questionnaire_requested").first().last_error
        == "Withdrawn: the questionnaire was completed"
    )


def test_cancelling_a_questionnaire_request_withdraws_its_messages(world, requested):
    other = questionnaire_services.request_questionnaire(
        actor=world.clinician, patient=world.patient, instrument="GAD-7"
    )
    rows = Notification.objects.filter(kind="questionnaire_requested")
    questionnaire_services.cancel_questionnaire_request(actor=world.clinician, request=requested)
    # The invitation sent for both still goes: the other is still to fill in.
    assert rows.filter(status="queued").count() == 2
    questionnaire_services.cancel_questionnaire_request(actor=world.clinician, request=other)
    assert rows.filter(status="queued").count() == 0
    assert rows.filter(status="cancelled").count() == 2


def test_a_safety_alert_email_is_not_withdrawn_with_the_questionnaire(world, requested):
    questionnaire_services.submit_questionnaire(
        actor=world.patient_user, request=requested, answers=[0] * 8 + [2]
    )
    assert _statuses("safety_alert") == {"queued": 1}


def test_a_moved_appointment_is_announced_as_moved_not_as_a_new_booking(world):
    from pathway.notifications.outbox import render_message

    appointment = _book(world, _tomorrow_at(10))
    first = Notification.objects.get(kind="appointment_booked", channel="sms")
    assert "has been booked for you" in render_message(first).body
    _move(world, appointment, _tomorrow_at(15))
    moved = Notification.objects.filter(kind="appointment_booked", status="queued")
    sms = render_message(moved.get(channel="sms"))
    email = render_message(moved.get(channel="email"))
    assert "one of your appointments has been moved" in sms.body
    assert email.subject == "One of your appointments has been moved"
    later = _tomorrow_at(15)
    when = f"{later:%A} {later.day} {later:%B} at 15:00"
    assert f"Your care team has moved one of your appointments to {when}." in email.body
    assert f"moved to {when} (phone call)." in sms.body


def test_booked_and_cancelled_messages_say_when_and_how_without_clinical_detail(world):
    """A patient who does not use the portal learns the date and time from the message."""
    from pathway.notifications.outbox import render_message

    start = _tomorrow_at(9, 30)
    when = f"{start:%A} {start.day} {start:%B} at 09:30"
    appointment = _book(world, start, kind="first_conversation")
    booked = Notification.objects.filter(kind="appointment_booked")
    sms = render_message(booked.get(channel="sms"))
    email = render_message(booked.get(channel="email"))
    assert f"an appointment has been booked for you on {when} (phone call)." in sms.body
    assert f"booked an appointment for you on {when}. It is a phone call." in email.body
    for message in (sms, email):
        assert "first conversation" not in message.body.lower()
    services.cancel_appointment(actor=world.clinician, appointment=appointment, reason="Ill")
    cancelled = Notification.objects.filter(kind="appointment_cancelled")
    assert (
        f"your appointment on {when} has been cancelled."
        in render_message(cancelled.get(channel="sms")).body
    )
    email = render_message(cancelled.get(channel="email"))
    assert f"Your appointment with your care team on {when} has been cancelled." in email.body
    assert "Ill" not in email.body


# A referral closed before care began


def _booked_before_triage(world, condition="headache"):
    """A referral waiting for triage, with its first conversation booked tomorrow and a
    questionnaire sent: the team started before deciding it."""
    from tests.referrals import builders as referral_builders

    referral = referral_builders.referral(world.patient, world.gp, condition=condition)
    appointment = services.book_appointment(
        actor=world.clinician,
        patient=world.patient,
        episode=referral.episode,
        kind="first_conversation",
        start=_tomorrow_at(10),
        duration_minutes=30,
        modality="phone",
        clinician=world.clinician,
    )
    return referral, appointment


@pytest.mark.parametrize("how", ["reject", "redirect", "withdraw"])
def test_a_referral_closed_before_care_began_cancels_what_was_booked_for_it(world, how):
    from referrals import services as referral_services
    from referrals.services import Decision

    referral, appointment = _booked_before_triage(world)
    waiting = builders.questionnaire_request(world.patient)
    if how == "withdraw":
        referral_services.close_referral(actor=world.gp, referral=referral)
    else:
        decision = (
            Decision(decision="reject", rejection_reason="other", advice_to_referrer="Try X.")
            if how == "reject"
            else Decision(decision="redirect", redirect_to="neurology", note="Please see.")
        )
        referral_services.triage_referral(
            actor=world.clinician, referral=referral, decision=decision
        )
    appointment.refresh_from_db()
    waiting.refresh_from_db()
    assert appointment.status == "cancelled"
    assert appointment.cancellation_reason == "The referral was closed before care began"
    assert waiting.status == "cancelled"
    # Told it will not happen, and not reminded of it the day before.
    assert _statuses("appointment_cancelled") == {"queued": 2}
    assert "queued" not in _statuses("appointment_booked")
    reminders.plan_appointment_reminders()
    assert not Notification.objects.filter(kind="appointment_reminder").exists()


def test_a_second_referral_closed_leaves_the_care_under_way(world):
    from referrals import services as referral_services
    from tests.referrals import builders as referral_builders

    under_care = referral_builders.decided(world.patient, world.gp, world.clinician).episode
    builders.under_care(world.patient)
    kept = services.book_appointment(
        actor=world.clinician,
        patient=world.patient,
        episode=under_care,
        kind="follow_up",
        start=_tomorrow_at(14),
        duration_minutes=30,
        modality="phone",
        clinician=world.clinician,
    )
    waiting = builders.questionnaire_request(world.patient)
    referral, for_it = _booked_before_triage(world, condition="chronic_pain")
    referral_services.close_referral(actor=world.gp, referral=referral)
    for_it.refresh_from_db()
    kept.refresh_from_db()
    waiting.refresh_from_db()
    assert (for_it.status, kept.status, waiting.status) == ("cancelled", "booked", "requested")
