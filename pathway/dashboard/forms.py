from django import forms
from django.utils import timezone

from pathway.dashboard.rules import (
    Period,
    custom_period_problems,
    period_for,
    runs_past_month_of,
)

PERIOD_CHOICES = [
    ("month", "This month"),
    ("quarter", "This quarter"),
    ("year", "This financial year"),
    ("custom", "Choose dates"),
]


class DashboardFilterForm(forms.Form):
    organisation = forms.ModelChoiceField(
        queryset=None,
        empty_label=None,
        label="Area",
        error_messages={
            "required": "Choose an area.",
            "invalid_choice": "Choose an area from the list.",
        },
    )
    period = forms.ChoiceField(
        choices=PERIOD_CHOICES,
        initial="quarter",
        label="Period",
        error_messages={
            "required": "Choose a period.",
            "invalid_choice": "Choose a period from the list.",
        },
    )
    start = forms.DateField(
        required=False,
        label="From",
        help_text="For “Choose dates”: figures start on the 1st of the month you choose",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter the start date as a real date"},
    )
    end = forms.DateField(
        required=False,
        label="To",
        help_text="For “Choose dates”: figures run to the end of the month you choose",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter the end date as a real date"},
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        self.fields["organisation"].label_from_instance = lambda org: (
            f"{org.name} ({org.get_kind_display()})"
        )
        # Needed for "Choose dates" and not otherwise: not labelled "(optional)".
        for name in ("start", "end"):
            self.fields[name].conditionally_required = True
        # Dates entered beside one of the standard periods, which does not use them.
        self.dates_not_used = False
        # Custom dates widened to whole months.
        self.dates_widened = False
        # For custom dates running past this month: this month, after which there is no data.
        self.no_data_after = None

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        start, end = data.get("start"), data.get("end")
        today = timezone.localdate()
        if data["period"] == "custom":
            for name, message in custom_period_problems(start, end, today=today):
                self.add_error(name, message)
            if self.errors:
                return data
        else:
            self.dates_not_used = bool(start or end)
        try:
            data["reporting_period"] = period_for(data["period"], today=today, start=start, end=end)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc
        if data["period"] == "custom":
            period = data["reporting_period"]
            self.dates_widened = (start, end) != (period.start, period.last_day)
            if runs_past_month_of(period, today=today):
                self.no_data_after = today.replace(day=1)
        return data

    @property
    def reporting_period(self) -> Period:
        return self.cleaned_data["reporting_period"]
