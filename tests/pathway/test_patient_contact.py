"""The care team changes a patient's contact details: the form's checks, the service (dated
consent, opt-out kept, audit by field name, no overwriting a change made since the page was
opened) and the staff page."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from pathway import services
from pathway.forms import OUT_OF_DATE, PatientContactForm, revision_token
from pathway.models import AuditEvent, Patient
from tests.pathway.pages import field_error as _field_error
from tests.pathway.pages import page_text as _page

pytestmark = pytest.mark.django_db


def _url(patient) -> str:
    return reverse("pathway:patient-contact", kwargs={"patient_uuid": patient.uuid})


def _detail(patient) -> str:
    return reverse("pathway:patient-detail", kwargs={"patient_uuid": patient.uuid})


def _refresh(patient) -> Patient:
    return Patient.objects.get(pk=patient.pk)


def _data(patient, **changes) -> dict:
    """The form as the page shows it for `patient` now, with `changes` typed in."""
    return {
        "based_on": revision_token(_refresh(patient).updated_at),
        "mobile": "07700 900123",
        "email": "alice@example.test",
        "sms_consent": "on",
        "email_consent": "on",
        **changes,
    }


def _form(patient, **changes) -> PatientContactForm:
    patient = _refresh(patient)
    data = {k: v for k, v in _data(patient, **changes).items() if v != ""}
    return PatientContactForm(data, instance=patient)


def _opt_out(patient) -> Patient:
    return services.opt_out_of_messages(actor=None, patient=_refresh(patient))


# The form


def test_the_form_asks_for_a_mobile_when_the_patient_agrees_to_texts(world):
    form = _form(world.patient, mobile="", sms_consent="on")
    assert not form.is_valid()
    assert form.errors["mobile"] == ["Enter a mobile number to send text messages."]


def test_the_form_asks_for_an_email_address_when_the_patient_agrees_to_emails(world):
    form = _form(world.patient, email="", email_consent="on")
    assert not form.is_valid()
    assert form.errors["email"] == ["Enter an email address to send emails."]


def test_the_form_gives_one_clear_message_for_a_malformed_mobile_with_texts_ticked(world):
    form = _form(world.patient, mobile="12", sms_consent="on")
    assert not form.is_valid()
    assert form.errors["mobile"] == ["Enter a UK mobile number, like 07700 900123."]


def test_the_form_refuses_a_malformed_email_address_with_an_example(world):
    form = _form(world.patient, email="alice at example", email_consent="")
    assert not form.is_valid()
    assert form.errors["email"] == [
        "Enter an email address in the correct format, like name@example.com."
    ]


def test_the_form_accepts_no_contact_details_when_nothing_is_agreed(world):
    form = _form(world.patient, mobile="", email="", sms_consent="", email_consent="")
    assert form.is_valid(), form.errors
    assert (form.cleaned_data["mobile"], form.cleaned_data["email"]) == ("", "")


@pytest.mark.parametrize("token", ["", "yesterday", "2026-01-01T10:00:00", "9" * 41])
def test_the_form_refuses_a_missing_or_garbled_revision(world, token):
    form = _form(world.patient, based_on=token)
    assert not form.is_valid()
    assert form.errors["based_on"] == [OUT_OF_DATE]


def test_the_form_shows_the_saved_mobile_as_people_write_it_and_carries_the_revision(world):
    patient = _refresh(world.patient)
    form = PatientContactForm(instance=patient)
    assert form["mobile"].value() == "07700 900123"
    assert form["based_on"].value() == revision_token(patient.updated_at)
    assert form.fields["sms_consent"].label == "The patient agrees to text messages"
    assert form.fields["email_consent"].label == "The patient agrees to emails"


def test_the_form_shows_the_boxes_unticked_while_the_patient_has_opted_out(world):
    patient = _opt_out(world.patient)
    assert patient.sms_consent and patient.email_consent
    form = PatientContactForm(instance=patient)
    assert form["sms_consent"].value() is False
    assert form["email_consent"].value() is False


# The service


def _change(patient, *, actor, based_on=None, **data):
    current = _refresh(patient)
    values = {
        "mobile": current.mobile,
        "email": current.email,
        "sms_consent": current.sms_consent,
        "email_consent": current.email_consent,
        **data,
    }
    return services.change_contact_details(
        actor=actor,
        patient=current,
        data=values,
        based_on=based_on or current.updated_at,
    )


def test_it_saves_new_details_with_an_audit_row_of_field_names_only(world):
    changed = _change(
        world.patient, actor=world.clinician, mobile="+447700900999", email="new@example.test"
    )
    assert changed == ["mobile", "email"]
    patient = _refresh(world.patient)
    assert (patient.mobile, patient.email) == ("+447700900999", "new@example.test")
    assert patient.updated_by == world.clinician
    event = AuditEvent.objects.get(action="update", patient=patient)
    assert event.actor == world.clinician
    assert event.fields == ["email", "mobile"]
    assert event.object_uuid == patient.uuid
    assert "900999" not in str(event.__dict__) and "new@example" not in str(event.__dict__)


def test_it_does_not_change_the_email_address_the_patient_signs_in_with(world):
    sign_in = world.patient_user.email
    _change(world.patient, actor=world.gp, email="new@example.test")
    world.patient_user.refresh_from_db()
    assert world.patient_user.email == sign_in


def test_it_dates_a_change_of_consent_and_not_a_change_of_number(world):
    long_ago = timezone.now() - timedelta(days=400)
    Patient.objects.filter(pk=world.patient.pk).update(consent_recorded_at=long_ago)
    _change(world.patient, actor=world.clinician, mobile="+447700900999")
    assert _refresh(world.patient).consent_recorded_at == long_ago
    before = timezone.now()
    _change(world.patient, actor=world.clinician, sms_consent=False)
    patient = _refresh(world.patient)
    assert patient.consent_recorded_at >= before
    assert not patient.can_receive("sms") and patient.can_receive("email")
    assert AuditEvent.objects.filter(fields=["sms_consent"], actor=world.clinician).exists()


def test_new_details_with_the_boxes_unticked_keep_the_patients_opt_out(world):
    _opt_out(world.patient)
    consented_at = _refresh(world.patient).consent_recorded_at
    changed = _change(
        world.patient,
        actor=world.clinician,
        email="new@example.test",
        sms_consent=False,
        email_consent=False,
    )
    assert changed == ["email"]
    patient = _refresh(world.patient)
    assert patient.email == "new@example.test"
    assert patient.opted_out_at is not None
    assert not patient.can_receive("sms") and not patient.can_receive("email")
    # Unticked while opted out is "still opted out", not a withdrawal of the earlier consent.
    assert patient.sms_consent and patient.email_consent
    assert patient.consent_recorded_at == consented_at


def test_a_number_removed_while_opted_out_takes_its_kept_consent_with_it(world):
    _opt_out(world.patient)
    changed = _change(
        world.patient, actor=world.clinician, mobile="", sms_consent=False, email_consent=False
    )
    assert changed == ["mobile", "sms_consent"]
    patient = _refresh(world.patient)
    assert (patient.mobile, patient.sms_consent, patient.email_consent) == ("", False, True)
    assert patient.opted_out_at is not None


def test_a_box_ticked_for_a_patient_who_opted_out_turns_that_channel_back_on(world):
    _opt_out(world.patient)
    before = timezone.now()
    changed = _change(world.patient, actor=world.clinician, sms_consent=False)
    assert "opted_out_at" in changed
    patient = _refresh(world.patient)
    assert patient.opted_out_at is None
    assert patient.consent_recorded_at >= before
    assert patient.can_receive("email") and not patient.can_receive("sms")
    event = AuditEvent.objects.filter(action="update", actor=world.clinician).get()
    assert event.fields == ["opted_out_at", "sms_consent"]


def test_nothing_changed_saves_nothing_and_writes_no_audit_row(world):
    before = _refresh(world.patient).updated_at
    assert _change(world.patient, actor=world.clinician) == []
    assert _refresh(world.patient).updated_at == before
    assert not AuditEvent.objects.filter(action="update").exists()


def test_a_record_changed_since_the_page_was_opened_is_not_overwritten(world):
    opened_on = _refresh(world.patient).updated_at
    services.update_contact_preferences(
        actor=world.patient_user,
        patient=_refresh(world.patient),
        data={"mobile": "+447700900555"},
    )
    with pytest.raises(services.ChangedSinceOpened) as raised:
        _change(world.patient, actor=world.gp, based_on=opened_on, mobile="+447700900999")
    assert "changed by the patient at" in str(raised.value)
    assert raised.value.changed_at == _refresh(world.patient).updated_at
    assert _refresh(world.patient).mobile == "+447700900555"
    assert not AuditEvent.objects.filter(actor=world.gp).exists()


@pytest.mark.parametrize(
    ("editor", "words"),
    [("clinician", "Nurse Nia"), ("gp", "you in another tab or window"), (None, "someone else")],
)
def test_the_refusal_says_who_changed_the_record(world, editor, words):
    opened_on = _refresh(world.patient).updated_at
    _change(world.patient, actor=getattr(world, editor) if editor else None, mobile="+447700900555")
    with pytest.raises(services.ChangedSinceOpened, match=f"changed by {words} at"):
        _change(world.patient, actor=world.gp, based_on=opened_on, email="x@example.test")


# The page


def test_only_the_patients_gp_and_care_team_reach_the_page(world, login, client):
    response = client.get(_url(world.patient))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("pathway:login"))
    for user in (
        world.commissioner,
        world.admin,
        world.patient_user,
        world.other_gp,
        world.other_clinician,
    ):
        assert login(user).get(_url(world.patient)).status_code == 404, user.full_name
        assert login(user).post(_url(world.patient), _data(world.patient)).status_code == 404
    assert _refresh(world.patient).updated_by is None
    assert not AuditEvent.objects.exists()
    for user in (world.gp, world.clinician):
        assert login(user).get(_url(world.patient)).status_code == 200


def test_the_patient_page_links_to_the_change_for_the_gp_and_care_team_only(world, login):
    link = f'href="{_url(world.patient)}"'
    assert link in _page(login(world.clinician).get(_detail(world.patient)))
    assert link in _page(login(world.gp).get(_detail(world.patient)))
    assert link not in _page(login(world.admin).get(_detail(world.patient)))


def test_the_page_audits_its_read_and_says_the_sign_in_email_is_not_changed(world, login):
    page = _page(login(world.gp).get(_url(world.patient)))
    assert "Change contact details" in page
    assert (
        "This does not change the email address Alice signs in to the patient portal with: "
        f"that stays {world.patient_user.email}." in page
    )
    assert 'value="07700 900123"' in page
    event = AuditEvent.objects.get(action="view")
    assert (event.actor, event.patient, event.fields) == (world.gp, world.patient, [])


def test_the_page_says_plainly_when_the_patient_has_opted_out(world, login):
    _opt_out(world.patient)
    page = _page(login(world.clinician).get(_url(world.patient)))
    assert "Opted out of all messages" in page
    assert "Saving new details here keeps it that way." in page
    assert "checked" not in re.search(r'<input[^>]*id="id_sms_consent"[^>]*>', page).group(0)


def test_saving_goes_back_to_the_patient_page_naming_what_changed(world, login):
    response = login(world.clinician).post(
        _url(world.patient),
        _data(world.patient, mobile="07700 900999", email_consent=""),
        follow=True,
    )
    assert response.redirect_chain == [(_detail(world.patient), 302)]
    page = _page(response)
    assert "Alice Anders's mobile number and consent to emails are updated." in page
    assert "Mobile: 07700 900999" in page
    patient = _refresh(world.patient)
    assert (patient.mobile, patient.email_consent) == ("+447700900999", False)


def test_saving_unchanged_details_says_nothing_changed(world, login):
    response = login(world.gp).post(_url(world.patient), _data(world.patient), follow=True)
    assert "Nothing was changed" in _page(response)
    assert not AuditEvent.objects.filter(action="update").exists()


def test_a_ticked_box_after_an_opt_out_says_messages_are_back_on(world, login):
    _opt_out(world.patient)
    client = login(world.gp)
    response = client.post(_url(world.patient), _data(world.patient), follow=True)
    assert "Messages to Alice Anders are turned back on." in _page(response)
    _opt_out(world.patient)
    response = client.post(_url(world.patient), _data(world.patient, sms_consent=""), follow=True)
    assert (
        "Alice Anders's consent to text messages is updated. Messages are turned back on."
        in _page(response)
    )


def test_an_invalid_change_shows_the_message_beside_the_field_and_saves_nothing(world, login):
    response = login(world.clinician).post(
        _url(world.patient), _data(world.patient, mobile="", sms_consent="on")
    )
    assert response.status_code == 200
    assert _field_error(response, "mobile") == "Enter a mobile number to send text messages."
    assert '<a href="#id_mobile">Enter a mobile number' in response.content.decode()
    assert "<title>Error: Change contact details" in _page(response)
    assert _refresh(world.patient).mobile == "+447700900123"


def test_a_change_made_since_the_page_was_opened_is_shown_and_not_overwritten(world, login):
    staff = login(world.clinician)
    opened = _data(world.patient, mobile="07700 900999")
    # Meanwhile the patient changes their own email address on their own page.
    services.update_contact_preferences(
        actor=world.patient_user,
        patient=_refresh(world.patient),
        data={"email": "alice.new@example.test"},
    )
    response = staff.post(_url(world.patient), opened)
    assert response.status_code == 200
    page = _page(response)
    assert "This patient's record was changed by the patient at" in page
    assert "The contact details have not been saved." in page
    assert "What the record says now" in page
    assert "alice.new@example.test" in page
    assert 'value="07700 900999"' in page  # what the clinician typed is kept
    patient = _refresh(world.patient)
    assert (patient.mobile, patient.email) == ("+447700900123", "alice.new@example.test")
    assert not AuditEvent.objects.filter(actor=world.clinician, action="update").exists()

    # Saving again is a deliberate choice, based on the record as now shown.
    form = response.context["form"]
    assert form.data["based_on"] == revision_token(patient.updated_at)
    again = staff.post(_url(world.patient), {**opened, "based_on": form.data["based_on"]})
    assert again.status_code == 302
    patient = _refresh(world.patient)
    assert (patient.mobile, patient.email) == ("+447700900999", "alice@example.test")


def test_an_opt_out_made_since_the_page_was_opened_unticks_the_boxes_and_is_kept(world, login):
    staff = login(world.clinician)
    opened = _data(world.patient, mobile="07700 900999")  # both boxes ticked, as shown
    services.opt_out_of_messages(actor=world.patient_user, patient=_refresh(world.patient))
    response = staff.post(_url(world.patient), opened)
    page = _page(response)
    assert "changed by the patient at" in page
    assert "Opted out of all messages on" in page
    form = response.context["form"]
    assert form["sms_consent"].value() is False
    assert form["email_consent"].value() is False
    assert form["mobile"].value() == "07700 900999"

    as_shown = {"based_on": form.data["based_on"], "mobile": "07700 900999"}
    as_shown["email"] = form["email"].value()
    response = staff.post(_url(world.patient), as_shown, follow=True)
    assert "Alice Anders's mobile number is updated." in _page(response)
    patient = _refresh(world.patient)
    assert patient.mobile == "+447700900999"
    assert patient.opted_out_at is not None
    assert not patient.can_receive("sms") and not patient.can_receive("email")


def test_a_patient_record_entered_in_error_is_sent_nothing(world):
    from pathway.notifications import outbox

    patient = world.patient
    assert patient.can_receive("sms") and patient.can_receive("email")
    row, _ = outbox.queue_notification(
        patient=patient,
        channel="sms",
        kind="diary_nudge",
        template="reviews-diary-nudge",
        idempotency_key="entered-in-error-test:sms",
    )
    patient.entered_in_error = True
    patient.save()
    assert not patient.can_receive("sms") and not patient.can_receive("email")
    assert outbox.deliver(row.uuid) != "sent"


def test_the_stop_link_in_a_message_stops_messages_without_signing_in(world, client):
    from pathway.notifications import opt_out

    url = opt_out.url_for(world.patient).removeprefix(settings.SITE_URL)
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Stop all messages" in body
    # Nothing about the patient is shown to whoever holds the link.
    assert world.patient.family_name not in body and world.patient.nhs_number not in body
    assert _refresh(world.patient).opted_out_at is None  # opening the link does nothing
    done = client.post(url)
    assert "Messages stopped" in done.content.decode()
    patient = _refresh(world.patient)
    assert patient.opted_out_at is not None
    assert not patient.can_receive("sms") and not patient.can_receive("email")
    assert AuditEvent.objects.filter(patient=patient, action="update").exists()
    assert "Messages are already stopped" in client.get(url).content.decode()


@pytest.mark.parametrize("change", [0, 5, 30])
def test_an_altered_stop_link_is_refused(world, client, change):
    from pathway.notifications import opt_out

    token = opt_out.token_for(world.patient)
    altered = token[:change] + ("A" if token[change] != "A" else "B") + token[change + 1 :]
    response = client.post(f"/stop/{altered}/")
    assert response.status_code == 404
    assert "This link does not work" in response.content.decode()
    assert _refresh(world.patient).opted_out_at is None
    assert opt_out.patient_for(altered) is None and opt_out.patient_for("short") is None


def test_the_stop_link_can_stop_the_diary_reminders_alone(world, client):
    from pathway.notifications import opt_out

    Patient.objects.filter(pk=world.patient.pk).update(diary_nudge=True)
    url = f"/stop/{opt_out.token_for(world.patient)}/"
    assert "Stop the diary reminders only" in client.get(url).content.decode()
    page = client.post(url, {"what": "diary"}).content.decode()
    assert "The evening diary reminders are stopped." in page
    patient = _refresh(world.patient)
    assert not patient.diary_nudge and patient.opted_out_at is None
    assert patient.can_receive("sms") and patient.can_receive("email")
    assert "Stop the diary reminders only" not in client.get(url).content.decode()


def test_a_diary_reminder_queued_before_it_was_turned_off_is_not_sent(world):
    from pathway.notifications import outbox

    Patient.objects.filter(pk=world.patient.pk).update(diary_nudge=True)
    row, _ = outbox.queue_notification(
        patient=world.patient,
        channel="email",
        kind="diary_nudge",
        template="reviews-diary-nudge",
        idempotency_key="diary-nudge:test:email",
    )
    services.stop_diary_reminders(actor=None, patient=_refresh(world.patient))
    assert outbox.deliver(row.uuid) == "cancelled"
    row.refresh_from_db()
    assert row.last_error == "Not sent: the patient turned the diary reminders off"
