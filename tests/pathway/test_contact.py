"""UK mobile numbers as people type them."""

import pytest
from django.core.exceptions import ValidationError

from pathway.contact import NOT_A_UK_MOBILE, normalise_uk_mobile
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
