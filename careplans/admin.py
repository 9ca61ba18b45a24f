"""Admin: the leaflet library is edited here (safe Markdown only); clinical rows are read-only,
so an agreed plan version has no update path through the admin."""

from django.contrib import admin
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from careplans.forms import LeafletAdminForm
from careplans.models import CarePlan, CarePlanVersion, Document, Leaflet, TreatmentTrial
from careplans.safe_markdown import render
from pathway.admin import RecordReadAdmin


class ReadOnlyAdmin(RecordReadAdmin):
    """Clinical rows: viewable by administrators (an audited read of the patient's record),
    changed only through the app's services."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Leaflet)
class LeafletAdmin(admin.ModelAdmin):
    form = LeafletAdminForm
    list_display = ["title", "condition", "version", "review_on", "is_published"]
    list_filter = ["condition", "is_published"]
    search_fields = ["title", "slug"]
    readonly_fields = ["version", "preview"]
    fields = [
        "slug",
        "title",
        "summary",
        "condition",
        "medicines",
        "body_markdown",
        "preview",
        "sources",
        "review_on",
        "is_published",
        "version",
    ]

    @admin.display(description="Preview (as patients see it)")
    def preview(self, obj):
        # render() returns nh3-sanitised HTML; without mark_safe format_html would escape it
        # and the preview would show the tags as text.
        body = mark_safe(render(obj.body_markdown or ""))  # noqa: S308  sanitised by nh3
        return format_html('<div class="app-leaflet">{}</div>', body)

    def save_model(self, request, obj, form, change):
        # A changed text is a new version of the leaflet: personalised PDFs of the old one stay
        # as they were, and new requests make a new PDF.
        if change and any(
            _words(form.initial.get(name)) != _words(form.cleaned_data.get(name))
            for name in ("title", "summary", "body_markdown", "sources")
        ):
            obj.version += 1
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None) -> bool:
        # Care plans keep links to leaflets; unpublish a leaflet instead of deleting it.
        return False


def _words(text) -> str:
    """A leaflet text as a reader sees it: the whitespace a form trims at either end does not
    make a new version (the form's text boxes already send line breaks as one character)."""
    return (text or "").strip()


@admin.register(CarePlan)
class CarePlanAdmin(ReadOnlyAdmin):
    list_display = ["patient", "episode", "created_at", "entered_in_error"]
    raw_id_fields = ["patient", "episode"]


@admin.register(CarePlanVersion)
class CarePlanVersionAdmin(ReadOnlyAdmin):
    patient_path = "plan__patient"
    list_display = ["plan", "number", "status", "agreed_at", "agreed_by"]
    list_filter = ["status"]


@admin.register(TreatmentTrial)
class TreatmentTrialAdmin(ReadOnlyAdmin):
    patient_path = "plan__patient"
    list_display = ["plan", "medicine_code", "role", "started_on", "review_due", "outcome"]
    list_filter = ["outcome", "medicine_class", "role"]


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    list_display = ["kind", "patient", "status", "size", "created_at", "rendered_at"]
    list_filter = ["kind", "status"]
    exclude = ["pdf", "html"]
