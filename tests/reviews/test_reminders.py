"""Reminder planners: what is due, once, only on consented channels, with no clinical detail."""

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from pathway.models import Milestone, Notification
from pathway.notifications import opt_out, outbox
from reviews import reminders, rules, tasks
from reviews.messaging import day_and_time as messaging_day_and_time
from reviews.services.outcomes import due_moment
from tests.factories import EpisodeFactory, PatientFactory
from tests.reviews import builders

LONDON = ZoneInfo("Europe/London")


def _due_in(patient, days):
    episode = builders.episode_for(patient)
    Milestone.objects.create(
        episode=episode,
        kind="annual_review_due",
        occurred_at=due_moment(timezone.localdate() + timedelta(days=days)),
    )
    return episode


def test_annual_review_invites_go_28_days_ahead_once_per_due_date(world):
    _due_in(world.patient, 28)
    _due_in(world.other_patient, 29)  # not yet
    assert reminders.plan_annual_review_invites() == 2  # sms and email
    assert reminders.plan_annual_review_invites() == 0  # planning twice changes nothing
    due = (timezone.localdate() + timedelta(days=28)).isoformat()
    keys = set(Notification.objects.values_list("idempotency_key", flat=True))
    assert keys == {
        f"annual-review:{world.patient.uuid}:{due}:sms",
        f"annual-review:{world.patient.uuid}:{due}:email",
    }


def test_a_planner_that_missed_days_still_invites_within_the_window(world):
    _due_in(world.patient, 3)
    assert reminders.plan_annual_review_invites() == 2


def test_the_invite_names_the_due_date_or_says_it_is_due_now(world):
    from django.template.loader import render_to_string

    _due_in(world.patient, 6)
    _due_in(world.other_patient, -3)  # passed without an invitation: still invited, once
    assert reminders.plan_annual_review_invites() == 4
    assert reminders.plan_annual_review_invites() == 0
    soon = Notification.objects.get(patient=world.patient, channel="sms")
    due = timezone.localdate() + timedelta(days=6)
    text = render_to_string("sms/reviews-annual-review.txt", soon.context)
    assert f"your yearly review is due on {due:%-d %B %Y}." in text
    late = Notification.objects.get(patient=world.other_patient, channel="email")
    body = render_to_string("emails/reviews-annual-review-body.txt", late.context)
    assert "is due now." in body and "4 weeks" not in body


def test_a_place_at_a_group_session_tomorrow_is_reminded_once(world):
    from reviews.services import groups as group_services

    tomorrow = datetime.combine(timezone.localdate() + timedelta(days=1), time(18), LONDON)
    session = builders.group_session(world.service, start=tomorrow)
    place = builders.booking(session, world.patient, status="booked")
    builders.booking(session, world.other_patient, status="invited")  # no place: not reminded
    later = builders.group_session(world.service, start=tomorrow + timedelta(days=1))
    builders.booking(later, world.other_patient, status="booked")  # not tomorrow
    assert reminders.plan_group_session_reminders() == 2  # sms and email for the one place
    assert reminders.plan_group_session_reminders() == 0
    sms = Notification.objects.get(kind="group_session_reminder", channel="sms")
    assert sms.patient == world.patient and sms.expires_at == tomorrow
    assert sms.context["when"] == messaging_day_and_time(tomorrow)
    # Giving up the place withdraws the reminder.
    group_services.cancel_place(actor=world.patient_user, booking=place)
    statuses = set(
        Notification.objects.filter(kind="group_session_reminder").values_list("status", flat=True)
    )
    assert statuses == {"cancelled"}


def test_a_cancelled_session_withdraws_its_reminders(world):
    from reviews.services import groups as group_services

    tomorrow = datetime.combine(timezone.localdate() + timedelta(days=1), time(18), LONDON)
    session = builders.group_session(world.service, start=tomorrow)
    builders.booking(session, world.patient, status="booked")
    assert reminders.plan_group_session_reminders() == 2
    group_services.cancel_session(actor=world.clinician, session=session)
    assert not Notification.objects.filter(kind="group_session_reminder", status="queued").exists()
    assert reminders.plan_group_session_reminders() == 0


def test_no_invite_when_the_annual_review_is_already_booked(world):
    _due_in(world.patient, 20)
    builders.appointment(world.patient, world.clinician, kind="annual_review")
    assert reminders.plan_annual_review_invites() == 0


def test_a_follow_up_due_is_invited_as_one(world):
    from django.template.loader import render_to_string

    builders.review_held(world.patient, world.clinician, next_in_days=10, next_kind="follow_up")
    builders.review_held(world.other_patient, world.clinician, next_in_days=10)
    assert reminders.plan_annual_review_invites() == 4
    due = timezone.localdate() + timedelta(days=10)
    follow_up = Notification.objects.get(patient=world.patient, channel="sms")
    assert f"your follow-up review is due on {due:%-d %B %Y}." in render_to_string(
        "sms/reviews-annual-review.txt", follow_up.context
    )
    email = Notification.objects.get(patient=world.patient, channel="email")
    assert render_to_string("emails/reviews-annual-review-subject.txt", email.context).strip() == (
        "Your follow-up review is due"
    )
    body = render_to_string("emails/reviews-annual-review-body.html", email.context)
    assert "yearly" not in body and "Your follow-up review is due" in body
    yearly = Notification.objects.get(patient=world.other_patient, channel="sms")
    assert "your yearly review is due" in render_to_string(
        "sms/reviews-annual-review.txt", yearly.context
    )


@pytest.mark.parametrize(
    ("due_kind", "booked_kind", "invited"),
    [
        ("follow_up", "follow_up", False),
        ("follow_up", "annual_review", False),
        ("annual_review", "follow_up", True),
    ],
)
def test_no_invite_once_a_review_that_sees_to_it_is_booked(world, due_kind, booked_kind, invited):
    builders.review_held(world.patient, world.clinician, next_in_days=10, next_kind=due_kind)
    builders.appointment(world.patient, world.clinician, kind=booked_kind)
    assert reminders.plan_annual_review_invites() == (2 if invited else 0)


def _book(world, kind):
    from reviews.services import appointments

    day = timezone.localdate() + timedelta(days=5)
    return appointments.book_appointment(
        actor=world.clinician,
        patient=world.patient,
        episode=builders.under_care(world.patient),
        kind=kind,
        start=timezone.make_aware(datetime.combine(day, time(10, 0))),
        duration_minutes=30,
        modality="phone",
        clinician=world.clinician,
    )


def _invitations(patient) -> set[str]:
    rows = Notification.objects.filter(patient=patient, kind="annual_review_invite")
    return set(rows.values_list("status", flat=True))


@pytest.mark.parametrize(
    ("due_kind", "booked_kind", "withdrawn"),
    [
        ("annual_review", "annual_review", True),
        ("follow_up", "follow_up", True),
        ("follow_up", "annual_review", True),
        ("annual_review", "follow_up", False),
    ],
)
def test_booking_the_review_due_withdraws_its_invitation_not_sent_yet(
    world, due_kind, booked_kind, withdrawn
):
    # Planned early in the morning for 09:00; the review is booked before it goes.
    builders.review_held(world.patient, world.clinician, next_in_days=10, next_kind=due_kind)
    assert reminders.plan_annual_review_invites() == 2
    _book(world, booked_kind)
    assert _invitations(world.patient) == {"cancelled" if withdrawn else "queued"}


def test_a_review_held_withdraws_the_invitation_to_ask_for_it(world):
    _due_in(world.patient, 10)
    assert reminders.plan_annual_review_invites() == 2
    builders.review_held(world.patient, world.clinician, next_in_days=365)
    assert _invitations(world.patient) == {"cancelled"}
    assert set(
        Notification.objects.filter(kind="annual_review_invite").values_list(
            "last_error", flat=True
        )
    ) == {"Withdrawn: a review was held, which set the next review date"}


def test_a_review_held_in_one_episode_leaves_the_other_episodes_invitation(world):
    headache = _due_in(world.patient, 10)
    pain = EpisodeFactory(patient=world.patient, condition="chronic_pain")
    Milestone.objects.create(
        episode=pain,
        kind="annual_review_due",
        occurred_at=due_moment(timezone.localdate() + timedelta(days=20)),
    )
    assert reminders.plan_annual_review_invites() == 4
    builders.review_held(world.patient, world.clinician, next_in_days=365, episode=headache)
    statuses = {
        row.idempotency_key.rsplit(":", 2)[-2]: row.status
        for row in Notification.objects.filter(kind="annual_review_invite", channel="sms")
    }
    in_10, in_20 = (timezone.localdate() + timedelta(days=n) for n in (10, 20))
    assert statuses == {in_10.isoformat(): "cancelled", in_20.isoformat(): "queued"}


def test_only_the_latest_due_date_counts(world):
    episode = _due_in(world.patient, 10)
    Milestone.objects.create(
        episode=episode,
        kind="annual_review_due",
        occurred_at=due_moment(timezone.localdate() + timedelta(days=300)),
    )
    assert reminders.plan_annual_review_invites() == 0


@pytest.mark.parametrize(
    ("changes", "channels"),
    [
        ({}, ["email", "sms"]),
        ({"sms_consent": False}, ["email"]),
        ({"email_consent": False}, ["sms"]),
        ({"opted_out_at": timezone.now()}, []),
        ({"entered_in_error": True}, []),
    ],
)
def test_consent_and_opt_out_decide_the_channels(world, changes, channels):
    for name, value in changes.items():
        setattr(world.patient, name, value)
    world.patient.save()
    _due_in(world.patient, 10)
    reminders.plan_annual_review_invites()
    assert sorted(Notification.objects.values_list("channel", flat=True)) == channels


def test_appointment_reminders_go_the_day_before_and_again_after_a_move(world):
    tomorrow = timezone.localdate() + timedelta(days=1)
    start = datetime.combine(tomorrow, time(10, 30), tzinfo=LONDON)
    appointment = builders.appointment(world.patient, world.clinician, start=start)
    builders.appointment(world.other_patient, world.clinician, start=start + timedelta(days=1))
    builders.appointment(world.patient_in_b, world.clinician, start=start, status="cancelled")
    assert reminders.plan_appointment_reminders() == 2
    assert reminders.plan_appointment_reminders() == 0
    row = Notification.objects.get(channel="sms")
    assert row.context["time"] == "10:30"
    assert row.expires_at == start  # not sent once the appointment has begun
    assert row.scheduled_for >= datetime.combine(timezone.localdate(), time(9), tzinfo=LONDON)
    appointment.start = start + timedelta(hours=2)
    appointment.save()
    assert reminders.plan_appointment_reminders() == 2


def test_the_patient_is_not_reminded_of_the_teams_meeting_about_them(world):
    start = datetime.combine(timezone.localdate() + timedelta(days=1), time(10), tzinfo=LONDON)
    builders.appointment(world.patient, world.clinician, start=start, kind="mdt")
    assert reminders.plan_appointment_reminders() == 0


def test_questionnaire_reminders_after_3_and_6_days(world):
    fresh = builders.questionnaire_request(world.patient, days_ago=2)
    day3 = builders.questionnaire_request(world.other_patient, days_ago=3)
    day7 = builders.questionnaire_request(world.other_patient, instrument="GAD-7", days_ago=7)
    # No portal account to fill it in: the care team goes through it with them instead.
    no_account = builders.questionnaire_request(world.patient_in_b, days_ago=7)
    done = builders.questionnaire_request(world.patient, instrument="GAD-7", days_ago=3)
    done.status = "cancelled"
    done.cancelled_at = timezone.now()
    done.save()
    assert reminders.plan_questionnaire_reminders() == 4
    keys = set(Notification.objects.values_list("idempotency_key", flat=True))
    assert f"{_sent_with(day3)}:day3:sms" in keys
    assert f"{_sent_with(day7)}:day6:sms" in keys
    assert not any(key.startswith(_sent_with(fresh)) for key in keys)
    assert not any(key.startswith(_sent_with(no_account)) for key in keys)
    assert f"{_sent_with(day7)}:day3:sms" not in keys  # never both after an outage
    assert reminders.plan_questionnaire_reminders() == 0


def _sent_with(request) -> str:
    """The key of the messages about the questionnaires sent with `request` that day."""
    sent_on = timezone.localtime(request.requested_at, LONDON).date()
    return rules.questionnaire_messages_key(request.patient.uuid, sent_on)


def test_questionnaires_sent_the_same_day_share_one_reminder(world):
    together = [
        builders.questionnaire_request(world.other_patient, instrument=code, days_ago=3)
        for code in ("PHQ-9", "GAD-7", "HIT-6")
    ]
    earlier = builders.questionnaire_request(world.other_patient, instrument="MIDAS", days_ago=4)
    # One text and one email for the three, one of each for the one sent the day before.
    assert reminders.plan_questionnaire_reminders() == 4
    keys = set(Notification.objects.values_list("idempotency_key", flat=True))
    assert {f"{_sent_with(together[0])}:day3:sms", f"{_sent_with(earlier)}:day3:sms"} <= keys


def test_diary_nudges_only_for_patients_who_asked(world, afternoon):
    world.patient.diary_nudge = True
    world.patient.save()
    EpisodeFactory(patient=world.patient)
    EpisodeFactory(patient=world.other_patient)
    assert reminders.plan_diary_nudges() == 2
    assert reminders.plan_diary_nudges() == 0
    row = Notification.objects.get(channel="sms")
    assert row.patient == world.patient
    assert timezone.localtime(row.scheduled_for, LONDON).time() >= time(19)


@pytest.mark.parametrize("answer", ["one tap", "pain score", "whole day"])
def test_filling_in_the_day_after_its_nudge_was_planned_withdraws_the_nudge(
    world, afternoon, answer
):
    from diaries.services import entries

    world.patient.diary_nudge = True
    world.patient.save()
    EpisodeFactory(patient=world.patient)
    EpisodeFactory(patient=world.other_patient)
    world.other_patient.diary_nudge = True
    world.other_patient.save()
    assert reminders.plan_diary_nudges() == 4
    today = timezone.localdate()
    fields = {"actor": world.patient_user, "patient": world.patient, "day": today}
    if answer == "one tap":
        entries.record_headache_free_day(**fields)
    elif answer == "pain score":
        entries.record_pain_score(**fields, score=3)
    else:
        entries.record_entry(**fields, data=entries.DayData(headache=False, note="A good day"))
    mine = Notification.objects.filter(patient=world.patient, kind="diary_nudge")
    assert set(mine.values_list("status", "last_error")) == {
        ("cancelled", "Withdrawn: the patient filled in the day's diary")
    }
    # Another patient's nudge, and a day other than today, are left alone.
    others = Notification.objects.filter(patient=world.other_patient, kind="diary_nudge")
    assert set(others.values_list("status", flat=True)) == {"queued"}
    entries.record_headache_free_day(**{**fields, "day": today - timedelta(days=1)})
    assert mine.count() == 2


def test_a_diary_nudge_not_sent_on_its_day_is_dropped_not_sent_the_next(
    world, afternoon, monkeypatch
):
    world.patient.diary_nudge = True
    world.patient.save()
    EpisodeFactory(patient=world.patient)
    assert reminders.plan_diary_nudges() == 2
    # The worker was down all evening: at 23:00 the email still goes, the text message (held by
    # the quiet hours to 08:00 tomorrow) does not; after midnight neither would.
    late = datetime.combine(afternoon.date(), time(23, 0), tzinfo=LONDON)
    monkeypatch.setattr(timezone, "now", lambda: late)
    sms = Notification.objects.get(channel="sms")
    email = Notification.objects.get(channel="email")
    assert outbox.deliver(sms.uuid) == "cancelled"
    assert outbox.deliver(email.uuid) == "sent"
    sms.refresh_from_db()
    assert sms.last_error == outbox.EXPIRED
    midnight = datetime.combine(afternoon.date() + timedelta(days=1), time(0), tzinfo=LONDON)
    assert email.expires_at == midnight
    monkeypatch.setattr(timezone, "now", lambda: midnight)
    Notification.objects.filter(pk=email.pk).update(status="queued")
    assert outbox.deliver(email.uuid) == "cancelled"


def test_no_diary_nudge_for_a_patient_without_a_portal_account(world, afternoon):
    no_account = PatientFactory(user=None, diary_nudge=True)
    EpisodeFactory(patient=no_account)
    assert reminders.plan_diary_nudges() == 0
    assert not Notification.objects.filter(patient=no_account).exists()


def test_each_beat_task_calls_its_planner(world):
    _due_in(world.patient, 5)
    assert tasks.plan_annual_review_invites() == 2
    for task in (
        tasks.plan_appointment_reminders,
        tasks.plan_questionnaire_reminders,
        tasks.plan_trial_review_reminders,
        tasks.plan_diary_nudges,
        tasks.plan_group_session_reminders,
    ):
        assert task() == 0


PATIENT_TEMPLATES = [
    ("reviews-annual-review", {}),
    ("reviews-annual-review", {"due_on": "30 September 2027"}),
    ("reviews-appointment-tomorrow", {"time": "10:30", "day": "Wednesday 29 September"}),
    ("reviews-appointment-booked", {}),
    ("reviews-appointment-cancelled", {}),
    ("reviews-questionnaire-requested", {}),
    ("reviews-questionnaire-reminder", {}),
    ("reviews-group-invite", {}),
    ("reviews-group-session-tomorrow", {"when": "Wednesday 29 September at 18:00"}),
    ("reviews-diary-nudge", {}),
    ("reviews-discharged", {}),
    ("careplans-plan-agreed", {}),
    ("careplans-leaflet-added", {}),
    ("referrals-self-decision", {}),
    ("reviews-group-place-withdrawn", {"when": "Wednesday 29 September at 18:00"}),
    (
        "reviews-group-place-withdrawn",
        {"when": "Wednesday 29 September at 18:00", "had_place": True},
    ),
    (
        "reviews-group-session-cancelled",
        {"when": "Wednesday 29 September at 18:00", "had_place": True},
    ),
]
# What a patient with no portal account is told instead of "Sign in".
INSTEAD_OF_SIGNING_IN = (
    "If you have questions, contact your care team.",
    "For another session, ask your care team.",
    "If you have questions, contact your GP practice.",
    "If you need the service again, ask your GP practice.",
    "Ask your care team for a printed copy.",
    "The team will contact you about what happens next.",
    "Contact your care team to book it.",
    "To rearrange, contact your care team.",
    "Tell your care team if you would like a place.",
    "To give up your place, contact your care team.",
    "Your care team will go through them with you.",
)


@pytest.mark.parametrize(("template", "extra"), PATIENT_TEMPLATES)
@pytest.mark.parametrize("channel", ["sms", "email"])
def test_patient_messages_carry_a_sign_in_link_and_an_opt_out_link_and_no_clinical_words(
    world, template, extra, channel, settings
):
    settings.SITE_URL = "https://care.example.nhs.uk"
    from reviews import messaging

    row = Notification.objects.create(
        patient=world.patient,
        channel=channel,
        kind="x",
        template=template,
        context=messaging.patient_context("/reviews/my/appointments/", world.patient, **extra),
        scheduled_for=timezone.now(),
        idempotency_key=f"{template}:{channel}",
    )
    message = outbox.render_message(row)
    text = f"{message.subject} {message.body} {message.html}".lower()
    assert "https://care.example.nhs.uk/reviews/my/appointments/" in message.body
    # The link that stops messages works without signing in, for this patient alone.
    stop = re.search(r"https://care\.example\.nhs\.uk(/stop/[^/\s]+/)", message.body)
    assert stop and opt_out.patient_for(stop.group(1).split("/")[2]) == world.patient
    assert message.body.startswith("NHS:") or channel == "email"
    # The opt-out token is random letters; it may spell anything, so it is left out of the check.
    words = text.replace(stop.group(1).split("/")[2].lower(), "")
    for word in (
        "headache",
        "migraine",
        "pain",
        "phq",
        "mood",
        "depress",
        world.patient.given_name.lower(),
    ):
        assert word not in words, word
    if channel == "sms":
        assert len(message.body) <= 306  # two text message segments at most
        assert "&amp;" not in message.body


@pytest.mark.parametrize(
    ("template", "extra"),
    [(t, e) for t, e in PATIENT_TEMPLATES if t != "reviews-diary-nudge"],
)
@pytest.mark.parametrize("channel", ["sms", "email"])
def test_a_patient_without_a_portal_account_is_not_asked_to_sign_in(
    world, template, extra, channel, settings
):
    settings.SITE_URL = "https://care.example.nhs.uk"
    from reviews import messaging

    no_account = PatientFactory(user=None)
    row = Notification.objects.create(
        patient=no_account,
        channel=channel,
        kind="x",
        template=template,
        context=messaging.patient_context("/reviews/my/appointments/", no_account, **extra),
        scheduled_for=timezone.now(),
        idempotency_key=f"{template}:{channel}",
    )
    message = outbox.render_message(row)
    text = f"{message.subject} {message.body} {message.html}"
    assert "Sign in" not in text and "/reviews/my/appointments/" not in text
    assert any(words in message.body for words in INSTEAD_OF_SIGNING_IN), message.body
    assert re.search(r"https://care\.example\.nhs\.uk/stop/[^/\s]+/", message.body)
    if channel == "sms":
        assert len(message.body) <= 306


@pytest.mark.parametrize("template", ["reviews-trial-review", "reviews-safety-alert"])
def test_staff_emails_name_no_patient_or_detail(world, template):
    row = Notification.objects.create(
        user=world.clinician,
        channel="email",
        kind="x",
        template=template,
        context={"link": "http://testserver/reviews/team/"},
        scheduled_for=timezone.now(),
        idempotency_key=template,
    )
    message = outbox.render_message(row)
    assert message.to == world.clinician.email
    assert "http://testserver/reviews/team/" in message.body
    assert world.patient.family_name not in message.body


def test_planned_messages_are_sent_by_the_console_backend(world, settings):
    settings.NOTIFY_SMS_BACKEND = settings.NOTIFY_EMAIL_BACKEND = "console"
    _due_in(world.patient, 10)
    reminders.plan_annual_review_invites()
    for row in Notification.objects.filter(channel="email"):
        row.scheduled_for = timezone.now()
        row.save()
        assert outbox.deliver(row.uuid) == "sent"
    assert Notification.objects.get(channel="email").provider_reference.startswith("console-")


def test_no_diary_nudge_is_planned_once_text_quiet_hours_have_begun(world, monkeypatch):
    world.patient.diary_nudge = True
    world.patient.save()
    EpisodeFactory(patient=world.patient)
    late = datetime.combine(timezone.localdate(), time(20, 30), tzinfo=LONDON)
    monkeypatch.setattr(timezone, "now", lambda: late)
    assert reminders.plan_diary_nudges(today=late.date()) == 0
    assert not Notification.objects.exists()


def test_a_later_review_bringing_the_next_review_forward_is_invited_for(world):
    # The first review set the next review in 300 days; a later one brought it to 10 days.
    episode = builders.episode_for(world.patient)
    for days in (300, 10):
        Milestone.objects.create(
            episode=episode,
            kind="annual_review_due",
            occurred_at=due_moment(timezone.localdate() + timedelta(days=days)),
        )
    assert reminders.plan_annual_review_invites() == 2
