"""NHS number validation and display (clinical-rules.md section 11).

Only the checksum is checked here; whether a number was ever issued is a question for PDS tracing.
"""

import re

# clinical-rules.md section 11 (CONVENTION): exactly 10 digits, or 3-3-4 with single spaces.
# [0-9] rather than \d, which would also accept non-ASCII digits.
_ACCEPTED_FORMS = re.compile(r"[0-9]{10}|[0-9]{3} [0-9]{3} [0-9]{4}")

# clinical-rules.md section 11: digits 1-9 are weighted 10 down to 2, modulus 11.
CHECK_DIGIT_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)
MODULUS = 11


def _check_digit(stem: str) -> int | None:
    """Return the check digit for a 9-digit stem, or None when no valid number has this stem."""
    weighted = sum(
        int(digit) * weight for digit, weight in zip(stem, CHECK_DIGIT_WEIGHTS, strict=True)
    )
    remainder = weighted % MODULUS
    check = MODULUS - remainder
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def is_valid(value: str) -> bool:
    """Return True when `value` is a well-formed NHS number with a correct check digit.

    Accepts exactly 10 digits or the 3-3-4 form with single spaces ("943 476 5919"); anything
    else, including a non-string, returns False. Never raises.
    """
    if not isinstance(value, str) or _ACCEPTED_FORMS.fullmatch(value) is None:
        return False
    digits = value.replace(" ", "")
    return _check_digit(digits[:9]) == int(digits[9])


def normalise(value: str) -> str:
    """Return the NHS number as a 10-digit string, the form it is stored in.

    Raises ValueError when `value` is not a valid NHS number (see `is_valid`).
    """
    if not is_valid(value):
        raise ValueError("Enter a valid 10-digit NHS number, like 943 476 5919")
    return value.replace(" ", "")


def format(value: str) -> str:
    """Return the NHS number in its 3-3-4 display form, e.g. "943 476 5919".

    Raises ValueError when `value` is not a valid NHS number (see `is_valid`).
    """
    digits = normalise(value)
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
