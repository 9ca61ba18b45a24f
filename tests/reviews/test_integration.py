"""The parts of reviews that read other apps: worklist rows from referrals, care plans and
diaries, and the review page's diary summary, care plan and trials due review. Rows are made with
those apps' own test builders, through their services."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from diaries.models import DiaryEntry
from pathway.models import Assessment, AuditEvent
from reviews import sources, worklist
from reviews.models import SafetyAlert
from tests.careplans import builders as careplan_builders
from tests.diaries import builders as diary_builders
from tests.factories import PatientFactory
from tests.referrals import builders as referral_builders
from tests.reviews import builders

URL = reverse("reviews:worklist")


def _chronic_diary(patient, days=90):
    # Under the team's care: diary reasons are for patients with an open episode.
    builders.episode_for(patient)
    DiaryEntry.objects.bulk_create(
        diary_builders.flag_entry(patient, diary_builders.days_ago(n), headache=True)
        for n in range(days)
    )


def _overdue_trial(patient):
    plan = careplan_builders.agreed_plan(patient)
    started = timezone.localdate() - timedelta(days=120)
    return careplan_builders.trial(
        plan, started_on=started, review_due=started + timedelta(days=84)
    )


def test_a_red_flag_referral_waiting_for_triage_is_on_the_worklist(world, login):
    referral = referral_builders.referral(
        world.patient, world.gp, red_flags=("change_in_personality",)
    )
    referral_builders.referral(world.other_patient, world.gp)  # no red flag: not listed
    rows = login(world.clinician).get(URL).context["rows"]
    assert [(r.patient, r.top.code) for r in rows] == [(world.patient, "red_flag_referral")]
    assert rows[0].top.url == reverse("referrals:detail", kwargs={"referral_uuid": referral.uuid})


def test_a_clinicians_list_keeps_what_nobody_holds_yet(world, login, second_clinician):
    """Filtered to one clinician, the list still shows the team's red-flag referrals waiting
    for triage and safety alerts no clinician is responsible for; another clinician's alert
    stays on their own list."""
    builders.episode_for(world.patient_in_b, responsible_clinician=world.clinician)
    referral_builders.referral(world.patient, world.gp, red_flags=("change_in_personality",))
    builders.safety_alert(world.other_patient)
    builders.safety_alert(world.patient_in_b, clinician=world.clinician)
    client = login(world.clinician)
    mine = client.get(URL, {"clinician": str(world.clinician.uuid)}).context
    assert {(r.patient, r.top.code) for r in mine["rows"]} == {
        (world.patient, "red_flag_referral"),
        (world.other_patient, "safety_alert"),
        (world.patient_in_b, "safety_alert"),
    }
    theirs = client.get(URL, {"clinician": str(second_clinician.uuid)}).context
    assert {(r.patient, r.top.code) for r in theirs["rows"]} == {
        (world.patient, "red_flag_referral"),
        (world.other_patient, "safety_alert"),
    }
    assert dict(theirs["counts"])["Safety alert"] == 1
    # Within a practice filter, only that practice's.
    practice_b = client.get(
        URL,
        {"clinician": str(second_clinician.uuid), "practice": world.practice_b.ods_code},
    ).context["rows"]
    assert practice_b == []


def test_a_treatment_trial_past_review_is_on_the_worklist_and_the_review_page(world, login):
    trial = _overdue_trial(world.patient)
    rows = worklist.worklist_for(world.clinician).rows
    # Starting the trial wrote `treatment_started`, so the 84-day review target is breached too.
    reasons = {r.code: r for r in rows[0].reasons}
    assert [r.patient_id for r in rows] == [world.patient.pk]
    assert set(reasons) == {"target_breach", "trial_due_review"}
    assert trial.display_name in reasons["trial_due_review"].detail
    appointment = builders.appointment(world.patient, world.clinician, start=timezone.now())
    page = login(world.clinician).get(
        reverse("reviews:review", kwargs={"appointment_uuid": appointment.uuid})
    )
    care = page.context["care"]
    assert [t.name for t in care.trials_due] == [trial.display_name]
    assert care.plans and care.plans[0].lines[0][0] == "Agreed"
    assert "Walking the dog every day" in page.content.decode()


def test_a_chronic_diary_pattern_is_on_the_worklist(world):
    _chronic_diary(world.patient)
    rows = worklist.worklist_for(world.clinician).rows
    assert [r.top.code for r in rows] == ["diary_pattern"]
    assert "15 or more days" in rows[0].top.detail


def test_a_discharged_patients_diary_pattern_and_trials_leave_the_worklist(world):
    from pathway import services as kernel

    _chronic_diary(world.patient)
    episode = builders.episode_for(world.patient)
    kernel.discharge_episode(episode=episode, actor=world.clinician, now=timezone.now())
    assert worklist.worklist_for(world.clinician).rows == []


@pytest.mark.parametrize(
    ("headache_days", "wording"),
    [
        (36, "meets criteria for medication overuse (the intake criterion, ICHD-3 8.2 B)"),
        (45, "meets criteria for medication-overuse headache and headache on 15 or more"),
    ],
)
def test_the_worklist_tells_medication_overuse_headache_from_the_intake_criterion(
    world, headache_days, wording
):
    """Triptans on 33 days in 90 (11 a month, threshold 10); headache on 12 or 15 a month."""
    builders.episode_for(world.patient)
    DiaryEntry.objects.bulk_create(
        diary_builders.flag_entry(
            world.patient, diary_builders.days_ago(n), headache=True, took_triptan=n < 33
        )
        for n in range(headache_days)
    )
    (row,) = worklist.worklist_for(world.clinician).rows
    assert wording in row.top.detail


def test_the_review_page_summarises_the_diary_since_the_last_review(world):
    _chronic_diary(world.patient, days=30)
    summary = sources.diary_summary(
        world.patient, start=timezone.localdate() - timedelta(days=59), end=timezone.localdate()
    )
    assert dict(summary.lines)["Days recorded"] == "30 of 60"
    assert dict(summary.lines)["Headache days a month"] == "15"
    # The flags are judged on the 90-day evidence window: 30 headache days in 90 is 10 a month.
    assert summary.flags == []
    assert summary.flags_start == timezone.localdate() - timedelta(days=89)
    assert (
        sources.diary_summary(
            world.other_patient, start=timezone.localdate(), end=timezone.localdate()
        )
        is None
    )


def test_the_review_page_names_overuse_without_headache_days_as_the_intake_criterion_only(
    world, login
):
    """A triptan on 11 days in every 30 with headache on 12: the intake criterion (ICHD-3 8.2 B)
    is met, medication-overuse headache (which needs headache on 15 days a month) is not."""
    DiaryEntry.objects.bulk_create(
        diary_builders.flag_entry(
            world.patient, diary_builders.days_ago(n), headache=True, took_triptan=n % 30 < 11
        )
        for n in range(90)
        if n % 30 < 12
    )
    summary = sources.diary_summary(
        world.patient, start=timezone.localdate() - timedelta(days=29), end=timezone.localdate()
    )
    (flag,) = summary.flags
    assert flag.title.startswith("Acute medication intake meets the overuse criterion")
    assert flag.code == "ICHD-3 8.2 B"
    assert "Meets diary criteria for medication-overuse headache" not in flag.title
    appointment = builders.appointment(world.patient, world.clinician, start=timezone.now())
    page = login(world.clinician).get(
        reverse("reviews:review", kwargs={"appointment_uuid": appointment.uuid})
    )
    html = page.content.decode()
    assert "Acute medication intake meets the overuse criterion: triptans" in html
    assert "(ICHD-3 8.2 B)" in html
    assert "not a diagnosis" in html


def test_a_short_time_since_the_last_review_is_no_evidence_of_a_chronic_pattern(world):
    """A review earlier today leaves a one-day summary: one headache day in it is not a
    chronic pattern; 45 headache days in the 90 days to today is, worded as on the diary tab."""
    today = timezone.localdate()
    DiaryEntry.objects.bulk_create([diary_builders.flag_entry(world.patient, today, headache=True)])
    one_day = sources.diary_summary(world.patient, start=today, end=today)
    assert dict(one_day.lines)["Headache days a month"] == "30"
    assert one_day.flags == []
    DiaryEntry.objects.bulk_create(
        diary_builders.flag_entry(world.patient, diary_builders.days_ago(n), headache=True)
        for n in range(2, 90, 2)
    )
    chronic = sources.diary_summary(world.patient, start=today, end=today)
    # Worded as on the diary tab: criteria met, never a diagnosis.
    assert [(f.title, f.code) for f in chronic.flags] == [
        ("Headache frequency meets diary criteria for chronic headache", "")
    ]


def test_trial_reminders_go_to_the_responsible_clinician_once(world):
    from pathway.models import Notification
    from reviews import reminders

    _overdue_trial(world.patient)
    episode = world.patient.episodes.get()
    episode.responsible_clinician = world.clinician
    episode.save()
    assert reminders.plan_trial_review_reminders() == 1
    assert reminders.plan_trial_review_reminders() == 0
    row = Notification.objects.get(kind="trial_review_due")
    assert row.user == world.clinician and row.channel == "email"


def test_no_trial_reminder_is_sent_about_a_patient_who_has_died(world):
    from reviews import reminders

    _overdue_trial(world.patient)
    world.patient.date_of_death = timezone.localdate() - timedelta(days=1)
    world.patient.save()
    assert reminders.plan_trial_review_reminders() == 0


def test_no_trial_reminder_is_sent_about_a_patient_discharged(world):
    from reviews import reminders

    _overdue_trial(world.patient)
    world.patient.episodes.update(status="discharged", closed_at=timezone.now())
    assert reminders.plan_trial_review_reminders() == 0


def test_diary_nudges_skip_patients_who_recorded_today(world, afternoon):
    from reviews import reminders

    for patient in (world.patient, world.other_patient):
        patient.diary_nudge = True
        patient.save()
        builders.episode_for(patient)
    diary_builders.record(world.patient, timezone.localdate())
    assert reminders.plan_diary_nudges() == 2  # sms and email for the other patient only


def test_the_worklist_query_count_stays_constant_with_every_source(world, login, settings):
    settings.WORKLIST_CACHE_SECONDS = 0  # every request scans the whole team
    client = login(world.clinician)

    def fill(count):
        for _ in range(count):
            patient = PatientFactory(registered_practice=world.practice_a)
            builders.safety_alert(patient)
            _overdue_trial(patient)
            _chronic_diary(patient, days=20)
            referral_builders.referral(patient, world.gp, red_flags=("change_in_personality",))

    fill(1)
    client.get(URL)
    with CaptureQueriesContext(connection) as small:
        client.get(URL)
    fill(6)
    with CaptureQueriesContext(connection) as large:
        response = client.get(URL)
    assert len(response.context["rows"]) == 7
    assert len(large.captured_queries) == len(small.captured_queries)


def test_each_live_reason_says_what_it_is_and_links_to_it(world, login):
    alert = builders.safety_alert(world.patient, clinician=world.clinician)
    unassigned = builders.safety_alert(world.other_patient)
    made = referral_builders.referral(
        world.patient_in_b, world.gp, red_flags=("change_in_personality",)
    )
    request = builders.questionnaire_request(world.patient_in_b, instrument="GAD-7", days_ago=10)
    rows = login(world.clinician).get(URL).context["rows"]
    reasons = {(row.patient, reason.code): reason for row in rows for reason in row.reasons}
    assert set(reasons) == {
        (world.patient, "safety_alert"),
        (world.other_patient, "safety_alert"),
        (world.patient_in_b, "red_flag_referral"),
        (world.patient_in_b, "questionnaire_outstanding"),
    }
    assigned = reasons[(world.patient, "safety_alert")]
    assert assigned.detail == (
        "PHQ-9 item 9 answered above 0: record the action taken "
        f"(responsible: {world.clinician.full_name})"
    )
    assert assigned.url == reverse("reviews:alert", kwargs={"alert_uuid": alert.uuid})
    assert assigned.since == alert.raised_at
    other = reasons[(world.other_patient, "safety_alert")]
    assert other.detail == "PHQ-9 item 9 answered above 0: record the action taken"
    assert other.url == reverse("reviews:alert", kwargs={"alert_uuid": unassigned.uuid})
    red_flag = reasons[(world.patient_in_b, "red_flag_referral")]
    assert red_flag.detail == f"{made.urgency.capitalize()} referral waiting for triage"
    assert red_flag.url == reverse("referrals:detail", kwargs={"referral_uuid": made.uuid})
    assert red_flag.since == made.submitted_at
    outstanding = reasons[(world.patient_in_b, "questionnaire_outstanding")]
    assert outstanding.detail == f"GAD-7 not completed (due {request.due:%-d %B %Y})"
    assert outstanding.since == request.due
    assert outstanding.url == ""


def test_a_risky_phq9_answer_on_a_gp_referral_raises_a_safety_alert_on_the_worklist(world, login):
    made = referral_builders.referral(
        world.patient, world.gp, questionnaires={"PHQ-9": [0, 0, 0, 0, 0, 0, 0, 0, 1]}
    )
    alert = SafetyAlert.objects.get(patient=world.patient)
    assert alert.assessment == made.assessments.get(instrument="PHQ-9")
    assert alert.resolved_at is None
    rows = login(world.clinician).get(URL).context["rows"]
    assert [(row.patient, row.top.code) for row in rows] == [(world.patient, "safety_alert")]
    # The GP typed the answers: the patient saw none of the portal's crisis contacts.
    page = login(world.clinician).get(rows[0].top.url).content.decode()
    assert "The patient was shown crisis contacts" not in page
    assert f"recorded by {world.gp.full_name} (referral), not sent by the patient" in page
    assert "Make sure they have them" in page
    assert "07700 900123" in page and "+447700900123" not in page


def test_an_alert_raised_before_triage_names_who_is_responsible_once_accepted(world, login):
    made = referral_builders.referral(
        world.patient, world.gp, questionnaires={"PHQ-9": [0, 0, 0, 0, 0, 0, 0, 0, 1]}
    )
    alert = SafetyAlert.objects.get(patient=world.patient)
    url = reverse("reviews:alert", kwargs={"alert_uuid": alert.uuid})
    client = login(world.clinician)
    before = client.get(url).content.decode()
    assert "No one: every clinician caring for the patient was emailed" in before
    from referrals import services as referral_services
    from referrals.services import Decision

    referral_services.triage_referral(
        actor=world.clinician,
        referral=made,
        decision=Decision(decision="accept", priority="urgent"),
    )
    after = client.get(url).content.decode()
    assert "No one: every clinician" not in after
    assert (
        f"{world.clinician.full_name}. No one was responsible when the alert was raised, so "
        "every clinician caring for the patient was emailed." in after
    )


def test_the_alert_from_a_questionnaire_the_patient_sent_says_they_saw_crisis_contacts(
    world, login
):
    alert = builders.safety_alert(world.patient)
    Assessment.objects.filter(pk=alert.assessment_id).update(
        context="self", completed_by=world.patient_user
    )
    page = login(world.clinician).get(reverse("reviews:alert", kwargs={"alert_uuid": alert.uuid}))
    assert "The patient was shown crisis contacts" in page.content.decode()
    assert "Make sure they have them" not in page.content.decode()


@pytest.mark.parametrize(
    ("answer", "words"),
    [(1, "Several days"), (2, "More than half the days"), (3, "Nearly every day")],
)
def test_the_alert_says_how_the_patient_answered_question_9(world, login, answer, words):
    alert = builders.safety_alert(world.patient)
    Assessment.objects.filter(pk=alert.assessment_id).update(answers=[1] * 8 + [answer])
    page = login(world.clinician).get(reverse("reviews:alert", kwargs={"alert_uuid": alert.uuid}))
    assert f'hurting yourself") "{words}" on ' in page.content.decode().replace("&quot;", '"')


def test_a_phq9_without_a_risky_answer_on_a_referral_raises_no_alert(world):
    referral_builders.referral(
        world.patient, world.gp, questionnaires={"PHQ-9": [3, 3, 3, 3, 3, 3, 3, 3, 0]}
    )
    assert not SafetyAlert.objects.exists()


def test_the_review_page_says_which_days_each_diary_figure_covers(world, login):
    _chronic_diary(world.patient, days=30)
    appointment = builders.appointment(world.patient, world.clinician, start=timezone.now())
    html = (
        login(world.clinician)
        .get(reverse("reviews:review", kwargs={"appointment_uuid": appointment.uuid}))
        .content.decode()
    )
    today = timezone.localdate()
    start = today - timedelta(days=89)
    assert f"The last 90 days ({start:%-d %B %Y} to {today:%-d %B %Y}):" in html
    assert "30 of 90</dd>" in html


def test_the_review_page_does_not_show_an_unscored_goal_as_rescored(world):
    careplan_builders.agreed_plan(world.patient)
    (plan,) = sources.care_plans(world.patient).plans
    assert ("Goal", "Walk the dog: started at 3, not scored since, aim 7") in plan.lines


def test_a_care_plan_starts_with_what_matters_from_the_episodes_latest_review(world, login):
    from careplans.models import CarePlanVersion
    from pathway.plan_starts import Prefill, for_episode
    from reviews.models import Review

    episode = builders.episode_for(world.patient, status="active")
    other = builders.episode_for(world.patient, condition="chronic_pain", status="active")

    def review(when_days_ago, what_matters, *, on=episode, kind="follow_up"):
        start = timezone.now() - timedelta(days=when_days_ago)
        made = builders.appointment(
            world.patient, world.clinician, start=start, status="attended", kind=kind, episode=on
        )
        return Review.objects.create(
            appointment=made,
            patient=world.patient,
            episode=on,
            summary="Heard.",
            what_matters=what_matters,
            next_review_date=timezone.localdate() + timedelta(days=30),
            completed_at=start + timedelta(minutes=30),
            completed_by=world.clinician,
        )

    assert for_episode(episode) == []
    first = review(40, "Walking the dog again.", kind="first_conversation")
    review(20, "")  # a later review that left it blank does not hide it
    review(10, "Sleeping through the night.", on=other)  # another episode's
    when = timezone.localtime(first.completed_at)
    assert for_episode(episode) == [
        Prefill(
            "what_matters",
            "Walking the dog again.",
            f"the first conversation on {when:%-d %B %Y}",
        )
    ]

    client = login(world.clinician)
    response = client.post(
        reverse("careplans:plan-start", kwargs={"patient_uuid": world.patient.uuid}),
        {"episode": episode.pk},
        follow=True,
    )
    draft = CarePlanVersion.objects.get(plan__episode=episode)
    assert draft.what_matters == "Walking the dog again."
    assert (
        f"What matters to me is filled in from the first conversation on {when:%-d %B %Y}: "
        "check it with the patient." in response.content.decode()
    )
    event = AuditEvent.objects.get(object_uuid=draft.uuid, action="create")
    assert event.fields == ["what_matters"]


def test_what_matters_to_the_patient_from_a_review_is_shown_with_it(world, login):
    from reviews.models import Review

    start = timezone.now() - timedelta(days=3)
    made = builders.appointment(world.patient, world.clinician, start=start, status="attended")
    Review.objects.create(
        appointment=made,
        patient=world.patient,
        episode=made.episode,
        summary="Heard.",
        what_matters="Back at the allotment by spring.",
        next_review_date=timezone.localdate() + timedelta(days=30),
        completed_at=start + timedelta(minutes=30),
        completed_by=world.clinician,
    )
    client = login(world.clinician)
    for url in (
        reverse("reviews:patient-reviews", kwargs={"patient_uuid": world.patient.uuid}),
        reverse("reviews:appointment", kwargs={"appointment_uuid": made.uuid}),
    ):
        page = client.get(url).content.decode()
        assert "What matters to the patient:</strong> Back at the allotment by spring." in page


def _accept(world, referral):
    from referrals.services import Decision, triage_referral

    triage_referral(
        actor=world.clinician,
        referral=referral,
        decision=Decision(decision="accept", priority="routine"),
    )


def test_the_plan_shows_the_preventives_the_referral_says_were_tried(world, login):
    made = referral_builders.referral(
        world.patient,
        world.gp,
        preventives=(
            {
                "medicine": "Propranolol",
                "dose": "80 mg",
                "duration_weeks": 12,
                "stopped_reason": "ineffective",
            },
            {"medicine": "Topiramate", "dose": "", "duration_weeks": 1, "stopped_reason": "other"},
        ),
    )
    _accept(world, made)  # a plan follows acceptance
    careplan_builders.plan(world.patient, actor=world.clinician)
    page = (
        login(world.clinician)
        .get(reverse("careplans:patient-plan", kwargs={"patient_uuid": world.patient.uuid}))
        .content.decode()
    )
    sent = timezone.localtime(made.submitted_at)
    assert "Preventives tried before, as the referral lists them:" in page
    assert f"Propranolol 80 mg, 12 weeks: did not work (the referral of {sent:%-d %B %Y})" in page
    assert "Topiramate 1 week: other reason" in page
    assert "Those the patient took are not counted below until recorded as treatments" in page
    assert "Preventive treatments that have not worked: <strong>0</strong>" in page


def test_preventives_the_referral_says_were_contraindicated_count_as_failed(world, login):
    # clinical-rules.md section 10: "at least 3 failed" counts distinct drugs tried at an
    # adequate dose and duration, or not tolerated, or contraindicated. Never given, they
    # cannot be recorded as treatments: the referral's word counts, once per medicine.
    contraindicated = {"dose": "", "duration_weeks": None, "stopped_reason": "contraindicated"}
    made = referral_builders.referral(
        world.patient,
        world.gp,
        preventives=(
            {**contraindicated, "medicine": "Propranolol"},
            {**contraindicated, "medicine": " propranolol"},
            {**contraindicated, "medicine": "Pizotifen"},
        ),
    )
    _accept(world, made)
    plan = careplan_builders.plan(world.patient, actor=world.clinician)
    url = reverse("careplans:patient-plan", kwargs={"patient_uuid": world.patient.uuid})
    client = login(world.clinician)
    page = client.get(url).content.decode()
    assert "Preventive treatments that have not worked: <strong>2</strong>" in page
    assert "including 2 never given because they were contraindicated" in page
    # Recorded as a treatment since, propranolol is counted by that record alone.
    careplan_builders.trial(plan, medicine_code="propranolol")
    page = client.get(url).content.decode()
    assert "Preventive treatments that have not worked: <strong>1</strong>" in page
