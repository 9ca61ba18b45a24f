"""Journeys: a patient logs a headache day and a headache-free day, sees the calendar, the
90-day summary and downloads the report; corrects a day to no headache while a second tab is
open, and removes it; a clinician reads the diary tab with its flags."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.utils import timezone

from diaries import services, tasks
from diaries.demo import ensure_catalogue
from pathway.demo import DEMO_PASSWORD
from tests.diaries.builders import episode, headache_day

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def catalogue(transactional_db):
    """Browser tests flush the database between tests, which drops the seeded catalogue."""
    ensure_catalogue()


@pytest.fixture
def handed_to_worker(monkeypatch):
    """Report UUIDs the web app hands to the broker; the test then runs the task body itself,
    as the worker would."""
    sent = []
    monkeypatch.setattr(
        tasks.render_diary_report, "apply_async", lambda args, **kwargs: sent.append(args[0])
    )
    return sent


def _phone_screenshot(page, name: str) -> None:
    """A phone-width picture of the current page for a person to look at (axe runs at the
    default width: the kernel header overflows at 390px, see the diaries report)."""
    size = page.viewport_size
    page.set_viewport_size(PHONE)
    page.screenshot(path=f"/tmp/diaries-e2e-{name}.png", full_page=True)
    page.set_viewport_size(size)


def test_a_patient_logs_days_and_sees_the_calendar_summary_and_report(
    browser_page, demo, handed_to_worker
):
    page = browser_page.page
    browser_page.sign_in("patient@demo.nhs.uk", DEMO_PASSWORD)
    browser_page.goto("/diary/")
    assert page.get_by_role("heading", level=1).inner_text() == "Today's diary"

    # A headache day: two headaches, one with a triptan; the second added with htmx.
    page.get_by_role("button", name="Yes, I had a headache").click()
    browser_page.check()
    first = page.locator("#episode-1")
    first.get_by_label("Severe").check()
    first.get_by_label("About how long did it last?").select_option("4_to_12h")
    first.get_by_label("Pain on one side of the head").check()
    first.get_by_label("Throbbing or pulsing pain").check()
    first.get_by_label("Feeling sick or being sick").check()
    first.get_by_label("Medicine taken for this headache").select_option("sumatriptan")
    page.get_by_role("button", name="Add another headache").click()
    second = page.locator("#episode-2")
    second.wait_for()
    second.get_by_label("Mild").check()
    second.get_by_label("About how long did it last?").select_option("1_to_4h")
    browser_page.check()
    _phone_screenshot(page, "today-form")
    page.get_by_role("button", name="Save today's diary").click()
    browser_page.check()
    assert "Your diary for today is saved." in page.content()
    assert "2 headaches, worst severe, with migraine symptoms" in page.content()

    # A headache-free day in one tap, from the list of earlier days.
    page.get_by_role("link", name="Fill in").first.click()
    browser_page.check()
    page.get_by_role("button", name="No, no headache").click()
    browser_page.check()
    assert "Saved: no headache for" in page.content()
    _phone_screenshot(page, "today-saved")

    # The month calendar.
    page.get_by_role("link", name="Month calendar").click()
    browser_page.check()
    assert page.locator("td.app-diary-calendar__day--severe").count() == 1
    assert "severe headache, migraine, medicine taken" in page.content()
    _phone_screenshot(page, "calendar")

    # The 90-day summary, then the report PDF prepared by the worker.
    page.get_by_role("link", name="My last 90 days").click()
    browser_page.check()
    assert "You had a headache on 1 day out of 90." in page.content()
    assert "You started your diary on " in page.content()
    assert "so it does not cover all 90 days yet" in page.content()
    # On a phone, a table too wide for the screen scrolls in its own box, and only such a table
    # says "Scroll the table sideways" above it.
    size = page.viewport_size
    page.set_viewport_size(PHONE)
    notes = page.evaluate(
        "[...document.querySelectorAll('.app-scroll-note')]"
        ".map(n => [!n.hidden, n.nextElementSibling.scrollWidth"
        " > n.nextElementSibling.clientWidth])"
    )
    assert notes and all(shown == scrolls for shown, scrolls in notes)
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    page.set_viewport_size(size)
    page.get_by_role("button", name="Create a PDF report of these 90 days").click()
    page.get_by_text("Preparing your report").wait_for()
    browser_page.check()
    assert len(handed_to_worker) == 1
    assert tasks.render_diary_report(handed_to_worker[0]) == "ready"
    link = page.get_by_role("link", name="Download the diary report (PDF)")
    link.wait_for(timeout=15_000)
    browser_page.check()
    with page.expect_download() as download:
        link.click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
    _phone_screenshot(page, "summary")


def test_a_chronic_pain_patient_scores_their_pain_and_the_team_reads_it(browser_page, demo):
    morgan = next(patient for patient in demo.patients if patient.given_name == "Morgan")
    yesterday = timezone.localdate() - timedelta(days=1)
    services.record_pain_score(actor=morgan.user, patient=morgan, day=yesterday, score=4)
    page = browser_page.page
    page.set_viewport_size(PHONE)
    browser_page.sign_in("pain@demo.nhs.uk", DEMO_PASSWORD)
    browser_page.goto("/diary/")
    assert page.get_by_role("heading", name="How bad was your pain today?").is_visible()
    assert "pain 4 out of 10" in page.content()
    _phone_screenshot(page, "pain-today")
    page.get_by_role("button", name="Pain 7", exact=True).click()
    browser_page.check()
    assert "Saved: pain 7 out of 10 for today." in page.content()
    assert "You have filled in today:\n        pain 7 out of 10." in page.content()

    # Painkillers for the pain, not for a headache: they count as medicine days. The section
    # is open beside the day's other details.
    apart = page.locator("#medicines-apart")
    assert apart.get_attribute("open") is not None
    apart.get_by_label("Painkiller or migraine medicine").select_option("paracetamol")
    apart.get_by_label("Number of doses").first.fill("2")
    browser_page.check()
    page.get_by_role("button", name="Save today's diary").click()
    browser_page.check()
    assert "medicine taken, pain 7 out of 10." in page.content()

    # The calendar marks the day's score and reads it out.
    page.get_by_role("link", name="Month calendar").click()
    browser_page.check()
    assert page.locator(".app-diary-calendar__pain", has_text="7/10").count() == 1
    assert "medicine taken, pain 7 out of 10" in page.content()
    _phone_screenshot(page, "pain-calendar")

    # The team's diary tab leads with the pain scores.
    page.get_by_role("button", name="Sign out", exact=True).click()
    browser_page.sign_in("nurse@demo.nhs.uk", DEMO_PASSWORD)
    browser_page.goto(f"/diary/patients/{morgan.uuid}/")
    assert page.get_by_role("heading", level=2).first.inner_text().startswith("Pain diary")
    table = page.get_by_role("table", name="Pain scores (0 to 10) in each 30-day month")
    assert table.get_by_role("row").last.inner_text().split() == [
        "All",
        "90",
        "days",
        "2",
        "5.5",
        "7",
    ]
    medicines = page.get_by_role("table", name="Medicines recorded")
    assert medicines.get_by_role("row").last.inner_text().split("\t") == [
        "Paracetamol",
        "Simple painkiller (paracetamol, aspirin, NSAID)",
        "1",
        "2",
    ]


def test_a_clinician_reads_the_diary_tab_with_its_flags(browser_page, demo):
    apps.get_app_config("diaries").seed_demo(demo)
    alex = demo.patients[0]
    page = browser_page.page
    browser_page.sign_in("nurse@demo.nhs.uk", DEMO_PASSWORD)
    browser_page.goto(f"/patients/{alex.uuid}/")
    page.get_by_role("link", name="Diary", exact=True).click()
    browser_page.check()
    content = page.content()
    assert "Meets diary criteria for chronic migraine" in content
    assert "Meets diary criteria for medication-overuse headache: triptans" in content
    assert "ICHD-3 8.2.2" in content
    page.screenshot(path="/tmp/diaries-e2e-clinician.png", full_page=True)
    page.get_by_role("link", name="Previous 90 days").click()
    browser_page.check()


def test_a_patient_corrects_a_day_from_two_tabs_and_removes_it(browser_page, demo):
    alex = demo.patients[0]
    day = timezone.localdate() - timedelta(days=2)
    services.record_entry(actor=alex.user, patient=alex, day=day, data=headache_day(episode()))
    page = browser_page.page
    browser_page.sign_in("patient@demo.nhs.uk", DEMO_PASSWORD)
    browser_page.goto(f"/diary/day/{day:%Y-%m-%d}/")
    other_tab = page.context.new_page()
    other_tab.goto(page.url)

    # "No" on a day with a headache asks to remove it, then saves.
    page.get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Save this day").click()
    browser_page.check()
    assert page.title().startswith("Error: ")
    page.get_by_role("link", name="You said you did not have a headache").click()
    assert page.evaluate("document.activeElement.id") == "id_remove_headaches"
    page.get_by_label("Yes, remove the headache details for this day").check()
    page.get_by_role("button", name="Save this day").click()
    browser_page.check()
    assert "is saved." in page.content()
    assert "no headache." in page.content()

    # The other tab still shows the headache: its save is refused, keeping what it typed.
    other_tab.get_by_text("Triggers, pain, sleep, mood and notes").click()
    other_tab.get_by_label("Anything else to note").fill("Typed in the other tab")
    other_tab.get_by_role("button", name="Save this day").click()
    assert "was changed in another tab or on another device" in other_tab.content()
    assert other_tab.get_by_label("Anything else to note").input_value() == (
        "Typed in the other tab"
    )
    other_tab.close()

    # Removing the record asks first.
    page.get_by_role("button", name="Remove the record for").click()
    browser_page.check()
    assert (
        page.get_by_role("heading", level=1).inner_text().startswith("Remove your diary record for")
    )
    page.get_by_role("button", name="Yes, remove it").click()
    browser_page.check()
    assert "has been removed." in page.content()
