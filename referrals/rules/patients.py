"""Who the referral is for: the service's age of eligibility, the contact details each way
of contact needs, and whether a self-referrer's details match a patient record."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from unicodedata import normalize

# What each way of contact (Referral.PreferredContact) needs on record to work: a call or a text
# needs a mobile number, an email an email address; a letter goes to the practice's address.
CONTACT_NEEDS: Mapping[str, str] = MappingProxyType(
    {"phone": "mobile", "sms": "mobile", "email": "email"}
)


def missing_contact_detail(preferred: str, *, mobile: str, email: str) -> str | None:
    """Return the detail ("mobile" or "email") the `preferred` way of contact needs and the
    patient has not given, or None when it can be used."""
    need = CONTACT_NEEDS.get(preferred)
    have = {"mobile": mobile, "email": email}
    return need if need and not have[need] else None


# The service is for adults: the referral form's eligibility card and the self-referral page
# both say so. clinical-rules.md sets no lower age for the pathway (NICE NG193 covers over-16s,
# CG150 young people from 12), so 18 is the service's own eligibility, not a guideline threshold.
# A self-referrer under it is refused and told to ask their GP; a professional's referral is left
# to triage, which has the coded rejection reason "not_eligible_age".
ADULT_AGE = 18


def is_adult(age: int) -> bool:
    """Return whether someone of `age` completed years is old enough for the service."""
    return age >= ADULT_AGE


# Matching a self-referral to a patient record: what the self-referrer gave that the record also
# holds, as (code, label) in the order they are shown side by side. A difference in any of them
# must be confirmed by the clinician before the match is made.
MATCH_FIELDS: Mapping[str, str] = MappingProxyType(
    {
        "given_name": "First name",
        "family_name": "Last name",
        "date_of_birth": "Date of birth",
        "nhs_number": "NHS number",
        "practice": "GP practice",
    }
)


@dataclass(frozen=True)
class Identity:
    """The identifying details of a person, from a self-referral or a patient record.

    `practice` is any comparable key of the GP practice (its id); None when not given.
    """

    given_name: str
    family_name: str
    date_of_birth: date | None
    nhs_number: str = ""
    practice: object = None


def _name_key(name: str) -> str:
    """A name as compared: case, spacing and the shape of apostrophes do not count."""
    folded = normalize("NFKC", name).replace("\u2019", "'").replace("\u2018", "'").casefold()
    return " ".join(folded.split())


def identity_differences(stated: Identity, record: Identity) -> tuple[str, ...]:
    """Return the MATCH_FIELDS codes in which `record` differs from what was `stated`, in
    MATCH_FIELDS order; empty when they agree.

    Names are compared ignoring case and spacing; an empty stated name or date of birth counts as
    a difference (it cannot be checked). The NHS number and practice count only when stated.
    """
    differences = [
        code
        for code, said, held in (
            ("given_name", stated.given_name, record.given_name),
            ("family_name", stated.family_name, record.family_name),
        )
        if not _name_key(said) or _name_key(said) != _name_key(held)
    ]
    if stated.date_of_birth is None or stated.date_of_birth != record.date_of_birth:
        differences.append("date_of_birth")
    if stated.nhs_number and stated.nhs_number != record.nhs_number:
        differences.append("nhs_number")
    if stated.practice is not None and stated.practice != record.practice:
        differences.append("practice")
    return tuple(differences)
