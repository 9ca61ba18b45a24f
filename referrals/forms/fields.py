"""The fields and questions the referral forms share: the red-flag checklist, questionnaire
item scores typed as numbers, and the ID Migraine questions (for the referrer and the patient)."""

import re

from django import forms

from pathway import instruments
from referrals import rules

YES_NO = [("yes", "Yes"), ("no", "No")]

# ID Migraine questions (clinical-rules.md section 1), for the referrer and for the patient.
ID_MIGRAINE_QUESTIONS = (
    (
        "id_migraine_disability",
        "Has a headache limited the patient's activities for a day or more in the last 3 months?",
        "Has a headache stopped you doing your usual activities for a day or more in the last "
        "3 months?",
    ),
    (
        "id_migraine_nausea",
        "Does the patient feel sick (nauseated) when they have a headache?",
        "Do you feel sick when you have a headache?",
    ),
    (
        "id_migraine_light",
        "Does light bother the patient when they have a headache?",
        "Does light bother you when you have a headache?",
    ),
)
ID_MIGRAINE_FIELDS = tuple(name for name, _professional, _plain in ID_MIGRAINE_QUESTIONS)


class RedFlagsField(forms.MultipleChoiceField):
    """Red-flag codes from a checklist; an unknown code is an error, never ignored."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, *, choices, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "error_messages",
            {
                "invalid_choice": (
                    "%(value)s is not a red flag on this checklist. Tick only the listed items."
                )
            },
        )
        super().__init__(choices=choices, **kwargs)

    def clean(self, value):
        codes = super().clean(value)
        return list(rules.validated_red_flags(codes))


class AnswersField(forms.CharField):
    """Item answers typed as numbers separated by spaces or commas (or run together when each
    is one digit), scored by pathway.instruments so a wrong count or range is an error."""

    def __init__(self, *, code: str, **kwargs):
        self.code = code
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 60)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("spellcheck", "false")
        self.widget.attrs.setdefault("autocomplete", "off")

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        if re.search(r"[^0-9,\s]", value):
            raise forms.ValidationError(
                f"Enter the {self.code} item scores as numbers only, for example 1 0 2.",
                code="invalid",
            )
        tokens = re.findall(r"[0-9]+", value)
        item_count = instruments.INSTRUMENTS[self.code].max_items
        if len(tokens) == 1 and len(tokens[0]) == item_count:
            tokens = list(tokens[0])
        answers = [int(token) for token in tokens]
        try:
            instruments.score(self.code, answers)
        except instruments.InvalidAnswers as exc:
            raise forms.ValidationError(f"{exc}.", code="invalid") from exc
        return answers


def _yes_no(label: str) -> forms.ChoiceField:
    """An optional yes/no question answered with inline radios (the ID Migraine items)."""
    return forms.ChoiceField(
        label=label,
        choices=YES_NO,
        required=False,
        widget=forms.RadioSelect(attrs={"inline": True}),
    )


def _id_migraine_answers(form: forms.Form) -> list[bool] | None:
    """All three ID Migraine answers as booleans, None when none were given; an error on the
    first question when only some were."""
    given = [form.cleaned_data.get(name) for name in ID_MIGRAINE_FIELDS]
    if not any(given):
        return None
    if not all(given):
        form.add_error(
            ID_MIGRAINE_FIELDS[0], "Answer all three ID Migraine questions, or leave all three."
        )
        return None
    return [answer == "yes" for answer in given]
