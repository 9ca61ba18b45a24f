"""Contact details: UK mobile numbers for SMS, and other UK numbers to ring. Pure functions, no
Django."""

import re

_MOBILE_SEPARATORS = re.compile(r"[\s\-()]")
# A UK mobile is 07 followed by 9 digits, or +44 7 followed by 9 digits; "+44 (0)7..." as
# often written is the second with the trunk 0 kept.
_UK_MOBILE = re.compile(r"^(?:(?:\+44|0044)0?|0)(7\d{9})$")
NOT_A_UK_MOBILE = "Enter a UK mobile number, like 07700 900123."


def normalise_uk_mobile(value: str) -> str:
    """Return the number in E.164 form (+447...). Raises ValueError if it is not a UK mobile."""
    if not isinstance(value, str):
        raise ValueError(NOT_A_UK_MOBILE)
    compact = _MOBILE_SEPARATORS.sub("", value.strip())
    match = _UK_MOBILE.match(compact)
    if not match:
        raise ValueError(NOT_A_UK_MOBILE)
    return f"+44{match.group(1)}"


# Any other UK number a person can be rung on (a landline, 01 to 03, 08): 0 and 9 or 10 more
# digits, written with +44 or 0044 like a mobile.
_UK_PHONE = re.compile(r"^(?:(?:\+44|0044)0?|0)([1-9]\d{8,9})$")
NOT_A_UK_PHONE = "Enter a UK phone number, like 01632 960123 or 07700 900123."


def normalise_uk_phone(value: str) -> str:
    """Return a UK phone number, mobile or not, in E.164 form (+44...). Raises ValueError if it
    is not one. A mobile comes back as normalise_uk_mobile gives it."""
    try:
        return normalise_uk_mobile(value)
    except ValueError:
        pass
    compact = _MOBILE_SEPARATORS.sub("", value.strip()) if isinstance(value, str) else ""
    match = _UK_PHONE.match(compact)
    if not match:
        raise ValueError(NOT_A_UK_PHONE)
    return f"+44{match.group(1)}"


def is_uk_mobile(value: str) -> bool:
    """Whether a stored number (+44...) is a mobile, which can take text messages."""
    return re.fullmatch(r"\+447\d{9}", value or "") is not None


def display_uk_mobile(value: str) -> str:
    """A stored number (+447...) as people write it, like 07700 900123; anything else as it is."""
    match = re.fullmatch(r"\+44(7\d{3})(\d{6})", value or "")
    if match:
        return f"0{match.group(1)} {match.group(2)}"
    # Another UK number: with its 0, ungrouped (area codes differ in length: 020, 01632).
    other = re.fullmatch(r"\+44([1-9]\d{8,9})", value or "")
    return f"0{other.group(1)}" if other else value
