"""Journeys: the care team records a patient's new contact details from the patient page, and a
change the patient makes on their own page meanwhile is shown, not overwritten. axe runs on
every page."""

import pytest

from pathway.demo import DEMO_PASSWORD
from pathway.models import AuditEvent, Patient
from tests.e2e.conftest import Browser

pytestmark = pytest.mark.e2e

NURSE = "nurse@demo.nhs.uk"
PATIENT = "patient@demo.nhs.uk"
GP = "gp@demo.nhs.uk"


def test_the_nurse_records_new_contact_details_and_sees_the_patients_own_change_first(
    browser_page, browser, live_server, demo
):
    patient = Patient.objects.get(user__email=PATIENT)
    page = browser_page.page
    browser_page.sign_in(NURSE, DEMO_PASSWORD)
    browser_page.goto(f"/patients/{patient.uuid}/")
    page.get_by_role("link", name="Change contact details").click()
    browser_page.check()
    assert "This does not change the email address Alex signs in to the patient portal with" in (
        page.content()
    )
    page.get_by_label("Mobile phone number").fill("07700 900777")
    page.get_by_label("Email address").fill("alex.home@example.com")

    # Meanwhile Alex changes their own email address on their own page.
    context = browser.new_context()
    try:
        own = Browser(context.new_page(), live_server.url)
        own.sign_in(PATIENT, DEMO_PASSWORD)
        own.goto("/my/contact-preferences/")
        own.page.locator("#id_email").fill("alex.work@example.com")
        own.page.get_by_role("button", name="Save preferences").click()
        own.check()
        assert "Your contact preferences are saved." in own.page.content()
    finally:
        context.close()

    page.get_by_role("button", name="Save contact details").click()
    browser_page.check()
    summary = page.get_by_role("alert").inner_text()
    assert "This patient's record was changed by the patient at" in summary
    assert "The contact details have not been saved." in summary
    assert "alex.work@example.com" in page.locator("#saved-now").inner_text()
    assert page.get_by_label("Mobile phone number").input_value() == "07700 900777"
    assert page.get_by_label("Email address").input_value() == "alex.home@example.com"
    assert Patient.objects.get(pk=patient.pk).email == "alex.work@example.com"

    # Having seen it, the nurse saves what the patient told them on the phone.
    page.get_by_role("button", name="Save contact details").click()
    browser_page.check()
    assert page.url.endswith(f"/patients/{patient.uuid}/")
    assert "Alex Morgan's mobile number and email address are updated." in page.content()
    saved = Patient.objects.get(pk=patient.pk)
    assert (saved.mobile, saved.email) == ("+447700900777", "alex.home@example.com")
    assert saved.user.email == PATIENT  # the portal sign-in is not changed
    event = AuditEvent.objects.filter(patient=patient, action="update").latest("pk")
    assert event.fields == ["email", "mobile"]


def test_the_nurse_is_told_what_to_fix_and_an_opt_out_is_shown_plainly(
    browser_page, live_server, demo
):
    patient = Patient.objects.get(user__email=PATIENT)
    Patient.objects.filter(pk=patient.pk).update(opted_out_at=patient.created_at)
    page = browser_page.page
    browser_page.sign_in(NURSE, DEMO_PASSWORD)
    browser_page.goto(f"/patients/{patient.uuid}/contact-details/")
    assert "Opted out of all messages" in page.content()
    assert not page.get_by_label("The patient agrees to text messages").is_checked()
    page.get_by_label("Mobile phone number").fill("")
    page.get_by_label("The patient agrees to text messages").check()
    page.get_by_role("button", name="Save contact details").click()
    browser_page.check()
    page.get_by_role("alert").get_by_role(
        "link", name="Enter a mobile number to send text messages."
    ).click()
    assert page.evaluate("document.activeElement.id") == "id_mobile"
    assert Patient.objects.get(pk=patient.pk).opted_out_at is not None
    page.get_by_role("link", name="Back to Alex Morgan").click()
    browser_page.check()
    assert "Opted out of all messages" in page.content()


def test_the_nurse_corrects_a_date_of_birth_and_the_waiting_referral_is_screened_again(
    browser_page, demo
):
    from datetime import date

    from django.utils import timezone

    from pathway.models import User
    from referrals import rules
    from referrals.models import Referral
    from tests.referrals import builders

    today = timezone.localdate()
    patient = Patient.objects.get(user__email=PATIENT)
    # Recorded as 45, so the GP's referral of a new headache was screened as routine.
    Patient.objects.filter(pk=patient.pk).update(date_of_birth=date(today.year - 45, 1, 1))
    made = builders.referral(
        patient, User.objects.get(email=GP), red_flags=[rules.NEW_ONSET_HEADACHE]
    )
    assert made.urgency == "routine"

    page = browser_page.page
    browser_page.sign_in(NURSE, DEMO_PASSWORD)
    browser_page.goto(f"/patients/{patient.uuid}/")
    page.get_by_role("link", name="Change date of birth").click()
    browser_page.check()
    shown = [box.input_value() for box in browser_page.date_boxes()]
    assert shown == ["1", "1", str(today.year - 45)]
    browser_page.fill_date(f"{today.year - 55}-01-01")
    page.get_by_role("button", name="Save corrections").click()
    browser_page.check()
    assert page.url.endswith(f"/patients/{patient.uuid}/")
    content = page.content()
    assert "Alex Morgan's date of birth is corrected." in content
    assert "waiting for triage, is now urgent (within 2 weeks)" in content
    assert f"1 January {today.year - 55}" in content

    browser_page.goto("/referrals/triage/")
    row = page.get_by_role("row").filter(has_text="Alex Morgan")
    assert "Urgent" in row.inner_text()
    saved = Referral.objects.get(pk=made.pk)
    assert (saved.urgency, saved.age_at_referral) == ("urgent", 55)


def test_a_patient_stops_messages_from_the_link_in_a_text_without_signing_in(browser_page, demo):
    from pathway.models import Patient
    from pathway.notifications import opt_out

    patient = Patient.objects.filter(user__isnull=True, opted_out_at__isnull=True).first()
    page = browser_page.page
    page.set_viewport_size({"width": 390, "height": 844})
    browser_page.goto(f"/stop/{opt_out.token_for(patient)}/")
    browser_page.check()
    assert patient.family_name not in page.content()
    page.get_by_role("button", name="Stop all messages").click()
    browser_page.check()
    assert page.get_by_role("heading", level=1).inner_text() == "Messages stopped"
    patient.refresh_from_db()
    assert patient.opted_out_at is not None


def test_a_gp_attendance_import_with_a_long_file_name_keeps_its_withdraw_link_whole(
    browser_page, demo
):
    """On a phone, an unbroken file name breaks across lines in its own cell; the "Withdraw"
    link beside it stays on one line."""
    patient = Patient.objects.get(user__email=PATIENT)
    page = browser_page.page
    page.set_viewport_size({"width": 390, "height": 844})
    browser_page.sign_in(NURSE, DEMO_PASSWORD)
    browser_page.goto("/gp-attendance/import/")
    name = "gp-attendances-northgate-primary-care-network-2025-04-01-to-2026-03-31-final.csv"
    page.get_by_label("CSV file of GP attendances").set_input_files(
        files=[
            {
                "name": name,
                "mimeType": "text/csv",
                "buffer": (
                    "nhs_number,period_start,period_end,attendances\n"
                    f"{patient.nhs_number},2025-04-01,2026-03-31,4\n"
                ).encode(),
            }
        ]
    )
    page.get_by_role("button", name="Upload and import").click()
    browser_page.check()
    assert f"Imported 1 row from {name}." in page.content()
    lines = page.evaluate(
        """(() => {
            const lines = el => { const r = document.createRange(); r.selectNodeContents(el);
                return new Set([...r.getClientRects()].filter(q => q.width > 1)
                    .map(q => Math.round(q.top))).size; };
            const link = document.querySelector('a[href*="/withdraw/"]');
            return [lines(link.firstChild), lines(link.closest('tr').querySelector('td'))];
        })()"""
    )
    assert lines[0] == 1, "the Withdraw link is broken across lines"
    assert lines[1] > 1  # the file name breaks instead
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
