"""HTML for the PDFs (care plan, personalised leaflet), from Django templates and print CSS.

The HTML is deterministic for the same content: no "printed at" time, so its hash identifies the
content and asking twice for the same PDF is a no-op (careplans.services.request_*_pdf).
Free text is escaped by the template engine; leaflet bodies pass through careplans.safe_markdown.
"""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string

from careplans.safe_markdown import render, source_links


def careplan_html(*, patient, view, trials) -> str:
    """The care plan PDF's HTML for one agreed version (a selectors.VersionView)."""
    return render_to_string(
        "careplans/pdf/care_plan.html",
        {
            "service_name": settings.SERVICE_NAME,
            "patient": patient,
            "view": view,
            "version": view.version,
            "trials": trials,
        },
    )


def leaflet_html(*, patient, leaflet, trials) -> str:
    """A leaflet personalised with the patient's name and their doses of its medicines."""
    return render_to_string(
        "careplans/pdf/leaflet.html",
        {
            "service_name": settings.SERVICE_NAME,
            "patient": patient,
            "leaflet": leaflet,
            "body": render(leaflet.body_markdown),
            "sources": source_links(leaflet.sources),
            "trials": trials,
        },
    )
