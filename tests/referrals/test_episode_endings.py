"""An episode closed with its referral, before the team took the patient into care, reads as
what happened to the referral on the patient's home page and the team's patient page, not as
"Discharged" (pathway.episode_endings, referrals.episode_endings)."""

import re

import pytest
from django.urls import reverse

from referrals import services
from reviews.services import episodes as episode_services
from tests.referrals import builders

pytestmark = pytest.mark.django_db


def _card(page: str) -> tuple[str, list[str]]:
    """The first episode card's status tag and its milestone labels."""
    card = page.split('<div class="nhsuk-card__content">\n  <h3 class="nhsuk-card__heading">', 1)[1]
    card = card.split("</ol>", 1)[0]
    tag = re.search(r'nhsuk-tag--grey">([^<]*)</strong>', card).group(1)
    return tag, re.findall(r"<li><strong>([^<]*)</strong>", card)


@pytest.mark.parametrize(
    ("decision", "words"),
    [("reject", "Referral not accepted"), ("redirect", "Referred elsewhere")],
)
def test_a_referral_not_taken_into_care_reads_as_its_outcome(world, login, decision, words):
    builders.decided(world.patient, world.gp, world.clinician, decision)

    mine = login(world.patient_user).get(reverse("pathway:patient-home")).content.decode()
    assert _card(mine) == (words, ["Referral received", "Triaged", words])
    staff = login(world.clinician).get(
        reverse("pathway:patient-detail", kwargs={"patient_uuid": world.patient.uuid})
    )
    assert _card(staff.content.decode())[0] == words
    # The team's Reviews tab words it the same way, with no clinician to choose.
    tab = login(world.clinician).get(
        reverse("reviews:patient-reviews", kwargs={"patient_uuid": world.patient.uuid})
    )
    line = re.sub(r"<[^>]+>", "", tab.content.decode().split("Headache</a>: ", 1)[1])
    line = line.split("\n", 1)[0]
    assert line.startswith(words.lower()) and "discharged" not in line
    assert "responsible clinician" not in line


def test_a_withdrawn_referral_reads_as_withdrawn(world, login):
    made = builders.referral(world.patient, world.gp)
    services.close_referral(actor=world.gp, referral=made)

    mine = login(world.patient_user).get(reverse("pathway:patient-home")).content.decode()
    assert _card(mine) == ("Referral withdrawn", ["Referral received", "Referral withdrawn"])


def test_care_the_team_ended_reads_as_discharged(world, login):
    accepted = builders.decided(world.patient, world.gp, world.clinician, "accept")
    episode_services.discharge_episode(
        actor=world.clinician, episode=accepted.episode, reason="patient_choice"
    )

    mine = login(world.patient_user).get(reverse("pathway:patient-home")).content.decode()
    tag, milestones = _card(mine)
    assert tag == "Discharged" and milestones[-1] == "Discharged"
