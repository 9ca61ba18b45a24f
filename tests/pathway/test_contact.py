"""UK mobile numbers as people type them."""

import pytest
from django.core.exceptions import ValidationError

from pathway.contact import (
    NOT_A_UK_MOBILE,
    NOT_A_UK_PHONE,
    display_uk_mobile,
    is_uk_mobile,
    normalise_uk_mobile,
    normalise_uk_phone,
)
from pathway.forms import UkMobileField


@pytest.mark.parametrize(
    "typed",
    [
        "07700 900123",
        "07700900123",
        "+44 7700 900123",
        "+44 (0)7700 900123",
        "+44 (0) 7700-900-123",
        "0044 7700 900123",
        "00440 7700 900123",
        "(07700) 900 123",
    ],
)
def test_the_ways_people_write_a_uk_mobile_all_read_the_same(typed):
    assert normalise_uk_mobile(typed) == "+447700900123"


@pytest.mark.parametrize(
    "typed", ["01632 960123", "+33 6 12 34 56 78", "0770090012", "077009001234", "+4407700"]
)
def test_a_number_that_is_not_a_uk_mobile_is_refused_in_words(typed):
    with pytest.raises(ValueError, match=NOT_A_UK_MOBILE):
        normalise_uk_mobile(typed)


def test_a_pasted_number_too_long_to_be_one_gets_the_same_message():
    field = UkMobileField()
    with pytest.raises(ValidationError) as raised:
        field.clean("07700 900123 (home, evenings only)")
    assert raised.value.messages == [NOT_A_UK_MOBILE]
    assert field.clean("+44 (0) 7700 900 123") == "+447700900123"


@pytest.mark.parametrize(
    ("typed", "stored", "mobile", "shown"),
    [
        ("01632 960123", "+441632960123", False, "01632960123"),
        ("+44 (0)20 7946 0000", "+442079460000", False, "02079460000"),
        ("07700 900123", "+447700900123", True, "07700 900123"),
    ],
)
def test_any_uk_number_to_ring_is_kept_in_one_form(typed, stored, mobile, shown):
    assert normalise_uk_phone(typed) == stored
    assert is_uk_mobile(stored) is mobile
    assert display_uk_mobile(stored) == shown


@pytest.mark.parametrize("typed", ["123", "0044", "00 1632 960123", "+1 202 555 0100", "phone me"])
def test_what_is_not_a_uk_number_is_refused(typed):
    with pytest.raises(ValueError, match=NOT_A_UK_PHONE[:20]):
        normalise_uk_phone(typed)
