"""Signals the kernel defines so that apps lower in the import order (DESIGN.md section 2) can
tell apps above them what happened, without importing them."""

from django.dispatch import Signal

# Sent by a service right after it stores a completed questionnaire (`assessment=`), inside the
# same transaction. The reviews app raises a PHQ-9 item 9 safety alert from it, so a risky answer
# reaches the care team whichever app recorded it.
assessment_recorded = Signal()

# Sent by pathway.services.correct_patient_details right after it saves a corrected name, date of
# birth or sex, inside the same transaction, with `patient` (as saved), `changed` (the field
# names) and `actor`. Each receiver returns a list of sentences telling the user what else the
# correction changed in its app, for the page to show. The referrals app screens a referral
# still waiting for triage again with a corrected date of birth.
patient_details_corrected = Signal()

# Sent by the referrals app when a referral ends the episode it alone had opened before the team
# took the patient into care (rejected or redirected at triage, or withdrawn), right after the
# episode is discharged, inside the same transaction, with `episode`, `actor` and `now`. The
# reviews app cancels what was booked for that episode, and, when no other episode stays open,
# what the patient would still be asked for or sent.
referral_episode_ended = Signal()

# Sent by the referrals app when the team closes a self-referral as a copy of a referral already
# accepted into care and the copy gives red flags the accepted referral does not, inside the same
# transaction, with `copy` (the closed self-referral), `original` (the accepted referral, whose
# patient it is), `red_flags` (the codes only the copy gives) and `actor`. The reviews app raises
# a safety alert for the patient, so the new flags reach a clinician caring for them.
red_flags_for_patient_in_care = Signal()

# Sent by the referrals app when a GP's or partner's referral is stopped by an emergency red flag
# for a patient already under the service (an open episode), inside the same transaction, with
# `stop` (the referrals.EmergencyStop, which names the patient) and `actor`. The reviews app
# raises a safety alert for the patient, so the clinicians caring for them learn that they were
# sent for same-day care and can act on it.
emergency_stop_for_patient_in_care = Signal()
