"""The public self-referral, in plain English."""

import re
import secrets

from django import forms
from django.urls import reverse
from django.utils import timezone

from pathway.contact import is_uk_mobile
from pathway.forms import NhsNumberField, PastDateField, Textarea, TooLongInWords, UkPhoneField
from pathway.models.episodes import Condition
from referrals import rules, selectors
from referrals.forms.fields import (
    ID_MIGRAINE_QUESTIONS,
    RedFlagsField,
    _id_migraine_answers,
    _yes_no,
)
from referrals.models import Referral
from referrals.services import NOT_AN_ADULT_MESSAGE, ReferralContent, StatedDetails

SUBMISSION_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,40}")


class PracticeChoiceField(forms.ModelChoiceField):
    """A practice by its name alone: patients know their surgery's name, not its ODS code."""

    def label_from_instance(self, obj) -> str:
        return obj.name


# The autocomplete purpose of each field that asks for the self-referrer's own details.
OWN_DETAILS = {
    "given_name": "given-name",
    "family_name": "family-name",
    "date_of_birth": "bday",
    "email": "email",
    "mobile": "tel",
}


class SelfReferralForm(TooLongInWords, forms.Form):
    """The public self-referral, in plain English."""

    # A one-time token, made when the form is first shown and sent back with it, so that the same
    # form sent twice makes one referral (Referral.submission_token).
    submission = forms.CharField(required=False, widget=forms.HiddenInput)
    website = forms.CharField(
        label="Leave this empty", required=False, max_length=200
    )  # honeypot: people never see it; bots that fill every field do
    given_name = forms.CharField(
        label="First name",
        max_length=100,
        error_messages={"required": "Enter your first name"},
    )
    family_name = forms.CharField(
        label="Last name",
        max_length=100,
        error_messages={"required": "Enter your last name"},
    )
    date_of_birth = PastDateField(
        label="Date of birth",
        help_text="For example, 31 3 1980",
        error_messages={
            "required": "Enter your date of birth",
            "invalid": "Date of birth must be a real date",
        },
    )
    nhs_number = NhsNumberField(
        required=False,
        help_text="If you know it: 10 digits, like 943 476 5919. You can find it in the NHS App.",
    )
    practice = PracticeChoiceField(
        label="Your GP practice",
        queryset=selectors.self_referral_practices(),
        empty_label="Choose",
        help_text="If your practice is not listed, this service does not cover it yet. Ask your "
        "GP practice what help there is for headaches and pain near you.",
        error_messages={
            "required": "Select your GP practice",
            "invalid_choice": "Select your GP practice from the list",
        },
    )
    preferred_contact = forms.ChoiceField(
        label="How should we contact you?",
        choices=[
            (Referral.PreferredContact.PHONE, "Phone call"),
            (Referral.PreferredContact.SMS, "Text message"),
            (Referral.PreferredContact.EMAIL, "Email"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Select how we should contact you"},
    )
    mobile = UkPhoneField(
        required=False,
        help_text="A mobile, or a landline if you would like a phone call. For example "
        "07700 900123 or 01632 960123.",
    )
    email = forms.EmailField(label="Email address", required=False)
    condition = forms.ChoiceField(
        label="What do you need help with?",
        choices=[
            (Condition.HEADACHE, "Headaches or migraine"),
            (Condition.CHRONIC_PAIN, "Pain that has lasted more than 3 months"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Select what you need help with"},
    )
    problem = forms.CharField(
        label="Tell us about your headaches or pain",
        help_text="In your own words: how long you have had it, how often, and how it affects you",
        max_length=4000,
        widget=Textarea(attrs={"rows": 5}),
        error_messages={"required": "Tell us about your headaches or pain"},
    )
    red_flags = RedFlagsField(
        label="Do you have any of these with your headaches?",
        help_text="Tick all that apply. Leave them all unticked if none apply, or if you do not "
        "have headaches.",
        choices=list(rules.PATIENT_RED_FLAG_QUESTIONS.items()),
    )
    back_pain_emergency = forms.BooleanField(
        label=rules.PATIENT_BACK_PAIN_EMERGENCY_SIGNS,
        required=False,
        help_text="Tick this if it is true for you now, whatever you are referring yourself for.",
    )
    patient_goals = forms.CharField(
        label="What would you like help with?",
        max_length=2000,
        required=False,
        widget=Textarea(attrs={"rows": 3}),
    )
    id_migraine_disability = _yes_no(ID_MIGRAINE_QUESTIONS[0][2])
    id_migraine_nausea = _yes_no(ID_MIGRAINE_QUESTIONS[1][2])
    id_migraine_light = _yes_no(ID_MIGRAINE_QUESTIONS[2][2])
    interpreter_language = forms.CharField(
        label="Do you need an interpreter? If so, which language?",
        max_length=80,
        required=False,
    )
    accessibility_needs = forms.CharField(
        label="Is there anything that would make it easier for you to use our service?",
        help_text="For example, large print, a British Sign Language interpreter, or step-free "
        "access",
        max_length=1000,
        required=False,
        widget=Textarea(attrs={"rows": 2}),
    )
    consent_to_contact = forms.BooleanField(
        label="I agree that the headache and pain team can contact me and my GP practice about "
        "this referral",
        error_messages={"required": "You need to agree that we can contact you to refer yourself."},
    )

    def clean_red_flags(self):
        return rules.as_patient_answered(self.cleaned_data["red_flags"])

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        if not rules.is_adult(rules.age_in_years(born, timezone.localdate())):
            raise forms.ValidationError(NOT_AN_ADULT_MESSAGE, code="under_age")
        return born

    def clean(self):
        data = super().clean()
        missing = rules.missing_contact_detail(
            data.get("preferred_contact") or "",
            mobile=data.get("mobile") or "",
            email=data.get("email") or "",
        )
        texts = data.get("preferred_contact") == Referral.PreferredContact.SMS
        # An address or number typed but not valid has its own error already: "enter one" would
        # contradict it.
        typed = "email" in self.errors or "mobile" in self.errors
        if not data.get("email") and not data.get("mobile") and not typed:
            self.add_error("mobile", "Enter a phone number or an email address.")
        elif missing == "email" and "email" not in self.errors:
            self.add_error("email", "Enter an email address, or choose another way to contact you.")
        elif missing == "mobile" and "mobile" not in self.errors:
            self.add_error(
                "mobile",
                "Enter a mobile phone number, or choose another way to contact you."
                if texts
                else "Enter a phone number, or choose another way to contact you.",
            )
        elif texts and data.get("mobile") and not is_uk_mobile(data["mobile"]):
            self.add_error(
                "mobile",
                "Text messages need a mobile number. Enter a mobile, or choose a phone call.",
            )
        data["id_migraine"] = _id_migraine_answers(self)
        return data

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        live_screen = {
            "hx-post": reverse("referrals:self-refer-screen"),
            "hx-trigger": "change",
            "hx-include": "closest form",
            "hx-target": "#self-screen",
            "hx-sync": "closest form:queue last",
        }
        self.fields["red_flags"].widget.attrs.update(live_screen)
        self.fields["date_of_birth"].widget.attrs.update(live_screen)
        self.fields["website"].widget.attrs.update({"autocomplete": "off", "tabindex": "-1"})
        if not self.is_bound and not self.initial.get("submission"):
            self.initial["submission"] = secrets.token_urlsafe(24)
        # The person's own details: the browser may fill them in (WCAG 2.1, 1.3.5).
        for name, purpose in OWN_DETAILS.items():
            self.fields[name].widget.attrs["autocomplete"] = purpose

    def clean_submission(self) -> str:
        # A token the form did not make is no token: the referral is sent, unchecked for a repeat.
        token = self.cleaned_data["submission"]
        return token if SUBMISSION_TOKEN.fullmatch(token) else ""

    @property
    def is_spam(self) -> bool:
        return bool(self.data.get("website"))

    def stated(self) -> StatedDetails:
        data = self.cleaned_data
        return StatedDetails(
            given_name=data["given_name"].strip(),
            family_name=data["family_name"].strip(),
            date_of_birth=data["date_of_birth"],
            practice=data["practice"],
            nhs_number=data.get("nhs_number") or "",
            email=data.get("email") or "",
            mobile=data.get("mobile") or "",
        )

    def identity(self) -> rules.Identity:
        """Who the form says the self-referrer is, from whichever of their details were valid
        (an empty name or date of birth matches no one: rules.identity_differences)."""
        data = getattr(self, "cleaned_data", {})
        return rules.Identity(
            given_name=(data.get("given_name") or "").strip(),
            family_name=(data.get("family_name") or "").strip(),
            date_of_birth=data.get("date_of_birth"),
            nhs_number=data.get("nhs_number") or "",
        )

    def content(self) -> ReferralContent:
        data = self.cleaned_data
        return ReferralContent(
            condition=data["condition"],
            problem=data["problem"].strip(),
            red_flags=tuple(data["red_flags"]),
            consent_to_contact=data["consent_to_contact"],
            preferred_contact=data["preferred_contact"],
            patient_goals=data.get("patient_goals", "").strip(),
            interpreter_language=data.get("interpreter_language", "").strip(),
            accessibility_needs=data.get("accessibility_needs", "").strip(),
        )
