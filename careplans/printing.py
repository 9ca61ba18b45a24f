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

from careplans.safe_markdown import render, source_links, split_section
from pathway.care_teams import care_team_contacts

# The heading of the warning signs the PDFs print in their own box (careplans/pdf/help_box.html).
HELP_HEADING = "When to get help"

# Part of every fingerprint. Change it when a fingerprint must stop matching documents made
# before (copies made before PDFs said when they were made had none).
FINGERPRINT_SCHEME = "printed-content-2"


def fingerprint(content_html: str) -> str:
    """Return the SHA-256 (hex) identifying a PDF's content: its HTML made without `made_at`."""
    return hashlib.sha256(f"{FINGERPRINT_SCHEME}\n{content_html}".encode()).hexdigest()


def careplan_html(
    *,
    patient,
    view,
    trials,
    leaflets: list | None = None,
    teams: list | None = None,
    made_at: datetime | None = None,
) -> str:
    """The care plan PDF's HTML for one agreed version (a selectors.VersionView) and the plan's
    live treatments, newest first, with the leaflets on the plan and how to reach the care
    team, as the patient's page shows them (for a patient without the portal the PDF is all
    they have). `leaflets` (the plan's published leaflets, oldest link first) and `teams`
    (pathway.care_teams.care_team_contacts) are loaded here unless the caller has them.
    `made_at` adds the "Correct on" line."""
    if leaflets is None:
        leaflets = plan_leaflets(view.version.plan.leaflet_links.select_related("leaflet"))
    if teams is None:
        teams = list(care_team_contacts(patient))
    return render_to_string(
        "careplans/pdf/care_plan.html",
        {
            "service_name": settings.SERVICE_NAME,
            "patient": patient,
            "view": view,
            "version": view.version,
            "trials": trials,
            "leaflets": leaflets,
            "teams": teams,
            # A check whose date has passed is due now, not promised by a date gone by.
            "today": timezone.localdate(),
            "made_at": made_at,
            # Once the care ended, no review or check is coming.
            "ended": view.version.plan.episode.closed_at,
        },
    )


def plan_leaflets(links) -> list:
    """The leaflets of a plan's leaflet links (prefetched or a queryset) still on the plan and
    published, in the order given."""
    return [
        link.leaflet
        for link in links.all()
        if link.removed_at is None and link.leaflet.is_published
    ]


def careplan_fingerprint(*, patient, view, trials, leaflets=None, teams=None) -> str:
    """The fingerprint of the care plan PDF that `careplan_html` would print now."""
    return fingerprint(
        careplan_html(patient=patient, view=view, trials=trials, leaflets=leaflets, teams=teams)
    )


def leaflet_html(*, patient, leaflet, trials, made_at: datetime | None = None) -> str:
    """A leaflet personalised with the patient's name and their doses of its medicines.
    `made_at` adds the "Correct on" line. The leaflet's own "When to get help" section is
    printed inside the PDF's box of warning signs, so the leaflet has one such section."""
    body, own_help = split_section(leaflet.body_markdown, HELP_HEADING)
    return render_to_string(
        "careplans/pdf/leaflet.html",
        {
            "service_name": settings.SERVICE_NAME,
            "patient": patient,
            "leaflet": leaflet,
            "body": render(body),
            "own_help": render(own_help) if own_help else "",
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
