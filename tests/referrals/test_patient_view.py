"""A patient reads the care team's decision on their own self-referral: on their home page, on
the page the message links to, and in the letter."""

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from pathway.models import Notification
from pathway.services import record_milestone
from referrals import letters, services
from referrals.models import Referral
from referrals.services import Decision
from reviews.services import episodes as episode_services
from tests.pathway.pages import page_text
from tests.referrals import builders

pytestmark = pytest.mark.django_db


def _decided_self_referral(world, decision, **fields):
    made = builders.self_referral_by(world.patient)
    services.match_self_referral(actor=world.clinician, referral=made, patient=world.patient)
    made.refresh_from_db()
    return services.triage_referral(
        actor=world.clinician, referral=made, decision=Decision(decision=decision, **fields)
    )


@pytest.mark.parametrize(
    ("decision", "fields", "heading", "said"),
    [
        (
            "reject",
            {"rejection_reason": "outside_area", "advice_to_referrer": "Ask your GP about X."},
            "Not accepted",
            "Your GP practice is outside the area this service covers.",
        ),
        (
            "redirect",
            {
                "redirect_to": "msk_physiotherapy",
                "note": "Knee pain, not headache.",
                "advice_to_referrer": "Physiotherapy can help with this.",
            },
            "Another service is right for you: MSK physiotherapy",
            "ask your GP practice to refer you",
        ),
        ("accept", {"priority": "routine"}, "Accepted", "They will contact you to arrange"),
    ],
)
def test_the_patient_reads_the_decision_and_the_teams_advice(
    world, login, decision, fields, heading, said
):
    referral = _decided_self_referral(world, decision, **fields)
    client = login(world.patient_user)
    home = page_text(client.get(reverse("pathway:patient-home")))
    assert "The care team has looked at the referral you sent on" in home
    url = reverse("referrals:yours", kwargs={"referral_uuid": referral.uuid})
    assert url in client.get(reverse("pathway:patient-home")).content.decode()
    page = page_text(client.get(url))
    assert heading in page and said in page
    if fields.get("advice_to_referrer"):
        said_at = page.index("What the care team said")
        assert fields["advice_to_referrer"] in page[said_at : said_at + 200]
    # The note for the receiving service is the team's, for the GP: not on the patient's page.
    assert "Knee pain, not headache." not in page
    # The message they are sent links here.
    message = Notification.objects.get(patient=world.patient, kind="referral_decision")
    assert message.context["link"].endswith(url)


def test_an_urgent_self_referral_turned_away_says_to_see_a_doctor_within_2_weeks(world, login):
    referral = _decided_self_referral(
        world,
        "reject",
        rejection_reason="red_flags_need_urgent_route",
        advice_to_referrer="See your GP this week.",
    )
    Referral.objects.filter(pk=referral.pk).update(urgency="urgent")
    page = page_text(
        login(world.patient_user).get(
            reverse("referrals:yours", kwargs={"referral_uuid": referral.uuid})
        )
    )
    assert "a doctor should see you within 2 weeks" in page


def _read(world, login, referral) -> str:
    url = reverse("referrals:yours", kwargs={"referral_uuid": referral.uuid})
    return page_text(login(world.patient_user).get(url))


def test_a_redirect_with_no_advice_for_the_patient_points_to_nothing_below(world, login):
    referral = _decided_self_referral(
        world, "redirect", redirect_to="msk_physiotherapy", note="Knee OA: please assess."
    )
    page = _read(world, login, referral)
    assert "ask your GP practice to refer you." in page
    assert "show them what the team wrote below" not in page
    assert "Knee OA" not in page and "What the care team said" not in page


def test_an_accepted_referral_says_where_the_patients_care_has_got_to(world, login):
    referral = _decided_self_referral(world, "accept", priority="routine")
    episode = referral.episode
    record_milestone(episode=episode, kind="first_contact")
    assert "You have had your first conversation with them." in _read(world, login, referral)
    episode_services.discharge_episode(
        actor=world.clinician, episode=episode, reason="patient_choice"
    )
    page = _read(world, login, referral)
    assert "Your care with them for it has ended." in page
    assert "arrange your first conversation" not in page


def test_a_patient_cannot_read_another_patients_or_a_gps_referral(world, login):
    theirs = builders.self_referral_by(world.other_patient)
    services.match_self_referral(
        actor=world.clinician, referral=theirs, patient=world.other_patient
    )
    by_gp = builders.decided(world.patient, world.gp, world.clinician, "reject")
    client = login(world.patient_user)
    for made in (theirs, by_gp):
        url = reverse("referrals:yours", kwargs={"referral_uuid": made.uuid})
        assert client.get(url).status_code == 404
    # A GP's referral is the GP's to explain: no line on the patient's home page.
    assert "has looked at the referral" not in page_text(
        client.get(reverse("pathway:patient-home"))
    )


def test_the_letter_to_a_self_referrer_is_worded_for_them(world):
    referral = _decided_self_referral(
        world,
        "redirect",
        redirect_to="neurology",
        note="Please assess.",
        advice_to_referrer="Your GP can refer you.",
    )
    html = render_to_string(
        "referrals/letter_triage_outcome.html", letters.letter_context(referral)
    )
    assert "please ask your GP practice to refer you there, and show them this letter" in html
    assert "What the care team advise" in html
    assert "please refer the patient to" not in html and "Advice to the referrer" not in html


def test_every_reason_for_not_accepting_has_words_for_the_patient():
    from referrals import rules
    from referrals.patient_view import REASONS_FOR_PATIENT

    assert set(REASONS_FOR_PATIENT) == set(rules.REJECTION_REASONS)
