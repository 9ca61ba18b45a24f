"""The kernel's pages: patient search and creation, the staff patient page and its audit, the
patient's own record-access and contact pages, the friendly 404, constant query counts, and
no caching of signed-in pages."""

import html
import re
from datetime import date, timedelta

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pathway.care_teams import care_team_contacts
from pathway.forms import (
    ALREADY_ON_THE_SERVICE,
    ENTERED_IN_ERROR,
    REGISTERED_ELSEWHERE,
    PatientForm,
)
from pathway.models import AuditEvent, Milestone, Organisation, Patient
from pathway.models.audit import RECORD_PARTS, SAID_TO_PATIENT
from pathway.nhs_number import format as format_nhs_number
from tests.factories import EpisodeFactory, PatientFactory
from tests.pathway.pages import field_error as _field_error
from tests.pathway.pages import page_text as _page

SEARCH = reverse("pathway:patient-search")
CREATE = reverse("pathway:patient-create")
PREFERENCES = reverse("pathway:contact-preferences")


def _detail(patient) -> str:
    return reverse("pathway:patient-detail", kwargs={"patient_uuid": patient.uuid})


def _summary_errors(response) -> dict[str, str]:
    """Error summary links: field id -> message."""
    return {
        field: html.unescape(message)
        for field, message in re.findall(
            r'<li><a href="#id_([a-z_]+)">([^<]*)</a></li>', response.content.decode()
        )
    }


# Staff patient search


def test_it_sends_an_anonymous_visitor_to_sign_in_from_search(client, world):
    response = client.get(SEARCH, {"nhs_number": world.patient.nhs_number})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("pathway:login"))


def test_it_answers_404_to_a_patient_or_commissioner_searching(login, world):
    for user in (world.patient_user, world.commissioner):
        assert login(user).get(SEARCH).status_code == 404


def test_it_refuses_an_invalid_nhs_number_with_a_message_and_no_results(login, world):
    response = login(world.gp).get(SEARCH, {"nhs_number": "943 476 5918"})
    assert response.status_code == 200
    assert response.context["results"] is None
    assert "Enter a valid 10-digit NHS number" in _field_error(response, "nhs_number")
    assert "Enter a valid 10-digit NHS number" in _summary_errors(response)["nhs_number"]
    assert "Results" not in _page(response)
    assert not AuditEvent.objects.filter(action="search").exists()


def test_it_asks_for_a_name_and_date_of_birth_when_either_is_missing(login, world):
    response = login(world.gp).get(SEARCH, {"family_name": "Anders"})
    assert response.context["results"] is None
    assert "Enter an NHS number, or a last name and date of birth." in _page(response)


def test_it_does_not_find_another_practices_patient_for_a_gp(login, world):
    response = login(world.gp).get(
        SEARCH, {"nhs_number": format_nhs_number(world.patient_in_c.nhs_number)}
    )
    assert response.status_code == 200
    assert response.context["results"] == []
    assert world.patient_in_c.family_name not in _page(response)
    assert "No patients you can see match that search." in _page(response)


def test_it_finds_a_patient_by_nhs_number_in_3_3_4_form(login, world):
    spaced = format_nhs_number(world.patient.nhs_number)
    assert " " in spaced
    response = login(world.gp).get(SEARCH, {"nhs_number": spaced})
    assert response.context["results"] == [world.patient]
    assert _detail(world.patient) in _page(response)
    event = AuditEvent.objects.get(action="search")
    assert event.actor == world.gp
    assert event.fields == ["nhs_number"]


def test_it_finds_a_patient_by_last_name_and_date_of_birth(login, world):
    PatientFactory(
        family_name="Anders", date_of_birth=date(1990, 1, 1), registered_practice=world.practice_a
    )
    response = login(world.gp).get(
        SEARCH,
        {"family_name": "anders", "date_of_birth": world.patient.date_of_birth.isoformat()},
    )
    assert response.context["results"] == [world.patient]


# Adding a patient

VALID_PATIENT = {
    "nhs_number": "943 476 5919",
    "given_name": "Nadia",
    "family_name": "New",
    "date_of_birth": "1975-03-02",
    "sex": "female",
    "mobile": "07700 900123",
    "email": "nadia@example.test",
    "sms_consent": "on",
    "email_consent": "",
}


def _new_patient(world, **changes) -> dict:
    return {**VALID_PATIENT, "registered_practice": world.practice_a.pk, **changes}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("nhs_number", "943 476 5918", "Enter a valid 10-digit NHS number, like 943 476 5919."),
        ("nhs_number", "12345", "Enter a valid 10-digit NHS number, like 943 476 5919."),
        ("date_of_birth", "FUTURE", "Date of birth must be today or in the past."),
        ("mobile", "0123 456", "Enter a UK mobile number, like 07700 900123."),
        ("email", "nadia-at-example", "Enter a valid email address."),
    ],
)
def test_it_refuses_a_bad_patient_field_with_a_message_beside_it(
    login, world, field, value, message
):
    if value == "FUTURE":
        value = (timezone.localdate() + timedelta(days=1)).isoformat()
    before = Patient.objects.count()
    response = login(world.gp).post(CREATE, _new_patient(world, sms_consent="", **{field: value}))
    assert response.status_code == 200
    assert _field_error(response, field) == message
    # The summary links to the control: for a date of birth, its day box.
    target = f"{field}_day" if field == "date_of_birth" else field
    assert _summary_errors(response) == {target: message}
    assert Patient.objects.count() == before
    assert not AuditEvent.objects.filter(action="create").exists()


@pytest.mark.parametrize(
    ("field", "value", "consent", "message"),
    [
        ("mobile", "0123 456", "sms_consent", "Enter a UK mobile number, like 07700 900123."),
        ("email", "nadia-at-example", "email_consent", "Enter a valid email address."),
    ],
)
def test_it_gives_one_clear_message_for_a_malformed_contact_with_consent_ticked(
    login, world, field, value, consent, message
):
    # The contact was typed but is malformed: "enter a mobile number" would contradict the user.
    response = login(world.gp).post(CREATE, _new_patient(world, **{field: value, consent: "on"}))
    assert _field_error(response, field) == message
    assert _summary_errors(response) == {field: message}


def test_it_refuses_text_message_consent_without_a_mobile(login, world):
    response = login(world.gp).post(CREATE, _new_patient(world, mobile=""))
    assert _field_error(response, "mobile") == "Enter a mobile number to send text messages."
    assert not Patient.objects.filter(nhs_number="9434765919").exists()


def test_it_refuses_a_duplicate_nhs_number_without_a_500(login, world):
    response = login(world.gp).post(
        CREATE, _new_patient(world, nhs_number=world.patient.nhs_number)
    )
    assert response.status_code == 200
    assert _field_error(response, "nhs_number")


def test_a_number_registered_at_another_practice_is_said_without_naming_the_patient(login, world):
    for user, hidden in (
        (world.gp, world.patient_in_b),  # another practice of the GP's PCN
        (world.gp, world.patient_in_c),
        (world.clinician, world.patient_in_c),  # another PCN's
    ):
        response = login(user).post(CREATE, _new_patient(world, nhs_number=hidden.nhs_number))
        assert response.status_code == 200
        assert _field_error(response, "nhs_number") == REGISTERED_ELSEWHERE
        assert _summary_errors(response) == {"nhs_number": REGISTERED_ELSEWHERE}
        page = _page(response)
        assert "already exists" not in page
        assert hidden.family_name not in page
        assert str(hidden.uuid) not in page
        assert Patient.objects.filter(nhs_number=hidden.nhs_number).get() == hidden
    assert not AuditEvent.objects.exists()


def test_the_add_a_patient_page_says_what_the_referral_form_says_of_anothers_patient(world):
    from referrals.forms import ReferralForm

    referral = ReferralForm({"nhs_number": world.patient_in_c.nhs_number}, user=world.gp)
    (said,) = referral.errors["nhs_number"]
    assert REGISTERED_ELSEWHERE.startswith(said)
    assert "contact the service administrator" in REGISTERED_ELSEWHERE


def test_a_number_of_a_patient_the_user_may_see_links_to_their_record(login, world):
    for user, known in ((world.gp, world.patient), (world.clinician, world.patient_in_b)):
        response = login(user).post(
            CREATE, _new_patient(world, nhs_number=format_nhs_number(known.nhs_number))
        )
        assert response.status_code == 200
        assert _field_error(response, "nhs_number") == ALREADY_ON_THE_SERVICE
        page = _page(response)
        assert "already exists" not in page
        assert f'href="{_detail(known)}"' in page
        assert f"Go to {known.full_name}'s record" in page
        assert known.registered_practice.name in page
        # Naming the patient is a read of their record.
        event = AuditEvent.objects.get(actor=user)
        assert (event.action, event.patient) == (AuditEvent.Action.VIEW, known)
    assert Patient.objects.count() == 4


def test_a_number_of_a_record_entered_in_error_at_the_users_practice_says_so(login, world):
    world.other_patient.entered_in_error = True
    world.other_patient.save()
    response = login(world.gp).post(
        CREATE, _new_patient(world, nhs_number=world.other_patient.nhs_number)
    )
    assert _field_error(response, "nhs_number") == ENTERED_IN_ERROR
    assert world.other_patient.family_name not in _page(response)


def test_a_patient_added_between_the_check_and_the_save_is_named_without_a_500(
    login, world, monkeypatch
):
    # The same form sent twice at once: both pass the form's check, one insert wins.
    monkeypatch.setattr(PatientForm, "validate_unique", lambda form: None)
    response = login(world.gp).post(
        CREATE, _new_patient(world, nhs_number=world.patient.nhs_number)
    )
    assert response.status_code == 200
    assert _field_error(response, "nhs_number").startswith(
        "A patient with this NHS number was added a moment ago"
    )
    assert Patient.objects.filter(nhs_number=world.patient.nhs_number).count() == 1


@pytest.mark.parametrize("pasted", [" 999 000 0018", "999 000 0018  ", " 9990000018"])
def test_it_adds_a_patient_whose_nhs_number_was_pasted_with_spaces_around_it(login, world, pasted):
    client = login(world.gp)
    box = re.search(r'<input[^>]*name="nhs_number"[^>]*>', client.get(CREATE).content.decode())
    # A maxlength would cut the pasted number short in the browser, without a word.
    assert "maxlength" not in box.group(0)
    response = client.post(CREATE, _new_patient(world, nhs_number=pasted))
    assert response.status_code == 302
    assert Patient.objects.get(nhs_number="9990000018").family_name == "New"


def test_it_finds_a_patient_by_an_nhs_number_pasted_with_a_space_before(login, world):
    client = login(world.gp)
    box = re.search(r'<input[^>]*name="nhs_number"[^>]*>', client.get(SEARCH).content.decode())
    assert "maxlength" not in box.group(0)
    pasted = " " + format_nhs_number(world.patient.nhs_number)
    assert len(pasted) == 13
    assert client.get(SEARCH, {"nhs_number": pasted}).context["results"] == [world.patient]


def test_it_offers_a_gp_only_their_own_practices(login, world):
    response = login(world.gp).get(CREATE)
    choices = list(response.context["form"].fields["registered_practice"].queryset)
    assert choices == [world.practice_a]
    # Their one practice is chosen for them.
    assert response.context["form"].fields["registered_practice"].empty_label is None


def test_among_several_practices_none_is_chosen_for_the_user(login, world):
    response = login(world.clinician).get(CREATE)
    field = response.context["form"].fields["registered_practice"]
    assert field.queryset.count() > 1
    assert field.empty_label == "Choose a practice"
    assert ">Choose a practice</option>" in response.content.decode()


def test_it_refuses_a_gp_adding_a_patient_to_another_practice(login, world):
    response = login(world.gp).post(
        CREATE, _new_patient(world, registered_practice=world.practice_c.pk)
    )
    assert response.status_code == 200
    assert _field_error(response, "registered_practice")
    assert not Patient.objects.filter(nhs_number="9434765919").exists()


def test_it_answers_404_to_an_admin_or_patient_adding_a_patient(login, world):
    for user in (world.admin, world.patient_user, world.commissioner):
        assert login(user).post(CREATE, _new_patient(world)).status_code == 404
    assert not Patient.objects.filter(nhs_number="9434765919").exists()


def test_it_creates_a_patient_with_an_audit_row_and_shows_their_page(login, world):
    response = login(world.gp).post(CREATE, _new_patient(world))
    patient = Patient.objects.get(nhs_number="9434765919")
    assert response.status_code == 302
    assert response["Location"] == _detail(patient)
    assert patient.registered_practice == world.practice_a
    assert patient.mobile == "+447700900123"
    assert patient.sms_consent and patient.consent_recorded_at is not None
    assert patient.created_by == world.gp
    event = AuditEvent.objects.get(action="create")
    assert (event.actor, event.patient, event.object_uuid) == (world.gp, patient, patient.uuid)
    assert "nhs_number" in event.fields
    assert not {"9434765919", "Nadia", "+447700900123"} & set(event.fields)


# The staff patient page


def test_it_answers_404_for_another_practices_patient_and_audits_nothing(login, world):
    response = login(world.gp).get(_detail(world.patient_in_c))
    assert response.status_code == 404
    assert not AuditEvent.objects.exists()


def test_it_audits_one_view_of_the_patient_page_without_values(login, world):
    response = login(world.gp).get(_detail(world.patient))
    assert response.status_code == 200
    assert world.patient.full_name in _page(response)
    event = AuditEvent.objects.get()
    assert event.action == AuditEvent.Action.VIEW
    assert (event.actor, event.actor_role, event.patient) == (world.gp, "gp", world.patient)
    assert event.object_uuid == world.patient.uuid
    assert event.fields == []


def test_it_lists_a_staff_view_on_the_patients_record_access_page(login, world, client):
    login(world.gp).get(_detail(world.patient))
    client.logout()
    response = login(world.patient_user).get(reverse("pathway:record-access"))
    page = _page(response)
    assert "Dr Grace" in page
    assert "Viewed your record" in page
    assert "No member of staff has looked at your record yet." not in page


def test_the_record_access_page_says_which_part_of_the_record_was_opened(login, world, client):
    login(world.clinician).get(reverse("diaries:patient-diary", args=[world.patient.uuid]))
    client.logout()
    page = _page(login(world.patient_user).get(reverse("pathway:record-access")))
    assert "Viewed your diary" in page


def test_every_access_to_the_record_can_be_read_a_page_at_a_time(login, world):
    from pathway.audit import record_view
    from pathway.views.patients import RECORD_ACCESS_PAGE_SIZE

    for _ in range(RECORD_ACCESS_PAGE_SIZE * 2 + 5):
        record_view(actor=world.gp, patient=world.patient)
    client = login(world.patient_user)
    url = reverse("pathway:record-access")
    first = _page(client.get(url))
    assert f"Showing 1 to {RECORD_ACCESS_PAGE_SIZE} of {RECORD_ACCESS_PAGE_SIZE * 2 + 5}." in first
    assert "Page 2 of 3" in first
    last = client.get(url, {"page": "3"})
    assert "Showing 101 to 105 of 105." in _page(last)
    assert _page(last).count("Dr Grace") == 5
    assert client.get(url, {"page": "junk"}).status_code == 200


def test_the_access_log_words_a_correction_as_a_sentence(login, world):
    from pathway.audit import record_event

    record_event(
        actor=world.clinician,
        action=AuditEvent.Action.ENTERED_IN_ERROR,
        patient=world.patient,
        object_type="pathway.episode",
    )
    page = _page(login(world.patient_user).get(reverse("pathway:record-access")))
    assert "Marked your care with the service as recorded in error" in page


def test_starting_a_care_plan_reads_as_two_different_steps(login, world):
    from tests.careplans import builders as careplan_builders

    careplan_builders.plan(world.patient, actor=world.clinician)
    page = _page(login(world.patient_user).get(reverse("pathway:record-access")))
    assert page.count("Created your care plan") == 1
    assert page.count("Started a new version of your care plan") == 1


def test_a_discharge_reads_as_one(login, world):
    AuditEvent.objects.create(
        actor=world.clinician,
        action=AuditEvent.Action.CREATE,
        patient=world.patient,
        object_type="reviews.discharge",
    )
    page = _page(login(world.patient_user).get(reverse("pathway:record-access")))
    assert "Discharged you from the service" in page
    assert "Created your record" not in page


def test_each_plain_english_phrase_names_a_real_action_and_part_of_the_record():
    for action, label in SAID_TO_PATIENT:
        assert action in AuditEvent.Action.values
        assert label in RECORD_PARTS


def test_every_part_of_the_record_named_to_patients_is_a_model():
    for label in RECORD_PARTS:
        assert apps.get_model(label)._meta.label_lower == label


def test_it_does_not_show_the_patient_anothers_record_access(login, world, client):
    login(world.gp).get(_detail(world.other_patient))
    client.logout()
    response = login(world.patient_user).get(reverse("pathway:record-access"))
    assert "Dr Grace" not in _page(response)
    assert "No member of staff has looked at your record yet." in _page(response)


# Contact preferences


def _no_consent(patient):
    Patient.objects.filter(pk=patient.pk).update(
        sms_consent=False, email_consent=False, consent_recorded_at=None
    )


def _preferences(**changes) -> dict:
    return {
        "mobile": "07700 900456",
        "email": "alice@example.test",
        "sms_consent": "",
        "email_consent": "",
        "diary_nudge": "",
        **changes,
    }


def test_it_refuses_text_messages_without_a_mobile(login, world):
    _no_consent(world.patient)
    response = login(world.patient_user).post(
        PREFERENCES, _preferences(mobile="", sms_consent="on")
    )
    assert response.status_code == 200
    assert _field_error(response, "mobile") == "Enter a mobile number to get text messages."
    assert "mobile" in _summary_errors(response)
    world.patient.refresh_from_db()
    assert not world.patient.sms_consent
    assert world.patient.mobile == "+447700900123"


def test_it_refuses_a_malformed_mobile_on_the_contact_page(login, world):
    response = login(world.patient_user).post(PREFERENCES, _preferences(mobile="12"))
    assert _field_error(response, "mobile") == "Enter a UK mobile number, like 07700 900123."


def test_it_refuses_a_malformed_email_on_the_contact_page_in_words_of_its_own(login, world):
    response = login(world.patient_user).post(PREFERENCES, _preferences(email="name@"))
    assert _field_error(response, "email") == (
        "Enter an email address in the correct format, like name@example.com."
    )


def test_it_gives_one_clear_message_for_a_malformed_mobile_with_text_messages_ticked(login, world):
    response = login(world.patient_user).post(
        PREFERENCES, _preferences(mobile="12", sms_consent="on")
    )
    assert _field_error(response, "mobile") == "Enter a UK mobile number, like 07700 900123."


def test_it_dates_a_new_consent(login, world):
    _no_consent(world.patient)
    before = timezone.now()
    response = login(world.patient_user).post(PREFERENCES, _preferences(sms_consent="on"))
    assert response.status_code == 302
    world.patient.refresh_from_db()
    assert world.patient.sms_consent
    assert world.patient.mobile == "+447700900456"
    assert world.patient.consent_recorded_at >= before
    event = AuditEvent.objects.get(action="update")
    assert event.actor == world.patient_user
    assert "sms_consent" in event.fields


def test_it_stops_every_message_when_the_patient_opts_out(login, world):
    assert world.patient.can_receive("sms") and world.patient.can_receive("email")
    # What the button does is said beside it, before it is pressed.
    before = _page(login(world.patient_user).get(PREFERENCES))
    assert "This turns off every text message and email from us, diary reminders" in before
    assert "You can turn messages back on here at any time." in before
    response = login(world.patient_user).post(PREFERENCES, {"opt_out": "1"})
    assert response.status_code == 302
    world.patient.refresh_from_db()
    assert world.patient.opted_out_at is not None
    assert world.patient.can_receive("sms") is False
    assert world.patient.can_receive("email") is False
    page = _page(login(world.patient_user).get(PREFERENCES))
    assert "You have turned off all messages." in page


def test_opting_out_turns_the_diary_reminder_off_too(login, world):
    Patient.objects.filter(pk=world.patient.pk).update(diary_nudge=True)
    client = login(world.patient_user)
    client.post(PREFERENCES, {"opt_out": "1"})
    world.patient.refresh_from_db()
    assert world.patient.diary_nudge is False
    assert client.get(PREFERENCES).context["form"]["diary_nudge"].value() is False
    event = AuditEvent.objects.get(action="update")
    assert sorted(event.fields) == ["diary_nudge", "opted_out_at"]
    # Opting back in does not bring the reminder back unasked.
    client.post(PREFERENCES, _preferences(sms_consent="on"))
    world.patient.refresh_from_db()
    assert world.patient.opted_out_at is None and world.patient.diary_nudge is False


def test_a_diary_reminder_needs_a_way_to_reach_the_patient(login, world):
    response = login(world.patient_user).post(PREFERENCES, _preferences(diary_nudge="on"))
    assert response.status_code == 200
    assert _field_error(response, "diary_nudge") == (
        "Tick text messages or emails as well, so the reminder has a way to reach you."
    )
    world.patient.refresh_from_db()
    assert world.patient.diary_nudge is False
    response = login(world.patient_user).post(
        PREFERENCES, _preferences(diary_nudge="on", email_consent="on")
    )
    assert response.status_code == 302
    world.patient.refresh_from_db()
    assert world.patient.diary_nudge is True


def test_it_turns_messages_back_on_when_the_patient_opts_in_again(login, world):
    client = login(world.patient_user)
    client.post(PREFERENCES, {"opt_out": "1"})
    client.post(PREFERENCES, _preferences(email_consent="on"))
    world.patient.refresh_from_db()
    assert world.patient.opted_out_at is None
    assert world.patient.can_receive("email")
    assert not world.patient.can_receive("sms")


def test_it_turns_messages_back_on_when_the_patient_saves_the_ticked_boxes_after_opting_out(
    login, world
):
    # Opting out keeps the consent ticks, and the page says "Tick a box below and save to turn
    # them back on": saving the form as shown, with a box ticked, must end the opt-out.
    client = login(world.patient_user)
    client.post(PREFERENCES, {"opt_out": "1"})
    form = client.get(PREFERENCES).context["form"]
    as_shown = {}
    for name in ("mobile", "email", "sms_consent", "email_consent", "diary_nudge"):
        value = form[name].value()
        as_shown[name] = "on" if value is True else (value or "")
    client.post(PREFERENCES, {**as_shown, "sms_consent": "on"})
    world.patient.refresh_from_db()
    assert world.patient.opted_out_at is None
    assert world.patient.can_receive("sms")


def test_the_saved_mobile_is_shown_as_people_write_it_and_saves_unchanged(login, world):
    world.patient.mobile = "+447700900123"
    world.patient.save()
    client = login(world.patient_user)
    page = _page(client.get(PREFERENCES))
    assert 'value="07700 900123"' in page
    form = client.get(PREFERENCES).context["form"]
    assert form["mobile"].value() == "07700 900123"
    client.post(PREFERENCES, _preferences(mobile=form["mobile"].value(), sms_consent="on"))
    world.patient.refresh_from_db()
    assert world.patient.mobile == "+447700900123"


def test_after_opting_out_the_boxes_are_unticked_and_saving_other_details_keeps_it(login, world):
    client = login(world.patient_user)
    client.post(PREFERENCES, {"opt_out": "1"})
    form = client.get(PREFERENCES).context["form"]
    assert not form["sms_consent"].value()
    assert not form["email_consent"].value()
    as_shown = {
        name: "on" if form[name].value() is True else (form[name].value() or "")
        for name in ("mobile", "email", "sms_consent", "email_consent", "diary_nudge")
        if form[name].value() is not False
    }
    response = client.post(PREFERENCES, {**as_shown, "email": "new.address@example.com"})
    assert response.status_code == 302
    world.patient.refresh_from_db()
    assert world.patient.email == "new.address@example.com"
    assert world.patient.opted_out_at is not None
    assert not world.patient.can_receive("sms")
    assert not world.patient.can_receive("email")


def test_saving_new_details_while_opted_out_keeps_the_consent_given_before(login, world):
    world.patient.mobile = "+447700900123"
    world.patient.email = "alice@example.com"
    world.patient.sms_consent = world.patient.email_consent = True
    world.patient.save()
    client = login(world.patient_user)
    client.post(PREFERENCES, {"opt_out": "1"})
    world.patient.refresh_from_db()
    dated = world.patient.consent_recorded_at
    # The boxes show unticked while opted out; saved unticked, they mean "still opted out".
    client.post(PREFERENCES, _preferences(mobile="07700 900123", email="new.address@example.com"))
    world.patient.refresh_from_db()
    assert world.patient.opted_out_at is not None
    assert world.patient.email == "new.address@example.com"
    assert (world.patient.sms_consent, world.patient.email_consent) == (True, True)
    assert world.patient.consent_recorded_at == dated
    assert not world.patient.can_receive("sms")
    # A consent kept this way leaves with its number.
    client.post(PREFERENCES, _preferences(mobile="", email="new.address@example.com"))
    world.patient.refresh_from_db()
    assert (world.patient.sms_consent, world.patient.email_consent) == (False, True)
    # Ticking a box later turns that channel back on without asking for the other again.
    client.post(
        PREFERENCES, _preferences(mobile="", email="new.address@example.com", email_consent="on")
    )
    world.patient.refresh_from_db()
    assert world.patient.opted_out_at is None
    assert world.patient.can_receive("email")


# Not found


def test_it_answers_an_unknown_url_with_the_friendly_404_page(client, login, world):
    for response in (
        client.get("/no-such-page/"),
        login(world.gp).get("/no-such-page/"),
        login(world.gp).get("/patients/not-a-uuid/"),
    ):
        assert response.status_code == 404
        assert "Page not found" in _page(response)
        assert "Go to the start page" in _page(response)


def test_an_address_that_only_takes_a_form_opened_in_the_browser_says_so(login, world):
    response = login(world.patient_user).get(reverse("reviews:my-booking-request"))
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert "This page cannot be opened on its own" in _page(response)
    assert "go to the start page" in _page(response)


def test_another_method_than_get_keeps_the_bare_405(login, world):
    response = login(world.patient_user).put(reverse("reviews:my-booking-request"))
    assert response.status_code == 405
    assert response.content == b""


# Query counts stay constant as records grow (STYLE.md rule 12).


def _episodes_with_milestones(patient, count: int, clinician=None) -> None:
    start = timezone.now() - timedelta(days=400)
    for n in range(count):
        opened = start + timedelta(days=n * 60)
        open_now = n == count - 1
        episode = EpisodeFactory(
            patient=patient,
            status="active" if open_now else "discharged",
            opened_at=opened,
            closed_at=None if open_now else opened + timedelta(days=50),
            responsible_clinician=clinician,
        )
        for day, kind in enumerate(["referral_received", "triaged", "review_held"]):
            Milestone.objects.create(
                episode=episode, kind=kind, occurred_at=opened + timedelta(days=day)
            )


def _queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params).status_code == 200
    return len(captured)


def test_it_reads_the_patient_page_in_a_constant_number_of_queries(
    login, world, django_assert_num_queries
):
    client = login(world.clinician)
    # One ended and one open: how an ended one ended is read once, for all of them.
    _episodes_with_milestones(world.patient, 2, clinician=world.clinician)
    baseline = _queries(client, _detail(world.patient))
    _episodes_with_milestones(world.other_patient, 5, clinician=world.clinician)
    with django_assert_num_queries(baseline):
        response = client.get(_detail(world.other_patient))
    assert len(response.context["episodes"]) == 5
    assert _page(response).count("Review held") == 5


def test_it_searches_in_a_constant_number_of_queries(login, world, django_assert_num_queries):
    client = login(world.clinician)
    dob = date(1961, 2, 3)
    params = {"family_name": "Same", "date_of_birth": dob.isoformat()}
    PatientFactory(family_name="Same", date_of_birth=dob, registered_practice=world.practice_a)
    baseline = _queries(client, SEARCH, params)
    for practice in (world.practice_a, world.practice_b, world.practice_b, world.practice_a):
        PatientFactory(family_name="Same", date_of_birth=dob, registered_practice=practice)
    with django_assert_num_queries(baseline):
        response = client.get(SEARCH, params)
    assert len(response.context["results"]) == 5


def test_the_patient_is_told_how_to_reach_their_care_team(login, world):
    Organisation.objects.filter(pk=world.service.pk).update(
        phone="01632 960000", email="pain.team@example.test", contact_hours="Weekdays, 9 to 5"
    )
    client = login(world.patient_user)
    pages = [
        reverse("pathway:patient-home"),
        reverse("reviews:my-appointments"),
        reverse("careplans:my-plan"),
        reverse("diaries:summary"),
    ]
    for url in pages:
        page = client.get(url).content.decode()
        assert "Contact your care team" in page, url
        assert 'Pain service: call <a href="tel:01632960000">01632 960000</a>' in page, url
        assert "(Weekdays, 9 to 5), or email" in page and "pain.team@example.test" in page
    # A practice whose PCN hosts no service with details: the GP practice passes a message on.
    Patient.objects.filter(pk=world.patient.pk).update(registered_practice=world.practice_c)
    page = client.get(reverse("pathway:patient-home")).content.decode()
    assert "Contact your GP practice, who can pass a message to the team." in page
    assert "01632 960000" not in page


def test_an_annual_review_date_that_has_passed_reads_as_due_now(login, world):
    now = timezone.now()
    episode = EpisodeFactory(patient=world.patient, status="active")
    Milestone.objects.create(
        episode=episode, kind="review_held", occurred_at=now - timedelta(days=400)
    )
    due = Milestone.objects.create(
        episode=episode, kind="annual_review_due", occurred_at=now - timedelta(days=9)
    )
    client = login(world.patient_user)
    page = client.get(reverse("pathway:patient-home")).content.decode()
    assert ">Due now</strong>" in page and "The team will contact you to arrange it" in page
    Milestone.objects.filter(pk=due.pk).update(occurred_at=now + timedelta(days=9))
    assert ">Due now</strong>" not in client.get(reverse("pathway:patient-home")).content.decode()
    Milestone.objects.filter(pk=due.pk).update(occurred_at=now - timedelta(days=9))
    # Something else recorded since (a care plan agreed) leaves the review due, as the
    # worklist says; a review held sets the next date, which is not due.
    Milestone.objects.create(episode=episode, kind="care_plan_agreed", occurred_at=now)
    assert ">Due now</strong>" in client.get(reverse("pathway:patient-home")).content.decode()
    Milestone.objects.create(episode=episode, kind="review_held", occurred_at=now)
    Milestone.objects.create(
        episode=episode, kind="annual_review_due", occurred_at=now + timedelta(days=365)
    )
    assert ">Due now</strong>" not in client.get(reverse("pathway:patient-home")).content.decode()


def test_only_the_annual_review_date_recorded_last_is_shown(login, world):
    now = timezone.now()
    episode = EpisodeFactory(patient=world.patient, status="active")
    for days in (-365, -365, 9):  # two reviews set a year ahead; a later one brought it forward
        Milestone.objects.create(
            episode=episode, kind="annual_review_due", occurred_at=now - timedelta(days=days)
        )
    page = login(world.patient_user).get(reverse("pathway:patient-home")).content.decode()
    assert page.count("Next review due") == 1
    assert ">Due now</strong>" in page


def test_a_service_without_contact_details_is_not_offered(world):
    assert list(care_team_contacts(world.patient)) == []
    Organisation.objects.filter(pk=world.service.pk).update(email="pain.team@example.test")
    assert list(care_team_contacts(world.patient)) == [world.service]
    assert list(care_team_contacts(world.patient_in_c)) == []


def test_it_reads_the_patients_own_home_in_a_constant_number_of_queries(
    login, world, django_assert_num_queries
):
    _episodes_with_milestones(world.patient, 2, clinician=world.clinician)
    baseline = _queries(login(world.patient_user), reverse("pathway:patient-home"))
    _episodes_with_milestones(world.other_patient, 5, clinician=world.other_clinician)
    client = login(world.other_patient_user)
    with django_assert_num_queries(baseline):
        response = client.get(reverse("pathway:patient-home"))
    assert len(response.context["episodes"]) == 5


def test_it_lists_record_access_in_a_constant_number_of_queries(
    login, world, client, django_assert_num_queries
):
    login(world.gp).get(_detail(world.patient))
    client.logout()
    baseline = _queries(login(world.patient_user), reverse("pathway:record-access"))
    for staff in (world.clinician, world.admin, world.gp, world.clinician):
        client.logout()
        login(staff).get(_detail(world.patient))
    client.logout()
    login(world.patient_user)
    with django_assert_num_queries(baseline):
        response = client.get(reverse("pathway:record-access"))
    assert len(response.context["events"]) == 5


# Caching of signed-in pages.


@pytest.mark.parametrize("persona", ["patient_user", "gp", "commissioner"])
def test_no_cache_keeps_a_signed_in_page(login, world, persona):
    response = login(getattr(world, persona)).get(reverse("pathway:home"), follow=True)
    assert response.status_code == 200
    assert set(response["Cache-Control"].split(", ")) == {"private", "no-store"}


def test_a_signed_out_page_may_be_kept(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert "Cache-Control" not in response


def test_a_page_that_sets_its_own_cache_control_keeps_it(login, world):
    response = login(world.gp).get(reverse("pathway:health"))
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"


def test_a_patient_not_yet_referred_reads_as_such_to_staff_and_to_themselves(login, world):
    staff = login(world.gp).get(_detail(world.patient)).content.decode()
    assert "No referral to the pathway yet." in staff
    assert "When you are referred" not in staff
    own = login(world.patient_user).get(reverse("pathway:patient-home")).content.decode()
    assert "When you are referred, each step of your care will show here." in own


def test_a_form_whose_security_token_no_longer_holds_gets_the_sites_own_page(world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.patient_user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(
        "/diary/", {"action": "headache_free"}, HTTP_REFERER="http://testserver/diary/"
    )
    assert response.status_code == 403
    page = response.content.decode()
    assert "Your form was not sent" in page and "Nothing from it has been saved" in page
    assert 'href="http://testserver/diary/"' in page
    # A link from elsewhere is not offered as the way back.
    response = client.post("/diary/", {}, HTTP_REFERER="https://evil.example/diary/")
    assert "evil.example" not in response.content.decode()


def test_a_second_sign_in_form_sent_after_signing_in_elsewhere_goes_to_the_start_page(world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.patient_user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post("/account/login/", {"username": "x", "password": "y"})
    assert response.status_code == 302 and response["Location"] == "/home/"
