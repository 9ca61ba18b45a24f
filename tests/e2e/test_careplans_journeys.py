"""Journeys: a clinician builds, agrees and revises a care plan with a patient; the patient reads
it, downloads its PDF and a personalised leaflet, and after a treatment changes is offered new ones,
not the old; the leaflet library is open to everyone.

Every page visited is checked with axe and for console errors (CSP) by the harness. The worker's
queue is replaced by a list that the journey renders itself, as the worker would."""

import re
from datetime import timedelta
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.utils import timezone

from careplans import services, tasks
from careplans.models import Document
from pathway.demo import DEMO_PASSWORD
from pathway.models import User
from tests.careplans import builders as careplan_builders

pytestmark = pytest.mark.e2e

NURSE = "nurse@demo.nhs.uk"
PATIENT = "patient@demo.nhs.uk"


@pytest.fixture
def careplans_demo(demo, monkeypatch):
    """The kernel demo plus the leaflet library (a transactional test empties the tables the data
    migration filled). Returns the list of PDF renders handed to the "broker"."""
    import_module("careplans.migrations.0002_leaflet_library").load_leaflets(django_apps, None)
    queued = []
    monkeypatch.setattr(
        tasks.render_document_pdf, "apply_async", lambda args, **kw: queued.append(args[0])
    )
    monkeypatch.setattr("pathway.notifications.outbox.enqueue_delivery", lambda *a, **k: True)
    return queued


def _shot(browser, name):
    browser.page.screenshot(path=f"/tmp/careplans-e2e-{name}.png", full_page=True)


def _work_off(queued):
    """Do what the worker does with the queued PDFs."""
    while queued:
        services.render_document(queued.pop(0))


def _first_conversation(patient, clinician, what_matters):
    """The first conversation held with the patient about their headaches, with its review."""
    from reviews.models import Review
    from tests.reviews import builders as review_builders

    held = review_builders.appointment(
        patient,
        clinician,
        start=timezone.now() - timedelta(days=7),
        status="attended",
        kind="first_conversation",
        episode=patient.episodes.get(condition="headache", status__in=["referred", "active"]),
    )
    Review.objects.create(
        appointment=held,
        patient=patient,
        episode=held.episode,
        summary="Pain story heard.",
        what_matters=what_matters,
        next_review_date=timezone.localdate() + timedelta(days=14),
        completed_at=held.start + timedelta(minutes=30),
        completed_by=clinician,
    )


def test_a_clinician_builds_agrees_and_revises_a_plan(browser_page, careplans_demo, demo):
    alex = demo.patients[0]
    _first_conversation(alex, User.objects.get(email=NURSE), "Keeping her job and running.")
    page = browser_page.page
    browser_page.sign_in(NURSE, DEMO_PASSWORD)
    browser_page.goto(f"/care-plans/patients/{alex.uuid}/")
    assert page.get_by_text("has no care plan yet").is_visible()

    page.get_by_role("radio", name=re.compile("^Headache")).check()
    page.get_by_role("button", name="Start a care plan").click()
    browser_page.check()
    assert page.get_by_role("heading", name="Draft version 1").is_visible()
    # What matters to Alex, said at her first conversation, is not asked for again.
    assert page.get_by_text(
        "What matters to me is filled in from the first conversation on "
    ).is_visible()
    what_matters = page.get_by_label("What matters to me")
    assert what_matters.input_value() == "Keeping her job and running."

    # Bad input first: a rating out of range is explained and nothing is saved.
    page.get_by_label("What matters to me").fill("Getting back to work <b>full time</b>")
    page.get_by_label("Goal, in the patient's words").first.fill("Work a full week")
    page.get_by_label("Rating at the start").first.fill("11")
    page.get_by_label("Target rating").first.fill("8")
    next_review = timezone.localdate() + timedelta(days=120)
    page.get_by_label("Next review date").fill(next_review.isoformat())
    page.get_by_role("button", name="Save and agree with the patient").click()
    browser_page.check()
    summary = page.get_by_role("alert")
    assert "Enter rating at the start as a whole number from 0 to 10." in summary.inner_text()
    _shot(browser_page, "draft-error")

    page.get_by_label("Rating at the start").first.fill("3")
    page.get_by_role("button", name="Save and agree with the patient").click()
    browser_page.check()
    assert page.get_by_role("heading", name=re.compile("Agree version 1")).is_visible()
    page.get_by_label("I have agreed this plan with the patient").check()
    page.get_by_role("button", name="Agree the plan").click()
    browser_page.check()
    assert page.get_by_text("Version 1 of the care plan is agreed.").is_visible()
    assert page.get_by_text("Getting back to work <b>full time</b>").is_visible()  # escaped

    page.get_by_role("link", name="Record a treatment").click()
    browser_page.check()
    page.get_by_label("Medicine", exact=True).select_option("topiramate")
    page.get_by_label("Headache prevention").check()
    page.get_by_label("Dose", exact=True).fill("25 mg at night")
    page.get_by_label("Start date").fill("2026-11-01")
    page.get_by_role("button", name="Save treatment").click()
    browser_page.check()
    assert page.get_by_role("cell", name=re.compile("Topiramate")).first.is_visible()

    page.get_by_label("Leaflet", exact=True).select_option("topiramate")
    page.get_by_label("Tell the patient by text or email").check()
    page.get_by_role("button", name="Add leaflet").click()
    browser_page.check()
    assert page.get_by_text("added to the care plan").is_visible()

    page.get_by_role("button", name="Start a new version").click()
    browser_page.check()
    page.get_by_label("What matters to me").fill("Working a full week and swimming on Saturdays")
    page.get_by_label("Rating now").first.fill("5")
    page.get_by_role("button", name="Save and agree with the patient").click()
    browser_page.check()
    changes = page.locator(".app-changes")
    assert "Rating now: none → 5" in changes.inner_text()
    page.get_by_label("I have agreed this plan with the patient").check()
    page.get_by_role("button", name="Agree the plan").click()
    browser_page.check()
    page.get_by_role("link", name="Version 1", exact=True).click()
    browser_page.check()
    assert page.get_by_text("Agreed versions cannot be changed.").is_visible()
    _shot(browser_page, "staff-plan")
    browser_page.sign_out()


def test_the_patient_reads_the_plan_and_downloads_pdfs(browser_page, careplans_demo, demo):
    from careplans import demo as careplans_demo_data

    careplans_demo_data.seed(demo)
    careplans_demo.clear()
    page = browser_page.page
    browser_page.sign_in(PATIENT, DEMO_PASSWORD)
    page.get_by_role("link", name="My care plan").first.click()
    browser_page.check()
    assert page.get_by_role("heading", level=1).inner_text() == "My care plan"
    assert page.get_by_text("Getting through a full week at work").is_visible()
    # A triptan and a painkiller: their limit together is the one the plan gives.
    assert page.get_by_text(
        "Taken together: use these medicines on no more than 2 days a week in all"
    ).first.is_visible()
    _shot(browser_page, "my-plan")

    page.get_by_role("button", name="Make a PDF of my care plan").click()
    page.get_by_text("Preparing the care plan PDF").wait_for()
    browser_page.check()
    _work_off(careplans_demo)
    link = page.get_by_role("link", name=re.compile("Download the care plan"))
    link.wait_for(timeout=5_000)  # the fragment polls every 2 seconds
    browser_page.check()
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "care-plan-version-1.pdf"
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(4) == b"%PDF"

    page.get_by_role("link", name="Topiramate to prevent migraine").click()
    browser_page.check()
    assert page.get_by_text("Topiramate, 50 mg twice a day").is_visible()
    page.get_by_role("button", name="Make a PDF of this leaflet").click()
    page.get_by_text("Preparing the leaflet PDF").wait_for()
    _work_off(careplans_demo)
    link = page.get_by_role("link", name=re.compile("Download the leaflet"))
    link.wait_for(timeout=5_000)
    browser_page.check()
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "topiramate.pdf"
    _shot(browser_page, "my-leaflet")

    # The nurse stops Topiramate. The PDFs made above say it is ongoing, so they are no longer
    # offered: the plan offers to make a new one, which says it was not tolerated.
    browser_page.sign_out()
    browser_page.sign_in(NURSE, DEMO_PASSWORD)
    browser_page.goto(f"/care-plans/patients/{demo.patients[0].uuid}/")
    page.get_by_role("link", name="Review Topiramate").click()
    browser_page.check()
    page.get_by_label("Not tolerated", exact=True).check()
    page.get_by_role("button", name="Save review").click()
    browser_page.check()
    assert page.get_by_text("Review of Topiramate saved.").is_visible()
    assert page.get_by_role("button", name="Make a PDF of the care plan").is_visible()
    browser_page.sign_out()

    browser_page.sign_in(PATIENT, DEMO_PASSWORD)
    browser_page.goto("/care-plans/my/")
    assert page.get_by_role("link", name=re.compile("Download the care plan")).count() == 0
    page.get_by_role("button", name="Make a PDF of my care plan").click()
    page.get_by_text("Preparing the care plan PDF").wait_for()
    browser_page.check()
    _work_off(careplans_demo)
    link = page.get_by_role("link", name=re.compile("Download the care plan"))
    link.wait_for(timeout=5_000)
    browser_page.check()
    latest = Document.objects.filter(kind="careplan").latest("created_at")
    assert "Not tolerated" in latest.html and "Correct on " in latest.html
    assert str(latest.uuid) in link.get_attribute("href")
    browser_page.goto("/care-plans/my/leaflets/topiramate/")
    assert page.get_by_text("Your medicine:").count() == 0
    assert page.get_by_role("button", name="Make a PDF of this leaflet").is_visible()
    _shot(browser_page, "my-plan-after-a-change")


@pytest.mark.parametrize("width", [390, 1280])
def test_the_leaflet_library_is_readable_on_a_phone_and_a_desktop(
    browser_page, careplans_demo, width
):
    browser_page.page.set_viewport_size({"width": width, "height": 900})
    browser_page.goto("/care-plans/leaflets/")
    browser_page.page.get_by_role("link", name="Chronic pain").click()
    browser_page.check()
    browser_page.page.get_by_role("link", name="Fibromyalgia").click()
    browser_page.check()
    assert browser_page.page.get_by_role("heading", level=1).inner_text() == "Fibromyalgia"
    _shot(browser_page, f"leaflet-{width}")


def test_a_cgrp_antibody_started_early_is_warned_of_then_recorded(
    browser_page, careplans_demo, demo
):
    """No preventive has failed yet: NICE recommends a CGRP antibody only after 3. The nurse
    reads the warning and records it anyway, as the warning informs and does not block."""
    alex = demo.patients[0]
    careplan_builders.plan(alex, actor=User.objects.get(email=NURSE))
    page = browser_page.page
    browser_page.sign_in(NURSE, DEMO_PASSWORD)
    browser_page.goto(f"/care-plans/patients/{alex.uuid}/")
    page.get_by_role("link", name="Record a treatment").click()
    browser_page.check()
    page.get_by_label("Medicine", exact=True).select_option("erenumab")
    page.get_by_label("Headache prevention").check()
    page.get_by_label("Dose", exact=True).fill("140 mg monthly")
    page.get_by_label("Start date").fill(timezone.localdate().isoformat())
    page.get_by_role("button", name="Save treatment").click()
    browser_page.check()
    main = page.locator("main").inner_text()
    assert "NICE recommends a CGRP antibody only after 3 preventive treatments have failed" in main
    assert "Here no preventive treatment on record has failed, and NICE asks for at least 3" in main
    page.get_by_label("I have read the NICE advice and still want to record this medicine").check()
    page.get_by_role("button", name="Save treatment").click()
    browser_page.check()
    assert page.get_by_role("cell", name=re.compile("Erenumab")).first.is_visible()


def test_a_clinician_applies_the_botox_stopping_rules(browser_page, careplans_demo, demo):
    """Botulinum toxin A started 25 weeks ago: the review asks for the headache days before it,
    after 2 treatment cycles and in the last 3 months, and the plan shows NICE TA260's answer."""
    alex = demo.patients[0]
    nurse = User.objects.get(email=NURSE)
    plan = careplan_builders.plan(alex, actor=nurse)
    careplan_builders.trial(
        plan,
        actor=nurse,
        medicine_code="botulinum_toxin_a",
        dose="155 units every 12 weeks",
        started_on=timezone.localdate() - timedelta(weeks=25),
        start_warning_acknowledged=True,
    )
    page = browser_page.page
    browser_page.sign_in(NURSE, DEMO_PASSWORD)
    browser_page.goto(f"/care-plans/patients/{alex.uuid}/")
    page.get_by_role("link", name="Review Botulinum toxin type A").click()
    browser_page.check()
    assert page.get_by_text(
        "Botulinum toxin type A: record headache days before the first treatment"
    ).is_visible()

    page.get_by_label("Next review date").fill(
        (timezone.localdate() + timedelta(weeks=4)).isoformat()
    )
    page.get_by_label("Headache days a month before starting").fill("20")
    page.get_by_label("Migraine days a month before starting").fill("12")
    page.get_by_label("Headache days a month after 2 treatment cycles").fill("15")
    page.get_by_label("Last 3 months: headache days in month 1").fill("14")
    page.get_by_role("button", name="Save review").click()
    browser_page.check()
    summary = page.get_by_role("alert")
    assert "Enter the headache days in month 2, or leave all 3" in summary.inner_text()
    _shot(browser_page, "botox-review-error")

    page.get_by_label("Last 3 months: headache days in month 1").fill("")
    page.get_by_role("button", name="Save review").click()
    browser_page.check()
    # A 25% fall after 2 cycles: NICE says stop.
    assert page.get_by_text(
        "Botulinum toxin type A: stop (response after 2 cycles not met)"
    ).is_visible()
    assert page.get_by_text("Headache days fell by 25.0% after 2 treatment cycles").is_visible()
    _shot(browser_page, "botox-stop")
    browser_page.sign_out()
