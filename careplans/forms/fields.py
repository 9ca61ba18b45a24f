"""Shared pieces of the care-plan forms: the date input, rating, days-a-month and morphine
equivalent fields, the revision a form is based on, and the NHS.UK error summary."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.utils import timezone

from careplans import rules
from pathway.forms import carry_revision

TEXT_LIMIT = 2000


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def rating_field(label: str, *, required: bool = True) -> forms.IntegerField:
    message = f"Enter {label.lower()} as a whole number from 0 to 10."
    return forms.IntegerField(
        label=label,
        min_value=0,
        max_value=10,
        required=required,
        error_messages={
            "required": f"Enter {label.lower()} from 0 to 10.",
            "invalid": message,
            "min_value": message,
            "max_value": message,
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "nhsuk-input--width-2"}),
    )


def days_field(label: str, *, help_text: str = "", what: str = "") -> forms.DecimalField:
    """A days-a-month figure (0-31, up to 2 decimal places). `what` names it in error messages
    where the label does not read well there (default: the label)."""
    what = what or label.lower()
    message = f"Enter {what} as a number from 0 to {rules.MAX_DAYS_PER_MONTH}."
    return OneMessageDecimalField(
        label=label,
        required=False,
        min_value=0,
        max_value=rules.MAX_DAYS_PER_MONTH,
        max_digits=4,
        decimal_places=2,
        help_text=help_text,
        error_messages={
            "invalid": message,
            "min_value": message,
            "max_value": message,
            "max_digits": f"Enter {what} as a number from 0 to {rules.MAX_DAYS_PER_MONTH}, with "
            "up to 2 decimal places.",
            "max_whole_digits": message,
            "max_decimal_places": f"Enter {what} with up to 2 decimal places.",
        },
    )


def plain_empty_choice(field: forms.ChoiceField, label: str) -> None:
    """Label a select's empty choice in plain English ("Choose an area") instead of Django's
    "---------", which says nothing read aloud. The empty choice stays: a blank row of a
    formset is ignored only while nothing in it is chosen."""
    field.choices = [("", label), *((value, text) for value, text in field.choices if value != "")]


# Far above any dose taken in primary care: a larger figure is a typing error.
MAX_MORPHINE_EQUIVALENT_MG = 2000


class OneMessageDecimalField(forms.DecimalField):
    """Says what to enter once, however many of its limits the number breaks (too large and
    too many digits would otherwise give the same sentence twice)."""

    def run_validators(self, value):
        try:
            super().run_validators(value)
        except forms.ValidationError as error:
            raise forms.ValidationError(error.messages[0]) from error


def mme_field() -> forms.DecimalField:
    message = (
        "Enter the oral morphine equivalent as a number of mg a day, from 0 to "
        f"{MAX_MORPHINE_EQUIVALENT_MG:,}, with at most one decimal place."
    )
    return OneMessageDecimalField(
        label="Oral morphine equivalent, mg a day",
        required=False,
        min_value=0,
        max_value=MAX_MORPHINE_EQUIVALENT_MG,
        max_digits=7,
        decimal_places=1,
        help_text="Opioids only. Used to show the dose going down over time.",
        error_messages=dict.fromkeys(
            (
                "invalid",
                "min_value",
                "max_value",
                "max_digits",
                "max_whole_digits",
                "max_decimal_places",
            ),
            message,
        ),
    )


def no_future_date(value, message="The date must be today or in the past."):
    if value and value > timezone.localdate():
        raise forms.ValidationError(message)
    return value


class BasedOnMixin:
    """Optimistic concurrency for forms that change a saved row: the form carries the row's
    revision token, and the service refuses a save based on an older copy.

    A missing token means "do not check" (a form opened before the token existed); the pages
    always send one."""

    def set_based_on(self, updated_at: datetime) -> None:
        """Carry the row's current revision from now on, keeping everything else the user typed
        (used after a refused save, so saving again is a deliberate choice)."""
        carry_revision(self, updated_at)


def error_links(form, *formsets) -> list[tuple[str, str]]:
    """(field id, message) pairs for an NHS.UK error summary over a form and (formset, row name)
    pairs; a row's messages say which row, e.g. "Goal 2: Enter the goal."."""
    links = [("", error) for error in form.non_field_errors()]
    links += [(bound.auto_id, error) for bound in form for error in bound.errors]
    for formset, row_name in formsets:
        links += [("", error) for error in formset.non_form_errors()]
        for number, row in enumerate(formset.forms, start=1):
            label = f"{row_name} {number}" if row.instance.pk else f"New {row_name.lower()}"
            links += [("", f"{label}: {error}") for error in row.non_field_errors()]
            links += [(b.auto_id, f"{label}: {error}") for b in row for error in b.errors]
    return links
