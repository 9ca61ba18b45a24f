"""Journeys: the care team books and runs a first conversation and an annual review, runs a
group session (and frees a place at the next one, which the patient is told of), and requests
a PHQ-9 that the patient completes (item 9 raises the alert; a severe score lists the patient);
a review asking for a same-day risk assessment raises one too; the reminder jobs send their
invites through the console backend; a follow-up set at a review is what the patient is asked
to book; a patient cancels an appointment and the team reads why, and gives up a group place
from a page that reloads; the team cancels one after a page saying how the patient is told, and
books again after a missed one from the same details. axe runs on every page."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from pathway.demo import DEMO_PASSWORD
from pathway.models import Milestone, Notification
from reviews.models import Appointment, GroupBooking, GroupSession, SafetyAlert

pytestmark = pytest.mark.e2e

NURSE = "nurse@demo.nhs.uk"
GP = "gp@demo.nhs.uk"
PATIENT = "patient@demo.nhs.uk"
SHOTS = "/tmp"


def _desktop(browser):
    browser.page.set_viewport_size({"width": 1280, "height": 900})


def _resize(browser, width, height):
    browser.page.set_viewport_size({"width": width, "height": height})
    # The NHS.UK header re-fits its menu on a debounced resize event: let it settle.
    browser.page.wait_for_timeout(400)


def _shots(browser, name):
    """Desktop and phone (390 px) screenshots of the current page for a person to look at, with
    axe run at both widths; the page is left at the width it had."""
    before = browser.page.viewport_size
    _resize(browser, 1280, 900)
    browser.check()
    browser.page.screenshot(path=f"{SHOTS}/reviews-{name}-desktop.png", full_page=True)
    _resize(browser, 390, 844)
    browser.check()
    browser.page.screenshot(path=f"{SHOTS}/reviews-{name}-phone.png", full_page=True)
    _resize(browser, before["width"], before["height"])


def _phone(browser):
    browser.page.set_viewport_size({"width": 390, "height": 844})


def _submit(browser, name):
    browser.page.get_by_role("button", name=name).first.click()
    browser.check()


def _book(browser, patient, kind, day, time):
    """Book a phone appointment from the patient's Reviews tab."""
    page = browser.page
    browser.goto(f"/reviews/patients/{patient.uuid}/")
    page.get_by_role("link", name="Book an appointment").click()
    browser.check()
    page.get_by_label("Type of appointment").select_option(kind)
    page.get_by_label("Date").fill(day.isoformat())
    page.get_by_label("Start time").fill(time)
    page.get_by_label("Phone call").check()
    page.get_by_label("Video link").fill("")
    _submit(browser, "Book appointment")


def _start_the_review(browser, appointment):
    """The day comes: the appointment started 5 minutes ago, and its review page is opened."""
    Appointment.objects.filter(pk=appointment.pk).update(
        start=timezone.now() - timedelta(minutes=5)
    )
    browser.goto(f"/reviews/appointments/{appointment.uuid}/")
    browser.page.get_by_role("link", name="Start the").click()
    browser.check()


@pytest.mark.parametrize(
    ("index", "kind", "label", "milestone"),
    [
        (1, "first_conversation", "First conversation", "first_contact"),
        (3, "annual_review", "Annual review", "review_held"),
    ],
)
def test_the_team_books_and_runs_a_review(browser_page, demo, index, kind, label, milestone):
    patient = demo.patients[index]
    browser = browser_page
    _desktop(browser)
    browser.sign_in(NURSE, DEMO_PASSWORD)
    assert browser.page.get_by_role("heading", level=1).inner_text() == "Worklist"
    page = browser.page
    _book(browser, patient, kind, timezone.localdate() + timedelta(days=1), "10:00")
    assert page.get_by_role("heading", level=1).inner_text() == label
    appointment = Appointment.objects.get(patient=patient, kind=kind, status="booked")
    assert appointment.duration_minutes == (30 if kind == "first_conversation" else 20)
    if kind == "first_conversation":
        _shots(browser, "appointment")

    _start_the_review(browser, appointment)
    if kind == "annual_review":
        _shots(browser, "review-page")
    page.get_by_label("Summary of the conversation").fill("Talked through the pain story.")
    page.get_by_label("Referral to NHS Talking Therapies").check()
    page.get_by_label("Mood (PHQ-9)").check()
    _submit(browser, "Complete")
    assert f"{label} recorded." in page.content()
    assert Milestone.objects.filter(episode__patient=patient, kind=milestone).exists()
    assert Milestone.objects.filter(
        episode__patient=patient, kind="annual_review_due", occurred_at__gt=timezone.now()
    ).exists()


def test_a_follow_up_set_at_a_review_is_what_the_patient_is_asked_to_book(browser_page, demo):
    patient = demo.patients[2]  # Morgan, pain@demo.nhs.uk
    browser = browser_page
    page = browser.page
    _desktop(browser)
    browser.sign_in(NURSE, DEMO_PASSWORD)
    _book(browser, patient, "follow_up", timezone.localdate() + timedelta(days=1), "10:00")
    booked = Appointment.objects.get(patient=patient, kind="follow_up", status="booked")
    _start_the_review(browser, booked)
    page.get_by_label("Summary of the conversation").fill("Pacing plan started; check in soon.")
    page.get_by_label("Not needed").check()
    page.get_by_label("Follow-up, sooner than the annual review").check()
    due = timezone.localdate() + timedelta(days=21)
    page.get_by_label("Next review due").fill(due.isoformat())
    _submit(browser, "Complete")
    assert "Follow-up review recorded." in page.content()
    assert f"Next review (follow-up) due {due:%-d %B %Y}" in page.content()
    browser.sign_out()

    _phone(browser)
    browser.sign_in("pain@demo.nhs.uk", DEMO_PASSWORD)
    things = page.locator("main")
    assert f"Your follow-up review is due on {due:%-d %B}." in things.inner_text()
    assert "yearly review is due" not in things.inner_text()
    page.get_by_role("link", name="Ask for your follow-up review").click()
    browser.check()
    # The follow-up that is due is the button to press first.
    primary = page.locator("#ask ~ form .nhsuk-button:not(.nhsuk-button--secondary)")
    assert primary.first.inner_text() == "Ask for my follow-up review"
    _submit(browser, "Ask for my follow-up review")
    browser.goto("/")
    assert "You asked for your follow-up review on" in page.locator("main").inner_text()


def test_a_patient_cancels_an_appointment_on_their_phone(browser_page, demo):
    """The patient no longer needs a booked follow-up: they cancel it and say why; the team
    reads it on the appointment."""
    patient = demo.patients[2]  # Morgan, pain@demo.nhs.uk
    browser = browser_page
    page = browser.page
    _desktop(browser)
    browser.sign_in(NURSE, DEMO_PASSWORD)
    _book(browser, patient, "follow_up", timezone.localdate() + timedelta(days=3), "11:00")
    booked = Appointment.objects.get(patient=patient, kind="follow_up", status="booked")
    browser.sign_out()

    _phone(browser)
    browser.sign_in("pain@demo.nhs.uk", DEMO_PASSWORD)
    browser.goto(reverse("reviews:my-appointments"))
    page.get_by_role("link", name=re.compile("^Cancel it")).first.click()
    browser.check()
    assert page.get_by_role("heading", level=1).inner_text() == "Cancel your appointment"
    page.get_by_label("Why are you cancelling? (optional)").fill("My pacing plan is working.")
    _shots(browser, "patient-cancel")
    _submit(browser, "Cancel the appointment")
    assert "is cancelled and your care team has been told" in page.locator("main").inner_text()
    booked.refresh_from_db()
    assert booked.status == "cancelled"
    browser.sign_out()

    _desktop(browser)
    browser.sign_in(NURSE, DEMO_PASSWORD)
    browser.goto(reverse("reviews:appointment", kwargs={"appointment_uuid": booked.uuid}))
    staff_page = page.locator("main").inner_text()
    assert "Cancelled by the patient: My pacing plan is working." in staff_page


def test_a_time_typed_at_night_is_caught_before_booking(browser_page, demo):
    patient = demo.patients[3]
    browser = browser_page
    page = browser.page
    _desktop(browser)
    browser.sign_in(NURSE, DEMO_PASSWORD)
    _book(browser, patient, "follow_up", timezone.localdate() + timedelta(days=1), "02:00")
    assert "is outside clinic hours (07:00 to 21:00). Check the time." in page.content()
    assert page.get_by_label("Book it at this time anyway").is_visible()
    _shots(browser, "booking-outside-hours")
    assert not Appointment.objects.filter(patient=patient, kind="follow_up").exists()
    page.get_by_label("Start time").fill("10:00")
    _submit(browser, "Book appointment")
    assert page.get_by_role("heading", level=1).inner_text() == "Follow-up"
    booked = Appointment.objects.get(patient=patient, kind="follow_up", status="booked")
    assert timezone.localtime(booked.start).hour == 10


def test_the_team_runs_a_group_session_and_the_patient_books_a_place(browser_page, demo):
    browser = browser_page
    page = browser.page
    _desktop(browser)
    browser.sign_in(NURSE, DEMO_PASSWORD)
    browser.goto("/reviews/group-sessions/")
    page.get_by_role("link", name="Set up a group session").click()
    browser.check()
    page.get_by_label("Topic").fill("Sleep and pacing")
    page.get_by_label("Date").fill((timezone.localdate() + timedelta(days=3)).isoformat())
    page.get_by_label("Start time").fill("18:00")
    page.get_by_label("Places").fill("10")
    page.get_by_label("Video link").fill("https://video.example.nhs.uk/room/sleep")
    page.get_by_label("Jordan Lee (Physiotherapist)").check()
    page.get_by_label("Number of monthly sessions").fill("3")
    _submit(browser, "Set up session")
    assert GroupSession.objects.filter(topic="Sleep and pacing").count() == 3
    name = demo.patients[0].full_name
    page.get_by_label(f"{name}, born").check()
    _submit(browser, "Send invitations")
    assert "1 invited" in page.content()

    # At the next session the team books the patient a place by phone, then has to free it:
    # the page and the patient say it was the team's doing, and the patient is told.
    first, second = GroupSession.objects.filter(topic="Sleep and pacing").order_by("start")[:2]
    browser.goto(f"/reviews/group-sessions/{second.uuid}/")
    page.get_by_label(f"{name}, born").check()
    _submit(browser, "Send invitations")
    _submit(browser, f"Book a place for {name}")
    _submit(browser, "Free this place")
    # It asks first, saying the patient will be told.
    assert page.get_by_role("heading", name=f"Free {name}'s place?").is_visible()
    assert page.get_by_text("We will send them a message to say so").is_visible()
    _submit(browser, "Yes, free the place")
    assert f"Place freed: {name} no longer has a place. The patient has been told." in (
        page.content()
    )
    assert page.get_by_text("Place withdrawn by the care team").is_visible()
    assert "Declined" not in page.content()
    freed = GroupBooking.objects.get(session=second)
    assert freed.status == "withdrawn"
    told = Notification.objects.filter(kind="group_place_withdrawn", patient=freed.patient)
    assert told.count() == 2
    browser.sign_out()

    _phone(browser)
    browser.sign_in(PATIENT, DEMO_PASSWORD)
    page.get_by_role("link", name="Appointments").first.click()
    browser.check()
    assert page.get_by_text("Place withdrawn by the care team").is_visible()
    assert "You no longer have a place at this session, so please do not join it." in (
        page.content()
    )
    _shots(browser, "my-appointments")
    _submit(browser, "Book a place at Sleep and pacing")
    assert "Your place is booked." in page.content()
    assert GroupBooking.objects.get(session=first).status == "booked"
    browser.sign_out()

    # The session takes place.
    _desktop(browser)
    session = first
    GroupSession.objects.filter(pk=session.pk).update(start=timezone.now() - timedelta(hours=1))
    browser.sign_in(NURSE, DEMO_PASSWORD)
    browser.goto(f"/reviews/group-sessions/{session.uuid}/")
    page.locator("button[name=action][value=attended]").click()
    browser.check()
    _shots(browser, "group-session")
    assert GroupBooking.objects.get(session=session).status == "attended"

    # The patient's Reviews tab keeps it beside their appointments.
    browser.goto(f"/reviews/patients/{demo.patients[0].uuid}/")
    session.refresh_from_db()
    row = page.locator("tr", has_text=f"{timezone.localtime(session.start):%-d %b %Y}")
    assert "Sleep and pacing" in row.first.inner_text()
    assert "Attended" in row.first.inner_text()
    _shots(browser, "patient-group-sessions")


def test_the_patient_cancels_a_group_place_from_a_page_that_reloads(browser_page, demo):
    from tests.reviews import builders

    session = builders.group_session(demo.organisations["S90001"], topic="Pacing in spring")
    builders.booking(session, demo.patients[0], status="booked")
    browser = browser_page
    page = browser.page
    _phone(browser)
    browser.sign_in(PATIENT, DEMO_PASSWORD)
    page.get_by_role("link", name="Appointments").first.click()
    browser.check()
    page.get_by_role("link", name="Cancel my place at Pacing in spring").click()
    browser.check()
    asked = page.url
    assert page.get_by_role("heading", level=1).inner_text() == "Cancel your place?"
    # Reloaded, the question is asked again: nothing has been cancelled.
    assert page.reload().status == 200
    browser.check()
    assert page.get_by_role("heading", level=1).inner_text() == "Cancel your place?"
    _submit(browser, "Yes, cancel my place")
    assert "is cancelled. Thank you for letting us know." in page.content()
    assert GroupBooking.objects.get(session=session).status == "cancelled"
    # Back at the question afterwards, the page says what happened.
    response = browser.goto(asked.removeprefix(browser.base_url))
    assert response.status == 200
    assert page.get_by_role("heading", level=1).inner_text() == "This cannot be cancelled now"
    assert "You cancelled your place at this session." in page.content()
    browser.sign_out()


def _phq9_sent_and_opened(browser, patient):
    """The nurse sends a PHQ-9 from the patient's Reviews tab; the patient (patient@) opens it
    on their phone."""
    page = browser.page
    _desktop(browser)
    browser.sign_in(NURSE, DEMO_PASSWORD)
    browser.goto(f"/reviews/patients/{patient.uuid}/")
    page.get_by_label("Questionnaire").select_option("PHQ-9")
    _submit(browser, "Send questionnaire")
    assert f"Mood (PHQ-9) sent to {patient.full_name}" in page.content()
    browser.sign_out()
    _phone(browser)
    browser.sign_in(PATIENT, DEMO_PASSWORD)
    page.get_by_role("link", name="Questionnaires").first.click()
    browser.check()
    page.get_by_role("link", name="Mood (PHQ-9)").click()
    browser.check()


def test_a_phq9_with_item_9_raises_an_alert_that_stays_until_acted_on(browser_page, demo):
    alex = demo.patients[0]
    browser = browser_page
    page = browser.page
    _phq9_sent_and_opened(browser, alex)
    _shots(browser, "phq9")
    for number in range(1, 9):
        page.locator(f"#id_item_{number}_0").check()
    page.locator("#id_item_9_1").check()  # "Several days"
    _submit(browser, "Send answers")
    assert page.get_by_role("heading", level=1).inner_text() == "Please get support now"
    assert "116 123" in page.content()
    _shots(browser, "crisis")
    browser.sign_out()

    _desktop(browser)
    browser.sign_in(NURSE, DEMO_PASSWORD)
    first_row = page.locator("table tbody tr").first
    assert "Alex Morgan" in first_row.inner_text()
    assert "Safety alert" in first_row.inner_text()
    _shots(browser, "worklist")
    first_row.get_by_role("link", name="PHQ-9 item 9").click()
    browser.check()
    _submit(browser, "Record action and close alert")
    assert "Describe the action taken" in page.content()
    page.get_by_label("Action taken").fill("Phoned Alex at 14:10; safety plan agreed; GP told.")
    _submit(browser, "Record action and close alert")
    assert not SafetyAlert.objects.filter(patient=alex, resolved_at__isnull=True).exists()
    assert "Alex Morgan" not in page.locator("main").inner_text()


def test_a_severe_phq9_shows_support_and_puts_the_patient_on_the_worklist(browser_page, demo):
    alex = demo.patients[0]
    browser = browser_page
    page = browser.page
    _phq9_sent_and_opened(browser, alex)
    for number in range(1, 9):
        page.locator(f"#id_item_{number}_3").check()  # "Nearly every day"
    page.locator("#id_item_9_0").check()  # "Not at all": no self-harm alert
    _submit(browser, "Send answers")
    assert page.get_by_role("heading", level=1).inner_text() == "Thank you"
    assert "things are very hard for you at the moment" in page.content()
    assert "116 123" in page.content()
    _shots(browser, "severe-score")
    browser.sign_out()

    _desktop(browser)
    browser.sign_in(NURSE, DEMO_PASSWORD)
    row = page.locator("table tbody tr", has_text="Alex Morgan").first
    assert "Severe mood or anxiety score" in row.inner_text()
    assert "PHQ-9 score 24" in row.inner_text() and "no review since" in row.inner_text()
    assert not SafetyAlert.objects.filter(patient=alex, resolved_at__isnull=True).exists()


def test_a_review_asking_for_a_same_day_risk_assessment_reaches_the_worklist(browser_page, demo):
    patient = demo.patients[1]
    browser = browser_page
    page = browser.page
    _desktop(browser)
    appointment = Appointment.objects.create(
        patient=patient,
        clinician=demo.users["clinician"],
        kind="follow_up",
        start=timezone.now() - timedelta(minutes=5),
        duration_minutes=20,
        modality="phone",
    )
    browser.sign_in(NURSE, DEMO_PASSWORD)
    browser.goto(f"/reviews/appointments/{appointment.uuid}/review/")
    page.get_by_label("Summary of the conversation").fill("Low mood; talked about hopelessness.")
    page.get_by_label("Same-day risk assessment").check()
    _submit(browser, "Complete")
    assert "safety alert for the same-day risk assessment is on the team" in page.content()

    browser.goto("/reviews/team/")
    first_row = page.locator("table tbody tr").first
    assert patient.full_name in first_row.inner_text()
    assert "Same-day risk assessment asked for at a review" in first_row.inner_text()
    first_row.get_by_role("link", name="Same-day risk assessment").click()
    browser.check()
    page.get_by_label("Action taken").fill("Risk assessment by phone at 15:00; crisis plan shared.")
    _submit(browser, "Record action and close alert")
    assert not SafetyAlert.objects.filter(patient=patient, resolved_at__isnull=True).exists()


def test_the_reminder_jobs_send_invites_through_the_console_backend(browser_page, demo, settings):
    from pathway.notifications import outbox
    from reviews import tasks
    from reviews.demo import seed_reviews

    settings.NOTIFY_SMS_BACKEND = settings.NOTIFY_EMAIL_BACKEND = "console"
    seed_reviews(demo)
    planned = tasks.plan_annual_review_invites() + tasks.plan_appointment_reminders()
    assert planned >= 2
    assert tasks.plan_annual_review_invites() == 0  # planning again changes nothing
    rows = Notification.objects.filter(kind__in=["annual_review_invite", "appointment_reminder"])
    # Send them now (the outbox defers texts in quiet hours; emails go at once).
    rows.update(scheduled_for=timezone.now())
    for row in rows.filter(channel="email"):
        assert outbox.deliver(row.uuid) == "sent"
    assert rows.filter(channel="email", provider_reference__startswith="console-").exists()
    browser = browser_page
    browser.sign_in(NURSE, DEMO_PASSWORD)
    browser.goto("/reviews/messages/failed/")
    assert "No failed messages." in browser.page.content()
    browser.goto("/reviews/mdt/")
    browser.goto("/reviews/appointments/")


def test_the_team_hands_over_and_discharges_a_patient(browser_page, demo, monkeypatch):
    from pathway.models import Episode, User
    from pathway.permissions import patients_visible_to
    from reviews import tasks

    queued = []
    monkeypatch.setattr(tasks.render_discharge_letter, "delay", queued.append)
    gp = User.objects.get(email=GP)
    episode = (
        Episode.objects.filter(status="active", patient__in=demo.patients)
        .filter(patient__in=patients_visible_to(gp))
        .exclude(patient__in=SafetyAlert.objects.filter(resolved_at__isnull=True).values("patient"))
        .select_related("patient")
        .first()
    )
    patient = episode.patient
    # The GP's referral that the episode answers (the demo data here has no referrals).
    from tests.referrals import builders as referral_builders

    referral_builders.referral(patient, gp, condition=episode.condition)
    browser = browser_page
    page = browser.page
    _desktop(browser)
    browser.sign_in(NURSE, DEMO_PASSWORD)
    browser.goto(f"/reviews/patients/{patient.uuid}/")
    page.get_by_role("link", name=episode.get_condition_display(), exact=True).click()
    browser.check()
    options = page.get_by_label("Responsible clinician").locator("option").all_inner_texts()
    other = next(name for name in options[1:] if name != (episode.responsible_clinician or ""))
    page.get_by_label("Responsible clinician").select_option(label=other)
    _submit(browser, "Save the responsible clinician")
    assert f"{other} is now responsible for {patient.full_name}" in page.content()
    page.get_by_label("Discharge the patient from this pathway").check()
    # Another reason says which, in the note for the GP.
    page.get_by_label("Another reason").check()
    page.get_by_label("Note for the GP (optional)").fill(
        "Moving abroad in January; prescriptions handed back to the practice."
    )
    _shots(browser, "discharge")
    _submit(browser, "Discharge")
    assert f"{patient.full_name} is discharged from the" in page.content()
    assert "Discharge summary for the GP: being prepared" in page.content()
    episode.refresh_from_db()
    assert episode.status == "discharged"
    assert episode.discharge.reason == "other"
    assert Milestone.objects.filter(episode=episode, kind="discharged").exists()

    # The worker renders the summary; the patient's GP downloads it from the Reviews tab.
    assert queued == [str(episode.discharge.uuid)]
    tasks.render_discharge_letter.run(queued.pop())
    browser.sign_out()
    browser.sign_in(GP, DEMO_PASSWORD)
    # The GP's home lists the discharge under "Things to do", linking to the summary.
    browser.goto("/")
    assert f"{patient.full_name} was discharged from the pathway on" in page.content()
    with page.expect_download() as download:
        page.get_by_role("link", name="Read the discharge summary (PDF)").click()
    assert download.value.suggested_filename.startswith("discharge-summary-")
    browser.goto(f"/reviews/patients/{patient.uuid}/")
    with page.expect_download() as download:
        page.get_by_role("link", name="Discharge summary for the GP (PDF").click()
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(4) == b"%PDF"
    assert download.value.suggested_filename.startswith("discharge-summary-")
    # And beside the referral that opened the episode.
    browser.goto(f"/referrals/patients/{patient.uuid}/")
    assert page.get_by_role("link", name="Discharge summary (PDF)").is_visible()
    _shots(browser, "discharge-beside-referral")


def test_the_team_records_that_a_patient_has_died(browser_page, demo):
    from pathway.models import Episode, Patient

    patient = Patient.objects.get(user__email=PATIENT)
    SafetyAlert.objects.filter(patient=patient).update(resolved_at=timezone.now())
    episode = Episode.objects.filter(patient=patient, status="active").first()
    browser = browser_page
    page = browser.page
    _desktop(browser)
    browser.sign_in(NURSE, DEMO_PASSWORD)
    browser.goto(f"/reviews/episodes/{episode.uuid}/")
    page.get_by_label("The patient has died").check()
    # The demo patient used the portal recently: a date of death before that is refused.
    died = timezone.localdate()
    page.get_by_label("Date of death").fill(died.isoformat())
    page.get_by_label("Discharge the patient from this pathway").check()
    _shots(browser, "death")
    _submit(browser, "Discharge")
    assert (
        f"{patient.given_name} {patient.family_name}'s death on {died:%-d %B %Y} is recorded"
        in page.content()
    )
    assert page.get_by_text("This patient has died").is_visible()
    _shots(browser, "death-recorded")
    assert not Episode.objects.filter(patient=patient, status__in=["referred", "active"]).exists()
    assert not Notification.objects.filter(patient=patient, status="queued").exists()

    # Their portal account is closed.
    browser.sign_out()
    browser.goto("/account/login/")
    page.get_by_label("Email address").fill(PATIENT)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    assert "Enter a correct email address and password." in page.content()


def test_the_team_records_a_questionnaire_the_patient_answers_by_phone(browser_page, demo):
    alex = demo.patients[0]
    browser = browser_page
    page = browser.page
    _desktop(browser)
    browser.sign_in(NURSE, DEMO_PASSWORD)
    browser.goto(f"/reviews/patients/{alex.uuid}/")
    page.get_by_label("Questionnaire").select_option("GAD-7")
    _submit(browser, "Send questionnaire")
    page.get_by_role("link", name="Record answers to GAD-7 given to the team").click()
    browser.check()
    _submit(browser, "Record answers")
    assert "There is a problem" in page.content()
    browser.check()
    for number in range(1, 8):
        page.locator(f"#id_item_{number}_1").check()  # "Several days"
    _submit(browser, "Record answers")
    browser.check()
    assert "GAD-7" in page.content() and "answers are recorded" in page.content()
    request = alex.questionnaire_requests.get(instrument="GAD-7")
    assert request.status == "completed" and request.assessment.total == 7


def test_the_team_cancels_a_group_session_and_the_patient_sees_it(browser_page, demo):
    browser = browser_page
    page = browser.page
    _desktop(browser)
    browser.sign_in(NURSE, DEMO_PASSWORD)
    browser.goto("/reviews/group-sessions/new/")
    page.get_by_label("Topic").fill("Pacing in winter")
    page.get_by_label("Date").fill((timezone.localdate() + timedelta(days=5)).isoformat())
    page.get_by_label("Start time").fill("18:00")
    page.get_by_label("Places").fill("8")
    page.get_by_label("Video link").fill("https://video.example.nhs.uk/room/pacing")
    page.get_by_label("Jordan Lee (Physiotherapist)").check()
    page.get_by_label("Number of monthly sessions").fill("1")
    _submit(browser, "Set up session")
    name = demo.patients[0].full_name
    page.get_by_label(f"{name}, born").check()
    _submit(browser, "Send invitations")
    _submit(browser, "Cancel this session")
    browser.check()
    assert page.get_by_role("heading", name="Cancel this group session?").is_visible()
    assert f"{name} (invited)" in page.content()
    _submit(browser, "Yes, cancel the session")
    assert "Session cancelled." in page.content()
    assert "This session was cancelled on" in page.content()
    session = GroupSession.objects.get(topic="Pacing in winter")
    assert session.cancelled_at is not None
    browser.sign_out()

    _phone(browser)
    browser.sign_in(PATIENT, DEMO_PASSWORD)
    page.get_by_role("link", name="Appointments").first.click()
    browser.check()
    assert page.get_by_text("Cancelled by the care team").first.is_visible()
    browser.sign_out()


def _missed_follow_up(browser, patient):
    """The nurse books the patient a follow-up, its time passes and the patient does not
    answer: she marks it did not attend. Returns the appointment."""
    _desktop(browser)
    browser.sign_in(NURSE, DEMO_PASSWORD)
    _book(browser, patient, "follow_up", timezone.localdate() + timedelta(days=1), "10:00")
    appointment = Appointment.objects.get(patient=patient, kind="follow_up", status="booked")
    Appointment.objects.filter(pk=appointment.pk).update(
        start=timezone.now() - timedelta(minutes=30)
    )
    browser.goto(f"/reviews/appointments/{appointment.uuid}/")
    _submit(browser, "Did not attend")
    return appointment


def test_a_missed_appointment_waits_on_the_worklist_until_another_is_booked(
    browser_page, demo, settings
):
    settings.WORKLIST_CACHE_SECONDS = 0  # the list is scanned again on each view
    patient = demo.patients[2]  # seen already: reviews follow the first conversation
    browser = browser_page
    page = browser.page
    _missed_follow_up(browser, patient)
    browser.goto(reverse("reviews:worklist"))
    row = page.locator("table tbody tr", has_text=patient.full_name)
    assert "Did not attend, not rebooked" in row.inner_text()
    assert "Follow-up on" in row.inner_text()
    _shots(browser, "worklist-not-rebooked")

    # Booked again: the line goes.
    _book(browser, patient, "follow_up", timezone.localdate() + timedelta(days=7), "11:00")
    browser.goto(reverse("reviews:worklist"))
    rows = page.locator("table tbody tr", has_text=patient.full_name)
    assert all("Did not attend" not in text for text in rows.all_inner_texts())


def test_the_team_decides_not_to_rebook_a_missed_appointment(browser_page, demo, settings):
    settings.WORKLIST_CACHE_SECONDS = 0  # the list is scanned again on each view
    patient = demo.patients[2]  # seen already: reviews follow the first conversation
    browser = browser_page
    page = browser.page
    appointment = _missed_follow_up(browser, patient)

    # From the worklist line to the missed appointment.
    browser.goto(reverse("reviews:worklist"))
    row = page.locator("table tbody tr", has_text=patient.full_name)
    row.get_by_role("link", name="Follow-up on").click()
    browser.check()
    assert page.get_by_role("heading", name="After the missed appointment").is_visible()
    page.get_by_text("Decide not to book another appointment").click()
    _submit(browser, "Record the decision")
    assert page.get_by_role("alert").get_by_text("Say why no appointment is being booked.").count()
    _shots(browser, "not-rebooking-error")
    page.get_by_label("Why is no appointment being booked?").fill(
        "The patient rang: they will call back after their operation."
    )
    _submit(browser, "Record the decision")
    assert page.get_by_text("Recorded: no appointment is being booked for now.").is_visible()
    assert page.get_by_text("they will call back after their operation").is_visible()
    _shots(browser, "not-rebooked")

    browser.goto(reverse("reviews:worklist"))
    rows = page.locator("table tbody tr", has_text=patient.full_name)
    assert all("Did not attend" not in text for text in rows.all_inner_texts())

    # Changed their mind: the line is back.
    browser.goto(f"/reviews/appointments/{appointment.uuid}/")
    _submit(browser, "Withdraw the decision not to rebook")
    assert page.get_by_text("The decision is withdrawn.").is_visible()
    browser.goto(reverse("reviews:worklist"))
    row = page.locator("table tbody tr", has_text=patient.full_name)
    assert "Did not attend, not rebooked" in row.inner_text()


def test_book_another_appointment_after_a_missed_one_starts_from_it(browser_page, demo, settings):
    settings.WORKLIST_CACHE_SECONDS = 0  # the list is scanned again on each view
    patient = demo.patients[2]  # seen already: reviews follow the first conversation
    browser = browser_page
    page = browser.page
    missed = _missed_follow_up(browser, patient)
    page.get_by_role("link", name="Book another appointment").click()
    browser.check()
    assert page.get_by_label("Type of appointment").input_value() == "follow_up"
    assert page.get_by_label("Phone call").is_checked()
    page.get_by_label("Date").fill((timezone.localdate() + timedelta(days=7)).isoformat())
    page.get_by_label("Start time").fill("11:00")
    _submit(browser, "Book appointment")
    again = Appointment.objects.get(patient=patient, kind="follow_up", status="booked")
    assert (again.modality, again.clinician, again.episode) == (
        missed.modality,
        missed.clinician,
        missed.episode,
    )


def test_the_team_cancels_an_appointment_after_seeing_how_the_patient_is_told(browser_page, demo):
    patient = demo.patients[2]
    browser = browser_page
    page = browser.page
    _desktop(browser)
    browser.sign_in(NURSE, DEMO_PASSWORD)
    _book(browser, patient, "follow_up", timezone.localdate() + timedelta(days=3), "10:00")
    booked = Appointment.objects.get(patient=patient, kind="follow_up", status="booked")
    page.get_by_role("link", name="Cancel this appointment").click()
    browser.check()
    assert page.get_by_role("heading", level=1).inner_text() == "Cancel this appointment?"
    assert "to say it is cancelled" in page.locator("main").inner_text()
    booked.refresh_from_db()
    assert booked.status == "booked"
    page.get_by_label("Reason for cancelling").fill("Clinician unwell")
    _shots(browser, "staff-cancel")
    _submit(browser, "Yes, cancel the appointment")
    assert page.get_by_text("Appointment cancelled.").is_visible()
    booked.refresh_from_db()
    assert (booked.status, booked.cancellation_reason) == ("cancelled", "Clinician unwell")
