"""The triage decision, and the waiting list's filters."""

from django import forms

from pathway.forms import Textarea
from pathway.models import Patient
from pathway.permissions import practices_visible_to
from referrals import rules
from referrals.models import Referral
from referrals.services import REDIRECT_ELSEWHERE_NEEDS_ADVICE, Decision


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="Decision",
        choices=[
            (rules.ACCEPT, "Accept"),
            (rules.REJECT, "Reject"),
            (rules.REDIRECT, "Redirect to another service"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose accept, reject or redirect."},
    )
    priority = forms.ChoiceField(
        label="Priority",
        choices=Referral.Priority.choices,
        required=False,
        # One above the other: side by side, each keeps to half of its narrow column and
        # breaks the word ("Urge-nt").
        widget=forms.RadioSelect,
    )
    rejection_reason = forms.ChoiceField(
        label="Reason for rejecting",
        choices=[("", "Choose a reason"), *Referral.RejectionReason.choices],
        required=False,
    )
    redirect_to = forms.ChoiceField(
        label="Redirect to",
        choices=[("", "Choose a service"), *Referral.RedirectDestination.choices],
        required=False,
    )
    advice_to_referrer = forms.CharField(
        label="Advice to the referrer",
        max_length=4000,
        required=False,
        widget=Textarea(attrs={"rows": 3}),
        error_messages={"max_length": "Keep the advice to 4,000 characters or fewer."},
    )
    note = forms.CharField(
        label="Note for the team or the receiving service",
        max_length=4000,
        required=False,
        widget=Textarea(attrs={"rows": 2}),
        error_messages={"max_length": "Keep the note to 4,000 characters or fewer."},
    )

    # What the red-flag screen said when the page was shown (shown_token): the decision is
    # refused if flags were carried onto the referral since (services.RedFlagsChanged).
    shown_screen = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    @staticmethod
    def shown_token(referral: Referral) -> str:
        return f"{referral.urgency}:{','.join(referral.red_flags)}"

    def __init__(self, *args, urgency: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        # Needed for one decision and not the others: said in the hint, not labelled
        # "(optional)".
        for name, hint in (
            ("priority", "Needed to accept."),
            ("rejection_reason", "Needed to reject."),
            ("redirect_to", "Needed to redirect."),
            (
                "advice_to_referrer",
                "Needed to reject. The referrer reads it with the outcome (the patient, for a "
                "self-referral).",
            ),
        ):
            self.fields[name].conditionally_required = True
            self.fields[name].help_text = hint
        # The screen's urgency: accepting below it needs the reason, in the note.
        self.urgency = urgency
        if urgency == rules.URGENT:
            self.fields["note"].help_text = (
                "The red-flag screen said urgent. If you accept at routine priority, give the "
                "reason here: a GP or partner who referred reads it, on the referral and in "
                "the letter (a self-referrer does not)."
            )
            self.fields["note"].conditionally_required = True

    def _written(self, name: str) -> bool:
        """Whether the box has text: kept, or refused by its own check (too long), which says
        so already."""
        return bool((self.cleaned_data.get(name) or "").strip()) or name in self.errors

    def clean(self):
        data = super().clean()
        decision = data.get("decision")
        if decision == rules.ACCEPT and not data.get("priority"):
            self.add_error("priority", "Choose a priority: urgent or routine.")
        if (
            decision == rules.ACCEPT
            and self.urgency
            and data.get("priority")
            and rules.priority_below_screen(self.urgency, data["priority"])
            and not self._written("note")
        ):
            self.add_error(
                "note",
                f"Give the reason for accepting at {data['priority']} priority when the "
                f"red-flag screen said {self.urgency}.",
            )
        if decision == rules.REJECT:
            if not data.get("rejection_reason"):
                self.add_error("rejection_reason", "Choose the reason for rejecting.")
            if not self._written("advice_to_referrer"):
                self.add_error("advice_to_referrer", "Give advice to the referrer.")
        if decision == rules.REDIRECT:
            if not data.get("redirect_to"):
                self.add_error("redirect_to", "Choose where to redirect the referral.")
            elif data["redirect_to"] == rules.REDIRECT_ELSEWHERE and not self._written(
                "advice_to_referrer"
            ):
                self.add_error("advice_to_referrer", REDIRECT_ELSEWHERE_NEEDS_ADVICE)
            if not self._written("note") and not self._written("advice_to_referrer"):
                self.add_error("note", "Add a note for the service you are redirecting to.")
        return data

    def decision_value(self) -> Decision:
        data = self.cleaned_data
        return Decision(
            decision=data["decision"],
            priority=data.get("priority") or "",
            rejection_reason=data.get("rejection_reason") or "",
            redirect_to=data.get("redirect_to") or "",
            advice_to_referrer=data.get("advice_to_referrer") or "",
            note=data.get("note") or "",
            **self._shown(),
        )

    def _shown(self) -> dict:
        urgency, _, codes = (self.cleaned_data.get("shown_screen") or "").partition(":")
        if urgency not in rules.TIERS:
            return {}
        flags = tuple(code for code in codes.split(",") if code in rules.RED_FLAGS)
        return {"shown_red_flags": flags, "shown_urgency": urgency}


class ToldForm(forms.Form):
    """How the team told a self-referrer an outcome no message could lead them to
    (services.record_outcome_told)."""

    how = forms.CharField(
        label="How and when was the patient told?",
        help_text="For example: phoned 4 December, gave the advice above; or letter posted.",
        max_length=1000,
        widget=Textarea(attrs={"rows": 2}),
        error_messages={
            "required": "Say how and when the patient was told",
            "max_length": "Keep this to 1,000 characters or fewer.",
        },
    )


class WaitingListFilterForm(forms.Form):
    practice = forms.ModelChoiceField(
        label="Practice",
        queryset=Patient.objects.none(),
        required=False,
        empty_label="All",
        error_messages={"invalid_choice": "Choose a practice from the list"},
    )
    priority = forms.ChoiceField(
        label="Priority",
        choices=[("", "All"), *Referral.Priority.choices],
        required=False,
        error_messages={"invalid_choice": "Choose a priority from the list"},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practice"].queryset = practices_visible_to(user)
