"""The care team's pages: triage queue, decision, matching, waiting list, letters."""

import html
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pathway.models import AuditEvent, Milestone, Patient, Target
from referrals import services
from referrals.models import Referral
from tests.factories import PatientFactory, UserFactory, urgent_triage_target
from tests.pathway.pages import page_text
from tests.referrals import builders

pytestmark = pytest.mark.django_db

QUEUE = reverse("referrals:triage-queue")
WAITING = reverse("referrals:waiting-list")


def _age(referral, days, hours=0):
    """Move a referral's arrival (and its episode's milestone) into the past."""
    when = timezone.now() - timedelta(days=days, hours=hours)
    Referral.objects.filter(pk=referral.pk).update(submitted_at=when)
    Milestone.objects.filter(episode=referral.episode_id, kind="referral_received").update(
        occurred_at=when
    )
    return when


def _triaged_ago(referral, days):
    when = timezone.now() - timedelta(days=days)
    Referral.objects.filter(pk=referral.pk).update(decided_at=when)
    Milestone.objects.filter(episode=referral.episode_id, kind="triaged").update(occurred_at=when)


def _assert_constant(client, url, grow):
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    grow()
    with CaptureQueriesContext(connection) as after:
        response = client.get(url)
    assert response.status_code == 200
    assert len(after) == len(before), [q["sql"] for q in after.captured_queries]


# Queue


def test_the_queue_puts_urgent_first_then_the_longest_waiting(world, login):
    old_routine = builders.referral(world.other_patient, world.gp)
    _age(old_routine, 4)
    new_routine = builders.referral(world.patient_in_b, world.gp)
    _age(new_routine, 1)
    world.patient.date_of_birth = world.patient.date_of_birth.replace(year=1950)
    world.patient.save()
    urgent = builders.referral(world.patient, world.gp, red_flags=("new_onset_headache",))
    body = login(world.clinician).get(QUEUE).content.decode()
    positions = [body.index(str(r.uuid)) for r in (urgent, old_routine, new_routine)]
    assert positions == sorted(positions)


def test_a_referral_sent_with_a_self_harm_answer_waits_with_the_urgent_ones(world, login):
    old_routine = builders.referral(world.other_patient, world.gp)
    _age(old_routine, 4)
    risky = builders.referral(
        world.patient, world.gp, questionnaires={"PHQ-9": [0, 0, 0, 0, 0, 0, 0, 0, 1]}
    )
    assert risky.urgency == "routine"
    body = login(world.clinician).get(QUEUE).content.decode()
    assert body.index(str(risky.uuid)) < body.index(str(old_routine.uuid))


def test_the_queue_marks_a_self_harm_answer_and_a_patient_under_18(world, login):
    risky = builders.referral(
        world.patient, world.gp, questionnaires={"PHQ-9": [0, 0, 0, 0, 0, 0, 0, 0, 1]}
    )
    plain = builders.referral(
        world.other_patient, world.gp, questionnaires={"PHQ-9": [3, 3, 3, 3, 3, 3, 3, 3, 0]}
    )
    young = builders.referral(world.patient_in_b, world.gp)
    Referral.objects.filter(pk=young.pk).update(age_at_referral=15)
    response = login(world.clinician).get(QUEUE)
    rows = {row["referral"].pk: row for row in response.context["rows"]}
    assert (rows[risky.pk]["risky_answer"], rows[risky.pk]["under_age"]) == (True, False)
    assert (rows[plain.pk]["risky_answer"], rows[plain.pk]["under_age"]) == (False, False)
    assert (rows[young.pk]["risky_answer"], rows[young.pk]["under_age"]) == (False, True)
    body = response.content.decode()
    assert body.count("Self-harm answer</strong>") == 1
    assert body.count("Under 18</strong>") == 1


def test_the_queue_shows_the_clock_and_highlights_breaches(world, login):
    fresh = builders.referral(world.patient, world.gp)
    _age(fresh, 1, hours=2)
    late = builders.referral(world.other_patient, world.gp)
    _age(late, 7, hours=1)
    body = login(world.clinician).get(QUEUE).content.decode()
    assert "1 of 5 days" in body and "4 days left" in body
    assert "Breached" in body and "7 of 5 days, 2 days over" in body
    assert "app-row--breached" in body


def test_the_clock_follows_the_target_rows(world, login):
    Target.objects.filter(from_milestone="referral_received", to_milestone="triaged").update(days=2)
    made = builders.referral(world.patient, world.gp)
    _age(made, 3)
    body = login(world.clinician).get(QUEUE).content.decode()
    assert "3 of 2 days" in body and "Target: triage within 2 days" in body


def test_an_urgent_referral_is_timed_against_an_urgent_triage_target_where_there_is_one(
    world, login
):
    urgent_triage_target(days=2)
    urgent = builders.referral(world.patient, world.gp)
    Referral.objects.filter(pk=urgent.pk).update(urgency="urgent")
    routine = builders.referral(world.other_patient, world.gp)
    _age(urgent, 3, hours=1)
    _age(routine, 3, hours=1)
    client = login(world.clinician)
    queue = client.get(QUEUE).content.decode()
    assert "3 of 2 days, 1 day over" in queue and "3 of 5 days" in queue
    assert queue.count("app-row--breached") == 1
    assert (
        "Target: triage urgent referrals within 2 days and routine referrals within 5 days of "
        "the referral arriving."
    ) in queue
    detail = client.get(reverse("referrals:detail", kwargs={"referral_uuid": urgent.uuid}))
    assert "Breached</strong> 3 of 2 days, 1 day over" in detail.content.decode()


@pytest.mark.parametrize(
    ("decision", "said"),
    [
        (
            {
                "decision": "reject",
                "rejection_reason": "insufficient_information",
                "advice_to_referrer": "Please add the diary.",
            },
            "rejected (not enough information to triage)",
        ),
        (
            {"decision": "redirect", "redirect_to": "neurology", "note": "Seizures."},
            "redirected to Neurology",
        ),
    ],
)
def test_the_message_after_a_decision_says_what_was_decided(world, login, decision, said):
    made = builders.referral(world.patient, world.gp)
    client = login(world.clinician)
    client.post(reverse("referrals:decide", args=[made.uuid]), decision)
    assert f"Referral {made.reference} {said}. The referrer will be told." in page_text(
        client.get(QUEUE)
    )


@pytest.mark.parametrize(
    ("sms", "email", "said"),
    [
        (True, True, "The patient will be sent a text message asking them to sign in and read it."),
        (False, True, "The patient will be sent an email asking them to sign in and read it."),
        (
            False,
            False,
            "No text message or email can be sent to the patient (no consent or contact "
            "details for either): tell them the outcome by phone or letter.",
        ),
    ],
)
def test_the_message_after_deciding_a_self_referral_says_how_the_patient_hears(
    world, login, sms, email, said
):
    type(world.patient).objects.filter(pk=world.patient.pk).update(
        sms_consent=sms, email_consent=email
    )
    made, queue = _accept_self_referral(world, login, preferred_contact="phone")
    assert f"Referral {made.reference} accepted, routine priority. {said}" in queue


def _accept_self_referral(world, login, **stated):
    """Match a self-referral by world.patient and accept it as the clinician; returns the
    referral and the triage queue's text shown next."""
    world.patient.refresh_from_db()
    made = builders.self_referral_by(world.patient, **stated)
    services.match_self_referral(actor=world.clinician, referral=made, patient=world.patient)
    client = login(world.clinician)
    client.post(
        reverse("referrals:decide", args=[made.uuid]),
        {"decision": "accept", "priority": "routine"},
    )
    return made, page_text(client.get(QUEUE))


def test_deciding_a_self_referral_of_a_patient_without_an_account_says_to_tell_them(world, login):
    Patient.objects.filter(pk=world.patient.pk).update(user=None)
    _, queue = _accept_self_referral(world, login, preferred_contact="email")
    assert (
        "The patient has no account to read the outcome in. An email will tell them the team "
        "will contact them: tell them the outcome by phone or letter."
    ) in queue


def test_an_unmatched_self_referral_rejected_says_to_tell_them_another_way(world, login):
    made = builders.self_referral(world.practice_a)
    client = login(world.clinician)
    client.post(
        reverse("referrals:decide", args=[made.uuid]),
        {
            "decision": "reject",
            "rejection_reason": "outside_area",
            "advice_to_referrer": "See your GP.",
        },
    )
    assert "tell them the outcome by phone or letter" in page_text(client.get(QUEUE))


def test_the_queue_is_scoped_to_the_clinicians_pcn(world, login):
    ours = builders.referral(world.patient, world.gp)
    theirs = builders.referral(world.patient_in_c, world.other_gp)
    body = login(world.clinician).get(QUEUE).content.decode()
    assert str(ours.uuid) in body and str(theirs.uuid) not in body
    other = login(world.other_clinician).get(QUEUE).content.decode()
    assert str(theirs.uuid) in other and str(ours.uuid) not in other


def test_unmatched_self_referrals_go_to_the_pcn_of_the_practice_they_named(world, login):
    mine = builders.self_referral(world.practice_b)
    theirs = builders.self_referral(world.practice_c, family_name="Elsewhere")
    body = login(world.clinician).get(QUEUE).content.decode()
    assert str(mine.uuid) in body and "Self-referral to match" in body
    assert str(theirs.uuid) not in body
    detail = reverse("referrals:detail", args=[theirs.uuid])
    assert login(world.clinician).get(detail).status_code == 404
    assert login(world.gp).get(detail).status_code == 404


def test_a_gp_cannot_triage(world, login):
    made = builders.referral(world.patient, world.gp)
    client = login(world.gp)
    assert client.get(QUEUE).status_code == 404
    response = client.post(
        reverse("referrals:decide", args=[made.uuid]), {"decision": "accept", "priority": "routine"}
    )
    assert response.status_code == 404
    made.refresh_from_db()
    assert made.status == "submitted"


def test_the_queue_has_a_constant_query_count(world, login):
    builders.referral(world.patient, world.gp)
    builders.self_referral(world.practice_a)

    def grow():
        for _ in range(3):
            builders.referral(PatientFactory(registered_practice=world.practice_b), world.gp)
        builders.self_referral(world.practice_b, family_name="More")

    _assert_constant(login(world.clinician), QUEUE, grow)


def test_the_queue_paginates(world, login):
    for _ in range(27):
        builders.referral(PatientFactory(registered_practice=world.practice_a), world.gp)
    client = login(world.clinician)
    first = client.get(QUEUE).content.decode()
    assert first.count('href="/referrals/') >= 25
    assert "Page 2 of 2" in first
    assert client.get(QUEUE + "?page=2").status_code == 200
    assert client.get(QUEUE + "?page=banana").status_code == 200


# Detail and decision


def test_the_detail_page_is_audited_and_offers_the_decision(world, login):
    made = builders.referral(world.patient, world.gp, red_flags=("orthostatic_headache",))
    body = (
        login(world.clinician).get(reverse("referrals:detail", args=[made.uuid])).content.decode()
    )
    assert "Triage decision" in body
    assert "Headache that changes with posture" in body
    assert "2-week route" in body
    assert AuditEvent.objects.filter(actor=world.clinician, object_uuid=made.uuid, action="view")


def test_a_gp_reads_the_detail_without_the_decision_form(world, login):
    made = builders.referral(world.patient, world.gp)
    body = login(world.gp).get(reverse("referrals:detail", args=[made.uuid])).content.decode()
    assert "Triage decision" not in body


def test_a_phq9_self_harm_answer_is_flagged_on_the_referral(world, login):
    made = builders.referral(
        world.patient, world.gp, questionnaires={"PHQ-9": [0, 0, 0, 0, 0, 0, 0, 0, 2]}
    )
    body = (
        login(world.clinician).get(reverse("referrals:detail", args=[made.uuid])).content.decode()
    )
    assert "Self-harm risk" in body


def test_questionnaire_bands_on_the_referral_read_in_words(world, login):
    made = builders.referral(
        world.patient,
        world.gp,
        questionnaires={"PHQ-9": [0] * 9, "HIT-6": ["always"] * 6, "PSEQ": [4] * 10},
    )
    body = (
        login(world.clinician).get(reverse("referrals:detail", args=[made.uuid])).content.decode()
    )
    assert ": 0 (none or minimal)" in body
    assert ": 78 (severe impact)" in body
    assert ": 40 (high self-efficacy; ePPOC severity mild)" in body
    assert "none_minimal" not in body and "severe_impact" not in body


def test_a_self_referrals_screener_reads_in_words_until_matched(world, login):
    made = services.submit_self_referral(
        stated=builders.stated(world.practice_a),
        content=builders.content(),
        id_migraine_answers=[True, False, True],
    )
    body = (
        login(world.clinician).get(reverse("referrals:detail", args=[made.uuid])).content.decode()
    )
    assert "ID Migraine screener: 2 of 3 (positive screen), saved to the record" in body


def test_a_clinician_accepts_a_referral(world, login):
    made = builders.referral(world.patient, world.gp)
    client = login(world.clinician)
    response = client.post(
        reverse("referrals:decide", args=[made.uuid]),
        {"decision": "accept", "priority": "urgent", "advice_to_referrer": "Thanks."},
    )
    assert response.status_code == 302 and response["Location"] == QUEUE
    made.refresh_from_db()
    assert (made.status, made.priority, made.decided_by) == ("accepted", "urgent", world.clinician)
    assert (
        f"Referral {made.reference} accepted, urgent priority. The referrer will be told."
        in client.get(QUEUE).content.decode()
    )


def _urgent(world):
    return builders.referral(world.patient, world.gp, red_flags=("orthostatic_headache",))


def test_accepting_an_urgent_referral_as_routine_needs_a_reason(world, login):
    made = _urgent(world)
    client = login(world.clinician)
    url = reverse("referrals:decide", args=[made.uuid])
    page = client.get(reverse("referrals:detail", args=[made.uuid])).content.decode()
    assert "A lower priority needs the reason in the note." in page
    response = client.post(url, {"decision": "accept", "priority": "routine"})
    assert response.status_code == 400
    body = response.content.decode()
    assert (
        "Give the reason for accepting at routine priority when the red-flag screen said urgent."
        in body
    )
    assert 'href="#id_note"' in body
    made.refresh_from_db()
    assert made.status == "submitted"


def test_an_urgent_referral_accepted_as_routine_shows_the_reason(world, login):
    made = _urgent(world)
    client = login(world.clinician)
    response = client.post(
        reverse("referrals:decide", args=[made.uuid]),
        {
            "decision": "accept",
            "priority": "routine",
            "note": "Posture change is long-standing; seen by neurology last year.",
        },
    )
    assert response.status_code == 302
    made.refresh_from_db()
    assert (made.status, made.priority) == ("accepted", "routine")
    assert made.decision_note.startswith("Posture change is long-standing")
    page = client.get(reverse("referrals:detail", args=[made.uuid])).content.decode()
    assert "Accepted, routine priority (the red-flag screen said urgent)" in page
    assert "Reason for routine priority" in page
    assert "seen by neurology last year" in page


@pytest.mark.parametrize(
    ("decision", "gp_sees"),
    [
        ({"decision": "accept", "priority": "routine"}, False),  # the team's own note
        ({"decision": "redirect", "redirect_to": "neurology"}, True),  # for them to pass on
    ],
)
def test_the_gp_sees_the_decisions_note_only_when_it_is_for_them(world, login, decision, gp_sees):
    made = builders.referral(world.patient, world.gp)
    note = "Book the first conversation this week."
    login(world.clinician).post(
        reverse("referrals:decide", args=[made.uuid]), {**decision, "note": note}
    )
    url = reverse("referrals:detail", args=[made.uuid])
    assert note in login(world.clinician).get(url).content.decode()
    assert (note in login(world.gp).get(url).content.decode()) is gp_sees


@pytest.mark.parametrize(
    ("red_flags", "priority"),
    [(("orthostatic_headache",), "urgent"), ((), "routine"), ((), "urgent")],
)
def test_accepting_at_or_above_the_screen_needs_no_reason(world, login, red_flags, priority):
    made = builders.referral(world.patient, world.gp, red_flags=red_flags)
    response = login(world.clinician).post(
        reverse("referrals:decide", args=[made.uuid]), {"decision": "accept", "priority": priority}
    )
    assert response.status_code == 302
    made.refresh_from_db()
    assert (made.status, made.priority) == ("accepted", priority)


def test_a_referral_of_a_child_is_flagged_for_triage(world, login):
    world.patient.date_of_birth = timezone.localdate().replace(year=timezone.localdate().year - 16)
    world.patient.save()
    made = builders.referral(world.patient, world.gp)
    body = (
        login(world.clinician).get(reverse("referrals:detail", args=[made.uuid])).content.decode()
    )
    assert "Under 18" in body
    assert "The patient was 16 when referred" in body
    assert "Patient&#x27;s age is outside the service&#x27;s eligibility" in body


def test_the_referrer_of_a_child_is_told_what_may_happen_not_given_triage_advice(world, login):
    world.patient.date_of_birth = timezone.localdate().replace(year=timezone.localdate().year - 16)
    world.patient.save()
    made = builders.referral(world.patient, world.gp)
    body = login(world.gp).get(reverse("referrals:detail", args=[made.uuid])).content.decode()
    assert "The patient was 16 when referred" in body
    assert "the team may not accept this referral" in body
    assert "consider rejecting" not in body


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Choose accept, reject or redirect."),
        ({"decision": "accept"}, "Choose a priority"),
        ({"decision": "reject", "advice_to_referrer": "x"}, "Choose the reason"),
        ({"decision": "reject", "rejection_reason": "other"}, "Give advice to the referrer"),
        ({"decision": "redirect", "note": "x"}, "Choose where to redirect"),
        ({"decision": "redirect", "redirect_to": "neurology"}, "Add a note"),
        (
            {"decision": "redirect", "redirect_to": "other", "note": "Seen by the MSK team."},
            "Say in the advice to the referrer which service",
        ),
        ({"decision": "accept", "priority": "emergency"}, "Select a valid choice"),
        ({"decision": "reject", "rejection_reason": "bored", "advice_to_referrer": "x"}, "valid"),
    ],
)
def test_an_incomplete_decision_is_a_clear_400(world, login, data, message):
    made = builders.referral(world.patient, world.gp)
    response = login(world.clinician).post(reverse("referrals:decide", args=[made.uuid]), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "<title>Error: Referral " in response.content.decode()
    made.refresh_from_db()
    assert made.status == "submitted"


def test_advice_too_long_is_said_once_not_as_missing_too(world, login):
    made = builders.referral(world.patient, world.gp)
    data = {"decision": "reject", "rejection_reason": "other", "advice_to_referrer": "x" * 4001}
    response = login(world.clinician).post(reverse("referrals:decide", args=[made.uuid]), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "Keep the advice to 4,000 characters or fewer." in body
    assert "Give advice to the referrer" not in body
    made.refresh_from_db()
    assert made.status == "submitted"


def test_a_decision_on_a_decided_referral_is_a_409_with_a_message(world, login):
    made = builders.decided(world.patient, world.gp, world.clinician, "reject")
    response = login(world.clinician).post(
        reverse("referrals:decide", args=[made.uuid]), {"decision": "accept", "priority": "routine"}
    )
    assert response.status_code == 409
    assert "already been decided" in response.content.decode()
    made.refresh_from_db()
    assert made.status == "rejected"


def test_accepting_an_unmatched_self_referral_asks_for_matching(world, login):
    made = builders.self_referral(world.practice_a)
    response = login(world.clinician).post(
        reverse("referrals:decide", args=[made.uuid]), {"decision": "accept", "priority": "routine"}
    )
    assert response.status_code == 400
    assert "Match this self-referral" in response.content.decode()


def test_a_clinician_matches_a_self_referral(world, login):
    made = builders.self_referral_by(world.patient)
    client = login(world.clinician)
    url = reverse("referrals:match", args=[made.uuid])
    bad = client.post(url, {"nhs_number": "123"})
    assert bad.status_code == 400
    assert "<title>Error: Referral " in bad.content.decode()
    response = client.post(url, {"nhs_number": world.patient_in_c.nhs_number})
    assert response.status_code == 400
    assert "No patient with this NHS number" in response.content.decode()
    response = client.post(url, {"nhs_number": world.patient.nhs_number})
    assert response.status_code == 302
    made.refresh_from_db()
    assert made.patient == world.patient
    page = client.get(response["Location"]).content.decode()
    assert "differ from these details" not in page


def _new_to_the_service(world, **stated):
    """A self-referral from someone with no record: Sam Self, born 1990, at practice B."""
    return builders.self_referral(world.practice_b, **{"nhs_number": "9434765919", **stated})


def _as_posted(form_page: str) -> dict:
    """The patient form's values as the page shows them, as a browser would send them back."""
    values = dict(
        re.findall(r'<input(?![^>]*checkbox)[^>]*name="([a-z_]+)"[^>]*value="([^"]*)"', form_page)
    )
    values.pop("csrfmiddlewaretoken", None)
    chosen = re.search(
        r'name="registered_practice".*?<option value="(\d+)" selected', form_page, re.S
    )
    values["registered_practice"] = chosen.group(1) if chosen else ""
    return values


def test_a_self_referrer_with_no_record_is_added_from_what_they_gave_and_matched(world, login):
    made = _new_to_the_service(world, mobile="+447700900456")
    client = login(world.clinician)
    detail = client.get(reverse("referrals:detail", args=[made.uuid])).content.decode()
    url = reverse("referrals:add-patient", args=[made.uuid])
    assert f'href="{url}"' in detail
    form_page = client.get(url).content.decode()
    values = _as_posted(form_page)
    # What they gave is filled in, with consent to the way they chose to be contacted (email):
    # no other is assumed.
    assert values["given_name"] == "Sam" and values["family_name"] == "Self"
    assert values["nhs_number"] == "9434765919" and values["mobile"] == "07700 900456"
    assert values["registered_practice"] == str(world.practice_b.pk)
    assert (values["date_of_birth_day"], values["date_of_birth_year"]) == ("1", "1990")
    assert re.search(r'name="email_consent"[^>]* checked', form_page)
    assert not re.search(r'name="sms_consent"[^>]* checked', form_page)
    response = client.post(url, {**values, "sex": "female", "email_consent": "on"})
    assert response.status_code == 302
    patient = Patient.objects.get(nhs_number="9434765919")
    made.refresh_from_db()
    assert made.patient == patient and not patient.sms_consent and patient.email_consent
    assert response["Location"] == reverse("referrals:detail", args=[made.uuid])
    page = client.get(response["Location"]).content.decode()
    assert "has been added and the self-referral matched to them" in page
    # Matched: it can no longer be added again.
    again = client.get(url)
    assert again.status_code == 302 and Patient.objects.filter(nhs_number="9434765919").count() == 1


@pytest.mark.parametrize(
    ("chose", "mobile", "ticked"),
    [
        ("sms", "+447700900456", {"sms_consent"}),
        ("sms", "01632 960001", set()),  # a landline cannot take a text
        ("phone", "+447700900456", set()),
        ("letter", "", set()),
    ],
)
def test_a_self_referrers_record_starts_with_consent_to_the_way_they_chose(
    world, login, chose, mobile, ticked
):
    made = _new_to_the_service(world, preferred_contact=chose, mobile=mobile)
    page = login(world.clinician).get(reverse("referrals:add-patient", args=[made.uuid]))
    body = page.content.decode()
    assert {
        box
        for box in ("sms_consent", "email_consent")
        if re.search(f'name="{box}"[^>]* checked', body)
    } == ticked


def test_a_record_added_with_a_corrected_detail_is_left_for_the_clinician_to_match(world, login):
    made = _new_to_the_service(world, given_name="Sammy")
    response = login(world.clinician).post(
        reverse("referrals:add-patient", args=[made.uuid]),
        {
            "nhs_number": "9434765919",
            "given_name": "Samantha",  # as the practice has her
            "family_name": "Self",
            "date_of_birth_day": "1",
            "date_of_birth_month": "1",
            "date_of_birth_year": "1990",
            "sex": "female",
            "registered_practice": world.practice_b.pk,
        },
    )
    assert response.status_code == 302 and response["Location"].endswith("#match")
    made.refresh_from_db()
    assert made.patient is None and Patient.objects.filter(given_name="Samantha").exists()


def test_adding_a_patient_for_a_self_referral_refuses_a_number_already_on_record(world, login):
    made = _new_to_the_service(world, nhs_number=world.patient.nhs_number)
    url = reverse("referrals:add-patient", args=[made.uuid])
    response = login(world.clinician).post(
        url, {**_as_posted(login(world.clinician).get(url).content.decode()), "sex": "male"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert f"Match the referral to {world.patient.full_name}" in page
    made.refresh_from_db()
    assert made.patient is None


def _mismatched(world):
    """A self-referral from someone who is not world.patient: another name, date of birth and
    practice (builders.stated's Sam Self, born 1990, at practice B)."""
    return builders.self_referral(world.practice_b)


def test_a_record_that_differs_is_shown_side_by_side_and_not_matched(world, login):
    made = _mismatched(world)
    client = login(world.clinician)
    response = client.post(
        reverse("referrals:match", args=[made.uuid]), {"nhs_number": world.patient.nhs_number}
    )
    # A check to make, not yet an error.
    assert response.status_code == 200
    body = response.content.decode()
    assert "<title>Error: " not in body
    assert "Check this is the same person" in body
    assert (
        "The patient record&#x27;s first name, last name, date of birth and GP practice are "
        "different from what the self-referrer gave us" in body
    )
    # Both sides, each difference marked, and the box to confirm.
    for text in ("Sam", "Alice", "Self", "Anders", "1 January 1990", "17 May 1980"):
        assert text in body
    assert "Practice A" in body and "Practice B" in body
    assert body.count(">Different</strong>") == 4
    assert "I have checked this is the same person" in body
    assert f'name="shown_patient" value="{world.patient.uuid}"' in body
    assert 'name="shown_differences" value="given_name,family_name,date_of_birth,practice"' in body
    made.refresh_from_db()
    assert made.patient is None and made.matched_at is None
    # The comparison showed the record: a staff read of it.
    assert AuditEvent.objects.filter(
        actor=world.clinician, patient=world.patient, action="view", object_uuid=made.uuid
    ).exists()


def _confirm(world, made, **overrides):
    data = {
        "nhs_number": world.patient.nhs_number,
        "shown_patient": str(world.patient.uuid),
        "shown_differences": "given_name,family_name,date_of_birth,practice",
        "same_person": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_a_record_that_differs_needs_the_same_person_box_ticked(world, login):
    made = _mismatched(world)
    response = login(world.clinician).post(
        reverse("referrals:match", args=[made.uuid]), _confirm(world, made, same_person=None)
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Confirm that you have checked this is the same person" in body
    assert 'href="#id_same_person"' in body
    made.refresh_from_db()
    assert made.patient is None


def test_a_confirmed_match_is_made_audited_by_name_and_shown_on_the_referral(world, login):
    made = _mismatched(world)
    client = login(world.clinician)
    response = client.post(reverse("referrals:match", args=[made.uuid]), _confirm(world, made))
    assert response.status_code == 302
    made.refresh_from_db()
    assert made.patient == world.patient and made.matched_by == world.clinician
    # The match, after the screen run again with the record's age (1980, not 1990).
    screen, event = AuditEvent.objects.filter(object_uuid=made.uuid, action="update").order_by("pk")
    assert screen.fields == ["age_at_referral", "rescreened_at"]
    assert event.fields == sorted(
        [
            "patient",
            "episode",
            "matched_at",
            "matched_by",
            "confirmed_mismatch_given_name",
            "confirmed_mismatch_family_name",
            "confirmed_mismatch_date_of_birth",
            "confirmed_mismatch_practice",
        ]
    )
    # Field names only: none of the values.
    assert "Sam" not in str(event.fields) and "1990" not in str(event.fields)
    page = client.get(response["Location"]).content.decode()
    assert (
        "The record's first name, last name, date of birth and GP practice differ from these "
        "details.</strong> Nurse Nia confirmed they are the same person." in page
    )


def test_a_confirmation_for_one_patient_does_not_match_another(world, login):
    made = _mismatched(world)
    # The box was ticked for world.patient's comparison, then the number was changed.
    response = login(world.clinician).post(
        reverse("referrals:match", args=[made.uuid]),
        _confirm(world, made, nhs_number=world.other_patient.nhs_number),
    )
    assert response.status_code == 200
    assert world.other_patient.full_name.split()[0] in response.content.decode()
    made.refresh_from_db()
    assert made.patient is None


def test_a_confirmation_of_fewer_differences_than_the_record_has_is_refused(world, login):
    made = _mismatched(world)
    response = login(world.clinician).post(
        reverse("referrals:match", args=[made.uuid]),
        _confirm(world, made, shown_differences="date_of_birth"),
    )
    assert response.status_code == 200
    assert "I have checked this is the same person" in response.content.decode()
    made.refresh_from_db()
    assert made.patient is None


def test_a_stated_nhs_number_that_differs_must_be_confirmed(world, login):
    made = builders.self_referral_by(world.patient, nhs_number="9434765919")
    response = login(world.clinician).post(
        reverse("referrals:match", args=[made.uuid]), {"nhs_number": world.patient.nhs_number}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "The patient record&#x27;s NHS number is different" in body
    assert "943 476 5919" in body and body.count(">Different</strong>") == 1


def test_matching_a_patient_with_an_open_referral_is_a_409(world, login):
    builders.referral(world.patient, world.gp)
    made = builders.self_referral_by(world.patient)
    response = login(world.clinician).post(
        reverse("referrals:match", args=[made.uuid]), {"nhs_number": world.patient.nhs_number}
    )
    assert response.status_code == 409
    assert "already has an open referral" in response.content.decode()


def test_a_wrong_match_is_undone_from_the_referral_page(world, login):
    made = _mismatched(world)
    client = login(world.clinician)
    client.post(reverse("referrals:match", args=[made.uuid]), _confirm(world, made))
    page = client.get(reverse("referrals:detail", args=[made.uuid])).content.decode()
    assert "Matched to the wrong person?" in page
    unmatch = reverse("referrals:unmatch", args=[made.uuid])
    refused = client.post(unmatch, {})
    assert refused.status_code == 400
    assert "Confirm that the referral was matched to the wrong person" in refused.content.decode()
    made.refresh_from_db()
    assert made.patient == world.patient
    response = client.post(unmatch, {"wrong_person": "on"})
    assert response.status_code == 302
    made.refresh_from_db()
    assert made.patient is None and made.unmatched_by == world.clinician
    page = client.get(response["Location"]).content.decode()
    assert f"The match to {world.patient.full_name}" in page
    assert "an earlier match was to the wrong person" in page
    assert "Match to a patient record" in page
    assert "Matched to the wrong person?" not in page


def test_a_decided_wrong_match_is_corrected_from_the_referral_page(world, login):
    made = _mismatched(world)
    client = login(world.clinician)
    client.post(reverse("referrals:match", args=[made.uuid]), _confirm(world, made))
    client.post(
        reverse("referrals:decide", args=[made.uuid]), {"decision": "accept", "priority": "routine"}
    )
    page = client.get(reverse("referrals:detail", args=[made.uuid])).content.decode()
    assert "Correct the match" in page
    response = client.post(
        reverse("referrals:correct-match", args=[made.uuid]), {"wrong_person": "on"}, follow=True
    )
    body = response.content.decode()
    assert "is marked entered in error on their record" in body
    assert "Match to a patient record" in body  # the copy, waiting to be matched
    made.refresh_from_db()
    assert made.entered_in_error


def test_only_the_triage_team_can_undo_a_match(world, login):
    made = _mismatched(world)
    login(world.clinician).post(reverse("referrals:match", args=[made.uuid]), _confirm(world, made))
    unmatch = reverse("referrals:unmatch", args=[made.uuid])
    for user in (world.gp, world.patient_user, world.commissioner):
        assert login(user).post(unmatch, {"wrong_person": "on"}).status_code in (403, 404)
    made.refresh_from_db()
    assert made.patient == world.patient


def test_fields_needed_for_one_decision_are_not_labelled_optional(world, login):
    referral = builders.referral(world.patient, world.gp)
    page = login(world.clinician).get(reverse("referrals:detail", args=[referral.uuid]))
    html = page.content.decode()
    for label in ("Priority", "Reason for rejecting", "Redirect to", "Advice to the referrer"):
        assert f"{label} (optional)" not in html
    assert (
        "Needed to reject. The referrer reads it with the outcome (the patient, for a "
        "self-referral)."
    ) in html
    assert "Needed to redirect." in html


# Waiting list


def test_the_waiting_list_shows_accepted_patients_awaiting_first_contact(world, login):
    waiting = builders.decided(world.patient, world.gp, world.clinician)
    seen = builders.decided(world.other_patient, world.gp, world.clinician)
    Milestone.objects.create(
        episode_id=seen.episode_id, kind="first_contact", occurred_at=timezone.now()
    )
    rejected = builders.decided(world.patient_in_b, world.gp, world.clinician, "reject")
    submitted = builders.referral(world.patient, world.gp, condition="chronic_pain")
    body = login(world.clinician).get(WAITING).content.decode()
    assert str(waiting.uuid) in body
    for other in (seen, rejected, submitted):
        assert str(other.uuid) not in body


def test_the_waiting_list_puts_breaches_first_using_each_prioritys_target(world, login):
    # Routine target 28 days, urgent 14 (pathway.Target rows).
    routine_20 = builders.decided(world.patient, world.gp, world.clinician)
    _triaged_ago(routine_20, 20)
    urgent_10 = builders.decided(world.other_patient, world.gp, world.clinician, priority="urgent")
    _triaged_ago(urgent_10, 10)
    urgent_16 = builders.decided(world.patient_in_b, world.gp, world.clinician, priority="urgent")
    _triaged_ago(urgent_16, 16)
    body = login(world.clinician).get(WAITING).content.decode()
    order = [body.index(str(r.uuid)) for r in (urgent_16, urgent_10, routine_20)]
    assert order == sorted(order)
    assert "16 of 14 days" in body and "Breached" in body
    assert "20 of 28 days" in body


def test_an_urgent_referral_is_due_14_days_from_referral_whenever_it_was_triaged(world, login):
    # Referred 12 days ago and triaged 3 days ago: due in 2 days (14 from referral), not in 11
    # (14 from triage), so it comes before an urgent referral triaged 10 days ago (due in 4).
    late = builders.decided(world.patient, world.gp, world.clinician, priority="urgent")
    Referral.objects.filter(pk=late.pk).update(submitted_at=timezone.now() - timedelta(days=12))
    _triaged_ago(late, 3)
    prompt = builders.decided(world.other_patient, world.gp, world.clinician, priority="urgent")
    _triaged_ago(prompt, 10)
    client = login(world.clinician)
    body = client.get(WAITING).content.decode()
    assert body.index(str(late.uuid)) < body.index(str(prompt.uuid))
    assert "12 of 14 days" in body and "Target: 14 days from referral" in body
    assert "10 of 14 days" in body and "Target: 14 days from triage" in body
    due = timezone.localtime(timezone.now() + timedelta(days=2))
    page = client.get(reverse("referrals:detail", args=[late.uuid])).content.decode()
    assert f"First contact target: within 14 days of the referral, by {due:%-d %B %Y}." in page


def test_the_waiting_list_filters_by_practice_and_priority(world, login):
    in_a = builders.decided(world.patient, world.gp, world.clinician, priority="urgent")
    in_b = builders.decided(world.patient_in_b, world.gp, world.clinician)
    client = login(world.clinician)
    body = client.get(WAITING, {"practice": world.practice_b.pk}).content.decode()
    assert str(in_b.uuid) in body and str(in_a.uuid) not in body
    body = client.get(WAITING, {"priority": "urgent"}).content.decode()
    assert str(in_a.uuid) in body and str(in_b.uuid) not in body
    # A practice outside the clinician's scope is not a valid filter: said in the list's own
    # words, and nobody listed rather than everyone, as if filtered.
    response = client.get(WAITING, {"practice": world.practice_c.pk, "priority": "soon"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Choose a practice from the list" in body
    assert "Choose a priority from the list" in body
    assert "Choose the filters again to see the list." in body
    assert str(in_a.uuid) not in body and str(in_b.uuid) not in body


def test_the_waiting_list_has_a_constant_query_count(world, login):
    builders.decided(world.patient, world.gp, world.clinician)

    def grow():
        for priority in ("urgent", "routine", "urgent"):
            builders.decided(
                PatientFactory(registered_practice=world.practice_b),
                world.gp,
                world.clinician,
                priority=priority,
            )

    _assert_constant(login(world.clinician), WAITING, grow)


# Letters


def test_the_referrer_and_staff_download_a_letter_and_it_is_audited(world, login):
    made = builders.decided(world.patient, world.gp, world.clinician)
    letter = builders.letter(made)
    url = reverse("referrals:letter", args=[letter.uuid])
    for user in (world.gp, world.clinician):
        response = login(user).get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Cache-Control"] == "private, no-store"
        assert "attachment" in response["Content-Disposition"]
        assert response.content == builders.FAKE_PDF
        assert AuditEvent.objects.filter(actor=user, action="download", object_uuid=letter.uuid)
    assert login(world.other_gp).get(url).status_code == 404


def test_a_referrer_keeps_access_to_their_letter_after_the_patient_moves(world, login):
    partner = UserFactory(role="gp", organisations=[world.practice_b])
    made = builders.referral(world.patient_in_b, partner, source="partner")
    letter_url = None
    from referrals import services
    from referrals.services import Decision

    services.triage_referral(
        actor=world.clinician,
        referral=made,
        decision=Decision(decision="accept", priority="routine"),
    )
    letter_url = reverse("referrals:letter", args=[builders.letter(made).uuid])
    world.patient_in_b.registered_practice = world.practice_c
    world.patient_in_b.save()
    assert login(partner).get(letter_url).status_code == 200


def test_the_patient_referrals_tab_has_a_constant_query_count(world, login):
    builders.decided(world.patient, world.gp, world.clinician)
    url = reverse("referrals:patient-referrals", args=[world.patient.uuid])

    def grow():
        builders.letter(
            builders.decided(world.patient, world.gp, world.clinician, "reject", "chronic_pain")
        )
        builders.referral(world.patient, world.gp, condition="chronic_pain")

    _assert_constant(login(world.gp), url, grow)


def test_the_admin_shows_referrals_without_delete(world, login):
    made = builders.decided(world.patient, world.gp, world.clinician)
    builders.letter(made)
    client = login(world.admin)
    for name in ("referral", "emergencystop", "referralletter"):
        assert client.get(reverse(f"admin:referrals_{name}_changelist")).status_code == 200
    page = client.get(reverse("admin:referrals_referral_change", args=[made.pk]))
    assert page.status_code == 200
    assert client.get(reverse("admin:referrals_referral_delete", args=[made.pk])).status_code == 403


def test_the_link_to_the_patients_referrals_shows_only_to_whoever_may_open_it(world, login):
    made = builders.referral(world.patient, world.gp)
    url = reverse("referrals:detail", kwargs={"referral_uuid": made.uuid})
    link = reverse("referrals:patient-referrals", args=[world.patient.uuid])
    client = login(world.gp)
    assert link in client.get(url).content.decode()
    assert client.get(link).status_code == 200
    # The patient registers with a practice outside the GP's: the GP still sees the referral
    # they sent, but no longer the patient's other records.
    Patient.objects.filter(pk=world.patient.pk).update(registered_practice=world.practice_c)
    response = client.get(url)
    assert response.status_code == 200
    assert link not in response.content.decode()
    assert client.get(link).status_code == 404


def test_the_referring_gp_withdraws_a_referral_not_yet_triaged(world, login):
    made = builders.referral(world.patient, world.gp)
    url = reverse("referrals:detail", kwargs={"referral_uuid": made.uuid})
    client = login(world.gp)
    assert "Withdraw this referral" in client.get(url).content.decode()
    page = client.post(
        reverse("referrals:withdraw", kwargs={"referral_uuid": made.uuid}), follow=True
    ).content.decode()
    assert "Referral withdrawn. The care team will not triage it." in page
    made.refresh_from_db()
    assert made.status == "closed" and made.closed_at is not None
    assert made.episode.status == "discharged"
    assert "Withdraw this referral" not in page
    # Once triaged, the team holds it.
    decided = builders.decided(world.other_patient, world.gp, world.clinician)
    client.post(reverse("referrals:withdraw", kwargs={"referral_uuid": decided.uuid}))
    decided.refresh_from_db()
    assert decided.status == "accepted"
    # The care team's clinician is not offered it.
    other = builders.referral(world.other_patient, world.gp, condition="chronic_pain")
    team_page = login(world.clinician).get(
        reverse("referrals:detail", kwargs={"referral_uuid": other.uuid})
    )
    assert "Withdraw this referral" not in team_page.content.decode()


def test_a_gp_cannot_withdraw_a_patients_own_self_referral(world, login):
    own = builders.self_referral_by(world.patient, red_flags=["change_in_personality"])
    services.match_self_referral(actor=world.clinician, referral=own, patient=world.patient)
    url = reverse("referrals:detail", kwargs={"referral_uuid": own.uuid})
    client = login(world.gp)
    assert "Withdraw this referral" not in client.get(url).content.decode()

    page = client.post(
        reverse("referrals:withdraw", kwargs={"referral_uuid": own.uuid}), follow=True
    ).content.decode()

    assert "so it is not the practice's to withdraw" in html.unescape(page)
    own.refresh_from_db()
    assert own.status == "submitted" and own.episode.status == "referred"
