"""PDF documents made for a patient: a care-plan version or a personalised leaflet."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from careplans.models.leaflets import Leaflet
from careplans.models.plans import CarePlanVersion
from pathway.models.base import TimeStampedModel, choices_constraint


class DocumentKind(models.TextChoices):
    CAREPLAN = "careplan", "Care plan"
    LEAFLET = "leaflet", "Personalised leaflet"


class DocumentStatus(models.TextChoices):
    PENDING = "pending", "Preparing"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class Document(TimeStampedModel):
    """A PDF made by the worker from the HTML stored here. `content_hash` is the fingerprint of
    what it prints (careplans.printing.fingerprint: the HTML without the time it was made), so
    asking again for unchanged content returns the same row instead of a new render, and pages
    offer only the row whose fingerprint matches what they show now. A copy made before a change
    (a treatment stopped, a new dose) stays stored for the record but is no longer offered.
    Downloaded only through an authenticated view that checks the patient is visible."""

    Kind = DocumentKind
    Status = DocumentStatus

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    patient = models.ForeignKey(
        "pathway.Patient", on_delete=models.PROTECT, related_name="care_documents"
    )
    version = models.ForeignKey(
        CarePlanVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="documents"
    )
    leaflet = models.ForeignKey(
        Leaflet, null=True, blank=True, on_delete=models.PROTECT, related_name="documents"
    )
    leaflet_version = models.PositiveIntegerField(null=True, blank=True)
    content_hash = models.CharField(max_length=64)
    html = models.TextField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    pdf = models.BinaryField(null=True, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveIntegerField(default=0)
    filename = models.CharField(max_length=120)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    # Times the worker was handed it since someone last asked for it (services.documents).
    attempts = models.PositiveSmallIntegerField(default=0)
    rendered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            choices_constraint("kind", DocumentKind, "careplans_document_kind_valid"),
            choices_constraint("status", DocumentStatus, "careplans_document_status_valid"),
            # One document per content (STYLE.md rule 11 keys a care plan by version; the
            # fingerprint covers the version and everything else the PDF prints, such as the
            # treatments, which change without a new version). Also serves the pages' look-up
            # of the current copy by fingerprint.
            models.UniqueConstraint(
                fields=["patient", "content_hash"], name="careplans_document_unique_content"
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="careplan", version__isnull=False, leaflet__isnull=True)
                    | Q(kind="leaflet", leaflet__isnull=False, leaflet_version__isnull=False)
                ),
                name="careplans_document_kind_matches_source",
            ),
            models.CheckConstraint(
                condition=~Q(status="ready") | Q(pdf__isnull=False, rendered_at__isnull=False),
                name="careplans_document_ready_has_pdf",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} PDF ({self.get_status_display()})"

    @property
    def is_ready(self) -> bool:
        return self.status == DocumentStatus.READY
