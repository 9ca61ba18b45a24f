"""Referral statuses and their transitions, triage decisions with their coded reasons, and
the priority a referral is accepted at."""

from collections.abc import Mapping
from types import MappingProxyType

from referrals.rules.red_flags import EMERGENCY, ROUTINE, URGENT

# Referral statuses (DESIGN.md section 3, referrals.Referral.status).
SUBMITTED = "submitted"
ACCEPTED = "accepted"
REJECTED = "rejected"
REDIRECTED = "redirected"
CLOSED = "closed"

REFERRAL_STATUSES: Mapping[str, str] = MappingProxyType(
    {
        SUBMITTED: "Submitted",
        ACCEPTED: "Accepted",
        REJECTED: "Rejected",
        REDIRECTED: "Redirected",
        CLOSED: "Closed",
    }
)

# A submitted referral is decided once (accepted, rejected or redirected) or withdrawn (closed);
# an accepted one is closed at discharge. A decision is never made again.
ALLOWED_TRANSITIONS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        SUBMITTED: frozenset({ACCEPTED, REJECTED, REDIRECTED, CLOSED}),
        ACCEPTED: frozenset({CLOSED}),
        REJECTED: frozenset(),
        REDIRECTED: frozenset(),
        CLOSED: frozenset(),
    }
)


class TransitionNotAllowed(ValueError):
    """A referral cannot move from its current status to the requested one."""


def check_transition(current: str, new: str) -> None:
    """Return None if a referral may move from current to new status.

    Raises ValueError for an unknown status and TransitionNotAllowed (a ValueError) for a move the
    table does not allow, including staying in the same status.
    """
    for status in (current, new):
        if status not in REFERRAL_STATUSES:
            raise ValueError(f"Unknown referral status: {status!r}.")
    if new not in ALLOWED_TRANSITIONS[current]:
        allowed = ", ".join(sorted(ALLOWED_TRANSITIONS[current])) or "none"
        raise TransitionNotAllowed(
            f"A referral cannot move from {current!r} to {new!r}; allowed from {current!r}: "
            f"{allowed}."
        )


REJECTION_REASONS: Mapping[str, str] = MappingProxyType(
    {
        "red_flags_need_urgent_route": (
            "Red flags need an urgent or same-day route, not this pathway"
        ),
        "not_eligible_age": "Patient's age is outside the service's eligibility",
        "outside_area": "Patient is registered outside the service's area",
        "needs_specialist_service": "Needs a specialist service rather than this pathway",
        "insufficient_information": "Not enough information to triage",
        "already_under_specialist": "Already under a specialist for this condition",
        "other": "Other reason (see advice to the referrer)",
    }
)

# The destination that names no service: the advice to the referrer says which.
REDIRECT_ELSEWHERE = "other"
REDIRECT_DESTINATIONS: Mapping[str, str] = MappingProxyType(
    {
        "neurology": "Neurology",
        "mental_health": "Mental health services",
        "social_prescribing": "Social prescribing",
        "msk_physiotherapy": "MSK physiotherapy",
        "other": "Other service (see advice to the referrer)",
    }
)


# Triage decisions and the referral status each one leads to (DESIGN.md section 3).
ACCEPT = "accept"
REJECT = "reject"
REDIRECT = "redirect"
DECISION_STATUS: Mapping[str, str] = MappingProxyType(
    {ACCEPT: ACCEPTED, REJECT: REJECTED, REDIRECT: REDIRECTED}
)
# Statuses that carry a triage decision (who decided and when).
DECIDED_STATUSES: tuple[str, ...] = (ACCEPTED, REJECTED, REDIRECTED)
# A referral is open from submission until it is decided against or closed; one open referral
# per patient and condition (STYLE.md rule 11).
OPEN_STATUSES: tuple[str, ...] = (SUBMITTED, ACCEPTED)

# A referral the team rejected or redirected can be sent again, once, with what the advice to
# the referrer asked for (Referral.resends); an accepted or closed one cannot.
RESENDABLE_STATUSES: tuple[str, ...] = (REJECTED, REDIRECTED)

# Decisions that end the service's contact with a self-referrer: when no message can lead them
# to the outcome, the team must tell them (`why_team_tells`). An accepted self-referrer hears
# from the team when their first conversation is booked.
TOLD_BY_TEAM_STATUSES: tuple[str, ...] = (REJECTED, REDIRECTED)

# Why only the team can tell a self-referrer the outcome, as the team's pages say it.
NOT_MATCHED = "not_matched"
NO_MESSAGE = "no_message"
NO_ACCOUNT = "no_account"
TELL_REASONS: Mapping[str, str] = MappingProxyType(
    {
        NOT_MATCHED: "The self-referral is not matched to a patient record, so no message "
        "could be sent to them",
        NO_MESSAGE: "No text message or email could be sent to them (no consent or contact "
        "details for either)",
        NO_ACCOUNT: "They have no account to read the outcome in, so the message sent to them "
        "said only that the team will contact them",
    }
)


def why_team_tells(
    *,
    status: str,
    self_referral: bool,
    matched: bool,
    channel: str | None,
    has_account: bool,
    died: bool = False,
) -> str:
    """Return why only the care team can tell a self-referrer a decision that ends the
    service's contact with them (`status` rejected or redirected), a TELL_REASONS code, or ""
    when a message leads them to it: not matched to a record; matched, but no text message or
    email may be sent to them (`channel` None); or one may, but with no account to read the
    outcome in it says only that the team will contact them. A referrer who is a clinician is
    told by email, and a patient who has died is not contacted ("")."""
    if not self_referral or status not in TOLD_BY_TEAM_STATUSES or died:
        return ""
    if not matched:
        return NOT_MATCHED
    if channel is None:
        return NO_MESSAGE
    if not has_account:
        return NO_ACCOUNT
    return ""


# Priorities a clinician may give on accepting; each selects its own first-contact target.
PRIORITIES: tuple[str, ...] = (URGENT, ROUTINE)

# Tiers in rising order, so a clinician's priority can be compared with the screen's urgency.
_TIER_RANK: Mapping[str, int] = MappingProxyType({ROUTINE: 0, URGENT: 1, EMERGENCY: 2})


def priority_below_screen(urgency: str, priority: str) -> bool:
    """Return whether accepting at `priority` is lower than the screen's `urgency` (an urgent
    referral accepted as routine), which needs a reason recorded with the decision.

    Raises ValueError for an unknown tier.
    """
    for tier in (urgency, priority):
        if tier not in _TIER_RANK:
            raise ValueError(f"Unknown urgency or priority: {tier!r}.")
    return _TIER_RANK[priority] < _TIER_RANK[urgency]
