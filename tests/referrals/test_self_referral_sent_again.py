"""The self-referral form sent again with its one-time token (Back, a box ticked, Send): no
second referral is made, but a red flag ticked since is never dropped. It goes onto the
referral while it waits for triage, screened again; after triage it reaches the clinicians
caring for the patient as a safety alert. The sent page gives the advice for what was just
sent."""

import re

import pytest
from django.urls import reverse

from pathway.models import AuditEvent
from referrals import rules, selectors, services
from referrals.models import EmergencyStop, Referral
from referrals.services import Decision, submission
from reviews.models import SafetyAlert
from tests.referrals import builders
from tests.referrals.test_self_referral import SENT, URL, _form, _token

pytestmark = pytest.mark.django_db

HEAD_INJURY = "recent_head_trauma_within_3_months"
URGENT_FLAG = "change_in_personality"
TOKEN = "t" * 32
EMERGENCY_FLAG = "thunderclap_onset"


def _accepted_through_the_form(client, world):
    """The form sent by world.patient's browser (the details Robin Self gave), matched to
    world.patient and accepted; its one-time token."""
    token = _token(client.get(URL))
    client.post(URL, _form(world, submission=token))
    matched = services.match_self_referral(
        actor=world.clinician,
        referral=Referral.objects.get(),
        patient=world.patient,
        confirmed_differences=("given_name", "family_name", "date_of_birth", "practice"),
    )
    services.triage_referral(
        actor=world.clinician,
        referral=matched,
        decision=Decision(decision="accept", priority="routine"),
    )
    return token


def _detail(referral):
    return reverse("referrals:detail", kwargs={"referral_uuid": referral.uuid})


def _sent_twice(client, world, **second):
    """The form sent, then sent again with its token and `second`'s answers changed."""
    token = _token(client.get(URL))
    assert client.post(URL, _form(world, submission=token))["Location"] == SENT
    first = Referral.objects.get()
    assert client.post(URL, _form(world, submission=token, **second))["Location"] == SENT
    return first


def _send_again(stated, **content) -> services.SelfReferralAlreadySent:
    with pytest.raises(services.SelfReferralAlreadySent) as raised:
        services.submit_self_referral(
            stated=stated, content=builders.content(**content), submission_token=TOKEN
        )
    return raised.value


def _own(world):
    """world.patient's own self-referral, sent with TOKEN, and the details it was sent with."""
    made = builders.self_referral_by(world.patient, submission_token=TOKEN)
    stated = builders.stated(
        world.patient.registered_practice,
        given_name=world.patient.given_name,
        family_name=world.patient.family_name,
        date_of_birth=world.patient.date_of_birth,
        nhs_number=world.patient.nhs_number,
    )
    return made, stated


def _accepted(world, made):
    matched = services.match_self_referral(
        actor=world.clinician, referral=made, patient=world.patient
    )
    return services.triage_referral(
        actor=world.clinician,
        referral=matched,
        decision=Decision(decision="accept", priority="routine"),
    )


def test_an_urgent_flag_ticked_before_sending_again_goes_onto_the_referral_for_triage(
    client, world
):
    first = _sent_twice(client, world, red_flags=[HEAD_INJURY])

    first.refresh_from_db()
    assert (first.red_flags, first.urgency, first.status) == ([HEAD_INJURY], "urgent", "submitted")
    # Kept as a copy entered in error, pointing at it, so it joins no list or figure.
    copy = Referral.objects.get(duplicate_of=first)
    assert copy.entered_in_error and copy.is_form_sent_again
    assert (copy.red_flags, copy.source, copy.submission_token) == ([HEAD_INJURY], "self", None)
    assert list(Referral.objects.live()) == [first]
    # Audited, as the patient's, by field name.
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.UPDATE,
        object_uuid=first.uuid,
        fields=["red_flags", "urgency"],
        actor_role="system",
    ).exists()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CREATE, object_uuid=copy.uuid)
    # The page says to see the GP within 2 weeks, and where the new answer went.
    body = client.get(SENT).content.decode()
    assert first.reference in body
    assert "within 2 weeks" in body
    assert "We have added the new symptoms you ticked to your referral" in body
    assert "Anything else you changed after sending it is not in your referral" in body


def test_triage_sees_the_flags_and_where_they_came_from(client, world, login):
    first = _sent_twice(client, world, red_flags=[HEAD_INJURY])

    page = login(world.clinician).get(_detail(first)).content.decode()
    assert "The self-referral form this referral stands for was sent again on" in page
    assert (
        "Its red flags (Head injury in the last 3 months) are on this referral, added from it "
        "where this referral did not hold them." in page
    )
    # Once in the queue, first among those waiting (urgent).
    assert list(selectors.triage_queue_for(world.clinician)) == [first]


def test_the_same_answers_sent_again_keep_nothing_more_and_keep_the_urgent_advice(client, world):
    first = _sent_twice(client, world, red_flags=[HEAD_INJURY])
    token = _token(client.get(URL))

    client.post(URL, _form(world, submission=token, red_flags=[HEAD_INJURY]))
    # Unticked again: what the team holds stands, and so does the advice.
    client.post(URL, _form(world, submission=token))

    assert Referral.objects.filter(duplicate_of=first).count() == 1
    body = client.get(SENT).content.decode()
    assert "You had already sent this form" in body
    assert "within 2 weeks" in body
    assert "We have added" not in body


def test_a_form_sent_again_unchanged_still_says_nothing_new_was_kept(client, world):
    _sent_twice(client, world, problem="Migraines every day.")

    body = client.get(SENT).content.decode()
    assert "Anything you changed after sending it is not in your referral" in body
    assert "within 2 weeks" not in body
    assert Referral.objects.count() == 1


def test_flags_sent_again_after_the_patient_was_accepted_reach_their_clinicians(world, login):
    made, stated = _own(world)
    accepted = _accepted(world, made)

    sent = _send_again(stated, red_flags=(URGENT_FLAG,), problem="My wife says I am not myself.")

    assert (sent.referral, sent.carried, sent.to_care, sent.to_triage) == (
        accepted,
        (URGENT_FLAG,),
        True,
        False,
    )
    assert sent.urgent
    alert = SafetyAlert.objects.get(patient=world.patient)
    copy = Referral.objects.get(duplicate_of=accepted)
    assert (alert.kind, alert.referral, alert.resolved_at) == ("red_flags", copy, None)
    assert alert.responsible_clinician == world.clinician
    # The referral in care stays as triage decided it.
    accepted.refresh_from_db()
    assert (accepted.red_flags, accepted.urgency) == ([], "routine")
    page = login(world.clinician).get(reverse("reviews:alert", args=[alert.uuid]))
    body = page.content.decode()
    assert "sent again the self-referral form that" in body
    assert f"referral {accepted.reference}</a> stands for, the referral that brought" in body
    assert "Change in personality" in body
    assert "My wife says I am not myself." in body
    # Sent once more, the same flag raises no second alert.
    _send_again(stated, red_flags=(URGENT_FLAG,))
    assert SafetyAlert.objects.count() == 1


def test_the_sent_page_says_flags_went_to_the_team_caring_for_them(client, world):
    token = _accepted_through_the_form(client, world)

    client.post(URL, _form(world, submission=token, red_flags=[HEAD_INJURY]))

    body = client.get(SENT).content.decode()
    assert "We have passed the new symptoms you ticked to the team" in body
    assert "within 2 weeks" in body
    assert SafetyAlert.objects.filter(patient=world.patient, kind="red_flags").exists()


def test_a_referral_decided_before_anyone_was_matched_makes_the_flags_a_new_referral(world):
    made = builders.self_referral(world.practice_a, submission_token=TOKEN)
    services.triage_referral(
        actor=world.clinician,
        referral=made,
        decision=Decision(
            decision="reject", rejection_reason="other", advice_to_referrer="See your GP."
        ),
    )

    again = services.submit_self_referral(
        stated=builders.stated(world.practice_a),
        content=builders.content(red_flags=(URGENT_FLAG,)),
        submission_token=TOKEN,
    )

    # No record to alert about: it waits for triage as a referral of its own.
    assert again.pk != made.pk
    assert (again.status, again.urgency, again.red_flags) == ("submitted", "urgent", [URGENT_FLAG])
    assert again.submission_token not in (None, TOKEN)
    assert not SafetyAlert.objects.exists()


def test_a_referral_decided_before_anyone_was_matched_still_answers_the_same_form(world):
    made = builders.self_referral(world.practice_a, submission_token=TOKEN)
    services.triage_referral(
        actor=world.clinician,
        referral=made,
        decision=Decision(
            decision="reject", rejection_reason="other", advice_to_referrer="See your GP."
        ),
    )

    sent = _send_again(builders.stated(world.practice_a))

    assert sent.referral == made and not sent.urgent
    assert Referral.objects.count() == 1


def test_the_referral_a_closed_copy_stands_for_takes_the_flags(world):
    original = builders.self_referral(world.practice_a)
    copy = builders.self_referral(world.practice_a, submission_token=TOKEN)
    services.close_as_duplicate(actor=world.clinician, referral=copy, original=original)

    sent = _send_again(builders.stated(world.practice_a), red_flags=(URGENT_FLAG,))

    assert sent.referral == original and sent.to_triage
    original.refresh_from_db()
    assert (original.red_flags, original.urgency) == ([URGENT_FLAG], "urgent")


def test_flags_sent_again_at_the_same_moment_are_kept_too(world, monkeypatch):
    stated = builders.stated(world.practice_b)
    made = services.submit_self_referral(
        stated=stated, content=builders.content(), submission_token=TOKEN
    )
    # The second request looked before the first had saved, and finds it only on saving.
    looked_up = [None, made]
    monkeypatch.setattr(submission, "_sent_with", lambda token: looked_up.pop(0))

    sent = _send_again(stated, red_flags=(URGENT_FLAG,))

    assert sent.referral == made and sent.to_triage and sent.urgent
    made.refresh_from_db()
    assert (made.red_flags, made.urgency) == ([URGENT_FLAG], "urgent")


def test_a_decision_on_a_page_shown_before_the_form_was_sent_again_is_refused(client, world, login):
    token = _token(client.get(URL))
    client.post(URL, _form(world, submission=token))
    first = Referral.objects.get()
    nurse = login(world.clinician)
    shown = nurse.get(_detail(first)).content.decode()
    screen = re.search(r'name="shown_screen" value="([^"]*)"', shown).group(1)
    client.logout()
    client.post(URL, _form(world, submission=token, red_flags=[HEAD_INJURY]))

    response = login(world.clinician).post(
        reverse("referrals:decide", args=[first.uuid]),
        {
            "decision": "reject",
            "rejection_reason": "other",
            "advice_to_referrer": "See your GP.",
            "shown_screen": screen,
        },
    )

    assert response.status_code == 409
    assert (
        "Since the page was opened, red flags were added to it (Head injury in the last 3 "
        "months) from a copy of it the patient sent, and it is now urgent (within 2 weeks)."
        in response.content.decode()
    )
    first.refresh_from_db()
    assert first.status == "submitted"


def test_an_emergency_flag_sent_again_after_acceptance_reaches_the_patients_clinicians(
    client, world, login
):
    token = _accepted_through_the_form(client, world)

    stopped = client.post(URL, _form(world, submission=token, red_flags=[EMERGENCY_FLAG]))

    assert stopped.status_code == 200
    assert 'Call <a href="tel:999">999</a>' in stopped.content.decode()
    stop = EmergencyStop.objects.get()
    assert (stop.source, stop.patient, stop.created_by) == ("self", world.patient, None)
    alert = SafetyAlert.objects.get(patient=world.patient)
    assert (alert.kind, alert.emergency_stop, alert.resolved_at) == ("emergency_stop", stop, None)
    assert alert.responsible_clinician == world.clinician
    page = login(world.clinician).get(reverse("reviews:alert", args=[alert.uuid]))
    body = page.content.decode()
    assert f"{world.patient.given_name}, who is in the service's care, filled in the public" in body
    assert f"<li>{rules.RED_FLAGS[EMERGENCY_FLAG]}</li>" in body
    assert f"Contact {world.patient.given_name} today" in body
    assert "(GP)" not in body and "referring partner" not in body


def test_an_emergency_sent_again_for_another_person_names_nobody(client, world):
    token = _accepted_through_the_form(client, world)

    client.post(
        URL,
        _form(world, submission=token, given_name="Someone", red_flags=[EMERGENCY_FLAG]),
    )

    assert EmergencyStop.objects.get().patient is None
    assert not SafetyAlert.objects.exists()


@pytest.mark.parametrize(
    ("details", "named"),
    [("own", True), ("own with NHS number", True), ("another NHS number", False), ("other", False)],
)
def test_a_signed_in_patient_in_care_stopped_by_an_emergency_alerts_their_clinicians(
    client, world, login, details, named
):
    builders.decided(world.patient, world.gp, world.clinician, "accept")
    patient = world.patient
    own = {
        "given_name": patient.given_name.upper(),
        "family_name": f" {patient.family_name} ",
        "date_of_birth": patient.date_of_birth.isoformat(),
    }
    answers = {
        "own": own,
        "own with NHS number": {**own, "nhs_number": patient.nhs_number},
        "another NHS number": {**own, "nhs_number": world.other_patient.nhs_number},
        "other": {**own, "given_name": "Someone"},
    }[details]
    client = login(world.patient_user)

    response = client.post(URL, _form(world, red_flags=[EMERGENCY_FLAG], **answers))

    assert response.status_code == 200
    stop = EmergencyStop.objects.get()
    assert stop.patient == (patient if named else None)
    assert SafetyAlert.objects.filter(patient=patient, emergency_stop=stop).exists() is named


def test_a_known_self_referrer_not_in_care_is_named_but_raises_no_alert(client, world, login):
    patient = world.patient
    client = login(world.patient_user)
    client.post(
        URL,
        _form(
            world,
            given_name=patient.given_name,
            family_name=patient.family_name,
            date_of_birth=patient.date_of_birth.isoformat(),
            red_flags=[EMERGENCY_FLAG],
        ),
    )
    assert EmergencyStop.objects.get().patient == patient
    assert not SafetyAlert.objects.exists()
