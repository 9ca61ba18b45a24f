"""Escaping beyond the pages: leaflets written in the admin, PDFs as text, CSV exports and an
uploaded file's name (DESIGN.md section 10)."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from careplans import printing, services
from careplans.models import Document, Leaflet
from careplans.safe_markdown import source_links
from careplans.selectors import leaflet_body
from diaries.models import DiaryReport
from diaries.services import render_report
from pathway.dashboard.snapshots import build_tables
from pathway.pdf import html_to_pdf
from referrals.letters import letter_context
from tests.security.journeys import as_user, fill_record
from tests.security.payloads import (
    FORMULA_PAYLOADS,
    FORMULA_STARTS,
    PAYLOADS,
    markers_in,
    markup_problems,
)

pytestmark = pytest.mark.django_db


def _leaflet_post(payload, slug) -> dict:
    return {
        "slug": slug,
        "title": payload.text,
        "summary": payload.text,
        "condition": "general",
        "medicines": "",
        "body_markdown": f"## About this\n\n{payload.text}\n\n- {payload.text}\n",
        "sources": f"{payload.text} | https://www.nhs.uk/conditions/migraine/",
        "review_on": "2027-01-31",
        "is_published": "on",
    }


@pytest.mark.parametrize("payload", PAYLOADS, ids=lambda p: f"p{p.index:02d}")
def test_a_leaflet_written_in_the_admin_is_shown_as_text(payload, client, world):
    slug = f"hostile-{payload.index}"
    as_user(client, world.admin)
    response = client.post("/admin/careplans/leaflet/add/", _leaflet_post(payload, slug))
    leaflet = Leaflet.objects.filter(slug=slug).first()
    if leaflet is None:
        # Refused with a message: the Markdown subset allows no HTML.
        assert response.status_code == 200
        assert "errornote" in response.content.decode() or "errorlist" in response.content.decode()
        leaflet = Leaflet.objects.create(**_stored(payload, slug))  # as if loaded from a file
    pages = {
        "library": reverse("careplans:leaflet-list"),
        "leaflet": reverse("careplans:leaflet-detail", kwargs={"slug": slug}),
        "admin": f"/admin/careplans/leaflet/{leaflet.pk}/change/",
    }
    problems = []
    for label, url in pages.items():
        html = client.get(url).content.decode()
        problems += [f"{label}: {p}" for p in markup_problems(html, payload)]
        if label != "admin":
            assert payload.marker in markers_in(html), label
    as_user(client, world.patient_user)
    html = client.get(reverse("careplans:my-leaflet", kwargs={"slug": slug})).content.decode()
    problems += [f"my leaflet: {p}" for p in markup_problems(html, payload)]
    pdf_html = printing.leaflet_html(patient=world.patient, leaflet=leaflet, trials=[])
    problems += [f"leaflet PDF: {p}" for p in markup_problems(pdf_html, payload)]
    assert problems == [], f"{payload}\n" + "\n".join(problems)


def _stored(payload, slug) -> dict:
    """A leaflet row that never went through the admin form (a file, or a bug in the form):
    raw HTML, an image and script links in the Markdown, and a script link as a source."""
    return {
        "slug": slug,
        "title": payload.text,
        "summary": payload.text,
        "body_markdown": (
            f"## About this\n\n{payload.text}\n\n![x](https://evil.example/{payload.marker}.png)"
            f"\n\n[click](javascript:alert('{payload.marker}'))\n\n<b>{payload.text}</b>\n"
        ),
        "sources": f"{payload.text} | javascript:alert('{payload.marker}')",
        "review_on": date(2027, 1, 31),
    }


def test_the_admin_preview_shows_the_leaflet_as_patients_see_it(client, world):
    leaflet = Leaflet.objects.get(slug="understanding-migraine")
    as_user(client, world.admin)
    html = client.get(f"/admin/careplans/leaflet/{leaflet.pk}/change/").content.decode()
    preview = html.split('class="app-leaflet">', 1)[1].split("</div>", 1)[0]
    assert "<h2>" in preview and "&lt;h2&gt;" not in preview


def test_a_stored_leaflet_shows_no_image_script_link_or_html_whatever_the_row_holds(world):
    leaflet = Leaflet.objects.create(**_stored(PAYLOADS[0], "stored-sources"))
    body = leaflet_body(leaflet)
    assert "<img" not in body and "javascript:" not in body and "<b>" not in body
    assert source_links(leaflet.sources) == [(PAYLOADS[0].text, "")]
    assert source_links("NICE | https://www.nice.org.uk/guidance/cg150") == [
        ("NICE", "https://www.nice.org.uk/guidance/cg150")
    ]
    for address in ("http://example.org/", "//evil.example/", "data:text/html,x", "/local"):
        assert source_links(f"Title | {address}") == [("Title", "")]


# PDFs, read back as text: the payload is printed, not run.


def _pdf_text(pdf: bytes) -> str:
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return "".join(text.split())


@pytest.mark.parametrize("index", [0, 25, 47], ids=lambda i: f"p{i:02d}")
def test_each_pdf_prints_the_payload_as_text(index, client, world):
    payload = PAYLOADS[index]
    filled = fill_record(client, world, [payload.text])
    assert filled.failures == []
    version = filled.plan.versions.get(number=1)
    care_plan = services.request_careplan_pdf(actor=world.clinician, version=version)
    assert services.render_document(str(care_plan.uuid)) == Document.Status.READY
    care_plan.refresh_from_db()
    leaflet = services.request_leaflet_pdf(
        actor=world.clinician,
        patient=filled.patient,
        plan=filled.plan,
        leaflet=Leaflet.objects.get(slug="understanding-migraine"),
    )
    assert services.render_document(str(leaflet.uuid)) == Document.Status.READY
    leaflet.refresh_from_db()
    report = DiaryReport.objects.create(
        patient=filled.patient, start=timezone.localdate() - timedelta(days=89)
    )
    assert render_report(report_uuid=str(report.uuid)) == "ready"
    report.refresh_from_db()
    filled.referral.refresh_from_db()
    letter = html_to_pdf(
        render_to_string("referrals/letter_triage_outcome.html", letter_context(filled.referral))
    )
    printed = "".join(payload.text.split())
    for label, pdf in {
        "care plan": bytes(care_plan.pdf),
        "leaflet": bytes(leaflet.pdf),
        "diary report": bytes(report.pdf),
        "letter": letter,
    }.items():
        text = _pdf_text(pdf)
        assert payload.marker in text, label
        assert printed in text, f"{label} does not print {payload} as typed"


# CSV exports: no cell starts a formula.


def _formula_cells(body: str) -> list[str]:
    bad = []
    for row in csv.reader(io.StringIO(body)):
        for cell in row:
            if not cell.startswith(FORMULA_STARTS):
                continue
            try:
                float(cell)
            except ValueError:
                bad.append(cell)
    return bad


def test_no_dashboard_export_cell_starts_a_formula(client, world):
    for organisation, payload in zip(
        (world.icb, world.pcn1, world.practice_a, world.service), FORMULA_PAYLOADS, strict=False
    ):
        organisation.name = payload.text
        organisation.save()
    as_user(client, world.commissioner)
    keys = [table.key for table in build_tables(practice_ids=[], period=_period())]
    assert len(keys) >= 10
    bad = []
    for key in keys:
        response = client.get(reverse("dashboard:export", kwargs={"key": key}))
        assert response.status_code == 200, key
        bad += [f"{key}: {cell!r}" for cell in _formula_cells(response.content.decode("utf-8-sig"))]
    page = client.get(reverse("dashboard:home")).content.decode()
    assert markup_problems(page) == []
    assert bad == []


@pytest.mark.parametrize("payload", FORMULA_PAYLOADS, ids=lambda p: f"p{p.index:02d}")
def test_an_area_named_like_a_formula_is_exported_as_text(payload, client, world):
    world.icb.name = payload.text
    world.icb.save()
    as_user(client, world.commissioner)
    response = client.get(reverse("dashboard:export", kwargs={"key": "waits"}))
    body = response.content.decode("utf-8-sig")
    assert payload.marker in body
    assert _formula_cells(body) == []


def _period():
    from django.utils import timezone

    from pathway.dashboard.rules import period_for

    return period_for("quarter", today=timezone.localdate())


def test_an_uploaded_file_name_is_shown_as_text(client, world):
    payload = PAYLOADS[8]  # <img src=x onerror=...>
    as_user(client, world.clinician)
    body = (
        "nhs_number,period_start,period_end,attendances\n"
        f"{world.patient.nhs_number},2025-01-01,2025-07-01,3\n"
    ).encode()
    upload = SimpleUploadedFile(f"{payload.text}.csv", body, content_type="text/csv")
    response = client.post(reverse("pathway:attendance-import"), {"file": upload}, follow=True)
    html = response.content.decode()
    assert "Imported 1 row" in html
    assert markup_problems(html, payload) == []
