from django.contrib import admin

from diaries.models import DiaryEntry, HeadacheEpisode, MedicationDose, Medicine
from pathway.admin import RecordReadAdmin


@admin.register(Medicine)
class MedicineAdmin(admin.ModelAdmin):
    """The medication catalogue. Retire a medicine by clearing "active": doses refer to it."""

    list_display = [
        "name",
        "diary_class",
        "role",
        "is_opioid",
        "is_gabapentinoid",
        "is_cgrp_antibody",
        "active",
    ]
    list_filter = ["role", "diary_class", "active", "is_opioid", "is_gabapentinoid"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class EpisodeInline(ReadOnlyInline):
    model = HeadacheEpisode
    fields = [
        "start_time",
        "duration",
        "severity",
        "migraine",
        "aura",
        "felt_like_migraine",
        "eased_by_triptan",
        "superseded_at",
    ]
    readonly_fields = fields


@admin.register(DiaryEntry)
class DiaryEntryAdmin(RecordReadAdmin):
    """Diary days are the patient's own record: administrators can look but not add, edit or
    delete (patients correct or remove their days through `diaries.services`, with audit)."""

    list_display = ["day", "patient", "headache", "migraine", "worst_severity", "entered_in_error"]
    list_filter = ["headache", "migraine", "entered_in_error"]
    search_fields = ["patient__nhs_number", "patient__family_name"]
    date_hierarchy = "day"
    raw_id_fields = ["patient"]
    inlines = [EpisodeInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(MedicationDose)
class MedicationDoseAdmin(RecordReadAdmin):
    patient_path = "entry__patient"
    list_display = ["medicine", "medication_class", "doses", "entry", "episode", "superseded_at"]
    list_filter = ["medication_class"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
