from django.db import models


class DashboardSnapshot(models.Model):
    """Every commissioner-dashboard table for one area and reporting period, as published
    (small numbers already suppressed, so no row here identifies anyone). Written by the beat
    job that refreshes the standard periods, or by the first view of any other period; shown
    with its `computed_at` as the figures' "as of" time."""

    organisation = models.ForeignKey(
        "pathway.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    period_start = models.DateField()
    period_end = models.DateField()
    tables = models.JSONField()
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "period_start", "period_end"],
                name="pathway_dashboardsnapshot_one_per_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.period_start} to {self.period_end}"
