"""Journeys: a GP is stopped by an emergency red flag; a GP refers, the care team triages
against the clock, the GP reads the outcome and the letter; a patient refers themselves.

Every page visited is checked with axe and for console errors (CSP) by the harness."""

import re
from datetime import timedelta
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.urls import reverse
from django.utils import timezone

from pathway.demo import DEMO_PASSWORD
from pathway.models import Patient
from referrals import tasks
from referrals.demo import seed_demo
from referrals.models import EmergencyStop, Referral

pytestmark = pytest.mark.e2e

GP = "gp@demo.nhs.uk"
NURSE = "nurse@demo.nhs.uk"
NEW_NHS_NUMBER = "943 476 5919"


@pytest.fixture
def referrals_demo(demo, monkeypatch):
    """The demo with its referrals. The worker's queue is replaced by a list the journey
    drains itself, so no broker is needed."""
    # A transactional test empties every table, including the Target rows the data migration
    # wrote; put the defaults back so the clocks have targets, as in a migrated database.
    default_targets = import_module("pathway.migrations.0002_default_targets")
    default_targets.add_targets(django_apps, None)
    queued = []
    monkeypatch.setattr(tasks.render_triage_letter, "delay", queued.append)
    monkeypatch.setattr("pathway.notifications.outbox.enqueue_delivery", lambda *a, **k: True)
    seed_demo(demo)
    queued.clear()
    return queued


def _shot(browser, name):
    page = browser.page
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=f"/tmp/referrals-{name}-phone.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=f"/tmp/referrals-{name}-desktop.png", full_page=True)


def _about_me(browser, family_name, born):
    """The self-referral's details of Robin, registered at Riverside, contacted by email."""
    page = browser.page
    page.get_by_label("First name").fill("Robin")
    page.get_by_label("Last name").fill(family_name)
    browser.fill_date(born)
    page.get_by_label("Your GP practice").select_option(label="Riverside Medical Centre")
    page.get_by_label("Email", exact=True).check()
    page.get_by_label("Email address").fill("robin@example.com")


def test_a_gp_ticking_an_emergency_red_flag_is_stopped_with_advice(browser_page, referrals_demo):
    page = browser_page.page
    browser_page.sign_in(GP, DEMO_PASSWORD)
    page.get_by_role("link", name="Refer a patient").first.click()
    browser_page.check()
    page.get_by_label("NHS number").fill(NEW_NHS_NUMBER)
    page.get_by_label("Thunderclap headache: sudden onset").check()
    card = page.locator("#red-flag-screen")
    card.get_by_text("Emergency: do not refer").wait_for()
    assert "999" in card.inner_text()
    browser_page.check()
    # On a phone the result sits below the whole checklist; it stays in view at the foot of the
    # screen while the box that was ticked is on screen.
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_label("Thunderclap headache: sudden onset").scroll_into_view_if_needed()
    heading = card.get_by_text("Emergency: do not refer").bounding_box()
    assert 0 <= heading["y"] < 844, heading
    page.set_viewport_size({"width": 1280, "height": 900})
    _shot(browser_page, "emergency-screen")
    # The PHQ-9 typed in says the patient has thought of harming themselves: with no referral
    # to carry it to the care team, the stop page puts it to the GP.
    page.get_by_label("PHQ-9 item scores, if done").fill("1 1 0 1 0 0 1 0 1")
    page.get_by_role("button", name="Record the advice and stop").click()
    browser_page.check()
    assert page.get_by_role("heading", level=1).inner_text() == "Referral stopped: act now"
    assert "No referral has been sent" in page.content()
    assert "Assess the patient's risk of suicide and self-harm today" in page.content()
    stop = EmergencyStop.objects.get(created_by__email=GP, patient=None)
    assert "999" in stop.advice[0]
    assert not Referral.objects.filter(patient__nhs_number="9434765919").exists()


def test_a_gp_stopped_for_a_patient_in_care_tells_the_team(browser_page, demo, referrals_demo):
    """The emergency is the GP's to act on; the team caring for the patient gets a safety alert
    and records what happened."""
    page = browser_page.page
    in_care = next(p for p in demo.patients if p.episodes.open().exists())
    browser_page.sign_in(GP, DEMO_PASSWORD)
    browser_page.goto("/referrals/new/")
    page.get_by_label("NHS number").fill(in_care.nhs_number_display)
    page.get_by_label("Thunderclap headache: sudden onset").check()
    page.locator("#red-flag-screen").get_by_text("Emergency: do not refer").wait_for()
    page.get_by_role("button", name="Record the advice and stop").click()
    browser_page.check()
    told = page.locator("#care-team-told").inner_text()
    assert f"{in_care.given_name} is already in the headache and pain service's care" in told
    browser_page.sign_out()

    browser_page.sign_in(NURSE, DEMO_PASSWORD)
    browser_page.goto(reverse("reviews:worklist"))
    row = page.locator("table tbody tr", has_text=in_care.full_name).first
    assert "Emergency red flags stopped a referral" in row.inner_text()
    row.get_by_role("link", name="Emergency red flags stopped a referral").click()
    browser_page.check()
    assert "Thunderclap headache" in page.locator("main").inner_text()
    page.get_by_label("Action taken").fill(
        "Rang the GP at 15:00: admitted, CT clear, home tomorrow. Review booked next week."
    )
    page.get_by_role("button", name="Record action and close alert").click()
    browser_page.check()
    stop = EmergencyStop.objects.get(created_by__email=GP, patient=in_care)
    assert stop.safety_alert.resolved_at is not None


def test_a_gp_referral_refused_as_a_second_one_still_tells_the_team(browser_page, referrals_demo):
    """The patient has a headache referral in care, so a second is not sent; the urgent red
    flag on it reaches the team as a safety alert instead of no one."""
    page = browser_page.page
    accepted = Referral.objects.filter(
        status="accepted", condition="headache", referrer__email=GP
    ).first()
    patient = accepted.patient
    browser_page.sign_in(GP, DEMO_PASSWORD)
    browser_page.goto(f"/referrals/new/?patient={patient.uuid}")
    page.get_by_label("Headache", exact=True).check()
    page.get_by_label("Change in personality").check()
    page.get_by_label("The problem, in the patient's words").fill(
        "Wife says he has not been himself for a week."
    )
    page.get_by_label("The patient agrees to be contacted").check()
    page.get_by_label("Email", exact=True).check()
    page.get_by_role("button", name="Send referral").click()
    # Refused (400): the patient already has a headache referral open.
    page.wait_for_load_state("load")
    assert browser_page.console_errors == [
        "Failed to load resource: the server responded with a status of 400 (Bad Request)"
    ]
    browser_page.console_errors.clear()
    browser_page.check()
    summary = page.locator(".nhsuk-error-summary").inner_text()
    assert "already has an open referral for headache" in summary
    assert (
        f"its red flags (Change in personality) went to the clinicians caring for "
        f"{patient.given_name} as a safety alert" in summary
    )
    browser_page.sign_out()

    browser_page.sign_in(NURSE, DEMO_PASSWORD)
    browser_page.goto(reverse("reviews:worklist"))
    row = page.locator("table tbody tr", has_text=patient.full_name).first
    row.get_by_role("link", name="New red flags in a second referral for the patient").click()
    browser_page.check()
    main = page.locator("main").inner_text()
    assert "Change in personality" in main
    assert (
        f"It was not taken as a new referral because {patient.given_name}'s referral "
        f"{accepted.reference} for it is open." in main
    )


def test_a_gp_refers_the_team_triages_and_the_gp_reads_the_outcome(browser_page, referrals_demo):
    page = browser_page.page
    # The GP refers a new patient, routine.
    browser_page.sign_in(GP, DEMO_PASSWORD)
    browser_page.goto("/referrals/new/")
    page.get_by_label("NHS number").fill(NEW_NHS_NUMBER)
    page.locator("#patient-lookup").get_by_text("No patient with this NHS number").wait_for()
    page.get_by_label("First name").fill("Nova")
    page.get_by_label("Last name").fill("Newman")
    browser_page.fill_date("1991-02-03")
    page.get_by_label("Sex").select_option("female")
    page.get_by_label("Registered practice").select_option(
        label="Riverside Medical Centre (Y90001)"
    )
    page.locator("#id_new-email").fill("nova.newman@example.com")
    page.get_by_label("Headache", exact=True).check()
    page.get_by_label("The problem, in the patient's words").fill(
        "Migraines 10 days a month, missing work."
    )
    page.locator("#id_preventive-0-medicine").fill("Propranolol")
    page.locator("#id_preventive-0-dose").fill("80 mg daily")
    page.locator("#id_preventive-0-duration_weeks").fill("12")
    page.locator("#id_preventive-0-stopped_reason").select_option("ineffective")
    page.get_by_label("The patient agrees to be contacted").check()
    page.get_by_label("Email", exact=True).check()
    browser_page.check()
    _shot(browser_page, "form")
    page.get_by_role("button", name="Send referral").click()
    browser_page.check()
    assert re.search(r"Referral [0-9A-F]{8} sent as routine\.", page.content())
    referral = Referral.objects.get(patient__nhs_number="9434765919")
    browser_page.sign_out()

    # The nurse triages it against its clock.
    browser_page.sign_in(NURSE, DEMO_PASSWORD)
    page.get_by_role("link", name="Triage").first.click()
    browser_page.check()
    row = page.locator("tr", has_text="Nova Newman")
    assert "0 of 5 days" in row.inner_text()
    assert page.get_by_text("Breached").count() >= 1  # the demo's overdue referrals
    _shot(browser_page, "triage-queue")
    row.get_by_role("link", name="Nova Newman").click()
    browser_page.check()
    page.get_by_label("Accept", exact=True).check()
    page.get_by_label("Routine", exact=True).check()
    page.get_by_label("Advice to the referrer").fill("Please ask the patient to keep a diary.")
    browser_page.check()
    _shot(browser_page, "decision")
    page.get_by_role("button", name="Save decision").click()
    browser_page.check()
    assert "accepted, routine priority. The referrer will be told" in page.content()
    referral.refresh_from_db()
    assert (referral.status, referral.priority) == ("accepted", "routine")
    page.get_by_role("link", name="Waiting list").first.click()
    browser_page.check()
    row = page.locator("tr", has_text="Nova Newman")
    assert "0 of 28 days" in row.inner_text()
    assert "Not booked" in row.inner_text()
    _shot(browser_page, "waiting-list")
    # The nurse books her first conversation from the list, and the list says so.
    row.get_by_role("link", name="Book the first conversation").click()
    browser_page.check()
    assert page.get_by_label("Type of appointment").input_value() == "first_conversation"
    day = timezone.localdate() + timedelta(days=3)
    page.get_by_label("Date").fill(day.isoformat())
    page.get_by_label("Start time").fill("10:30")
    page.get_by_label("Phone call").check()
    page.get_by_label("Video link").fill("")
    page.get_by_role("button", name="Book appointment").click()
    browser_page.check()
    assert "First conversation booked." in page.content()
    page.get_by_role("link", name="Waiting list").first.click()
    browser_page.check()
    row = page.locator("tr", has_text="Nova Newman")
    assert f"{day:%a} {day.day} {day:%b %Y}, 10:30, phone call" in row.inner_text()
    assert row.get_by_role("link", name="See the appointment").count() == 1
    browser_page.sign_out()

    # The worker renders the letter it was asked for.
    assert referrals_demo == [str(referral.uuid)]
    tasks.render_triage_letter.run(referrals_demo.pop())

    # The GP sees the outcome, the advice and the letter.
    browser_page.sign_in(GP, DEMO_PASSWORD)
    page.get_by_role("link", name="My referrals").first.click()
    browser_page.check()
    row = page.locator("tr", has_text="Nova Newman")
    assert "Accepted, routine priority" in row.inner_text()
    assert "Please ask the patient to keep a diary." in row.inner_text()
    _shot(browser_page, "mine")
    with page.expect_download() as download:
        row.get_by_role("link", name="Triage outcome letter (PDF)").click()
    path = download.value.path()
    with open(path, "rb") as pdf:
        assert pdf.read(4) == b"%PDF"


def test_a_patient_refers_themselves(browser_page, referrals_demo):
    page = browser_page.page
    browser_page.goto("/")
    page.get_by_role("link", name="Refer yourself to the service").click()
    browser_page.check()
    _about_me(browser_page, "Selfridge", "1987-04-05")
    page.get_by_label("Headaches or migraine").check()
    story = "Migraines most weeks since last year."
    page.get_by_label("Tell us about your headaches or pain").fill(story)
    # The box counts down to its limit instead of cutting a long answer short.
    page.get_by_text(f"You have {4000 - len(story):,} characters remaining").wait_for()
    page.get_by_label("Headaches that come on when you exercise").check()
    page.locator("#self-screen").get_by_text("Speak to your GP practice soon").wait_for()
    browser_page.check()
    page.get_by_label("I agree that the headache and pain team can contact me").check()
    _shot(browser_page, "self-refer")
    # A double click sends the referral once.
    sent = []
    page.on(
        "request",
        lambda request: (
            sent.append(request.url)
            if request.method == "POST" and request.url.endswith(reverse("referrals:self-refer"))
            else None
        ),
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Send my referral").dblclick()
    browser_page.check()
    assert len(sent) == 1
    assert page.get_by_role("heading", level=1).inner_text() == "Referral sent"
    referral = Referral.objects.get(stated_family_name="Selfridge")
    assert referral.reference in page.content()
    assert (referral.source, referral.urgency, referral.patient) == ("self", "urgent", None)
    _shot(browser_page, "self-sent")

    # The care team sees it waiting to be matched: named on the worklist, being urgent, and in
    # the triage queue.
    browser_page.sign_in(NURSE, DEMO_PASSWORD)
    browser_page.goto("/reviews/team/")
    browser_page.check()
    assert "Robin Selfridge" in page.locator("#self-referrals-to-match").inner_text()
    browser_page.goto("/referrals/triage/")
    row = page.locator("tr", has_text="Robin Selfridge")
    assert "Self-referral to match" in row.inner_text()

    # The record the nurse finds is not what Robin gave: she sees both side by side and must
    # confirm it is the same person before the match is made.
    record = (
        Patient.objects.filter(registered_practice__ods_code="Y90001")
        .exclude(referrals__condition="headache", referrals__status__in=["submitted", "accepted"])
        .order_by("id")
        .first()
    )
    row.get_by_role("link", name="Robin Selfridge").click()
    browser_page.check()
    page.get_by_label("The patient's NHS number").fill(record.nhs_number)
    page.get_by_role("button", name="Match", exact=True).click()
    browser_page.check()
    assert page.get_by_text("Different", exact=True).count() >= 3
    assert "I have checked this is the same person" in page.content()
    referral.refresh_from_db()
    assert referral.patient is None
    _shot(browser_page, "match-check")
    page.get_by_label("I have checked this is the same person").check()
    page.get_by_role("button", name="Match to this patient").click()
    browser_page.check()
    assert f"Self-referral matched to {record.full_name}" in page.content()
    assert "confirmed they are the same person" in page.content()
    referral.refresh_from_db()
    assert referral.patient == record

    # The practice says Robin is not that patient: the nurse undoes the match, and the
    # referral waits to be matched again.
    page.get_by_text("Matched to the wrong person?").click()
    page.get_by_label("I have checked this referral was matched to the wrong person").check()
    page.get_by_role("button", name="Undo the match").click()
    browser_page.check()
    assert f"The match to {record.full_name}" in page.content()
    assert page.get_by_role("heading", name="Match to a patient record").is_visible()
    _shot(browser_page, "match-undone")
    referral.refresh_from_db()
    assert (referral.patient, referral.unmatched_at is not None) == (None, True)

    # Robin has no record yet: the nurse adds one from what Robin gave, with the NHS number the
    # practice reads out, and the referral is matched to it.
    page.get_by_role("link", name="Add the patient from these details").click()
    browser_page.check()
    assert page.get_by_label("First name").input_value() == "Robin"
    assert page.get_by_role("textbox", name="Email").input_value() == "robin@example.com"
    page.get_by_label("NHS number").fill(NEW_NHS_NUMBER)
    page.get_by_label("Sex").select_option("female")
    page.get_by_role("button", name="Add patient and match the referral").click()
    browser_page.check()
    assert "Robin Selfridge has been added and the self-referral matched to them" in page.content()
    referral.refresh_from_db()
    assert referral.patient.nhs_number == NEW_NHS_NUMBER.replace(" ", "")


def test_back_pain_with_nerve_signs_stops_a_self_referral_for_pain(browser_page, referrals_demo):
    page = browser_page.page
    page.set_viewport_size({"width": 390, "height": 844})
    browser_page.goto("/referrals/self/")
    _about_me(browser_page, "Backache", "1970-02-03")
    page.get_by_label("Pain that has lasted more than 3 months").check()
    page.get_by_label("Tell us about your headaches or pain").fill("Low back pain for a year.")
    page.get_by_label("I have back pain with numbness or tingling").check()
    # Said as soon as it is ticked, as the headache emergencies are.
    page.locator("#self-screen").get_by_text("Call 999 or go to A&E now.").wait_for()
    page.get_by_label("I agree that the headache and pain team can contact me").check()
    _shot(browser_page, "self-refer-back-pain")
    page.get_by_role("button", name="Send my referral").click()
    browser_page.check()
    assert page.get_by_role("heading", level=1).inner_text() == "You need help today"
    assert "Call 999 or go to A&E now." in page.locator("main").inner_text()
    assert not Referral.objects.filter(stated_family_name="Backache").exists()


def test_a_self_referral_sent_again_after_back_is_not_a_second_referral(
    browser_page, referrals_demo
):
    page = browser_page.page
    browser_page.goto("/referrals/self/")
    _about_me(browser_page, "Twice", "1987-04-05")
    page.get_by_label("Headaches or migraine").check()
    page.get_by_label("Tell us about your headaches or pain").fill("Migraines most weeks.")
    page.get_by_label("I agree that the headache and pain team can contact me").check()
    page.get_by_role("button", name="Send my referral").click()
    browser_page.check()
    assert page.get_by_role("heading", level=1).inner_text() == "Referral sent"
    first = Referral.objects.get(stated_family_name="Twice")

    # Back to the form, still filled in, and Send again.
    page.go_back()
    assert page.get_by_label("Last name").input_value() == "Twice"
    page.get_by_role("button", name="Send my referral").click()
    browser_page.check()
    assert page.get_by_role("heading", level=1).inner_text() == "Referral sent"
    assert first.reference in page.content()
    assert "You had already sent this form, so we have not made a second referral." in (
        page.content()
    )
    assert list(Referral.objects.filter(stated_family_name="Twice")) == [first]


def test_a_self_referrer_reads_why_the_team_sent_them_elsewhere(browser_page, referrals_demo):
    from referrals import services
    from tests.referrals import builders

    patient = Patient.objects.get(user__email="pain@demo.nhs.uk")
    made = builders.self_referral_by(patient, preferred_contact="email")
    nurse = Referral._meta.get_field("decided_by").related_model.objects.get(email=NURSE)
    services.match_self_referral(actor=nurse, referral=made, patient=patient)

    page = browser_page.page
    browser_page.sign_in(NURSE, DEMO_PASSWORD)
    browser_page.goto(f"/referrals/{made.uuid}/")
    page.get_by_label("Redirect to another service").check()
    page.get_by_label("Redirect to", exact=True).select_option(label="MSK physiotherapy")
    page.get_by_label("Advice to the referrer").fill("Physiotherapy can help your neck pain.")
    page.get_by_label("Note for the team or the receiving service").fill("Neck pain, not migraine.")
    page.get_by_role("button", name="Save decision").click()
    browser_page.check()
    assert "The patient will be sent an email asking them to sign in and read it." in (
        page.content()
    )

    browser_page.sign_out()
    browser_page.sign_in("pain@demo.nhs.uk", DEMO_PASSWORD)
    page.get_by_role("link", name="See what they decided").click()
    browser_page.check()
    heading = page.get_by_role("heading", level=1).inner_text()
    assert heading == "Another service is right for you: MSK physiotherapy"
    assert "ask your GP practice to refer you" in page.content()
    assert "Physiotherapy can help your neck pain." in page.content()
    assert "Neck pain, not migraine." not in page.content()
    _shot(browser_page, "self-referral-outcome")


def test_the_team_closes_a_self_referral_sent_twice(browser_page, referrals_demo):
    from datetime import date

    from pathway.models import Organisation
    from referrals import services

    practice = Organisation.objects.get(ods_code="Y90001")
    stated = services.StatedDetails(
        given_name="Robin",
        family_name="Twice",
        date_of_birth=date(1987, 4, 5),
        practice=practice,
        email="robin@example.com",
    )
    content = services.ReferralContent(
        condition="headache",
        problem="Migraines most weeks since last year.",
        red_flags=(),
        consent_to_contact=True,
        preferred_contact="email",
    )
    first = services.submit_self_referral(stated=stated, content=content)
    second = services.submit_self_referral(stated=stated, content=content)

    page = browser_page.page
    browser_page.sign_in(NURSE, DEMO_PASSWORD)
    browser_page.goto(f"/referrals/{second.uuid}/")
    callout = page.locator("#duplicates")
    assert "This may be a copy of another referral" in callout.inner_text()
    assert f"Referral {first.reference}, a self-referral received" in callout.inner_text()
    page.get_by_text("Close this self-referral as a copy").click()
    page.get_by_label(f"Referral {first.reference}").check()
    page.get_by_label("I have checked that both are from the same person").check()
    _shot(browser_page, "duplicate")
    page.get_by_role("button", name="Close as a copy").click()
    browser_page.check()
    assert "is closed as a copy of referral" in page.content()
    assert "A copy of this referral, a self-referral received" in page.content()
    second.refresh_from_db()
    assert (second.entered_in_error, second.duplicate_of) == (True, first)
    browser_page.goto("/referrals/triage/")
    assert page.locator("tr", has_text="Robin Twice").count() == 1


def test_a_rejected_self_referrer_no_message_can_reach_stays_listed_until_told(
    browser_page, referrals_demo
):
    from datetime import date

    from pathway.models import Organisation
    from tests.referrals import builders

    made = builders.self_referral(
        Organisation.objects.get(ods_code="Y90001"),
        given_name="Alex",
        family_name="Nomatch",
        date_of_birth=date(1979, 2, 3),
        mobile="+447700900456",
        problem="Headache worse when I stand up, for two weeks.",
        red_flags=("orthostatic_headache",),
        preferred_contact="phone",
    )

    page = browser_page.page
    browser_page.sign_in(NURSE, DEMO_PASSWORD)
    browser_page.goto(f"/referrals/{made.uuid}/")
    page.get_by_label("Reject", exact=True).check()
    page.get_by_label("Reason for rejecting").select_option(
        label="Patient is registered outside the service's area"
    )
    page.get_by_label("Advice to the referrer").fill(
        "Please see your own GP practice this week about the headache."
    )
    page.get_by_role("button", name="Save decision").click()
    browser_page.check()
    assert "It stays on 'Outcomes to tell' until you record that." in page.content()
    callout = page.locator("#to-tell")
    assert "1 of them gave red flags" in callout.inner_text()
    callout.get_by_role("link", name="See the outcomes to tell").click()
    browser_page.check()
    row = page.locator("tr", has_text="Alex Nomatch")
    assert "Headache that changes with posture" in row.inner_text()
    row.get_by_role("link", name="Alex Nomatch").click()
    browser_page.check()
    told = page.locator("#to-tell")
    assert "Phone: 07700 900456" in told.inner_text()
    told.get_by_role("button", name="Record that they were told").click()
    # Refused (400) until it says how they were told.
    page.wait_for_load_state("load")
    assert browser_page.console_errors == [
        "Failed to load resource: the server responded with a status of 400 (Bad Request)"
    ]
    browser_page.console_errors.clear()
    browser_page.check()
    assert "Say how and when the patient was told" in page.content()
    page.get_by_label("How and when was the patient told?").fill("Phoned, gave the advice.")
    _shot(browser_page, "outcome-to-tell")
    page.get_by_role("button", name="Record that they were told").click()
    browser_page.check()
    assert "Recorded that Alex Nomatch was told the outcome" in page.content()
    assert "has been told" in page.content()


def test_new_red_flags_from_a_patient_in_care_reach_the_team_as_a_safety_alert(
    browser_page, referrals_demo
):
    from pathway.models import User
    from pathway.permissions import patients_visible_to
    from referrals import services
    from reviews.models import SafetyAlert

    nurse = User.objects.get(email=NURSE)
    accepted = (
        Referral.objects.filter(
            status="accepted", condition="headache", patient__in=patients_visible_to(nurse)
        )
        .select_related("patient__registered_practice")
        .order_by("submitted_at")
        .first()
    )
    patient = accepted.patient
    copy = services.submit_self_referral(
        stated=services.StatedDetails(
            given_name=patient.given_name,
            family_name=patient.family_name,
            date_of_birth=patient.date_of_birth,
            nhs_number=patient.nhs_number,
            practice=patient.registered_practice,
            email="again@example.com",
        ),
        content=services.ReferralContent(
            condition="headache",
            problem="My family say I have not been myself for two weeks.",
            red_flags=("change_in_personality",),
            consent_to_contact=True,
            preferred_contact="email",
        ),
    )

    page = browser_page.page
    browser_page.sign_in(NURSE, DEMO_PASSWORD)
    browser_page.goto(f"/referrals/{copy.uuid}/")
    page.get_by_text("Close this self-referral as a copy").click()
    page.get_by_label(f"Referral {accepted.reference}").check()
    page.get_by_label("I have checked that both are from the same person").check()
    page.get_by_role("button", name="Close as a copy").click()
    # Refused (409) until the red flags go with it: nothing is closed away unseen.
    page.wait_for_load_state("load")
    assert browser_page.console_errors == [
        "Failed to load resource: the server responded with a status of 409 (Conflict)"
    ]
    browser_page.console_errors.clear()
    browser_page.check()
    assert "Add its red flags to referral" in page.content()
    page.get_by_label("Add this self-referral's red flags to the referral it copies").check()
    page.get_by_label("I have checked that both are from the same person").check()
    page.get_by_role("button", name="Close as a copy").click()
    browser_page.check()
    assert "are sent to the clinicians caring for the patient as a safety alert" in page.content()

    alert = SafetyAlert.objects.get(referral=copy)
    browser_page.goto("/reviews/team/")
    page.locator(f"a[href='/reviews/alerts/{alert.uuid}/']").first.click()
    browser_page.check()
    assert page.get_by_role("heading", level=1).inner_text() == "Safety alert"
    assert "Change in personality" in page.content()
    assert "My family say I have not been myself for two weeks." in page.content()
    _shot(browser_page, "red-flags-alert")
    page.get_by_label("Action taken").fill(
        "Phoned the patient today and booked an urgent GP assessment for tomorrow."
    )
    page.get_by_role("button", name="Record action and close alert").click()
    browser_page.check()
    alert.refresh_from_db()
    assert alert.resolved_at is not None


def test_a_gp_sends_a_rejected_referral_again_with_what_the_advice_asked(
    browser_page, referrals_demo
):
    earlier = Referral.objects.get(patient__family_name="Shaw", status="rejected")
    page = browser_page.page
    # The GP's home lists the referral that came back, with the way to its advice.
    browser_page.sign_in(GP, DEMO_PASSWORD)
    item = page.locator("#things-to-do li", has_text="Frankie Shaw")
    assert "was rejected (not enough information to triage)" in item.inner_text()
    _shot(browser_page, "gp-home")
    item.get_by_role("link", name="Read the advice").click()
    browser_page.check()
    page.get_by_role("link", name="Send this referral again").click()
    browser_page.check()
    assert page.get_by_role("heading", level=1).inner_text() == "Refer Frankie Shaw again"
    assert earlier.advice_to_referrer in page.locator("#sending-again").inner_text()
    problem = page.get_by_label("The problem, in the patient's words")
    assert problem.input_value() == earlier.problem
    # Consent is asked again; the advice asked for the preventives tried.
    assert not page.get_by_label("The patient agrees to be contacted").is_checked()
    page.locator("#id_preventive-0-medicine").fill("Amitriptyline")
    page.locator("#id_preventive-0-dose").fill("10 mg at night")
    page.locator("#id_preventive-0-duration_weeks").fill("8")
    page.locator("#id_preventive-0-stopped_reason").select_option("ineffective")
    problem.fill(f"{earlier.problem} Pain diary for 4 weeks: pain 6 to 8 most days.")
    page.get_by_label("The patient agrees to be contacted").check()
    _shot(browser_page, "send-again")
    page.get_by_role("button", name="Send referral").click()
    browser_page.check()
    assert f"sending referral {earlier.reference} again" in page.content()
    again = Referral.objects.get(resends=earlier)
    assert again.preventives.get().medicine == "Amitriptyline"
    page.get_by_role("link", name="Home").first.click()
    assert page.locator("#things-to-do li", has_text="Frankie Shaw").count() == 0
    browser_page.sign_out()

    # Triage sees it was sent again, and what was asked for the first time.
    browser_page.sign_in(NURSE, DEMO_PASSWORD)
    page.get_by_role("link", name="Triage").first.click()
    row = page.locator("tr", has_text="Frankie Shaw")
    assert "Sent again" in row.inner_text()
    row.get_by_role("link", name="Frankie Shaw").click()
    browser_page.check()
    note = page.locator("#sends-again").inner_text()
    assert f"referral {earlier.reference}" in note
    assert earlier.advice_to_referrer in note
    _shot(browser_page, "sent-again-triage")
