"""An episode's care by the team: the responsible clinician, and discharge."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from pathway.models import AuditEvent, Milestone, Notification
from referrals.models import Referral
from reviews import tasks
from reviews.errors import ReviewsError, StaleState
from reviews.models import DischargeLetter, QuestionnaireRequest, SafetyAlert
from reviews.services import episodes as services
from tests.factories import UserFactory
from tests.referrals import builders as referral_builders
from tests.reviews import builders

pytestmark = pytest.mark.django_db


def _accepted(world):
    """world.patient's accepted referral, its episode active with Nurse Nia responsible."""
    referral = referral_builders.decided(world.patient, world.gp, world.clinician, "accept")
    return referral, referral.episode


# Responsible clinician


def test_a_new_responsible_clinician_takes_over_open_alerts_and_is_emailed(world):
    _, episode = _accepted(world)
    colleague = UserFactory(role="clinician", full_name="Nurse Ned", organisations=[world.pcn1])
    alert = builders.safety_alert(world.patient, clinician=episode.responsible_clinician)
    services.change_responsible_clinician(
        actor=world.clinician, episode=episode, clinician=colleague
    )
    episode.refresh_from_db()
    alert.refresh_from_db()
    assert episode.responsible_clinician == colleague
    assert alert.responsible_clinician == colleague
    email = Notification.objects.get(kind="safety_alert", user=colleague)
    assert str(alert.uuid) in email.context["link"]
    assert AuditEvent.objects.filter(
        object_uuid=episode.uuid, fields=["responsible_clinician"]
    ).exists()


@pytest.mark.parametrize("who", ["elsewhere", "left", "gp"])
def test_only_an_active_clinician_caring_for_the_patient_can_be_responsible(world, who):
    _, episode = _accepted(world)
    clinician = {
        "elsewhere": world.other_clinician,
        "left": UserFactory(role="clinician", is_active=False, organisations=[world.pcn1]),
        "gp": world.gp,
    }[who]
    with pytest.raises(ReviewsError, match="Choose an active clinician"):
        services.change_responsible_clinician(
            actor=world.clinician, episode=episode, clinician=clinician
        )


# Discharge


def test_discharge_ends_the_episode_closes_the_referral_and_cancels_what_is_to_come(world):
    referral, episode = _accepted(world)
    coming = builders.appointment(world.patient, world.clinician, episode=episode)
    past = builders.appointment(
        world.patient, world.clinician, episode=episode, start=timezone.now() - timedelta(days=3)
    )
    waiting = builders.questionnaire_request(world.patient)
    for days in (-30, 200):
        Milestone.objects.create(
            episode=episode,
            kind="annual_review_due",
            occurred_at=timezone.now() + timedelta(days=days),
        )
    services.discharge_episode(actor=world.clinician, episode=episode, reason="patient_choice")
    episode.refresh_from_db()
    referral.refresh_from_db()
    coming.refresh_from_db()
    past.refresh_from_db()
    waiting.refresh_from_db()
    assert (episode.status, referral.status) == ("discharged", "closed")
    assert episode.closed_at is not None
    assert Milestone.objects.filter(episode=episode, kind="discharged").count() == 1
    # The next review a past review set is not shown as still to come; past ones stay.
    assert not episode.milestones.filter(kind="annual_review_due", occurred_at__gt=timezone.now())
    assert episode.milestones.filter(kind="annual_review_due").count() == 1
    assert coming.status == "cancelled"
    assert coming.cancellation_reason == "Discharged from the pathway"
    assert past.status == "booked"  # attendance is still the team's to record
    assert waiting.status == QuestionnaireRequest.Status.CANCELLED
    # One message that their care has ended, not one per appointment cancelled.
    assert not Notification.objects.filter(kind="appointment_cancelled").exists()
    assert Notification.objects.filter(kind="discharged", patient=world.patient).count() == 2
    with pytest.raises(StaleState):
        services.discharge_episode(actor=world.clinician, episode=episode, reason="patient_choice")


def test_discharge_from_the_last_episode_ends_every_arrangement_still_to_come(world):
    from reviews.models import BookingRequest, GroupBooking
    from reviews.services import appointments as appointment_services

    _, episode = _accepted(world)
    session = builders.group_session(world.service)
    place = builders.booking(session, world.patient, status="booked")
    builders.under_care(world.patient)
    appointment_services.request_booking(
        actor=world.patient_user, patient=world.patient, kind="follow_up"
    )
    services.discharge_episode(actor=world.clinician, episode=episode, reason="patient_choice")
    place.refresh_from_db()
    # The team's doing, not the patient's; the one discharge message covers it.
    assert place.status == GroupBooking.Status.WITHDRAWN
    assert not Notification.objects.filter(kind="group_place_withdrawn").exists()
    assert BookingRequest.objects.get().status == BookingRequest.Status.CLOSED
    with pytest.raises(ReviewsError, match="not under the headache and pain team"):
        appointment_services.request_booking(
            actor=world.patient_user, patient=world.patient, kind="follow_up"
        )


def test_discharge_from_the_last_episode_withdraws_messages_still_queued(world):
    from reviews import reminders

    _, episode = _accepted(world)
    world.patient.diary_nudge = True
    world.patient.save()
    # Tomorrow evening's nudge: queued whatever the time of day the test runs.
    reminders.plan_diary_nudges(today=timezone.localdate() + timedelta(days=1))
    nudges = Notification.objects.filter(kind="diary_nudge")
    assert nudges.filter(status="queued").exists()
    # A message that failed before stays on the team's list: the number may be wrong.
    failed = nudges.get(channel="sms")
    Notification.objects.filter(pk=failed.pk).update(status="failed", last_error="Bad number")
    services.discharge_episode(actor=world.clinician, episode=episode, reason="patient_choice")
    assert set(nudges.values_list("channel", "status", "last_error")) == {
        ("email", "cancelled", "Withdrawn: the patient was discharged"),
        ("sms", "failed", "Bad number"),
    }
    assert Notification.objects.filter(kind="discharged", status="queued").exists()


def test_messages_stay_queued_while_another_episode_is_open(world):
    from reviews import reminders

    _, episode = _accepted(world)
    builders.episode_for(world.patient, condition="chronic_pain")
    world.patient.diary_nudge = True
    world.patient.save()
    # Tomorrow evening's nudge: queued whatever the time of day the test runs.
    reminders.plan_diary_nudges(today=timezone.localdate() + timedelta(days=1))
    services.discharge_episode(actor=world.clinician, episode=episode, reason="patient_choice")
    assert Notification.objects.filter(kind="diary_nudge", status="queued").exists()


def test_discharge_from_one_condition_withdraws_its_group_sessions_alone(world):
    from reviews.models import GroupBooking

    _, episode = _accepted(world)  # headache
    builders.episode_for(world.patient, condition="chronic_pain", status="active")
    headache = builders.booking(
        builders.group_session(world.service, condition="headache"), world.patient, status="booked"
    )
    pain = builders.booking(
        builders.group_session(world.service, condition="chronic_pain"), world.patient
    )
    anyone = builders.booking(builders.group_session(world.service), world.patient, status="booked")
    services.discharge_episode(actor=world.clinician, episode=episode, reason="patient_choice")
    for booking in (headache, pain, anyone):
        booking.refresh_from_db()
    assert headache.status == GroupBooking.Status.WITHDRAWN
    assert (pain.status, anyone.status) == ("invited", "booked")
    # No discharge message covers it: they are told their place is withdrawn.
    assert Notification.objects.filter(kind="group_place_withdrawn").exists()


def test_a_discharge_over_care_booked_since_the_page_was_shown_is_shown_again(world, login):
    from reviews.services import appointments as appointment_services

    _, episode = _accepted(world)
    builders.under_care(world.patient)  # reviews follow the first conversation
    client = login(world.clinician)
    url = reverse("reviews:episode", kwargs={"episode_uuid": episode.uuid})
    shown = client.get(url).context["discharge_form"].initial["shown"]
    # Booked in another tab after the page was shown.
    booked = appointment_services.book_appointment(
        actor=world.clinician,
        patient=world.patient,
        episode=episode,
        kind="follow_up",
        start=timezone.now() + timedelta(days=9),
        duration_minutes=30,
        modality="phone",
        clinician=world.clinician,
    )
    answers = {
        "action": "discharge",
        "agreed": "on",
        "reason": "patient_choice",
        "note_for_gp": "Doing well.",
        "shown": shown,
    }
    refused = client.post(url, answers)
    assert refused.status_code == 409
    body = refused.content.decode()
    assert "The patient&#x27;s care has changed since this page was shown" in body
    assert "Doing well." in body  # the note is kept
    assert "Follow-up" in body and ": cancelled" in body  # the new appointment is listed
    episode.refresh_from_db()
    booked.refresh_from_db()
    assert episode.status == "active" and booked.status == "booked"
    # Confirmed again with the list now shown, it goes ahead.
    form = refused.context["discharge_form"]
    assert form["agreed"].value() in (None, False)
    answers["shown"] = form["shown"].value()
    assert client.post(url, answers).status_code == 302
    booked.refresh_from_db()
    assert booked.status == "cancelled"


def test_an_appointment_beginning_while_the_page_is_open_is_not_a_change(world):
    from reviews import selectors
    from reviews.services import appointments as appointment_services

    _, episode = _accepted(world)
    builders.under_care(world.patient)  # reviews follow the first conversation
    now = timezone.now()
    appointment_services.book_appointment(
        actor=world.clinician,
        patient=world.patient,
        episode=episode,
        kind="follow_up",
        start=now + timedelta(minutes=30),
        duration_minutes=30,
        modality="phone",
        clinician=world.clinician,
    )
    shown = selectors.ended_by_discharge(episode, now)
    later = selectors.ended_by_discharge(episode, now + timedelta(hours=1))
    assert shown.coming.count() == 1 and later.coming.count() == 0
    assert shown.fingerprint() == later.fingerprint()


def test_questionnaires_stay_while_another_episode_is_open(world):
    _, episode = _accepted(world)
    builders.episode_for(world.patient, condition="chronic_pain")
    waiting = builders.questionnaire_request(world.patient)
    services.discharge_episode(actor=world.clinician, episode=episode, reason="patient_choice")
    waiting.refresh_from_db()
    assert waiting.status == QuestionnaireRequest.Status.REQUESTED
    assert not Notification.objects.filter(kind="discharged").exists()  # still under care


def test_discharge_waits_for_an_open_safety_alert_to_be_acted_on(world):
    _, episode = _accepted(world)
    builders.safety_alert(world.patient, clinician=world.clinician)
    with pytest.raises(ReviewsError, match="safety alert about this patient is open"):
        services.discharge_episode(actor=world.clinician, episode=episode, reason="patient_choice")
    episode.refresh_from_db()
    assert episode.status == "active"
    SafetyAlert.objects.update(
        resolved_at=timezone.now(), resolved_by=world.clinician, action_taken="Called, safe."
    )
    services.discharge_episode(actor=world.clinician, episode=episode, reason="patient_choice")


def test_a_referral_waiting_for_triage_is_not_discharged_here(world):
    referral = referral_builders.referral(world.patient, world.gp)
    with pytest.raises(ReviewsError, match="waiting for triage"):
        services.discharge_episode(
            actor=world.clinician, episode=referral.episode, reason="patient_choice"
        )
    assert Referral.objects.get(pk=referral.pk).status == "submitted"


# The page


def test_the_team_changes_the_clinician_and_discharges_from_the_episode_page(
    world, login, monkeypatch, django_capture_on_commit_callbacks
):
    # The worker renders what it is handed.
    monkeypatch.setattr(tasks.render_discharge_letter, "delay", tasks.render_discharge_letter.run)
    _, episode = _accepted(world)
    colleague = UserFactory(role="clinician", full_name="Nurse Ned", organisations=[world.pcn1])
    client = login(world.clinician)
    reviews_tab = reverse("reviews:patient-reviews", kwargs={"patient_uuid": world.patient.uuid})
    url = reverse("reviews:episode", kwargs={"episode_uuid": episode.uuid})
    assert url in client.get(reviews_tab).content.decode()
    page = client.get(url).content.decode()
    assert "Nurse Ned" in page and "Nurse Otto" not in page  # only those caring for the patient
    response = client.post(url, {"action": "clinician", "clinician": colleague.pk}, follow=True)
    assert "Nurse Ned is now responsible for Alice Anders" in response.content.decode()
    again = client.post(url, {"action": "clinician", "clinician": colleague.pk}, follow=True)
    told = "Nurse Ned was already responsible for Alice Anders&#x27;s headache care."
    assert f"{told} Nothing has changed." in again.content.decode()
    refused = client.post(url, {"action": "discharge"})
    assert refused.status_code == 400
    assert "Confirm that the patient is to be discharged." in refused.content.decode()
    assert "Choose why the patient is being discharged." in refused.content.decode()
    # "Another reason" says which.
    refused = client.post(url, {"action": "discharge", "agreed": "on", "reason": "other"})
    assert refused.status_code == 400
    assert "Say why the patient is being discharged" in refused.content.decode()
    # "Finished the pathway" needs the patient seen and a care plan agreed.
    refused = client.post(url, {"action": "discharge", "agreed": "on", "reason": "goals_met"})
    assert refused.status_code == 400
    assert (
        'id="id_reason-error"><span class="nhsuk-u-visually-hidden">Error:</span> The patient '
        "has not had a first conversation"
    ) in refused.content.decode()
    reason_error = refused.context["discharge_form"].errors["reason"]
    assert reason_error == [
        "The patient has not had a first conversation with the team, so they have not finished "
        'the pathway. Choose the reason that fits instead: "The patient asked to leave the '
        'pathway", "Did not attend or reply when the team got in touch", "Referred on to a '
        'specialist service", "Moved away or registered with a practice outside the area", "The '
        'patient has died" or "Another reason".'
    ]
    builders.seen_with_a_plan(episode)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {
                "action": "discharge",
                "agreed": "on",
                "reason": "goals_met",
                "note_for_gp": "  Managing well on propranolol; re-refer if attacks return.  ",
            },
            follow=True,
        )
    body = response.content.decode()
    assert "Alice Anders is discharged from the headache pathway." in body
    assert "This episode has ended" in body
    assert "Finished the pathway: managing with their care plan" in body
    assert "Managing well on propranolol; re-refer if attacks return." in body
    episode.refresh_from_db()
    assert episode.status == "discharged"
    assert episode.discharge.reason == "goals_met"
    assert episode.discharge.note_for_gp == (
        "Managing well on propranolol; re-refer if attacks return."
    )
    # The worker rendered the summary: the page links to it.
    letter = DischargeLetter.objects.get(discharge__episode=episode)
    link = reverse("reviews:discharge-letter", kwargs={"letter_uuid": letter.uuid})
    assert link in client.get(url).content.decode()
    assert link in client.get(reviews_tab).content.decode()


def test_a_responsible_clinician_changed_in_another_tab_is_not_overwritten(world, login):
    _, episode = _accepted(world)
    ned = UserFactory(role="clinician", full_name="Nurse Ned", organisations=[world.pcn1])
    kim = UserFactory(role="clinician", full_name="Nurse Kim", organisations=[world.pcn1])
    url = reverse("reviews:episode", kwargs={"episode_uuid": episode.uuid})
    client = login(world.clinician)
    shown = str(world.clinician.uuid)  # both tabs opened while Nurse Nia was responsible
    client.post(url, {"action": "clinician", "clinician": ned.pk, "shown": shown})
    response = client.post(
        url, {"action": "clinician", "clinician": kim.pk, "shown": shown}, follow=True
    )
    assert "Someone else has changed the responsible clinician" in response.content.decode()
    assert "it is now Nurse Ned" in response.content.decode()
    episode.refresh_from_db()
    assert episode.responsible_clinician == ned


def test_the_episode_page_says_what_stops_a_discharge(world, login):
    _, episode = _accepted(world)
    builders.safety_alert(world.patient, clinician=world.clinician)
    url = reverse("reviews:episode", kwargs={"episode_uuid": episode.uuid})
    client = login(world.clinician)
    page = client.get(url).content.decode()
    assert "Record the action taken on this alert before discharging:" in page
    builders.safety_alert(world.patient, clinician=world.clinician)
    page = client.get(url).content.decode()
    assert "Record the action taken on each of these alerts before discharging:" in page
    listed = page[page.index("each of these alerts") :]
    listed = listed[: listed.index("</ul>")]
    assert listed.count("PHQ-9 item 9: thoughts of self-harm, raised ") == 2
    response = client.post(url, {"action": "discharge", "agreed": "on", "reason": "patient_choice"})
    assert response.status_code == 400
    assert "Record the action taken on it before discharging." in response.content.decode()


def test_discharge_leaves_a_place_at_a_cancelled_session_alone(world):
    from reviews.models import GroupBooking

    _, episode = _accepted(world)
    cancelled = builders.group_session(world.service, cancelled_at=timezone.now())
    place = builders.booking(cancelled, world.patient, status="booked")
    services.discharge_episode(actor=world.clinician, episode=episode, reason="patient_choice")
    episode.refresh_from_db()
    place.refresh_from_db()
    assert episode.status == "discharged"
    assert place.status == GroupBooking.Status.BOOKED


def test_the_discharge_step_lists_everything_the_last_episode_ends(world, login):
    _, episode = _accepted(world)
    builders.appointment(world.patient, world.clinician, episode=episode)
    session = builders.group_session(world.service)
    builders.booking(session, world.patient, status="booked")
    builders.questionnaire_request(world.patient, instrument="GAD-7")
    url = reverse("reviews:episode", kwargs={"episode_uuid": episode.uuid})
    page = login(world.clinician).get(url).content.decode()
    assert "ends the rest of Alice's care with the team" in page
    assert "Follow-up, " in page and ": cancelled</li>" in page
    assert f"Group session, {timezone.localtime(session.start):%A %-d %B %Y, %H:%M}" in page
    assert "place withdrawn</li>" in page
    assert "no longer needed</li>" in page


def test_with_another_episode_open_the_step_lists_only_this_episodes_appointments(world, login):
    _, episode = _accepted(world)
    builders.appointment(world.patient, world.clinician, episode=episode)
    builders.episode_for(world.patient, condition="chronic_pain")
    builders.booking(builders.group_session(world.service), world.patient, status="booked")
    builders.questionnaire_request(world.patient, instrument="GAD-7")
    url = reverse("reviews:episode", kwargs={"episode_uuid": episode.uuid})
    page = login(world.clinician).get(url).content.decode()
    assert "cancels this episode's appointments" in page
    assert ": cancelled</li>" in page
    assert "Group session, " not in page and "no longer needed" not in page


# A severe mood or anxiety score not reviewed

SEVERE_PHQ9 = [3, 3, 3, 3, 3, 3, 2, 2, 0]  # 22, item 9 not at all: no safety alert


def test_a_severe_score_not_reviewed_is_handed_to_the_gp_at_discharge(world, login):
    """The worklist lists it until a review; once care ends it would not, and the patient was
    told the team would see their answers."""
    _, episode = _accepted(world)
    builders.assessment(world.patient, "PHQ-9", SEVERE_PHQ9)
    client = login(world.clinician)
    page = client.get(reverse("reviews:episode", args=[episode.uuid])).content.decode()
    assert "Severe score not reviewed" in page
    assert "say in the note for the GP what follow-up is arranged for it" in page
    with pytest.raises(ReviewsError, match=r"severe mood or anxiety score .*\(PHQ-9 of .*, 22 "):
        services.discharge_episode(actor=world.clinician, episode=episode, reason="not_engaged")
    services.discharge_episode(
        actor=world.clinician,
        episode=episode,
        reason="not_engaged",
        note_for_gp="PHQ-9 22 on 7 December: please review mood; we could not reach her.",
    )
    episode.refresh_from_db()
    assert episode.status == "discharged"


def test_a_severe_score_stays_with_the_team_while_other_care_goes_on(world):
    _, episode = _accepted(world)
    builders.episode_for(world.patient, condition="chronic_pain")
    builders.assessment(world.patient, "PHQ-9", SEVERE_PHQ9)
    assert services.severe_scores_left(episode) == []
    services.discharge_episode(actor=world.clinician, episode=episode, reason="not_engaged")


def test_a_reviewed_severe_score_asks_nothing_at_discharge(world):
    _, episode = _accepted(world)
    builders.assessment(
        world.patient, "PHQ-9", SEVERE_PHQ9, when=timezone.now() - timedelta(days=3)
    )
    builders.review_held(world.patient, world.clinician, next_in_days=90)
    assert services.severe_scores_left(episode) == []
