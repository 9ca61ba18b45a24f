"""pathway.forms' fields: ModelMultipleChoiceField (a number too large for a database key is an
invalid choice, like any other choice that is not offered) and NhsNumberField (a number pasted
with spaces around it is taken whole)."""

from importlib import import_module

import pytest
from django import forms
from django.core.exceptions import ValidationError

from pathway.forms import ModelMultipleChoiceField, NhsNumberField
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


# NhsNumberField

INVALID_NHS_NUMBER = "Enter a valid 10-digit NHS number, like 943 476 5919."


@pytest.mark.parametrize(
    "typed", [" 999 000 0018", "999 000 0018 ", " 9990000018", "\t999 000 0018\n"]
)
def test_an_nhs_number_pasted_with_spaces_around_it_is_taken_whole(typed):
    assert NhsNumberField().clean(typed) == "9990000018"


@pytest.mark.parametrize(
    # clinical-rules.md section 11: exactly 10 digits or 3-3-4 with single spaces.
    "typed",
    ["999 000 0019", "999-000-0018", "999-000 0018", "999  000 0018", "999 000 001", "9" * 21],
)
def test_anything_else_is_an_invalid_nhs_number_in_one_message(typed):
    with pytest.raises(ValidationError) as raised:
        NhsNumberField().clean(typed)
    assert raised.value.messages == [INVALID_NHS_NUMBER]


def test_the_nhs_number_box_does_not_cut_a_pasted_number_short():
    form = type("NhsForm", (forms.Form,), {"nhs_number": NhsNumberField()})()
    html = str(form["nhs_number"])
    assert "maxlength" not in html
    assert 'inputmode="numeric"' in html


def _forms_with_an_nhs_number() -> dict[str, forms.Field]:
    """Every form of every app that asks for an NHS number, by name, with its field."""
    for app in ("pathway", "diaries", "referrals", "careplans", "reviews"):
        try:
            import_module(f"{app}.forms")
        except ModuleNotFoundError:
            continue
    found = {}
    pending = [forms.BaseForm]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        for name, field in getattr(cls, "base_fields", {}).items():
            if isinstance(field, NhsNumberField):
                found[f"{cls.__module__}.{cls.__qualname__}.{name}"] = field
    return found


def test_no_form_limits_the_length_typed_into_its_nhs_number_box():
    found = _forms_with_an_nhs_number()
    assert {
        "pathway.forms.PatientForm.nhs_number",
        "pathway.forms.PatientSearchForm.nhs_number",
    } <= set(found)
    assert any(name.startswith("referrals.") for name in found)
    for name, field in found.items():
        assert "maxlength" not in field.widget.attrs, name
        assert field.clean(" 999 000 0018") == "9990000018", name
