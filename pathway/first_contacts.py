"""Where each patient on the waiting list stands with their first conversation: booked (when,
and how), attended with its outcome to record, missed, or not booked yet, with a link to the
appointment, its outcome or booking one. The waiting list is the referrals app's and
appointments are another app's; the kernel imports no feature app (DESIGN.md section 2), so
apps register providers (pathway.extensions): each takes the waiting list's page of referrals
(each with its episode and patient loaded) and returns (episode id, FirstContact) pairs."""

from dataclasses import dataclass

from pathway.extensions import Registry


@dataclass(frozen=True)
class FirstContact:
    # When and how it is booked ("Thu 10 Dec 2026, 10:00, phone call"), that it was attended
    # with its outcome still to record, or why nothing is booked ("Not booked", "Did not
    # attend on ...").
    text: str
    url: str
    link_text: str
    # "Booked" or "Attended" (with its outcome to record): nothing to book. "" otherwise.
    tag: str = ""


registry = Registry()
register = registry.register


def for_referrals(referrals) -> dict[int, FirstContact]:
    """Each referral's episode's first contact, by episode id."""
    return dict(registry.collect(referrals))
