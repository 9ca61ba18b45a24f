"""Outcomes only the team can tell: a self-referral rejected or redirected when no message can
lead the patient to it stays on a list until a clinician records telling them."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from pathway.models import AuditEvent, Patient
from referrals import rules, selectors, services
from referrals.models import Referral
from referrals.services import Decision
from tests.pathway.pages import page_text
from tests.referrals import builders

pytestmark = pytest.mark.django_db

QUEUE = reverse("referrals:triage-queue")
TO_TELL = reverse("referrals:outcomes-to-tell")
REJECT = {
    "decision": "reject",
    "rejection_reason": "outside_area",
    "advice_to_referrer": "See your GP practice today about the headache.",
}


# The rule -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "self_referral", "channel", "has_account", "told_by_team"),
    [
        (rules.REJECTED, True, None, False, True),
        (rules.REDIRECTED, True, None, True, True),
        # A message can go, but only to say the team will contact them.
        (rules.REJECTED, True, "sms", False, True),
        # The message leads them to the outcome in their account.
        (rules.REJECTED, True, "email", True, False),
        # The team contacts an accepted self-referrer to book their first conversation.
        (rules.ACCEPTED, True, None, False, False),
        # A referring clinician is told by email.
        (rules.REJECTED, False, "email", False, False),
    ],
)
def test_told_only_by_team(status, self_referral, channel, has_account, told_by_team):
    assert (
        rules.told_only_by_team(
            status=status, self_referral=self_referral, channel=channel, has_account=has_account
        )
        is told_by_team
    )


# Deciding -------------------------------------------------------------------------------------


def _listed(user) -> list[Referral]:
    return list(selectors.outcomes_to_tell_for(user))


def _reject_unmatched(world, login, **content):
    made = builders.self_referral(world.practice_a, **content)
    client = login(world.clinician)
    client.post(reverse("referrals:decide", args=[made.uuid]), REJECT)
    made.refresh_from_db()
    return made, client


def test_an_unmatched_self_referral_rejected_is_listed_until_told(world, login):
    made, client = _reject_unmatched(world, login, red_flags=("orthostatic_headache",))
    assert made.tell_by_team
    queue = page_text(client.get(QUEUE))
    assert "It stays on 'Outcomes to tell' until you record that." in queue
    assert (
        "1 self-referrer has not been told that their referral was rejected or redirected, "
        "and no message can lead them to it. 1 of them gave red flags."
    ) in queue
    listed = page_text(client.get(TO_TELL))
    assert "Sam Self" in listed
    assert (
        '<strong class="nhsuk-tag nhsuk-tag--red">Red flags</strong> Headache that changes with '
        "posture (lying or standing)"
    ) in listed

    page = page_text(client.get(reverse("referrals:detail", args=[made.uuid])))
    assert "Tell the patient this outcome" in page
    assert "the self-referral is not matched to a patient record" in page
    assert "Email: sam@example.test" in page
    assert "They gave red flags" in page

    response = client.post(
        reverse("referrals:record-told", args=[made.uuid]), {"how": "Phoned 4 December."}
    )
    assert response.status_code == 302
    assert response["Location"] == TO_TELL
    made.refresh_from_db()
    assert made.told_how == "Phoned 4 December."
    assert made.told_by == world.clinician
    assert made.told_at is not None
    audited = AuditEvent.objects.filter(object_uuid=made.uuid, action="update")
    assert [event.fields for event in audited] == [["told_at", "told_by", "told_how"]]
    listed = page_text(client.get(TO_TELL))
    assert "Recorded that Sam Self was told the outcome of referral" in listed
    assert "Every self-referrer who could only be told by the team has been told." in listed
    assert "Outcomes to tell by phone or letter" not in page_text(client.get(QUEUE))
    page = page_text(client.get(reverse("referrals:detail", args=[made.uuid])))
    assert '<span class="app-prewrap">Phoned 4 December.</span>' in page
    assert "Record that they were told" not in page


def test_a_patient_without_an_account_sent_a_message_is_still_listed(world, login):
    Patient.objects.filter(pk=world.patient.pk).update(user=None)
    world.patient.refresh_from_db()
    made = builders.self_referral_by(world.patient)
    services.match_self_referral(actor=world.clinician, referral=made, patient=world.patient)
    client = login(world.clinician)
    client.post(reverse("referrals:decide", args=[made.uuid]), REJECT)
    made.refresh_from_db()
    assert made.tell_by_team
    page = page_text(client.get(reverse("referrals:detail", args=[made.uuid])))
    assert "They have no account to read the outcome in" in page


def test_a_patient_who_can_read_the_outcome_is_not_listed(world, login):
    made = builders.self_referral_by(world.patient)
    services.match_self_referral(actor=world.clinician, referral=made, patient=world.patient)
    client = login(world.clinician)
    client.post(reverse("referrals:decide", args=[made.uuid]), REJECT)
    made.refresh_from_db()
    assert made.status == "rejected"
    assert not made.tell_by_team
    assert "Every self-referrer who could only be told by the team has been told." in page_text(
        client.get(TO_TELL)
    )
    assert "Outcomes to tell by phone or letter" not in page_text(client.get(QUEUE))


def test_red_flags_come_first_then_the_oldest(world, login):
    _reject_unmatched(world, login, given_name="Ann")
    _reject_unmatched(world, login, given_name="Bea", red_flags=("orthostatic_headache",))
    _reject_unmatched(world, login, given_name="Cal")
    names = [referral.stated_given_name for referral in _listed(world.clinician)]
    assert names == ["Bea", "Ann", "Cal"]


def test_recording_needs_how_they_were_told(world, login):
    made, client = _reject_unmatched(world, login)
    response = client.post(reverse("referrals:record-told", args=[made.uuid]), {"how": "  "})
    assert response.status_code == 400
    assert "Say how and when the patient was told" in page_text(response)
    made.refresh_from_db()
    assert made.told_at is None


def test_recording_twice_is_refused_and_keeps_the_first(world, login):
    made, client = _reject_unmatched(world, login)
    client.post(reverse("referrals:record-told", args=[made.uuid]), {"how": "Letter posted."})
    response = client.post(
        reverse("referrals:record-told", args=[made.uuid]), {"how": "Phoned."}, follow=True
    )
    assert f"{world.clinician.full_name} recorded telling the patient on" in page_text(response)
    made.refresh_from_db()
    assert made.told_how == "Letter posted."


def test_recording_is_refused_where_a_message_leads_them_to_it(world):
    made = builders.decided(world.patient, world.gp, world.clinician, decision="reject")
    with pytest.raises(services.ReferralError, match="reaches the patient by message"):
        services.record_outcome_told(actor=world.clinician, referral=made, how="Phoned.")


def test_a_decision_corrected_as_a_wrong_match_leaves_the_list(world, login):
    made = builders.self_referral_by(world.patient)
    services.match_self_referral(actor=world.clinician, referral=made, patient=world.patient)
    Patient.objects.filter(pk=world.patient.pk).update(user=None)
    made.refresh_from_db()
    services.triage_referral(
        actor=world.clinician,
        referral=made,
        decision=Decision(
            decision="reject", rejection_reason="other", advice_to_referrer="See your GP."
        ),
    )
    assert _listed(world.clinician) == [Referral.objects.get(pk=made.pk)]
    Referral.objects.filter(pk=made.pk).update(entered_in_error=True)
    assert _listed(world.clinician) == []


def test_the_database_refuses_telling_recorded_where_none_was_needed(world):
    made = builders.decided(world.patient, world.gp, world.clinician, decision="reject")
    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.filter(pk=made.pk).update(
            told_at=timezone.now(), told_by=world.clinician, told_how="Phoned."
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.filter(pk=made.pk).update(tell_by_team=True)


def test_other_teams_do_not_see_the_outcome_to_tell(world, login):
    made, _ = _reject_unmatched(world, login)
    assert _listed(world.other_clinician) == []
    assert _listed(world.gp) == []
    response = login(world.other_clinician).post(
        reverse("referrals:record-told", args=[made.uuid]), {"how": "Phoned."}
    )
    assert response.status_code == 404
