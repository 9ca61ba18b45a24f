from datetime import timedelta

from django.utils import timezone

from tests.access import STAFF, Rule
from tests.diaries.builders import preparing_report, ready_report

PATIENTS = frozenset({"patient", "other_patient"})
# Reports and the report request follow patient visibility: the patient themself, their GP,
# the clinician of their PCN, and administrators.
CAN_SEE_PATIENT = frozenset({"patient"}) | STAFF

RULES = {
    "diaries:today": Rule(allowed=PATIENTS),
    "diaries:day": Rule(
        allowed=PATIENTS, kwargs=lambda w: {"day": timezone.localdate() - timedelta(days=1)}
    ),
    "diaries:episode-form": Rule(allowed=PATIENTS),
    "diaries:calendar": Rule(allowed=PATIENTS),
    "diaries:summary": Rule(allowed=PATIENTS),
    "diaries:patient-diary": Rule(allowed=STAFF, kwargs=lambda w: {"patient_uuid": w.patient.uuid}),
    "diaries:report-request": Rule(
        allowed=CAN_SEE_PATIENT,
        method="post",
        ok=(302,),
        kwargs=lambda w: {"patient_uuid": w.patient.uuid},
    ),
    "diaries:report-status": Rule(
        allowed=CAN_SEE_PATIENT, kwargs=lambda w: {"report_uuid": preparing_report(w.patient).uuid}
    ),
    "diaries:report-pdf": Rule(
        allowed=CAN_SEE_PATIENT, kwargs=lambda w: {"report_uuid": ready_report(w.patient).uuid}
    ),
}
