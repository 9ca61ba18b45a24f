"""Referral, self-referral, triage and matching forms, with NHS.UK-style messages."""

import re

from django import forms
from django.urls import reverse
from django.utils import timezone

from pathway import instruments
from pathway.forms import NhsNumberField, PastDateField, UkMobileField
from pathway.models import Patient
from pathway.models.episodes import Condition
from pathway.permissions import practices_visible_to
from referrals import rules, selectors
from referrals.models import PreventiveTried, Referral
from referrals.services import NOT_AN_ADULT_MESSAGE, Decision, ReferralContent, StatedDetails

YES_NO = [("yes", "Yes"), ("no", "No")]

# ID Migraine questions (clinical-rules.md section 1), for the referrer and for the patient.
ID_MIGRAINE_QUESTIONS = (
    (
        "id_migraine_disability",
        "Has a headache limited the patient's activities for a day or more in the last 3 months?",
        "Has a headache stopped you doing your usual activities for a day or more in the last "
        "3 months?",
    ),
    (
        "id_migraine_nausea",
        "Does the patient feel sick (nauseated) when they have a headache?",
        "Do you feel sick when you have a headache?",
    ),
    (
        "id_migraine_light",
        "Does light bother the patient when they have a headache?",
        "Does light bother you when you have a headache?",
    ),
)
ID_MIGRAINE_FIELDS = tuple(name for name, _professional, _plain in ID_MIGRAINE_QUESTIONS)


class RedFlagsField(forms.MultipleChoiceField):
    """Red-flag codes from a checklist; an unknown code is an error, never ignored."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, *, choices, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "error_messages",
            {
                "invalid_choice": (
                    "%(value)s is not a red flag on this checklist. Tick only the listed items."
                )
            },
        )
        super().__init__(choices=choices, **kwargs)

    def clean(self, value):
        codes = super().clean(value)
        return list(rules.validated_red_flags(codes))


class AnswersField(forms.CharField):
    """Item answers typed as numbers separated by spaces or commas (or run together when each
    is one digit), scored by pathway.instruments so a wrong count or range is an error."""

    def __init__(self, *, code: str, **kwargs):
        self.code = code
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 60)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("spellcheck", "false")
        self.widget.attrs.setdefault("autocomplete", "off")

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        if re.search(r"[^0-9,\s]", value):
            raise forms.ValidationError(
                f"Enter the {self.code} item scores as numbers only, for example 1 0 2.",
                code="invalid",
            )
        tokens = re.findall(r"[0-9]+", value)
        item_count = instruments.INSTRUMENTS[self.code].max_items
        if len(tokens) == 1 and len(tokens[0]) == item_count:
            tokens = list(tokens[0])
        answers = [int(token) for token in tokens]
        try:
            instruments.score(self.code, answers)
        except instruments.InvalidAnswers as exc:
            raise forms.ValidationError(f"{exc}.", code="invalid") from exc
        return answers


def _yes_no(label: str) -> forms.ChoiceField:
    """An optional yes/no question answered with inline radios (the ID Migraine items)."""
    return forms.ChoiceField(
        label=label,
        choices=YES_NO,
        required=False,
        widget=forms.RadioSelect(attrs={"inline": True}),
    )


def _id_migraine_answers(form: forms.Form) -> list[bool] | None:
    """All three ID Migraine answers as booleans, None when none were given; an error on the
    first question when only some were."""
    given = [form.cleaned_data.get(name) for name in ID_MIGRAINE_FIELDS]
    if not any(given):
        return None
    if not all(given):
        form.add_error(
            ID_MIGRAINE_FIELDS[0], "Answer all three ID Migraine questions, or leave all three."
        )
        return None
    return [answer == "yes" for answer in given]


class ReferralForm(forms.Form):
    """The single-page referral for GPs and partners."""

    referring_as = forms.ChoiceField(
        label="You are referring as",
        choices=[
            (Referral.Source.GP, "GP"),
            (Referral.Source.PARTNER, "Partner (pharmacist, physiotherapist or other)"),
        ],
        initial=Referral.Source.GP,
        widget=forms.RadioSelect(attrs={"inline": True}),
        error_messages={"required": "Select whether you are referring as a GP or a partner"},
    )
    nhs_number = NhsNumberField(
        help_text="We look the patient up at your practices. 10 digits, like 943 476 5919.",
        error_messages={"required": "Enter the patient's NHS number"},
    )

    condition = forms.ChoiceField(
        label="Condition group",
        choices=Condition.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select the condition",
            "invalid_choice": "Select the condition from the list",
        },
    )
    problem = forms.CharField(
        label="The problem, in the patient's words",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Enter the problem, in the patient's words"},
    )
    red_flags = RedFlagsField(label="Red flags", choices=list(rules.RED_FLAGS.items()))
    current_acute_medication = forms.CharField(
        label="Current acute (painkiller or triptan) medication",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    acute_medication_days_per_month = forms.IntegerField(
        label="Days per month acute medication is taken",
        min_value=0,
        max_value=31,
        required=False,
        error_messages={
            "min_value": "Days per month must be 0 or more.",
            "max_value": "Days per month must be 31 or fewer.",
            "invalid": "Enter days per month as a whole number, like 8.",
        },
    )
    mental_health_concerns = forms.CharField(
        label="Mental health concerns",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    phq9 = AnswersField(
        code="PHQ-9",
        label="PHQ-9 item scores, if done",
        help_text="9 numbers from 0 to 3 in item order, for example 1 2 0 1 0 0 2 1 0",
    )
    gad7 = AnswersField(
        code="GAD-7",
        label="GAD-7 item scores, if done",
        help_text="7 numbers from 0 to 3 in item order, for example 1 1 0 2 0 1 0",
    )
    patient_goals = forms.CharField(
        label="What the patient wants from the service",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    id_migraine_disability = _yes_no(ID_MIGRAINE_QUESTIONS[0][1])
    id_migraine_nausea = _yes_no(ID_MIGRAINE_QUESTIONS[1][1])
    id_migraine_light = _yes_no(ID_MIGRAINE_QUESTIONS[2][1])
    consent_to_contact = forms.BooleanField(
        label="The patient agrees to be contacted by the headache and pain service",
        error_messages={"required": "The patient must agree to be contacted before you refer."},
    )
    preferred_contact = forms.ChoiceField(
        label="How the patient prefers to be contacted",
        choices=Referral.PreferredContact.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select how the patient prefers to be contacted"},
    )
    interpreter_language = forms.CharField(
        label="Interpreter needed: language",
        max_length=80,
        required=False,
        help_text="Leave blank if no interpreter is needed",
    )
    accessibility_needs = forms.CharField(
        label="Reasonable adjustments or accessibility needs",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.patient: Patient | None = None
        # True when the NHS number is new to the system: NewPatientForm must then be filled in.
        self.needs_new_patient = False
        # Progressive enhancement (htmx): look the patient up as the number is typed. The
        # red-flag screen re-runs itself when the lookup or the date of birth changes the age.
        # One request at a time per form ("queue last"), so a slow answer never overwrites a
        # newer one.
        self.fields["nhs_number"].widget.attrs.update(
            {
                "hx-post": reverse("referrals:patient-lookup"),
                "hx-trigger": "input changed delay:400ms, change",
                "hx-include": "this",
                "hx-target": "#patient-lookup",
                "hx-sync": "closest form:queue last",
            }
        )

    def clean(self):
        data = super().clean()
        number = data.get("nhs_number")
        if number:
            self.patient = selectors.visible_patient_by_nhs_number(self.user, number)
            if self.patient is None:
                if selectors.nhs_number_is_registered(number):
                    self.add_error(
                        "nhs_number",
                        "A patient with this NHS number is registered at a practice you do not "
                        "work with. Check the number.",
                    )
                else:
                    self.needs_new_patient = True
        data["id_migraine"] = _id_migraine_answers(self)
        return data

    def content(self, preventives: list[dict]) -> ReferralContent:
        data = self.cleaned_data
        questionnaires = {}
        if data.get("id_migraine"):
            questionnaires["ID_MIGRAINE"] = data["id_migraine"]
        if data.get("phq9"):
            questionnaires["PHQ-9"] = data["phq9"]
        if data.get("gad7"):
            questionnaires["GAD-7"] = data["gad7"]
        return ReferralContent(
            condition=data["condition"],
            problem=data["problem"].strip(),
            red_flags=tuple(data["red_flags"]),
            consent_to_contact=data["consent_to_contact"],
            preferred_contact=data["preferred_contact"],
            patient_goals=data.get("patient_goals", "").strip(),
            current_acute_medication=data.get("current_acute_medication", "").strip(),
            acute_medication_days_per_month=data.get("acute_medication_days_per_month"),
            mental_health_concerns=data.get("mental_health_concerns", "").strip(),
            interpreter_language=data.get("interpreter_language", "").strip(),
            accessibility_needs=data.get("accessibility_needs", "").strip(),
            questionnaires=questionnaires,
            preventives=tuple(preventives),
        )


class NewPatientForm(forms.Form):
    """A patient new to the system, added with the referral (prefix "new")."""

    given_name = forms.CharField(label="First name", max_length=100)
    family_name = forms.CharField(label="Last name", max_length=100)
    date_of_birth = PastDateField(label="Date of birth")
    sex = forms.ChoiceField(
        label="Sex",
        choices=Patient.Sex.choices,
        initial=Patient.Sex.NOT_KNOWN,
        error_messages={"required": "Choose the patient's sex."},
    )
    registered_practice = forms.ModelChoiceField(
        label="Registered practice", queryset=Patient.objects.none(), empty_label="Choose"
    )
    mobile = UkMobileField(required=False, help_text="For example 07700 900123")
    email = forms.EmailField(label="Email address", required=False)

    error_messages = {
        "given_name": "Enter the patient's first name",
        "family_name": "Enter the patient's last name",
        "date_of_birth": "Enter the patient's date of birth",
        "registered_practice": "Choose the patient's registered practice",
    }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["registered_practice"].queryset = practices_visible_to(user)
        for name, message in self.error_messages.items():
            self.fields[name].error_messages["required"] = message

    def patient_data(self, nhs_number: str) -> dict:
        data = self.cleaned_data
        return {
            "nhs_number": nhs_number,
            "given_name": data["given_name"].strip(),
            "family_name": data["family_name"].strip(),
            "date_of_birth": data["date_of_birth"],
            "sex": data["sex"],
            "registered_practice": data["registered_practice"],
            "mobile": data.get("mobile") or "",
            "email": data.get("email") or "",
        }


class PreventiveForm(forms.Form):
    medicine = forms.CharField(label="Medicine", max_length=120, required=False)
    dose = forms.CharField(label="Dose", max_length=80, required=False)
    duration_weeks = forms.IntegerField(
        label="Weeks taken",
        min_value=0,
        max_value=520,
        required=False,
        error_messages={
            "invalid": "Enter the weeks taken as a whole number, like 12.",
            "min_value": "Weeks taken must be 0 or more.",
            "max_value": "Weeks taken must be 520 or fewer.",
        },
    )
    stopped_reason = forms.ChoiceField(
        label="Why stopped",
        choices=[("", "Choose"), *PreventiveTried.StoppedReason.choices],
        required=False,
    )

    def clean(self):
        data = super().clean()
        medicine = (data.get("medicine") or "").strip()
        if not medicine and any(data.get(name) for name in ("dose", "stopped_reason")):
            self.add_error("medicine", "Enter the name of the preventive medicine.")
        if medicine and not data.get("stopped_reason"):
            self.add_error("stopped_reason", f"Say why {medicine} was stopped, or that it is not.")
        return data

    def row(self) -> dict | None:
        data = self.cleaned_data
        if not (data.get("medicine") or "").strip():
            return None
        return {
            "medicine": data["medicine"].strip(),
            "dose": (data.get("dose") or "").strip(),
            "duration_weeks": data.get("duration_weeks"),
            "stopped_reason": data["stopped_reason"],
        }


PreventiveFormSet = forms.formset_factory(
    PreventiveForm, extra=3, max_num=10, validate_max=True, absolute_max=10
)


def preventive_rows(formset) -> list[dict]:
    return [row for form in formset.forms if (row := form.row()) is not None]


class ScreenForm(forms.Form):
    """What the live red-flag screen needs besides the ticked codes (which go straight to
    referrals.rules): the patient's age, from the NHS number of a patient the user may see or a
    typed date of birth."""

    nhs_number = NhsNumberField(required=False)
    date_of_birth = PastDateField(required=False)


class PracticeChoiceField(forms.ModelChoiceField):
    """A practice by its name alone: patients know their surgery's name, not its ODS code."""

    def label_from_instance(self, obj) -> str:
        return obj.name


class SelfReferralForm(forms.Form):
    """The public self-referral, in plain English."""

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
        queryset=selectors.all_practices(),
        empty_label="Choose",
        error_messages={
            "required": "Select your GP practice",
            "invalid_choice": "Select your GP practice from the list",
        },
    )
    email = forms.EmailField(label="Email address", required=False)
    mobile = UkMobileField(required=False, help_text="For example 07700 900123")
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
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Tell us about your headaches or pain"},
    )
    red_flags = RedFlagsField(
        label="Do you have any of these?",
        help_text="Tick all that apply. Leave them all unticked if none apply.",
        choices=list(rules.PATIENT_RED_FLAG_QUESTIONS.items()),
    )
    patient_goals = forms.CharField(
        label="What would you like help with?",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
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
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    consent_to_contact = forms.BooleanField(
        label="I agree that the headache and pain team can contact me and my GP practice about "
        "this referral",
        error_messages={"required": "You need to agree that we can contact you to refer yourself."},
    )

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
        if not data.get("email") and not data.get("mobile") and "mobile" not in self.errors:
            self.add_error("mobile", "Enter a mobile phone number or an email address.")
        elif missing == "email":
            self.add_error("email", "Enter an email address, or choose another way to contact you.")
        elif missing == "mobile" and "mobile" not in self.errors:
            self.add_error(
                "mobile", "Enter a mobile phone number, or choose another way to contact you."
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
        widget=forms.RadioSelect(attrs={"inline": True}),
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
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    note = forms.CharField(
        label="Note for the team or the receiving service",
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, urgency: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        # The screen's urgency: accepting below it needs the reason, in the note.
        self.urgency = urgency
        if urgency == rules.URGENT:
            self.fields["note"].help_text = (
                "The red-flag screen said urgent. If you accept at routine priority, give the "
                "reason here."
            )
            self.fields["note"].conditionally_required = True

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
            and not (data.get("note") or "").strip()
        ):
            self.add_error(
                "note",
                f"Give the reason for accepting at {data['priority']} priority when the "
                f"red-flag screen said {self.urgency}.",
            )
        if decision == rules.REJECT:
            if not data.get("rejection_reason"):
                self.add_error("rejection_reason", "Choose the reason for rejecting.")
            if not (data.get("advice_to_referrer") or "").strip():
                self.add_error("advice_to_referrer", "Give advice to the referrer.")
        if decision == rules.REDIRECT:
            if not data.get("redirect_to"):
                self.add_error("redirect_to", "Choose where to redirect the referral.")
            if (
                not (data.get("note") or "").strip()
                and not (data.get("advice_to_referrer") or "").strip()
            ):
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
        )


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


class WaitingListFilterForm(forms.Form):
    practice = forms.ModelChoiceField(
        label="Practice", queryset=Patient.objects.none(), required=False, empty_label="All"
    )
    priority = forms.ChoiceField(
        label="Priority", choices=[("", "All"), *Referral.Priority.choices], required=False
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practice"].queryset = practices_visible_to(user)
