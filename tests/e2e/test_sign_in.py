"""Journey: each demo role signs in and reaches its own home page."""

import pytest

from pathway.demo import DEMO_PASSWORD

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    ("email", "heading", "path"),
    [
        ("patient@demo.nhs.uk", "Hello Alex", "/my/"),
        ("gp@demo.nhs.uk", "Headache and pain pathway", "/gp/"),
        ("nurse@demo.nhs.uk", "Worklist", "/team/"),
        ("commissioner@demo.nhs.uk", "Pathway dashboard", "/dashboard/"),
    ],
)
def test_each_role_signs_in_and_lands_on_its_home_page(browser_page, demo, email, heading, path):
    browser_page.goto("/")
    browser_page.page.get_by_role("link", name="Sign in").first.click()
    browser_page.check()
    browser_page.sign_in(email, DEMO_PASSWORD)
    assert browser_page.page.url.endswith(path)
    assert browser_page.page.get_by_role("heading", level=1).inner_text() == heading
    browser_page.sign_out()
    assert "/account/login/" in browser_page.page.url


def test_a_wrong_password_shows_an_error_summary(browser_page, demo):
    browser_page.sign_in("gp@demo.nhs.uk", "not-the-password")
    summary = browser_page.page.get_by_role("alert")
    assert "Enter a correct email address and password" in summary.inner_text()


def test_a_patient_invited_by_the_team_chooses_a_password_and_signs_in(browser_page, demo):
    import re

    from django.core import mail

    from pathway.models import Patient

    patient = Patient.objects.filter(user__isnull=True).exclude(email="").first()
    patient_email = patient.email
    page = browser_page.page
    browser_page.sign_in("nurse@demo.nhs.uk", DEMO_PASSWORD)
    browser_page.goto(f"/patients/{patient.uuid}/")
    page.get_by_role("button", name="Invite to the patient portal").click()
    browser_page.check()
    assert f"{patient.full_name} has a portal account" in page.content()
    browser_page.sign_out()

    [email] = [message for message in mail.outbox if message.to == [patient_email]]
    link = re.search(r"https?://[^/\s]+(/account/reset/\S+)", email.body).group(1)
    browser_page.goto(link)
    page.get_by_label("New password", exact=True).fill("a-long-new-passphrase-9")
    page.get_by_label("Type the new password again").fill("a-long-new-passphrase-9")
    page.get_by_role("button", name="Save password").click()
    browser_page.check()
    browser_page.sign_in(patient_email, "a-long-new-passphrase-9")
    assert browser_page.page.url.endswith("/my/")


def test_a_patient_answering_slowly_is_warned_and_can_stay_signed_in(browser_page, demo, settings):
    from django.contrib.sessions.models import Session

    # Three minutes and two seconds of idle time: the warning is due two seconds after loading.
    settings.SESSION_COOKIE_AGE = 182
    page = browser_page.page
    browser_page.sign_in("patient@demo.nhs.uk", DEMO_PASSWORD)
    browser_page.goto("/my/")
    warning = page.get_by_role("alert").filter(has_text="You will be signed out soon")
    warning.wait_for(timeout=10000)
    browser_page.check()  # axe, with the warning in view
    # The page gains room below the banner, so its footer's urgent-help links stay reachable.
    page.get_by_role("link", name="Urgent help: NHS 111").scroll_into_view_if_needed()
    link_box = page.get_by_role("link", name="Urgent help: NHS 111").bounding_box()
    banner_box = page.locator("#session-warning").bounding_box()
    assert link_box["y"] + link_box["height"] <= banner_box["y"]
    page.get_by_role("button", name="Stay signed in").click()
    warning.wait_for(state="hidden")
    # Signed out meanwhile (in another tab, say): the page says so instead of losing answers.
    Session.objects.all().delete()
    page.locator("#session-warning").evaluate("box => { box.hidden = false; }")
    page.get_by_role("button", name="Stay signed in").click()
    page.get_by_text("You have been signed out. Copy anything you have written").wait_for()
    assert page.get_by_role("link", name="sign in again (opens in a new tab)").is_visible()
