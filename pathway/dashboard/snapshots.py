"""The dashboard's figures, precomputed.

Computing every table for an ICB over a year reads most of the database, so the figures are kept
in `DashboardSnapshot` rows: the beat job `refresh_dashboard_snapshots` recomputes the standard
periods (this month, quarter and financial year) for every ICB and PCN, and any other area or
period is computed on first view and kept. A snapshot older than `MAX_AGE` is recomputed when
viewed, and dropped by the beat job. Pages show the snapshot's time as "figures as of".
"""

from __future__ import annotations

from dataclasses import asdict, fields
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from pathway.dashboard import activity, metrics
from pathway.dashboard.rules import Period, period_for
from pathway.dashboard.scope import practice_ids_under
from pathway.dashboard.tables import Chart, Table
from pathway.models import DashboardSnapshot, Organisation

# Beat refreshes the standard periods every REFRESH_EVERY; a snapshot is recomputed on view
# once older than MAX_AGE, so a missed beat run costs one slow page, never stale figures.
REFRESH_EVERY = timedelta(minutes=15)
MAX_AGE = timedelta(minutes=20)
STANDARD_PERIODS = ("month", "quarter", "year")
# The shape of the kept tables: raised whenever a table's columns, wording or chart change, so
# figures kept by the code before are recomputed on view rather than shown as they were.
FORMAT = 3
REFRESHED_KINDS = (Organisation.Kind.ICB, Organisation.Kind.PCN)
CHART_FIELDS = frozenset(field.name for field in fields(Chart))


def build_tables(*, practice_ids, period: Period) -> list[Table]:
    """Every dashboard table, in display order, computed now."""
    return [
        activity.referral_volume_table(practice_ids=practice_ids, period=period),
        activity.rejection_table(practice_ids=practice_ids, period=period),
        metrics.waits_table(practice_ids=practice_ids, period=period),
        activity.triage_waiting_table(practice_ids=practice_ids),
        metrics.waiting_list_table(practice_ids=practice_ids),
        metrics.review_coverage_table(practice_ids=practice_ids),
        metrics.outcomes_table(practice_ids=practice_ids, period=period),
        metrics.milestone_counts_table(practice_ids=practice_ids, period=period),
        activity.headache_days_table(practice_ids=practice_ids),
        activity.deprescribing_table(practice_ids=practice_ids),
        activity.appointments_table(practice_ids=practice_ids, period=period),
        activity.discharge_table(practice_ids=practice_ids, period=period),
        metrics.gp_attendance_table(practice_ids=practice_ids),
    ]


def _stored(table: Table) -> dict:
    return {**asdict(table), "format": FORMAT}


def _current(tables: list[dict]) -> bool:
    return all(data.get("format") == FORMAT for data in tables)


def _table(data: dict) -> Table:
    chart = data.get("chart")
    if chart:
        # A chart kept by other code (a newer process beside this one) may hold more.
        chart = {name: value for name, value in chart.items() if name in CHART_FIELDS}
    return Table(
        key=data["key"],
        title=data["title"],
        definition=data["definition"],
        headers=tuple(data["headers"]),
        rows=tuple(tuple(row) for row in data["rows"]),
        chart=Chart(**chart) if chart else None,
        notes=tuple(data.get("notes", ())),
        covers=data.get("covers", ""),
        row_headers=data.get("row_headers", True),
    )


def refresh(organisation: Organisation, period: Period, *, now: datetime | None = None):
    """Compute every table for `organisation` and `period` and keep them. Returns the tables
    and their "as of" time. Two refreshes at once both succeed; the later write wins."""
    now = now or timezone.now()
    tables = build_tables(practice_ids=practice_ids_under(organisation), period=period)
    stored = [_stored(table) for table in tables]
    with transaction.atomic():
        DashboardSnapshot.objects.bulk_create(
            [
                DashboardSnapshot(
                    organisation=organisation,
                    period_start=period.start,
                    period_end=period.end,
                    tables=stored,
                    computed_at=now,
                )
            ],
            update_conflicts=True,
            unique_fields=["organisation", "period_start", "period_end"],
            update_fields=["tables", "computed_at"],
        )
    return tables, now


def tables_for(
    organisation: Organisation, period: Period, *, now: datetime | None = None
) -> tuple[list[Table], datetime]:
    """The tables for an area and period with their "as of" time: the kept snapshot when it
    is recent enough (one query), otherwise computed now and kept."""
    now = now or timezone.now()
    snapshot = (
        DashboardSnapshot.objects.filter(
            organisation=organisation,
            period_start=period.start,
            period_end=period.end,
            computed_at__gt=now - MAX_AGE,
        )
        .only("tables", "computed_at")
        .first()
    )
    if snapshot is not None and _current(snapshot.tables):
        return [_table(data) for data in snapshot.tables], snapshot.computed_at
    return refresh(organisation, period, now=now)


def refresh_standard_periods(*, today: date | None = None, now: datetime | None = None) -> int:
    """The beat job's work: this month, quarter and financial year for every ICB and PCN.
    Snapshots past MAX_AGE (a practice, a custom period, last month's), which would be
    recomputed if viewed, are dropped, so periods viewed once do not pile up. Returns the
    number of snapshots written."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    periods = [period_for(kind, today=today) for kind in STANDARD_PERIODS]
    written = 0
    for organisation in Organisation.objects.filter(kind__in=REFRESHED_KINDS).order_by("id"):
        for period in periods:
            refresh(organisation, period, now=now)
            written += 1
    DashboardSnapshot.objects.filter(computed_at__lt=now - MAX_AGE).delete()
    return written


def forget_all() -> None:
    """Drop every snapshot (after an import changes figures), so the next view recomputes."""
    DashboardSnapshot.objects.all().delete()
