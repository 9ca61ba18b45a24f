from django.contrib import admin

from pathway.admin import NoDeleteAdmin
from referrals.models import EmergencyStop, PreventiveTried, Referral, ReferralLetter


class PreventiveTriedInline(admin.TabularInline):
    model = PreventiveTried
    extra = 0
    can_delete = False


@admin.register(Referral)
class ReferralAdmin(NoDeleteAdmin):
    list_display = ["uuid", "source", "condition", "urgency", "status", "submitted_at"]
    list_filter = ["status", "source", "condition", "urgency", "entered_in_error"]
    raw_id_fields = [
        "patient",
        "episode",
        "referrer",
        "stated_practice",
        "decided_by",
        "matched_by",
    ]
    readonly_fields = ["uuid", "urgency", "age_at_referral", "submitted_at", "decided_at"]
    filter_horizontal = ["assessments"]
    inlines = [PreventiveTriedInline]

    def has_add_permission(self, request) -> bool:
        # A referral is sent through the app, which screens its red flags for the urgency,
        # opens the episode and records `referral_received`.
        return False


@admin.register(EmergencyStop)
class EmergencyStopAdmin(NoDeleteAdmin):
    list_display = ["uuid", "source", "condition", "created_at"]
    list_filter = ["source", "entered_in_error"]
    raw_id_fields = ["patient", "stated_practice", "created_by", "updated_by"]
    readonly_fields = ["uuid", "red_flags", "advice", "phq9_self_harm_score", "phq9_unread"]


@admin.register(ReferralLetter)
class ReferralLetterAdmin(NoDeleteAdmin):
    patient_path = "referral__patient"
    list_display = ["uuid", "kind", "size", "created_at"]
    fields = ["uuid", "referral", "kind", "sha256", "size", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False
