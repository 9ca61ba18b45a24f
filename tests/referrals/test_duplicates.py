"""A self-referral sent twice: the referral page names other referrals that seem to be from the
same person, and the team can close the copy (entered in error, pointing at the original) so it
leaves the triage queue without counting as a rejection. A red flag is never closed away: it is
refused, or carried to the referral kept."""

import re
from datetime import date

import pytest
from django.urls import reverse

from pathway.models import AuditEvent
from referrals import selectors, services
from referrals.models import Referral
from referrals.services import ReferralError
from tests.referrals import builders

pytestmark = pytest.mark.django_db

URGENT_FLAG = "change_in_personality"


def _twice(world, **overrides):
    first = builders.self_referral(world.practice_a, **overrides)
    second = builders.self_referral(world.practice_a, **overrides)
    return first, second


def _detail(referral):
    return reverse("referrals:detail", kwargs={"referral_uuid": referral.uuid})


def _close(referral):
    return reverse("referrals:close-duplicate", kwargs={"referral_uuid": referral.uuid})


def test_the_same_name_and_date_of_birth_or_nhs_number_is_a_possible_duplicate(world):
    first, second = _twice(world, given_name="SAM")
    # Another person, another condition, and the same NHS number on a matched record.
    builders.self_referral(world.practice_a, given_name="Samantha")
    builders.self_referral(world.practice_a, condition="chronic_pain")
    number = world.patient.nhs_number
    gp_referral = builders.referral(world.patient, world.gp)
    by_number = builders.self_referral(world.practice_a, given_name="S", nhs_number=number)

    assert selectors.possible_duplicates(world.clinician, second) == [first]
    assert selectors.possible_duplicates(world.clinician, first) == [second]
    assert selectors.possible_duplicates(world.clinician, by_number) == [gp_referral]
    # Only an unmatched self-referral waiting for triage asks; nobody outside its team sees.
    assert selectors.possible_duplicates(world.clinician, gp_referral) == []
    assert selectors.possible_duplicates(world.other_clinician, second) == []


def test_the_copy_is_closed_as_entered_in_error_and_leaves_the_queue(world):
    first, second = _twice(world)

    services.close_as_duplicate(actor=world.clinician, referral=second, original=first)

    second.refresh_from_db()
    assert second.entered_in_error
    assert second.duplicate_of == first
    assert second.status == Referral.Status.SUBMITTED  # not decided: no rejection counted
    assert second.updated_by == world.clinician
    assert not Referral.objects.live().filter(pk=second.pk).exists()
    event = AuditEvent.objects.get(object_uuid=second.uuid, action="entered_in_error")
    assert event.actor == world.clinician
    assert set(event.fields) == {"entered_in_error", "duplicate_of"}
    with pytest.raises(ReferralError, match="matched, decided or closed"):
        services.close_as_duplicate(actor=world.clinician, referral=second, original=first)


def test_a_red_flag_only_the_copy_gives_is_not_closed_away(world):
    first = builders.self_referral(world.practice_a)
    second = builders.self_referral(world.practice_a, red_flags=(URGENT_FLAG,))
    with pytest.raises(
        ReferralError,
        match=r"gives red flags referral .* does not \(Change in personality\)\. Add its red flags",
    ):
        services.close_as_duplicate(actor=world.clinician, referral=second, original=first)
    second.refresh_from_db()
    assert not second.entered_in_error
    # The other way round, the flag is on the referral kept.
    services.close_as_duplicate(actor=world.clinician, referral=first, original=second)


def test_red_flags_added_to_a_referral_waiting_for_triage_screen_it_again(world):
    first = builders.self_referral(world.practice_a, red_flags=("compromised_immunity",))
    second = builders.self_referral(world.practice_a, red_flags=("new_onset_headache",))
    # Each is routine on its own: compromised immunity counts only with a new headache.
    assert (first.urgency, second.urgency) == ("routine", "routine")

    services.close_as_duplicate(
        actor=world.clinician, referral=second, original=first, add_red_flags=True
    )

    first.refresh_from_db()
    assert first.red_flags == ["new_onset_headache", "compromised_immunity"]
    assert first.urgency == "urgent"
    assert first.updated_by == world.clinician
    second.refresh_from_db()
    assert second.entered_in_error and second.duplicate_of == first
    event = AuditEvent.objects.get(object_uuid=first.uuid, action="update")
    assert set(event.fields) == {"red_flags", "urgency"}


def test_adding_red_flags_never_lowers_the_urgency_the_triage_queue_shows(world):
    first = builders.self_referral(world.practice_a, red_flags=(URGENT_FLAG,))
    second = builders.self_referral(world.practice_a, red_flags=("compromised_immunity",))
    services.close_as_duplicate(
        actor=world.clinician, referral=second, original=first, add_red_flags=True
    )
    first.refresh_from_db()
    assert first.red_flags == [URGENT_FLAG, "compromised_immunity"]
    assert first.urgency == "urgent"


def test_a_closed_or_decided_original_makes_it_a_new_request(world):
    earlier = builders.referral(world.patient, world.gp)
    services.triage_referral(
        actor=world.clinician,
        referral=earlier,
        decision=services.Decision(
            decision="reject", rejection_reason="other", advice_to_referrer="Try X."
        ),
    )
    again = builders.self_referral_by(world.patient)
    assert selectors.possible_duplicates(world.clinician, again) == [earlier]
    with pytest.raises(ReferralError, match="rejected: this one may be a new request"):
        services.close_as_duplicate(actor=world.clinician, referral=again, original=earlier)


def test_only_a_possible_duplicate_can_be_the_original(world):
    first, second = _twice(world)
    stranger = builders.self_referral(world.practice_a, given_name="Alex", family_name="Other")
    with pytest.raises(ReferralError, match="Choose one of the referrals"):
        services.close_as_duplicate(actor=world.clinician, referral=second, original=stranger)


def test_the_database_keeps_a_duplicate_entered_in_error(world):
    from django.db import IntegrityError, transaction

    first, second = _twice(world)
    for fields in ({"duplicate_of": first}, {"duplicate_of": second, "entered_in_error": True}):
        with (
            pytest.raises(IntegrityError, match="referrals_referral_duplicate_entered_in_error"),
            transaction.atomic(),
        ):
            Referral.objects.filter(pk=second.pk).update(**fields)


# Pages


def test_the_page_names_the_possible_copy_and_closes_it(world, login):
    first, second = _twice(world, nhs_number="", date_of_birth=date(1985, 6, 1))
    client = login(world.clinician)
    page = client.get(_detail(second)).content.decode()
    assert "This may be a copy of another referral" in page
    assert f"Referral {first.reference}, a self-referral received" in page
    assert "Close this self-referral as a copy" in page

    response = client.post(_close(second), {"original": str(first.uuid), "same": "on"})
    assert response.status_code == 302
    assert response.url == _detail(first)
    page = client.get(_detail(first)).content.decode()
    assert "A copy of this referral, a self-referral received" in page
    assert "was closed by Nurse Nia" in page
    assert client.get(_detail(second)).status_code == 404
    queue = client.get(reverse("referrals:triage-queue")).content.decode()
    assert _detail(second) not in queue
    assert _detail(first) in queue


def test_closing_needs_a_choice_and_the_check(world, login):
    first, second = _twice(world)
    response = login(world.clinician).post(_close(second), {"original": str(first.uuid)})
    assert response.status_code == 400
    page = response.content.decode()
    assert "<title>Error: " in page
    assert "Confirm that both referrals are from the same person" in page
    response = login(world.clinician).post(_close(second), {"same": "on", "original": "nope"})
    assert "Choose one of the referrals listed" in response.content.decode()
    second.refresh_from_db()
    assert not second.entered_in_error


def test_a_refused_close_says_why_on_the_page(world, login):
    first = builders.self_referral(world.practice_a)
    second = builders.self_referral(world.practice_a, red_flags=(URGENT_FLAG,))
    client = login(world.clinician)
    assert "Add this self-referral&#x27;s red flags" in client.get(_detail(second)).content.decode()
    response = client.post(_close(second), {"original": str(first.uuid), "same": "on"})
    assert response.status_code == 409
    assert "Add its red flags to referral" in response.content.decode()

    response = client.post(
        _close(second), {"original": str(first.uuid), "same": "on", "add_red_flags": "on"}
    )
    assert response.status_code == 302
    page = client.get(_detail(first)).content.decode()
    assert (
        "Its red flags (Change in personality) are carried to this referral, screened "
        "again as urgent (within 2 weeks)." in page
    )
    # Where the flags came from stays on the referral's page.
    assert (
        "Its red flags (Change in personality) are on this referral, added from it where this "
        "referral did not hold them." in page
    )
    first.refresh_from_db()
    assert first.red_flags == [URGENT_FLAG]


def test_the_choice_to_add_red_flags_is_offered_only_when_there_are_some(world, login):
    first, second = _twice(world)
    page = login(world.clinician).get(_detail(second)).content.decode()
    assert "Close this self-referral as a copy" in page
    assert "add_red_flags" not in page


def test_a_gp_sees_no_close_button_and_cannot_close(world, login):
    first, second = _twice(world)
    assert login(world.gp).post(_close(second), {"original": str(first.uuid)}).status_code == 404
    second.refresh_from_db()
    assert not second.entered_in_error


def test_a_decision_made_on_a_page_shown_before_flags_were_carried_is_refused(world, login):
    first = builders.self_referral(world.practice_a)
    second = builders.self_referral(world.practice_a, red_flags=(URGENT_FLAG,))
    client = login(world.clinician)
    shown = client.get(_detail(first)).content.decode()
    token = re.search(r'name="shown_screen" value="([^"]*)"', shown).group(1)
    assert token == "routine:"
    services.close_as_duplicate(
        actor=world.clinician, referral=second, original=first, add_red_flags=True
    )
    decide = reverse("referrals:decide", args=[first.uuid])
    answers = {
        "decision": "reject",
        "rejection_reason": "other",
        "advice_to_referrer": "Try simple painkillers first.",
        "shown_screen": token,
    }
    response = client.post(decide, answers)
    assert response.status_code == 409
    page = response.content.decode()
    assert (
        "Since the page was opened, red flags were added to it (Change in personality) from a "
        "copy of it the patient sent, and it is now urgent (within 2 weeks)." in page
    )
    assert "Try simple painkillers first." in page  # what was typed is kept
    first.refresh_from_db()
    assert first.status == "submitted"
    # The page now shows the flags, and the same decision sent from it goes through.
    token = re.search(r'name="shown_screen" value="([^"]*)"', page).group(1)
    assert token == f"urgent:{URGENT_FLAG}"
    assert client.post(decide, {**answers, "shown_screen": token}).status_code == 302
    first.refresh_from_db()
    assert first.status == "rejected"


def test_an_original_closed_as_a_copy_meanwhile_takes_no_flags(world):
    first, second = _twice(world)
    third = builders.self_referral(world.practice_a, red_flags=(URGENT_FLAG,))
    services.close_as_duplicate(actor=world.clinician, referral=second, original=first)
    with pytest.raises(ReferralError, match="Choose one of the referrals"):
        services.close_as_duplicate(
            actor=world.clinician, referral=third, original=second, add_red_flags=True
        )
    third.refresh_from_db()
    assert not third.entered_in_error


def test_a_gp_cannot_withdraw_a_referral_that_stands_for_the_patients_own_copy(world):
    gp_referral = builders.referral(world.patient, world.gp)
    copy = builders.self_referral_by(world.patient, red_flags=(URGENT_FLAG,))
    services.close_as_duplicate(
        actor=world.clinician, referral=copy, original=gp_referral, add_red_flags=True
    )
    with pytest.raises(ReferralError, match="withdrawing it would withdraw their request too"):
        services.close_referral(actor=world.gp, referral=gp_referral)
    gp_referral.refresh_from_db()
    assert gp_referral.status == "submitted"
    assert gp_referral.red_flags == [URGENT_FLAG]
