"""A referral waiting for triage, screened again when the patient's date of birth is corrected.

The screen worked out the referral's urgency with the patient's age on the day it was sent
(`age_at_referral`), and a new headache at 50 or over is urgent on age alone (clinical-rules.md
section 9). A date of birth typed wrongly would leave that flag unseen, or show an adult as a
child, until triage: so a correction (pathway.services.correct_patient_details) runs the screen
again on every referral of the patient still waiting for triage, with the same red flags and the
corrected age, and keeps what it gives, higher or lower, as the rule does for any referral.
Decided referrals are left as they were decided.
"""

from django.utils import timezone

from pathway.audit import record_event
from pathway.models import AuditEvent
from referrals import rules
from referrals.models import Referral


def screen_again_for_corrected_birth_date(sender, *, patient, changed, actor, **kwargs) -> list:
    """Receiver of pathway.signals.patient_details_corrected: runs in the correction's
    transaction. Returns a sentence for each referral whose urgency, or whether it is for an
    adult, the corrected age changed."""
    if "date_of_birth" not in changed:
        return []
    waiting = (
        Referral.objects.select_for_update()
        .filter(patient=patient, status=rules.SUBMITTED, entered_in_error=False)
        .order_by("submitted_at", "pk")
    )
    notes = [
        screen_again(referral, patient.date_of_birth, actor=actor, age_from="the corrected age")
        for referral in waiting
    ]
    return [note for note in notes if note]


def screen_again(referral: Referral, date_of_birth, *, actor, age_from: str) -> str:
    """Run the screen again on `referral`, waiting for triage and locked by the caller, with the
    age `date_of_birth` gives on the day it was sent and the same red flags; save and audit what
    changed (on the referral's patient's record, when it has one). Returns a sentence when its
    urgency, or whether it is for an adult, changed, naming where the age came from
    (`age_from`), else ""."""
    sent_on = timezone.localdate(referral.submitted_at)
    # A date of birth after the day it was sent cannot be right, but is the record's now: the
    # youngest age there is.
    age = rules.age_in_years(date_of_birth, max(sent_on, date_of_birth))
    if age == referral.age_at_referral:
        return ""
    urgency = rules.triage_urgency(age, referral.red_flags)
    was_adult = rules.is_adult(referral.age_at_referral)
    fields = ["age_at_referral", "rescreened_at"]
    referral.age_at_referral = age
    referral.rescreened_at = timezone.now()
    if urgency != referral.urgency:
        referral.urgency = urgency
        fields.append("urgency")
    referral.updated_by = actor
    referral.save(update_fields=[*fields, "updated_by", "updated_at"])
    record_event(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        patient=referral.patient,
        obj=referral,
        fields=fields,
    )
    return _note(
        referral,
        sent_on,
        age,
        urgency_changed="urgency" in fields,
        was_adult=was_adult,
        age_from=age_from,
    )


def _note(referral, sent_on, age: int, *, urgency_changed: bool, was_adult: bool, age_from) -> str:
    the_referral = f"The referral sent on {sent_on:%-d %B %Y}, waiting for triage,"
    said = []
    if urgency_changed:
        said.append(f"is now {referral.get_urgency_display().lower()}")
    if was_adult != rules.is_adult(age):
        said.append("is for a patient under 18" if was_adult else "is for an adult")
    if not said:
        return ""
    return f"{the_referral} {' and '.join(said)}: the screen was run again with {age_from}, {age}."
