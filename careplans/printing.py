"""HTML for the PDFs (care plan, personalised leaflet), from Django templates and print CSS, and
the fingerprint that says which PDF prints what a page shows now.

Each function renders what the PDF prints. Without `made_at` the HTML is the content alone and is
the same every time for the same content: its fingerprint keys the stored document, so asking
twice for unchanged content reuses one PDF, and any change to what would be printed (a treatment
stopped, a new dose, a changed name) gives a new fingerprint, so the old copy is no longer
offered. The copy that is stored and rendered is made with `made_at`, so the PDF says when it
was correct. Free text is escaped by the template engine; leaflet bodies pass through
careplans.safe_markdown.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from careplans.safe_markdown import render, source_links

# Part of every fingerprint. Change it when a fingerprint must stop matching documents made
# before (copies made before PDFs said when they were made had none).
FINGERPRINT_SCHEME = "printed-content-2"


def fingerprint(content_html: str) -> str:
    """Return the SHA-256 (hex) identifying a PDF's content: its HTML made without `made_at`."""
    return hashlib.sha256(f"{FINGERPRINT_SCHEME}\n{content_html}".encode()).hexdigest()


def careplan_html(*, patient, view, trials, made_at: datetime | None = None) -> str:
    """The care plan PDF's HTML for one agreed version (a selectors.VersionView) and the plan's
    live treatments, newest first. `made_at` adds the "Correct on" line."""
    return render_to_string(
        "careplans/pdf/care_plan.html",
        {
            "service_name": settings.SERVICE_NAME,
            "patient": patient,
            "view": view,
            "version": view.version,
            "trials": trials,
            "made_at": made_at,
        },
    )


def careplan_fingerprint(*, patient, view, trials) -> str:
    """The fingerprint of the care plan PDF that `careplan_html` would print now."""
    return fingerprint(careplan_html(patient=patient, view=view, trials=trials))


def leaflet_html(*, patient, leaflet, trials, made_at: datetime | None = None) -> str:
    """A leaflet personalised with the patient's name and their doses of its medicines.
    `made_at` adds the "Correct on" line."""
    return render_to_string(
        "careplans/pdf/leaflet.html",
        {
            "service_name": settings.SERVICE_NAME,
            "patient": patient,
            "leaflet": leaflet,
            "body": render(leaflet.body_markdown),
            "sources": source_links(leaflet.sources),
            "trials": trials,
            # A check whose date has passed is due now, not promised by a date gone by.
            "today": timezone.localdate(),
            "made_at": made_at,
        },
    )


def leaflet_fingerprint(*, patient, leaflet, trials) -> str:
    """The fingerprint of the personalised leaflet PDF that `leaflet_html` would print now."""
    return fingerprint(leaflet_html(patient=patient, leaflet=leaflet, trials=trials))
