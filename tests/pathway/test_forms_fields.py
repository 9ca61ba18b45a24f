"""pathway.forms' fields: ModelMultipleChoiceField (a number too large for a database key is an
invalid choice, like any other choice that is not offered) and NhsNumberField (a number pasted
with spaces around it is taken whole)."""

import re
from datetime import date, timedelta
from importlib import import_module

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from pathway.forms import ModelMultipleChoiceField, NhsNumberField, PastDateField
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


# Date of birth: day, month and year boxes (the NHS.UK date input)


class BornForm(forms.Form):
    date_of_birth = PastDateField(label="Date of birth")


def _born(**data):
    form = BornForm(data)
    form.is_valid()
    return form.cleaned_data.get("date_of_birth"), form.errors.get("date_of_birth")


def test_the_three_boxes_make_a_date():
    boxes = {"date_of_birth_day": " 7", "date_of_birth_month": "03", "date_of_birth_year": "1984"}
    assert _born(**boxes) == (date(1984, 3, 7), None)


@pytest.mark.parametrize(
    ("day", "month", "year", "message"),
    [
        ("", "3", "1984", "Date of birth must include a day."),
        ("7", "", "", "Date of birth must include a month and a year."),
        ("31", "2", "1984", "Date of birth must be a real date."),
        ("7", "3", "84", "Year must include 4 numbers."),
        ("1_0", "3", "1984", "Date of birth must be a real date."),
        ("１２", "3", "1984", "Date of birth must be a real date."),
        ("7", "3", "１９８４", "Date of birth must be a real date."),
        ("7", "March", "1984", "Date of birth must be a real date."),
        ("1", "1", "1899", "Enter a date after 1 January 1900."),
        ("1", "1", "99999999999999999999", "Year must include 4 numbers."),
    ],
)
def test_a_date_of_birth_with_a_box_missing_or_wrong_says_which(day, month, year, message):
    boxes = {"date_of_birth_day": day, "date_of_birth_month": month, "date_of_birth_year": year}
    assert _born(**boxes) == (None, [message])


def test_a_date_of_birth_in_the_future_is_refused_and_nothing_is_required_twice():
    tomorrow = timezone.localdate() + timedelta(days=1)
    assert _born(date_of_birth=tomorrow.isoformat()) == (
        None,
        ["Date of birth must be today or in the past."],
    )
    assert _born() == (None, ["This field is required."])


def test_only_the_empty_boxes_are_marked_and_linked_when_some_are_filled_in():
    from pathway.renderers import error_target, render_field

    some = BornForm({"date_of_birth_day": "7", "date_of_birth_year": "1984"})
    assert error_target(some["date_of_birth"]) == "id_date_of_birth_month"
    html = render_field(some["date_of_birth"])
    marked = re.findall(r'<input class="[^"]*nhsuk-input--error[^"]*" id="([^"]+)"', html)
    assert marked == ["id_date_of_birth_month"]
    whole = BornForm(
        {"date_of_birth_day": "31", "date_of_birth_month": "2", "date_of_birth_year": "1984"}
    )
    assert error_target(whole["date_of_birth"]) == "id_date_of_birth_day"
    marked = re.findall(
        r'<input class="[^"]*nhsuk-input--error[^"]*" id="([^"]+)"',
        render_field(whole["date_of_birth"]),
    )
    assert marked == ["id_date_of_birth_day", "id_date_of_birth_month", "id_date_of_birth_year"]


def test_each_box_is_written_with_its_label_and_a_plain_required_attribute():
    from pathway.renderers import render_field

    html = render_field(BornForm()["date_of_birth"])
    for part, label in (("day", "Day"), ("month", "Month"), ("year", "Year")):
        label_tag = f'for="id_date_of_birth_{part}">{label}</label>'
        assert f'<label class="nhsuk-label nhsuk-date-input__label" {label_tag}' in html
    assert html.count('inputmode="numeric" required>') == 3 and '="True"' not in html


def test_a_single_iso_date_is_read_as_well():
    assert _born(date_of_birth="1984-03-07") == (date(1984, 3, 7), None)


def test_the_boxes_show_what_was_typed_and_the_saved_date():
    typed = BornForm(
        {"date_of_birth_day": "31", "date_of_birth_month": "2", "date_of_birth_year": "1984"}
    )
    values = [part["value"] for part in typed["date_of_birth"].subwidgets[0].data["subwidgets"]]
    assert values == ["31", "2", "1984"]
    saved = BornForm(initial={"date_of_birth": date(1980, 5, 17)})
    values = [part["value"] for part in saved["date_of_birth"].subwidgets[0].data["subwidgets"]]
    assert values == ["17", "5", "1980"]
