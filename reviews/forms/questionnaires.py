"""Requesting questionnaires, the patient's answers, and the safety-alert action."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from pathway.forms import Textarea, TooLongInWords
from reviews import rules
from reviews.forms.base import DATE, ServiceErrorsMixin
from reviews.questionnaires import QUESTIONNAIRES, REQUESTABLE, UNSCORED_LETTERS


class QuestionnaireRequestForm(ServiceErrorsMixin, forms.Form):
    instrument = forms.ChoiceField(
        label="Questionnaire",
        choices=[(code, QUESTIONNAIRES[code].title) for code in REQUESTABLE],
        error_messages={"required": "Choose a questionnaire.", "invalid_choice": "Choose one."},
    )
    due = forms.DateField(
        label="Complete by",
        required=False,
        widget=DATE,
        help_text=f"Leave blank for {rules.QUESTIONNAIRE_DUE_DAYS} days from today",
        error_messages={"invalid": "Enter a real date."},
    )

    def clean_due(self):
        due = self.cleaned_data.get("due")
        if due and (problem := rules.too_far_ahead(due, today=timezone.localdate())):
            raise forms.ValidationError(problem)
        return due


class AlertActionForm(ServiceErrorsMixin, forms.Form):
    action_taken = forms.CharField(
        label="Action taken",
        help_text="A sentence or more: who contacted the patient, when, what was agreed (for "
        "example risk assessment, safety plan, crisis team, GP informed)",
        widget=Textarea(attrs={"rows": 4}),
        error_messages={"required": "Describe the action taken."},
    )


# A PSFS names and rates at least one activity, in the first box (a patient who filled in a later
# one only is asked for the first too: its label has no "(optional)").
PSFS_FIRST_ACTIVITY = (
    "Start with activity 1: name an activity you find hard and rate it from 0 to 10."
)


class AnswersForm(TooLongInWords, forms.Form):
    """One questionnaire's items, built from `reviews.questionnaires`. `answers()` returns the
    scored values in item order, ready for `pathway.instruments.score`."""

    @classmethod
    def for_request(cls, data, questionnaire_request) -> AnswersForm:
        """The form for a questionnaire sent to the patient, with the activities a PSFS named
        before to rate again. Answers posted from a page that asked for the activities' names
        (a first PSFS, its request completed meanwhile from another window) are read as that
        page asked for them: the names are the patient's, not the ones sent first."""
        questionnaire = QUESTIONNAIRES[questionnaire_request.instrument]
        activities = questionnaire_request.activities
        if questionnaire.activities and data is not None and "activity_1" in data:
            activities = ()
        return cls(data, questionnaire=questionnaire, activities=activities)

    def __init__(self, *args, questionnaire, activities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.questionnaire = questionnaire
        self.fixed_activities = list(activities)
        if questionnaire.activities:
            self._add_activity_fields()
            return
        for number, item in enumerate(questionnaire.items, start=1):
            self.fields[f"item_{number}"] = _item_field(number, item)
        # Unscored questions are lettered (MIDAS A and B, clinical-rules.md section 2), so an
        # error such as "Enter 10 or less for question B" names one question only.
        for number, item in enumerate(questionnaire.unscored, start=1):
            field = _item_field(UNSCORED_LETTERS[number - 1], item)
            field.required = False  # the label then says "(optional)"
            self.fields[f"extra_{number}"] = field

    def _add_activity_fields(self):
        scores = [(str(value), str(value)) for value in range(11)]
        names = self.fixed_activities or [""] * 5
        for number, name in enumerate(names, start=1):
            ratings = scores
            # Activities 2 to 5, named here, may be left out: "Not rated" undoes a rating chosen
            # by mistake, which a radio button alone cannot. Activity 1 is the one every PSFS
            # needs, named and rated (`clean`), so it offers no way not to rate it.
            optional = not self.fixed_activities and number > 1
            if optional:
                ratings = [("", "Not rated"), *scores]
            if not self.fixed_activities:
                self.fields[f"activity_{number}"] = forms.CharField(
                    label=f"Activity {number}",
                    # Activity 1 is checked with its rating in `clean`: one error for the pair.
                    required=False,
                    max_length=100,
                    help_text="For example: walking to the shops" if number == 1 else "",
                )
                self.fields[f"activity_{number}"].conditionally_required = number == 1
            self.fields[f"rating_{number}"] = forms.TypedChoiceField(
                label=f"{name or f'Activity {number}'}: how well can you do it today?",
                choices=ratings,
                coerce=int,
                empty_value=None,
                initial="" if optional else None,
                # Activities named on this form: `clean` pairs each name with its rating, so a
                # missing one is one error, not one from the field and another from the pair.
                required=bool(self.fixed_activities),
                widget=forms.RadioSelect(attrs={"inline": True}),
                help_text="0 = unable to do it, 10 = as well as before the problem",
                error_messages={
                    "required": f"Choose a rating from 0 to 10 for activity {number}.",
                    "invalid_choice": f"Choose a rating from 0 to 10 for activity {number}.",
                },
            )

    def clean(self):
        data = super().clean()
        if self.questionnaire.code == "MIDAS":
            answers = [data.get(f"item_{n}") for n in range(1, len(self.questionnaire.items) + 1)]
            # Said beside the question to check, with the other mistakes (the service checks
            # the same when the answers are sent).
            for number, problem in rules.midas_answers_problems(answers):
                self.add_error(f"item_{number}", problem)
        if self.questionnaire.activities and not self.fixed_activities:
            for number in range(1, 6):
                if f"activity_{number}" in self.errors or f"rating_{number}" in self.errors:
                    continue  # Already told what is wrong with this activity.
                named = (data.get(f"activity_{number}") or "").strip()
                rated = data.get(f"rating_{number}") not in (None, "")
                if number == 1 and not named and not rated:
                    self.add_error("activity_1", PSFS_FIRST_ACTIVITY)
                elif named and not rated:
                    self.add_error(f"rating_{number}", f"Rate activity {number} from 0 to 10.")
                elif rated and not named and number == 1:
                    self.add_error(
                        "activity_1", "Name activity 1: say which activity your rating is for."
                    )
                elif rated and not named:
                    self.add_error(
                        f"activity_{number}",
                        f"Name activity {number}, or choose \u201cNot rated\u201d for it.",
                    )
        return data

    def activities(self) -> list[str]:
        if self.fixed_activities:
            return self.fixed_activities
        return [
            self.cleaned_data[f"activity_{n}"].strip()
            for n in range(1, 6)
            if (self.cleaned_data.get(f"activity_{n}") or "").strip()
        ]

    def answers(self) -> list:
        if self.questionnaire.activities:
            return [
                self.cleaned_data[f"rating_{n}"]
                for n in range(1, 6)
                if self.cleaned_data.get(f"rating_{n}") not in (None, "")
            ]
        return [
            self._value(self.questionnaire.items[n - 1], self.cleaned_data[f"item_{n}"])
            for n in range(1, len(self.questionnaire.items) + 1)
        ]

    def unscored(self) -> list:
        return [
            self._value(item, self.cleaned_data.get(f"extra_{n}"))
            for n, item in enumerate(self.questionnaire.unscored, start=1)
        ]

    def submission(self) -> dict:
        """The answers as reviews.services.questionnaires.submit_questionnaire takes them."""
        return {
            "answers": self.answers(),
            "activities": self.activities() if self.questionnaire.activities else None,
            "unscored": self.unscored(),
        }

    @staticmethod
    def _value(item, raw):
        if item.options is None or raw in (None, ""):
            return raw
        return item.options[int(raw)][0]


def _item_field(number: int | str, item) -> forms.Field:
    label = f"{number}. {item.text}"
    if item.options is None:
        return forms.IntegerField(
            label=label,
            min_value=item.minimum,
            max_value=item.maximum,
            help_text=item.hint,
            widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            error_messages={
                "required": f"Answer question {number}.",
                "invalid": f"Enter a whole number for question {number}.",
                "min_value": f"Enter {item.minimum} or more for question {number}.",
                "max_value": f"Enter {item.maximum} or less for question {number}.",
            },
        )
    return forms.ChoiceField(
        label=label,
        # The submitted value is the option's position; its scored value stays on the server.
        choices=[(str(index), text) for index, (_, text) in enumerate(item.options)],
        widget=forms.RadioSelect,
        error_messages={
            "required": f"Answer question {number}.",
            "invalid_choice": f"Choose one of the answers for question {number}.",
        },
    )
