from tests.access import STAFF, Rule
from tests.referrals import builders

GPS = frozenset({"gp", "other_gp"})
CLINICIANS = frozenset({"clinician", "other_clinician"})


def _referral(world):
    return {"referral_uuid": builders.referral(world.patient, world.gp).uuid}


def _letter(world):
    made = builders.decided(world.patient, world.gp, world.clinician)
    return {"letter_uuid": builders.letter(made).uuid}


def _own_self_referral(world):
    from referrals import services

    made = builders.self_referral_by(world.patient)
    services.match_self_referral(actor=world.clinician, referral=made, patient=world.patient)
    return {"referral_uuid": made.uuid}


RULES = {
    "referrals:create": Rule(allowed=GPS),
    "referrals:screen": Rule(allowed=GPS, method="post"),
    "referrals:patient-lookup": Rule(allowed=GPS, method="post"),
    # An emergency stop is shown only to the GP who recorded it.
    "referrals:emergency-stop": Rule(
        allowed=frozenset({"gp"}),
        kwargs=lambda w: {"stop_uuid": builders.stop(w.gp, w.patient).uuid},
    ),
    "referrals:mine": Rule(allowed=GPS),
    "referrals:self-refer": Rule(public=True),
    "referrals:self-refer-screen": Rule(public=True, method="post"),
    "referrals:self-refer-sent": Rule(public=True),
    # A patient's own self-referral, matched to their record: theirs alone.
    "referrals:yours": Rule(allowed=frozenset({"patient"}), kwargs=_own_self_referral),
    # Triage is for care-team clinicians only; each sees their own PCN's referrals.
    "referrals:triage-queue": Rule(allowed=CLINICIANS),
    "referrals:waiting-list": Rule(allowed=CLINICIANS),
    "referrals:outcomes-to-tell": Rule(allowed=CLINICIANS),
    # Recording how a self-referrer was told: an empty form is a 400, for the clinician in scope.
    "referrals:record-told": Rule(
        allowed=frozenset({"clinician"}), kwargs=_referral, method="post", ok=(400,)
    ),
    # The patient belongs to practice A in PCN 1: their GP, PCN 1's clinician and admin.
    "referrals:detail": Rule(allowed=STAFF, kwargs=_referral),
    # An empty decision or match is a 400 with messages, for the one clinician in scope.
    "referrals:decide": Rule(
        allowed=frozenset({"clinician"}), kwargs=_referral, method="post", ok=(400,)
    ),
    "referrals:match": Rule(
        allowed=frozenset({"clinician"}), kwargs=_referral, method="post", ok=(400,)
    ),
    "referrals:unmatch": Rule(
        allowed=frozenset({"clinician"}), kwargs=_referral, method="post", ok=(400,)
    ),
    "referrals:correct-match": Rule(
        allowed=frozenset({"clinician"}), kwargs=_referral, method="post", ok=(400,)
    ),
    # Adding the record of a self-referrer who has none, for the clinician in scope.
    "referrals:add-patient": Rule(
        allowed=frozenset({"clinician"}),
        kwargs=lambda w: {"referral_uuid": builders.self_referral(w.practice_a).uuid},
    ),
    "referrals:close-duplicate": Rule(
        allowed=frozenset({"clinician"}), kwargs=_referral, method="post", ok=(400,)
    ),
    # The referring practice's GP takes back a referral not yet triaged.
    "referrals:withdraw": Rule(
        allowed=frozenset({"gp"}), kwargs=_referral, method="post", ok=(302,)
    ),
    "referrals:letter": Rule(allowed=STAFF, kwargs=_letter),
    "referrals:patient-referrals": Rule(
        allowed=STAFF, kwargs=lambda w: {"patient_uuid": w.patient.uuid}
    ),
}
