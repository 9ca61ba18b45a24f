"""The public self-referral: plain English, the same safety screen, spam and flood protection."""

import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from pathway.models import AuditEvent
from referrals import rules, services, throttle
from referrals.models import EmergencyStop, Referral
from referrals.services import Decision
from tests.factories import EpisodeFactory
from tests.referrals import builders

pytestmark = pytest.mark.django_db

# The advice to call 999, which a phone can dial from the page.
CALL_999 = 'Call <a href="tel:999">999</a> or go to A&amp;E now.'

URL = reverse("referrals:self-refer")
SENT = reverse("referrals:self-refer-sent")


def _form(world, **overrides):
    data = {
        "given_name": "Robin",
        "family_name": "Self",
        "date_of_birth": "1985-06-01",
        "practice": str(world.practice_b.pk),
        "email": "robin@example.test",
        "preferred_contact": "email",
        "condition": "headache",
        "problem": "Migraines twice a week.",
        "consent_to_contact": "on",
    }
    data.update(overrides)
    return data


def test_the_page_is_public_plain_english_and_names_who_it_is_for(client, world):
    body = client.get(URL).content.decode()
    assert "Who this service is for" in body
    assert "Call 999" in body
    assert "back pain with numbness or tingling around your genitals or bottom" in body
    assert "papilloedema" not in body.lower()
    assert "within 5 days" in body
    assert 'name="website"' in body  # the honeypot


def test_text_over_a_boxs_limit_is_refused_in_plain_words(client, world):
    response = client.post(URL, _form(world, problem="x" * 4010))
    page = response.content.decode()
    assert "Keep this to 4,000 characters or fewer (it has 4010)." in page
    assert "Ensure this value" not in page


def test_a_line_break_counts_as_one_character_as_the_counter_counts_it(client, world):
    # 40 lines of 99 characters: 3,999 with one character a line break, as the box's counter
    # counts them, but 4,038 as the browser sends them (CR LF).
    problem = "\r\n".join(["x" * 99] * 40)
    assert len(problem.replace("\r\n", "\n")) == 3999 and len(problem) == 4038
    response = client.post(URL, _form(world, problem=problem))
    assert response.status_code == 302, response.content.decode()[:500]
    assert Referral.objects.get().problem == "\n".join(["x" * 99] * 40)


def test_the_browser_may_fill_in_the_persons_own_details(client):
    page = client.get(URL).content.decode()
    for name, purpose in (
        ("given_name", "given-name"),
        ("family_name", "family-name"),
        ("date_of_birth_day", "bday-day"),
        ("date_of_birth_month", "bday-month"),
        ("date_of_birth_year", "bday-year"),
        ("email", "email"),
        ("mobile", "tel"),
    ):
        [tag] = re.findall(rf'<input[^>]* name="{name}"[^>]*>', page)
        assert f'autocomplete="{purpose}"' in tag, name
    [honeypot] = re.findall(r'<input[^>]* name="website"[^>]*>', page)
    assert 'autocomplete="off"' in honeypot


UNDER_CARE = "You are already referred to, or under the care of, the headache and pain team"


def test_a_signed_in_patient_under_the_teams_care_is_pointed_to_their_team(login, world):
    client = login(world.patient_user)
    assert UNDER_CARE not in client.get(URL).content.decode()
    EpisodeFactory(patient=world.patient, status="active")
    body = client.get(URL).content.decode()
    assert UNDER_CARE in body
    assert reverse("reviews:my-appointments") in body
    # The form stays: a new problem may still need a referral.
    assert 'name="problem"' in body


def test_staff_and_signed_out_people_see_no_such_note(client, login, world):
    EpisodeFactory(patient=world.patient, status="active")
    assert UNDER_CARE not in client.get(URL).content.decode()
    assert UNDER_CARE not in login(world.gp).get(URL).content.decode()


FILLED_IN = "We have filled in your details from your record."


def test_a_signed_in_patient_starts_from_their_own_details(login, world):
    from pathway.models import Patient

    Patient.objects.filter(pk=world.patient.pk).update(
        mobile="+447700900123", email="alice@example.test"
    )
    response = login(world.patient_user).get(URL)
    form = response.context["form"]
    assert form.initial["given_name"] == "Alice"
    assert form.initial["family_name"] == "Anders"
    assert form.initial["date_of_birth"] == world.patient.date_of_birth
    assert form.initial["nhs_number"] == world.patient.nhs_number_display
    assert form.initial["practice"] == world.practice_a.pk
    assert form.initial["mobile"] == "07700 900123"
    assert form.initial["email"] == "alice@example.test"
    body = response.content.decode()
    assert FILLED_IN in body
    assert 'value="Anders"' in body
    assert f'<option value="{world.practice_a.pk}" selected>' in body
    # Nobody else's details: not another patient's, not for staff or the signed-out.
    assert "Anders" not in login(world.other_patient_user).get(URL).content.decode()
    for client in (login(world.gp), login(world.clinician)):
        body = client.get(URL).content.decode()
        assert FILLED_IN not in body and "Anders" not in body


def test_a_practice_the_service_does_not_cover_is_not_filled_in(login, world):
    from pathway.models import Patient
    from tests.factories import OrganisationFactory

    pcn = OrganisationFactory(kind="pcn", name="PCN Uncovered", ods_code="UT009", parent=world.icb)
    practice = OrganisationFactory(name="Practice U", ods_code="YT009", parent=pcn)
    Patient.objects.filter(pk=world.patient.pk).update(registered_practice=practice)
    form = login(world.patient_user).get(URL).context["form"]
    assert "practice" not in form.initial
    assert form.initial["family_name"] == "Anders"


def test_a_patient_refers_themselves(client, world):
    response = client.post(
        URL,
        _form(
            world,
            nhs_number="943 476 5919",
            id_migraine_disability="yes",
            id_migraine_nausea="no",
            id_migraine_light="yes",
        ),
    )
    assert response.status_code == 302 and response["Location"] == SENT
    referral = Referral.objects.get()
    assert (referral.source, referral.status, referral.patient) == ("self", "submitted", None)
    assert referral.stated_nhs_number == "9434765919"
    assert referral.stated_practice == world.practice_b
    assert referral.id_migraine_answers == [True, False, True]
    assert AuditEvent.objects.filter(object_uuid=referral.uuid, actor_role="system").exists()
    body = client.get(SENT).content.decode()
    assert referral.reference in body
    assert "What happens next" in body
    # Refreshed, the page still gives the reference.
    assert referral.reference in client.get(SENT).content.decode()


def _token(page) -> str:
    return re.search(r'name="submission" value="([^"]+)"', page.content.decode()).group(1)


def test_the_form_sent_twice_makes_one_referral_and_says_so_the_second_time(client, world):
    token = _token(client.get(URL))
    assert client.post(URL, _form(world, submission=token))["Location"] == SENT
    first = Referral.objects.get()
    assert first.submission_token == token
    assert "already sent this form" not in client.get(SENT).content.decode()

    # Back to the form, a change, and Send again: no copy for triage to close.
    again = client.post(URL, _form(world, submission=token, problem="Migraines every day."))
    assert again.status_code == 302 and again["Location"] == SENT
    assert Referral.objects.get() == first
    assert Referral.objects.get().problem == "Migraines twice a week."
    assert AuditEvent.objects.filter(object_type="referrals.referral").count() == 1
    body = client.get(SENT).content.decode()
    assert first.reference in body
    assert "You had already sent this form, so we have not made a second referral." in body


def test_each_showing_of_the_form_has_its_own_token_kept_through_corrections(client, world):
    token = _token(client.get(URL))
    assert token != _token(client.get(URL))
    corrected = client.post(URL, _form(world, submission=token, given_name=""))
    assert corrected.status_code == 400
    assert _token(corrected) == token
    client.post(URL, _form(world, submission=token))
    other = client.get(URL)
    client.post(URL, _form(world, submission=_token(other), given_name="Sky"))
    assert sorted(Referral.objects.values_list("stated_given_name", flat=True)) == ["Robin", "Sky"]


def test_the_form_shown_again_after_sending_carries_the_sent_token(client, world):
    token = _token(client.get(URL))
    client.post(URL, _form(world, submission=token))
    client.get(SENT)
    # A browser that fetches the page again on Back refills the answers, not the token.
    assert _token(client.get(URL)) == token
    client.post(URL, _form(world, submission=token))
    assert Referral.objects.count() == 1


@pytest.mark.parametrize(
    "changes",
    [{"given_name": "Sky"}, {"date_of_birth": "1986-06-01"}, {"condition": "chronic_pain"}],
)
def test_someone_else_or_another_condition_from_the_same_page_is_a_referral_of_its_own(
    client, world, changes
):
    token = _token(client.get(URL))
    client.post(URL, _form(world, submission=token))
    response = client.post(URL, _form(world, submission=token, **changes))
    assert response.status_code == 302
    first, second = Referral.objects.order_by("pk")
    assert first.submission_token == token
    assert second.submission_token not in (None, token)
    assert "already sent this form" not in client.get(SENT).content.decode()
    # The page shown after that carries the newer referral's token.
    assert _token(client.get(URL)) == second.submission_token


def test_the_same_person_is_known_whatever_the_letter_case(client, world):
    token = _token(client.get(URL))
    client.post(URL, _form(world, submission=token))
    client.post(URL, _form(world, submission=token, given_name="ROBIN", family_name="self"))
    assert Referral.objects.count() == 1


@pytest.mark.parametrize("token", ["", "short", "x" * 41, "no spaces allowed here!"])
def test_a_missing_or_made_up_token_still_sends_the_referral_each_time(client, world, token):
    assert client.post(URL, _form(world, submission=token)).status_code == 302
    assert client.post(URL, _form(world, submission=token)).status_code == 302
    assert list(Referral.objects.values_list("submission_token", flat=True)) == [None, None]


def test_the_same_token_sent_at_once_makes_one_referral(world, monkeypatch):
    from referrals import services
    from referrals.services import submission
    from tests.referrals import builders

    stated, content = builders.stated(world.practice_b), builders.content()
    made = services.submit_self_referral(stated=stated, content=content, submission_token="t" * 32)
    # The second request looked before the first had saved, and finds it only on saving.
    looked_up = [None, made]
    monkeypatch.setattr(submission, "_sent_with", lambda token: looked_up.pop(0))
    with pytest.raises(services.SelfReferralAlreadySent) as raised:
        services.submit_self_referral(stated=stated, content=content, submission_token="t" * 32)
    assert raised.value.referral == made
    assert looked_up == []
    assert Referral.objects.count() == 1


def test_an_nhs_number_is_optional(client, world):
    assert client.post(URL, _form(world)).status_code == 302
    assert Referral.objects.get().stated_nhs_number == ""


def test_an_urgent_self_referral_is_marked_and_told_to_see_their_gp(client, world):
    client.post(URL, _form(world, red_flags=["headache_triggered_by_exercise"]))
    assert Referral.objects.get().urgency == "urgent"
    assert "within 2 weeks" in client.get(SENT).content.decode()


def test_an_emergency_stops_the_self_referral_with_advice_and_no_personal_data(client, world):
    response = client.post(
        URL, {"red_flags": ["thunderclap_onset"], "practice": world.practice_b.pk}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert CALL_999 in body
    assert Referral.objects.count() == 0
    stop = EmergencyStop.objects.get()
    assert stop.source == "self" and stop.created_by is None and stop.patient is None
    assert stop.stated_practice == world.practice_b


@pytest.mark.parametrize("condition", ["chronic_pain", "headache"])
def test_back_pain_with_nerve_signs_stops_the_self_referral_with_advice(client, world, condition):
    form = client.get(URL).content.decode()
    assert "weakness or numbness in both legs" in form
    response = client.post(URL, _form(world, condition=condition, back_pain_emergency="on"))
    assert response.status_code == 200
    body = response.content.decode()
    assert CALL_999 in body
    assert "checked in hospital straight away" in body
    assert Referral.objects.count() == 0
    # Even with the rest of the form not filled in: the advice comes first.
    bare = client.post(URL, {"back_pain_emergency": "on"}).content.decode()
    assert CALL_999 in bare
    # Unticked, the referral is sent as before.
    assert client.post(URL, _form(world, condition=condition)).status_code == 302
    assert Referral.objects.count() == 1


def test_the_live_screen_gives_the_back_pain_advice_as_soon_as_it_is_ticked(client, world):
    screen = reverse("referrals:self-refer-screen")
    body = client.post(screen, {"back_pain_emergency": "on"}).content.decode()
    assert "Get help now" in body and CALL_999 in body
    assert "checked in hospital straight away" in body
    both = client.post(screen, {"back_pain_emergency": "on", "red_flags": ["jaw_claudication"]})
    # One place to go: 999, where they tell of the jaw pain too.
    assert "Contact your GP surgery now" not in both.content.decode()
    assert rules.PATIENT_TELL_EVERY_SYMPTOM_ADVICE in both.content.decode()
    assert "Get help now" not in client.post(screen, {}).content.decode()


def test_back_pain_with_a_headache_emergency_gives_both_advices_and_records_the_stop(client, world):
    response = client.post(
        URL, _form(world, red_flags=["jaw_claudication"], back_pain_emergency="on")
    )
    advice = re.findall(r"<li>(.*?)</li>", response.content.decode().split("Get help now")[-1])
    assert advice[0] == CALL_999
    assert not any("Contact your GP surgery now" in line for line in advice)
    assert rules.PATIENT_TELL_EVERY_SYMPTOM_ADVICE in advice
    assert any("checked in hospital straight away" in line for line in advice)
    assert advice[-1].startswith("Do not wait to hear from this service")
    assert len(advice) == len(set(advice))
    assert EmergencyStop.objects.get().red_flags == ["jaw_claudication"]


def test_the_sent_page_with_nothing_sent_from_this_browser_says_so(client, world):
    body = client.get(SENT).content.decode()
    assert "<h1>Your referral</h1>" in body and "Referral sent" not in body
    assert "there is none to show here" in body
    assert f'href="{URL}">refer yourself</a>' in body


def test_the_honeypot_pretends_success_and_saves_nothing(client, world):
    response = client.post(URL, _form(world, website="http://spam.example"))
    assert response.status_code == 302 and response["Location"] == SENT
    assert Referral.objects.count() == 0


def test_a_flood_from_one_address_is_throttled_and_the_answers_are_kept(client, world):
    for number in range(throttle.SELF_REFERRAL_LIMIT):
        response = client.post(URL, _form(world, family_name=f"Flood{number}"))
        assert response.status_code == 302
    response = client.post(
        URL, _form(world, family_name="TooMany", problem="Cluster headaches at night.")
    )
    assert response.status_code == 429
    body = response.content.decode()
    assert "<title>Error: Refer yourself" in body
    assert "We have had a lot of referrals from this internet connection" in body
    assert "try sending it again in up to 60 minutes" in body
    # The answers are still on the page, ready to send again.
    assert 'value="TooMany"' in body
    assert "Cluster headaches at night." in body
    assert 'value="robin@example.test"' in body
    assert Referral.objects.count() == throttle.SELF_REFERRAL_LIMIT
    # Another address is not affected.
    other = client.post(URL, _form(world, family_name="Neighbour"), REMOTE_ADDR="192.0.2.9")
    assert other.status_code == 302


def test_posts_that_fail_validation_do_not_count_towards_the_limit(client, world):
    for _ in range(throttle.SELF_REFERRAL_LIMIT * 2):
        assert client.post(URL, {}).status_code == 400
        assert client.post(URL, _form(world, date_of_birth="2999-01-01")).status_code == 400
    assert client.post(URL, _form(world)).status_code == 302


def test_emergency_stops_count_but_the_advice_is_always_shown(client, world):
    stop = {"red_flags": ["thunderclap_onset"], "practice": world.practice_b.pk}
    for _ in range(throttle.SELF_REFERRAL_LIMIT):
        assert client.post(URL, stop).status_code == 200
    assert EmergencyStop.objects.count() == throttle.SELF_REFERRAL_LIMIT
    # Over the limit: the same advice, but no more rows.
    response = client.post(URL, stop)
    assert response.status_code == 200
    assert CALL_999 in response.content.decode()
    assert EmergencyStop.objects.count() == throttle.SELF_REFERRAL_LIMIT
    assert client.post(URL, _form(world)).status_code == 429


def test_the_window_starts_again_when_the_count_expires(world):
    from django.core.cache import cache

    address = "198.51.100.7"
    for _ in range(throttle.SELF_REFERRAL_LIMIT):
        assert throttle.allow_self_referral(address)
    assert not throttle.allow_self_referral(address)
    cache.delete(f"referrals:self-refer:{address}")
    assert throttle.allow_self_referral(address)


def test_someone_with_only_a_landline_refers_themselves_for_a_phone_call(client, world, login):
    data = _form(world, email="", mobile="01632 960123", preferred_contact="phone")
    response = client.post(URL, data)
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert referral.stated_mobile == "+441632960123"
    page = login(world.clinician).get(
        reverse("referrals:detail", kwargs={"referral_uuid": referral.uuid})
    )
    assert "01632960123" in page.content.decode()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"consent_to_contact": ""}, "You need to agree that we can contact you"),
        ({"nhs_number": "1234567890"}, "Enter a valid 10-digit NHS number"),
        ({"date_of_birth": "2999-01-01"}, "today or in the past"),
        ({"email": "", "mobile": ""}, "Enter a phone number or an email address"),
        ({"preferred_contact": "sms"}, "Enter a mobile phone number, or choose another"),
        ({"preferred_contact": "phone"}, "Enter a phone number, or choose another"),
        ({"mobile": "12345"}, "Enter a UK phone number"),
        (
            {"preferred_contact": "sms", "mobile": "01632 960123"},
            "Text messages need a mobile number",
        ),
        ({"red_flags": ["papilloedema"]}, "papilloedema is not a red flag on this checklist"),
        ({"practice": "999999"}, "Select your GP practice from the list"),
        ({"id_migraine_light": "yes"}, "Answer all three"),
        ({"problem": ""}, "Tell us about your headaches or pain"),
        ({"date_of_birth": "not a date"}, "Date of birth must be a real date"),
    ],
)
def test_bad_input_is_a_clear_error_and_saves_nothing(client, world, overrides, message):
    data = {key: value for key, value in _form(world, **overrides).items() if value != ""}
    response = client.post(URL, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Referral.objects.count() == 0


def test_an_address_typed_wrongly_is_not_also_called_missing(client, world):
    body = client.post(URL, _form(world, email="not-an-email")).content.decode()
    assert "Enter a valid email address" in body
    assert "Enter a phone number or an email address" not in body
    assert "Enter an email address, or choose another" not in body


def test_every_missing_answer_is_named_in_the_error_summary(client, world):
    body = client.post(URL, {}).content.decode()
    for message in (
        "Enter your first name",
        "Enter your last name",
        "Enter your date of birth",
        "Select your GP practice",
        "Select how we should contact you",
        "Select what you need help with",
        "Tell us about your headaches or pain",
    ):
        assert f">{message}</a>" in body, message
    assert "This field is required" not in body


def _years_ago(years, days=0):
    """The ISO date `years` before today, plus `days`; 28 February when today is 29 February."""
    today = timezone.localdate()
    try:
        then = today.replace(year=today.year - years)
    except ValueError:
        then = today.replace(year=today.year - years, day=28)
    return (then + timedelta(days=days)).isoformat()


def test_a_child_cannot_refer_themselves_and_is_told_to_ask_their_gp(client, world):
    response = client.post(URL, _form(world, date_of_birth="2015-01-01"))
    assert response.status_code == 400
    body = response.content.decode()
    assert "You must be 18 or over to refer yourself to this service" in body
    assert "speak to your GP practice" in body
    # Beside the date of birth, and linked from the summary.
    assert 'id="id_date_of_birth-error"' in body
    assert 'href="#id_date_of_birth_day">You must be 18 or over' in body
    assert Referral.objects.count() == 0


def test_the_adult_age_starts_on_the_18th_birthday(client, world):
    # The day before their 18th birthday they are refused; on the day they are accepted.
    assert client.post(URL, _form(world, date_of_birth=_years_ago(18, days=1))).status_code == 400
    response = client.post(URL, _form(world, date_of_birth=_years_ago(18)))
    assert response.status_code == 302
    assert Referral.objects.get().age_at_referral == 18


def test_a_child_with_an_emergency_red_flag_still_gets_the_advice(client, world):
    response = client.post(
        URL, _form(world, date_of_birth="2015-01-01", red_flags=["thunderclap_onset"])
    )
    assert response.status_code == 200
    assert CALL_999 in response.content.decode()
    assert Referral.objects.count() == 0


def test_the_public_screen_speaks_plainly(client, world):
    url = reverse("referrals:self-refer-screen")
    body = client.post(url, {"red_flags": ["jaw_claudication"]}).content.decode()
    assert "Get help now" in body and "GP surgery" in body
    body = client.post(url, {"red_flags": ["orthostatic_headache"]}).content.decode()
    assert "GP practice" in body
    assert client.post(url, {"red_flags": []}).content.decode().strip() == ""
    assert "tick only the items" in client.post(url, {"red_flags": ["x"]}).content.decode()


def test_the_public_screen_reads_the_date_of_birth_boxes(client, world):
    """A new headache is urgent from 50 (clinical-rules.md section 9): the live screen works
    the age out from the day, month and year boxes as they are filled in."""
    url = reverse("referrals:self-refer-screen")
    year = timezone.localdate().year

    def screen(**born) -> str:
        return client.post(url, {"red_flags": ["new_onset_headache"], **born}).content.decode()

    def boxes(age: int) -> dict:
        return {
            "date_of_birth_day": "1",
            "date_of_birth_month": "1",
            "date_of_birth_year": str(year - age),
        }

    older, younger = screen(**boxes(60)), screen(**boxes(30))
    assert older != younger
    assert older == screen(date_of_birth=f"{year - 60}-01-01")
    assert younger == screen(date_of_birth=f"{year - 30}-01-01")


def test_a_stiff_neck_with_a_headache_and_fever_is_an_emergency_for_the_public(client, world):
    # The public question asks about a headache and a high temperature too: the signs the
    # public pages send to 999 (clinical-rules.md section 9: worsening headache with fever, with
    # or without neck stiffness, is an emergency).
    url = reverse("referrals:self-refer-screen")
    body = client.post(url, {"red_flags": ["neck_stiffness"]}).content.decode()
    assert "Get help now" in body and CALL_999 in body

    response = client.post(URL, _form(world, red_flags=["neck_stiffness"]))
    assert response.status_code == 200
    assert CALL_999 in response.content.decode()
    assert Referral.objects.count() == 0
    stop = EmergencyStop.objects.get()
    assert sorted(stop.red_flags) == ["neck_stiffness", "worsening_headache_with_fever"]


def test_the_advice_for_ticked_red_flags_stays_when_the_form_comes_back_with_errors(client, world):
    response = client.post(
        URL, _form(world, red_flags=["headache_triggered_by_exercise"], consent_to_contact="")
    )
    assert response.status_code == 400
    screen = re.search(
        r'<div id="self-screen" aria-live="polite">(.*?)</div>\s*<div class="nhsuk-form-group',
        response.content.decode(),
        re.S,
    )
    assert "Speak to your GP practice soon" in screen.group(1)
    # A form not yet sent has nothing there.
    assert '<div id="self-screen" aria-live="polite"></div>' in client.get(URL).content.decode()


def test_the_form_sent_again_after_its_referral_was_closed_as_a_copy_names_the_original(
    client, world
):
    original = builders.self_referral(
        world.practice_b, given_name="Robin", date_of_birth=date(1985, 6, 1)
    )
    token = _token(client.get(URL))
    client.post(URL, _form(world, submission=token))
    copy = Referral.objects.exclude(pk=original.pk).get()
    services.close_as_duplicate(actor=world.clinician, referral=copy, original=original)

    assert client.post(URL, _form(world, submission=token))["Location"] == SENT
    assert Referral.objects.count() == 2
    body = client.get(SENT).content.decode()
    assert original.reference in body and copy.reference not in body
    assert "You had already sent this form" in body
    # The form shown again still carries the token it was sent with.
    assert _token(client.get(URL)) == token


def test_the_form_sent_again_after_its_referral_was_entered_in_error_is_a_new_referral(
    client, world
):
    token = _token(client.get(URL))
    client.post(URL, _form(world, submission=token))
    Referral.objects.update(entered_in_error=True)

    assert client.post(URL, _form(world, submission=token))["Location"] == SENT
    first, second = Referral.objects.order_by("pk")
    assert (first.entered_in_error, second.entered_in_error) == (True, False)
    assert second.submission_token not in (None, token)
    body = client.get(SENT).content.decode()
    assert second.reference in body and "already sent this form" not in body


def test_the_form_sent_again_after_a_wrong_match_was_corrected_finds_the_copy(client, world):
    token = _token(client.get(URL))
    client.post(URL, _form(world, submission=token))
    sent = Referral.objects.get()
    matched = services.match_self_referral(
        actor=world.clinician,
        referral=sent,
        patient=world.patient,
        confirmed_differences=("given_name", "family_name", "date_of_birth", "practice"),
    )
    services.triage_referral(
        actor=world.clinician,
        referral=matched,
        decision=Decision(decision="accept", priority="routine"),
    )
    copy = services.correct_decided_wrong_match(actor=world.clinician, referral=matched)

    assert copy.submission_token == token
    assert Referral.objects.get(pk=sent.pk).submission_token is None
    client.post(URL, _form(world, submission=token))
    assert Referral.objects.count() == 2
    assert copy.reference in client.get(SENT).content.decode()


def test_only_practices_a_care_team_covers_are_offered(client, world):
    from tests.factories import OrganisationFactory, UserFactory

    pcn3 = OrganisationFactory(kind="pcn", name="PCN Three", parent=world.icb)
    uncovered = OrganisationFactory(name="Northgate Practice", parent=pcn3)
    direct = OrganisationFactory(name="Direct Practice", parent=pcn3)
    UserFactory(role="clinician", organisations=[direct])  # a member of the practice itself
    UserFactory(role="clinician", organisations=[uncovered], is_active=False)  # left
    UserFactory(role="gp", organisations=[uncovered])  # a GP triages nothing
    body = client.get(URL).content.decode()
    # Practices A and B through the service PCN One hosts, C through PCN Two's clinician.
    for name in ("Practice A", "Practice B", "Practice C", "Direct Practice"):
        assert f">{name}</option>" in body, name
    assert "Northgate Practice" not in body
    assert "If your practice is not listed, this service does not cover it yet." in body
    response = client.post(URL, _form(world, practice=uncovered.pk))
    assert "Select your GP practice from the list" in response.content.decode()
    assert not Referral.objects.exists()


def test_flags_counting_only_with_a_new_headache_ask_the_triager_to_find_out(world, login):
    def page(referral):
        return client.get(reverse("referrals:detail", args=[referral.uuid])).content.decode()

    asked = builders.self_referral(world.practice_a, red_flags=("compromised_immunity",))
    assert asked.urgency == "routine"
    client = login(world.clinician)
    shown = page(asked)
    assert "Ask whether the headache is new" in shown
    assert "cannot record that it is not" in shown
    assert (
        "HIV, immunosuppressive drugs): with a new headache this makes the referral urgent."
        in shown
    )
    # At 50 or over a new headache is urgent on its own: asked with no flag at all.
    older = builders.self_referral(
        world.practice_a, given_name="Olga", date_of_birth=date(1960, 1, 1)
    )
    assert "a new headache makes the referral urgent on its own" in page(older)
    # Not when the patient said the headache is new (urgent already), nor for a GP, who is
    # asked on the form, nor at 30 with no flag that a new headache would change.
    new = builders.self_referral(
        world.practice_a,
        given_name="Nia",
        red_flags=("new_onset_headache", "compromised_immunity"),
    )
    assert "Ask whether the headache is new" not in page(new)
    gp = builders.referral(world.patient, world.gp, red_flags=("compromised_immunity",))
    assert "Ask whether the headache is new" not in page(gp)
    plain = builders.self_referral(world.practice_a, given_name="Pat")
    assert "Ask whether the headache is new" not in page(plain)
