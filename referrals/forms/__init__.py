"""Referral, self-referral, triage and matching forms, with NHS.UK-style messages.

* `fields`: the red-flag checklist, questionnaire item scores and the ID Migraine questions.
* `referral`: the GP's and partner's referral, a new patient, preventives tried, the live screen.
* `self_referral`: the public self-referral, in plain English.
* `triage`: the triage decision and the waiting list's filters.
* `matching`: matching a self-referral to the patient's record, and undoing a wrong match.
"""

from referrals.forms.fields import (
    ID_MIGRAINE_FIELDS,
    ID_MIGRAINE_QUESTIONS,
    YES_NO,
    AnswersField,
    RedFlagsField,
)
from referrals.forms.matching import DuplicateForm, MatchForm, UnmatchForm
from referrals.forms.referral import (
    NewPatientForm,
    PreventiveForm,
    PreventiveFormSet,
    ReferralForm,
    ScreenForm,
    preventive_rows,
    resend_initial,
)
from referrals.forms.self_referral import PracticeChoiceField, SelfReferralForm
from referrals.forms.triage import DecisionForm, ToldForm, WaitingListFilterForm

__all__ = [
    "DuplicateForm",
    "ID_MIGRAINE_FIELDS",
    "ID_MIGRAINE_QUESTIONS",
    "YES_NO",
    "AnswersField",
    "DecisionForm",
    "MatchForm",
    "NewPatientForm",
    "PracticeChoiceField",
    "PreventiveForm",
    "PreventiveFormSet",
    "RedFlagsField",
    "ReferralForm",
    "ScreenForm",
    "SelfReferralForm",
    "ToldForm",
    "UnmatchForm",
    "WaitingListFilterForm",
    "preventive_rows",
    "resend_initial",
]
