"""The referral services' domain errors: each message is safe to show to the user."""

from referrals import rules


class ReferralError(Exception):
    """A referral action that cannot go ahead; the message says why, in plain words."""


class DuplicateOpenReferral(ReferralError):
    def __init__(self, condition_label: str = "this condition"):
        super().__init__(
            f"This patient already has an open referral for {condition_label.lower()}. "
            "Follow that referral in 'My referrals' instead of sending another."
        )


class EmergencyFlagsPresent(ReferralError):
    def __init__(self):
        super().__init__(
            "An emergency red flag is ticked: this referral cannot be sent. Follow the advice "
            "on the page."
        )


class ReferralAlreadyDecided(ReferralError):
    def __init__(self):
        super().__init__(
            "This referral has already been decided (or closed), so it cannot be decided again."
        )


class ReferralNotMatched(ReferralError):
    def __init__(self):
        super().__init__(
            "Match this self-referral to a patient record before accepting it or giving it a "
            "priority."
        )


# Said beside the date of birth on the self-referral form, and by the service as a last check.
NOT_AN_ADULT_MESSAGE = (
    f"You must be {rules.ADULT_AGE} or over to refer yourself to this service. If you are under "
    f"{rules.ADULT_AGE}, speak to your GP practice about getting help."
)


class SelfReferralAlreadySent(ReferralError):
    """The self-referral form was sent before, and made `referral` then (or the referral that
    stands for it): no second referral is made. `urgent` says whether what was sent now, with
    what the team holds, screens urgent (by default, whether `referral` does). `carried` holds
    the red flags sent now that the team did not have, which went onto `referral` for triage
    (`to_triage`) or to the clinicians caring for the patient as a safety alert (`to_care`)."""

    def __init__(
        self,
        referral,
        *,
        urgent: bool | None = None,
        carried: tuple[str, ...] = (),
        to_triage: bool = False,
        to_care: bool = False,
    ):
        super().__init__(f"This form was sent already, as referral {referral.reference}.")
        self.referral = referral
        self.urgent = referral.urgency == rules.URGENT if urgent is None else urgent
        self.carried = carried
        self.to_triage = to_triage
        self.to_care = to_care


class NotAnAdult(ReferralError):
    def __init__(self):
        super().__init__(NOT_AN_ADULT_MESSAGE)


def _listed(labels: list[str]) -> str:
    """Labels joined as in a sentence: "a", "a and b", "a, b and c"."""
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"


def _in_sentence(label: str) -> str:
    """A label inside a sentence: "Date of birth" becomes "date of birth", "GP practice" stays."""
    return label if label[:2].isupper() else label[0].lower() + label[1:]


def describe_differences(differences) -> str:
    """The differing details named in a sentence, for example "date of birth and last name"."""
    return _listed([_in_sentence(rules.MATCH_FIELDS[code]) for code in differences])


class MatchNotConfirmed(ReferralError):
    """The record differs from what the self-referrer gave and the clinician has not confirmed
    that it is the same person. `differences` holds the rules.MATCH_FIELDS codes."""

    def __init__(self, differences: tuple[str, ...]):
        self.differences = differences
        super().__init__(
            f"The patient record's {describe_differences(differences)} "
            f"{'is' if len(differences) == 1 else 'are'} different from what the self-referrer "
            "gave us. Check it is the same person and confirm before you match."
        )


class RedFlagsChanged(ReferralError):
    """The referral's red flags or urgency changed after the page the decision was made on was
    shown: flags carried onto it from a copy (services.close_as_duplicate,
    keep_refused_referral, or the self-referral form sent again), or the screen run again with a
    date of birth as it stands now. `added` is the flags added, in words ("" when none were);
    `urgency` the referral's urgency now, in words; `reason` where the change came from, as it
    follows "red flags were added to it" or "it was screened again" in a sentence (for example
    "from a copy of it the patient sent"; "" when not known)."""

    def __init__(self, added: str, urgency: str, reason: str = ""):
        what = f"red flags were added to it ({added})" if added else "it was screened again"
        if reason:
            what = f"{what} {reason}"
        super().__init__(
            f"Since the page was opened, {what}, and it is now {urgency}. Check the red flags, "
            "then decide again."
        )


class PriorityReasonNeeded(ReferralError):
    def __init__(self, urgency: str, priority: str):
        super().__init__(
            f"Give the reason for accepting at {priority} priority when the red-flag screen "
            f"said {urgency}."
        )
