"""Shared form pieces: service errors beside fields, and date-and-time fields."""

from __future__ import annotations

from datetime import UTC, datetime

from django import forms
from django.core.validators import URLValidator
from django.utils import timezone

from reviews import rules

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class VideoLinkField(forms.URLField):
    """A video call's address: https only, so the call is not joined over a plain connection.
    An address typed without a scheme is read as https."""

    default_validators = [URLValidator(schemes=["https"])]
    default_error_messages = {
        "invalid": "Enter the video link as a secure web address, starting https://",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("assume_scheme", "https")
        kwargs.setdefault("label", "Video link")
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)


class ServiceErrorsMixin:
    """Show a service's ReviewsError beside the field it names (or above the form)."""

    field_aliases: dict[str, str] = {}

    def add_service_error(self, error) -> None:
        name = self.field_aliases.get(error.field, error.field)
        self.add_error(name if name in self.fields else None, str(error))


class WhenFields(forms.Form):
    start_date = forms.DateField(
        label="Date",
        widget=DATE,
        error_messages={"required": "Enter the date.", "invalid": "Enter a real date."},
    )
    start_time = forms.TimeField(
        label="Start time",
        widget=TIME,
        help_text="24-hour clock, for example 14:30",
        error_messages={"required": "Enter the start time.", "invalid": "Enter a real time."},
    )
    duration_minutes = forms.IntegerField(
        label="Length in minutes",
        required=False,
        min_value=1,
        max_value=rules.MAX_DURATION_MINUTES,
        help_text="Leave blank for the usual length: 30 minutes for a first conversation or "
        "a medication review, 20 for a follow-up or an annual review",
        error_messages={
            "min_value": "Enter a length of at least 1 minute.",
            "max_value": f"Enter a length of at most {rules.MAX_DURATION_MINUTES} minutes.",
            "invalid": "Enter the length as a whole number of minutes.",
        },
    )

    def start(self) -> datetime:
        data = self.cleaned_data
        return timezone.make_aware(datetime.combine(data["start_date"], data["start_time"]))

    def clean(self):
        data = super().clean()
        day = data.get("start_date")
        if day and (problem := rules.too_far_ahead(day, today=timezone.localdate())):
            self.add_error("start_date", problem)
        elif day and data.get("start_time"):
            typed = data["start_time"].replace(second=0, microsecond=0)
            # Through UTC: converting to the zone it already has would not move it.
            if timezone.localtime(self.start().astimezone(UTC)).time().replace(second=0) != typed:
                # The hour the clocks skip when they go forward in spring: it is no time at all
                # (making it aware would quietly move it an hour on).
                self.add_error(
                    "start_time",
                    f"{typed:%H:%M} does not happen on {day:%-d %B %Y}: the clocks go forward "
                    "an hour that night. Choose another time.",
                )
            elif self.start() <= timezone.now():
                self.add_error("start_date", "Choose a date and time in the future.")
        return data
