"""Contact details: UK mobile numbers for SMS. Pure functions, no Django."""

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


def display_uk_mobile(value: str) -> str:
    """A stored number (+447...) as people write it, like 07700 900123; anything else as it is."""
    match = re.fullmatch(r"\+44(7\d{3})(\d{6})", value or "")
    return f"0{match.group(1)} {match.group(2)}" if match else value
