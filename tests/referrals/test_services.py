"""Referral services: submission, self-referral, matching, triage, closing, emergency stops."""

import uuid
from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from pathway.models import Assessment, AuditEvent, Episode, Milestone, Notification, Patient
from referrals import letters, selectors, services
from referrals.models import EmergencyStop, PreventiveTried, Referral
from referrals.services import Decision
from tests.factories import EpisodeFactory
from tests.referrals import builders

pytestmark = pytest.mark.django_db


def _milestones(episode):
    return list(episode.milestones.order_by("occurred_at", "id").values_list("kind", flat=True))


# Submission


def test_it_submits_a_routine_referral_with_episode_milestone_and_audit(world):
    referral = builders.referral(
        world.patient,
        world.gp,
        preventives=(
            {
                "medicine": "Propranolol",
                "dose": "80 mg",
                "duration_weeks": 12,
                "stopped_reason": "ineffective",
            },
        ),
    )
    assert referral.status == "submitted"
    assert referral.urgency == "routine"
    assert referral.referrer == world.gp
    episode = referral.episode
    assert episode.patient == world.patient
    assert episode.status == "referred"
    assert _milestones(episode) == ["referral_received"]
    assert episode.milestones.get().occurred_at == referral.submitted_at
    assert PreventiveTried.objects.get(referral=referral).medicine == "Propranolol"
    event = AuditEvent.objects.get(object_uuid=referral.uuid)
    assert event.action == "create"
    assert event.patient == world.patient
    assert "problem" in event.fields
    # Field names only, never values.
    assert "Headaches most days" not in str(event.fields)


def test_it_marks_a_referral_urgent_from_the_screen(world):
    world.patient.date_of_birth = date(1960, 1, 1)
    world.patient.save()
    referral = builders.referral(world.patient, world.gp, red_flags=("new_onset_headache",))
    assert referral.urgency == "urgent"
    assert referral.red_flags == ["new_onset_headache"]
    assert referral.age_at_referral >= 50


def test_it_refuses_an_emergency_referral_and_saves_nothing(world):
    with pytest.raises(services.EmergencyFlagsPresent):
        builders.referral(world.patient, world.gp, red_flags=("thunderclap_onset",))
    assert Referral.objects.count() == 0
    assert Episode.objects.count() == 0


def test_it_refuses_an_unknown_red_flag_code(world):
    with pytest.raises(services.ReferralError, match="Unknown red-flag"):
        builders.referral(world.patient, world.gp, red_flags=("worst_ever",))
    assert Referral.objects.count() == 0


def test_it_refuses_a_referral_without_consent(world):
    with pytest.raises(services.ReferralError, match="agree to be contacted"):
        builders.referral(world.patient, world.gp, consent_to_contact=False)
    assert Referral.objects.count() == 0


def test_it_refuses_a_second_open_referral_for_the_same_condition(world):
    builders.referral(world.patient, world.gp)
    with pytest.raises(services.DuplicateOpenReferral, match="already has an open referral"):
        builders.referral(world.patient, world.gp)
    assert Referral.objects.count() == 1
    # Another condition is fine.
    builders.referral(world.patient, world.gp, condition="chronic_pain")


def test_the_database_keeps_one_open_referral_per_patient_and_condition(world):
    first = builders.referral(world.patient, world.gp)
    duplicate = Referral.objects.get(pk=first.pk)
    duplicate.pk = None
    duplicate.uuid = uuid.uuid4()
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_it_allows_a_new_referral_once_the_last_was_rejected(world):
    builders.decided(world.patient, world.gp, world.clinician, "reject")
    again = builders.referral(world.patient, world.gp)
    assert again.status == "submitted"
    # The rejected referral's episode was closed, so a new one opens.
    assert again.episode.status == "referred"
    assert Episode.objects.filter(patient=world.patient).count() == 2


def test_it_reuses_the_patients_open_episode(world):
    episode = EpisodeFactory(patient=world.patient, condition="headache", status="active")
    referral = builders.referral(world.patient, world.gp)
    assert referral.episode == episode


def _new_patient(world, **changes) -> dict:
    return {
        "nhs_number": "9434765919",
        "given_name": "Nia",
        "family_name": "New",
        "date_of_birth": date(1990, 3, 3),
        "sex": "female",
        "registered_practice": world.practice_a,
        "mobile": "",
        "email": "",
        **changes,
    }


def test_it_creates_a_new_patient_with_the_referral_in_one_transaction(world):
    new_patient = _new_patient(world)
    referral = services.submit_referral(
        actor=world.gp, source="gp", new_patient=new_patient, content=builders.content()
    )
    assert referral.patient.nhs_number == "9434765919"
    # An emergency referral for a new patient leaves no patient behind.
    with pytest.raises(services.EmergencyFlagsPresent):
        services.submit_referral(
            actor=world.gp,
            source="gp",
            new_patient={**new_patient, "nhs_number": "9990000018"},
            content=builders.content(red_flags=("papilloedema",)),
        )
    assert not Patient.objects.filter(nhs_number="9990000018").exists()


@pytest.mark.parametrize(
    ("preferred", "mobile", "email", "texts", "emails"),
    [
        ("sms", "07700900123", "", True, False),
        ("email", "07700900123", "nia@example.com", False, True),
        ("sms", "", "nia@example.com", False, False),  # no number to text
        ("phone", "07700900123", "nia@example.com", False, False),
    ],
)
def test_a_new_patient_agrees_to_messages_the_way_the_referral_says_they_prefer(
    world, preferred, mobile, email, texts, emails
):
    referral = services.submit_referral(
        actor=world.gp,
        source="gp",
        new_patient=_new_patient(world, mobile=mobile, email=email),
        content=builders.content(preferred_contact=preferred),
    )
    patient = referral.patient
    assert (patient.sms_consent, patient.email_consent) == (texts, emails)
    assert (patient.consent_recorded_at is not None) == (texts or emails)


def test_a_referral_does_not_change_what_a_patient_on_record_agreed_to(world):
    # The patient on record said no to texts; a referral preferring them does not overrule it.
    type(world.patient).objects.filter(pk=world.patient.pk).update(sms_consent=False)
    builders.referral(world.patient, world.gp, preferred_contact="sms")
    world.patient.refresh_from_db()
    assert not world.patient.sms_consent


def test_a_new_patient_added_meanwhile_stops_the_referral_with_a_message(world):
    # The same form sent twice at once: the other request added the patient first.
    new_patient = _new_patient(world, nhs_number=world.patient.nhs_number)
    with pytest.raises(services.ReferralError, match="was added a moment ago"):
        services.submit_referral(
            actor=world.gp, source="gp", new_patient=new_patient, content=builders.content()
        )
    assert Patient.objects.filter(nhs_number=world.patient.nhs_number).count() == 1
    assert not world.patient.referrals.exists()


def test_it_saves_screeners_as_assessments_linked_to_the_referral(world):
    referral = builders.referral(
        world.patient,
        world.gp,
        questionnaires={
            "ID_MIGRAINE": [True, True, False],
            "PHQ-9": [0, 0, 0, 0, 0, 0, 0, 0, 1],
            "GAD-7": [1, 1, 1, 1, 1, 1, 1],
        },
    )
    found = {a.instrument: a for a in referral.assessments.all()}
    assert found["ID_MIGRAINE"].band == "positive"
    assert found["PHQ-9"].alert is True
    assert found["GAD-7"].total == 7
    assert {a.context for a in found.values()} == {"referral"}


def test_it_refuses_invalid_questionnaire_answers_and_saves_nothing(world):
    with pytest.raises(services.ReferralError, match="PHQ-9"):
        builders.referral(world.patient, world.gp, questionnaires={"PHQ-9": [4] * 9})
    assert Referral.objects.count() == 0
    assert Assessment.objects.count() == 0


# Emergency stops


def test_it_records_the_advice_given_when_a_gp_is_stopped(world):
    stop = builders.stop(world.gp, world.patient)
    assert stop.created_by == world.gp
    assert stop.patient == world.patient
    assert "999" in stop.advice[0]
    assert Referral.objects.count() == 0
    assert AuditEvent.objects.filter(object_uuid=stop.uuid, action="create").exists()


def test_a_self_referrers_stop_holds_no_personal_details(world):
    stop = services.record_emergency_stop(
        actor=None,
        source="self",
        red_flags=["jaw_claudication"],
        stated_practice=world.practice_a,
    )
    assert stop.created_by is None and stop.patient is None
    assert any("GP surgery" in line for line in stop.advice)


def test_it_will_not_record_a_stop_without_an_emergency_flag(world):
    with pytest.raises(services.ReferralError):
        services.record_emergency_stop(
            actor=world.gp, source="gp", red_flags=["orthostatic_headache"]
        )
    assert EmergencyStop.objects.count() == 0


# Self-referral and matching


def _born_years_ago(years: int, days: int = 0) -> date:
    today = timezone.localdate()
    try:
        then = today.replace(year=today.year - years)
    except ValueError:  # today is 29 February
        then = today.replace(year=today.year - years, day=28)
    return then + timedelta(days=days)


def test_a_self_referrer_under_18_is_refused(world):
    with pytest.raises(services.NotAnAdult, match="18 or over"):
        builders.self_referral(world.practice_a, date_of_birth=_born_years_ago(18, days=1))
    assert Referral.objects.count() == 0
    made = builders.self_referral(world.practice_a, date_of_birth=_born_years_ago(18))
    assert made.age_at_referral == 18


def test_a_professional_may_still_refer_someone_under_18_for_triage_to_decide(world):
    world.patient.date_of_birth = _born_years_ago(16)
    world.patient.save()
    assert builders.referral(world.patient, world.gp).age_at_referral == 16


def test_a_self_referral_is_pending_without_a_patient(world):
    referral = builders.self_referral(world.practice_a)
    assert referral.source == "self"
    assert referral.patient is None and referral.referrer is None and referral.episode is None
    assert referral.stated_practice == world.practice_a
    assert referral.status == "submitted"


def test_matching_opens_the_episode_from_when_the_self_referral_arrived(world):
    referral = builders.self_referral_by(world.patient)
    Referral.objects.filter(pk=referral.pk).update(
        submitted_at=timezone.now() - timedelta(days=3),
        id_migraine_answers=[True, False, True],
    )
    referral.refresh_from_db()
    matched = services.match_self_referral(
        actor=world.clinician, referral=referral, patient=world.patient
    )
    assert matched.patient == world.patient
    assert matched.matched_by == world.clinician
    milestone = Milestone.objects.get(episode=matched.episode, kind="referral_received")
    assert milestone.occurred_at == referral.submitted_at
    assessment = matched.assessments.get()
    assert (assessment.instrument, assessment.context, assessment.band) == (
        "ID_MIGRAINE",
        "self",
        "positive",
    )


def test_matching_refuses_a_patient_with_an_open_referral(world):
    builders.referral(world.patient, world.gp)
    referral = builders.self_referral_by(world.patient)
    with pytest.raises(services.DuplicateOpenReferral):
        services.match_self_referral(
            actor=world.clinician, referral=referral, patient=world.patient
        )
    referral.refresh_from_db()
    assert referral.patient is None


def test_matching_twice_is_refused(world):
    referral = builders.self_referral_by(world.patient)
    services.match_self_referral(actor=world.clinician, referral=referral, patient=world.patient)
    with pytest.raises(services.ReferralError):
        services.match_self_referral(
            actor=world.clinician, referral=referral, patient=world.other_patient
        )


def test_a_record_that_differs_is_not_matched_without_confirmation(world):
    # Sam Self, born 1990, at practice B: nothing like world.patient's record.
    referral = builders.self_referral(world.practice_b)
    with pytest.raises(services.MatchNotConfirmed) as refused:
        services.match_self_referral(
            actor=world.clinician, referral=referral, patient=world.patient
        )
    assert refused.value.differences == ("given_name", "family_name", "date_of_birth", "practice")
    assert "first name, last name, date of birth and GP practice are different" in str(
        refused.value
    )
    referral.refresh_from_db()
    assert referral.patient is None and referral.episode is None
    assert not Episode.objects.filter(patient=world.patient).exists()


def test_confirming_only_some_differences_is_not_enough(world):
    referral = builders.self_referral(world.practice_b)
    with pytest.raises(services.MatchNotConfirmed):
        services.match_self_referral(
            actor=world.clinician,
            referral=referral,
            patient=world.patient,
            confirmed_differences=("date_of_birth",),
        )
    referral.refresh_from_db()
    assert referral.patient is None


def test_a_confirmed_match_records_the_differences_by_name(world):
    referral = builders.self_referral_by(world.patient, date_of_birth=date(1980, 5, 18))
    matched = services.match_self_referral(
        actor=world.clinician,
        referral=referral,
        patient=world.patient,
        confirmed_differences=("date_of_birth",),
    )
    assert matched.patient == world.patient
    event = AuditEvent.objects.get(object_uuid=referral.uuid, action="update")
    assert event.patient == world.patient
    assert event.fields == [
        "confirmed_mismatch_date_of_birth",
        "episode",
        "matched_at",
        "matched_by",
        "patient",
    ]


def test_an_exact_match_ignores_case_and_spacing_and_needs_no_confirmation(world):
    referral = builders.self_referral_by(
        world.patient, given_name=" alice ", family_name="ANDERS", nhs_number=""
    )
    services.match_self_referral(actor=world.clinician, referral=referral, patient=world.patient)
    event = AuditEvent.objects.get(object_uuid=referral.uuid, action="update")
    assert event.fields == ["episode", "matched_at", "matched_by", "patient"]


# Undoing a match to the wrong person


def _wrongly_matched(world):
    """Sam Self's self-referral, with ID Migraine answers, matched to world.patient anyway."""
    referral = builders.self_referral(world.practice_b)
    Referral.objects.filter(pk=referral.pk).update(id_migraine_answers=[True, False, True])
    referral.refresh_from_db()
    return services.match_self_referral(
        actor=world.clinician,
        referral=referral,
        patient=world.patient,
        confirmed_differences=("given_name", "family_name", "date_of_birth", "practice"),
    )


def test_unmatching_takes_the_referral_off_the_wrong_record(world):
    matched = _wrongly_matched(world)
    episode, assessment = matched.episode, matched.assessments.get()
    unmatched = services.unmatch_self_referral(actor=world.clinician, referral=matched)
    assert unmatched.patient is None and unmatched.episode is None
    assert unmatched.matched_at is None and unmatched.matched_by is None
    assert unmatched.unmatched_by == world.clinician and unmatched.unmatched_at is not None
    assert unmatched.status == "submitted"
    # The opened episode is entered in error with no milestone left to count in the figures.
    episode.refresh_from_db()
    assert episode.status == "entered_in_error"
    assert not episode.milestones.exists()
    # The answers saved to the wrong record are entered in error and off the referral; the raw
    # answers stay on it, to be saved again at the right match.
    assessment.refresh_from_db()
    assert assessment.entered_in_error
    assert not unmatched.assessments.exists()
    assert unmatched.id_migraine_answers == [True, False, True]
    assert not Referral.objects.filter(patient=world.patient).exists()
    actions = set(
        AuditEvent.objects.filter(patient=world.patient, actor=world.clinician).values_list(
            "action", "object_type"
        )
    )
    assert actions == {
        ("update", "referrals.referral"),
        ("entered_in_error", "pathway.episode"),
        ("entered_in_error", "pathway.assessment"),
    }


def test_an_unmatched_referral_can_be_matched_to_the_right_person(world):
    matched = _wrongly_matched(world)
    services.unmatch_self_referral(actor=world.clinician, referral=matched)
    right = world.other_patient
    differences = selectors.match_differences(Referral.objects.get(pk=matched.pk), right)
    rematched = services.match_self_referral(
        actor=world.clinician,
        referral=matched,
        patient=right,
        confirmed_differences=differences,
    )
    assert rematched.patient == right
    assert rematched.episode.patient == right and rematched.episode.status == "referred"
    assert rematched.assessments.get().patient == right
    assert rematched.unmatched_at is not None  # the earlier mistake stays on the referral


def test_unmatching_leaves_an_episode_the_match_reused(world):
    episode = EpisodeFactory(patient=world.patient, condition="headache", status="active")
    matched = _wrongly_matched(world)
    assert matched.episode == episode
    services.unmatch_self_referral(actor=world.clinician, referral=matched)
    episode.refresh_from_db()
    assert episode.status == "active"


def test_unmatching_leaves_an_episode_with_a_later_milestone(world):
    matched = _wrongly_matched(world)
    Milestone.objects.create(episode=matched.episode, kind="triaged", occurred_at=timezone.now())
    services.unmatch_self_referral(actor=world.clinician, referral=matched)
    matched.episode.refresh_from_db()
    assert matched.episode.status == "referred"


def test_unmatching_leaves_an_episode_that_holds_other_rows(world):
    matched = _wrongly_matched(world)
    # Another referral's row points at the episode: it is not the match's alone.
    other = builders.decided(world.other_patient, world.gp, world.clinician, "reject")
    Referral.objects.filter(pk=other.pk).update(episode=matched.episode)
    services.unmatch_self_referral(actor=world.clinician, referral=matched)
    matched.episode.refresh_from_db()
    assert matched.episode.status == "referred"
    assert matched.episode.milestones.filter(kind="referral_received").exists()


def test_a_decided_wrong_match_is_corrected_into_a_fresh_copy_waiting_for_triage(world):
    matched = _wrongly_matched(world)
    services.triage_referral(
        actor=world.clinician,
        referral=matched,
        decision=Decision(decision="accept", priority="routine"),
    )
    matched.refresh_from_db()
    episode = matched.episode
    Notification.objects.filter(kind="referral_decision").update(status="queued")
    copy = services.correct_decided_wrong_match(actor=world.clinician, referral=matched)
    matched.refresh_from_db()
    episode.refresh_from_db()
    assert matched.entered_in_error and episode.status == "entered_in_error"
    assert not episode.milestones.exists()
    assert not Referral.objects.live().filter(patient=world.patient).exists()
    assert matched.assessments.get().entered_in_error
    # Not yet sent to the wrong person: withdrawn.
    assert not Notification.objects.filter(kind="referral_decision", status="queued").exists()
    # The copy: what Sam sent, from when it arrived, waiting to be matched and triaged.
    assert (copy.status, copy.patient, copy.episode) == ("submitted", None, None)
    assert copy.submitted_at == matched.submitted_at
    assert (copy.stated_given_name, copy.problem) == (matched.stated_given_name, matched.problem)
    assert copy.id_migraine_answers == [True, False, True]
    assert copy.unmatched_by == world.clinician and not copy.entered_in_error
    rematched = services.match_self_referral(
        actor=world.clinician,
        referral=copy,
        patient=world.other_patient,
        confirmed_differences=selectors.match_differences(copy, world.other_patient),
    )
    assert rematched.assessments.get().patient == world.other_patient


def test_a_wrong_match_whose_care_has_started_is_not_corrected_automatically(world):
    matched = _wrongly_matched(world)
    services.triage_referral(
        actor=world.clinician,
        referral=matched,
        decision=Decision(decision="accept", priority="routine"),
    )
    matched.refresh_from_db()
    Milestone.objects.create(
        episode=matched.episode, kind="first_contact", occurred_at=timezone.now()
    )
    with pytest.raises(services.ReferralError, match="care has started on this referral"):
        services.correct_decided_wrong_match(actor=world.clinician, referral=matched)
    matched.refresh_from_db()
    assert not matched.entered_in_error


@pytest.mark.parametrize("state", ["unmatched", "gp", "decided"])
def test_only_a_matched_undecided_self_referral_can_be_unmatched(world, state):
    if state == "unmatched":
        referral = builders.self_referral(world.practice_b)
    elif state == "gp":
        referral = builders.referral(world.patient, world.gp)
    else:
        referral = _wrongly_matched(world)
        services.triage_referral(
            actor=world.clinician,
            referral=referral,
            decision=Decision(decision="reject", rejection_reason="other", advice_to_referrer="x"),
        )
    error = services.ReferralAlreadyDecided if state == "decided" else services.ReferralError
    with pytest.raises(error):
        services.unmatch_self_referral(actor=world.clinician, referral=referral)


# Triage


def test_accepting_sets_priority_milestone_audit_and_tells_the_referrer(
    world, django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr(letters, "enqueue_triage_letter", queued.append)
    monkeypatch.setattr("pathway.notifications.outbox.enqueue_delivery", lambda *a, **k: True)
    made = builders.referral(world.patient, world.gp)
    with django_capture_on_commit_callbacks(execute=True):
        decided = services.triage_referral(
            actor=world.clinician,
            referral=made,
            decision=Decision(decision="accept", priority="urgent"),
        )
    assert decided.status == "accepted"
    assert decided.priority == "urgent"
    assert decided.decided_by == world.clinician and decided.decided_at is not None
    episode = Episode.objects.get(pk=made.episode_id)
    assert (episode.status, episode.priority) == ("active", "urgent")
    assert episode.responsible_clinician == world.clinician
    assert _milestones(episode) == ["referral_received", "triaged"]
    assert AuditEvent.objects.filter(object_uuid=made.uuid, action="decide").exists()
    note = Notification.objects.get(user=world.gp)
    assert (note.channel, note.template) == ("email", "referrals-decision")
    assert note.context == {"link": note.context["link"]}
    assert str(made.uuid) in note.context["link"]
    assert queued == [str(made.uuid)]


@pytest.mark.parametrize("decision", ["reject", "redirect"])
def test_rejecting_or_redirecting_triages_and_discharges_the_new_episode(world, decision):
    decided = builders.decided(world.patient, world.gp, world.clinician, decision)
    episode = Episode.objects.get(pk=decided.episode_id)
    assert episode.status == "discharged"
    assert episode.closed_at is not None
    assert _milestones(episode) == ["referral_received", "triaged", "discharged"]
    assert decided.priority == ""


def test_rejecting_leaves_an_episode_already_in_care_open(world):
    episode = EpisodeFactory(patient=world.patient, condition="headache", status="active")
    builders.decided(world.patient, world.gp, world.clinician, "reject")
    episode.refresh_from_db()
    assert episode.status == "active"


def test_a_decision_on_a_decided_referral_is_refused(world):
    decided = builders.decided(world.patient, world.gp, world.clinician)
    for decision in (
        Decision(decision="reject", rejection_reason="other", advice_to_referrer="x"),
        Decision(decision="accept", priority="routine"),
    ):
        with pytest.raises(services.ReferralAlreadyDecided):
            services.triage_referral(actor=world.clinician, referral=decided, decision=decision)
    decided.refresh_from_db()
    assert decided.status == "accepted"
    assert AuditEvent.objects.filter(object_uuid=decided.uuid, action="decide").count() == 1


def test_a_stale_copy_cannot_decide_twice(world):
    made = builders.referral(world.patient, world.gp)
    stale = Referral.objects.get(pk=made.pk)
    services.triage_referral(
        actor=world.clinician,
        referral=made,
        decision=Decision(decision="accept", priority="routine"),
    )
    with pytest.raises(services.ReferralAlreadyDecided):
        services.triage_referral(
            actor=world.clinician,
            referral=stale,
            decision=Decision(decision="redirect", redirect_to="neurology"),
        )


@pytest.mark.parametrize(
    ("decision", "message"),
    [
        (Decision(decision="maybe"), "accept, reject or redirect"),
        (Decision(decision="accept"), "priority"),
        (Decision(decision="accept", priority="emergency"), "priority"),
        (Decision(decision="reject", advice_to_referrer="x"), "reason"),
        (Decision(decision="reject", rejection_reason="nope", advice_to_referrer="x"), "reason"),
        (Decision(decision="reject", rejection_reason="other"), "advice"),
        (Decision(decision="redirect", redirect_to="space"), "redirect"),
        (
            Decision(decision="redirect", redirect_to="other", note="Seen by the MSK team."),
            "which service to refer the patient to",
        ),
    ],
)
def test_an_incomplete_decision_is_refused(world, decision, message):
    made = builders.referral(world.patient, world.gp)
    with pytest.raises(services.ReferralError, match=message):
        services.triage_referral(actor=world.clinician, referral=made, decision=decision)
    made.refresh_from_db()
    assert made.status == "submitted"


def test_an_unmatched_self_referral_cannot_be_accepted_but_can_be_rejected(world):
    referral = builders.self_referral(world.practice_a)
    with pytest.raises(services.ReferralNotMatched):
        services.triage_referral(
            actor=world.clinician,
            referral=referral,
            decision=Decision(decision="accept", priority="routine"),
        )
    services.triage_referral(
        actor=world.clinician,
        referral=referral,
        decision=Decision(
            decision="reject", rejection_reason="outside_area", advice_to_referrer="See your GP."
        ),
    )
    referral.refresh_from_db()
    assert referral.status == "rejected"
    # Nobody to message through the outbox before matching.
    assert Notification.objects.count() == 0


def test_a_matched_self_referrer_is_told_on_their_preferred_channel(world):
    referral = builders.self_referral_by(world.patient, preferred_contact="sms")
    services.match_self_referral(actor=world.clinician, referral=referral, patient=world.patient)
    services.triage_referral(
        actor=world.clinician,
        referral=referral,
        decision=Decision(decision="accept", priority="routine"),
    )
    note = Notification.objects.get(patient=world.patient)
    assert (note.channel, note.template) == ("sms", "referrals-self-decision")


@pytest.mark.parametrize(
    ("chosen", "sms", "email", "channel"),
    [
        ("email", True, True, "email"),
        ("email", True, False, "sms"),  # chose email, but gave no consent for it
        ("sms", False, True, "email"),
        ("phone", True, True, "sms"),
        ("letter", False, True, "email"),
        ("phone", False, False, None),
        ("email", False, False, None),
    ],
)
def test_a_self_referrer_is_told_only_on_a_channel_they_may_be_sent(
    world, chosen, sms, email, channel
):
    type(world.patient).objects.filter(pk=world.patient.pk).update(
        sms_consent=sms, email_consent=email
    )
    world.patient.refresh_from_db()
    referral = builders.self_referral_by(world.patient, preferred_contact=chosen)
    services.match_self_referral(actor=world.clinician, referral=referral, patient=world.patient)
    referral.refresh_from_db()
    assert services.outcome_channel(referral) == channel
    services.triage_referral(
        actor=world.clinician,
        referral=referral,
        decision=Decision(decision="accept", priority="routine"),
    )
    # Nothing queued that delivery would only cancel.
    sent = Notification.objects.filter(patient=world.patient, kind="referral_decision")
    assert list(sent.values_list("channel", flat=True)) == ([channel] if channel else [])


def _urgent(world):
    return builders.referral(world.patient, world.gp, red_flags=("orthostatic_headache",))


def test_accepting_an_urgent_referral_as_routine_needs_a_reason(world):
    made = _urgent(world)
    with pytest.raises(services.PriorityReasonNeeded, match="routine priority when the red-flag"):
        services.triage_referral(
            actor=world.clinician,
            referral=made,
            decision=Decision(decision="accept", priority="routine", note="  "),
        )
    made.refresh_from_db()
    assert (made.status, made.priority) == ("submitted", "")
    assert not AuditEvent.objects.filter(object_uuid=made.uuid, action="decide").exists()


def test_the_reason_for_a_lower_priority_is_kept_with_the_decision(world):
    made = _urgent(world)
    decided = services.triage_referral(
        actor=world.clinician,
        referral=made,
        decision=Decision(decision="accept", priority="routine", note="Long-standing; stable."),
    )
    assert (decided.status, decided.priority) == ("accepted", "routine")
    assert decided.decision_note == "Long-standing; stable."
    assert Episode.objects.get(pk=made.episode_id).priority == "routine"
    event = AuditEvent.objects.get(object_uuid=made.uuid, action="decide")
    assert "decision_note" in event.fields and "Long-standing" not in str(event.fields)


def test_rejecting_an_urgent_referral_needs_no_priority_reason(world):
    made = _urgent(world)
    decided = services.triage_referral(
        actor=world.clinician,
        referral=made,
        decision=Decision(
            decision="redirect", redirect_to="neurology", advice_to_referrer="Refer to neurology."
        ),
    )
    assert decided.status == "redirected"


# Closing


def test_a_submitted_referral_can_be_withdrawn_and_its_episode_closed(world, login):
    made = builders.referral(world.patient, world.gp)
    closed = services.close_referral(actor=world.gp, referral=made)
    assert closed.status == "closed" and closed.closed_at is not None
    assert Episode.objects.get(pk=made.episode_id).status == "discharged"
    page = login(world.gp).get(reverse("referrals:detail", args=[made.uuid])).content.decode()
    assert f"Withdrawn {timezone.localtime(closed.closed_at):%-d %B %Y}, before triage" in page


def test_an_accepted_referral_closes_without_touching_its_episode(world):
    decided = builders.decided(world.patient, world.gp, world.clinician)
    services.close_referral(actor=world.clinician, referral=decided)
    assert Episode.objects.get(pk=decided.episode_id).status == "active"


@pytest.mark.parametrize("decision", ["reject", "redirect"])
def test_a_referral_decided_against_cannot_be_closed(world, decision):
    decided = builders.decided(world.patient, world.gp, world.clinician, decision)
    with pytest.raises(services.ReferralError):
        services.close_referral(actor=world.gp, referral=decided)


def test_a_closed_referral_cannot_be_decided(world):
    made = builders.referral(world.patient, world.gp)
    services.close_referral(actor=world.gp, referral=made)
    with pytest.raises(services.ReferralAlreadyDecided):
        services.triage_referral(
            actor=world.clinician,
            referral=made,
            decision=Decision(decision="accept", priority="routine"),
        )


def test_a_broker_outage_does_not_fail_the_decision(world, monkeypatch):
    from referrals import tasks

    def broken(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.render_triage_letter, "delay", broken)
    assert letters.enqueue_triage_letter("x") is False


def test_a_red_flag_change_from_nowhere_known_says_only_what_changed():
    assert str(services.RedFlagsChanged("", "urgent (within 2 weeks)")) == (
        "Since the page was opened, it was screened again, and it is now urgent (within 2 "
        "weeks). Check the red flags, then decide again."
    )
