"""Matching a self-referral to the patient's record, undoing a match to the wrong person, and
closing a self-referral sent twice."""

from django import forms
from django.utils import timezone

from pathway.forms import NhsNumberField
from pathway.models import Patient
from referrals import selectors
from referrals.models import Referral


class MatchForm(forms.Form):
    """Find the patient record a self-referral belongs to, by NHS number.

    When the record differs from what the self-referrer gave, the page shows both side by side
    with the patient and the differences it showed in hidden fields, and a "same person" box.
    `confirmed_differences` holds the differences only when that same comparison comes back with
    the box ticked; services.match_self_referral refuses the match otherwise.
    """

    nhs_number = NhsNumberField(
        label="The patient's NHS number",
        error_messages={"required": "Enter the patient's NHS number"},
    )
    same_person = forms.BooleanField(
        label="I have checked this is the same person",
        required=False,
        help_text="For example, with the patient or their GP practice. A name or date of birth "
        "that differs can mean a different person.",
    )
    shown_patient = forms.UUIDField(required=False, widget=forms.HiddenInput)
    shown_differences = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)

    def __init__(self, *args, user, referral: Referral | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.referral = referral
        self.patient: Patient | None = None
        self.differences: tuple[str, ...] = ()
        self.confirmed_differences: tuple[str, ...] = ()

    def clean_nhs_number(self):
        number = self.cleaned_data["nhs_number"]
        self.patient = selectors.visible_patient_by_nhs_number(self.user, number)
        if self.patient is None:
            raise forms.ValidationError(
                "No patient with this NHS number at the practices you work with. Check the "
                "number, or add the patient first."
            )
        return number

    def clean(self):
        data = super().clean()
        if self.patient is None or self.referral is None:
            # Without the referral there is nothing to compare; the view always gives it, and
            # services.match_self_referral refuses an unconfirmed difference whatever the form.
            return data
        self.differences = selectors.match_differences(self.referral, self.patient)
        shown = set(filter(None, (data.get("shown_differences") or "").split(",")))
        seen = data.get("shown_patient") == self.patient.uuid and shown == set(self.differences)
        if not self.differences or not seen:
            # Nothing to confirm, or not yet shown: the service matches or asks for the check.
            return data
        if data.get("same_person"):
            self.confirmed_differences = self.differences
        else:
            self.add_error(
                "same_person",
                "Confirm that you have checked this is the same person, or enter another NHS "
                "number.",
            )
        return data

    @property
    def needs_confirmation(self) -> bool:
        """Whether the page should show the comparison and the "same person" box."""
        return bool(self.differences)


class UnmatchForm(forms.Form):
    """Undo a self-referral's match to the wrong person (services.unmatch_self_referral)."""

    wrong_person = forms.BooleanField(
        label="I have checked this referral was matched to the wrong person's record",
        error_messages={
            "required": "Confirm that the referral was matched to the wrong person's record"
        },
    )


class DuplicateForm(forms.Form):
    """Close an undecided self-referral as a copy of one of its possible duplicates that is still
    open (services.close_as_duplicate)."""

    original = forms.ChoiceField(
        label="Which referral is this a copy of?",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose the referral this one is a copy of",
            "invalid_choice": "Choose one of the referrals listed",
        },
    )
    same = forms.BooleanField(
        label="I have checked that both are from the same person and ask for the same care",
        error_messages={
            "required": "Confirm that both referrals are from the same person and ask for the "
            "same care"
        },
    )

    # The record the clinician tried to match the self-referral to, whose open referral is
    # offered as the original, with the differences they confirmed, signed by the server
    # (views.matching.same_person_token) so they cannot be changed in the browser.
    same_person = forms.CharField(required=False, max_length=500, widget=forms.HiddenInput)
    add_red_flags = forms.BooleanField(
        label="Add this self-referral's red flags to the referral it copies",
        required=False,
        help_text=(
            "Needed when it gives red flags the other referral does not. A referral waiting for "
            "triage takes them and is screened again. For a patient already in the team's "
            "care, a safety alert goes to their clinician."
        ),
    )

    def __init__(self, *args, candidates: list[Referral], red_flags=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = {str(item.uuid): item for item in candidates if item.is_open}
        self.fields["original"].choices = [
            (key, candidate_label(item)) for key, item in self.candidates.items()
        ]
        if not red_flags:
            del self.fields["add_red_flags"]

    @property
    def chosen(self) -> Referral:
        return self.candidates[self.cleaned_data["original"]]


def candidate_label(referral: Referral) -> str:
    """How a possible duplicate is named on the referral page: 'Referral 1A2B3C4D, a
    self-referral received 3 March 2026 (submitted)'."""
    kind = {"gp": "a GP referral", "partner": "a partner's referral"}.get(
        referral.source, "a self-referral"
    )
    received = timezone.localtime(referral.submitted_at)
    return (
        f"Referral {referral.reference}, {kind} received {received:%-d %B %Y} "
        f"({referral.get_status_display().lower()})"
    )
