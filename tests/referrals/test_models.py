"""Database invariants of the referral models (STYLE.md rule 11)."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from referrals import rules
from referrals.models import EmergencyStop, PreventiveTried, Referral, ReferralLetter
from tests.referrals import builders

pytestmark = pytest.mark.django_db


def _violates(referral: Referral, **changes):
    for name, value in changes.items():
        setattr(referral, name, value)
    with pytest.raises(IntegrityError), transaction.atomic():
        referral.save()


def test_vocabularies_come_from_the_rules():
    assert dict(Referral.Status.choices) == dict(rules.REFERRAL_STATUSES)
    assert dict(Referral.RejectionReason.choices) == dict(rules.REJECTION_REASONS)
    assert dict(Referral.RedirectDestination.choices) == dict(rules.REDIRECT_DESTINATIONS)
    assert set(Referral.Urgency.values) == {rules.URGENT, rules.ROUTINE}


@pytest.mark.parametrize(
    "changes",
    [
        {"status": "pending"},
        {"source": "fax"},
        {"condition": "back_pain"},
        {"urgency": "emergency"},
        {"preferred_contact": "pigeon"},
        {"priority": "soon"},
        {"rejection_reason": "bored"},
        {"redirect_to": "mars"},
        {"acute_medication_days_per_month": 32},
        {"age_at_referral": 131},
        {"stated_nhs_number": "12345"},
    ],
)
def test_coded_values_are_checked_by_the_database(world, changes):
    _violates(builders.referral(world.patient, world.gp), **changes)


def test_consent_is_required(world):
    _violates(builders.referral(world.patient, world.gp), consent_to_contact=False)


def test_only_a_self_referral_lacks_a_referrer_or_patient(world):
    referral = builders.referral(world.patient, world.gp)
    _violates(referral, referrer=None)
    referral.refresh_from_db()
    _violates(referral, patient=None)
    self_made = builders.self_referral(world.practice_a)
    _violates(self_made, referrer=world.gp)


@pytest.mark.parametrize("status", list(rules.DECIDED_STATUSES))
def test_a_decided_status_needs_who_and_when(world, status):
    extra = {"priority": "routine", "rejection_reason": "other", "redirect_to": "neurology"}
    _violates(builders.referral(world.patient, world.gp), status=status, **extra)


def test_a_submitted_referral_has_no_decision_time(world):
    referral = builders.referral(world.patient, world.gp)
    _violates(referral, decided_at=timezone.now(), decided_by=world.clinician)


def test_each_decision_carries_its_detail(world):
    now = timezone.now()
    decided = {"decided_at": now, "decided_by": world.clinician}
    _violates(builders.referral(world.patient, world.gp), status="accepted", **decided)
    _violates(builders.referral(world.other_patient, world.gp), status="rejected", **decided)
    _violates(builders.referral(world.patient_in_b, world.gp), status="redirected", **decided)


def test_an_unmatched_self_referral_cannot_be_accepted(world):
    referral = builders.self_referral(world.practice_a)
    _violates(
        referral,
        status="accepted",
        priority="routine",
        decided_at=timezone.now(),
        decided_by=world.clinician,
    )


def test_closed_at_matches_the_status(world):
    referral = builders.referral(world.patient, world.gp)
    _violates(referral, closed_at=timezone.now())
    referral.refresh_from_db()
    _violates(referral, status="closed")


def test_a_preventive_has_a_coded_reason(world):
    referral = builders.referral(world.patient, world.gp)
    with pytest.raises(IntegrityError), transaction.atomic():
        PreventiveTried.objects.create(referral=referral, medicine="X", stopped_reason="bored")


def test_a_professional_stop_names_who_was_advised(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        EmergencyStop.objects.create(source="gp", red_flags=["papilloedema"], advice=["x"])
    with pytest.raises(IntegrityError), transaction.atomic():
        EmergencyStop.objects.create(
            source="self", red_flags=["papilloedema"], advice=["x"], created_by=world.gp
        )


def test_one_letter_per_referral_and_kind(world):
    referral = builders.decided(world.patient, world.gp, world.clinician)
    builders.letter(referral)
    with pytest.raises(IntegrityError), transaction.atomic():
        builders.letter(referral)
    assert ReferralLetter.objects.count() == 1


def test_the_short_reference_and_display_name(world):
    referral = builders.referral(world.patient, world.gp)
    assert referral.reference == str(referral.uuid)[:8].upper()
    assert referral.display_name == world.patient.full_name
    assert builders.self_referral(world.practice_a).display_name == "Sam Self"
