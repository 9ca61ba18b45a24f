"""The public self-referral: plain English, the same safety screen, spam and flood protection."""

import pytest
from django.urls import reverse

from pathway.models import AuditEvent
from referrals import throttle
from referrals.models import EmergencyStop, Referral

pytestmark = pytest.mark.django_db

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
    assert "papilloedema" not in body.lower()
    assert "within 5 days" in body
    assert 'name="website"' in body  # the honeypot


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
    assert "Call 999 or go to A&amp;E now." in body
    assert Referral.objects.count() == 0
    stop = EmergencyStop.objects.get()
    assert stop.source == "self" and stop.created_by is None and stop.patient is None
    assert stop.stated_practice == world.practice_b


def test_the_honeypot_pretends_success_and_saves_nothing(client, world):
    response = client.post(URL, _form(world, website="http://spam.example"))
    assert response.status_code == 302 and response["Location"] == SENT
    assert Referral.objects.count() == 0


def test_a_flood_from_one_address_is_throttled(client, world):
    for number in range(throttle.SELF_REFERRAL_LIMIT):
        response = client.post(URL, _form(world, family_name=f"Flood{number}"))
        assert response.status_code == 302
    response = client.post(URL, _form(world, family_name="TooMany"))
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert Referral.objects.count() == throttle.SELF_REFERRAL_LIMIT
    # Another address is not affected.
    other = client.post(URL, _form(world, family_name="Neighbour"), REMOTE_ADDR="192.0.2.9")
    assert other.status_code == 302


def test_invalid_posts_count_towards_the_limit(client, world):
    for _ in range(throttle.SELF_REFERRAL_LIMIT):
        assert client.post(URL, {}).status_code == 400
    assert client.post(URL, _form(world)).status_code == 429


def test_the_window_starts_again_when_the_count_expires(world):
    from django.core.cache import cache

    address = "198.51.100.7"
    for _ in range(throttle.SELF_REFERRAL_LIMIT):
        assert throttle.allow_self_referral_post(address)
    assert not throttle.allow_self_referral_post(address)
    cache.delete(f"referrals:self-refer:{address}")
    assert throttle.allow_self_referral_post(address)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"consent_to_contact": ""}, "You need to agree that we can contact you"),
        ({"nhs_number": "1234567890"}, "Enter a valid 10-digit NHS number"),
        ({"date_of_birth": "2999-01-01"}, "today or in the past"),
        ({"email": "", "mobile": ""}, "Enter a mobile phone number or an email address"),
        ({"preferred_contact": "sms"}, "Enter a mobile phone number, or choose another"),
        ({"mobile": "12345"}, "mobile"),
        ({"red_flags": ["papilloedema"]}, "papilloedema is not a red flag on this checklist"),
        ({"practice": "999999"}, "Select a valid choice"),
        ({"id_migraine_light": "yes"}, "Answer all three"),
        ({"problem": ""}, "This field is required"),
    ],
)
def test_bad_input_is_a_clear_error_and_saves_nothing(client, world, overrides, message):
    data = {key: value for key, value in _form(world, **overrides).items() if value != ""}
    response = client.post(URL, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Referral.objects.count() == 0


def test_the_public_screen_speaks_plainly(client, world):
    url = reverse("referrals:self-refer-screen")
    body = client.post(url, {"red_flags": ["jaw_claudication"]}).content.decode()
    assert "Get help now" in body and "GP surgery" in body
    body = client.post(url, {"red_flags": ["orthostatic_headache"]}).content.decode()
    assert "GP practice" in body
    assert client.post(url, {"red_flags": []}).content.decode().strip() == ""
    assert "tick only the items" in client.post(url, {"red_flags": ["x"]}).content.decode()


def test_the_sent_page_without_a_referral_is_generic(client, world):
    body = client.get(SENT).content.decode()
    assert "Referral sent" in body and "Your reference" not in body
