"""Access rules for every reviews URL (tests/test_access_matrix.py). Objects belong to
`world.patient` (practice A, PCN 1): their GP may read the Reviews tab, PCN 1's clinician and the
administrator may act; everyone else gets 404."""

from tests.access import Rule
from tests.reviews import builders

CLINICIANS = frozenset({"clinician", "other_clinician", "admin"})
TEAM = frozenset({"clinician", "admin"})
PATIENTS = frozenset({"patient", "other_patient"})


def _appointment(w):
    return {"appointment_uuid": builders.appointment(w.patient, w.clinician).uuid}


def _patient(w):
    return {"patient_uuid": w.patient.uuid}


def _session(w):
    return {"session_uuid": builders.group_session(w.service).uuid}


def _booking(w):
    return {"booking_uuid": builders.booking(builders.group_session(w.service), w.patient).uuid}


def _request(w):
    return {"request_uuid": builders.questionnaire_request(w.patient).uuid}


def _booking_request(w):
    from django.utils import timezone

    from reviews.models import BookingRequest

    row = BookingRequest.objects.create(
        patient=w.patient, kind="annual_review", requested_at=timezone.now()
    )
    return {"request_uuid": row.uuid}


RULES = {
    # The worklist and team lists: any clinician (their own team's rows), 404 for others.
    "reviews:worklist": Rule(allowed=CLINICIANS),
    "reviews:appointments": Rule(allowed=CLINICIANS),
    "reviews:group-sessions": Rule(allowed=CLINICIANS),
    "reviews:group-session-create": Rule(allowed=CLINICIANS, ok=(200, 302)),
    "reviews:mdt": Rule(allowed=CLINICIANS),
    "reviews:failed-notifications": Rule(allowed=CLINICIANS),
    # One patient's objects: PCN 1's clinician and the administrator only.
    "reviews:alert": Rule(
        allowed=TEAM, kwargs=lambda w: {"alert_uuid": builders.safety_alert(w.patient).uuid}
    ),
    "reviews:appointment": Rule(allowed=TEAM, kwargs=_appointment),
    "reviews:episode": Rule(
        allowed=TEAM, kwargs=lambda w: {"episode_uuid": builders.episode_for(w.patient).uuid}
    ),
    "reviews:appointment-reschedule": Rule(allowed=TEAM, kwargs=_appointment),
    "reviews:appointment-cancel": Rule(allowed=TEAM, kwargs=_appointment),
    "reviews:appointment-attendance": Rule(allowed=TEAM, kwargs=_appointment, ok=(405,)),
    "reviews:appointment-not-rebooking": Rule(allowed=TEAM, kwargs=_appointment, ok=(405,)),
    "reviews:review": Rule(allowed=TEAM, kwargs=_appointment),
    "reviews:booking-request-close": Rule(allowed=TEAM, kwargs=_booking_request, ok=(405,)),
    # The patient page tab: their GP reads it too.
    "reviews:patient-reviews": Rule(allowed=frozenset({"gp", *TEAM}), kwargs=_patient),
    "reviews:discharge-letter": Rule(
        allowed=frozenset({"gp", *TEAM}),
        kwargs=lambda w: {"letter_uuid": builders.discharge_letter(w.patient).uuid},
    ),
    "reviews:appointment-create": Rule(allowed=TEAM, kwargs=_patient),
    "reviews:questionnaire-request": Rule(allowed=TEAM, kwargs=_patient, ok=(405,)),
    "reviews:questionnaire-cancel": Rule(allowed=TEAM, kwargs=_request, ok=(405,)),
    "reviews:questionnaire-record": Rule(allowed=TEAM, kwargs=_request),
    "reviews:mdt-create": Rule(allowed=TEAM, kwargs=_patient),
    "reviews:mdt-case": Rule(
        allowed=TEAM, kwargs=lambda w: {"case_uuid": builders.mdt_case(w.patient).uuid}
    ),
    "reviews:group-session": Rule(allowed=TEAM, kwargs=_session),
    "reviews:group-session-invite": Rule(allowed=TEAM, kwargs=_session, ok=(405,)),
    "reviews:group-session-cancel": Rule(allowed=TEAM, kwargs=_session, ok=(405,)),
    "reviews:group-booking": Rule(allowed=TEAM, kwargs=_booking, ok=(405,)),
    "reviews:notification-retry": Rule(
        allowed=TEAM,
        kwargs=lambda w: {"notification_uuid": builders.failed_notification(w.patient).uuid},
        ok=(405,),
    ),
    # The patient's own pages: every patient has a list; one patient's objects are theirs.
    "reviews:my-appointments": Rule(allowed=PATIENTS),
    "reviews:my-questionnaires": Rule(allowed=PATIENTS),
    "reviews:my-booking-request": Rule(allowed=PATIENTS, ok=(405,)),
    "reviews:my-appointment-rearrange": Rule(allowed=frozenset({"patient"}), kwargs=_appointment),
    "reviews:my-appointment-cancel": Rule(allowed=frozenset({"patient"}), kwargs=_appointment),
    "reviews:my-group-booking": Rule(allowed=frozenset({"patient"}), kwargs=_booking, ok=(405,)),
    "reviews:my-group-booking-cancel": Rule(allowed=frozenset({"patient"}), kwargs=_booking),
    "reviews:my-questionnaire": Rule(allowed=frozenset({"patient"}), kwargs=_request),
    "reviews:my-questionnaire-done": Rule(
        allowed=frozenset({"patient"}), kwargs=_request, ok=(302,)
    ),
}
