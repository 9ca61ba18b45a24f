"""Who is responsible for an episode, and discharge from the pathway."""

from __future__ import annotations

from django import forms

from pathway.models import User
from reviews.forms.base import ServiceErrorsMixin


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
    agreed = forms.BooleanField(
        label="The patient has finished with the pathway, or asked to leave it",
        help_text="Their appointments still to come are cancelled and they are told. They can "
        "be referred again at any time.",
        error_messages={"required": "Confirm that the patient is to be discharged."},
    )
