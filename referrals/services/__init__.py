"""Referral writes. Each runs in one transaction, leaves its audit row and enqueues side effects
on commit (STYLE.md rule 5). Domain errors are ReferralError subclasses with a message that is
safe to show to the user.

* `submission`: a GP's or partner's referral, a self-referral, an emergency stop.
* `matching`: a self-referral matched to the patient's record, or unmatched.
* `triage`: the triage decision, the referrer told, and closing.
* `copies`: a second referral for what one already asks, kept as a copy of it, and the red flags
  it carries over.
"""

from referrals.services.errors import (
    NOT_AN_ADULT_MESSAGE,
    DuplicateOpenReferral,
    EmergencyFlagsPresent,
    MatchNotConfirmed,
    NotAnAdult,
    PriorityReasonNeeded,
    RedFlagsChanged,
    ReferralAlreadyDecided,
    ReferralError,
    ReferralNotMatched,
    SelfReferralAlreadySent,
    describe_differences,
)
from referrals.services.matching import (
    ClosedCopy,
    RefusedReferral,
    close_as_duplicate,
    correct_decided_wrong_match,
    keep_refused_referral,
    match_self_referral,
    unmatch_self_referral,
    urgency_together,
)
from referrals.services.submission import (
    ReferralContent,
    StatedDetails,
    record_emergency_stop,
    referral_condition_label,
    resend_problem,
    self_referrer_on_record,
    submit_referral,
    submit_self_referral,
)
from referrals.services.triage import (
    REDIRECT_ELSEWHERE_NEEDS_ADVICE,
    Decision,
    close_referral,
    outcome_channel,
    record_outcome_told,
    triage_referral,
)

__all__ = [
    "NOT_AN_ADULT_MESSAGE",
    "Decision",
    "REDIRECT_ELSEWHERE_NEEDS_ADVICE",
    "DuplicateOpenReferral",
    "EmergencyFlagsPresent",
    "MatchNotConfirmed",
    "NotAnAdult",
    "PriorityReasonNeeded",
    "RedFlagsChanged",
    "ReferralAlreadyDecided",
    "ReferralContent",
    "ReferralError",
    "RefusedReferral",
    "ReferralNotMatched",
    "SelfReferralAlreadySent",
    "StatedDetails",
    "ClosedCopy",
    "close_as_duplicate",
    "close_referral",
    "correct_decided_wrong_match",
    "urgency_together",
    "describe_differences",
    "keep_refused_referral",
    "match_self_referral",
    "outcome_channel",
    "record_emergency_stop",
    "self_referrer_on_record",
    "record_outcome_told",
    "referral_condition_label",
    "resend_problem",
    "submit_referral",
    "submit_self_referral",
    "triage_referral",
    "unmatch_self_referral",
]
