"""PDF documents: a care-plan version or a personalised leaflet, made once per content, queued
for the worker on commit, rendered, and queued again when left pending."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from careplans import printing
from careplans.models import CarePlan, CarePlanVersion, Document, Leaflet
from careplans.services.errors import CarePlanError
from pathway.audit import record_event
from pathway.models import AuditEvent

logger = logging.getLogger(__name__)

# A PDF still pending after this long is handed to the worker again when someone asks for it.
REQUEUE_AFTER = timedelta(seconds=30)
# A render the worker's time limit kills leaves the row pending with no error. Once the worker
# has begun a PDF this many times, the sweep marks it failed (the page offers to try again)
# instead of queuing it for ever; someone asking for it starts afresh. Only renders begun
# count, so a broker or worker outage uses up nothing.
MAX_RENDER_ATTEMPTS = 3


def _enqueue_render(document_uuid) -> bool:
    """Hand a document to the worker. If the broker is down the row stays pending and the next
    request for it (or the sweep) queues it again. Returns whether the broker took it."""
    from careplans.tasks import render_document_pdf

    try:
        render_document_pdf.apply_async(args=[str(document_uuid)])
    except Exception:  # noqa: BLE001  any broker failure: the row stays pending
        logger.warning("broker unavailable; document %s left pending", document_uuid)
        return False
    return True


def _queue_render(document: Document, *, asked: bool = True) -> bool:
    """Mark the row queued now and enqueue it on commit, unless it was queued very recently
    (compare-and-swap on enqueued_at, so two requests queue it once). Asked for by someone, its
    count of renders begun starts again; queued again by the sweep (`asked=False`), only while
    that count is below MAX_RENDER_ATTEMPTS."""
    now = timezone.now()
    rows = (
        Document.objects.filter(pk=document.pk)
        .exclude(status=Document.Status.READY)
        .exclude(enqueued_at__gt=now - REQUEUE_AFTER)
    )
    if asked:
        claimed = rows.update(
            status=Document.Status.PENDING, enqueued_at=now, last_error="", attempts=0
        )
    else:
        claimed = rows.filter(attempts__lt=MAX_RENDER_ATTEMPTS).update(
            status=Document.Status.PENDING, enqueued_at=now, last_error=""
        )
    if claimed:
        document.status = Document.Status.PENDING
        document.enqueued_at = now
        uuid = document.uuid
        transaction.on_commit(lambda: _enqueue_render(uuid))
    return bool(claimed)


def _document(
    *, actor, patient, html_made_at: Callable[[datetime | None], str], defaults: dict
) -> Document:
    """Return the patient's document of this content, making and queuing it if there is none.

    `html_made_at(None)` is the content alone: its fingerprint keys the document, so unchanged
    content reuses one PDF and changed content gets a new one (the old row stays, no longer
    offered). The stored HTML is made with the time now, so the PDF says when it was correct."""
    content_hash = printing.fingerprint(html_made_at(None))
    document = (
        Document.objects.filter(patient=patient, content_hash=content_hash)
        .defer("html", "pdf")
        .first()
    )
    if document is None:
        try:
            with transaction.atomic():
                document = Document.objects.create(
                    patient=patient,
                    content_hash=content_hash,
                    html=html_made_at(timezone.now()),
                    requested_by=actor,
                    **defaults,
                )
        except IntegrityError:
            # Someone asked for the same content at the same moment: use their row.
            document = Document.objects.defer("html", "pdf").get(
                patient=patient, content_hash=content_hash
            )
        else:
            record_event(
                actor=actor, action=AuditEvent.Action.CREATE, patient=patient, obj=document
            )
    if document.status != Document.Status.READY:
        _queue_render(document)
    return document


@transaction.atomic
def request_careplan_pdf(*, actor, version: CarePlanVersion) -> Document:
    """Return the PDF document of an agreed (or superseded) version as it prints now, with the
    plan's treatments as they are now, queuing its rendering if this content was not made
    before. Asking again while nothing printed has changed returns the same document; after a
    change (a treatment reviewed, added or stopped) it returns a new one. Raises CarePlanError
    for a draft."""
    from careplans.selectors import printed_trials, version_view

    if version.status == CarePlanVersion.Status.DRAFT:
        raise CarePlanError("A draft has no PDF. Agree the plan first.")
    plan = version.plan
    view = version_view(version)
    trials = printed_trials(plan)
    return _document(
        actor=actor,
        patient=plan.patient,
        html_made_at=lambda made_at: printing.careplan_html(
            patient=plan.patient, view=view, trials=trials, made_at=made_at
        ),
        defaults={
            "kind": Document.Kind.CAREPLAN,
            "version": version,
            "filename": f"care-plan-version-{version.number}.pdf",
        },
    )


@transaction.atomic
def request_leaflet_pdf(*, actor, patient, plan: CarePlan | None, leaflet: Leaflet) -> Document:
    """Return a personalised copy of a leaflet for the patient (their name, their doses of its
    medicines, when to get help) as it prints now, queuing its rendering if this content was not
    made before. A change to what it prints (a new dose, a new leaflet version) gives a new
    document."""
    from careplans.selectors import trials_for_leaflet

    trials = trials_for_leaflet(plan, leaflet)
    return _document(
        actor=actor,
        patient=patient,
        html_made_at=lambda made_at: printing.leaflet_html(
            patient=patient, leaflet=leaflet, trials=trials, made_at=made_at
        ),
        defaults={
            "kind": Document.Kind.LEAFLET,
            "leaflet": leaflet,
            "leaflet_version": leaflet.version,
            "filename": f"{leaflet.slug}.pdf",
        },
    )


def render_document(document_uuid: str) -> str:
    """Render a pending document to PDF and store it. Returns the status afterwards ("missing" for
    an unknown id). Safe to run twice: a ready document is left alone, and the final write only
    happens while the row is not ready yet.

    Not one transaction on purpose: the render takes a few hundred milliseconds and must not hold
    the database's write lock (SQLite takes it at BEGIN).
    """
    from pathway.pdf import html_to_pdf

    document = Document.objects.filter(uuid=document_uuid).defer("pdf").first()
    if document is None:
        return "missing"
    if document.status == Document.Status.READY:
        return Document.Status.READY
    # Counted before the render, in its own statement: a render killed by the time limit
    # still counts (MAX_RENDER_ATTEMPTS).
    Document.objects.filter(pk=document.pk).update(attempts=F("attempts") + 1)
    try:
        pdf = html_to_pdf(document.html)
    except Exception as exc:  # noqa: BLE001  WeasyPrint raises many types; record and show
        logger.exception("PDF rendering failed for document %s", document_uuid)
        Document.objects.filter(pk=document.pk, status=Document.Status.PENDING).update(
            status=Document.Status.FAILED, last_error=f"{type(exc).__name__}"[:300]
        )
        return Document.Status.FAILED
    Document.objects.filter(pk=document.pk).exclude(status=Document.Status.READY).update(
        status=Document.Status.READY,
        pdf=pdf,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        size=len(pdf),
        rendered_at=timezone.now(),
        last_error="",
    )
    return Document.Status.READY


def requeue_pending_documents(*, older_than: timedelta = REQUEUE_AFTER) -> int:
    """Queue again every document left pending (broker down, worker died), and mark failed
    those already handed to the worker MAX_RENDER_ATTEMPTS times (a render the time limit kills
    every time). Returns how many were handed to the broker. Safe from two schedulers at once
    (compare-and-swap)."""
    cutoff = timezone.now() - older_than
    stale = Document.objects.filter(
        Q(enqueued_at__lt=cutoff) | Q(enqueued_at__isnull=True), status=Document.Status.PENDING
    )
    given_up = stale.filter(attempts__gte=MAX_RENDER_ATTEMPTS).update(
        status=Document.Status.FAILED, last_error=f"No PDF after {MAX_RENDER_ATTEMPTS} attempts"
    )
    if given_up:
        logger.warning("%d PDF documents failed after %d attempts", given_up, MAX_RENDER_ATTEMPTS)
    queued = 0
    for document in stale.filter(attempts__lt=MAX_RENDER_ATTEMPTS).only(
        "pk", "uuid", "status", "enqueued_at"
    )[:500]:
        with transaction.atomic():
            queued += _queue_render(document, asked=False)
    return queued
