"""Diary report PDFs: requested on the web, rendered by the worker through `pathway.pdf`,
stored with their SHA-256 (DESIGN.md section 6). Every step is safe to run twice."""

import hashlib
import logging
from datetime import date, timedelta
from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from diaries import rules
from diaries.models import DiaryEntry, DiaryReport
from diaries.services.entries import MESSAGES
from pathway.audit import record_event
from pathway.models import AuditEvent, Patient

logger = logging.getLogger(__name__)

# A report claimed this long ago by a worker that never finished may be claimed again.
REPORT_CLAIM_TIMEOUT = timedelta(minutes=10)
# A report still waiting for a worker this long is handed to the broker again by the sweep.
REPORT_REQUEUE_AFTER = timedelta(minutes=2)
MAX_REPORT_ATTEMPTS = 3


@transaction.atomic
def request_report(
    *, actor, patient: Patient, start: date, length: int = rules.EVIDENCE_WINDOW_DAYS
) -> DiaryReport:
    """Ask the worker for a diary report PDF of `[start, start + length)`.

    Returns the report: an unfinished one for the same window, or a finished one made after the
    diary last changed, is returned as it is; otherwise a new row is created and handed to the
    worker once the transaction commits.
    Raises ValidationError for a window that ends in the future or is not 1-366 days long.
    """
    if not 1 <= length <= 366:
        raise ValidationError({"end": "A report covers 1 to 366 days."})
    if start + timedelta(days=length - 1) > timezone.localdate():
        raise ValidationError({"end": MESSAGES["future"]})
    latest = (
        DiaryReport.objects.filter(patient=patient, start=start, length=length)
        .exclude(status=DiaryReport.Status.FAILED)
        .defer("pdf")
        .first()
    )
    if latest is not None and not (latest.finished and diary_changed_since(latest)):
        return latest
    report = DiaryReport.objects.create(
        patient=patient, start=start, length=length, created_by=actor, updated_by=actor
    )
    record_event(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        patient=patient,
        obj=report,
        fields=["start", "length"],
    )
    transaction.on_commit(partial(enqueue_report, report.uuid))
    return report


def diary_changed_since(report: DiaryReport | None) -> bool:
    """Whether the patient's diary was recorded, changed or removed after the ready `report`
    was made, so its figures may be out of date and asking again makes a new one."""
    if report is None or report.status != DiaryReport.Status.READY or not report.rendered_at:
        return False
    return DiaryEntry.objects.filter(
        patient_id=report.patient_id, updated_at__gt=report.rendered_at
    ).exists()


def enqueue_report(report_uuid) -> bool:
    """Hand a report to the worker. If the broker is down the row stays `preparing` and the
    sweep (`requeue_stale_reports`) hands it over later. Returns whether the broker took it."""
    from diaries.tasks import render_diary_report

    try:
        render_diary_report.apply_async(args=[str(report_uuid)])
    except Exception:  # noqa: BLE001  any broker failure: the sweep retries
        logger.warning("broker unavailable; diary report %s left preparing", report_uuid)
        return False
    return True


def render_report(*, report_uuid: str) -> str:
    """Render a requested report to PDF and store it with its SHA-256. Safe to run twice: the
    row is claimed by compare-and-swap, so a second worker (or a finished report) does nothing.

    Returns "ready", "failed" (rendering raised; retried by the sweep until the attempt limit),
    or "skipped" (unknown, finished or claimed by another worker).
    """
    from diaries.selectors import report_content
    from pathway.pdf import html_to_pdf

    now = timezone.now()
    claimable = Q(status=DiaryReport.Status.PREPARING) | Q(
        status=DiaryReport.Status.RENDERING, claimed_at__lt=now - REPORT_CLAIM_TIMEOUT
    )
    try:
        claimed = (
            DiaryReport.objects.filter(claimable, uuid=report_uuid)
            .filter(attempts__lt=MAX_REPORT_ATTEMPTS)
            .update(
                status=DiaryReport.Status.RENDERING,
                claimed_at=now,
                attempts=F("attempts") + 1,
                updated_at=now,
            )
        )
    except ValidationError:  # not a UUID
        return "skipped"
    if not claimed:
        return "skipped"
    report = DiaryReport.objects.defer("pdf").select_related("patient").get(uuid=report_uuid)
    try:
        html = render_to_string("diaries/report_pdf.html", report_content(report))
        pdf = html_to_pdf(html)
    except Exception:
        logger.exception("diary report %s failed to render", report_uuid)
        status = (
            DiaryReport.Status.FAILED
            if report.attempts >= MAX_REPORT_ATTEMPTS
            else DiaryReport.Status.PREPARING
        )
        DiaryReport.objects.filter(pk=report.pk, claimed_at=now).update(
            status=status, updated_at=timezone.now()
        )
        return "failed"
    with transaction.atomic():
        stored = DiaryReport.objects.filter(
            pk=report.pk, status=DiaryReport.Status.RENDERING, claimed_at=now
        ).update(
            status=DiaryReport.Status.READY,
            pdf=pdf,
            content_hash=hashlib.sha256(pdf).hexdigest(),
            rendered_at=timezone.now(),
            updated_at=timezone.now(),
        )
        if not stored:
            return "skipped"
        record_event(
            actor=None,
            action=AuditEvent.Action.UPDATE,
            patient=report.patient,
            obj=report,
            fields=["pdf", "status"],
        )
    return "ready"


def requeue_stale_reports() -> int:
    """Hand reports stuck waiting for a worker back to the broker; give up on those that used
    every attempt. Returns the number handed over. Safe to run at any time (beat job)."""
    now = timezone.now()
    DiaryReport.objects.filter(
        Q(status=DiaryReport.Status.PREPARING)
        | Q(status=DiaryReport.Status.RENDERING, claimed_at__lt=now - REPORT_CLAIM_TIMEOUT),
        attempts__gte=MAX_REPORT_ATTEMPTS,
    ).update(status=DiaryReport.Status.FAILED, updated_at=now)
    stale = DiaryReport.objects.filter(
        Q(status=DiaryReport.Status.PREPARING, updated_at__lt=now - REPORT_REQUEUE_AFTER)
        | Q(status=DiaryReport.Status.RENDERING, claimed_at__lt=now - REPORT_CLAIM_TIMEOUT),
        attempts__lt=MAX_REPORT_ATTEMPTS,
    ).values_list("uuid", flat=True)
    return sum(enqueue_report(report_uuid) for report_uuid in stale)
