"""pathway.forms.ModelMultipleChoiceField: a number too large for a database key is an invalid
choice, like any other choice that is not offered."""

import pytest
from django.core.exceptions import ValidationError

from pathway.forms import ModelMultipleChoiceField
from pathway.models import Organisation


@pytest.mark.parametrize("value", ["9223372036854775808", "-9223372036854775809", "1" * 30])
def test_a_number_out_of_the_key_range_is_an_invalid_choice(world, value):
    field = ModelMultipleChoiceField(queryset=Organisation.objects.all())
    with pytest.raises(ValidationError) as raised:
        field.clean([str(world.practice_a.pk), value])
    assert raised.value.code == "invalid_choice"


def test_choices_in_range_are_found_as_before(world):
    field = ModelMultipleChoiceField(queryset=Organisation.objects.all())
    chosen = field.clean([str(world.practice_a.pk), str(world.practice_b.pk)])
    assert set(chosen) == {world.practice_a, world.practice_b}
    with pytest.raises(ValidationError) as raised:
        field.clean(["9223372036854775807"])  # in range, not offered
    assert raised.value.code == "invalid_choice"
    with pytest.raises(ValidationError) as raised:
        field.clean(["abc"])
    assert raised.value.code == "invalid_pk_value"
