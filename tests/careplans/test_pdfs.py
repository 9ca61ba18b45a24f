"""PDFs: keyed by content, rendered once by the worker, escaped, fetching nothing outside the
app's static files, downloaded only by people who may see the patient."""

import hashlib
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from pypdf import PdfReader

from careplans import printing, selectors, services
from careplans.models import CarePlanVersion, Document, Leaflet
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


class Killed(BaseException):
    """What a render killed by the worker's time limit leaves: no error recorded."""


def test_a_pdf_the_worker_never_finishes_is_failed_after_its_attempts_not_queued_for_ever(
    world, queued_renders, django_capture_on_commit_callbacks, monkeypatch
):
    version = builders.agreed_plan(world.patient).versions.get()
    document = services.request_careplan_pdf(actor=world.clinician, version=version)

    def a_while_later():
        Document.objects.filter(pk=document.pk).update(
            enqueued_at=timezone.now() - timedelta(minutes=5)
        )

    # While no worker begins it (broker or worker down), the sweep keeps queuing it.
    for _ in range(services.MAX_RENDER_ATTEMPTS + 1):
        a_while_later()
        with django_capture_on_commit_callbacks(execute=True):
            assert services.requeue_pending_documents() == 1

    # Each render begun is killed by the time limit: after MAX_RENDER_ATTEMPTS, no more.
    def killed(html):
        raise Killed

    monkeypatch.setattr("pathway.pdf.html_to_pdf", killed)
    for attempt in range(1, services.MAX_RENDER_ATTEMPTS + 1):
        with pytest.raises(Killed):
            services.render_document(str(document.uuid))
        document.refresh_from_db()
        assert (document.status, document.attempts) == ("pending", attempt)
        a_while_later()
        if attempt < services.MAX_RENDER_ATTEMPTS:
            with django_capture_on_commit_callbacks(execute=True):
                assert services.requeue_pending_documents() == 1
    queued = len(queued_renders)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.requeue_pending_documents() == 0
    document.refresh_from_db()
    assert document.status == "failed"
    assert document.last_error == "No PDF after 3 attempts"
    assert len(queued_renders) == queued
    # Nothing more is queued until someone asks again, which starts afresh.
    assert services.requeue_pending_documents() == 0
    with django_capture_on_commit_callbacks(execute=True):
        again = services.request_careplan_pdf(actor=world.clinician, version=version)
    again.refresh_from_db()
    assert (again.pk, again.status, again.attempts) == (document.pk, "pending", 0)
    assert queued_renders[-1] == str(document.uuid)


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
    # Found to work and carried on: still the patient's medicine on their leaflet.
    plan.trials.filter(pk=trial.pk).update(outcome="effective", outcome_recorded_at=timezone.now())
    kept = services.request_leaflet_pdf(
        actor=world.clinician, patient=world.patient, plan=plan, leaflet=leaflet
    )
    assert "Topiramate, 50 mg at night" in kept.html
    plan.trials.filter(pk=trial.pk).update(outcome="not_tolerated")
    stopped = services.request_leaflet_pdf(
        actor=world.clinician, patient=world.patient, plan=plan, leaflet=leaflet
    )
    assert "50 mg at night" not in stopped.html


def test_a_leaflet_pdf_has_one_when_to_get_help_box_with_its_own_advice_and_the_pathways(world):
    document = services.request_leaflet_pdf(
        actor=world.patient_user,
        patient=world.patient,
        plan=None,
        leaflet=builders.leaflet("topiramate"),
    )
    assert services.render_document(str(document.uuid)) == "ready"
    document.refresh_from_db()
    pages = PdfReader(io.BytesIO(bytes(document.pdf))).pages
    text = " ".join(" ".join(page.extract_text() for page in pages).split())
    assert text.count("When to get help") == 1
    # The leaflet's own advice and the pathway's warning signs, in that one box.
    help_box = text.split("When to get help", 1)[1]
    assert "sudden eye pain or blurred vision" in help_box
    assert "thoughts of harming yourself" in help_box
    assert "Call 999 if:" in help_box and "Samaritans" in help_box
    # The rest of the leaflet is still printed before it.
    assert "Drink plenty of water" in text.split("When to get help", 1)[0]


def test_a_leaflet_without_medicines_is_still_personalised(world):
    document = services.request_leaflet_pdf(
        actor=world.patient_user,
        patient=world.patient,
        plan=None,
        leaflet=builders.leaflet("headache-diary"),
    )
    assert "Information for Alice Anders" in document.html
    assert "Your medicine" not in document.html


# --- what a PDF prints, and its fingerprint ------------------------------------------------------

MADE_IN_SUMMER = datetime(2026, 7, 1, 9, 15, tzinfo=UTC)  # 10:15 in London (BST)


def test_the_fingerprint_is_of_the_content_and_not_the_old_plain_hash():
    assert printing.fingerprint("<p>a</p>") == printing.fingerprint("<p>a</p>")
    assert printing.fingerprint("<p>a</p>") != printing.fingerprint("<p>b</p>")
    # Copies keyed before PDFs said when they were made (a plain hash of their HTML, with no
    # "Correct on" line) never match, so they are not offered again.
    assert printing.fingerprint("<p>a</p>") != hashlib.sha256(b"<p>a</p>").hexdigest()


def test_the_content_has_no_time_and_the_printed_copy_says_when_it_was_correct(world):
    version = builders.agreed_plan(world.patient).versions.get()
    version = selectors.load_version(version.uuid, patients=type(world.patient).objects.all())
    view = selectors.version_view(version)
    content = printing.careplan_html(patient=world.patient, view=view, trials=[])
    assert content == printing.careplan_html(patient=world.patient, view=view, trials=[])
    assert "Correct on" not in content
    printed = printing.careplan_html(
        patient=world.patient, view=view, trials=[], made_at=MADE_IN_SUMMER
    )
    assert "Correct on 1 July 2026, 10:15. Things may change after this" in printed
    leaflet = printing.leaflet_html(
        patient=world.patient,
        leaflet=builders.leaflet("topiramate"),
        trials=[],
        made_at=MADE_IN_SUMMER,
    )
    assert "Correct on 1 July 2026, 10:15." in leaflet


def test_a_personal_leaflet_says_a_check_whose_date_has_passed_is_due_now(world):
    plan = builders.agreed_plan(world.patient)
    started = timezone.localdate() - timedelta(days=100)
    trial = builders.trial(plan, medicine_code="topiramate", started_on=started)
    leaflet = builders.leaflet("topiramate")
    due = printing.leaflet_html(patient=world.patient, leaflet=leaflet, trials=[trial])
    assert (
        f"the check of how it is working was due on {trial.review_due:%-d %B %Y}: if the team "
        "has not been in touch about it, contact them" in due
    )
    assert "we will check" not in due
    trial.review_due = timezone.localdate()
    today = printing.leaflet_html(patient=world.patient, leaflet=leaflet, trials=[trial])
    assert f"we will check how it is working by {trial.review_due:%-d %B %Y}" in today
    # Recorded as working, it is still taken and still checked.
    trial.outcome = "effective"
    working = printing.leaflet_html(patient=world.patient, leaflet=leaflet, trials=[trial])
    assert f"we will check how it is working by {trial.review_due:%-d %B %Y}" in working


def test_the_care_plan_pdf_has_what_the_patients_page_has(world, login):
    """The leaflets on the plan, how to reach the team, a passed check as due now, and no
    empty heading: for a patient without the portal the PDF is all they have."""
    world.service.phone = "01632 960000"
    world.service.contact_hours = "9am to 5pm, Monday to Friday"
    world.service.save()
    plan = builders.agreed_plan(world.patient)
    started = timezone.localdate() - timedelta(days=100)
    builders.trial(plan, medicine_code="topiramate", started_on=started)
    login(world.clinician).post(
        f"/care-plans/plans/{plan.uuid}/leaflets/", {"leaflet": "topiramate"}
    )
    version = plan.versions.get()
    html = services.request_careplan_pdf(actor=world.clinician, version=version).html
    assert "Leaflets for me" in html and "Topiramate to prevent migraine" in html
    assert "Pain service: call 01632 960000 (9am to 5pm, Monday to Friday)." in html
    assert "Due now" in html
    # The plan's page offers that copy: it prints what the page shows now.
    (view,) = selectors.plans_for_patient(world.patient)
    assert view.document.html == html
    # A leaflet taken off the plan, or a new phone number, is a new copy.
    world.service.phone = "01632 960001"
    world.service.save()
    (view,) = selectors.plans_for_patient(world.patient)
    assert view.document is None


def test_the_care_plan_pdf_has_no_empty_heading_for_flare_ups(world):
    version = builders.agreed_plan(world.patient, condition="chronic_pain").versions.get()
    version.acute_plan = "Pace the day and use the heat pad."
    view = selectors.version_view(version)
    assert "When pain flares up" in printing.careplan_html(
        patient=world.patient, view=view, trials=[]
    )
    version.acute_plan = ""
    assert not view.acute
    assert "When pain flares up" not in printing.careplan_html(
        patient=world.patient, view=view, trials=[]
    )


# --- services: a change to what is printed makes a new PDF -----------------------------------


def _topiramate_plan(world):
    plan = builders.agreed_plan(world.patient)
    trial = builders.trial(plan, medicine_code="topiramate", dose="50 mg twice a day")
    return plan, trial


def test_a_treatment_stopped_after_the_pdf_was_made_gives_a_new_pdf_and_keeps_the_old(
    world, queued_renders, django_capture_on_commit_callbacks
):
    plan, trial = _topiramate_plan(world)
    version = plan.versions.get()
    with django_capture_on_commit_callbacks(execute=True):
        first = services.request_careplan_pdf(actor=world.patient_user, version=version)
    assert services.render_document(str(first.uuid)) == "ready"
    assert "Ongoing" in Document.objects.get(pk=first.pk).html
    services.review_trial(actor=world.clinician, trial=trial, data={"outcome": "not_tolerated"})

    with django_capture_on_commit_callbacks(execute=True):
        second = services.request_careplan_pdf(actor=world.clinician, version=version)
    assert second != first and second.status == "pending" and second.version == version
    assert queued_renders == [str(first.uuid), str(second.uuid)]
    html = Document.objects.get(pk=second.pk).html
    assert "Not tolerated" in html and "Ongoing" not in html
    first.refresh_from_db()
    assert first.status == "ready"  # the copy given out before stays, for the record
    assert AuditEvent.objects.filter(action="create", object_type="careplans.document").count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        again = services.request_careplan_pdf(actor=world.patient_user, version=version)
    assert again == second and len(queued_renders) == 2


def test_an_unchanged_plan_reuses_its_pdf_which_says_when_it_was_made(world, monkeypatch):
    _, _ = _topiramate_plan(world)
    version = CarePlanVersion.objects.get(plan__patient=world.patient)
    monkeypatch.setattr(timezone, "now", lambda: MADE_IN_SUMMER)
    document = services.request_careplan_pdf(actor=world.clinician, version=version)
    monkeypatch.setattr(timezone, "now", lambda: MADE_IN_SUMMER + timedelta(days=3))
    assert services.request_careplan_pdf(actor=world.clinician, version=version) == document
    assert "Correct on 1 July 2026, 10:15." in Document.objects.get(pk=document.pk).html


def test_a_new_treatment_after_a_leaflet_was_made_gives_a_new_leaflet(world):
    plan = builders.agreed_plan(world.patient)
    leaflet = builders.leaflet("topiramate")
    before = services.request_leaflet_pdf(
        actor=world.patient_user, patient=world.patient, plan=plan, leaflet=leaflet
    )
    assert "Your medicine" not in Document.objects.get(pk=before.pk).html
    builders.trial(plan, medicine_code="topiramate", dose="25 mg")
    after = services.request_leaflet_pdf(
        actor=world.patient_user, patient=world.patient, plan=plan, leaflet=leaflet
    )
    assert after != before
    assert "<strong>Your medicine:</strong> Topiramate, 25 mg" in after.html


# --- selectors: only the copy that prints what the page shows is offered ------------------------


def test_the_plan_offers_only_the_pdf_that_prints_what_it_shows_now(world):
    plan, trial = _topiramate_plan(world)
    version = plan.versions.get()
    (view,) = selectors.plans_for_patient(world.patient)
    assert view.document is None
    made = services.request_careplan_pdf(actor=world.clinician, version=version)
    (view,) = selectors.plans_for_patient(world.patient)
    assert view.document == made

    services.review_trial(actor=world.clinician, trial=trial, data={"outcome": "not_tolerated"})
    (view,) = selectors.plans_for_patient(world.patient, agreed_only=True)
    assert view.document is None
    remade = services.request_careplan_pdf(actor=world.clinician, version=version)
    (view,) = selectors.plans_for_patient(world.patient)
    assert view.document == remade

    world.patient.family_name = "Anders-Smith"  # the patient's name is printed on it too
    world.patient.save()
    (view,) = selectors.plans_for_patient(world.patient)
    assert view.document is None


def test_a_new_agreed_version_does_not_offer_the_last_versions_pdf(world):
    plan = builders.agreed_plan(world.patient)
    services.request_careplan_pdf(actor=world.clinician, version=plan.versions.get())
    draft = services.start_new_version(actor=world.clinician, plan=plan)
    services.agree_version(actor=world.clinician, version=builders.fill_draft(draft))
    (view,) = selectors.plans_for_patient(world.patient)
    assert view.current.version == draft and view.document is None


def test_a_copy_keyed_before_pdfs_said_when_they_were_made_is_not_offered(world):
    plan = builders.agreed_plan(world.patient)
    made = services.request_careplan_pdf(actor=world.clinician, version=plan.versions.get())
    (view,) = selectors.plans_for_patient(world.patient)
    content = printing.careplan_html(patient=world.patient, view=view.current, trials=[])
    Document.objects.filter(pk=made.pk).update(
        content_hash=hashlib.sha256(content.encode()).hexdigest()
    )
    (view,) = selectors.plans_for_patient(world.patient)
    assert view.document is None


def test_the_leaflet_offers_only_the_copy_with_the_medicines_it_shows_now(world):
    plan = builders.agreed_plan(world.patient)
    leaflet = builders.leaflet("topiramate")

    def current():
        trials = selectors.trials_for_leaflet(plan, leaflet)
        return selectors.current_leaflet_document(world.patient, leaflet, trials)

    assert current() is None
    before = services.request_leaflet_pdf(
        actor=world.patient_user, patient=world.patient, plan=plan, leaflet=leaflet
    )
    assert current() == before
    builders.trial(plan, medicine_code="topiramate", dose="25 mg")
    assert current() is None
    after = services.request_leaflet_pdf(
        actor=world.patient_user, patient=world.patient, plan=plan, leaflet=leaflet
    )
    assert current() == after
    Leaflet.objects.filter(pk=leaflet.pk).update(version=leaflet.version + 1)
    leaflet.refresh_from_db()
    assert current() is None  # a new leaflet version prints its version number


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


def test_after_the_nurse_stops_a_treatment_the_old_care_plan_pdf_is_not_offered(world, login):
    plan, trial = _topiramate_plan(world)
    version = plan.versions.get()
    client = login(world.patient_user)
    assert client.post(f"/care-plans/versions/{version.uuid}/pdf/").status_code == 302
    first = Document.objects.get()
    services.render_document(str(first.uuid))
    old_download = f"/care-plans/documents/{first.uuid}/download/"
    assert old_download in client.get("/care-plans/my/").content.decode()

    nurse = login(world.clinician)
    response = nurse.post(
        f"/care-plans/treatments/{trial.uuid}/review/",
        {"outcome": "not_tolerated"},
    )
    assert response.status_code == 302
    staff_page = f"/care-plans/patients/{world.patient.uuid}/"
    html = nurse.get(staff_page).content.decode()
    assert old_download not in html and "Make a PDF of the care plan" in html
    response = nurse.post(
        f"/care-plans/versions/{version.uuid}/pdf/", headers={"HX-Request": "true"}
    )
    assert "Preparing the care plan PDF" in response.content.decode()
    second = Document.objects.exclude(pk=first.pk).get()
    assert "Not tolerated" in second.html and "Ongoing" not in second.html

    client = login(world.patient_user)
    html = client.get("/care-plans/my/").content.decode()
    assert "this was stopped because of side effects" in html
    assert old_download not in html and f"document-{second.uuid}" in html
    assert "Preparing the care plan PDF" in html
    services.render_document(str(second.uuid))
    html = client.get("/care-plans/my/").content.decode()
    assert f"/care-plans/documents/{second.uuid}/download/" in html
    assert old_download not in html


def test_after_a_new_treatment_the_patient_is_offered_a_new_leaflet_not_the_old(world, login):
    plan = builders.agreed_plan(world.patient)
    builders.attached(plan, "topiramate")
    client = login(world.patient_user)
    url = "/care-plans/my/leaflets/topiramate/"
    client.post(f"/care-plans/patients/{world.patient.uuid}/leaflets/topiramate/pdf/")
    old = Document.objects.get(kind="leaflet")
    services.render_document(str(old.uuid))
    assert f"/care-plans/documents/{old.uuid}/download/" in client.get(url).content.decode()

    builders.trial(plan, medicine_code="topiramate", dose="25 mg")
    html = client.get(url).content.decode()
    assert "Topiramate, 25 mg" in html
    assert str(old.uuid) not in html and "Make a PDF of this leaflet" in html
    client.post(f"/care-plans/patients/{world.patient.uuid}/leaflets/topiramate/pdf/")
    new = Document.objects.filter(kind="leaflet").exclude(pk=old.pk).get()
    assert "Topiramate, 25 mg" in new.html
    html = client.get(url).content.decode()
    assert f"document-{new.uuid}" in html and str(old.uuid) not in html


def test_the_pdf_gives_a_check_by_date_for_each_medicine_still_taken(world):
    plan = builders.plan(world.patient)
    version = builders.fill_draft(plan.versions.get())
    services.agree_version(actor=world.clinician, version=version)
    due = timezone.localdate() + timedelta(days=60)
    working = builders.trial(plan, medicine_code="propranolol")
    services.review_trial(
        actor=world.clinician,
        trial=working,
        data={"outcome": "effective", "adequate_trial": True, "review_due": due},
    )
    builders.failed(plan, "amitriptyline", outcome="not_tolerated")
    version.refresh_from_db()
    html = services.request_careplan_pdf(actor=world.clinician, version=version).html
    rows = {
        name: cells
        for name, *cells in (
            re.findall(r"<td>(.*?)</td>", row)
            for row in re.findall(r"<tr><td>.*?</tr>", html, re.S)
        )
    }
    assert rows["Propranolol"][2] == f"{due:%-d %b %Y}"
    assert rows["Amitriptyline"][2] == "–"


def test_the_plan_and_leaflet_pdfs_print_the_dose_taken_now(world):
    plan = builders.agreed_plan(world.patient)
    trial = builders.trial(plan, medicine_code="topiramate", dose="50 mg at night")
    leaflet = builders.leaflet("topiramate")
    version = plan.versions.get(number=1)
    before = services.request_careplan_pdf(actor=world.patient_user, version=version)
    services.record_reduction(
        actor=world.clinician,
        trial=trial,
        data={"step": "reduced", "reduced_on": timezone.localdate(), "dose": "25 mg at night"},
    )
    after = services.request_careplan_pdf(actor=world.patient_user, version=version)
    # A new copy: the one printed before the reduction gives a dose no longer taken.
    assert after.pk != before.pk
    assert "<td>25 mg at night (lowered from 50 mg at night)</td>" in after.html
    document = services.request_leaflet_pdf(
        actor=world.patient_user, patient=world.patient, plan=plan, leaflet=leaflet
    )
    assert "Topiramate, 25 mg at night" in document.html
    assert "50 mg" not in document.html


def test_the_pdf_of_a_plan_whose_care_ended_promises_no_review_or_check(world):
    care_plan = builders.agreed_plan(world.patient)
    trial = builders.trial(care_plan, started_on=timezone.localdate() - timedelta(days=200))
    version = selectors.load_version(
        care_plan.versions.get().uuid, patients=type(world.patient).objects.all()
    )
    view = selectors.version_view(version)
    during = printing.careplan_html(patient=world.patient, view=view, trials=[trial])
    assert "Due now" in during and "None: your care with the team ended" not in during

    from reviews.services import episodes as episode_services

    episode_services.discharge_episode(
        actor=world.clinician, episode=care_plan.episode, reason="patient_choice"
    )
    version = selectors.load_version(version.uuid, patients=type(world.patient).objects.all())
    after = printing.careplan_html(
        patient=world.patient, view=selectors.version_view(version), trials=[trial]
    )
    ended = f"{timezone.localtime(care_plan.episode.closed_at):%-d %B %Y}"
    assert f"None: your care with the team ended on {ended}." in after
    assert "Due now" not in after and "your care team will contact you" not in after


def test_a_patient_asking_from_an_old_page_gets_the_plan_agreed_now(world, login, queued_renders):
    """Their page showed version 1; the team has agreed version 2 since. The patient's plan is
    the one agreed now."""
    from django.urls import reverse

    plan = builders.agreed_plan(world.patient)
    first = plan.versions.get()
    second = services.start_new_version(actor=world.clinician, plan=plan)
    builders.fill_draft(second, actor=world.clinician)
    services.agree_version(actor=world.clinician, version=second)
    response = login(world.patient_user).post(
        reverse("careplans:plan-pdf", kwargs={"version_uuid": first.uuid}), follow=True
    )
    assert "agreed a new version of your care plan since you opened the page" in (
        response.content.decode()
    )
    document = Document.objects.get()
    second.refresh_from_db()
    assert document.version == second
    # Staff may still print a version replaced since, for the record.
    login(world.clinician).post(reverse("careplans:plan-pdf", kwargs={"version_uuid": first.uuid}))
    assert Document.objects.filter(version=first).exists()
