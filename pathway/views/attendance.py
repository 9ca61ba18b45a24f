from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from pathway.attendance import (
    MAX_FILE_BYTES,
    MAX_ROWS,
    RECENT_IMPORTS,
    ImportRejected,
    WithdrawRefused,
    import_attendance_file,
    imports_for,
    withdraw_import,
)
from pathway.views.access import role_required


class AttendanceUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file of GP attendances",
        help_text="Columns: nhs_number, period_start, period_end, attendances. Up to 2 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
        error_messages={"required": "Choose a CSV file to import."},
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".csv"):
            raise forms.ValidationError("The file must be a .csv file.")
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError("The file is larger than 2 MB.")
        return upload


@role_required("clinician", "admin")
@require_http_methods(["GET", "HEAD", "POST"])
def attendance_import(request):
    form = AttendanceUploadForm(request.POST or None, request.FILES or None)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            batch = import_attendance_file(
                actor=request.user, filename=upload.name, raw=upload.read(MAX_FILE_BYTES + 1)
            )
        except ImportRejected as rejected:
            errors = rejected.errors
        else:
            rows_text = "1 row" if batch.row_count == 1 else f"{batch.row_count} rows"
            messages.success(request, f"Imported {rows_text} from {batch.filename}.")
            return redirect("pathway:attendance-import")
    return render(
        request,
        "pathway/attendance_import.html",
        {
            "form": form,
            "errors": errors[:200],
            "more_errors": max(0, len(errors) - 200),
            "max_rows": f"{MAX_ROWS:,}",
            "imports": imports_for(request.user)[:RECENT_IMPORTS],
        },
    )


@role_required("clinician", "admin")
@require_http_methods(["GET", "HEAD", "POST"])
def attendance_withdraw(request, import_id: int):
    """Withdraw an import, after a page that says what it removes."""
    batch = get_object_or_404(imports_for(request.user), pk=import_id)
    if request.method == "POST":
        try:
            withdraw_import(actor=request.user, batch=batch)
        except WithdrawRefused as refused:
            messages.warning(request, str(refused))
        else:
            messages.success(
                request,
                f"Withdrawn: {batch.filename}. Its counts are no longer in the dashboard, and "
                "a corrected file can be imported for the same periods.",
            )
        return redirect("pathway:attendance-import")
    return render(request, "pathway/attendance_withdraw.html", {"batch": batch})
