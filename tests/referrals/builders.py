"""Builders for referral tests, going through the services so rows are realistic."""

import hashlib
import secrets

from referrals import services
from referrals.models import EmergencyStop, Referral, ReferralLetter
from referrals.services import Decision, ReferralContent, StatedDetails

FAKE_PDF = b"%PDF-1.4\n% test letter\n"


def content(**overrides) -> ReferralContent:
    values = {
        "condition": "headache",
        "problem": "Headaches most days for a year.",
        "red_flags": (),
        "consent_to_contact": True,
        "preferred_contact": "email",
        "patient_goals": "Fewer bad days.",
    }
    values.update(overrides)
    return ReferralContent(**values)


def referral(patient, referrer, **overrides) -> Referral:
    source = overrides.pop("source", "gp")
    return services.submit_referral(
        actor=referrer, source=source, patient=patient, content=content(**overrides)
    )


def decided(
    patient, referrer, clinician, decision="accept", condition="headache", **decision_fields
) -> Referral:
    made = referral(patient, referrer, condition=condition)
    fields = {
        "accept": {"priority": "routine"},
        "reject": {"rejection_reason": "other", "advice_to_referrer": "Try X first."},
        "redirect": {"redirect_to": "neurology", "note": "Please see."},
    }[decision]
    fields.update(decision_fields)
    return services.triage_referral(
        actor=clinician, referral=made, decision=Decision(decision=decision, **fields)
    )


def stated(practice, **overrides) -> StatedDetails:
    from datetime import date

    values = {
        "given_name": "Sam",
        "family_name": "Self",
        "date_of_birth": date(1990, 1, 1),
        "practice": practice,
        "email": "sam@example.test",
    }
    values.update(overrides)
    return StatedDetails(**values)


def self_referral(practice, **overrides) -> Referral:
    content_overrides = {
        key: overrides.pop(key) for key in list(overrides) if key in ReferralContent.__annotations__
    }
    # Each sent from its own showing of the form, with that showing's one-time token.
    token = overrides.pop("submission_token", secrets.token_urlsafe(24))
    return services.submit_self_referral(
        stated=stated(practice, **overrides),
        content=content(**content_overrides),
        submission_token=token,
    )


def self_referral_by(patient, **overrides) -> Referral:
    """A self-referral whose stated details are the patient's own record's, so it matches
    without differences to confirm."""
    values = {
        "given_name": patient.given_name,
        "family_name": patient.family_name,
        "date_of_birth": patient.date_of_birth,
        "nhs_number": patient.nhs_number,
    }
    values.update(overrides)
    return self_referral(patient.registered_practice, **values)


def letter(made: Referral) -> ReferralLetter:
    return ReferralLetter.objects.create(
        referral=made,
        kind=ReferralLetter.Kind.TRIAGE_OUTCOME,
        pdf=FAKE_PDF,
        sha256=hashlib.sha256(FAKE_PDF).hexdigest(),
        size=len(FAKE_PDF),
    )


def stop(gp, patient=None) -> EmergencyStop:
    return services.record_emergency_stop(
        actor=gp,
        source="gp",
        red_flags=["thunderclap_onset"],
        condition="headache",
        patient=patient,
    )
