"""Who is responsible for an episode, and discharge from the pathway."""

from __future__ import annotations

from django import forms

from pathway.forms import Textarea
from pathway.models import User
from reviews.forms.base import DATE, ServiceErrorsMixin
from reviews.models import Discharge
from reviews.models.discharges import NOTE_MAX_LENGTH


class ResponsibleClinicianForm(ServiceErrorsMixin, forms.Form):
    clinician = forms.ModelChoiceField(
        label="Responsible clinician",
        queryset=User.objects.none(),
        empty_label="Choose a clinician",
        error_messages={
            "required": "Choose the clinician who is to be responsible.",
            "invalid_choice": "Choose a clinician from the list.",
        },
    )

    # Who was responsible when the page was shown: a change since is not overwritten unseen.
    shown = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, clinicians: list[User], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clinician"].queryset = User.objects.filter(
            pk__in=[clinician.pk for clinician in clinicians]
        ).order_by("full_name")


class DischargeForm(ServiceErrorsMixin, forms.Form):
    reason = forms.ChoiceField(
        label="Why is the patient being discharged?",
        choices=Discharge.Reason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose why the patient is being discharged."},
    )
    date_of_death = forms.DateField(
        label="Date of death",
        help_text="Needed when the patient has died, and only then. All their care with the team "
        "ends, and nothing more is sent to them.",
        required=False,
        widget=DATE,
        error_messages={"invalid": "Enter the date of death as a real date."},
    )
    note_for_gp = forms.CharField(
        label="Note for the GP",
        help_text="Goes in the discharge summary to the GP practice, for example what helped and "
        "what to do if things get worse. Needed for another reason.",
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=Textarea(attrs={"rows": 4}),
        error_messages={
            "max_length": f"The note for the GP must be {NOTE_MAX_LENGTH:,} characters or fewer."
        },
    )
    # What the page listed as ending (selectors.DischargeScope.fingerprint).
    shown = forms.CharField(required=False, widget=forms.HiddenInput)
    agreed = forms.BooleanField(
        label="Discharge the patient from this pathway",
        help_text="Their appointments still to come are cancelled and they are told (unless "
        "they have died). The GP practice gets a discharge summary. They can be referred again "
        "at any time.",
        error_messages={"required": "Confirm that the patient is to be discharged."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Needed with "The patient has died", as its hint says: not "(optional)".
        self.fields["date_of_death"].conditionally_required = True
