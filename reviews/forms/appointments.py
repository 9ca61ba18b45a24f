"""Booking, moving and cancelling appointments, the review outcome, patients' requests."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from pathway.forms import BasedOnField, Textarea, TooLongInWords, carry_revision, revision_token
from pathway.models import Episode, User
from reviews import rules
from reviews.forms.base import DATE, ServiceErrorsMixin, VideoLinkField, WhenFields
from reviews.models import Appointment, Review
from reviews.models.appointments import AppointmentKind
from reviews.questionnaires import QUESTIONNAIRES, REQUESTABLE
from reviews.selectors import first_conversation_arranged

BOOKABLE_KINDS = [
    (value, label) for value, label in AppointmentKind.choices if value != "group_session"
]


class AppointmentDetailsForm(TooLongInWords, ServiceErrorsMixin, WhenFields):
    field_aliases = {"start": "start_date"}

    modality = forms.ChoiceField(
        label="How it happens",
        choices=Appointment.Modality.choices,
        widget=forms.RadioSelect,
        initial=Appointment.Modality.VIDEO,
        error_messages={"required": "Choose video, phone or in person."},
    )
    video_link = VideoLinkField(
        help_text="Needed for a video appointment with the patient, starting https://"
    )
    location = forms.CharField(
        label="Where", required=False, max_length=200, help_text="For in-person appointments"
    )
    clinician = forms.ModelChoiceField(
        label="Clinician",
        queryset=User.objects.none(),
        empty_label=None,
        error_messages={
            "required": "Choose the clinician.",
            "invalid_choice": "Choose a clinician from the list.",
        },
    )

    # Shown only when the time asks for it (`_check_time`): outside clinic hours, or a first
    # conversation after its first-contact target.
    book_anyway = forms.BooleanField(
        label="Book it at this time anyway", required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args, clinicians=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clinician"].queryset = clinicians if clinicians is not None else User.objects
        # Needed for a video call the patient joins, as its hint says: not "(optional)".
        self.fields["video_link"].conditionally_required = True
        # Field order: when, then how, then who.
        self.order_fields(
            [
                "kind",
                "episode",
                "start_date",
                "start_time",
                "duration_minutes",
                "modality",
                "video_link",
                "location",
                "clinician",
            ]
        )

    def clean(self):
        data = super().clean()
        if data.get("video_link") and data.get("modality") != Appointment.Modality.VIDEO:
            self.add_error(
                "video_link", "Only video appointments have a video link. Remove the link."
            )
        elif "video_link" not in self.errors and rules.video_link_missing(
            kind=self.appointment_kind(),
            modality=data.get("modality", ""),
            video_link=data.get("video_link", ""),
        ):
            self.add_error("video_link", rules.VIDEO_LINK_NEEDED)
        if not self.errors:
            self._check_time()
        return data

    def first_contact_target(self):
        """The first-contact target the appointment counts towards: a first conversation's
        episode's (referrals.rules.FirstContactTarget), or None."""
        return None

    def duration(self) -> int:
        raise NotImplementedError

    def appointment_kind(self) -> str:
        """The kind of appointment booked or moved (Appointment.Kind), or "" when not known:
        a video call is then taken to be one the patient joins, which needs its link."""
        return ""

    def time_changed(self) -> bool:
        """Whether the form sets a time to check: always for a new appointment."""
        return True

    def _check_time(self) -> None:
        """A time outside clinic hours, or a first conversation after its target date, is
        booked only when the clinician ticks that it is meant."""
        if not self.time_changed():
            return
        start = timezone.localtime(self.start())
        problems = []
        if problem := rules.clinic_hours_problem(start, self.duration()):
            problems.append(problem)
        target = self.first_contact_target()
        if target is not None and start > target.due_at:
            due = timezone.localtime(target.due_at)
            by = f"{due:%H:%M} on {due:%-d %B %Y}"
            problems.append(
                f"The first-contact target ({target.label}) passed at {by}: any time now is "
                "after it, and the patient's wait will count as outside the target."
                if target.due_at <= timezone.now()
                else f"This is after the first-contact target ({target.label}, by {by}): the "
                "patient's wait will count as outside the target. Choose an earlier time if "
                "there is one."
            )
        if problems:
            # Ticked, it stays on the form for a second try; unticked, the form asks.
            self.fields["book_anyway"].widget = forms.CheckboxInput()
            if not self.cleaned_data.get("book_anyway"):
                for problem in problems:
                    self.add_error("start_time", problem)
                self.add_error(
                    "book_anyway", "Tick to book at this time anyway, or change the time."
                )


def _episode_label(episode: Episode) -> str:
    # The day in the UK, as every other date on the page: not the UTC day it was stored.
    since = f"{timezone.localtime(episode.opened_at):%-d %B %Y}"
    if episode.status == Episode.Status.REFERRED:
        return f"{episode.get_condition_display()} (referred {since}, not yet under care)"
    return f"{episode.get_condition_display()} (under care since {since})"


class AppointmentForm(AppointmentDetailsForm):
    kind = forms.ChoiceField(
        label="Type of appointment",
        choices=BOOKABLE_KINDS,
        error_messages={"required": "Choose the type of appointment."},
    )
    episode = forms.ModelChoiceField(
        label="Episode of care",
        queryset=Episode.objects.none(),
        empty_label=None,
        error_messages={
            "required": "This patient has no open episode. Add a referral first.",
            "invalid_choice": "Choose one of this patient's open episodes.",
        },
    )

    def __init__(self, *args, episodes=None, first_contact_targets=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Each episode's first-contact target, by episode id (referrals.selectors).
        self.first_contact_targets = first_contact_targets or {}
        field = self.fields["episode"]
        field.queryset = episodes if episodes is not None else Episode.objects
        field.label_from_instance = _episode_label
        if episodes is not None and "episode" not in self.initial:
            # The care under way, not a newer referral still waiting for triage.
            open_ = sorted(episodes, key=lambda e: (e.status != Episode.Status.ACTIVE, e.opened_at))
            if open_:
                self.initial["episode"] = open_[0].pk
                if "kind" not in self.initial:
                    # Booking a second first conversation is refused: the usual next one instead.
                    self.initial["kind"] = (
                        Appointment.Kind.FOLLOW_UP
                        if first_conversation_arranged(open_[0])
                        else Appointment.Kind.FIRST_CONVERSATION
                    )

    def duration(self) -> int:
        return self.cleaned_data.get("duration_minutes") or rules.DEFAULT_DURATION_MINUTES.get(
            self.cleaned_data["kind"], 30
        )

    def appointment_kind(self) -> str:
        return self.cleaned_data.get("kind", "")

    def first_contact_target(self):
        episode = self.cleaned_data.get("episode")
        if self.cleaned_data.get("kind") != Appointment.Kind.FIRST_CONVERSATION or not episode:
            return None
        return self.first_contact_targets.get(episode.pk)


class RescheduleForm(AppointmentDetailsForm):
    """Move a booked appointment. Carries the appointment's revision, so a change made since
    the page was opened (a colleague's move, the patient asking to rearrange) is not
    overwritten unseen. A missing revision means "do not check" (a page opened before it was
    sent); the page always sends one."""

    based_on = BasedOnField(required=False)

    def __init__(self, *args, appointment: Appointment, first_contact=None, **kwargs):
        # The first-contact target a first conversation counts towards, or None.
        self.first_contact = first_contact
        kwargs.setdefault(
            "initial",
            {
                "start_date": timezone.localtime(appointment.start).date(),
                "start_time": timezone.localtime(appointment.start).time(),
                "duration_minutes": appointment.duration_minutes,
                "modality": appointment.modality,
                "video_link": appointment.video_link,
                "location": appointment.location,
                "clinician": appointment.clinician_id,
            },
        )
        super().__init__(*args, **kwargs)
        self.appointment = appointment
        self.fields["based_on"].initial = revision_token(appointment.updated_at)
        self.fields[
            "duration_minutes"
        ].help_text = f"Left blank, it keeps its length of {appointment.duration_minutes} minutes"

    def duration(self) -> int:
        return self.cleaned_data.get("duration_minutes") or self.appointment.duration_minutes

    def appointment_kind(self) -> str:
        return self.appointment.kind

    def first_contact_target(self):
        return self.first_contact

    def time_changed(self) -> bool:
        # A move of its clinician or of how it happens leaves a time already agreed alone.
        appointment = self.appointment
        return (self.start(), self.duration()) != (appointment.start, appointment.duration_minutes)

    def rebase(self, saved: Appointment) -> None:
        """After a refused move: carry `saved`'s revision (pathway.forms.carry_revision)."""
        carry_revision(self, saved.updated_at)


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Reason for cancelling",
        max_length=200,
        required=False,
        help_text="For the record; the patient is told it is cancelled, not why",
        error_messages={"max_length": "Keep the reason to 200 characters or fewer."},
    )


class NotRebookingForm(ServiceErrorsMixin, forms.Form):
    reason = forms.CharField(
        label="Why is no appointment being booked?",
        max_length=200,
        help_text=(
            "For example: the patient will phone when they are ready, or the GP is following "
            "up. The team sees this on the appointment; the patient is not told."
        ),
        error_messages={
            "required": "Say why no appointment is being booked.",
            "max_length": "Keep the reason to 200 characters or fewer.",
        },
    )


class AppointmentFilterForm(forms.Form):
    """The appointments list filters (GET). Values that cannot be used are errors shown beside
    their field; nothing is swapped or changed behind the user's back."""

    clinician = forms.ChoiceField(
        label="Clinician",
        required=False,
        error_messages={"invalid_choice": "Choose a clinician from the list"},
    )
    start = forms.DateField(
        label="From",
        required=False,
        widget=DATE,
        error_messages={"invalid": "Enter the 'from' date as a real date, like 2026-05-14"},
    )
    end = forms.DateField(
        label="To",
        required=False,
        widget=DATE,
        error_messages={"invalid": "Enter the 'to' date as a real date, like 2026-05-14"},
    )
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Any status"), *Appointment.Status.choices],
        error_messages={"invalid_choice": "Choose a status from the list"},
    )

    def __init__(self, *args, clinicians=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.clinicians = {str(c.uuid): c for c in clinicians}
        self.fields["clinician"].choices = [
            ("", "Everyone in the team"),
            *[(key, c.full_name) for key, c in self.clinicians.items()],
        ]
        for name, field in self.fields.items():
            css = "nhsuk-select" if name in ("clinician", "status") else "nhsuk-input"
            field.widget.attrs["class"] = css

    def full_clean(self):
        super().full_clean()
        # NHS.UK error styling on the fields the list is refused for, and the message read out
        # with the field.
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["class"] += f" {attrs['class']}--error"
                attrs["aria-describedby"] = f"id_{name}-error"

    def clean(self):
        data = super().clean()
        problems = rules.list_dates_problems(
            data.get("start"), data.get("end"), today=timezone.localdate()
        )
        for name, message in problems:
            self.add_error(name, message)
        return data

    def value(self, name, default=None):
        if not self.is_valid():
            return default
        return self.cleaned_data.get(name) or default

    def chosen_clinician(self):
        return self.clinicians.get(self.value("clinician", ""))


# A review's text: the summary is the clinical record of the conversation; the rest are notes.
SUMMARY_LIMIT = 4000
NOTE_LIMIT = 2000


class ReviewForm(ServiceErrorsMixin, forms.Form):
    summary = forms.CharField(
        label="Summary of the conversation",
        max_length=SUMMARY_LIMIT,
        widget=Textarea(attrs={"rows": 4}),
        error_messages={
            "required": "Write a short summary of the conversation.",
            "max_length": f"Keep the summary to {SUMMARY_LIMIT:,} characters or fewer.",
        },
    )
    what_matters = forms.CharField(
        label="What matters to the patient",
        required=False,
        max_length=NOTE_LIMIT,
        widget=Textarea(attrs={"rows": 3}),
        error_messages={"max_length": f"Keep this to {NOTE_LIMIT:,} characters or fewer."},
    )
    changes_agreed = forms.CharField(
        label="Changes agreed",
        required=False,
        max_length=NOTE_LIMIT,
        help_text="Treatment, self-management or support changes; update the care plan too",
        widget=Textarea(attrs={"rows": 3}),
        error_messages={"max_length": f"Keep this to {NOTE_LIMIT:,} characters or fewer."},
    )
    mental_health_follow_up = forms.ChoiceField(
        label="Mental health follow-up",
        choices=Review.MentalHealth.choices,
        # No answer chosen for the clinician: mental health is asked about at every review.
        widget=forms.RadioSelect,
        help_text="A same-day risk assessment raises a safety alert on the team's worklist "
        "until someone records the action taken",
        error_messages={"required": "Choose the mental health follow-up."},
    )
    mental_health_notes = forms.CharField(
        label="Mental health notes",
        required=False,
        max_length=NOTE_LIMIT,
        widget=Textarea(attrs={"rows": 2}),
        error_messages={"max_length": f"Keep this to {NOTE_LIMIT:,} characters or fewer."},
    )
    next_review_kind = forms.ChoiceField(
        label="Next review",
        choices=[
            (Review.NextKind.ANNUAL_REVIEW, "Annual review"),
            (Review.NextKind.FOLLOW_UP, "Follow-up, sooner than the annual review"),
        ],
        # A form from before the question was asked sets the annual review, as it did then.
        required=False,
        initial=Review.NextKind.ANNUAL_REVIEW,
        widget=forms.RadioSelect,
        help_text="The patient's invitation and the worklist say which review is due",
    )
    next_review_date = forms.DateField(
        label="Next review due",
        widget=DATE,
        help_text="An annual review is usually a year from today; the patient gets an invite 4 "
        "weeks before",
        error_messages={"required": "Enter the next review date.", "invalid": "Enter a real date."},
    )
    questionnaires = forms.MultipleChoiceField(
        label="Questionnaires to send now",
        required=False,
        choices=[(code, QUESTIONNAIRES[code].title) for code in REQUESTABLE],
        widget=forms.CheckboxSelectMultiple,
        help_text="The patient completes them in the portal before the next review",
    )

    def __init__(self, *args, alert_open: bool = False, **kwargs):
        """`alert_open`: the patient has a safety alert about their mental health nobody has
        acted on yet."""
        kwargs.setdefault(
            "initial", {"next_review_date": rules.default_next_review(timezone.localdate())}
        )
        super().__init__(*args, **kwargs)
        self.alert_open = alert_open

    def clean_next_review_kind(self):
        return self.cleaned_data["next_review_kind"] or Review.NextKind.ANNUAL_REVIEW

    def clean_next_review_date(self):
        """Said with the form's other mistakes, not after they are put right (the service
        checks the same when the outcome is recorded)."""
        value = self.cleaned_data["next_review_date"]
        problem = rules.next_review_problem(
            kind=self.cleaned_data.get("next_review_kind", ""),
            due=value,
            today=timezone.localdate(),
        )
        if problem:
            raise forms.ValidationError(problem)
        return value

    def clean(self):
        data = super().clean()
        if (
            self.alert_open
            and data.get("mental_health_follow_up") == Review.MentalHealth.NOT_NEEDED
            and not data.get("mental_health_notes", "").strip()
        ):
            self.add_error(
                "mental_health_notes",
                "This patient has an open safety alert: say why no mental health follow-up is "
                "needed.",
            )
        return data


class RearrangeForm(ServiceErrorsMixin, forms.Form):
    reason = forms.CharField(
        label="When would suit you better?",
        help_text="For example: any weekday morning, or not the week of 12 May",
        max_length=500,
        widget=Textarea(attrs={"rows": 3}),
        error_messages={
            "required": "Tell us when suits you better, or why.",
            "max_length": "Keep this to 500 characters or fewer.",
        },
    )


class PatientCancelForm(ServiceErrorsMixin, forms.Form):
    reason = forms.CharField(
        label="Why are you cancelling?",
        help_text="This helps your care team, for example: I am feeling much better, or I "
        "cannot make that day",
        required=False,
        max_length=rules.PATIENT_CANCEL_REASON_MAX,
        widget=Textarea(attrs={"rows": 3}),
        error_messages={
            "max_length": f"Keep this to {rules.PATIENT_CANCEL_REASON_MAX} characters or fewer.",
        },
    )


class BookingRequestForm(forms.Form):
    preferences = forms.CharField(
        label="When suits you",
        required=False,
        max_length=500,
        help_text="Days and times that suit you, and whether you prefer video, phone or in person",
        widget=Textarea(attrs={"rows": 3}),
        error_messages={"max_length": "Keep this to 500 characters or fewer."},
    )
    # Sent by the button pressed: "Ask for my yearly review" or "Ask for a follow-up".
    kind = forms.ChoiceField(
        choices=[("annual_review", "Annual review"), ("follow_up", "Follow-up")],
        error_messages={"required": "Choose what to ask for.", "invalid_choice": "Choose one."},
    )
