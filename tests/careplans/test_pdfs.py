"""PDFs: keyed by content, rendered once by the worker, escaped, fetching nothing outside the
app's static files, downloaded only by people who may see the patient."""

from datetime import timedelta

import pytest
from django.utils import timezone

from careplans import printing, selectors, services
from careplans.models import Document
from pathway.models import AuditEvent
from tests.careplans import builders

pytestmark = pytest.mark.django_db
HOSTILE = '<script>alert("x")</script><img src="https://evil.example/track.png">'


def test_a_draft_has_no_pdf(world):
    draft = builders.plan(world.patient).versions.get()
    with pytest.raises(services.CarePlanError, match="Agree the plan first"):
        services.request_careplan_pdf(actor=world.clinician, version=draft)


def test_asking_twice_for_a_version_pdf_is_a_no_op(
    world, queued_renders, django_capture_on_commit_callbacks
):
    version = builders.agreed_plan(world.patient).versions.get()
    with django_capture_on_commit_callbacks(execute=True):
        first = services.request_careplan_pdf(actor=world.patient_user, version=version)
    with django_capture_on_commit_callbacks(execute=True):
        second = services.request_careplan_pdf(actor=world.clinician, version=version)
    assert first == second and Document.objects.count() == 1
    assert queued_renders == [str(first.uuid)]  # queued once, not again within 30 seconds
    assert first.kind == "careplan" and len(first.content_hash) == 64


def test_the_worker_renders_once_and_stores_the_pdf_with_its_hash(world):
    version = builders.agreed_plan(world.patient).versions.get()
    document = services.request_careplan_pdf(actor=world.clinician, version=version)
    assert services.render_document(str(document.uuid)) == "ready"
    document.refresh_from_db()
    pdf = bytes(document.pdf)
    assert pdf.startswith(b"%PDF") and document.size == len(pdf)
    assert len(document.pdf_sha256) == 64
    rendered_at = document.rendered_at
    assert services.render_document(str(document.uuid)) == "ready"  # safe to run twice
    document.refresh_from_db()
    assert document.rendered_at == rendered_at
    assert services.render_document("00000000-0000-0000-0000-000000000000") == "missing"


def test_free_text_is_escaped_in_the_pdf_and_nothing_outside_static_is_fetched(world, monkeypatch):
    plan = builders.plan(world.patient)
    version = builders.fill_draft(plan.versions.get(), what_matters=HOSTILE)
    services.agree_version(actor=world.clinician, version=version)
    builders.trial(plan, dose=HOSTILE)
    version.refresh_from_db()
    document = services.request_careplan_pdf(actor=world.clinician, version=version)
    assert "<script>" not in document.html and "&lt;script&gt;" in document.html
    assert '<img src="https://evil' not in document.html

    from pathway import pdf

    fetched = []
    real_fetcher = pdf.static_only_fetcher

    def recording_fetcher(url, *args, **kwargs):
        fetched.append(url)
        return real_fetcher(url, *args, **kwargs)

    monkeypatch.setattr(pdf, "static_only_fetcher", recording_fetcher)
    assert services.render_document(str(document.uuid)) == "ready"
    assert fetched == [
        "https://pdf.pathway.invalid/static/css/print.css",
        "https://pdf.pathway.invalid/static/careplans/print.css",
    ]


def test_a_failed_render_is_shown_and_can_be_tried_again(
    world, monkeypatch, queued_renders, django_capture_on_commit_callbacks
):
    version = builders.agreed_plan(world.patient).versions.get()
    document = services.request_careplan_pdf(actor=world.clinician, version=version)

    def broken(html):
        raise RuntimeError("font missing")

    monkeypatch.setattr("pathway.pdf.html_to_pdf", broken)
    assert services.render_document(str(document.uuid)) == "failed"
    document.refresh_from_db()
    assert document.status == "failed" and document.last_error == "RuntimeError"
    Document.objects.filter(pk=document.pk).update(
        enqueued_at=timezone.now() - timedelta(minutes=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        again = services.request_careplan_pdf(actor=world.clinician, version=version)
    again.refresh_from_db()
    assert again.status == "pending" and queued_renders[-1] == str(document.uuid)


def test_a_pending_pdf_left_by_a_dead_worker_is_queued_again(
    world, queued_renders, django_capture_on_commit_callbacks
):
    version = builders.agreed_plan(world.patient).versions.get()
    document = services.request_careplan_pdf(actor=world.clinician, version=version)
    assert services.requeue_pending_documents() == 0  # just queued: leave it to the worker
    Document.objects.filter(pk=document.pk).update(
        enqueued_at=timezone.now() - timedelta(minutes=5)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.requeue_pending_documents() == 1
    assert queued_renders == [str(document.uuid)]
    assert services.requeue_pending_documents() == 0


def test_a_personalised_leaflet_names_the_patient_and_their_dose(world):
    plan = builders.plan(world.patient)
    builders.trial(plan, medicine_code="topiramate", dose="25 mg at night")
    builders.trial(plan, medicine_code="propranolol", dose="40 mg twice a day")
    leaflet = builders.leaflet("topiramate")
    document = services.request_leaflet_pdf(
        actor=world.patient_user, patient=world.patient, plan=plan, leaflet=leaflet
    )
    assert world.patient.full_name in document.html
    assert "Topiramate, 25 mg at night" in document.html
    assert "Propranolol" not in document.html
    assert "pregnancy prevention programme" in document.html
    assert "Call 999" in document.html
    assert (document.kind, document.leaflet_version, document.filename) == (
        "leaflet",
        leaflet.version,
        "topiramate.pdf",
    )
    same = services.request_leaflet_pdf(
        actor=world.clinician, patient=world.patient, plan=plan, leaflet=leaflet
    )
    assert same == document
    trial = plan.trials.get(medicine_code="topiramate")
    services.review_trial(actor=world.clinician, trial=trial, data={"notes": "x"})
    plan.trials.filter(pk=trial.pk).update(dose="50 mg at night")
    changed = services.request_leaflet_pdf(
        actor=world.clinician, patient=world.patient, plan=plan, leaflet=leaflet
    )
    assert changed != document and "50 mg at night" in changed.html


def test_a_leaflet_without_medicines_is_still_personalised(world):
    document = services.request_leaflet_pdf(
        actor=world.patient_user,
        patient=world.patient,
        plan=None,
        leaflet=builders.leaflet("headache-diary"),
    )
    assert "Information for Alice Anders" in document.html
    assert "Your medicine" not in document.html


def test_the_careplan_html_has_no_time_of_printing(world):
    version = builders.agreed_plan(world.patient).versions.get()
    version = selectors.load_version(version.uuid, patients=type(world.patient).objects.all())
    html = lambda: printing.careplan_html(  # noqa: E731
        patient=world.patient, view=selectors.version_view(version), trials=[]
    )
    assert html() == html()


# --- views ---------------------------------------------------------------------------------------


def test_asking_by_htmx_returns_the_preparing_fragment_which_polls(world, login):
    version = builders.agreed_plan(world.patient).versions.get()
    client = login(world.patient_user)
    response = client.post(
        f"/care-plans/versions/{version.uuid}/pdf/", headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'hx-trigger="every 2s"' in html and "Preparing the care plan PDF" in html
    document = Document.objects.get()
    services.render_document(str(document.uuid))
    poll = client.get(f"/care-plans/documents/{document.uuid}/", headers={"HX-Request": "true"})
    html = poll.content.decode()
    assert "hx-trigger" not in html  # polling stops
    assert f"/care-plans/documents/{document.uuid}/download/" in html


def test_a_download_is_a_private_pdf_and_is_audited(world, login):
    document = builders.ready_document(world.patient)
    client = login(world.gp)
    response = client.get(f"/care-plans/documents/{document.uuid}/download/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert 'filename="care-plan-version-1.pdf"' in response["Content-Disposition"]
    assert response.content == b"%PDF-1.7 test"
    assert AuditEvent.objects.filter(action="download", actor=world.gp).count() == 1


def test_another_patients_pdf_is_not_found(world, login):
    document = builders.ready_document(world.other_patient)
    client = login(world.patient_user)
    assert client.get(f"/care-plans/documents/{document.uuid}/download/").status_code == 404
    assert client.get(f"/care-plans/documents/{document.uuid}/").status_code == 404
    other_gp = login(world.other_gp)
    assert other_gp.get(f"/care-plans/documents/{document.uuid}/download/").status_code == 404


def test_a_pdf_not_ready_yet_shows_the_preparing_page(world, login):
    version = builders.agreed_plan(world.patient).versions.get()
    document = services.request_careplan_pdf(actor=world.clinician, version=version)
    response = login(world.patient_user).get(f"/care-plans/documents/{document.uuid}/download/")
    assert response.status_code == 200
    assert "Preparing" in response.content.decode()


def test_a_patient_asks_for_a_personalised_leaflet_from_its_page(world, login):
    plan = builders.agreed_plan(world.patient)
    builders.trial(plan, medicine_code="topiramate", dose="25 mg at night")
    client = login(world.patient_user)
    page = client.get("/care-plans/my/leaflets/topiramate/")
    assert "Topiramate, 25 mg at night" in page.content.decode()
    response = client.post(f"/care-plans/patients/{world.patient.uuid}/leaflets/topiramate/pdf/")
    assert (
        response.status_code == 302
        and response["Location"] == "/care-plans/my/leaflets/topiramate/"
    )
    assert Document.objects.filter(kind="leaflet", patient=world.patient).count() == 1
    page = client.get("/care-plans/my/leaflets/topiramate/")
    assert "Preparing the leaflet PDF" in page.content.decode()
    assert (
        client.post(
            f"/care-plans/patients/{world.other_patient.uuid}/leaflets/topiramate/pdf/"
        ).status_code
        == 404
    )
