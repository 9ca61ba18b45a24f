from django import forms
from django.utils import timezone

from pathway.dashboard.rules import Period, period_for

PERIOD_CHOICES = [
    ("month", "This month"),
    ("quarter", "This quarter"),
    ("year", "This financial year"),
    ("custom", "Choose dates"),
]


class DashboardFilterForm(forms.Form):
    organisation = forms.ModelChoiceField(queryset=None, empty_label=None, label="Area")
    period = forms.ChoiceField(choices=PERIOD_CHOICES, initial="quarter", label="Period")
    start = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        self.fields["organisation"].label_from_instance = lambda org: (
            f"{org.name} ({org.get_kind_display()})"
        )

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            data["reporting_period"] = period_for(
                data["period"],
                today=timezone.localdate(),
                start=data.get("start"),
                end=data.get("end"),
            )
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return data

    @property
    def reporting_period(self) -> Period:
        return self.cleaned_data["reporting_period"]
