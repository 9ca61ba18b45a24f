"""A GP's referral refused because the patient already has one open for the condition: red flags
the open referral does not hold, and a PHQ-9 self-harm answer, reach the care team instead of
no one. The refused form is kept as a copy entered in error, as a self-referral closed as a copy
is, so it joins no list or figure."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from pathway.models import Assessment, AuditEvent, Organisation
from referrals import selectors as referral_selectors
from referrals import services
from referrals.models import Referral
from reviews.models import SafetyAlert
from tests.pathway.pages import page_text
from tests.referrals import builders
from tests.referrals.test_referring import CREATE, _form

pytestmark = pytest.mark.django_db

SELF_HARM = "0 0 0 0 0 0 0 0 2"


def _refused(world, login, **overrides):
    response = login(world.gp).post(CREATE, _form(world, **overrides))
    assert response.status_code == 400
    assert "already has an open referral for headache" in response.content.decode()
    return _words(response)


def _words(response) -> str:
    """The page's text without its tags: each run of spaces as one, none before punctuation."""
    text = " ".join(re.sub(r"<[^>]+>", " ", page_text(response)).split())
    return re.sub(r" (?=[.,:;)])", "", text)


def _copy(original) -> Referral:
    return Referral.objects.get(duplicate_of=original)


def test_flags_and_self_harm_reach_a_referral_waiting_for_triage(world, login):
    Organisation.objects.filter(pk=world.service.pk).update(phone="01632 960000")
    original = builders.referral(world.patient, world.gp)
    assert original.urgency == "routine"

    page = _refused(world, login, red_flags=["change_in_personality"], phq9=SELF_HARM)

    assert (
        "This form has not been sent as a new referral, but its red flags (Change in "
        f"personality) were added to referral {original.reference}, now urgent (within 2 "
        "weeks), for triage, and its PHQ-9 answer to question 9 (thoughts of self-harm) went "
        "to the care team as a safety alert. Assess the risk of self-harm with the patient "
        "today. The care team: Pain service, 01632 960000." in page
    )
    original.refresh_from_db()
    assert original.red_flags == ["change_in_personality"]
    assert original.urgency == "urgent"
    copy = _copy(original)
    assert copy.entered_in_error and copy.referrer == world.gp and copy.patient == world.patient
    assert copy.red_flags == ["change_in_personality"]
    # The PHQ-9 is on the record, with the copy and with the referral waiting for triage (which
    # triage then puts first), and raised the alert.
    phq9 = Assessment.objects.get(patient=world.patient, instrument="PHQ-9")
    assert phq9.alert and phq9.completed_by == world.gp
    assert list(original.assessments.all()) == [phq9]
    assert list(copy.assessments.all()) == [phq9]
    alert = SafetyAlert.objects.get(patient=world.patient)
    assert alert.kind == SafetyAlert.Kind.PHQ9_ITEM9 and alert.assessment == phq9
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.CREATE, object_uuid=copy.uuid, actor=world.gp
    ).exists()
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.UPDATE, object_uuid=original.uuid, fields=["red_flags", "urgency"]
    ).exists()
    # Only the open referral is in the lists: the copy is entered in error.
    assert list(Referral.objects.live()) == [original]


def test_the_same_form_sent_again_keeps_nothing_more_and_still_says_what_to_do(world, login):
    original = builders.referral(world.patient, world.gp)
    _refused(world, login, red_flags=["change_in_personality"], phq9=SELF_HARM)

    page = _refused(world, login, red_flags=["change_in_personality"], phq9=SELF_HARM)

    assert "This form has not been sent" not in page
    assert "The team already has its red flags (Change in personality)." in page
    assert "Its PHQ-9 answers were sent within the last hour, so the team has them already." in (
        page
    )
    assert "Assess the risk of self-harm with the patient today." in page
    assert Referral.objects.filter(duplicate_of=original).count() == 1
    assert SafetyAlert.objects.filter(patient=world.patient).count() == 1
    assert Assessment.objects.filter(patient=world.patient, instrument="PHQ-9").count() == 1


def test_a_self_harm_answer_given_again_later_raises_a_new_alert(world, login):
    """An answer the team had months ago (its alert closed) is not today's: it is sent again."""
    builders.referral(world.patient, world.gp)
    _refused(world, login, phq9=SELF_HARM)
    Assessment.objects.filter(patient=world.patient).update(
        completed_at=timezone.now() - timedelta(days=60)
    )

    page = _refused(world, login, phq9=SELF_HARM)

    assert "its PHQ-9 answer to question 9 (thoughts of self-harm) went to the care team" in page
    assert SafetyAlert.objects.filter(patient=world.patient).count() == 2


def test_the_same_answers_from_the_referral_itself_are_not_sent_twice(world, login):
    """The referral sent a moment ago carried this PHQ-9 (and raised its alert) already: the
    form sent again after it is the same answer."""
    login(world.gp).post(CREATE, _form(world, phq9=SELF_HARM))
    assert SafetyAlert.objects.filter(patient=world.patient).count() == 1

    page = _refused(world, login, phq9=SELF_HARM)

    assert "the team has them already" in page
    assert SafetyAlert.objects.filter(patient=world.patient).count() == 1


def test_a_form_with_nothing_the_open_referral_lacks_is_simply_refused(world, login):
    original = builders.referral(world.patient, world.gp, red_flags=("change_in_personality",))

    # The flags it holds, a PHQ-9 with no self-harm answer, or nothing at all.
    for extra in (
        {"red_flags": ["change_in_personality"]},
        {"phq9": "1 1 1 1 1 1 1 1 0"},
        {},
    ):
        page = _refused(world, login, **extra)
        assert "This form has not been sent" not in page

    assert not Referral.objects.filter(duplicate_of=original).exists()
    assert not Assessment.objects.filter(patient=world.patient).exists()
    assert not SafetyAlert.objects.exists()


def test_flags_for_a_patient_in_care_go_to_their_clinician_as_a_safety_alert(world, login):
    accepted = builders.decided(world.patient, world.gp, world.clinician, "accept")

    page = _refused(world, login, red_flags=["change_in_personality"], problem="Not himself.")

    assert (
        "This form has not been sent as a new referral, but its red flags (Change in "
        f"personality) went to the clinicians caring for {world.patient.given_name} as a "
        "safety alert." in page
    )
    assert "Assess the risk of self-harm" not in page
    accepted.refresh_from_db()
    assert accepted.red_flags == [] and accepted.urgency == "routine"
    copy = _copy(accepted)
    alert = SafetyAlert.objects.get(patient=world.patient)
    assert alert.kind == SafetyAlert.Kind.RED_FLAGS and alert.referral == copy

    clinician = login(world.clinician)
    worklist = clinician.get(reverse("reviews:worklist")).content.decode()
    assert "New red flags in a second referral for the patient: record the action taken" in (
        worklist
    )
    alert_page = _words(clinician.get(reverse("reviews:alert", args=[alert.uuid])))
    assert (
        f"{world.gp.full_name} (GP) sent a headache referral for {world.patient.given_name}. It "
        f"was not taken as a new referral because {world.patient.given_name}'s referral "
        f"{accepted.reference} for it is open. It gives red flags that referral does not:"
        in alert_page
    )
    assert "Change in personality" in alert_page
    assert "The problem, as the referrer gave it: Not himself." in alert_page
    assert "sent a self-referral" not in alert_page

    detail = _words(clinician.get(reverse("referrals:detail", args=[accepted.uuid])))
    assert (
        f"Another referral for the same condition, sent by {world.gp.full_name} (GP) on " in detail
    )
    assert (
        "It gave red flags this referral does not hold (Change in personality): they went to "
        "the clinicians caring for the patient as a safety alert." in detail
    )
    assert "The problem, as they gave it: Not himself." in detail

    # Sent again: the team has them already, so no second alert.
    page = _refused(world, login, red_flags=["change_in_personality"])
    assert "The team already has its red flags (Change in personality)." in page
    assert SafetyAlert.objects.filter(patient=world.patient).count() == 1


def test_a_self_harm_answer_for_a_patient_in_care_reaches_their_clinician(world, login):
    builders.decided(world.patient, world.gp, world.clinician, "accept")
    page = _refused(world, login, phq9=SELF_HARM, referring_as="partner")
    assert "its PHQ-9 answer to question 9 (thoughts of self-harm) went to the care team" in page
    alert = SafetyAlert.objects.get(patient=world.patient)
    assert alert.kind == SafetyAlert.Kind.PHQ9_ITEM9
    assert alert.responsible_clinician == world.clinician
    assert alert.assessment.completed_by == world.gp
    assert Referral.objects.get(entered_in_error=True).source == "partner"


def test_flags_for_a_matched_self_referral_go_as_an_alert_and_stay_if_the_match_is_undone(
    world, login
):
    """A self-referral matched to the patient could be the wrong person's: the GP's red flags
    and PHQ-9 are not put on it, so undoing the match takes nothing of theirs away."""
    own = builders.self_referral_by(world.patient)
    services.match_self_referral(actor=world.clinician, referral=own, patient=world.patient)

    page = _refused(world, login, red_flags=["change_in_personality"], phq9=SELF_HARM)

    assert "went to the clinicians caring for" in page
    own.refresh_from_db()
    assert own.red_flags == [] and own.urgency == "routine"
    assert not own.assessments.exists()
    kinds = set(SafetyAlert.objects.filter(patient=world.patient).values_list("kind", flat=True))
    assert kinds == {SafetyAlert.Kind.RED_FLAGS, SafetyAlert.Kind.PHQ9_ITEM9}

    services.unmatch_self_referral(actor=world.clinician, referral=own)
    own.refresh_from_db()
    assert own.patient is None and own.red_flags == []
    phq9 = Assessment.objects.get(patient=world.patient, instrument="PHQ-9")
    assert not phq9.entered_in_error
    # The unmatched self-referral's page names nothing of the GP's form.
    detail = _words(login(world.clinician).get(reverse("referrals:detail", args=[own.uuid])))
    assert "Another referral for the same condition" not in detail

    # Matched to another patient now, the GP's copy for the first is not theirs: the same flag
    # from a GP for the second reaches the team as theirs.
    services.match_self_referral(
        actor=world.clinician,
        referral=own,
        patient=world.other_patient,
        confirmed_differences=referral_selectors.match_differences(own, world.other_patient),
    )
    page = _refused(
        world, login, red_flags=["change_in_personality"], nhs_number=world.other_patient.nhs_number
    )
    assert "went to the clinicians caring for" in page
    assert SafetyAlert.objects.filter(patient=world.other_patient, kind="red_flags").exists()


def test_an_open_referral_holding_another_referrers_flags_is_not_withdrawn(world, login):
    from tests.factories import UserFactory

    colleague = UserFactory(role="gp", full_name="Dr Colleague", organisations=[world.practice_a])
    original = builders.referral(world.patient, colleague)
    _refused(world, login, red_flags=["change_in_personality"])

    page = _refused(world, login, red_flags=["change_in_personality", "orthostatic_headache"])
    assert f"(referral {original.reference}, sent by Dr Colleague), so this one has not" in page
    assert "Follow that referral in 'My referrals'" not in page  # it is not in this GP's list
    assert "(the team's decision goes to Dr Colleague, who sent it)" in page
    with pytest.raises(services.ReferralError, match="added its red flags to it"):
        services.close_referral(actor=colleague, referral=original)
    original.refresh_from_db()
    assert original.status == "submitted"

    # The GP who added them may take it back: they know what they sent.
    services.close_referral(actor=world.gp, referral=original)
    original.refresh_from_db()
    assert original.status == "closed"


def test_a_referral_closed_while_the_form_was_sent_says_to_send_it_again(world, login, monkeypatch):
    def refused(**kwargs):
        raise services.DuplicateOpenReferral("headache")

    monkeypatch.setattr(services, "submit_referral", refused)
    response = login(world.gp).post(CREATE, _form(world, phq9=SELF_HARM))
    page = _words(response)
    assert "open referral for this condition has just closed, so this form was not sent" in page
    assert "Assess the risk of self-harm with the patient today." in page
    assert "already has an open referral" not in page


def test_a_referral_closed_meanwhile_keeps_nothing(world, login):
    original = builders.referral(world.patient, world.gp)
    from referrals.services import keep_refused_referral

    services.close_referral(actor=world.gp, referral=original)
    kept = keep_refused_referral(
        actor=world.gp,
        source="gp",
        content=builders.content(red_flags=("change_in_personality",)),
        patient=world.patient,
    )
    assert kept.original is None and kept.copy is None
    assert not Referral.objects.filter(entered_in_error=True).exists()


def test_an_open_referral_with_only_a_second_referrals_phq9_may_be_withdrawn(world, login):
    """The answer is on the patient's record and its alert stands either way."""
    original = builders.referral(world.patient, world.gp)
    _refused(world, login, phq9=SELF_HARM)

    services.close_referral(actor=world.gp, referral=original)

    original.refresh_from_db()
    assert original.status == "closed"
    assert SafetyAlert.objects.filter(patient=world.patient, resolved_at__isnull=True).exists()


def test_a_decision_on_a_page_shown_before_another_gps_flags_were_added_says_whose(world):
    from tests.factories import UserFactory

    original = builders.referral(world.patient, world.gp)
    colleague = UserFactory(role="gp", full_name="Dr Colleague", organisations=[world.practice_a])
    services.keep_refused_referral(
        actor=colleague,
        source="gp",
        content=builders.content(red_flags=("change_in_personality",)),
        patient=world.patient,
    )

    with pytest.raises(services.RedFlagsChanged) as raised:
        services.triage_referral(
            actor=world.clinician,
            referral=original,
            decision=services.Decision(
                decision="accept", priority="urgent", shown_red_flags=(), shown_urgency="routine"
            ),
        )

    assert str(raised.value) == (
        "Since the page was opened, red flags were added to it (Change in personality) from a "
        "referral for the patient that Dr Colleague sent, and it is now urgent (within 2 "
        "weeks). Check the red flags, then decide again."
    )
