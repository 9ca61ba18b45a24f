"""A discharge because the patient has died: the date is recorded, all their care with the team
ends at once, and nothing more is ever sent to them."""

import html
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from pathway import services as kernel
from pathway.models import Assessment, AuditEvent, Episode, Milestone, Notification, Patient
from pathway.notifications import outbox
from referrals import services as referral_services
from referrals.models import Referral
from referrals.services import matching
from referrals.services.errors import ReferralError
from reviews import letters, reminders
from reviews.errors import ReviewsError
from reviews.models import (
    BookingRequest,
    Discharge,
    GroupBooking,
    QuestionnaireRequest,
)
from reviews.services import appointments as appointment_services
from reviews.services import episodes as services
from tests.careplans import builders as plan_builders
from tests.factories import UserFactory
from tests.referrals import builders as referral_builders
from tests.reviews import builders

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def _active(world, condition="headache"):
    made = referral_builders.decided(
        world.patient, world.gp, world.clinician, "accept", condition=condition
    )
    return made.episode


def _died(world, episode, day=None, **extra):
    return services.discharge_episode(
        actor=world.clinician,
        episode=episode,
        reason="died",
        date_of_death=day or timezone.localdate(),
        **extra,
    )


def test_a_death_ends_all_the_patients_care_and_tells_them_nothing(world):
    headache = _active(world)
    pain = _active(world, condition="chronic_pain")
    coming = builders.appointment(world.patient, world.clinician, episode=pain)
    waiting = builders.questionnaire_request(world.patient)
    place = builders.booking(builders.group_session(world.service), world.patient, status="booked")
    builders.under_care(world.patient)
    appointment_services.request_booking(
        actor=world.patient_user, patient=world.patient, kind="follow_up"
    )
    # A reminder waiting for its day.
    outbox.queue_notification(
        channel="email",
        kind="appointment_reminder",
        template="reviews-appointment-reminder",
        idempotency_key=f"appointment-tomorrow:{coming.uuid}:email",
        patient=world.patient,
        scheduled_for=timezone.now() + timedelta(days=1),
    )
    queued_before = Notification.objects.filter(
        patient=world.patient, status=Notification.Status.QUEUED
    ).count()
    died_on = timezone.localdate()

    _died(world, headache, died_on, note_for_gp="Died at home; family aware.")

    patient = Patient.objects.get(pk=world.patient.pk)
    assert patient.date_of_death == died_on
    assert not patient.can_receive("sms") and not patient.can_receive("email")
    # Both episodes end, each with its own record of why (and its own summary for the GP).
    discharges = Discharge.objects.filter(patient=patient).order_by("episode__opened_at")
    assert [(d.episode, d.reason) for d in discharges] == [(headache, "died"), (pain, "died")]
    assert {d.note_for_gp for d in discharges} == {"Died at home; family aware."}
    assert not patient.episodes.open().exists()
    assert not Referral.objects.open().filter(patient=patient).exists()
    # Everything still to come is cancelled, and nobody writes to say so.
    coming.refresh_from_db()
    waiting.refresh_from_db()
    place.refresh_from_db()
    assert coming.status == "cancelled"
    assert waiting.status == QuestionnaireRequest.Status.CANCELLED
    assert place.status == GroupBooking.Status.WITHDRAWN
    assert BookingRequest.objects.get().status == BookingRequest.Status.CLOSED
    to_patient = Notification.objects.filter(patient=patient)
    assert not to_patient.filter(status=Notification.Status.QUEUED).exists()
    assert not to_patient.filter(kind__in=["discharged", "appointment_cancelled"]).exists()
    withdrawn = to_patient.filter(status=Notification.Status.CANCELLED)
    assert withdrawn.count() == queued_before
    assert set(withdrawn.values_list("last_error", flat=True)) == {outbox.DIED}


def test_a_referral_waiting_for_triage_is_withdrawn_when_the_patient_dies(world, login):
    headache = _active(world)
    waiting = referral_builders.referral(world.patient, world.gp, condition="chronic_pain")
    _died(world, headache)
    waiting.refresh_from_db()
    waiting.episode.refresh_from_db()
    assert waiting.status == "closed"
    assert not waiting.episode.is_open
    # Triage did not decide it, and the team did not discharge it.
    assert not Discharge.objects.filter(episode=waiting.episode).exists()
    # Nor did the GP withdraw it: the team's page does not say so.
    page = html.unescape(
        login(world.clinician)
        .get(reverse("pathway:patient-detail", kwargs={"patient_uuid": world.patient.uuid}))
        .content.decode()
    )
    assert "Referral withdrawn" not in page
    assert page.count('nhsuk-tag--grey">Discharged</strong>') == 2


@pytest.mark.parametrize("copy_from", ["the patient", "another gp"])
def test_a_referral_waiting_for_triage_with_copies_attached_is_withdrawn_too(world, copy_from):
    """A waiting referral that stands for the patient's own self-referral, or carries another
    referrer's red flags, cannot be withdrawn by its GP; the patient's death ends it all the
    same, with the copies left attached to it."""
    headache = _active(world)
    waiting = referral_builders.referral(world.patient, world.gp, condition="chronic_pain")
    if copy_from == "the patient":
        copy = referral_builders.self_referral_by(
            world.patient, condition="chronic_pain", red_flags=("change_in_personality",)
        )
        matching.close_as_duplicate(
            actor=world.clinician, referral=copy, original=waiting, add_red_flags=True
        )
    else:
        other_gp = UserFactory(role="gp", organisations=[world.practice_a])
        copy = matching.keep_refused_referral(
            actor=other_gp,
            source="gp",
            content=referral_builders.content(
                condition="chronic_pain", red_flags=("change_in_personality",)
            ),
            patient=world.patient,
        ).copy
    with pytest.raises(ReferralError, match="withdrawing it would withdraw"):
        referral_services.close_referral(actor=world.gp, referral=waiting)

    _died(world, headache)

    waiting.refresh_from_db()
    waiting.episode.refresh_from_db()
    assert waiting.status == "closed"
    assert not waiting.episode.is_open
    assert not world.patient.episodes.open().exists()
    copy.refresh_from_db()
    assert copy.duplicate_of == waiting and copy.entered_in_error


def test_the_portal_account_is_closed_and_signs_out(world, login):
    client = login(world.patient_user)
    home = reverse("pathway:patient-home")
    assert client.get(home).status_code == 200
    _died(world, _active(world))
    world.patient_user.refresh_from_db()
    assert not world.patient_user.is_active
    response = client.get(home)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse(settings.LOGIN_URL))
    event = AuditEvent.objects.get(object_uuid=world.patient_user.uuid, fields=["is_active"])
    assert event.patient_id == world.patient.pk


def test_the_death_is_audited_and_the_diary_reminder_stops(world):
    Patient.objects.filter(pk=world.patient.pk).update(diary_nudge=True)
    _died(world, _active(world))
    event = AuditEvent.objects.get(
        object_uuid=world.patient.uuid, fields=["date_of_death", "diary_nudge"]
    )
    assert (event.action, event.actor) == ("update", world.clinician)
    assert not Patient.objects.get(pk=world.patient.pk).diary_nudge


@pytest.mark.parametrize(
    ("day", "message"),
    [
        (None, "Enter the date the patient died."),
        ("tomorrow", "cannot be in the future"),
        ("before birth", "cannot be before their date of birth"),
    ],
)
def test_a_death_needs_a_date_that_can_be_true(world, day, message):
    episode = _active(world)
    day = {
        None: None,
        "tomorrow": timezone.localdate() + timedelta(days=1),
        "before birth": world.patient.date_of_birth - timedelta(days=1),
    }[day]
    with pytest.raises(ReviewsError, match=message) as raised:
        services.discharge_episode(
            actor=world.clinician, episode=episode, reason="died", date_of_death=day
        )
    assert raised.value.field == "date_of_death"
    episode.refresh_from_db()
    assert episode.status == "active"
    assert Patient.objects.get(pk=world.patient.pk).date_of_death is None


def test_a_death_before_the_patient_was_referred_or_used_the_portal_is_refused(world):
    episode = _active(world)
    Episode.objects.filter(pk=episode.pk).update(opened_at=timezone.now() - timedelta(days=30))
    before = TODAY() - timedelta(days=31)
    with pytest.raises(ReviewsError, match="The patient was referred on") as raised:
        _died(world, episode, before)
    assert raised.value.field == "date_of_death"
    assert "Check the date, and that this is the right patient." in str(raised.value)
    # The patient's own use of the portal since then is later still.
    AuditEvent.objects.create(
        actor=world.patient_user, patient=world.patient, action="create", object_type="diary"
    )
    with pytest.raises(ReviewsError, match=f"used the patient portal on {TODAY():%-d %B %Y}"):
        _died(world, episode, TODAY() - timedelta(days=1))
    # Someone else's reading of the record is no sign of life.
    AuditEvent.objects.filter(actor=world.patient_user).delete()
    AuditEvent.objects.create(
        actor=world.clinician, patient=world.patient, action="view", object_type="patient"
    )
    _died(world, episode, TODAY() - timedelta(days=1))
    assert Patient.objects.get(pk=world.patient.pk).date_of_death == TODAY() - timedelta(days=1)


def test_a_death_before_the_patient_was_seen_or_answered_a_questionnaire_is_refused(world):
    episode = _active(world)
    Episode.objects.filter(pk=episode.pk).update(opened_at=timezone.now() - timedelta(days=60))
    Milestone.objects.create(
        episode=episode, kind="review_held", occurred_at=timezone.now() - timedelta(days=20)
    )
    seen = TODAY() - timedelta(days=20)
    with pytest.raises(ReviewsError, match=f"was seen by the care team on {seen:%-d %B %Y}"):
        _died(world, episode, TODAY() - timedelta(days=35))
    builders.assessment(world.patient, "PHQ-9", [1] * 9, when=timezone.now() - timedelta(days=5))
    answered = TODAY() - timedelta(days=5)
    with pytest.raises(ReviewsError, match=f"answered a questionnaire on {answered:%-d %B %Y}"):
        _died(world, episode, TODAY() - timedelta(days=10))
    # A review booked ahead, or answers entered in error, are no sign of life.
    Milestone.objects.create(
        episode=episode, kind="review_held", occurred_at=timezone.now() + timedelta(days=3)
    )
    Assessment.objects.update(entered_in_error=True)
    _died(world, episode, TODAY() - timedelta(days=10))
    assert Patient.objects.get(pk=world.patient.pk).date_of_death == TODAY() - timedelta(days=10)


def test_a_date_of_death_with_another_reason_is_refused(world):
    episode = _active(world)
    with pytest.raises(ReviewsError, match="only when the patient has died"):
        services.discharge_episode(
            actor=world.clinician,
            episode=episode,
            reason="goals_met",
            date_of_death=timezone.localdate(),
        )
    assert Patient.objects.get(pk=world.patient.pk).date_of_death is None


def test_an_open_safety_alert_is_acted_on_first(world):
    episode = _active(world)
    builders.safety_alert(world.patient, clinician=world.clinician)
    with pytest.raises(ReviewsError, match="safety alert"):
        _died(world, episode)
    assert Patient.objects.get(pk=world.patient.pk).date_of_death is None


def test_the_kernel_keeps_the_first_date_recorded(world):
    day = timezone.localdate() - timedelta(days=5)
    kernel.record_death(actor=world.clinician, patient=world.patient, date_of_death=day)
    # The same date again changes nothing; another is refused.
    kernel.record_death(actor=world.clinician, patient=world.patient, date_of_death=day)
    assert AuditEvent.objects.filter(object_uuid=world.patient.uuid).count() == 1
    with pytest.raises(ValueError, match="recorded already"):
        kernel.record_death(
            actor=world.clinician, patient=world.patient, date_of_death=day - timedelta(days=1)
        )


# Nothing is sent, whoever asks


def test_a_message_queued_after_the_death_is_cancelled_when_the_worker_takes_it(world):
    Patient.objects.filter(pk=world.patient.pk).update(date_of_death=date(2026, 1, 2))
    notification, _ = outbox.queue_notification(
        channel="email",
        kind="appointment_reminder",
        template="reviews-appointment-reminder",
        idempotency_key="late-reminder",
        patient=world.patient,
    )
    assert outbox.deliver(notification.uuid) == Notification.Status.CANCELLED
    notification.refresh_from_db()
    assert notification.last_error == "Not sent: the patient has died"


def test_reminder_planning_leaves_out_patients_who_have_died(world):
    others = Patient.objects.exclude(pk=world.patient.pk)
    Patient.objects.update(email_consent=True, consent_recorded_at=timezone.now())
    Patient.objects.filter(pk=world.patient.pk).update(date_of_death=date(2026, 1, 2))
    reachable = set(reminders.reachable(Patient.objects.all()))
    assert world.patient not in reachable
    assert reachable == {p for p in others if p.email}


def test_staff_pages_say_why_a_patient_was_not_told(world):
    from reviews import messaging

    Patient.objects.filter(pk=world.patient.pk).update(date_of_death=date(2026, 1, 2))
    assert messaging.not_told_reason(Patient.objects.get(pk=world.patient.pk)) == ("they have died")


# No new care for someone who has died


def test_a_gp_cannot_refer_a_patient_who_has_died(world):
    _died(world, _active(world), TODAY())
    world.patient.refresh_from_db()
    with pytest.raises(ReferralError, match=f"died on {TODAY():%-d %B %Y}"):
        referral_builders.referral(world.patient, world.gp, condition="chronic_pain")


def test_the_gp_is_not_offered_a_referral_for_a_patient_who_has_died(world, login):
    _died(world, _active(world), TODAY())
    client = login(world.gp)
    tab = client.get(
        reverse("referrals:patient-referrals", kwargs={"patient_uuid": world.patient.uuid})
    ).content.decode()
    assert "Refer this patient" not in tab
    assert f"died on {TODAY():%-d %B %Y}, so they cannot be referred" in tab
    # Looked up by NHS number on the referral form: said at once, not after the whole form.
    looked_up = html.unescape(
        client.post(
            reverse("referrals:patient-lookup"), {"nhs_number": world.patient.nhs_number}
        ).content.decode()
    )
    assert "This patient has died" in looked_up
    assert "You do not need to fill in the new patient details" not in looked_up


def test_a_self_referral_is_not_matched_to_a_patient_who_has_died(world):
    referral = referral_builders.self_referral_by(world.patient)
    Patient.objects.filter(pk=world.patient.pk).update(date_of_death=date(2026, 3, 3))
    world.patient.refresh_from_db()
    with pytest.raises(ReferralError, match="cannot be referred"):
        matching.match_self_referral(
            actor=world.clinician, referral=referral, patient=world.patient
        )


def test_nothing_is_booked_for_a_patient_who_has_died(world):
    from reviews.services import groups as group_services

    _died(world, _active(world))
    world.patient.refresh_from_db()
    start = timezone.now() + timedelta(days=3)
    with pytest.raises(ReviewsError, match="they have died, so nothing can be booked"):
        appointment_services.book_appointment(
            actor=world.clinician,
            patient=world.patient,
            kind="follow_up",
            start=start,
            duration_minutes=30,
            modality="phone",
            clinician=world.clinician,
        )
    session = builders.group_session(world.service)
    with pytest.raises(ReviewsError, match="they have died"):
        group_services.book_place(actor=world.clinician, session=session, patient=world.patient)
    assert not GroupBooking.objects.filter(patient=world.patient).exists()


def test_the_teams_pages_say_the_patient_has_died_not_that_a_referral_is_needed(world, login):
    """Care plan, booking and questionnaires: a new referral would be refused, so the pages do
    not ask for one."""
    _died(world, _active(world), TODAY())
    died = f"died on {TODAY():%-d %B %Y}"
    client = login(world.clinician)
    kwargs = {"patient_uuid": world.patient.uuid}
    plan = html.unescape(
        client.get(reverse("careplans:patient-plan", kwargs=kwargs)).content.decode()
    )
    assert f"{died}: no care plan can be started" in plan
    assert "Add a referral" not in plan
    book = html.unescape(
        client.get(reverse("reviews:appointment-create", kwargs=kwargs)).content.decode()
    )
    assert f"{died}: nothing can be booked for them" in book
    assert "a new referral is needed first" not in book
    reviews = html.unescape(
        client.get(reverse("reviews:patient-reviews", kwargs=kwargs)).content.decode()
    )
    assert f"{died}: no questionnaire can be sent" in reviews
    assert "A new referral is needed first" not in reviews


def test_a_patient_who_has_died_is_not_invited_to_the_portal(world):
    patient = world.other_patient
    Patient.objects.filter(pk=patient.pk).update(date_of_death=date(2026, 3, 3))
    with pytest.raises(kernel.PortalInviteError, match="have died"):
        kernel.invite_to_portal(actor=world.clinician, patient=patient)


# The letter and the pages


def test_the_summary_gives_the_date_and_asks_nothing_of_the_gp_about_medicines(world):
    episode = _active(world)
    plan_builders.trial(plan_builders.plan(world.patient), dose="80 mg a day")
    _died(world, episode, TODAY())
    html = render_to_string(
        "reviews/letter_discharge.html",
        letters.letter_context(Discharge.objects.get(episode=episode)),
    )
    assert "The patient has died" in html
    assert f'<th scope="row">Date of death</th><td>{TODAY():%-d %B %Y}</td>' in html
    assert "Still taking" in html
    assert "repeat prescribing" not in html
    assert "referred to the service again" not in html


def test_the_team_records_a_death_from_the_episode_page(world, login):
    headache = _active(world)
    _active(world, condition="chronic_pain")
    client = login(world.clinician)
    url = reverse("reviews:episode", kwargs={"episode_uuid": headache.uuid})
    page = client.get(url).content.decode()
    assert "If the patient has died, their other care with the team ends too" in page
    assert "chronic pain care (discharged, with its own summary for the GP)" in page
    refused = client.post(url, {"action": "discharge", "agreed": "on", "reason": "died"})
    assert refused.status_code == 400
    assert "Enter the date the patient died." in refused.content.decode()
    response = client.post(
        url,
        {
            "action": "discharge",
            "agreed": "on",
            "reason": "died",
            "date_of_death": TODAY().isoformat(),
        },
        follow=True,
    )
    body = response.content.decode()
    died = f"{TODAY():%-d %B %Y}"
    assert f"Alice Anders&#x27;s death on {died} is recorded." in body
    assert "This patient has died" in body and f"Died {died}." in body
    assert f'<dd class="nhsuk-summary-list__value">{died}</dd>' in body
    assert "This episode has ended." in body
    assert "If the patient needs the service again" not in body
    summary = client.get(reverse("pathway:patient-detail", args=[world.patient.uuid]))
    assert "This patient has died" in summary.content.decode()
    assert "Account closed" in summary.content.decode()


def test_a_bad_date_of_death_is_shown_beside_its_field(world, login):
    episode = _active(world)
    client = login(world.clinician)
    url = reverse("reviews:episode", kwargs={"episode_uuid": episode.uuid})
    response = client.post(
        url,
        {"action": "discharge", "agreed": "on", "reason": "died", "date_of_death": "31/02/x"},
    )
    assert response.status_code == 400
    assert "Enter the date of death as a real date." in response.content.decode()
    episode.refresh_from_db()
    assert episode.status == "active"


def test_staff_searching_see_that_a_patient_has_died(world, login):
    from pathway.nhs_number import format as format_nhs_number

    Patient.objects.filter(pk=world.patient.pk).update(date_of_death=date(2026, 3, 3))
    page = login(world.gp).get(
        reverse("pathway:patient-search"),
        {"nhs_number": format_nhs_number(world.patient.nhs_number)},
    )
    assert "<strong>Died 3 Mar 2026</strong>" in page.content.decode()


def test_a_treatment_still_marked_ongoing_asks_for_nothing_after_a_death(world, settings):
    from reviews import worklist

    settings.WORKLIST_CACHE_SECONDS = 0
    episode = _active(world)
    started = timezone.localdate() - timedelta(days=120)
    plan_builders.trial(
        plan_builders.agreed_plan(world.patient),
        started_on=started,
        review_due=started + timedelta(days=84),
    )
    codes = [r.code for row in worklist.worklist_for(world.clinician).rows for r in row.reasons]
    assert "trial_due_review" in codes

    _died(world, episode)

    assert worklist.worklist_for(world.clinician).rows == []
    assert reminders.plan_trial_review_reminders() == 0
