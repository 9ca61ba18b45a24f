"""Setting up group sessions and inviting patients."""

from __future__ import annotations

from datetime import UTC

from django import forms
from django.utils import timezone

from pathway.forms import ModelMultipleChoiceField, Textarea, TooLongInWords
from pathway.models import User
from reviews import rules
from reviews.forms.base import ServiceErrorsMixin, VideoLinkField, WhenFields
from reviews.models.groups import Condition


class GroupSessionForm(TooLongInWords, ServiceErrorsMixin, WhenFields):
    field_aliases = {"start": "start_date"}

    topic = forms.CharField(
        label="Topic", max_length=120, error_messages={"required": "Enter the topic."}
    )
    description = forms.CharField(
        label="What patients can expect",
        required=False,
        widget=Textarea(attrs={"rows": 3}),
    )
    condition = forms.ChoiceField(
        label="Who it is for",
        required=False,
        choices=[("", "Anyone on the pathway"), *Condition.choices],
    )
    capacity = forms.IntegerField(
        label="Places",
        min_value=1,
        max_value=200,
        error_messages={
            "required": "Enter the number of places.",
            "min_value": "A session needs at least 1 place.",
            "max_value": "Enter at most 200 places.",
            "invalid": "Enter the number of places as a whole number.",
        },
    )
    video_link = VideoLinkField(
        help_text="Starting https://. A session needs a video link, a venue, or both."
    )
    venue = forms.CharField(
        label="Venue",
        required=False,
        max_length=200,
        help_text="Where patients come in person. Leave empty for a session by video only.",
    )
    facilitators = ModelMultipleChoiceField(
        label="Facilitators",
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one facilitator."},
    )
    repeat = forms.IntegerField(
        label="Number of monthly sessions",
        min_value=1,
        max_value=rules.MAX_SERIES_LENGTH,
        initial=1,
        help_text="Repeats on the same weekday of each month, for example every second Tuesday",
        error_messages={
            "required": "Enter how many sessions to set up.",
            "min_value": "Enter at least 1.",
            "max_value": f"Set up at most {rules.MAX_SERIES_LENGTH} sessions at once.",
            "invalid": "Enter a whole number.",
        },
    )
    organisation = forms.ModelChoiceField(
        label="Team",
        queryset=None,
        empty_label=None,
        required=True,
        error_messages={"required": "Choose the team running the session."},
    )

    # Shown only when the time asks for it: outside clinic hours (rules.clinic_hours_problem),
    # as when booking an appointment.
    set_up_anyway = forms.BooleanField(
        label="Set it up at this time anyway", required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args, facilitators=None, organisations=None, **kwargs):
        kwargs.setdefault("initial", {"duration_minutes": 60, "repeat": 1})
        super().__init__(*args, **kwargs)
        self.fields["facilitators"].queryset = facilitators
        self.fields["facilitators"].label_from_instance = lambda u: (
            f"{u.full_name} ({u.get_discipline_display()})" if u.discipline else u.full_name
        )
        self.fields["organisation"].queryset = organisations
        first = organisations.first()
        self.fields["organisation"].initial = first.pk if first else None
        self.fields["duration_minutes"].help_text = "Usually 60"
        # One of the two is needed, as their hints say: neither is labelled "(optional)".
        self.fields["video_link"].conditionally_required = True
        self.fields["venue"].conditionally_required = True
        self.order_fields(
            [
                "topic",
                "description",
                "condition",
                "start_date",
                "start_time",
                "duration_minutes",
                "capacity",
                "video_link",
                "venue",
                "facilitators",
                "repeat",
                "set_up_anyway",
            ]
        )

    def clean(self):
        data = super().clean()
        if not data.get("video_link") and not (data.get("venue") or "").strip():
            self.add_error("video_link", "Enter a video link, a venue, or both.")
        if "start_date" in data and "start_time" in data and data.get("repeat"):
            # Only from a first session in time (WhenFields checks it): the last of the series
            # must be in time too.
            times = rules.monthly_occurrences(timezone.localtime(self.start()), data["repeat"])
            if problem := rules.series_too_far_ahead(times[-1].date(), today=timezone.localdate()):
                self.add_error("repeat", problem)
            # A later session on the night the clocks go forward, in the hour they skip: no
            # such time (WhenFields refuses it for the first).
            for later in times[1:]:
                if timezone.localtime(later.astimezone(UTC)).time() != later.time():
                    self.add_error(
                        "start_time",
                        f"The session on {later:%-d %B %Y} would be at {later:%H:%M}, which does "
                        "not happen that night: the clocks go forward an hour. Choose another "
                        "time, or set up fewer sessions.",
                    )
                    break
        if "start_date" in data and "start_time" in data:
            start = timezone.localtime(self.start())
            minutes = data.get("duration_minutes") or 60
            if problem := rules.clinic_hours_problem(start, minutes):
                # Ticked, it stays on the form for a second try; unticked, the form asks.
                self.fields["set_up_anyway"].widget = forms.CheckboxInput()
                if not data.get("set_up_anyway"):
                    self.add_error("start_time", problem)
                    self.add_error(
                        "set_up_anyway",
                        "Tick to set it up at this time anyway, or change the time.",
                    )
        return data


class InviteForm(forms.Form):
    patients = forms.MultipleChoiceField(
        label="Patients to invite",
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Choose at least one patient to invite.",
            "invalid_choice": "Choose patients from the list.",
        },
    )

    def __init__(self, *args, patients=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.patient_map = {str(p.uuid): p for p in patients}
        self.fields["patients"].choices = [
            (str(p.uuid), f"{p.full_name}, born {p.date_of_birth:%-d %B %Y}{_ended(p)}")
            for p in patients
        ]

    def chosen(self):
        return [self.patient_map[key] for key in self.cleaned_data["patients"]]


# How an earlier invitation to the same session ended, beside the patient's name in the list.
ENDED_HERE = {
    "declined": "turned down an earlier invitation to this session",
    "cancelled": "gave up a place at this session",
    "withdrawn": "an earlier invitation to this session was withdrawn by the care team",
}


def _ended(patient) -> str:
    words = ENDED_HERE.get(getattr(patient, "ended_here", None) or "")
    return f" ({words})" if words else ""
