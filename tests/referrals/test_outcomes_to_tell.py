"""Outcomes only the team can tell: a self-referral rejected or redirected when no message can
lead the patient to it stays on a list until a clinician records telling them."""

from datetime import timedelta
from importlib import import_module

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
    ("status", "self_referral", "matched", "channel", "has_account", "died", "why"),
    [
        (rules.REJECTED, True, False, None, False, False, rules.NOT_MATCHED),
        (rules.REDIRECTED, True, True, None, True, False, rules.NO_MESSAGE),
        # A message can go, but only to say the team will contact them.
        (rules.REJECTED, True, True, "sms", False, False, rules.NO_ACCOUNT),
        # The message leads them to the outcome in their account.
        (rules.REJECTED, True, True, "email", True, False, ""),
        # The team contacts an accepted self-referrer to book their first conversation.
        (rules.ACCEPTED, True, True, None, False, False, ""),
        # A referring clinician is told by email.
        (rules.REJECTED, False, True, "email", False, False, ""),
        # A patient who has died is not contacted.
        (rules.REJECTED, True, True, None, False, True, ""),
    ],
)
def test_why_team_tells(status, self_referral, matched, channel, has_account, died, why):
    assert (
        rules.why_team_tells(
            status=status,
            self_referral=self_referral,
            matched=matched,
            channel=channel,
            has_account=has_account,
            died=died,
        )
        == why
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
    assert made.tell_by_team == rules.NOT_MATCHED
    queue = page_text(client.get(QUEUE))
    assert (
        "The self-referral is not matched to a patient record, so no message could be sent to "
        "them: tell them the outcome by phone or letter. It stays on 'Outcomes to tell' until "
        "you record that."
    ) in queue
    assert (
        "1 self-referrer has not been told that their referral was rejected or redirected, "
        "and no message can lead them to it. 1 of them gave red flags."
    ) in queue
    listed = page_text(client.get(TO_TELL))
    assert "Sam Self" in listed
    assert (
        '<strong class="nhsuk-tag nhsuk-tag--red">Urgent</strong> Headache that changes with '
        "posture (lying or standing)"
    ) in listed

    page = page_text(client.get(reverse("referrals:detail", args=[made.uuid])))
    assert "Tell the patient this outcome" in page
    assert "The self-referral is not matched to a patient record" in page
    assert "Tell them by phone or letter, with the advice above." in page
    assert "Email: sam@example.test" in page
    assert "They gave red flags: make sure they know where to get help and that it is urgent." in (
        page
    )

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
    assert made.tell_by_team == rules.NO_ACCOUNT
    page = page_text(client.get(reverse("referrals:detail", args=[made.uuid])))
    assert "They have no account to read the outcome in" in page
    # As it was when decided: an account made since does not change what the patient was sent.
    Patient.objects.filter(pk=world.patient.pk).update(user=world.patient_user)
    page = page_text(client.get(reverse("referrals:detail", args=[made.uuid])))
    assert "They have no account to read the outcome in" in page


def test_a_redirected_self_referrer_is_told_where_to_go(world, login):
    made = builders.self_referral(world.practice_a)
    client = login(world.clinician)
    client.post(
        reverse("referrals:decide", args=[made.uuid]),
        {"decision": "redirect", "redirect_to": "neurology", "note": "Seizures."},
    )
    page = page_text(client.get(reverse("referrals:detail", args=[made.uuid])))
    assert (
        "Tell them by phone or letter that Neurology is the right service for them, and to ask "
        "their GP practice to refer them there."
    ) in page


def test_a_patient_who_has_died_is_not_listed(world, login):
    from datetime import date

    made = builders.self_referral_by(world.patient)
    services.match_self_referral(actor=world.clinician, referral=made, patient=world.patient)
    # Died while the referral waited for triage.
    Patient.objects.filter(pk=world.patient.pk).update(date_of_death=date(2026, 1, 2))
    login(world.clinician).post(reverse("referrals:decide", args=[made.uuid]), REJECT)
    made.refresh_from_db()
    assert (made.status, made.tell_by_team) == ("rejected", "")
    assert _listed(world.clinician) == []


def test_the_gp_reads_that_the_team_will_tell_them(world, login):
    made = builders.self_referral_by(world.patient)
    services.match_self_referral(actor=world.clinician, referral=made, patient=world.patient)
    Patient.objects.filter(pk=world.patient.pk).update(sms_consent=False, email_consent=False)
    login(world.clinician).post(reverse("referrals:decide", args=[made.uuid]), REJECT)
    page = page_text(login(world.gp).get(reverse("referrals:detail", args=[made.uuid])))
    assert "The care team will tell them the outcome by phone or letter." in page
    assert "Tell the patient this outcome" not in page
    assert "Record that they were told" not in page


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


@pytest.mark.parametrize("told_first", [False, True])
def test_a_decision_corrected_as_a_wrong_match_leaves_the_list(world, login, told_first):
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
    client = login(world.clinician)
    if told_first:
        client.post(reverse("referrals:record-told", args=[made.uuid]), {"how": "Phoned."})
    response = client.post(
        reverse("referrals:correct-match", args=[made.uuid]), {"wrong_person": "on"}
    )
    assert response.status_code == 302
    made.refresh_from_db()
    assert made.entered_in_error
    # The copy waits to be matched and triaged again, with nothing to tell yet.
    copy = Referral.objects.get(status="submitted", patient=None)
    assert (copy.tell_by_team, copy.told_at, copy.told_how) == ("", None, "")
    assert _listed(world.clinician) == []


def test_the_database_refuses_telling_recorded_where_none_was_needed(world):
    made = builders.decided(world.patient, world.gp, world.clinician, decision="reject")
    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.filter(pk=made.pk).update(
            told_at=timezone.now(), told_by=world.clinician, told_how="Phoned."
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.filter(pk=made.pk).update(tell_by_team=rules.NO_MESSAGE)
    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.filter(pk=made.pk).update(tell_by_team="unknown")


def test_other_teams_do_not_see_the_outcome_to_tell(world, login):
    made, _ = _reject_unmatched(world, login)
    assert _listed(world.other_clinician) == []
    assert _listed(world.gp) == []
    response = login(world.other_clinician).post(
        reverse("referrals:record-told", args=[made.uuid]), {"how": "Phoned."}
    )
    assert response.status_code == 404


def test_recent_decisions_from_before_the_list_are_added_to_it(world):
    from django.apps import apps

    backfill = import_module("referrals.migrations.0013_outcomes_to_tell_backfill").backfill
    unmatched = builders.self_referral(world.practice_a)
    services.triage_referral(
        actor=world.clinician,
        referral=unmatched,
        decision=Decision(decision="redirect", redirect_to="neurology"),
    )
    old = builders.self_referral(world.practice_a, given_name="Old")
    services.triage_referral(
        actor=world.clinician,
        referral=old,
        decision=Decision(decision="redirect", redirect_to="neurology"),
    )
    readable = builders.self_referral_by(world.patient)
    services.match_self_referral(actor=world.clinician, referral=readable, patient=world.patient)
    services.triage_referral(actor=world.clinician, referral=readable, decision=Decision(**REJECT))
    # As decided before the list was kept.
    Referral.objects.update(tell_by_team="")
    Referral.objects.filter(pk=old.pk).update(decided_at=timezone.now() - timedelta(days=91))
    backfill(apps, None)
    assert dict(Referral.objects.values_list("pk", "tell_by_team")) == {
        unmatched.pk: rules.NOT_MATCHED,
        old.pk: "",
        readable.pk: "",
    }
