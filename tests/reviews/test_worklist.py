"""The care team's worklist: ranking, filters and a constant number of queries."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from pathway.models import Milestone, Target
from reviews import worklist
from reviews.models import QuestionnaireRequest, Review, SafetyAlert
from reviews.selectors import teams
from reviews.services import questionnaires as questionnaire_services
from tests.factories import EpisodeFactory, PatientFactory, UserFactory
from tests.reviews import builders

URL = reverse("reviews:worklist")


@pytest.fixture(autouse=True)
def _computed_every_time(settings):
    """These tests check which reasons are found, so every call computes them;
    test_worklist_cache.py checks the kept list."""
    settings.WORKLIST_CACHE_SECONDS = 0


def _overdue_review(patient, days=10, **episode_fields):
    episode = EpisodeFactory(patient=patient, **episode_fields)
    Milestone.objects.create(
        episode=episode,
        kind="annual_review_due",
        occurred_at=timezone.now() - timedelta(days=days),
    )
    return episode


def test_it_ranks_safety_alerts_above_overdue_reviews_above_questionnaires(world, login):
    builders.questionnaire_request(world.patient_in_b, days_ago=10)
    _overdue_review(world.other_patient)
    builders.safety_alert(world.patient)
    rows = login(world.clinician).get(URL).context["rows"]
    assert [(r.patient, r.top.code) for r in rows] == [
        (world.patient, "safety_alert"),
        (world.other_patient, "review_overdue"),
        (world.patient_in_b, "questionnaire_outstanding"),
    ]


def test_a_patient_with_several_reasons_is_one_row_listing_them_all(world, login):
    builders.safety_alert(world.patient)
    _overdue_review(world.patient)
    rows = login(world.clinician).get(URL).context["rows"]
    assert len(rows) == 1
    assert [r.code for r in rows[0].reasons] == ["safety_alert", "review_overdue"]


def test_each_row_links_to_the_patients_reviews_and_an_alert_to_its_page(world, login):
    alert = builders.safety_alert(world.patient)
    response = login(world.clinician).get(URL)
    [row] = response.context["rows"]
    patient_page = reverse("reviews:patient-reviews", kwargs={"patient_uuid": world.patient.uuid})
    alert_page = reverse("reviews:alert", kwargs={"alert_uuid": alert.uuid})
    assert (row.url, row.top.url) == (patient_page, alert_page)
    assert f'href="{patient_page}"'.encode() in response.content
    assert f'href="{alert_page}"'.encode() in response.content


def test_an_alert_row_names_who_is_responsible_as_its_page_does(world, login, second_clinician):
    held = builders.safety_alert(world.patient, clinician=second_clinician)
    # Raised while no one was responsible for the patient's care; a referral accepted since
    # named someone, and the alert is theirs now.
    unheld = builders.safety_alert(world.other_patient)
    EpisodeFactory(patient=world.other_patient, responsible_clinician=world.clinician)
    # Still no one: every clinician caring for the patient was emailed.
    nobody = builders.safety_alert(world.patient_in_b)
    client = login(world.clinician)
    rows = {row.patient: row.top for row in client.get(URL).context["rows"]}
    detail = "PHQ-9 item 9 answered above 0: record the action taken"
    assert rows[world.patient].detail == f"{detail} (responsible: Physio Pat)"
    assert rows[world.other_patient].detail == f"{detail} (responsible: Nurse Nia)"
    assert rows[world.patient_in_b].detail == detail
    for alert, named in ((held, "Physio Pat"), (unheld, "Nurse Nia")):
        page = client.get(reverse("reviews:alert", kwargs={"alert_uuid": alert.uuid}))
        start = page.content.decode().index("Responsible clinician")
        assert named in page.content.decode()[start : start + 400]
    page = client.get(reverse("reviews:alert", kwargs={"alert_uuid": nobody.uuid}))
    assert "No one: every clinician caring for the patient was emailed" in page.content.decode()


def test_a_questionnaire_not_yet_due_is_not_outstanding(world, login):
    builders.questionnaire_request(world.patient, days_ago=2)
    assert login(world.clinician).get(URL).context["rows"] == []


def test_a_review_held_after_the_due_date_clears_it(world):
    episode = _overdue_review(world.patient)
    Milestone.objects.create(
        episode=episode,
        kind="annual_review_due",
        occurred_at=timezone.now() + timedelta(days=300),
    )
    assert worklist.worklist_for(world.clinician).rows == []


def test_a_later_review_bringing_the_next_review_forward_makes_it_overdue_sooner(world):
    episode = EpisodeFactory(patient=world.patient)
    for when in (timezone.now() + timedelta(days=300), timezone.now() - timedelta(days=2)):
        Milestone.objects.create(episode=episode, kind="annual_review_due", occurred_at=when)
    rows = worklist.worklist_for(world.clinician).rows
    assert [r.top.code for r in rows] == ["review_overdue"]


def test_without_a_due_date_a_review_older_than_a_year_is_overdue(world):
    episode = EpisodeFactory(patient=world.patient)
    Milestone.objects.create(
        episode=episode, kind="review_held", occurred_at=timezone.now() - timedelta(days=400)
    )
    rows = worklist.worklist_for(world.clinician).rows
    assert [r.top.code for r in rows] == ["review_overdue"]


@pytest.mark.parametrize(
    ("kind", "words"), [("follow_up", "Follow-up"), ("annual_review", "Annual review")]
)
def test_an_overdue_review_is_named_as_the_review_that_set_it_said(world, kind, words):
    review = builders.review_held(world.patient, world.clinician, next_in_days=3, next_kind=kind)
    due = timezone.now() - timedelta(days=2)
    Milestone.objects.filter(episode=review.episode, kind="annual_review_due").update(
        occurred_at=due
    )
    [row] = worklist.worklist_for(world.clinician).rows
    assert row.top.code == "review_overdue"
    assert row.top.detail == f"{words} was due {timezone.localtime(due):%-d %B %Y}"


def test_an_overdue_review_says_when_one_is_booked(world):
    _overdue_review(world.patient)
    [row] = worklist.worklist_for(world.clinician).rows
    assert "booked" not in row.top.detail
    start = timezone.now() + timedelta(days=9)
    builders.appointment(world.patient, world.clinician, start=start, kind="annual_review")
    builders.appointment(world.patient, world.clinician, start=start + timedelta(days=30))
    # Neither a group session nor a cancelled review counts.
    builders.appointment(world.patient, world.clinician, kind="group_session")
    [row] = worklist.worklist_for(world.clinician).rows
    assert row.top.code == "review_overdue"
    assert row.top.detail.endswith(
        f"; appointment booked for {timezone.localtime(start):%-d %B %Y}"
    )


def test_a_missed_appointment_stays_on_the_list_until_another_is_booked(world, login):
    missed = timezone.now() - timedelta(days=3)
    builders.appointment(world.patient, world.clinician, start=missed - timedelta(days=40),
                         status="attended")  # fmt: skip
    builders.appointment(world.patient, world.clinician, start=missed, status="did_not_attend")
    # Cancelled since, and a group session: neither is a rebooking.
    builders.appointment(world.patient, world.clinician, status="cancelled")
    builders.appointment(world.patient, world.clinician, kind="group_session")
    [row] = worklist.worklist_for(world.clinician).rows
    assert row.top.code == "not_rebooked"
    assert row.top.label == "Did not attend, not rebooked"
    assert row.top.detail == (
        f"Follow-up on {timezone.localtime(missed):%-d %B %Y}; nothing booked since"
    )
    page = login(world.clinician).get(URL).content.decode()
    assert "Did not attend, not rebooked" in page
    builders.appointment(world.patient, world.clinician, kind="annual_review")
    assert worklist.worklist_for(world.clinician).rows == []


def test_a_missed_appointment_of_a_discharged_patient_is_not_listed(world):
    appointment = builders.appointment(
        world.patient,
        world.clinician,
        start=timezone.now() - timedelta(days=3),
        status="did_not_attend",
    )
    episode = appointment.episode
    episode.status = "discharged"
    episode.closed_at = timezone.now()
    episode.save()
    assert worklist.worklist_for(world.clinician).rows == []


def test_target_breaches_use_the_target_table(world):
    episode = EpisodeFactory(patient=world.patient, priority="urgent")
    Milestone.objects.create(
        episode=episode, kind="triaged", occurred_at=timezone.now() - timedelta(days=15)
    )
    routine = EpisodeFactory(patient=world.other_patient, priority="routine")
    Milestone.objects.create(
        episode=routine, kind="triaged", occurred_at=timezone.now() - timedelta(days=15)
    )
    rows = worklist.worklist_for(world.clinician).rows
    # Urgent: 14 days to first contact, breached. Routine: 28 days, not yet.
    assert [(r.patient_id, r.top.code) for r in rows] == [(world.patient.pk, "target_breach")]
    assert "Triage to first contact (urgent)" in rows[0].top.detail
    Milestone.objects.create(episode=episode, kind="first_contact", occurred_at=timezone.now())
    assert worklist.worklist_for(world.clinician).rows == []


def test_an_urgent_referral_breaches_14_days_after_referral_however_late_it_was_triaged(world):
    episode = EpisodeFactory(patient=world.patient, priority="urgent")
    now = timezone.now()
    Milestone.objects.create(
        episode=episode, kind="referral_received", occurred_at=now - timedelta(days=15)
    )
    Milestone.objects.create(episode=episode, kind="triaged", occurred_at=now - timedelta(days=5))
    rows = worklist.worklist_for(world.clinician).rows
    assert [(r.patient_id, r.top.code) for r in rows] == [(world.patient.pk, "target_breach")]
    assert "Referral to first contact (urgent): over 14 days" in rows[0].top.detail


def test_filters_by_practice_and_responsible_clinician(world, login, second_clinician):
    _overdue_review(world.patient, responsible_clinician=second_clinician)
    _overdue_review(world.patient_in_b, responsible_clinician=world.clinician)
    client = login(world.clinician)
    by_practice = client.get(URL, {"practice": world.practice_b.ods_code}).context["rows"]
    assert [r.patient for r in by_practice] == [world.patient_in_b]
    by_clinician = client.get(URL, {"clinician": str(second_clinician.uuid)}).context["rows"]
    assert [r.patient for r in by_clinician] == [world.patient]
    # An unknown filter value is ignored rather than an error.
    assert len(client.get(URL, {"clinician": "nope", "practice": "X"}).context["rows"]) == 2


def test_an_alert_held_by_a_clinician_who_has_left_the_team_is_on_every_clinicians_own_list(
    world, login, second_clinician
):
    builders.safety_alert(world.patient, clinician=second_clinician)
    client = login(world.clinician)
    mine = {"clinician": str(world.clinician.uuid)}
    assert client.get(URL, mine).context["rows"] == []  # a colleague holds it
    # Moved to another PCN's team, their account still open.
    second_clinician.memberships.update(organisation=world.pcn2)
    rows = client.get(URL, mine).context["rows"]
    assert [(r.patient, r.top.code) for r in rows] == [(world.patient, "safety_alert")]
    second_clinician.memberships.update(organisation=world.service)
    assert client.get(URL, mine).context["rows"] == []
    # Their account closed.
    second_clinician.is_active = False
    second_clinician.save()
    rows = client.get(URL, mine).context["rows"]
    assert [(r.patient, r.top.code) for r in rows] == [(world.patient, "safety_alert")]


def test_the_filter_choices_are_each_teams_own(world, login, second_clinician):
    mine = login(world.clinician).get(URL).context
    assert [c.full_name for c in mine["clinicians"]] == ["Nurse Nia", "Physio Pat"]
    assert [p.name for p in mine["practices"]] == ["Practice A", "Practice B"]
    theirs = login(world.other_clinician).get(URL).context
    assert [c.full_name for c in theirs["clinicians"]] == ["Nurse Otto"]
    assert [p.name for p in theirs["practices"]] == ["Practice C"]
    page = login(world.clinician).get(URL).content.decode()
    assert "Physio Pat" in page
    assert "Nurse Otto" not in page
    assert "Practice C" not in page


def test_the_filter_choices_are_read_once_a_minute_per_team(
    world, login, second_clinician, monkeypatch
):
    reads = []
    # Patched where worklist_filter_choices looks it up.
    real = teams.team_clinicians
    monkeypatch.setattr(teams, "team_clinicians", lambda user: reads.append(user) or real(user))
    client = login(world.clinician)
    client.get(URL)
    client.get(URL, {"practice": world.practice_b.ods_code})
    assert len(reads) == 1
    # A colleague who joins the team shows once the minute is up.
    UserFactory(role="clinician", full_name="Coach Cal", organisations=[world.service])
    cache.clear()
    choices = client.get(URL).context["clinicians"]
    assert [c.full_name for c in choices] == ["Coach Cal", "Nurse Nia", "Physio Pat"]
    assert len(reads) == 2
    # What is kept is what the filters show: no password hashes or other fields.
    assert all("password" not in vars(c) and "email" not in vars(c) for c in choices)


def test_another_pcns_patients_never_appear(world, login):
    builders.safety_alert(world.patient_in_c)
    assert login(world.clinician).get(URL).context["rows"] == []
    rows = login(world.other_clinician).get(URL).context["rows"]
    assert [r.patient for r in rows] == [world.patient_in_c]


SEVERE_PHQ9 = [3, 3, 3, 3, 3, 3, 2, 2, 0]  # 22, item 9 not at all: no safety alert
MODERATELY_SEVERE_PHQ9 = [2, 2, 2, 2, 2, 2, 2, 2, 0]  # 16


def _review(patient, clinician, *, when):
    appointment = builders.appointment(patient, clinician, start=when, status="attended")
    return Review.objects.create(
        appointment=appointment,
        patient=patient,
        summary="Talked about low mood; GP to follow up.",
        mental_health_follow_up="gp_follow_up",
        next_review_date=timezone.localdate() + timedelta(days=180),
        completed_by=clinician,
        completed_at=when,
    )


def test_a_severe_mood_score_with_no_review_since_is_listed_below_the_red_flags(world, login):
    # clinical-rules.md section 7: a total of 20+ with item 9 = 0 raises no alert, but the
    # severity band still prompts review.
    EpisodeFactory(patient=world.patient)
    phq9 = builders.assessment(world.patient, "PHQ-9", SEVERE_PHQ9)
    builders.safety_alert(world.other_patient)
    _overdue_review(world.patient_in_b)
    response = login(world.clinician).get(URL)
    rows = response.context["rows"]
    assert [(r.patient, r.top.code) for r in rows] == [
        (world.other_patient, "safety_alert"),
        (world.patient, "severe_score"),
        (world.patient_in_b, "review_overdue"),
    ]
    when = timezone.localtime(phq9.completed_at)
    detail = f"PHQ-9 score 22 on {when:%-d %B %Y}, in the severe band: no review since"
    assert rows[1].top.detail == detail
    page = response.content.decode()
    assert detail in page and "Severe mood or anxiety score: <strong>1</strong>" in page
    assert not SafetyAlert.objects.filter(patient=world.patient).exists()


def test_a_severe_anxiety_score_is_listed_and_a_moderately_severe_mood_score_is_not(world):
    EpisodeFactory(patient=world.patient)
    EpisodeFactory(patient=world.other_patient)
    builders.assessment(world.patient, "GAD-7", [3, 3, 3, 2, 2, 1, 1])  # 15
    builders.assessment(world.other_patient, "PHQ-9", MODERATELY_SEVERE_PHQ9)
    rows = worklist.worklist_for(world.clinician).rows
    assert [(r.patient_id, r.top.code) for r in rows] == [(world.patient.pk, "severe_score")]
    assert rows[0].top.detail.startswith("GAD-7 score 15 on ")


def test_a_review_or_a_later_milder_score_clears_a_severe_one(world):
    EpisodeFactory(patient=world.patient)
    EpisodeFactory(patient=world.other_patient)
    earlier = timezone.now() - timedelta(days=3)
    builders.assessment(world.patient, "PHQ-9", SEVERE_PHQ9, when=earlier)
    builders.assessment(world.other_patient, "PHQ-9", SEVERE_PHQ9, when=earlier)
    assert {r.patient_id for r in worklist.worklist_for(world.clinician).rows} == {
        world.patient.pk,
        world.other_patient.pk,
    }
    _review(world.patient, world.clinician, when=earlier - timedelta(days=1))  # before: not it
    builders.assessment(world.other_patient, "PHQ-9", MODERATELY_SEVERE_PHQ9)
    assert [r.patient_id for r in worklist.worklist_for(world.clinician).rows] == [world.patient.pk]
    _review(world.patient, world.clinician, when=timezone.now())
    assert worklist.worklist_for(world.clinician).rows == []


def test_a_score_entered_in_error_neither_lists_nor_clears_a_patient(world):
    EpisodeFactory(patient=world.patient)
    EpisodeFactory(patient=world.other_patient)
    wrong = builders.assessment(world.patient, "PHQ-9", SEVERE_PHQ9)
    wrong.entered_in_error = True
    wrong.save()
    builders.assessment(
        world.other_patient, "PHQ-9", SEVERE_PHQ9, when=timezone.now() - timedelta(days=1)
    )
    milder = builders.assessment(world.other_patient, "PHQ-9", MODERATELY_SEVERE_PHQ9)
    milder.entered_in_error = True
    milder.save()
    rows = worklist.worklist_for(world.clinician).rows
    assert [(r.patient_id, r.top.code) for r in rows] == [(world.other_patient.pk, "severe_score")]


def test_a_severe_score_of_a_patient_no_longer_under_the_team_is_not_listed(world):
    episode = EpisodeFactory(patient=world.patient)
    builders.assessment(world.patient, "PHQ-9", SEVERE_PHQ9)
    episode.status, episode.closed_at = "discharged", timezone.now()
    episode.save()
    EpisodeFactory(patient=world.patient_in_c)  # another PCN's patient
    builders.assessment(world.patient_in_c, "PHQ-9", SEVERE_PHQ9)
    assert worklist.worklist_for(world.clinician).rows == []


def _fill(world, count):
    for _ in range(count):
        patient = PatientFactory(registered_practice=world.practice_a)
        builders.safety_alert(patient)
        _overdue_review(patient)
        builders.questionnaire_request(patient, days_ago=10)
        builders.assessment(patient, "GAD-7", [3] * 7)


def test_the_page_costs_the_same_number_of_queries_however_many_patients(
    world, login, django_assert_num_queries
):
    client = login(world.clinician)
    _fill(world, 1)
    client.get(URL)  # warm the session and content types
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert client.get(URL).status_code == 200
    _fill(world, 40)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(URL)
    assert len(response.context["rows"]) == 25  # paginated
    assert response.context["total"] == 41


def test_a_priority_with_its_own_target_is_not_also_measured_against_the_one_for_any(world):
    """As the waiting list and the dashboard measure it: the routine target of 28 days, not a
    shorter one for any priority as well."""
    Target.objects.create(
        name="Triage to first contact (any)",
        from_milestone="triaged",
        to_milestone="first_contact",
        priority="any",
        days=21,
    )
    routine = EpisodeFactory(patient=world.patient, priority="routine")
    Milestone.objects.create(
        episode=routine, kind="triaged", occurred_at=timezone.now() - timedelta(days=23)
    )
    assert worklist.worklist_for(world.clinician).rows == []
    # With no routine target of its own, the one for any applies.
    Target.objects.filter(to_milestone="first_contact", priority="routine").delete()
    rows = worklist.worklist_for(world.clinician).rows
    assert [r.top.detail for r in rows] == ["Triage to first contact (any): over 21 days"]


def test_a_referral_waiting_for_triage_is_measured_by_the_urgency_the_screen_gave(world):
    from referrals.models import Referral
    from tests.factories import urgent_triage_target
    from tests.referrals import builders as referral_builders

    urgent_triage_target(days=1)
    made = referral_builders.referral(world.patient, world.gp)
    two_days_ago = timezone.now() - timedelta(days=2)
    Referral.objects.filter(pk=made.pk).update(urgency="urgent", submitted_at=two_days_ago)
    Milestone.objects.filter(episode=made.episode).update(occurred_at=two_days_ago)
    details = [r.detail for row in worklist.worklist_for(world.clinician).rows for r in row.reasons]
    assert "Urgent referral to triage: over 1 day" in details


def test_an_urgent_self_referral_not_yet_matched_is_named_above_the_patients(world, login):
    from tests.referrals import builders as referral_builders

    urgent = referral_builders.self_referral(
        world.practice_a, given_name="Robin", red_flags=["orthostatic_headache"]
    )
    referral_builders.self_referral(world.practice_a, given_name="Rowan")  # routine
    elsewhere = referral_builders.self_referral(  # another PCN's to triage
        world.practice_c, given_name="Remy", red_flags=["orthostatic_headache"]
    )
    assert (urgent.urgency, elsewhere.urgency) == ("urgent", "urgent")
    page = login(world.clinician).get(URL).content.decode()
    callout = page.split('id="self-referrals-to-match"')[1].split("</div>")[0]
    assert reverse("referrals:detail", args=[urgent.uuid]) in callout and "Robin" in callout
    assert "Rowan" not in callout and "Remy" not in callout
    # Once matched, the patient's own row carries it instead.
    from referrals import services as referral_services

    referral_services.match_self_referral(
        actor=world.clinician,
        referral=urgent,
        patient=world.other_patient,
        confirmed_differences=("given_name", "family_name", "date_of_birth", "practice"),
    )
    assert 'id="self-referrals-to-match"' not in login(world.clinician).get(URL).content.decode()


def test_a_milder_set_sent_again_does_not_clear_a_severe_score(world):
    # Two windows on the same questionnaire: the second's answers are not a later score.
    EpisodeFactory(patient=world.patient)
    request = builders.questionnaire_request(world.patient, instrument="PHQ-9")
    stale = QuestionnaireRequest.objects.get(pk=request.pk)
    questionnaire_services.submit_questionnaire(
        actor=world.clinician, request=request, answers=SEVERE_PHQ9
    )
    questionnaire_services.submit_questionnaire(
        actor=world.clinician, request=stale, answers=[0] * 9
    )
    rows = worklist.worklist_for(world.clinician).rows
    assert [(r.patient_id, r.top.code) for r in rows] == [(world.patient.pk, "severe_score")]


def test_a_severe_set_sent_again_after_a_severe_one_is_listed_once(world):
    EpisodeFactory(patient=world.patient)
    request = builders.questionnaire_request(world.patient, instrument="PHQ-9")
    stale = QuestionnaireRequest.objects.get(pk=request.pk)
    for copy, answers in ((request, SEVERE_PHQ9), (stale, [3, 3, 3, 3, 3, 3, 3, 2, 0])):
        questionnaire_services.submit_questionnaire(
            actor=world.clinician, request=copy, answers=answers
        )
    result = worklist.worklist_for(world.clinician)
    assert [len(row.reasons) for row in result.rows] == [1]
    assert result.counts["severe_score"] == 1
