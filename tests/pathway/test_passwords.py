"""A password may not contain the person's name or the words of their email address."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from pathway.passwords import personal_words
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "password", ["alexmorgan12345", "Morgan-horses-9", "ALEX-likes-rain", "x.morgan.example2"]
)
def test_a_password_holding_the_name_or_email_words_is_refused(password):
    user = UserFactory(full_name="Alex Morgan", email="alex.morgan@example.com")
    with pytest.raises(ValidationError, match="contains your name or part of your email"):
        validate_password(password, user)


def test_other_passwords_and_short_name_parts_pass():
    user = UserFactory(full_name="Al Li", email="al.li@nhs.net")
    # "al" and "li" are too short to refuse; the organisation's domain is everyone's.
    validate_password("quietly-nhs-climbing-42", user)


def test_the_words_are_the_names_and_the_address_before_the_at():
    assert personal_words("Jo Anne O'Neill", "j.oneill@demo.nhs.uk") == {"anne", "neill", "oneill"}
