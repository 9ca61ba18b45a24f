from django.contrib import admin

from pathway.admin import NoDeleteAdmin
from reviews.models import (
    Appointment,
    BookingRequest,
    Discharge,
    DischargeLetter,
    GroupBooking,
    GroupSession,
    MdtCase,
    QuestionnaireRequest,
    Review,
    SafetyAlert,
)


@admin.register(Appointment)
class AppointmentAdmin(NoDeleteAdmin):
    list_display = ["start", "kind", "patient", "clinician", "modality", "status"]
    list_filter = ["kind", "status", "modality"]
    raw_id_fields = ["patient", "episode", "clinician"]
    readonly_fields = ["uuid", "created_by", "updated_by", "created_at", "updated_at"]


@admin.register(Review)
class ReviewAdmin(NoDeleteAdmin):
    list_display = ["completed_at", "patient", "completed_by", "next_review_date"]
    raw_id_fields = ["appointment", "patient", "episode", "completed_by"]
    readonly_fields = ["uuid", "created_by", "updated_by", "created_at", "updated_at"]


@admin.register(Discharge)
class DischargeAdmin(NoDeleteAdmin):
    list_display = ["created_at", "patient", "reason"]
    list_filter = ["reason"]
    raw_id_fields = ["episode", "patient"]
    readonly_fields = ["uuid", "created_by", "updated_by", "created_at", "updated_at"]


@admin.register(DischargeLetter)
class DischargeLetterAdmin(NoDeleteAdmin):
    patient_path = "discharge__patient"
    list_display = ["uuid", "size", "created_at"]
    fields = ["uuid", "discharge", "sha256", "size", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(BookingRequest)
class BookingRequestAdmin(NoDeleteAdmin):
    list_display = ["requested_at", "patient", "kind", "status"]
    list_filter = ["status", "kind"]
    raw_id_fields = ["patient", "appointment", "handled_by"]


class GroupBookingInline(admin.TabularInline):
    model = GroupBooking
    extra = 0
    can_delete = False
    raw_id_fields = ["patient"]
    fields = ["patient", "status", "booked_at", "attendance_recorded_at"]


@admin.register(GroupSession)
class GroupSessionAdmin(NoDeleteAdmin):
    list_display = ["start", "topic", "organisation", "capacity"]
    filter_horizontal = ["facilitators"]
    inlines = [GroupBookingInline]


@admin.register(MdtCase)
class MdtCaseAdmin(NoDeleteAdmin):
    list_display = ["created_at", "patient", "status", "discussed_at"]
    list_filter = ["status"]
    raw_id_fields = ["patient"]


@admin.register(QuestionnaireRequest)
class QuestionnaireRequestAdmin(NoDeleteAdmin):
    list_display = ["requested_at", "patient", "instrument", "status", "due"]
    list_filter = ["instrument", "status"]
    raw_id_fields = ["patient", "assessment", "requested_by"]


@admin.register(SafetyAlert)
class SafetyAlertAdmin(NoDeleteAdmin):
    list_display = ["raised_at", "patient", "kind", "responsible_clinician", "resolved_at"]
    list_filter = ["kind"]
    raw_id_fields = ["patient", "assessment", "review", "responsible_clinician", "resolved_by"]
    readonly_fields = ["assessment", "review", "referral", "emergency_stop", "raised_at"]

    def has_add_permission(self, request) -> bool:
        # Raised by a risky answer, a review's same-day risk assessment, new red flags in a
        # self-referral or a referral stopped by an emergency red flag, which email the
        # responsible clinicians: one added here would reach nobody.
        return False
