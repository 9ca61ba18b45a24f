"""A patient whose group invitation or place the care team withdraws is told, once, in plain
words, on the channels they accept; their own decline or cancellation sends nothing; messages the
withdrawal makes untrue are withdrawn in the same transaction (DESIGN.md section 6)."""

from datetime import UTC, datetime, time, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from pathway.models import Notification
from pathway.notifications import outbox
from reviews import messaging
from reviews.services import groups as services
from tests.reviews import builders

LONDON = ZoneInfo("Europe/London")
KIND = "group_place_withdrawn"


def _session(world, **fields):
    start = datetime.combine(timezone.localdate() + timedelta(days=10), time(18, 0), LONDON)
    return builders.group_session(world.service, start=start, **fields)


def _invite(world, session, patient=None):
    patient = patient or world.patient
    services.invite_patients(actor=world.clinician, session=session, patients=[patient])
    return session.bookings.get(patient=patient, status="invited")


def _news(**filters):
    return Notification.objects.filter(kind=KIND, **filters)


def _statuses(kind):
    rows = Notification.objects.filter(kind=kind)
    return {s: rows.filter(status=s).count() for s in set(rows.values_list("status", flat=True))}


def test_a_day_and_time_is_said_in_uk_time():
    summer = datetime(2026, 7, 31, 23, 30, tzinfo=UTC)  # already 1 August in London
    winter = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
    assert messaging.day_and_time(summer) == "Saturday 1 August at 00:30"
    assert messaging.day_and_time(winter) == "Tuesday 1 December at 18:00"


# Who is told


def test_withdrawing_an_invitation_tells_the_patient_and_withdraws_the_invite(world):
    session = _session(world)
    booking = _invite(world, session)
    services.cancel_place(actor=world.clinician, booking=booking)
    assert _statuses("group_invite") == {"cancelled": 2}
    invite = Notification.objects.filter(kind="group_invite").first()
    assert invite.last_error == "Withdrawn: the care team withdrew the invitation"
    rows = _news(patient=world.patient, status="queued")
    assert {row.channel for row in rows} == {"sms", "email"}
    row = rows.get(channel="sms")
    assert row.idempotency_key == (
        f"group-place-withdrawn:{session.uuid}:{world.patient.uuid}:{booking.uuid}:sms"
    )
    assert row.expires_at == session.start
    assert row.context["had_place"] is False
    assert row.context["when"] == messaging.day_and_time(session.start)
    assert row.context["link"].endswith(reverse("reviews:my-appointments"))


def test_freeing_a_booked_place_tells_the_patient_not_to_join(world):
    session = _session(world)
    _invite(world, session)
    place = services.book_place(actor=world.patient_user, session=session, patient=world.patient)
    services.cancel_place(actor=world.clinician, booking=place)
    assert _news(status="queued").count() == 2
    assert all(row.context["had_place"] for row in _news())


def test_the_patients_own_decline_or_cancellation_sends_nothing(world):
    session = _session(world)
    services.cancel_place(actor=world.patient_user, booking=_invite(world, session))
    _invite(world, session)
    place = services.book_place(actor=world.patient_user, session=session, patient=world.patient)
    services.cancel_place(actor=world.patient_user, booking=place)
    assert not _news().exists()


def test_a_patient_who_stopped_messages_is_not_told_and_staff_see_why(world, login):
    session = _session(world)
    booking = builders.booking(session, world.patient)
    world.patient.opted_out_at = timezone.now()
    world.patient.save()
    page = (
        login(world.clinician)
        .post(
            reverse("reviews:group-booking", kwargs={"booking_uuid": booking.uuid}),
            {"action": "cancel", "confirm": "yes"},
            follow=True,
        )
        .content.decode()
    )
    assert (
        "Invitation withdrawn for Alice Anders. The patient has not been told: they have "
        "asked for no messages." in page
    )
    assert not _news().exists()


def test_only_the_channels_the_patient_accepts_are_used(world):
    world.patient.sms_consent = False
    world.patient.save()
    services.cancel_place(
        actor=world.clinician, booking=builders.booking(_session(world), world.patient)
    )
    assert list(_news().values_list("channel", flat=True)) == ["email"]


# Untrue messages withdrawn, stale ones not sent


def test_inviting_again_withdraws_the_news_still_waiting_to_go(world):
    session = _session(world)
    services.cancel_place(actor=world.clinician, booking=_invite(world, session))
    other = _session(world, topic="Another")
    services.cancel_place(actor=world.clinician, booking=_invite(world, other))
    _invite(world, session)
    # Only this session's news is withdrawn; the other session's still goes.
    assert _news(status="cancelled").count() == 2
    assert _news(status="queued", idempotency_key__contains=str(other.uuid)).count() == 2
    assert (
        _news(status="cancelled").first().last_error
        == "Withdrawn: invited to or booked at the session again"
    )
    assert Notification.objects.filter(kind="group_invite", status="queued").count() == 2


def test_booking_by_phone_after_a_withdrawal_withdraws_the_news(world):
    session = _session(world)
    services.cancel_place(actor=world.clinician, booking=_invite(world, session))
    services.book_place(actor=world.clinician, session=session, patient=world.patient)
    assert _statuses(KIND) == {"cancelled": 2}


def test_news_already_sent_is_left_alone_and_a_second_withdrawal_is_told_again(world):
    session = _session(world)
    services.cancel_place(actor=world.clinician, booking=_invite(world, session))
    _news().update(status="sent", sent_at=timezone.now())
    services.cancel_place(actor=world.clinician, booking=_invite(world, session))
    assert _statuses(KIND) == {"sent": 2, "queued": 2}


def test_another_patients_news_is_left_alone(world):
    session = _session(world)
    services.cancel_place(actor=world.clinician, booking=_invite(world, session))
    services.cancel_place(
        actor=world.clinician, booking=_invite(world, session, world.other_patient)
    )
    _invite(world, session, world.other_patient)
    assert _news(patient=world.patient, status="queued").count() == 2


def test_a_text_held_by_quiet_hours_goes_at_eight_and_the_email_at_once(world, settings):
    settings.NOTIFY_SMS_BACKEND = settings.NOTIFY_EMAIL_BACKEND = "console"
    session = _session(world)
    evening = datetime.combine(timezone.localdate(), time(21, 0), LONDON)
    with mock.patch("django.utils.timezone.now", return_value=evening):
        services.cancel_place(
            actor=world.clinician, booking=builders.booking(session, world.patient)
        )
        sms, email = _news().get(channel="sms"), _news().get(channel="email")
        assert outbox.deliver(sms.uuid) == "queued"
        assert outbox.deliver(email.uuid) == "sent"
    sms.refresh_from_db()
    assert timezone.localtime(sms.scheduled_for, LONDON).time() == time(8, 0)


def test_news_not_sent_before_the_session_began_is_not_sent_late(world):
    session = _session(world)
    services.cancel_place(actor=world.clinician, booking=builders.booking(session, world.patient))
    row = _news().get(channel="email")
    with mock.patch("django.utils.timezone.now", return_value=session.start):
        assert outbox.deliver(row.uuid) == "cancelled"


# Wording


@pytest.mark.parametrize(
    ("had_place", "sms", "subject", "body"),
    [
        (
            False,
            "your invitation to the group session on",
            "Your invitation to a group session has been withdrawn",
            "Your care team has withdrawn your invitation to the group session on",
        ),
        (
            True,
            "your place at the group session on",
            "Your place at a group session has been cancelled",
            "so please do not join it",
        ),
    ],
)
def test_the_message_names_the_date_and_how_to_ask_for_another_place(
    world, had_place, sms, subject, body
):
    session = _session(world, topic="Living with migraine")
    status = "booked" if had_place else "invited"
    services.cancel_place(
        actor=world.clinician, booking=builders.booking(session, world.patient, status=status)
    )
    when = messaging.day_and_time(session.start)
    text = outbox.render_message(_news().get(channel="sms"))
    email = outbox.render_message(_news().get(channel="email"))
    assert text.body.startswith(f"NHS: {sms} {when}")
    assert "For another session, ask your care team." in text.body
    assert email.subject == subject
    assert body in email.body and when in email.body and when in email.html
    assert "ask to be invited to the next one" in email.body
    assert "We are sorry" in email.body
    # No clinical detail: the topic is shown after signing in, not in the message.
    for rendered in (text.body, email.subject, email.body, email.html):
        assert "migraine" not in rendered.lower()


# A whole session cancelled


@pytest.mark.parametrize(
    ("status", "place_words"),
    [("booked", ", where you had a place. Please do not join it."), ("invited", ". We are")],
)
def test_a_cancelled_session_is_told_in_plain_words_without_the_topic(world, status, place_words):
    session = _session(world, topic="Living well with migraine")
    builders.booking(session, world.patient, status=status)
    services.cancel_session(actor=world.clinician, session=session)
    rows = Notification.objects.filter(kind="group_session_cancelled", patient=world.patient)
    assert {row.channel for row in rows} == {"sms", "email"}
    when = messaging.day_and_time(session.start)
    text = outbox.render_message(rows.get(channel="sms"))
    email = outbox.render_message(rows.get(channel="email"))
    assert text.body.startswith(
        f"NHS: your care team has cancelled the group session on {when}{place_words}"
    )
    assert email.subject == "A group session has been cancelled"
    assert f"the group session on {when}{place_words}" in email.body
    for rendered in (text.body, email.subject, email.body, email.html):
        assert "migraine" not in rendered.lower()


def test_cancelling_withdraws_an_invitation_still_waiting_to_go(world):
    session = _session(world)
    _invite(world, session)
    services.cancel_session(actor=world.clinician, session=session)
    invites = Notification.objects.filter(kind="group_invite")
    assert {row.status for row in invites} == {"cancelled"}
    assert {row.last_error for row in invites} == {"Withdrawn: the session was cancelled"}
