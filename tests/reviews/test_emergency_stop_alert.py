"""A GP's referral for a patient already in the service's care is stopped by an emergency red
flag. No referral is sent, so nothing carries the flags to the team: the stop raises a safety
alert for the clinicians caring for the patient, on the worklist until one records what was
done, and the GP's stop page says the team has been told."""

import html

import pytest
from django.urls import reverse
from django.utils.html import escape

from pathway.models import AuditEvent, Notification
from pathway.navigation import PATIENT_TABS
from referrals import rules
from referrals.models import EmergencyStop
from reviews.models import SafetyAlert
from reviews.services import episodes as episode_services
from tests.referrals import builders as referral_builders

pytestmark = pytest.mark.django_db

CREATE = reverse("referrals:create")


def _stopped(client, patient, **extra):
    """The GP's form sent with an emergency flag for `patient`; the stop page's text."""
    response = client.post(
        CREATE,
        {"nhs_number": patient.nhs_number, "red_flags": ["thunderclap_onset"], **extra},
    )
    assert response.status_code == 302
    return client.get(response["Location"]).content.decode()


def test_a_stop_for_a_patient_in_care_reaches_their_clinician_as_a_safety_alert(world):
    referral_builders.decided(world.patient, world.gp, world.clinician, "accept")

    stop = referral_builders.stop(world.gp, world.patient)

    alert = SafetyAlert.objects.get(patient=world.patient)
    assert (alert.kind, alert.emergency_stop) == (SafetyAlert.Kind.EMERGENCY_STOP, stop)
    assert alert.raised_at == stop.created_at and alert.resolved_at is None
    # The clinician responsible for the patient's care, not the GP who was stopped.
    assert alert.responsible_clinician == world.clinician
    email = Notification.objects.get(kind="safety_alert")
    assert email.user == world.clinician
    assert str(alert.uuid) in email.context["link"]
    assert AuditEvent.objects.filter(object_uuid=alert.uuid, action="create").exists()


def test_a_patient_waiting_for_triage_is_in_care_and_the_whole_team_is_told(world):
    referral_builders.referral(world.patient, world.gp)

    referral_builders.stop(world.gp, world.patient)

    alert = SafetyAlert.objects.get(patient=world.patient)
    # No one is responsible until triage: every clinician caring for the patient is emailed.
    assert alert.responsible_clinician is None
    told = set(Notification.objects.filter(kind="safety_alert").values_list("user", flat=True))
    assert world.clinician.pk in told


def test_a_stop_for_a_patient_not_in_care_raises_no_alert(world):
    # Never referred.
    referral_builders.stop(world.gp, world.patient)
    # Discharged: care has ended.
    accepted = referral_builders.decided(world.other_patient, world.gp, world.clinician)
    episode_services.discharge_episode(
        actor=world.clinician, episode=accepted.episode, reason="patient_choice"
    )
    referral_builders.stop(world.gp, world.other_patient)
    # Nobody named: the details typed were not found.
    referral_builders.stop(world.gp)

    assert EmergencyStop.objects.count() == 3
    assert not SafetyAlert.objects.exists()


def test_the_gp_is_told_the_team_has_the_flags(world, login):
    referral_builders.decided(world.patient, world.gp, world.clinician)
    page = _stopped(login(world.gp), world.patient, phq9="0 0 0 0 0 0 0 0 2")

    assert "is already in the headache and pain service's care" in page
    assert "the same-day care is still yours to arrange" in page
    assert "The care team has been told of this answer with the red flags" in page
    assert "the care team has not seen this answer" not in page


def test_a_gp_stopped_for_a_patient_not_in_care_is_not_told_the_team_knows(world, login):
    page = _stopped(login(world.gp), world.patient, phq9="0 0 0 0 0 0 0 0 2")

    assert "care-team-told" not in page
    assert "the care team has not seen this answer" in page


def test_the_team_sees_the_stop_on_the_worklist_and_the_alert_page_and_records_action(world, login):
    referral_builders.decided(world.patient, world.gp, world.clinician)
    _stopped(login(world.gp), world.patient, phq9="0 0 0 0 0 0 0 0 2")
    alert = SafetyAlert.objects.get(patient=world.patient)
    url = reverse("reviews:alert", kwargs={"alert_uuid": alert.uuid})

    client = login(world.clinician)
    worklist = client.get(reverse("reviews:worklist")).content.decode()
    assert "Emergency red flags stopped a referral: sent for same-day care" in worklist
    assert url in worklist

    page = client.get(url).content.decode()
    assert "Emergency red flags stopped a referral" in page
    assert f"{world.gp.full_name} (GP) began a referral for {world.patient.given_name}" in page
    assert f"<li>{rules.RED_FLAGS['thunderclap_onset']}</li>" in page
    advice = EmergencyStop.objects.get().advice
    assert advice and all(f"<li>{escape(line)}</li>" in page for line in advice)
    assert "at 2 of 3" in page
    assert "what happened (for example admitted, or seen and sent home)" in page

    response = client.post(
        url, {"action_taken": "Spoke to the GP: admitted overnight, scan clear, plan unchanged."}
    )
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.resolved_by == world.clinician
    assert url not in client.get(reverse("reviews:worklist")).content.decode()


def test_the_gp_sees_the_open_alert_under_the_patients_banner(world, login):
    referral_builders.decided(world.patient, world.gp, world.clinician)
    referral_builders.stop(world.gp, world.patient)

    tab = PATIENT_TABS[0][1]
    page = login(world.gp).get(reverse(tab, kwargs={"patient_uuid": world.patient.uuid}))
    text = html.unescape(page.content.decode())
    assert "Emergency red flags stopped a referral, raised" in text
    assert "It is on the care team's worklist until a clinician records" in text


def test_a_stop_named_for_someone_elses_number_raises_no_alert(world, login):
    referral_builders.decided(world.patient, world.gp, world.clinician)
    # The number is the patient's in care, but the details typed are another person's: the
    # stop is not put on their record, and their team is not alerted about someone else.
    page = _stopped(login(world.gp), world.patient, **{"new-given_name": "Other"})
    assert EmergencyStop.objects.get().patient is None
    assert "care-team-told" not in page
    assert not SafetyAlert.objects.exists()


@pytest.mark.parametrize(("phq9", "asks_why"), [("0 0 0 0 0 0 0 0 2", True), ("", False)])
def test_a_stop_whose_phq9_showed_a_risk_asks_why_no_mental_health_follow_up(
    world, login, phq9, asks_why
):
    from datetime import timedelta

    from django.utils import timezone

    from reviews.models import Review
    from tests.reviews import builders as review_builders

    referral_builders.decided(world.patient, world.gp, world.clinician)
    _stopped(login(world.gp), world.patient, phq9=phq9)
    appointment = review_builders.appointment(world.patient, world.clinician, start=timezone.now())
    response = login(world.clinician).post(
        reverse("reviews:review", kwargs={"appointment_uuid": appointment.uuid}),
        {
            "summary": "Seen after the emergency admission; headache settled.",
            "mental_health_follow_up": "not_needed",
            "next_review_date": (timezone.localdate() + timedelta(days=90)).isoformat(),
        },
    )
    recorded = Review.objects.filter(appointment=appointment).exists()
    assert recorded is not asks_why
    if asks_why:
        assert "say why no mental health follow-up" in response.content.decode()
