from datetime import timedelta

from django.conf import settings
from django.db import models

from pathway.models.base import TimeStampedModel


class AttendanceImport(TimeStampedModel):
    """One uploaded CSV of GP attendance counts; all its rows are imported or none are."""

    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    filename = models.CharField(max_length=200)
    row_count = models.PositiveIntegerField()
    # A file imported by mistake, or with wrong counts, is withdrawn: its rows are removed so a
    # corrected file can be imported, and this record of it stays (pathway.attendance).
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.filename} ({self.row_count} rows)"


class GpAttendanceCount(TimeStampedModel):
    """GP appointments a patient had in a period, from the practice system, for the
    before-and-after figure on the commissioner dashboard."""

    patient = models.ForeignKey(
        "pathway.Patient", on_delete=models.PROTECT, related_name="gp_attendance_counts"
    )
    period_start = models.DateField()
    # The day after the period's last day (the imported file gives the last day itself).
    period_end = models.DateField()
    attendances = models.PositiveIntegerField()
    source = models.ForeignKey(AttendanceImport, on_delete=models.PROTECT, related_name="rows")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gt=models.F("period_start")),
                name="pathway_gpattendancecount_period_positive",
            ),
            # A re-import of the same period replaces nothing silently: it is refused.
            models.UniqueConstraint(
                fields=["patient", "period_start", "period_end"],
                name="pathway_gpattendancecount_one_per_period",
            ),
        ]

    def __str__(self) -> str:
        last = self.period_end - timedelta(days=1)
        return f"{self.attendances} attendances {self.period_start} to {last}"
