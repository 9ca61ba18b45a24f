"""Referral and triage pages. Thin: parse the form, fetch through the access helpers, call one
service, then redirect or render. Another person's referral answers 404.

* `referral`: the GP's and partner's referral, its live screen and patient lookup, the emergency
  stop.
* `self_referral`: the public self-referral.
* `lists`: the referrer's own referrals, the triage queue and the waiting list.
* `triage`: a referral's page and the triage decision.
* `matching`: matching a self-referral to the patient's record, and undoing a wrong match.
* `records`: a referral letter's download, the patient's referrals tab, and the patient's own
  page about their self-referral.
* `screening`: the live red-flag screen's outcome, shared by both kinds of referral.
"""

from referrals.views.lists import (
    PAGE_SIZE,
    TRIAGE_ROW_FIELDS,
    mine,
    outcomes_to_tell,
    triage_queue,
    waiting_list,
)
from referrals.views.matching import add_patient, close_duplicate, correct_match, match, unmatch
from referrals.views.records import letter, patient_referrals, yours
from referrals.views.referral import create, emergency_stop, gp_required, patient_lookup, screen
from referrals.views.self_referral import (
    SELF_REFERRAL_SESSION_KEY,
    SELF_REFERRAL_THROTTLED_MESSAGE,
    self_refer,
    self_refer_screen,
    self_refer_sent,
)
from referrals.views.triage import decide, detail, record_told, triage_required, withdraw

__all__ = [
    "add_patient",
    "PAGE_SIZE",
    "SELF_REFERRAL_SESSION_KEY",
    "SELF_REFERRAL_THROTTLED_MESSAGE",
    "TRIAGE_ROW_FIELDS",
    "close_duplicate",
    "correct_match",
    "create",
    "decide",
    "detail",
    "emergency_stop",
    "gp_required",
    "letter",
    "match",
    "mine",
    "outcomes_to_tell",
    "patient_lookup",
    "patient_referrals",
    "record_told",
    "screen",
    "self_refer",
    "self_refer_screen",
    "self_refer_sent",
    "triage_queue",
    "triage_required",
    "unmatch",
    "waiting_list",
    "withdraw",
    "yours",
]
