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
# to the outcome, the team must tell them (`told_only_by_team`). An accepted self-referrer hears
# from the team when their first conversation is booked.
TOLD_BY_TEAM_STATUSES: tuple[str, ...] = (REJECTED, REDIRECTED)


def told_only_by_team(
    *, status: str, self_referral: bool, channel: str | None, has_account: bool
) -> bool:
    """Return whether only the care team can tell a self-referrer a decision that ends the
    service's contact with them (`status` rejected or redirected): no text message or email may
    be sent to them (`channel` None), or one may but they have no account to read the outcome
    in, so the message only says the team will contact them. A referrer who is a clinician is
    always told by email."""
    return (
        self_referral and status in TOLD_BY_TEAM_STATUSES and (channel is None or not has_account)
    )


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
