"""Starting a plan, a version's own fields, and agreeing a draft."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from careplans import rules
from careplans.forms.fields import TEXT_LIMIT, BasedOnMixin, DateInput
from careplans.models import CarePlanVersion
from pathway.forms import BasedOnField, Textarea, TooLongInWords, revision_token
from pathway.models import Episode


class StartPlanForm(forms.Form):
    episode = forms.ModelChoiceField(
        queryset=Episode.objects.none(),
        label="Which part of their care is this plan for?",
        empty_label=None,
        error_messages={"required": "Choose which part of their care this plan is for."},
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, episodes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["episode"].queryset = episodes
        # With one to choose from, it is chosen already.
        only = list(episodes[:2])
        if len(only) == 1:
            self.initial.setdefault("episode", only[0].pk)
        self.fields["episode"].label_from_instance = lambda e: (
            f"{e.get_condition_display()} (opened {timezone.localtime(e.opened_at):%-d %B %Y})"
        )


class VersionForm(TooLongInWords, BasedOnMixin, forms.ModelForm):
    based_on = BasedOnField(required=False)
    what_matters = forms.CharField(
        label="What matters to me",
        help_text="In the patient's own words. Needed to agree the plan; a draft saves without it.",
        required=False,
        max_length=TEXT_LIMIT,
        widget=Textarea(attrs={"rows": 4}),
    )
    acute_plan = forms.CharField(
        label="Plan for headache or pain attacks",
        help_text="What to take and do when an attack starts. The limits for each medicine are "
        "added from the list below.",
        required=False,
        max_length=TEXT_LIMIT,
        widget=Textarea(attrs={"rows": 3}),
    )
    wellbeing_notes = forms.CharField(
        label="Mental health and wellbeing",
        required=False,
        max_length=TEXT_LIMIT,
        widget=Textarea(attrs={"rows": 3}),
    )
    next_review_on = forms.DateField(
        label="Next review date",
        help_text="Needed to agree the plan; a draft saves without it.",
        required=False,
        widget=DateInput(),
        error_messages={"invalid": "Enter the next review date as a real date."},
    )
    change_summary = forms.CharField(
        label="Why this version changed",
        required=False,
        max_length=TEXT_LIMIT,
        widget=Textarea(attrs={"rows": 2}),
    )

    class Meta:
        model = CarePlanVersion
        fields = [
            "what_matters",
            "acute_plan",
            "wellbeing_notes",
            "next_review_on",
            "change_summary",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["based_on"].initial = revision_token(self.instance.updated_at)
            acute_plan = self.fields["acute_plan"]
            if self.instance.plan.episode.condition == rules.CHRONIC_PAIN:
                acute_plan.label = "Plan for pain flare-ups"
                acute_plan.help_text = "What to take and do when pain flares up."
            else:
                acute_plan.label = "Plan for headache attacks"
            if self.instance.number == 1:
                # Nothing came before it to change from.
                del self.fields["change_summary"]
        # Agreeing needs them, as their hints say: not labelled "(optional)".
        self.fields["what_matters"].conditionally_required = True
        self.fields["next_review_on"].conditionally_required = True

    def clean_next_review_on(self):
        value = self.cleaned_data.get("next_review_on")
        if value and value < timezone.localdate():
            raise forms.ValidationError("The next review date must be today or later.")
        if value and (value - timezone.localdate()).days > rules.MAX_REVIEW_AHEAD_DAYS:
            raise forms.ValidationError(rules.REVIEW_TOO_FAR_AHEAD)
        return value


class AgreeForm(BasedOnMixin, forms.Form):
    based_on = BasedOnField(required=False)
    confirm = forms.BooleanField(
        label="I have agreed this plan with the patient",
        error_messages={"required": "Confirm that you agreed this plan with the patient."},
    )

    def __init__(self, *args, version: CarePlanVersion | None = None, **kwargs):
        """`version`: the draft shown for agreement, whose revision the form carries."""
        super().__init__(*args, **kwargs)
        if version is not None:
            self.fields["based_on"].initial = revision_token(version.updated_at)
