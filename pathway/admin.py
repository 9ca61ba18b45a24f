from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import models

from pathway.audit import record_event, record_view
from pathway.models import (
    Assessment,
    AuditEvent,
    Episode,
    Membership,
    Milestone,
    Notification,
    Organisation,
    Patient,
    Target,
    User,
)
from pathway.models.episodes import MAX_TARGET_DAYS, TARGET_DAYS_MESSAGE
from pathway.sign_ins import clear_failed_sign_ins


class RecordReadAdmin(admin.ModelAdmin):
    """Opening a row of a patient's record in the admin leaves the same audit row as any other
    staff read (DESIGN.md section 5), so the patient sees it under "Who has looked at your
    record". `patient_path` names the patient from the row ("patient", "plan__patient"); a
    Patient is its own."""

    patient_path = "patient"

    def get_readonly_fields(self, request, obj=None):
        """Structured answers (red flags, questionnaire answers, diary pain sites...) are shown,
        never typed here as raw JSON: the rules derive other fields from them (a referral's
        urgency from its red flags, a score from its answers) that an edit here would leave
        behind, and a mistyped value would fail the database's checks. A mistake is corrected
        as one in the app: entered in error, recorded again."""
        structured = [
            field.name
            for field in self.model._meta.get_fields()
            if isinstance(field, models.JSONField)
        ]
        declared = list(super().get_readonly_fields(request, obj))
        return declared + [name for name in structured if name not in declared]

    def patient_of(self, obj) -> Patient | None:
        if isinstance(obj, Patient):
            return obj
        for name in self.patient_path.split("__"):
            obj = getattr(obj, name, None)
            if obj is None:
                return None
        return obj

    def save_model(self, request, obj, form, change):
        """A change saved here is audited like any other: who, which fields (never values)."""
        if hasattr(obj, "updated_by_id"):
            obj.updated_by = request.user
            if not change and hasattr(obj, "created_by_id"):
                obj.created_by = request.user
        super().save_model(request, obj, form, change)
        patient = self.patient_of(obj)
        if patient is not None and (form.changed_data or not change):
            record_event(
                actor=request.user,
                action=AuditEvent.Action.UPDATE if change else AuditEvent.Action.CREATE,
                patient=patient,
                obj=obj,
                fields=form.changed_data,
            )

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None and request.method == "GET":
            patient = self.patient_of(obj)
            if patient is not None:
                record_view(actor=request.user, patient=patient, obj=obj)
        return obj


class NoDeleteAdmin(RecordReadAdmin):
    """Clinical rows are never hard-deleted: mistakes become `entered_in_error`."""

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "ods_code", "parent", "phone"]
    list_filter = ["kind"]
    search_fields = ["name", "ods_code"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["organisation"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "role", "discipline", "is_active"]
    list_filter = ["role", "discipline", "is_active"]
    search_fields = ["email", "full_name"]
    inlines = [MembershipInline]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Person", {"fields": ["full_name", "role", "discipline"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
    ]
    add_fieldsets = [
        (None, {"fields": ["email", "full_name", "role", "discipline", "password1", "password2"]}),
    ]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            # Their patients' care stays with them until someone else takes it on: say whose.
            held = Episode.objects.open().filter(responsible_clinician=obj).count()
            if held:
                messages.warning(
                    request,
                    f"{obj.full_name} is still the responsible clinician for {held} open "
                    f"episode{'' if held == 1 else 's'} of care. Choose who takes each on, on "
                    "the episode's page (Change the responsible clinician): until then their "
                    f"alerts and reminders name {obj.full_name}.",
                )

    def user_change_password(self, request, id, form_url=""):
        """A password set here lifts a sign-in lockout, as a reset by email does: the person
        told their new password can sign in with it at once."""
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            user = self.get_object(request, unquote(id))
            if user is not None:
                clear_failed_sign_ins(user.email)
        return response


class PatientAdminForm(forms.ModelForm):
    """The admin may correct a death entered in error (clear the date), but not record one or
    move it: a death recorded at discharge ends the patient's care, withdraws every message
    and closes their portal account, which a date typed here would skip. A patient belongs to
    a GP practice, whose care team sees them."""

    class Meta:
        model = Patient
        # The admin's own field list (ModelAdmin.get_form) takes the place of this one.
        fields = [
            "nhs_number",
            "given_name",
            "family_name",
            "date_of_birth",
            "date_of_death",
            "sex",
            "mobile",
            "email",
            "registered_practice",
            "user",
            "sms_consent",
            "email_consent",
            "consent_recorded_at",
            "opted_out_at",
            "diary_nudge",
            "entered_in_error",
        ]

    def clean_date_of_death(self):
        day = self.cleaned_data.get("date_of_death")
        if day is not None and day != self.instance.date_of_death:
            raise forms.ValidationError(
                "Record a death by discharging the patient with the reason that they have "
                "died (on their episode's page): that ends their care and closes their portal "
                "account. Here a date can only be cleared, to correct a death entered in error."
            )
        return day

    def clean_registered_practice(self):
        practice = self.cleaned_data.get("registered_practice")
        if practice is not None and practice.kind != Organisation.Kind.PRACTICE:
            raise forms.ValidationError(
                "Choose a GP practice: patients are seen through their practice's care team."
            )
        return practice


@admin.register(Patient)
class PatientAdmin(NoDeleteAdmin):
    form = PatientAdminForm
    list_display = ["family_name", "given_name", "nhs_number", "registered_practice"]
    search_fields = ["nhs_number", "family_name"]
    list_filter = ["registered_practice", "entered_in_error"]
    raw_id_fields = ["user"]
    readonly_fields = ["uuid", "created_by", "updated_by", "created_at", "updated_at"]


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0
    can_delete = False
    readonly_fields = ["recorded_by"]


@admin.register(Episode)
class EpisodeAdmin(NoDeleteAdmin):
    list_display = ["patient", "condition", "status", "priority", "opened_at"]
    list_filter = ["condition", "status", "priority"]
    raw_id_fields = ["patient", "responsible_clinician"]
    inlines = [MilestoneInline]


class TargetForm(forms.ModelForm):
    """The days in the model's own words: the form field Django builds for a positive integer
    would allow 0 and say so."""

    days = forms.IntegerField(
        min_value=1,
        max_value=MAX_TARGET_DAYS,
        error_messages={
            "min_value": TARGET_DAYS_MESSAGE,
            "max_value": TARGET_DAYS_MESSAGE,
            "invalid": TARGET_DAYS_MESSAGE,
        },
    )

    class Meta:
        model = Target
        fields = ["name", "from_milestone", "to_milestone", "priority", "days"]


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    form = TargetForm
    list_display = ["name", "from_milestone", "to_milestone", "priority", "days"]


@admin.register(Assessment)
class AssessmentAdmin(NoDeleteAdmin):
    list_display = ["patient", "instrument", "total", "band", "alert", "completed_at"]
    list_filter = ["instrument", "alert"]
    raw_id_fields = ["patient", "completed_by"]
    readonly_fields = ["answers", "total", "band", "alert"]

    def has_add_permission(self, request) -> bool:
        # Answers are recorded through a questionnaire, which scores them and raises any
        # alert: an assessment added here would have neither.
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: audit rows cannot be added, edited or deleted, even by administrators."""

    list_display = ["at", "actor", "actor_role", "action", "object_type", "patient"]
    list_filter = ["action", "actor_role"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(NoDeleteAdmin):
    list_display = ["kind", "channel", "status", "scheduled_for", "attempts", "last_error"]
    list_filter = ["status", "channel", "kind"]
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
