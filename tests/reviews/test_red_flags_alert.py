"""A patient already in the team's care sends a self-referral for the same condition with red
flags the referral that brought them into care does not hold. It cannot be matched (one open
referral per condition) or accepted, so the team closes it as a copy and its red flags reach the
clinicians caring for the patient as a safety alert, until one records what was done."""

import pytest
from django.core import signing
from django.urls import reverse

from pathway.models import AuditEvent, Notification
from referrals import services as referral_services
from referrals.services import ReferralError
from referrals.views.matching import same_person_token
from reviews.models import SafetyAlert
from tests.factories import UserFactory
from tests.referrals import builders as referral_builders

pytestmark = pytest.mark.django_db

URGENT_FLAG = "change_in_personality"


def _in_care_with_new_flags(world, red_flags=(URGENT_FLAG,)):
    """world.patient's accepted referral (Nurse Nia responsible) and a self-referral of theirs
    for the same condition with `red_flags`."""
    accepted = referral_builders.decided(world.patient, world.gp, world.clinician, "accept")
    copy = referral_builders.self_referral_by(
        world.patient, red_flags=red_flags, problem="Since last week my wife says I am not myself."
    )
    return accepted, copy


def _closed_and_alert_page(world, login, copy, accepted) -> str:
    """Close `copy` as a copy of `accepted`, its flags carried; the alert page it raises."""
    referral_services.close_as_duplicate(
        actor=world.clinician, referral=copy, original=accepted, add_red_flags=True
    )
    alert = SafetyAlert.objects.get(patient=world.patient)
    url = reverse("reviews:alert", kwargs={"alert_uuid": alert.uuid})
    return login(world.clinician).get(url).content.decode()


def _close(client, copy, original, **extra):
    return client.post(
        reverse("referrals:close-duplicate", kwargs={"referral_uuid": copy.uuid}),
        {"original": str(original.uuid), "same": "on", **extra},
    )


def test_the_red_flags_reach_the_patients_clinician_as_a_safety_alert(world):
    accepted, copy = _in_care_with_new_flags(world)
    colleague = UserFactory(role="clinician", full_name="Nurse Ned", organisations=[world.pcn1])
    # It cannot be matched to the record: the patient has an open referral for the condition.
    with pytest.raises(ReferralError, match="already has an open referral"):
        referral_services.match_self_referral(actor=colleague, referral=copy, patient=world.patient)

    referral_services.close_as_duplicate(
        actor=colleague, referral=copy, original=accepted, add_red_flags=True
    )

    alert = SafetyAlert.objects.get(patient=world.patient)
    assert alert.kind == SafetyAlert.Kind.RED_FLAGS
    assert alert.referral == copy
    assert alert.resolved_at is None
    # The episode's responsible clinician, not the colleague who closed the copy.
    assert alert.responsible_clinician == world.clinician
    email = Notification.objects.get(kind="safety_alert")
    assert email.user == world.clinician
    assert str(alert.uuid) in email.context["link"]
    assert AuditEvent.objects.filter(object_uuid=alert.uuid, action="create").exists()
    # The accepted referral stays as triage decided it.
    accepted.refresh_from_db()
    assert (accepted.red_flags, accepted.urgency) == ([], "routine")


def test_without_adding_the_flags_the_copy_stays_open_and_no_alert_is_raised(world):
    accepted, copy = _in_care_with_new_flags(world)
    with pytest.raises(ReferralError, match="Add its red flags to referral"):
        referral_services.close_as_duplicate(
            actor=world.clinician, referral=copy, original=accepted
        )
    copy.refresh_from_db()
    assert not copy.entered_in_error
    assert not SafetyAlert.objects.exists()


def test_flags_the_accepted_referral_already_holds_raise_no_alert(world):
    accepted = referral_builders.decided(world.patient, world.gp, world.clinician, "accept")
    copy = referral_builders.self_referral_by(world.patient)
    referral_services.close_as_duplicate(
        actor=world.clinician, referral=copy, original=accepted, add_red_flags=True
    )
    assert not SafetyAlert.objects.exists()


def test_the_team_sees_the_flags_on_the_worklist_and_the_alert_page_and_records_action(
    world, login
):
    accepted, copy = _in_care_with_new_flags(world)
    client = login(world.clinician)
    response = _close(client, copy, accepted, add_red_flags="on")
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert (
        "Its red flags (Change in personality) are sent to the clinicians caring for the patient "
        "as a safety alert on the worklist." in page
    )
    assert "It gave red flags this referral does not hold (Change in personality)" in page

    worklist = client.get(reverse("reviews:worklist")).content.decode()
    assert "New red flags in a second referral for the patient: record the action taken" in worklist
    alert = SafetyAlert.objects.get(patient=world.patient)
    url = reverse("reviews:alert", kwargs={"alert_uuid": alert.uuid})
    assert url in worklist

    page = client.get(url).content.decode()
    assert "New red flags in a second referral" in page
    assert (
        f'closed it as a copy of <a href="{reverse("referrals:detail", args=[accepted.uuid])}"'
        in page
    )
    assert "<li>Change in personality</li>" in page
    assert "Since last week my wife says I am not myself." in page
    assert (
        f"How they asked to be contacted in it:</strong> {copy.get_preferred_contact_display()}"
        in page
    )
    assert "arrange specialist referral or investigation so that it happens within 2 weeks" in page
    assert "what was arranged (for example an urgent assessment" in page
    assert "safety plan" not in page

    response = client.post(
        url, {"action_taken": "Phoned him today and booked an urgent GP assessment tomorrow."}
    )
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.resolved_by == world.clinician
    assert (
        "New red flags in a second referral"
        not in client.get(reverse("reviews:worklist")).content.decode()
    )


def test_a_routine_flag_asks_the_team_to_assess_it(world, login):
    accepted, copy = _in_care_with_new_flags(world, red_flags=("compromised_immunity",))
    page = _closed_and_alert_page(world, login, copy, accepted)
    assert "<li>Compromised immunity" in page
    assert "Assess them and decide whether" in page
    assert "within 2 weeks" not in page


def test_an_open_red_flags_alert_asks_no_reason_for_no_mental_health_follow_up(world, login):
    from datetime import timedelta

    from django.utils import timezone

    from reviews.models import Review
    from tests.reviews import builders

    accepted, copy = _in_care_with_new_flags(world)
    referral_services.close_as_duplicate(
        actor=world.clinician, referral=copy, original=accepted, add_red_flags=True
    )
    appointment = builders.appointment(world.patient, world.clinician, start=timezone.now())
    response = login(world.clinician).post(
        reverse("reviews:review", kwargs={"appointment_uuid": appointment.uuid}),
        {
            "summary": "Discussed the change in personality; urgent GP assessment booked.",
            "mental_health_follow_up": "not_needed",
            "next_review_date": (timezone.localdate() + timedelta(days=90)).isoformat(),
        },
    )
    assert response.status_code == 302
    assert Review.objects.filter(appointment=appointment).exists()


def test_the_alert_goes_to_the_clinician_of_the_condition_the_copy_is_about(world):
    accepted, copy = _in_care_with_new_flags(world)
    pain_clinician = UserFactory(
        role="clinician", full_name="Nurse Pat", organisations=[world.pcn1]
    )
    # A newer episode for chronic pain, with its own responsible clinician.
    pain = referral_builders.decided(
        world.patient, world.gp, pain_clinician, "accept", condition="chronic_pain"
    )
    assert pain.episode.responsible_clinician == pain_clinician
    referral_services.close_as_duplicate(
        actor=world.clinician, referral=copy, original=accepted, add_red_flags=True
    )
    alert = SafetyAlert.objects.get(patient=world.patient)
    assert alert.responsible_clinician == world.clinician


def test_the_same_flags_at_an_age_that_makes_them_urgent_reach_the_team(world, login):
    from datetime import date

    from pathway.models import Patient
    from referrals.models import Referral

    # Referred at 49 with a new headache (routine); the self-referral gives it at 50 (urgent).
    today = date.today()
    born = date(today.year - 50, 1, 1)  # 50 today
    Patient.objects.filter(pk=world.patient.pk).update(date_of_birth=born)
    world.patient.refresh_from_db()
    accepted = referral_builders.decided(world.patient, world.gp, world.clinician, "accept")
    Referral.objects.filter(pk=accepted.pk).update(
        red_flags=["new_onset_headache"], urgency="routine", age_at_referral=49
    )
    accepted.refresh_from_db()
    copy = referral_builders.self_referral_by(world.patient, red_flags=("new_onset_headache",))
    assert copy.age_at_referral == 50
    with pytest.raises(ReferralError, match="makes referral .* urgent at the age it gives"):
        referral_services.close_as_duplicate(
            actor=world.clinician, referral=copy, original=accepted
        )
    page = _closed_and_alert_page(world, login, copy, accepted)
    assert "It gives the same red flags at age 50, which makes them more urgent." in page
    assert "within 2 weeks" in page


def test_a_copy_the_name_does_not_find_is_closed_from_the_match_it_cannot_make(world, login):
    import re

    # The patient misspells their name and gives no NHS number: nothing finds their open
    # referral until the nurse matches the NHS number, which that open referral refuses.
    accepted = referral_builders.decided(world.patient, world.gp, world.clinician, "accept")
    copy = referral_builders.self_referral_by(
        world.patient,
        family_name=world.patient.family_name + "x",
        nhs_number="",
        red_flags=(URGENT_FLAG,),
    )
    client = login(world.clinician)
    match = {
        "nhs_number": world.patient.nhs_number,
        "shown_patient": str(world.patient.uuid),
        "shown_differences": "family_name",
        "same_person": "on",
    }
    response = client.post(reverse("referrals:match", args=[copy.uuid]), match)
    assert response.status_code == 409
    page = response.content.decode()
    assert f"already has an open referral for headache: referral {accepted.reference}" in page
    assert "close it as a copy of that one" in page
    token = re.search(r'name="same_person" value="([^"]+)"', page).group(1)

    close = reverse("referrals:close-duplicate", kwargs={"referral_uuid": copy.uuid})
    answers = {"original": str(accepted.uuid), "add_red_flags": "on", "same_person": token}
    # A box left unticked shows the offer again, not a page without it.
    response = client.post(close, answers)
    assert response.status_code == 400
    assert "Confirm that both referrals are from the same person" in response.content.decode()
    assert f"Referral {accepted.reference}" in response.content.decode()
    # The offer cannot be changed in the browser (here: the confirmed differences dropped).
    forged = signing.dumps(
        [str(copy.uuid), str(world.patient.uuid), []], salt="referrals.close-duplicate.x"
    )
    assert client.post(close, {**answers, "same": "on", "same_person": forged}).status_code == 400
    assert not SafetyAlert.objects.exists()
    response = client.post(close, {**answers, "same": "on"})
    assert response.status_code == 302
    copy.refresh_from_db()
    assert copy.entered_in_error and copy.duplicate_of == accepted
    assert SafetyAlert.objects.get(patient=world.patient).referral == copy


def test_another_persons_record_cannot_be_named_to_close_a_copy(world, login):
    accepted = referral_builders.decided(world.other_patient, world.gp, world.clinician, "accept")
    copy = referral_builders.self_referral_by(world.patient, nhs_number="")
    response = login(world.clinician).post(
        reverse("referrals:close-duplicate", kwargs={"referral_uuid": copy.uuid}),
        {
            "original": str(accepted.uuid),
            "same": "on",
            "same_person": same_person_token(copy, world.other_patient, ()),
        },
    )
    # Even offered for them, the differences from what the self-referrer gave are unconfirmed.
    assert response.status_code == 409
    assert "Choose one of the referrals this one may be a copy of." in response.content.decode()
    copy.refresh_from_db()
    assert not copy.entered_in_error
