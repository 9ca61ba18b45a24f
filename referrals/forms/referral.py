"""The GP's and partner's referral: the referral itself, a patient new to the system, the
preventive medicines tried, and what the live red-flag screen needs."""

from django import forms
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone

from pathway.forms import (
    ELSEWHERE_CHECK_THE_NUMBER,
    NhsNumberField,
    PastDateField,
    Textarea,
    TooLongInWords,
    UkMobileField,
)
from pathway.models import Patient
from pathway.models.episodes import Condition
from pathway.permissions import practices_visible_to
from referrals import rules, selectors
from referrals.forms.fields import (
    ID_MIGRAINE_QUESTIONS,
    AnswersField,
    RedFlagsField,
    _id_migraine_answers,
    _yes_no,
)
from referrals.models import PreventiveTried, Referral
from referrals.services import ReferralContent


class ReferralForm(TooLongInWords, forms.Form):
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
        widget=Textarea(attrs={"rows": 4}),
        error_messages={"required": "Enter the problem, in the patient's words"},
    )
    red_flags = RedFlagsField(label="Red flags", choices=list(rules.RED_FLAGS.items()))
    # Asked when a flag that counts only with a new-onset headache is ticked without it
    # (rules.qualified_without_new_onset): the referrer says which it is.
    headache_not_new = forms.BooleanField(
        label="The headache is not new: it is a long-standing pattern",
        required=False,
        help_text="Only needed with a flag that counts with a new-onset headache, such as "
        "compromised immunity, when new-onset headache is not ticked",
    )
    current_acute_medication = forms.CharField(
        label="Current acute (painkiller or triptan) medication",
        max_length=1000,
        required=False,
        widget=Textarea(attrs={"rows": 2}),
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
        widget=Textarea(attrs={"rows": 2}),
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
        widget=Textarea(attrs={"rows": 2}),
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
        help_text="For a patient new to the service, text message or email (with the number or "
        "address given with their details) records that they agree to appointment messages "
        "that way.",
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
        widget=Textarea(attrs={"rows": 2}),
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

    def check_new_onset(self, born) -> bool:
        """Ask whether the headache is new when a flag that counts only with a new-onset
        headache is ticked without it, for a patient born on `born` (None when not known yet:
        asked for every flag that could count). Adds the error and returns False when it must
        be answered first."""
        data = self.cleaned_data
        if unanswered := self._new_onset_unanswered(data.get("red_flags") or [], data, born):
            self.add_error("red_flags", unanswered)
            return False
        return True

    def _new_onset_unanswered(self, flags, data, born) -> str:
        """The error when a flag that counts only with a new-onset headache is ticked without
        it and the referrer has not said the headache is not new, unless nothing could change
        by the answer (an emergency, or urgent already at every age); else ""."""
        if not flags or data.get("headache_not_new") or rules.is_emergency(flags):
            return ""
        if rules.urgency_at_any_age(flags) == rules.URGENT:
            return ""
        age = rules.age_in_years(born, timezone.localdate()) if born else None
        asked = [rules.RED_FLAGS[code] for code in rules.qualified_without_new_onset(flags, age)]
        if not asked:
            return ""
        unanswered = rules.NEW_ONSET_UNANSWERED.format(
            flags=" and ".join(asked), s="" if len(asked) > 1 else "s"
        )
        if data.get("condition") == Condition.CHRONIC_PAIN:
            unanswered += f" {rules.NO_HEADACHE_UNTICK}"
        return unanswered

    def clean(self):
        data = super().clean()
        number = data.get("nhs_number")
        if number:
            self.patient = selectors.visible_patient_by_nhs_number(self.user, number)
            if self.patient is None:
                if selectors.nhs_number_is_registered(number):
                    self.add_error("nhs_number", ELSEWHERE_CHECK_THE_NUMBER)
                else:
                    self.needs_new_patient = True
        flags = data.get("red_flags") or []
        if rules.qualifier_without_its_flag(flags) and not rules.is_emergency(flags):
            self.add_error("red_flags", rules.NECK_STIFFNESS_WITHOUT_FEVER)
        if not self.needs_new_patient:
            # A new patient's date of birth is on the new-patient form: the view asks then.
            self.check_new_onset(self.patient.date_of_birth if self.patient else None)
        days = data.get("acute_medication_days_per_month")
        if days and not (data.get("current_acute_medication") or "").strip():
            self.add_error(
                "current_acute_medication",
                f"Enter the acute medication taken on {days} day{pluralize(days)} a month, "
                "or leave the days empty.",
            )
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
            headache_not_new=bool(data.get("headache_not_new")),
        )


class NewPatientForm(TooLongInWords, forms.Form):
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


class PreventiveForm(TooLongInWords, forms.Form):
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


# What a referral sent again starts from (Referral.resends): the earlier referral's answers,
# except the red flags, the patient's consent and the questionnaire scores, which are asked
# again because they may have changed since.
RESENT_FIELDS = (
    "condition",
    "problem",
    "current_acute_medication",
    "acute_medication_days_per_month",
    "mental_health_concerns",
    "patient_goals",
    "preferred_contact",
    "interpreter_language",
    "accessibility_needs",
)


def resend_initial(earlier: Referral) -> tuple[dict, list[dict]]:
    """The referral form's and the preventives formset's initial data for sending `earlier`
    again. The referrer is the one sending now, so "referring as" keeps its default."""
    initial = {name: getattr(earlier, name) for name in RESENT_FIELDS}
    initial["nhs_number"] = earlier.patient.nhs_number_display
    preventives = [
        {
            "medicine": item.medicine,
            "dose": item.dose,
            "duration_weeks": item.duration_weeks,
            "stopped_reason": item.stopped_reason,
        }
        for item in earlier.preventives.all()
    ]
    return initial, preventives


class ScreenForm(forms.Form):
    """What the live red-flag screen needs besides the ticked codes (which go straight to
    referrals.rules): the patient's age, from the NHS number of a patient the user may see or a
    typed date of birth."""

    nhs_number = NhsNumberField(required=False)
    date_of_birth = PastDateField(required=False)

    @staticmethod
    def date_of_birth_data(post, *, name: str = "date_of_birth") -> dict:
        """The date of birth's boxes (day, month, year) among a page's posted fields, named as
        this form names them: `name` is the field's name on that page (with its prefix)."""
        return {
            f"date_of_birth{key[len(name) :]}": value
            for key, value in post.items()
            if key == name or key.startswith(f"{name}_")
        }
