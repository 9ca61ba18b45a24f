"""Where each patient on the waiting list stands with their first conversation: booked (when,
and how), missed, or not booked yet, with a link to the appointment or to book it. The waiting
list is the referrals app's and appointments are another app's; the kernel imports no feature
app (DESIGN.md section 2), so apps register providers (pathway.extensions): each takes the
waiting list's page of referrals (each with its episode and patient loaded) and returns
(episode id, FirstContact) pairs."""

from dataclasses import dataclass

from pathway.extensions import Registry


@dataclass(frozen=True)
class FirstContact:
    # When and how it is booked ("Thu 10 Dec 2026, 10:00, phone call"), or why there is
    # nothing booked ("Not booked", "Did not attend on ...").
    text: str
    url: str
    link_text: str
    booked: bool


registry = Registry()
register = registry.register


def for_referrals(referrals) -> dict[int, FirstContact]:
    """Each referral's episode's first contact, by episode id."""
    return dict(registry.collect(referrals))
