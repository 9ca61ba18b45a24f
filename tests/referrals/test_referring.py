"""The GP and partner referral pages: the form, the live screen, stops, bad input, the list."""

import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from pathway.models import AuditEvent, Patient, User
from referrals import rules
from referrals.models import EmergencyStop, Referral
from tests.pathway.pages import page_text
from tests.referrals import builders

pytestmark = pytest.mark.django_db

CREATE = reverse("referrals:create")


def _form(world, **overrides):
    data = {
        "referring_as": "gp",
        "nhs_number": world.patient.nhs_number,
        "condition": "headache",
        "problem": "Daily headaches since the spring.",
        "consent_to_contact": "on",
        "preferred_contact": "email",
        "preventive-TOTAL_FORMS": "3",
        "preventive-INITIAL_FORMS": "0",
        "preventive-MIN_NUM_FORMS": "0",
        "preventive-MAX_NUM_FORMS": "10",
    }
    data.update(overrides)
    return data


def test_the_form_shows_eligibility_and_every_red_flag(world, login):
    response = login(world.gp).get(CREATE)
    body = response.content.decode()
    # The flags are headache's: a chronic-pain referral is told to look for its own.
    assert "These are headache red flags: for chronic pain, warning signs of its own" in body
    assert "Who this service is for" in body
    assert "Not for this service" in body
    assert body.count('name="red_flags"') == 24
    assert 'hx-post="/referrals/new/screen/"' in body


def test_a_found_patient_needs_no_new_patient_details(world, login):
    response = login(world.gp).post(CREATE, _form(world, problem=""))
    assert response.status_code == 400
    assert "Enter the patient&#x27;s first name" not in response.content.decode()


@pytest.mark.parametrize(
    "typed",
    [
        {"new-given_name": "Other", "new-family_name": "Human", "new-date_of_birth": "1940-01-01"},
        {"new-date_of_birth": "1940-01-01"},
        {"new-family_name": "Humphreys"},
        {"new-date_of_birth": "31/02/1980"},
        # The page's day, month and year boxes.
        {
            "new-date_of_birth_day": "3",
            "new-date_of_birth_month": "9",
            "new-date_of_birth_year": "1990",
        },
        {"new-date_of_birth_year": "1990"},
    ],
)
def test_a_found_nhs_number_with_someone_elses_details_typed_is_not_sent(world, login, typed):
    """One wrong digit in the NHS number would put the referral on another person's record."""
    patient = world.patient
    response = login(world.gp).post(CREATE, _form(world, **typed))
    assert response.status_code == 400
    assert not Referral.objects.exists()
    body = page_text(response)
    assert (
        f"This NHS number is {patient.full_name}'s, born {patient.date_of_birth:%-d %B %Y}, but "
        'the name or date of birth under "New patient" is not theirs. Check the NHS number, or '
        f"clear the new patient's details to refer {patient.full_name}."
    ) in body


def test_date_of_birth_boxes_typed_beside_a_found_patient_come_back_as_typed(world, login):
    boxes = {"new-date_of_birth_day": "3", "new-date_of_birth_month": "9"}
    response = login(world.gp).post(CREATE, _form(world, **boxes))
    assert response.status_code == 400
    content = response.content.decode()
    assert 'name="new-date_of_birth_day" type="text" inputmode="numeric" value="3"' in content
    assert 'name="new-date_of_birth_month" type="text" inputmode="numeric" value="9"' in content


def test_a_new_patients_date_of_birth_error_links_to_the_box_at_fault(world, login):
    boxes = {"new-date_of_birth_day": "3", "new-date_of_birth_year": "1990"}
    response = login(world.gp).post(CREATE, _form(world, nhs_number="9434765870", **boxes))
    assert response.status_code == 400
    content = response.content.decode()
    assert (
        '<a href="#id_new-date_of_birth_month">Date of birth must include a month.</a>' in content
    )


def test_an_emergency_stop_is_not_put_on_the_record_of_someone_elses_nhs_number(world, login):
    typed = {"new-given_name": "Other", "red_flags": "thunderclap_onset"}
    response = login(world.gp).post(CREATE, _form(world, **typed))
    assert response.status_code == 302
    stop = EmergencyStop.objects.get()
    assert stop.patient is None and stop.red_flags == ["thunderclap_onset"]


def test_a_found_nhs_number_with_the_same_details_typed_is_sent(world, login):
    patient = world.patient
    typed = {
        "new-given_name": f" {patient.given_name.upper()}",
        "new-family_name": patient.family_name,
        "new-date_of_birth": patient.date_of_birth.isoformat(),
        "new-mobile": "07700 900123",
    }
    response = login(world.gp).post(CREATE, _form(world, **typed))
    assert response.status_code == 302
    assert Referral.objects.get().patient == patient


def test_a_gp_refers_an_existing_patient(world, login):
    client = login(world.gp)
    response = client.post(
        CREATE,
        _form(
            world,
            **{
                "preventive-0-medicine": "Topiramate",
                "preventive-0-dose": "50 mg",
                "preventive-0-duration_weeks": "8",
                "preventive-0-stopped_reason": "not_tolerated",
                "phq9": "1 1 0 0 0 0 0 0 0",
                "id_migraine_disability": "yes",
                "id_migraine_nausea": "yes",
                "id_migraine_light": "no",
                "interpreter_language": "Polish",
            },
        ),
    )
    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("referrals:detail", args=[referral.uuid])
    assert referral.patient == world.patient
    assert referral.interpreter_language == "Polish"
    assert referral.preventives.get().stopped_reason == "not_tolerated"
    assert {a.instrument for a in referral.assessments.all()} == {"ID_MIGRAINE", "PHQ-9"}
    page = client.get(response["Location"]).content.decode()
    assert "Topiramate" in page
    assert "sent as routine." in page


def test_a_partner_referral_is_marked_as_such(world, login):
    login(world.gp).post(CREATE, _form(world, referring_as="partner"))
    assert Referral.objects.get().source == "partner"


def test_a_gp_adds_a_new_patient_with_the_referral(world, login):
    response = login(world.gp).post(
        CREATE,
        _form(
            world,
            nhs_number="943 476 5919",
            **{
                "new-given_name": "Nova",
                "new-family_name": "Newman",
                "new-date_of_birth": "1991-02-03",
                "new-sex": "female",
                "new-registered_practice": str(world.practice_a.pk),
                "new-email": "nova@example.test",
            },
        ),
    )
    assert response.status_code == 302
    patient = Patient.objects.get(nhs_number="9434765919")
    assert patient.referrals.count() == 1


@pytest.mark.parametrize(("born", "asked"), [("1986-02-03", False), ("2008-02-03", True)])
def test_a_new_patients_age_decides_whether_a_cancer_history_asks_if_the_headache_is_new(
    world, login, born, asked
):
    # A history of cancer counts, with a new headache, only under 20 (CG150 1.1.2): the form
    # asks as the live screen does, from the new patient's date of birth.
    client = login(world.gp)
    data = _form(
        world,
        nhs_number="943 476 5919",
        red_flags=["history_of_malignancy"],
        **{
            "new-given_name": "Nova",
            "new-family_name": "Newman",
            "new-date_of_birth": born,
            "new-sex": "female",
            "new-registered_practice": str(world.practice_a.pk),
            "new-email": "nova@example.test",
        },
    )
    response = client.post(CREATE, data)
    if asked:
        assert response.status_code == 400
        assert "counts as a red flag only with a new-onset headache" in page_text(response)
    else:
        assert response.status_code == 302
        assert Patient.objects.get(nhs_number="9434765919").referrals.get().urgency == "routine"
    screen = _screen(client, red_flags=["history_of_malignancy"], **{"new-date_of_birth": born})
    assert ("Is the headache new?" in screen) is asked


@pytest.mark.parametrize(
    ("preferred", "given", "message"),
    [
        (
            "sms",
            {"new-email": "nova@example.test"},
            "Enter the patient&#x27;s mobile number under New patient",
        ),
        ("phone", {}, "Enter the patient&#x27;s mobile number under New patient"),
        (
            "email",
            {"new-mobile": "07700 900123"},
            "Enter the patient&#x27;s email address under New patient",
        ),
    ],
)
def test_a_way_of_contact_needs_its_detail_for_a_new_patient(
    world, login, preferred, given, message
):
    details = {
        "new-given_name": "Nova",
        "new-family_name": "Newman",
        "new-date_of_birth": "1991-02-03",
        "new-sex": "female",
        "new-registered_practice": str(world.practice_a.pk),
        **given,
    }
    data = _form(world, nhs_number="943 476 5919", preferred_contact=preferred, **details)
    response = login(world.gp).post(CREATE, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Referral.objects.exists()


def test_a_way_of_contact_the_patients_record_cannot_support_is_refused(world, login):
    world.patient.email, world.patient.email_consent = "", False
    world.patient.save()
    response = login(world.gp).post(CREATE, _form(world, preferred_contact="email"))
    assert response.status_code == 400
    body = response.content.decode()
    assert "The patient&#x27;s record has no email address." in body
    assert not Referral.objects.exists()
    letter = login(world.gp).post(CREATE, _form(world, preferred_contact="letter"))
    assert letter.status_code == 302


def test_every_problem_is_named_in_one_round(world, login):
    world.patient.email, world.patient.email_consent = "", False
    world.patient.save()
    data = _form(world, problem="", preferred_contact="email", **{"preventive-0-dose": "50 mg"})
    body = login(world.gp).post(CREATE, data).content.decode()
    assert "Enter the problem, in the patient&#x27;s words" in body
    assert "Medicine 1: Enter the name of the preventive medicine." in body
    assert "The patient&#x27;s record has no email address." in body


def test_the_error_summary_lists_problems_in_the_order_the_page_asks(world, login):
    data = _form(
        world,
        nhs_number="9434765919",  # a new patient, whose details are missing
        problem="",
        consent_to_contact="",
        **{"preventive-0-dose": "50 mg"},
    )
    body = login(world.gp).post(CREATE, data).content.decode()
    summary = re.search(r'<ul class="nhsuk-list nhsuk-error-summary__list">(.*?)</ul>', body, re.S)
    listed = re.findall(r'<a href="#[^"]*">([^<]*)</a>', summary.group(1))
    first_name = listed.index("Enter the patient&#x27;s first name")
    problem = listed.index("Enter the problem, in the patient&#x27;s words")
    medicine = listed.index("Medicine 1: Enter the name of the preventive medicine.")
    consent = listed.index("The patient must agree to be contacted before you refer.")
    assert first_name < problem < medicine < consent, listed


def test_a_bad_new_mobile_number_is_named_once(world, login):
    details = {
        "new-given_name": "Nova",
        "new-family_name": "Newman",
        "new-date_of_birth": "1991-02-03",
        "new-sex": "female",
        "new-registered_practice": str(world.practice_a.pk),
        "new-mobile": "12",
    }
    data = _form(world, nhs_number="943 476 5919", preferred_contact="sms", **details)
    response = login(world.gp).post(CREATE, data)
    assert response.status_code == 400
    assert "Enter the patient&#x27;s mobile number under New patient" not in (
        response.content.decode()
    )
    assert response.context["new_form"].errors["mobile"]
    # With no mobile number at all, the contact question says where to give one.
    response = login(world.gp).post(CREATE, {**data, "new-mobile": ""})
    assert response.context["form"].errors["preferred_contact"] == [
        "Enter the patient's mobile number under New patient, or choose another way to "
        "contact them."
    ]


def test_a_new_patient_needs_their_details(world, login):
    response = login(world.gp).post(CREATE, _form(world, nhs_number="9434765919"))
    assert response.status_code == 400
    body = response.content.decode()
    assert "Enter the patient&#x27;s first name" in body
    assert "Enter the patient&#x27;s date of birth" in body
    assert "Choose the patient&#x27;s registered practice" in body
    assert "<title>Error: Refer a patient" in body  # the new-patient form's errors count
    assert Referral.objects.count() == 0


def test_a_new_patient_must_be_registered_at_one_of_the_gps_practices(world, login):
    response = login(world.gp).post(
        CREATE,
        _form(
            world,
            nhs_number="9434765919",
            **{
                "new-given_name": "Nova",
                "new-family_name": "Newman",
                "new-date_of_birth": "1991-02-03",
                "new-sex": "female",
                "new-registered_practice": str(world.practice_c.pk),
            },
        ),
    )
    assert response.status_code == 400
    assert not Patient.objects.filter(nhs_number="9434765919").exists()


def test_an_nhs_number_registered_elsewhere_is_refused(world, login):
    response = login(world.gp).post(CREATE, _form(world, nhs_number=world.patient_in_c.nhs_number))
    assert response.status_code == 400
    assert "a practice you do not work with" in response.content.decode()
    assert Referral.objects.count() == 0


@pytest.mark.parametrize("number", ["9434765918", "12345", "943-476-5919", "abcdefghij"])
def test_an_invalid_nhs_number_is_a_clear_error(world, login, number):
    response = login(world.gp).post(CREATE, _form(world, nhs_number=number))
    assert response.status_code == 400
    assert "Enter a valid 10-digit NHS number" in response.content.decode()


def test_new_patient_details_typed_beside_an_invalid_nhs_number_are_checked_in_the_same_round(
    world, login
):
    details = {"new-given_name": "Nova", "new-date_of_birth": "1991-02-03", "new-mobile": "12"}
    response = login(world.gp).post(CREATE, _form(world, nhs_number="9434765918", **details))
    assert response.status_code == 400
    body = response.content.decode()
    assert "Enter a valid 10-digit NHS number" in body
    assert "Enter the patient&#x27;s last name" in body
    assert "Choose the patient&#x27;s registered practice" in body
    assert response.context["new_form"].errors["mobile"]
    assert 'value="Nova"' in body
    # Nothing typed there: only the number is wrong, the patient may well exist.
    response = login(world.gp).post(CREATE, _form(world, nhs_number="9434765918"))
    assert "Enter a valid 10-digit NHS number" in response.content.decode()
    assert not response.context["new_form"].is_bound


def test_missing_consent_is_a_clear_error(world, login):
    data = _form(world)
    del data["consent_to_contact"]
    response = login(world.gp).post(CREATE, data)
    assert response.status_code == 400
    assert "must agree to be contacted" in response.content.decode()
    assert Referral.objects.count() == 0


def test_an_unknown_red_flag_code_is_a_clear_error(world, login):
    response = login(world.gp).post(CREATE, _form(world, red_flags=["worst_headache_ever"]))
    assert response.status_code == 400
    assert "worst_headache_ever is not a red flag on this checklist" in response.content.decode()
    assert Referral.objects.count() == 0


def test_a_second_open_referral_is_a_clear_error(world, login):
    builders.referral(world.patient, world.gp)
    response = login(world.gp).post(CREATE, _form(world))
    assert response.status_code == 400
    assert "already has an open referral for headache" in response.content.decode()
    assert Referral.objects.count() == 1


def test_a_referral_no_care_team_would_see_is_refused_and_saves_nothing(world, login):
    # The clinicians who see practice A's patients have left: a referral would reach no one.
    User.objects.filter(role=User.Role.CLINICIAN).update(is_active=False)
    client = login(world.gp)
    response = client.post(CREATE, _form(world))
    assert response.status_code == 400
    assert (
        "No care team of this service takes referrals from Practice A, "
        f"{world.patient.full_name}&#x27;s GP practice, so this referral has not been sent."
    ) in response.content.decode()
    new = _form(
        world,
        nhs_number="943 476 5919",
        **{
            "new-given_name": "Nova",
            "new-family_name": "Newman",
            "new-date_of_birth": "1991-02-03",
            "new-sex": "female",
            "new-registered_practice": str(world.practice_a.pk),
            "new-email": "nova@example.test",
        },
    )
    response = client.post(CREATE, new)
    assert response.status_code == 400
    assert "Nova Newman&#x27;s GP practice, so this referral has not been sent" in (
        response.content.decode()
    )
    assert not Referral.objects.exists()
    assert not Patient.objects.filter(nhs_number="9434765919").exists()
    assert not AuditEvent.objects.filter(action="create").exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phq9", "1 2 3", "PHQ-9"),
        ("phq9", "4 0 0 0 0 0 0 0 0", "PHQ-9"),
        ("gad7", "one two", "numbers only"),
        ("acute_medication_days_per_month", "40", "31 or fewer"),
        ("acute_medication_days_per_month", "-1", "0 or more"),
        ("id_migraine_disability", "yes", "Answer all three"),
        ("preventive-0-dose", "10 mg", "name of the preventive"),
        ("preventive-0-medicine", "Amitriptyline", "was stopped"),
        ("preventive-1-duration_weeks", "many", "whole number"),
        ("condition", "back", "Select the condition from the list"),
    ],
)
def test_bad_input_is_a_clear_error_and_saves_nothing(world, login, field, value, message):
    response = login(world.gp).post(CREATE, _form(world, **{field: value}))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Referral.objects.count() == 0


def test_days_of_acute_medication_need_the_medicine_named(world, login):
    client = login(world.gp)
    data = _form(world, acute_medication_days_per_month="12", current_acute_medication=" ")
    response = client.post(CREATE, data)
    assert response.status_code == 400
    assert "Enter the acute medication taken on 12 days a month" in response.content.decode()
    assert Referral.objects.count() == 0
    named = _form(world, acute_medication_days_per_month="12", current_acute_medication="Ibuprofen")
    assert client.post(CREATE, named).status_code == 302
    none = _form(world, acute_medication_days_per_month="0", current_acute_medication="")
    assert "Enter the acute medication taken" not in client.post(CREATE, none).content.decode()


def test_every_missing_answer_is_named_in_the_error_summary(world, login):
    data = {key: value for key, value in _form(world).items() if key.startswith("preventive-")}
    body = login(world.gp).post(CREATE, data).content.decode()
    for message in (
        "Select whether you are referring as a GP or a partner",
        "Enter the patient&#x27;s NHS number",
        "Select the condition",
        "Enter the problem, in the patient&#x27;s words",
        "Select how the patient prefers to be contacted",
        "The patient must agree to be contacted before you refer.",
    ):
        assert f">{message}</a>" in body, message
    assert "This field is required" not in body


def test_an_emergency_flag_stops_the_referral_and_records_the_advice(world, login):
    client = login(world.gp)
    # Even with other fields missing, the stop comes first.
    response = client.post(
        CREATE, {"nhs_number": world.patient.nhs_number, "red_flags": ["scalp_tenderness"]}
    )
    stop = EmergencyStop.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("referrals:emergency-stop", args=[stop.uuid])
    assert stop.patient == world.patient and stop.created_by == world.gp
    assert Referral.objects.count() == 0
    page = client.get(response["Location"]).content.decode()
    assert "glucocorticoids" in page
    assert "Scalp tenderness" in page
    assert "No referral has been sent" in page


@pytest.mark.parametrize(
    ("answers", "score"), [("0 0 0 0 0 0 0 0 2", 2), ("3 3 3 3 3 3 3 3 0", None)]
)
def test_a_self_harm_answer_in_a_stopped_referral_is_put_to_the_gp(world, login, answers, score):
    # No referral carries the PHQ-9 to the care team: the stop page says so to the GP.
    client = login(world.gp)
    response = client.post(
        CREATE,
        {
            "nhs_number": world.patient.nhs_number,
            "red_flags": ["thunderclap_onset"],
            "phq9": answers,
        },
    )
    stop = EmergencyStop.objects.get()
    assert stop.phq9_self_harm_score == score
    page = client.get(response["Location"]).content.decode()
    assert ("Risk of self-harm" in page) is (score is not None)
    if score:
        assert "scored question 9 (thoughts of being better off dead" in page
        assert "at 2 of 3" in page and "the care team has not seen this answer" in page
        event = AuditEvent.objects.get(object_uuid=stop.uuid, action="create")
        assert "phq9_self_harm_score" in event.fields
        # The GP's list of stops carries it too.
        mine = client.get(reverse("referrals:mine")).content.decode()
        assert "PHQ-9 question 9 at 2 of 3: assess the risk of self-harm" in mine


def test_a_phq9_that_cannot_be_read_in_a_stopped_referral_is_asked_about(world, login):
    # Ten numbers: not a PHQ-9 the form can read, but the emergency stop comes first.
    client = login(world.gp)
    response = client.post(
        CREATE,
        {
            "nhs_number": world.patient.nhs_number,
            "red_flags": ["thunderclap_onset"],
            "phq9": "0 0 0 0 0 0 0 0 2 1",
        },
    )
    stop = EmergencyStop.objects.get()
    assert (stop.phq9_self_harm_score, stop.phq9_unread) == (None, True)
    page = client.get(response["Location"]).content.decode()
    assert "PHQ-9 not read" in page and "Ask the patient about it today" in page
    assert (
        "PHQ-9 not read: ask about self-harm"
        in client.get(reverse("referrals:mine")).content.decode()
    )


def test_another_gp_cannot_see_a_stop(world, login):
    stop = builders.stop(world.gp, world.patient)
    url = reverse("referrals:emergency-stop", args=[stop.uuid])
    assert login(world.other_gp).get(url).status_code == 404


def _lookup_panel(response) -> str:
    body = response.content.decode()
    return body.split('<div id="patient-lookup" aria-live="polite">', 1)[1].split("<fieldset", 1)[0]


def test_the_referral_form_can_start_from_a_patient(world, login):
    url = f"{CREATE}?patient={world.patient.uuid}"
    client = login(world.gp)
    page = client.get(url)
    assert world.patient.nhs_number_display in page.content.decode()
    # The panel says who the number is, as typing it would, and any open referral.
    builders.referral(world.patient, world.gp)
    panel = _lookup_panel(client.get(url))
    assert f"<strong>{world.patient.full_name}</strong>, born" in panel
    assert "You do not need to fill in the new patient details." in panel
    assert "Already referred" in panel
    assert login(world.other_gp).get(url).status_code == 404


def test_the_form_shown_again_says_who_the_number_is(world, login):
    client = login(world.gp)
    response = client.post(CREATE, _form(world, problem=""))
    assert f"<strong>{world.patient.full_name}</strong>, born" in _lookup_panel(response)
    # A number that is not valid has its error beside the field, not a second message.
    response = client.post(CREATE, _form(world, nhs_number="123"))
    assert _lookup_panel(response).strip() == "</div>"
    # With no number the panel is empty.
    assert _lookup_panel(client.get(CREATE)).strip() == "</div>"


def test_a_bad_patient_preselection_is_a_404(world, login):
    assert login(world.gp).get(f"{CREATE}?patient=not-a-uuid").status_code == 404


# The live screen (htmx)


def _screen(client, **data):
    return client.post(reverse("referrals:screen"), data).content.decode()


def test_the_screen_shows_emergency_advice_as_boxes_are_ticked(world, login):
    body = _screen(login(world.gp), red_flags=["thunderclap_onset"])
    assert "Emergency" in body and "999" in body
    assert "Record the advice and stop" in body


def test_the_screen_shows_the_two_week_route(world, login):
    body = _screen(login(world.gp), red_flags=["orthostatic_headache"])
    assert "2-week route" in body and "within 2 weeks" in body
    # Sending it here is no 2-week route: the GP is not left to read it as one.
    assert "Sending this referral does not arrange the 2-week route" in body


def test_neck_stiffness_alone_is_routine_but_the_screen_asks_about_a_fever(world, login):
    # clinical-rules.md section 9: worsening headache with fever (± neck stiffness) is the
    # emergency; neck stiffness alone has no tier, so the screen prompts the check.
    client = login(world.gp)
    body = _screen(client, red_flags=["neck_stiffness"])
    # Routine as far as headache goes: the screen claims nothing about pain's warning signs.
    assert "Screen result: routine. No headache red flag needs an urgent route." in body
    assert "Neck stiffness: is there a fever?" in body
    body = _screen(client, red_flags=["neck_stiffness", "orthostatic_headache"])
    assert "2-week route" in body and "is there a fever?" in body
    body = _screen(client, red_flags=["neck_stiffness", "worsening_headache_with_fever"])
    assert "Emergency" in body and "is there a fever?" not in body


def test_a_flag_that_counts_only_with_a_new_headache_asks_whether_the_headache_is_new(world, login):
    # clinical-rules.md section 9: compromised immunity, cancer and unexplained vomiting are
    # urgent with a new-onset headache; without it they change no tier, and the screen says so.
    client = login(world.gp)
    body = _screen(client, red_flags=["compromised_immunity", "vomiting_without_obvious_cause"])
    assert "Screen result: routine." in body and "Is the headache new?" in body
    assert "<li>Compromised immunity (for example HIV, immunosuppressive drugs)</li>" in body
    assert "<li>Vomiting without another obvious cause</li>" in body
    body = _screen(client, red_flags=["compromised_immunity", "new_onset_headache"])
    assert "2-week route" in body and "Is the headache new?" not in body
    body = _screen(client, red_flags=["compromised_immunity", "orthostatic_headache"])
    assert "2-week route" in body and "Is the headache new?" not in body


def test_a_flag_that_counts_only_with_a_new_headache_is_not_sent_until_the_gp_says_which(
    world, login
):
    client = login(world.gp)
    flags = ["compromised_immunity"]
    response = client.post(CREATE, _form(world, red_flags=flags))
    assert response.status_code == 400 and not Referral.objects.exists()
    assert (
        "Compromised immunity (for example HIV, immunosuppressive drugs) counts as a red flag only "
        'with a new-onset headache. If the headache is new, tick "New-onset headache"; if it is '
        'a long-standing pattern, tick "The headache is not new".'
    ) in page_text(response)
    # Said to be long-standing: routine, as the rules say.
    assert (
        client.post(CREATE, _form(world, red_flags=flags, headache_not_new="on")).status_code == 302
    )
    referral = Referral.objects.get()
    assert referral.urgency == "routine"
    assert referral.headache_not_new
    # The triager reads why the flag changed no tier.
    detail = login(world.clinician).get(reverse("referrals:detail", args=[referral.uuid]))
    assert (
        "The referrer said the headache is not new: it is a long-standing pattern. Compromised "
        "immunity (for example HIV, immunosuppressive drugs) counts as a red flag only with a "
        "new-onset headache, so the screen says routine."
    ) in page_text(detail)


def test_nothing_is_said_of_the_headache_being_new_when_nobody_said_it(world, login):
    # Sent without the question being asked (at an age where the answer changed nothing, or
    # before the form asked it): the page does not put words in the referrer's mouth.
    referral = builders.referral(world.patient, world.gp, red_flags=("compromised_immunity",))
    assert referral.urgency == "routine" and not referral.headache_not_new
    detail = login(world.clinician).get(reverse("referrals:detail", args=[referral.uuid]))
    assert "The referrer said the headache is not new" not in page_text(detail)


def test_a_chronic_pain_referral_is_told_to_untick_a_headache_flag_if_there_is_no_headache(
    world, login
):
    client = login(world.gp)
    flags = ["malignancy_known_to_metastasise_to_brain"]
    response = client.post(CREATE, _form(world, condition="chronic_pain", red_flags=flags))
    assert response.status_code == 400
    text = page_text(response)
    assert "If the patient has no headaches, untick the headache red flags." in text
    headache = client.post(CREATE, _form(world, condition="headache", red_flags=flags))
    assert "If the patient has no headaches" not in page_text(headache)
    body = _screen(client, red_flags=flags, condition="chronic_pain")
    assert "Is the headache new?" in body and "If the patient has no headaches" in body
    assert "If the patient has no headaches" not in _screen(client, red_flags=flags)


def test_new_onset_or_another_urgent_flag_answers_the_question(world, login):
    client = login(world.gp)
    for flags in (
        ["compromised_immunity", "new_onset_headache"],
        ["vomiting_without_obvious_cause", "orthostatic_headache"],
    ):
        response = client.post(CREATE, _form(world, red_flags=flags))
        assert response.status_code == 302, flags
        assert Referral.objects.latest("id").urgency == "urgent"
        Referral.objects.all().update(status="closed", closed_at=timezone.now())


def test_neck_stiffness_alone_is_not_sent_until_the_referrer_says_whether_there_is_a_fever(
    world, login
):
    client = login(world.gp)
    response = client.post(CREATE, _form(world, red_flags=["neck_stiffness"]))
    assert response.status_code == 400
    assert not Referral.objects.exists()
    assert (
        "Neck stiffness is a red flag with a worsening headache and fever. If the patient has a "
        'fever, tick "Worsening headache with fever" as well: that is an emergency.'
    ) in page_text(response)
    with_fever = client.post(
        CREATE, _form(world, red_flags=["neck_stiffness", "worsening_headache_with_fever"])
    )
    assert with_fever.status_code == 302 and "/referrals/stopped/" in with_fever["Location"]
    # Another emergency flag stops the referral whatever the fever.
    stopped = client.post(CREATE, _form(world, red_flags=["neck_stiffness", "thunderclap_onset"]))
    assert stopped.status_code == 302 and "/referrals/stopped/" in stopped["Location"]
    assert not Referral.objects.exists()


def test_the_screen_uses_the_patients_age(world, login):
    client = login(world.gp)
    world.patient.date_of_birth = world.patient.date_of_birth.replace(year=1950)
    world.patient.save()
    body = _screen(client, red_flags=["new_onset_headache"], nhs_number=world.patient.nhs_number)
    assert "2-week route" in body
    body = _screen(client, red_flags=["new_onset_headache"], **{"new-date_of_birth": "2000-01-01"})
    assert "routine" in body
    # The page's day, month and year boxes.
    boxes = {"new-date_of_birth_day": "1", "new-date_of_birth_month": "1"}
    body = _screen(
        client, red_flags=["new_onset_headache"], **boxes, **{"new-date_of_birth_year": "1950"}
    )
    assert "2-week route" in body
    body = _screen(
        client, red_flags=["new_onset_headache"], **boxes, **{"new-date_of_birth_year": "2000"}
    )
    assert "routine" in body
    body = _screen(client, red_flags=["new_onset_headache"])
    assert "Enter the patient's NHS number or date of birth" in body


def test_the_screen_warns_as_a_new_patients_date_of_birth_makes_them_a_child(world, login):
    client = login(world.gp)
    born = timezone.localdate().replace(year=timezone.localdate().year - 15, month=1, day=1)
    body = _screen(client, red_flags=[], **{"new-date_of_birth": born.isoformat()})
    assert "Under 18" in body and "This patient is 15." in body
    assert "Under 18" not in _screen(client, red_flags=[], **{"new-date_of_birth": "1990-01-01"})
    # A patient on record is warned by the lookup, not twice.
    world.patient.date_of_birth = born
    world.patient.save()
    assert "Under 18" not in _screen(client, red_flags=[], nhs_number=world.patient.nhs_number)


def test_the_screen_reports_an_unknown_code(world, login):
    assert "Unknown red-flag code" in _screen(login(world.gp), red_flags=["nope"])


def test_the_patient_lookup_finds_only_the_gps_patients(world, login):
    client = login(world.gp)
    url = reverse("referrals:patient-lookup")
    assert (
        world.patient.full_name
        in client.post(url, {"nhs_number": world.patient.nhs_number}).content.decode()
    )
    body = client.post(url, {"nhs_number": world.patient_in_c.nhs_number}).content.decode()
    assert world.patient_in_c.full_name not in body
    assert "a practice you do not work with" in body
    assert (
        "No patient with this NHS number"
        in client.post(url, {"nhs_number": "9434765919"}).content.decode()
    )
    assert "valid 10-digit" in client.post(url, {"nhs_number": "123"}).content.decode()
    assert (
        "Under 18"
        not in client.post(url, {"nhs_number": world.patient.nhs_number}).content.decode()
    )


def test_the_patient_lookup_warns_that_a_child_is_outside_the_service(world, login):
    today = timezone.localdate()
    world.patient.date_of_birth = date(today.year - 15, 1, 1)
    world.patient.save()
    body = (
        login(world.gp)
        .post(reverse("referrals:patient-lookup"), {"nhs_number": world.patient.nhs_number})
        .content.decode()
    )
    assert "Under 18" in body
    assert f"This patient is {rules.age_in_years(world.patient.date_of_birth, today)}." in body
    assert "The service is for adults" in body


def test_the_patient_lookup_names_the_patients_open_referrals(world, login):
    client = login(world.gp)
    url = reverse("referrals:patient-lookup")
    first = client.post(url, {"nhs_number": world.patient.nhs_number}).content.decode()
    assert "Already referred" not in first
    builders.referral(world.patient, world.gp, condition="headache")
    builders.decided(world.patient, world.gp, world.clinician, "reject", condition="chronic_pain")
    body = client.post(url, {"nhs_number": world.patient.nhs_number}).content.decode()
    assert "Already referred" in body
    assert "Headache: waiting for triage" in body
    assert "Chronic pain" not in body  # a rejected referral is not open


# My referrals


def test_my_referrals_lists_mine_and_my_practices_with_outcome_and_letters(world, login):
    mine = builders.decided(world.patient, world.gp, world.clinician, "reject")
    builders.letter(mine)
    from tests.factories import UserFactory

    colleague = UserFactory(role="gp", organisations=[world.practice_a])
    builders.referral(world.other_patient, colleague)
    elsewhere = builders.referral(world.patient_in_c, world.other_gp)
    body = login(world.gp).get(reverse("referrals:mine")).content.decode()
    assert world.patient.full_name in body
    assert world.other_patient.full_name in body
    assert world.patient_in_c.full_name not in body
    assert "Rejected: Other reason" in body
    assert "Try X first." in body
    assert reverse("referrals:letter", args=[mine.letters.get().uuid]) in body
    assert str(elsewhere.uuid) not in body


def test_a_closed_referral_with_no_letter_does_not_promise_one(world, login):
    builders.referral(world.patient, world.gp)  # waiting for triage
    closed = builders.referral(world.other_patient, world.gp)
    type(closed).objects.filter(pk=closed.pk).update(status="closed", closed_at=timezone.now())
    body = login(world.gp).get(reverse("referrals:mine")).content.decode()
    assert body.count("None yet") == 1  # the one waiting for triage
    rows = body.split("<tr")
    [closed_row] = [row for row in rows if str(closed.uuid) in row]
    # Closed before triage: it was withdrawn, and says so.
    assert "Withdrawn" in closed_row and "None" in closed_row and "None yet" not in closed_row
    ended = builders.decided(world.patient_in_b, world.gp, world.clinician)
    type(ended).objects.filter(pk=ended.pk).update(status="closed", closed_at=timezone.now())
    body = login(world.gp).get(reverse("referrals:mine")).content.decode()
    [ended_row] = [row for row in body.split("<tr") if str(ended.uuid) in row]
    assert "Care ended" in ended_row
    # Its outcome is the decision that was made, not a bare "Closed".
    assert "Accepted, routine priority; the care it began ended" in ended_row
    assert "before triage" in closed_row and "before triage" not in ended_row


def test_my_referrals_has_a_constant_query_count(world, login, django_assert_num_queries):
    client = login(world.gp)
    builders.decided(world.patient, world.gp, world.clinician)
    client.get(reverse("referrals:mine"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(reverse("referrals:mine"))
    builders.decided(world.other_patient, world.gp, world.clinician, "redirect")
    builders.letter(
        builders.decided(world.patient, world.gp, world.clinician, "reject", "chronic_pain")
    )
    builders.stop(world.gp, world.patient)
    builders.stop(world.gp)
    with django_assert_num_queries(len(one)):
        client.get(reverse("referrals:mine"))


def test_my_referrals_lists_the_referrals_the_screen_stopped_lately(world, login):
    from referrals.models import EmergencyStop

    client = login(world.gp)
    assert (
        "Stopped by the red-flag screen"
        not in client.get(reverse("referrals:mine")).content.decode()
    )
    named = builders.stop(world.gp, world.patient)
    unnamed = builders.stop(world.gp)
    old = builders.stop(world.gp, world.other_patient)
    EmergencyStop.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))
    builders.stop(world.other_gp)  # another GP's
    page = client.get(reverse("referrals:mine")).content.decode()
    block = page.split('<h2 id="stopped">', 1)[1]
    assert reverse("referrals:emergency-stop", args=[named.uuid]) in block
    assert reverse("referrals:emergency-stop", args=[unnamed.uuid]) in block
    assert f"{world.patient.full_name} · Thunderclap headache" in block
    assert (
        "a patient not matched to a record you can see (no details are kept) · Thunderclap headache"
        in block
    )
    assert world.other_patient.full_name not in block
    assert block.count("<li>") == 2


def test_the_patient_page_tab_lists_their_referrals_and_is_audited(world, login):
    builders.referral(world.patient, world.gp)
    url = reverse("referrals:patient-referrals", args=[world.patient.uuid])
    body = login(world.clinician).get(url).content.decode()
    assert "Awaiting triage" in body
    assert AuditEvent.objects.filter(
        actor=world.clinician, patient=world.patient, action="view"
    ).exists()
