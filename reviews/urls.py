from django.urls import path

from reviews.views import (
    appointments,
    episodes,
    groups,
    mdt,
    notifications,
    patient_page,
    portal,
    worklist,
)

app_name = "reviews"

urlpatterns = [
    # The care team's home; "team/" because it replaces the kernel's /team/ placeholder.
    path("team/", worklist.worklist_page, name="worklist"),
    path("alerts/<uuid:alert_uuid>/", worklist.alert_detail, name="alert"),
    path("appointments/", appointments.appointment_list, name="appointments"),
    path(
        "appointments/<uuid:appointment_uuid>/",
        appointments.appointment_detail,
        name="appointment",
    ),
    path(
        "appointments/<uuid:appointment_uuid>/move/",
        appointments.appointment_reschedule,
        name="appointment-reschedule",
    ),
    path(
        "appointments/<uuid:appointment_uuid>/cancel/",
        appointments.appointment_cancel,
        name="appointment-cancel",
    ),
    path(
        "appointments/<uuid:appointment_uuid>/attendance/",
        appointments.appointment_attendance,
        name="appointment-attendance",
    ),
    path(
        "appointments/<uuid:appointment_uuid>/not-rebooking/",
        appointments.appointment_not_rebooking,
        name="appointment-not-rebooking",
    ),
    path("appointments/<uuid:appointment_uuid>/review/", appointments.review_page, name="review"),
    path(
        "booking-requests/<uuid:request_uuid>/close/",
        appointments.booking_request_close,
        name="booking-request-close",
    ),
    path("patients/<uuid:patient_uuid>/", patient_page.patient_reviews, name="patient-reviews"),
    path("episodes/<uuid:episode_uuid>/", episodes.episode_page, name="episode"),
    path(
        "discharge-letters/<uuid:letter_uuid>/",
        episodes.discharge_letter,
        name="discharge-letter",
    ),
    path(
        "patients/<uuid:patient_uuid>/book/",
        appointments.appointment_create,
        name="appointment-create",
    ),
    path(
        "patients/<uuid:patient_uuid>/questionnaires/",
        patient_page.questionnaire_request,
        name="questionnaire-request",
    ),
    path(
        "questionnaires/<uuid:request_uuid>/record/",
        patient_page.questionnaire_record,
        name="questionnaire-record",
    ),
    path(
        "questionnaires/<uuid:request_uuid>/cancel/",
        patient_page.questionnaire_cancel,
        name="questionnaire-cancel",
    ),
    path("patients/<uuid:patient_uuid>/mdt/", patient_page.mdt_create, name="mdt-create"),
    path("mdt/", mdt.mdt_list, name="mdt"),
    path("mdt/<uuid:case_uuid>/", mdt.mdt_case, name="mdt-case"),
    path("group-sessions/", groups.session_list, name="group-sessions"),
    path("group-sessions/new/", groups.session_create, name="group-session-create"),
    path("group-sessions/<uuid:session_uuid>/", groups.session_detail, name="group-session"),
    path(
        "group-sessions/<uuid:session_uuid>/cancel/",
        groups.session_cancel,
        name="group-session-cancel",
    ),
    path(
        "group-sessions/<uuid:session_uuid>/invite/",
        groups.session_invite,
        name="group-session-invite",
    ),
    path(
        "group-bookings/<uuid:booking_uuid>/",
        groups.booking_attendance,
        name="group-booking",
    ),
    path("messages/failed/", notifications.failed_list, name="failed-notifications"),
    path(
        "messages/<uuid:notification_uuid>/retry/",
        notifications.notification_retry,
        name="notification-retry",
    ),
    # The patient's own pages.
    path("my/appointments/", portal.my_appointments, name="my-appointments"),
    path(
        "my/appointments/<uuid:appointment_uuid>/rearrange/",
        portal.my_appointment_rearrange,
        name="my-appointment-rearrange",
    ),
    path(
        "my/appointments/<uuid:appointment_uuid>/cancel/",
        portal.my_appointment_cancel,
        name="my-appointment-cancel",
    ),
    path("my/appointments/ask/", portal.my_booking_request, name="my-booking-request"),
    path(
        "my/group-sessions/<uuid:booking_uuid>/", portal.my_group_booking, name="my-group-booking"
    ),
    path(
        "my/group-sessions/<uuid:booking_uuid>/cancel/",
        portal.my_group_booking_cancel,
        name="my-group-booking-cancel",
    ),
    path("my/questionnaires/", portal.my_questionnaires, name="my-questionnaires"),
    path(
        "my/questionnaires/<uuid:request_uuid>/",
        portal.my_questionnaire,
        name="my-questionnaire",
    ),
    path(
        "my/questionnaires/<uuid:request_uuid>/done/",
        portal.my_questionnaire_done,
        name="my-questionnaire-done",
    ),
]
