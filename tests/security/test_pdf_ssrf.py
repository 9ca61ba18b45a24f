"""The real documents fetch nothing (DESIGN.md section 6): a care plan, a leaflet, a diary report
and a triage letter whose text points at a loopback canary server or at a local file render to
PDF, and the canary records no request."""

import threading
import urllib.request
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from careplans import services as careplan_services
from careplans.models import Document, Leaflet
from diaries.models import DiaryReport
from diaries.services import render_report
from referrals.letters import render_triage_letter
from tests.careplans import builders as careplan_builders
from tests.diaries import builders as diary_builders
from tests.referrals import builders as referral_builders

pytestmark = pytest.mark.django_db


class _Canary(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802  (http.server's hook name)
        self.server.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def canary():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Canary)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def _hostile(origin: str) -> str:
    """Every way a stored text could ask a renderer to fetch something."""
    return (
        f'<img src="{origin}/img.png"> <link rel="stylesheet" href="{origin}/sheet.css">'
        f' <style>@import url("{origin}/import.css"); body {{ background: url({origin}/bg.png) }}'
        f'</style> <div style="background: url({origin}/inline.png)">x</div>'
        f' <img src="file:///etc/passwd"> <iframe src="{origin}/frame"></iframe>'
        f" ![md]({origin}/markdown.png) [link]({origin}/link) url({origin}/css-text.png)"
    )


def _ready(document: Document) -> bytes:
    assert careplan_services.render_document(str(document.uuid)) == Document.Status.READY
    document.refresh_from_db()
    assert bytes(document.pdf).startswith(b"%PDF")
    return bytes(document.pdf)


def test_no_document_fetches_what_its_text_points_at(canary, world):
    origin, server = canary
    text = _hostile(origin)[:290]
    world.patient.given_name = _hostile(origin)[:100]
    world.patient.save()

    plan = careplan_builders.plan(world.patient, actor=world.clinician)
    version = plan.versions.get(number=1)
    careplan_builders.fill_draft(
        version,
        actor=world.clinician,
        goals=[{"description": text, "baseline": 2, "target": 6, "current": None}],
        what_matters=_hostile(origin),
        acute_plan=_hostile(origin),
    )
    version = careplan_services.agree_version(actor=world.clinician, version=version)
    _ready(careplan_services.request_careplan_pdf(actor=world.clinician, version=version))

    # A leaflet row that never went through the admin form's Markdown checks.
    leaflet = Leaflet.objects.create(
        slug="hostile",
        title="Hostile",
        summary="x",
        body_markdown=f"## Heading\n\n{_hostile(origin)}\n\n<{origin.replace('http', 'https')}/>",
        sources=f"Canary | {origin}/source",
        review_on=timezone.localdate() + timedelta(days=300),
    )
    _ready(
        careplan_services.request_leaflet_pdf(
            actor=world.clinician, patient=world.patient, plan=plan, leaflet=leaflet
        )
    )

    diary_builders.record(
        world.patient, timezone.localdate(), diary_builders.clear_day(note=_hostile(origin))
    )
    report = DiaryReport.objects.create(
        patient=world.patient, start=timezone.localdate() - timedelta(days=89)
    )
    assert render_report(report_uuid=str(report.uuid)) == "ready"

    referral = referral_builders.decided(
        world.other_patient,
        world.gp,
        world.clinician,
        decision="reject",
        advice_to_referrer=_hostile(origin),
    )
    letter = render_triage_letter(referral_uuid=str(referral.uuid))
    assert bytes(letter.pdf).startswith(b"%PDF")

    assert server.requests == []
    # The canary was listening all along: a plain request is recorded.
    urllib.request.urlopen(f"{origin}/ping", timeout=5)  # noqa: S310  loopback canary
    assert server.requests == ["/ping"]


def test_a_leaflet_written_in_the_admin_cannot_point_at_a_server(canary, client, world):
    origin, server = canary
    client.force_login(world.admin, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(
        "/admin/careplans/leaflet/add/",
        {
            "slug": "canary",
            "title": "Canary",
            "summary": "x",
            "condition": "general",
            "body_markdown": f"## Heading\n\n![x]({origin}/img.png)\n\n[y]({origin}/page)",
            "sources": f"Canary | {origin}/source",
            "review_on": "2027-01-31",
            "is_published": "on",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Remove the image" in html and "must start with https://" in html
    assert not Leaflet.objects.filter(slug="canary").exists()
    assert server.requests == []
