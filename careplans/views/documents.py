"""PDFs: asking for a care plan's or a leaflet's PDF, its "preparing" status, and the download."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from careplans import selectors, services
from careplans.models import CarePlanVersion, Document
from careplans.views.lookups import _leaflet_or_404, _plan_page, _version_or_404
from pathway.audit import record_event
from pathway.models import AuditEvent
from pathway.pdf import pdf_download
from pathway.permissions import patient_for, patients_visible_to
from pathway.views.access import role_required

# Everyone who may open a patient's documents: the patient, and staff who can see them.
document_users = role_required("patient", "gp", "clinician", "admin")
# After this long "preparing" says it is taking longer than usual and offers to try again.
SLOW_AFTER_SECONDS = 20


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _document_context(document: Document) -> dict:
    if document.kind == Document.Kind.CAREPLAN:
        retry = reverse("careplans:plan-pdf", kwargs={"version_uuid": document.version.uuid})
        label = "care plan"
    else:
        retry = reverse(
            "careplans:leaflet-pdf",
            kwargs={"patient_uuid": document.patient.uuid, "slug": document.leaflet.slug},
        )
        label = "leaflet"
    waited = (timezone.now() - (document.enqueued_at or document.created_at)).total_seconds()
    return {
        "document": document,
        "retry_url": retry,
        "label": label,
        "slow": document.status == Document.Status.PENDING and waited > SLOW_AFTER_SECONDS,
    }


def _after_pdf_request(request, document: Document, fallback: str):
    if _is_htmx(request):
        return render(
            request, "careplans/includes/document_status.html", _document_context(document)
        )
    if document.is_ready:
        messages.success(request, "Your PDF is ready to download.")
    else:
        messages.info(request, "We are preparing your PDF. It will be ready in a few seconds.")
    return redirect(fallback)


@document_users
@require_POST
def plan_pdf(request, version_uuid):
    """Ask for the PDF of an agreed plan version as it prints now (made once for the same
    content, then reused; a new one after a treatment or the patient's details change)."""
    version = _version_or_404(request.user, version_uuid)
    patient = version.plan.patient
    fallback = reverse("careplans:my-plan") if request.user.is_patient else _plan_page(patient)
    if request.user.is_patient and version.status == CarePlanVersion.Status.SUPERSEDED:
        # A page opened before the team agreed a new version: the patient's plan is the one
        # agreed now, not the one their page showed.
        current = version.plan.versions.filter(status=CarePlanVersion.Status.AGREED).first()
        if current is not None:
            messages.info(
                request,
                "Your care team has agreed a new version of your care plan since you opened "
                "the page. This PDF is of the new version.",
            )
            version = _version_or_404(request.user, current.uuid)
    try:
        document = services.request_careplan_pdf(actor=request.user, version=version)
    except services.CarePlanError as exc:
        messages.error(request, str(exc))
        return redirect(fallback)
    return _after_pdf_request(request, document, fallback)


@document_users
@require_POST
def leaflet_pdf(request, patient_uuid, slug):
    """Ask for a leaflet personalised for the patient (made once per content, then reused)."""
    patient = patient_for(request.user, patient_uuid)
    leaflet = _leaflet_or_404(slug)
    plan = selectors.patient_plans_with_leaflet(patient, leaflet)
    document = services.request_leaflet_pdf(
        actor=request.user, patient=patient, plan=plan, leaflet=leaflet
    )
    if request.user.is_patient:
        fallback = reverse("careplans:my-leaflet", kwargs={"slug": slug})
    else:
        fallback = _plan_page(patient, "leaflets")
    return _after_pdf_request(request, document, fallback)


def _document_or_404(user, document_uuid, *, with_pdf=False) -> Document:
    try:
        return selectors.document_for(patients_visible_to(user), document_uuid, with_pdf=with_pdf)
    except Document.DoesNotExist as exc:
        raise Http404("No such document") from exc


@document_users
def document_status(request, document_uuid):
    """The "preparing" / download fragment, polled by htmx every 2 seconds until ready."""
    document = _document_or_404(request.user, document_uuid)
    template = (
        "careplans/includes/document_status.html"
        if _is_htmx(request)
        else "careplans/document_status.html"
    )
    return render(request, template, _document_context(document))


@document_users
def document_download(request, document_uuid):
    """The PDF itself, to a signed-in user who may see the patient. Never cached."""
    document = _document_or_404(request.user, document_uuid, with_pdf=True)
    if not document.is_ready:
        return render(request, "careplans/document_status.html", _document_context(document))
    record_event(
        actor=request.user,
        action=AuditEvent.Action.DOWNLOAD,
        patient=document.patient,
        obj=document,
    )
    return pdf_download(document.pdf, document.filename)
