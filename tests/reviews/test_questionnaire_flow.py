"""Questionnaires: a clinician requests one, the patient completes it on the portal, PHQ-9
item 9 raises an alert that stays until a clinician records the action."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from pathway.models import Assessment, AuditEvent, Notification
from reviews.errors import ReviewsError, StaleState
from reviews.models import QuestionnaireRequest, SafetyAlert
from reviews.services import questionnaires as services
from tests.factories import UserFactory
from tests.reviews import builders


def _answer_url(request):
    return reverse("reviews:my-questionnaire", kwargs={"request_uuid": request.uuid})


def _done_url(request):
    return reverse("reviews:my-questionnaire-done", kwargs={"request_uuid": request.uuid})


def _phq9(values):
    return {f"item_{n}": str(v) for n, v in enumerate(values, start=1)}


def test_a_clinician_requests_a_questionnaire_and_the_patient_is_told(world, login):
    builders.episode_for(world.patient)
    response = login(world.clinician).post(
        reverse("reviews:questionnaire-request", kwargs={"patient_uuid": world.patient.uuid}),
        {"instrument": "PHQ-9", "due": ""},
    )
    assert response.status_code == 302
    request = QuestionnaireRequest.objects.get()
    assert request.due == timezone.localdate() + timedelta(days=7)
    assert request.requested_by == world.clinician
    assert Notification.objects.filter(kind="questionnaire_requested").count() == 2


def test_requesting_the_same_questionnaire_twice_is_refused_with_a_message(world, login):
    builders.episode_for(world.patient)
    client = login(world.clinician)
    url = reverse("reviews:questionnaire-request", kwargs={"patient_uuid": world.patient.uuid})
    client.post(url, {"instrument": "PHQ-9"})
    response = client.post(url, {"instrument": "PHQ-9"})
    assert response.status_code == 400
    assert "A PHQ-9 is already waiting" in response.content.decode()
    assert QuestionnaireRequest.objects.count() == 1


def test_an_unknown_questionnaire_or_past_due_date_is_refused(world, login):
    builders.episode_for(world.patient)
    client = login(world.clinician)
    url = reverse("reviews:questionnaire-request", kwargs={"patient_uuid": world.patient.uuid})
    assert client.post(url, {"instrument": "SF-36"}).status_code == 400
    response = client.post(url, {"instrument": "GAD-7", "due": "2020-01-01"})
    assert "today or later" in response.content.decode()
    assert "<title>Error: Reviews: " in response.content.decode()
    assert not QuestionnaireRequest.objects.exists()


def test_no_questionnaire_is_sent_to_a_patient_not_under_care(world, login):
    with pytest.raises(ReviewsError, match="no open episode of care") as refused:
        services.request_questionnaire(
            actor=world.clinician, patient=world.patient, instrument="PHQ-9"
        )
    assert refused.value.field == "instrument"
    builders.episode_for(
        world.patient,
        status="discharged",
        opened_at=timezone.now() - timedelta(days=90),
        closed_at=timezone.now(),
    )
    client = login(world.clinician)
    url = reverse("reviews:patient-reviews", kwargs={"patient_uuid": world.patient.uuid})
    page = client.get(url).content.decode()
    assert "has no open episode of care, so questionnaires cannot be sent" in page
    assert "Send questionnaire" not in page
    response = client.post(
        reverse("reviews:questionnaire-request", kwargs={"patient_uuid": world.patient.uuid}),
        {"instrument": "PHQ-9"},
    )
    assert response.status_code == 400
    assert "A new referral is needed first." in response.content.decode()
    assert not QuestionnaireRequest.objects.exists()
    assert not Notification.objects.filter(kind="questionnaire_requested").exists()


def test_the_patient_completes_a_phq9_and_it_is_stored_with_its_raw_answers(world, login):
    request = builders.questionnaire_request(world.patient)
    client = login(world.patient_user)
    page = client.get(_answer_url(request)).content.decode()
    assert "Little interest or pleasure in doing things" in page
    assert "Samaritans" in page  # shown beside item 9 before anything is sent
    response = client.post(_answer_url(request), _phq9([1, 2, 0, 3, 0, 1, 0, 0, 0]))
    assert response.status_code == 302
    assessment = Assessment.objects.get()
    assert assessment.answers == [1, 2, 0, 3, 0, 1, 0, 0, 0]
    assert assessment.total == 7 and assessment.band == "mild" and not assessment.alert
    assert assessment.context == "review" and assessment.completed_by == world.patient_user
    request.refresh_from_db()
    assert request.status == "completed" and request.assessment == assessment
    done = client.get(response["Location"]).content.decode()
    assert "Thank you" in done and "get help now" not in done
    assert not SafetyAlert.objects.exists()
    listed = client.get(reverse("reviews:my-questionnaires")).content.decode()
    answered = timezone.localtime(assessment.completed_at)
    assert f"Mood (PHQ-9): you answered it on {answered:%-d %B %Y}" in listed


def test_sending_the_same_answers_twice_stores_one_assessment(world, login):
    request = builders.questionnaire_request(world.patient)
    client = login(world.patient_user)
    first = client.post(_answer_url(request), _phq9([0] * 9))
    second = client.post(_answer_url(request), _phq9([0] * 9))
    assert first.status_code == second.status_code == 302
    assert second.url == first.url == _done_url(request)
    assert Assessment.objects.count() == 1
    assert Assessment.objects.get().total == 0


def test_answers_changed_and_sent_again_are_kept_and_a_risky_one_reaches_the_team(world, login):
    # Back, a changed answer, sent again: the second answers are the patient's too, and their
    # item 9 must not be dropped because the request was already completed.
    builders.episode_for(world.patient, responsible_clinician=world.clinician)
    request = builders.questionnaire_request(world.patient)
    client = login(world.patient_user)
    client.post(_answer_url(request), _phq9([0] * 9))
    response = client.post(_answer_url(request), _phq9([1] * 8 + [2]))
    later = Assessment.objects.exclude(pk=QuestionnaireRequest.objects.get().assessment_id).get()
    assert (later.total, later.alert, later.completed_by) == (10, True, world.patient_user)
    assert response.url == f"{_done_url(request)}?answers={later.uuid}"
    world.service.phone, world.service.contact_hours = "01234 567890", "Monday to Friday, 9 to 5"
    world.service.save()
    page = client.get(response.url).content.decode()
    assert "Please get support now" in page and "Samaritans" in page
    # When the team will call: not before they are next working, so not to wait for them.
    assert "will contact you when they are next working. They are not there at all hours" in page
    assert "01234 567890</a> (Monday to Friday, 9 to 5)" in page
    assert SafetyAlert.objects.get().assessment == later
    # The request's own result is unchanged, and its done page alone thanks for it.
    assert QuestionnaireRequest.objects.get().assessment.total == 0
    assert "Please get support now" not in client.get(_done_url(request)).content.decode()
    # The same changed answers once more store nothing.
    client.post(_answer_url(request), _phq9([1] * 8 + [2]))
    assert Assessment.objects.count() == 2 and SafetyAlert.objects.count() == 1


def test_answers_sent_again_are_named_as_such_to_the_patient_and_on_the_teams_trend(world, login):
    request = builders.questionnaire_request(world.patient)
    client = login(world.patient_user)
    client.post(_answer_url(request), _phq9([2] * 8 + [0]))
    response = client.post(_answer_url(request), _phq9([0] * 9))
    later = Assessment.objects.exclude(pk=QuestionnaireRequest.objects.get().assessment_id).get()
    assert list(QuestionnaireRequest.objects.get().late_answers.all()) == [later]
    said = "You had already sent answers to this questionnaire. We have kept these answers as well"
    assert said in client.get(response.url).content.decode()
    assert said not in client.get(_done_url(request)).content.decode()
    # The team's trend: the second set is shown, and named, not read as a later completion.
    page = login(world.clinician).get(reverse("reviews:patient-reviews", args=[world.patient.uuid]))
    body = page.content.decode()
    assert body.count(">Sent again</strong>") == 1
    assert "A second set of answers to a questionnaire already answered" in body
    trend = next(t for t in page.context["trends"] if t.code == "PHQ-9")
    assert [p.sent_again for p in trend.points] == [False, True]
    # A later questionnaire, answered once, is an ordinary completion.
    request_2 = builders.questionnaire_request(world.patient)
    services.submit_questionnaire(actor=world.patient_user, request=request_2, answers=[1] * 9)
    trend = next(
        t
        for t in login(world.clinician)
        .get(reverse("reviews:patient-reviews", args=[world.patient.uuid]))
        .context["trends"]
        if t.code == "PHQ-9"
    )
    assert [p.sent_again for p in trend.points] == [False, True, False]


def test_the_done_page_ignores_answers_that_are_not_the_requests(world, login):
    builders.under_care(world.patient)
    request = builders.questionnaire_request(world.patient)
    services.submit_questionnaire(actor=world.patient_user, request=request, answers=[0] * 9)
    other = builders.questionnaire_request(world.patient, instrument="GAD-7")
    risky_elsewhere = services.submit_questionnaire(
        actor=world.patient_user, request=other, answers=[3] * 7
    )[0]
    client = login(world.patient_user)
    for answers in ("not-a-uuid", str(risky_elsewhere.uuid)):
        page = client.get(_done_url(request), {"answers": answers})
        assert page.status_code == 200
        assert "Your care team will look at your answers" in page.content.decode()


def test_a_stale_copy_of_the_request_keeps_different_answers_apart(world):
    request = builders.questionnaire_request(world.patient)
    stale = QuestionnaireRequest.objects.get(pk=request.pk)
    services.submit_questionnaire(actor=world.patient_user, request=request, answers=[0] * 9)
    with pytest.raises(StaleState):
        services.submit_questionnaire(actor=world.patient_user, request=stale, answers=[0] * 9)
    stale.status = "requested"  # as if loaded before the first submission committed
    assessment, alert = services.submit_questionnaire(
        actor=world.clinician, request=stale, answers=[1] * 9
    )
    request.refresh_from_db()
    assert request.assessment.total == 0  # the request keeps its first answers
    assert (assessment.total, assessment.completed_by) == (9, world.clinician)
    assert alert is not None and alert.assessment == assessment
    assert AuditEvent.objects.filter(object_uuid=assessment.uuid, action="create").exists()
    with pytest.raises(StaleState):
        services.submit_questionnaire(actor=world.clinician, request=stale, answers=[1] * 9)
    assert Assessment.objects.count() == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({**_phq9([0] * 9), "item_3": "4"}, "Choose one of the answers for question 3."),
        ({**_phq9([0] * 9), "item_9": "-1"}, "Choose one of the answers for question 9."),
        ({**_phq9([0] * 9), "item_2": "two"}, "Choose one of the answers for question 2."),
        ({k: v for k, v in _phq9([0] * 9).items() if k != "item_5"}, "Answer question 5."),
    ],
)
def test_answers_out_of_range_or_missing_are_refused_with_a_message(world, login, data, message):
    request = builders.questionnaire_request(world.patient)
    response = login(world.patient_user).post(_answer_url(request), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Assessment.objects.exists()


def test_a_service_call_with_unscorable_answers_is_refused(world):
    request = builders.questionnaire_request(world.patient)
    with pytest.raises(ReviewsError, match="Answer every question"):
        services.submit_questionnaire(actor=world.patient_user, request=request, answers=[4] * 9)
    with pytest.raises(ReviewsError):
        services.submit_questionnaire(actor=world.patient_user, request=request, answers=[1] * 8)
    assert not Assessment.objects.exists()


def test_item_9_above_0_shows_help_raises_an_alert_and_emails_the_clinician(world, login):
    builders.episode_for(world.patient, responsible_clinician=world.clinician)
    request = builders.questionnaire_request(world.patient)
    client = login(world.patient_user)
    response = client.post(_answer_url(request), _phq9([0, 0, 0, 0, 0, 0, 0, 0, 1]), follow=True)
    page = response.content.decode()
    assert "Please get support now" in page
    for contact in ("999", "111", "Samaritans", "116 123"):
        assert contact in page
    assert '<a href="sms:85258?body=SHOUT"><strong>Shout</strong></a>' in page
    alert = SafetyAlert.objects.get()
    assert alert.patient == world.patient and alert.responsible_clinician == world.clinician
    assert alert.assessment.total == 1  # a total of 1 is still an alert
    email = Notification.objects.get(kind="safety_alert")
    assert email.user == world.clinician and email.channel == "email"
    assert "PHQ" not in str(email.context) and world.patient.family_name not in str(email.context)
    # The alert heads the team's worklist until the action is recorded.
    worklist = login(world.clinician).get(reverse("reviews:worklist"))
    assert worklist.context["rows"][0].patient == world.patient
    assert worklist.context["rows"][0].top.code == "safety_alert"


@pytest.mark.parametrize("responsible", ["left", "moved", "none"])
def test_an_alert_with_no_active_responsible_clinician_emails_the_patients_team(world, responsible):
    from tests.factories import UserFactory

    colleague = UserFactory(role="clinician", full_name="Nurse Ned", organisations=[world.pcn1])
    if responsible == "left":
        leaver = UserFactory(role="clinician", full_name="Nurse Lee", is_active=False)
        builders.episode_for(world.patient, responsible_clinician=leaver)
    if responsible == "moved":
        # Still active, but now with another PCN's team: the alert's link would not open.
        mover = UserFactory(role="clinician", full_name="Nurse Max", organisations=[world.pcn2])
        builders.episode_for(world.patient, responsible_clinician=mover)
    request = builders.questionnaire_request(world.patient)
    services.submit_questionnaire(
        actor=world.patient_user, request=request, answers=[0, 0, 0, 0, 0, 0, 0, 0, 2]
    )
    alert = SafetyAlert.objects.get()
    assert alert.responsible_clinician is None  # not a clinician who has left
    emailed = set(
        Notification.objects.filter(kind="safety_alert").values_list("user__full_name", flat=True)
    )
    # Everyone who cares for the patient's practice, and no one elsewhere (Nurse Otto).
    assert emailed == {world.clinician.full_name, colleague.full_name}


def test_the_alert_stays_until_a_clinician_records_the_action(world, login):
    alert = builders.safety_alert(world.patient, clinician=world.clinician)
    client = login(world.clinician)
    url = reverse("reviews:alert", kwargs={"alert_uuid": alert.uuid})
    for empty in ("   ", "ok", "done, all fine"):
        response = client.post(url, {"action_taken": empty})
        assert "Describe the action taken" in response.content.decode()
    alert.refresh_from_db()
    assert alert.resolved_at is None
    response = client.post(url, {"action_taken": "Called patient, safety plan agreed."})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.resolved_by == world.clinician and alert.resolved_at is not None
    assert AuditEvent.objects.filter(object_uuid=alert.uuid, action="update").exists()
    rows = client.get(reverse("reviews:worklist")).context["rows"]
    assert all(r.top.code != "safety_alert" for r in rows)
    with pytest.raises(StaleState):
        services.resolve_alert(
            actor=world.clinician, alert=alert, action_taken="Called the patient again today."
        )
    # The alert and what was done stay on the patient's Reviews tab.
    tab = client.get(reverse("reviews:patient-reviews", args=[world.patient.uuid]))
    html = tab.content.decode()
    assert "<h2>Safety alerts</h2>" in html and "Closed" in html
    assert "Called patient, safety plan agreed." in html
    assert f"Action recorded by {world.clinician.full_name}" in html


def test_a_second_clinicians_action_on_a_closed_alert_is_shown_back_not_lost(world, login):
    alert = builders.safety_alert(world.patient, clinician=world.clinician)
    url = reverse("reviews:alert", kwargs={"alert_uuid": alert.uuid})
    login(world.clinician).post(url, {"action_taken": "Called patient, safety plan agreed."})
    colleague = UserFactory(role="clinician", full_name="Nurse Ned", organisations=[world.pcn1])
    response = login(colleague).post(
        url, {"action_taken": "Crisis team referral made, patient at risk tonight."}
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert "What you wrote was not saved" in body
    assert "Nurse Nia recorded this" in body
    assert "Crisis team referral made, patient at risk tonight." in body
    alert.refresh_from_db()
    assert alert.action_taken == "Called patient, safety plan agreed."


def test_a_gad7_total_of_21_raises_no_alert(world):
    request = builders.questionnaire_request(world.patient, instrument="GAD-7")
    services.submit_questionnaire(actor=world.patient_user, request=request, answers=[3] * 7)
    assert not SafetyAlert.objects.exists()


@pytest.mark.parametrize(
    ("instrument", "answers", "severe"),
    [
        ("PHQ-9", [3, 3, 3, 3, 3, 3, 2, 0, 0], True),  # 20: severe, item 9 not at all
        ("PHQ-9", [3, 3, 3, 3, 3, 2, 2, 0, 0], False),  # 19: moderately severe
        ("GAD-7", [3] * 7, True),  # 21: severe
        ("GAD-7", [2] * 7, False),  # 14: moderate
    ],
)
def test_a_severe_score_tells_the_patient_where_to_find_support_now(
    world, login, instrument, answers, severe
):
    builders.under_care(world.patient)
    request = builders.questionnaire_request(world.patient, instrument=instrument)
    items = {f"item_{n}": str(v) for n, v in enumerate(answers, start=1)}
    page = login(world.patient_user).post(_answer_url(request), items, follow=True)
    page = page.content.decode()
    assert ("things are very hard for you at the moment" in page) is severe
    assert ("Samaritans" in page) is severe
    assert ("look at your answers when they next review your care" in page) is not severe
    assert "Please get support now" not in page  # no item 9 answer above 0
    assert not SafetyAlert.objects.exists()


@pytest.mark.parametrize(
    ("answers", "severe"),
    [([3, 3, 3, 3, 3, 3, 2, 0, 0], True), ([1, 1, 0, 0, 0, 0, 0, 0, 0], False)],
)
def test_answers_sent_after_care_ended_do_not_promise_a_review(world, login, answers, severe):
    # A page opened before discharge and sent after it: the answers are kept, but no review
    # will read them, so the patient is sent to their GP surgery instead.
    episode = builders.under_care(world.patient)
    request = builders.questionnaire_request(world.patient)
    episode.status, episode.closed_at = "discharged", timezone.now()
    episode.save(update_fields=["status", "closed_at"])
    page = login(world.patient_user).post(_answer_url(request), _phq9(answers), follow=True)
    text = page.content.decode()
    assert "your care with this service has ended, so the team will not review them" in text
    assert "contact your GP surgery" in text
    assert "get in touch" not in text and "next review your care" not in text
    assert ("Samaritans" in text) is severe
    request.refresh_from_db()
    assert request.status == "completed" and request.assessment.answers == answers


def test_hit6_labels_are_scored_from_the_position_of_the_chosen_option(world, login):
    request = builders.questionnaire_request(world.patient, instrument="HIT-6")
    client = login(world.patient_user)
    page = client.get(_answer_url(request)).content.decode()
    assert "not the official wording" in page
    client.post(_answer_url(request), {f"item_{n}": "4" for n in range(1, 7)})
    assessment = Assessment.objects.get()
    assert assessment.answers == ["always"] * 6 and assessment.total == 78


def test_midas_stores_a_and_b_beside_the_five_scored_answers(world, login):
    request = builders.questionnaire_request(world.patient, instrument="MIDAS")
    data = {f"item_{n}": "2" for n in range(1, 6)} | {"extra_1": "30", "extra_2": "7"}
    login(world.patient_user).post(_answer_url(request), data)
    request.refresh_from_db()
    assert request.assessment.answers == [2, 2, 2, 2, 2]
    assert request.assessment.total == 10
    assert request.unscored_answers == [30, 7]


def test_midas_refuses_93_days(world, login):
    request = builders.questionnaire_request(world.patient, instrument="MIDAS")
    data = {f"item_{n}": "0" for n in range(1, 6)} | {"item_1": "93"}
    response = login(world.patient_user).post(_answer_url(request), data)
    assert "Enter 92 or less for question 1." in response.content.decode()


def test_midas_refuses_more_days_than_3_months_hold_across_questions_counted_once(world, login):
    request = builders.questionnaire_request(world.patient, instrument="MIDAS")
    client = login(world.patient_user)
    data = {"item_1": "90", "item_2": "90", "item_3": "92", "item_4": "92", "item_5": "0"}
    response = client.post(_answer_url(request), data)
    page = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in page
    # Each beside the question that leaves out the other's days.
    assert 'id="id_item_2-error"' in page and 'id="id_item_4-error"' in page
    assert "Questions 1 and 2 add up to 180 days, more than the 92 days in 3 months." in page
    assert "Questions 3 and 4 add up to 184 days, more than the 92 days in 3 months." in page
    assert not Assessment.objects.exists()
    request.refresh_from_db()
    assert request.status == "requested"
    # Every day of the 3 months is possible, and scored as before: the sum of the five.
    client.post(_answer_url(request), {**data, "item_1": "46", "item_2": "46", "item_4": "0"})
    request.refresh_from_db()
    assert request.assessment.answers == [46, 46, 92, 0, 0]
    assert (request.assessment.total, request.assessment.band) == (184, "IV")


def test_the_service_refuses_midas_days_counted_twice_whoever_sends_them(world):
    request = builders.questionnaire_request(world.patient, instrument="MIDAS")
    with pytest.raises(ReviewsError, match="Questions 3 and 4 add up to 93 days") as refused:
        services.submit_questionnaire(
            actor=world.clinician, request=request, answers=[0, 0, 92, 1, 0], unscored=[]
        )
    assert refused.value.field == "item_4"
    assert not Assessment.objects.exists()


def test_psfs_follow_up_re_rates_the_baseline_activities(world, login):
    builders.episode_for(world.patient)
    client = login(world.patient_user)
    first = builders.questionnaire_request(world.patient, instrument="PSFS", context="baseline")
    response = client.post(
        _answer_url(first),
        {
            "activity_1": "Walking the dog",
            "rating_1": "3",
            "activity_2": "Gardening",
            "rating_2": "4",
        },
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.activities == ["Walking the dog", "Gardening"]
    assert first.assessment.answers == [3, 4] and float(first.assessment.total) == 3.5
    second = services.request_questionnaire(
        actor=world.clinician, patient=world.patient, instrument="PSFS"
    )
    assert second.activities == ["Walking the dog", "Gardening"]
    page = client.get(_answer_url(second)).content.decode()
    assert "Walking the dog: how well can you do it today?" in page
    client.post(_answer_url(second), {"rating_1": "6", "rating_2": "6"})
    trends = (
        login(world.clinician)
        .get(reverse("reviews:patient-reviews", kwargs={"patient_uuid": world.patient.uuid}))
        .context["trends"]
    )
    psfs = next(t for t in trends if t.code == "PSFS")
    assert psfs.change == 2.5 and psfs.verdict == "improved"
    # A later fall of 2 points or more from the baseline is shown as such.
    third = services.request_questionnaire(
        actor=world.clinician, patient=world.patient, instrument="PSFS"
    )
    login(world.patient_user).post(_answer_url(third), {"rating_1": "1", "rating_2": "1"})
    page = (
        login(world.clinician)
        .get(reverse("reviews:patient-reviews", kwargs={"patient_uuid": world.patient.uuid}))
        .content.decode()
    )
    assert "Clinically important worsening" in page


def test_psfs_needs_a_rating_for_each_named_activity(world, login):
    request = builders.questionnaire_request(world.patient, instrument="PSFS")
    response = login(world.patient_user).post(
        _answer_url(request), {"activity_1": "Walking", "activity_2": "Cooking", "rating_1": "5"}
    )
    assert "Rate activity 2 from 0 to 10." in response.content.decode()
    assert not Assessment.objects.exists()


def test_answers_sent_after_the_request_was_cancelled_complete_it(world, login):
    builders.episode_for(world.patient, responsible_clinician=world.clinician)
    request = builders.questionnaire_request(world.patient)
    services.cancel_questionnaire_request(actor=world.clinician, request=request)
    client = login(world.patient_user)
    # Opened now, the page says it is no longer needed...
    page = client.get(_answer_url(request), follow=True).content.decode()
    assert "no longer needed" in page
    # ...but answers sent from a page opened before are kept, and a risky one is acted on.
    response = client.post(_answer_url(request), _phq9([0] * 8 + [1]), follow=True)
    assert "Please get support now" in response.content.decode()
    request.refresh_from_db()
    assert request.status == "completed" and request.assessment.total == 1
    assert request.cancelled_at is not None  # when it was cancelled stays on record
    assert SafetyAlert.objects.get().assessment == request.assessment


def test_another_patients_questionnaire_answers_404(world, login):
    request = builders.questionnaire_request(world.other_patient)
    assert login(world.patient_user).get(_answer_url(request)).status_code == 404


def _reviews_tab(world, login):
    url = reverse("reviews:patient-reviews", kwargs={"patient_uuid": world.patient.uuid})
    return login(world.clinician).get(url).content.decode()


def test_the_requests_table_shows_a_second_set_of_answers_and_its_item_9(world, login):
    builders.under_care(world.patient)
    request = builders.questionnaire_request(world.patient)
    client = login(world.patient_user)
    client.post(_answer_url(request), _phq9([0] * 9))
    client.post(_answer_url(request), _phq9([1] * 8 + [3]))  # a second window, risky
    page = _reviews_tab(world, login)
    table = page.split("Asked of the patient", 1)[1].split("</table>", 1)[0]
    row = re.sub(r"<[^>]+>", "", table.split("PHQ-9", 1)[1])
    assert "0 (none or minimal)" in row
    assert "Answered again" in row and "11 (moderate)" in row and "Item 9 above 0" in row


def test_results_show_bands_in_words_and_each_instrument_named_once(world, login):
    for code, answers in (("PHQ-9", [0] * 8 + [1]), ("HIT-6", ["always"] * 6)):
        request = builders.questionnaire_request(world.patient, instrument=code)
        services.submit_questionnaire(actor=world.patient_user, request=request, answers=answers)
    page = _reviews_tab(world, login)
    assert "1 (none or minimal)" in page and "78 (severe impact)" in page
    assert "none_minimal" not in page and "severe_impact" not in page
    assert "Patient Health Questionnaire (PHQ-9)" in page
    assert "(PHQ-9) (PHQ-9)" not in page
    assert "Headache Impact Test (HIT-6)" in page
    alert = SafetyAlert.objects.get()
    page = login(world.clinician).get(reverse("reviews:alert", kwargs={"alert_uuid": alert.uuid}))
    assert "PHQ-9 total 1 (none or minimal)." in page.content.decode()


def test_the_trends_table_marks_each_phq9_with_item_9_above_0_in_words(world, login):
    builders.assessment(world.patient, answers=[0] * 9, when=timezone.now() - timedelta(days=60))
    builders.assessment(
        world.patient, answers=[1] * 8 + [2], when=timezone.now() - timedelta(days=30)
    )
    builders.assessment(world.patient, answers=[1] * 9)
    page = _reviews_tab(world, login)
    trends = page[page.index("<h3>Trends</h3>") :]
    rows = trends.split('<tr class="nhsuk-table__row">')[2:]
    marked = ["Thoughts of self-harm (item 9) answered above" in row for row in rows]
    assert marked == [False, True, True]


def test_the_trends_table_says_when_each_result_was_taken_as_recorded(world, login):
    earlier = timezone.now() - timedelta(days=60)
    builders.assessment(world.patient, when=earlier)
    builders.assessment(world.patient, answers=[1] * 9)
    builders.assessment(world.patient, "GAD-7", [1] * 7, when=earlier, context="baseline")
    builders.assessment(world.patient, "GAD-7", [2] * 7)
    page = _reviews_tab(world, login)
    trends = page[page.index("<h3>Trends</h3>") :]
    gad7, phq9 = trends.split("<caption")[1:3]
    note = "(the first, so the change is measured from it)"
    assert "Baseline</td>" in gad7 and note not in gad7
    # A review taken first is still called a review; the table says the change starts there.
    assert "Baseline" not in phq9.split("</caption>")[1]
    assert f'Review <span class="nhsuk-body-s">{note}</span></td>' in phq9


def test_a_pseq_result_shows_the_eppoc_band_beside_it(world, login):
    request = builders.questionnaire_request(world.patient, instrument="PSEQ")
    services.submit_questionnaire(actor=world.patient_user, request=request, answers=[4] * 10)
    page = _reviews_tab(world, login)
    assert "40 (high self-efficacy; ePPOC severity mild)" in page  # the questionnaires table
    assert "high self-efficacy; ePPOC severity mild</td>" in page  # the trends table


def test_midas_letters_its_unscored_questions_so_no_number_is_used_twice(world, login):
    request = builders.questionnaire_request(world.patient, instrument="MIDAS")
    client = login(world.patient_user)
    page = client.get(_answer_url(request)).content.decode()
    assert "Summary:" not in page
    assert page.count("This questionnaire is licensed.") == 1
    for number in range(1, 6):
        assert page.count(f">{number}. ") == 1
    assert "A. On how many days did you have a headache? (optional)" in page
    assert "B. On average, how painful were the headaches? (optional)" in page
    assert "(optional) (optional)" not in page
    data = {f"item_{n}": "0" for n in range(1, 6)} | {"extra_1": "30", "extra_2": "11"}
    page = client.post(_answer_url(request), data).content.decode()
    assert "Enter 10 or less for question B." in page
    assert "question 2." not in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"activity_1": "Walking"}, "Rate activity 1 from 0 to 10."),
        (
            {"activity_1": "Walking", "rating_1": "11"},
            "Choose a rating from 0 to 10 for activity 1.",
        ),
        ({"rating_1": "5"}, "Name activity 1: say which activity your rating is for."),
        ({"activity_1": ""}, "Start with activity 1: name an activity you find hard and rate it"),
        (
            {"activity_1": "", "rating_1": ""},
            "Start with activity 1: name an activity you find hard and rate it",
        ),
        (
            {"activity_2": "Cooking", "rating_2": "5"},
            "Start with activity 1: name an activity you find hard and rate it",
        ),
        (
            {"activity_1": "Walking", "rating_1": "3", "rating_2": "5"},
            "Name activity 2, or choose “Not rated” for it.",
        ),
    ],
)
def test_one_psfs_problem_gives_one_error(world, login, data, message):
    request = builders.questionnaire_request(world.patient, instrument="PSFS")
    page = login(world.patient_user).post(_answer_url(request), data).content.decode()
    start = page.index("There is a problem")
    summary = page[start : page.index("</ul>", start)]
    assert summary.count("<li>") == 1 and message in summary
    assert not Assessment.objects.exists()


def _ratings(page, number):
    """The rating radios of PSFS activity `number` on `page`: (value, checked) in order."""
    return re.findall(rf'name="rating_{number}" type="radio" value="(\d*)"( checked)?', page)


def test_psfs_activity_1_needs_a_rating_and_only_later_ones_offer_not_rated(world, login):
    request = builders.questionnaire_request(world.patient, instrument="PSFS")
    page = login(world.patient_user).get(_answer_url(request)).content.decode()
    # Activity 1 is needed, named and rated: 0 to 10, nothing chosen for the patient.
    assert [value for value, _ in _ratings(page, 1)] == [str(n) for n in range(11)]
    assert not any(checked for _, checked in _ratings(page, 1))
    assert "Activity 1 (optional)" not in page
    # The others may be left out: "Not rated", chosen until the patient rates them.
    for number in range(2, 6):
        assert _ratings(page, number)[0] == ("", " checked")
        assert f"Activity {number} (optional)" in page


def test_a_stray_psfs_rating_is_undone_with_not_rated(world, login):
    request = builders.questionnaire_request(world.patient, instrument="PSFS")
    client = login(world.patient_user)
    stray = {"activity_1": "Walking the dog", "rating_1": "4", "rating_3": "7"}
    page = client.post(_answer_url(request), stray).content.decode()
    assert "Name activity 3, or choose “Not rated” for it." in page
    assert not Assessment.objects.exists()
    client.post(_answer_url(request), {**stray, "rating_3": ""})
    request.refresh_from_db()
    assert request.activities == ["Walking the dog"]
    assert request.assessment.answers == [4]


def test_the_care_team_sees_what_the_score_leaves_out(world, login):
    midas = builders.questionnaire_request(world.patient, instrument="MIDAS")
    services.submit_questionnaire(
        actor=world.patient_user, request=midas, answers=[1, 0, 0, 0, 0], unscored=[30, 6]
    )
    psfs = builders.questionnaire_request(world.patient, instrument="PSFS")
    services.submit_questionnaire(
        actor=world.patient_user,
        request=psfs,
        answers=[4, 7],
        activities=["Walking the dog", "Lifting shopping"],
    )
    page = _reviews_tab(world, login)
    assert "A. On how many days did you have a headache? 30" in page
    assert "B. On average, how painful were the headaches? 6" in page
    assert "Walking the dog: 4 of 10" in page and "Lifting shopping: 7 of 10" in page
    assert "Patient-Specific Functional Scale (review)" in page  # not the code, PSFS


def test_late_psfs_answers_keep_the_activities_the_patient_named_with_them(world, login):
    """A first PSFS answered in two windows: the second window's answers, sent after the first
    completed the request, are kept with the activities named in that window, not the first's."""
    client = login(world.patient_user)
    request = builders.questionnaire_request(world.patient, instrument="PSFS")
    client.post(_answer_url(request), {"activity_1": "Walking the dog", "rating_1": "3"})
    response = client.post(
        _answer_url(request),
        {"activity_1": "Gardening", "rating_1": "6", "activity_2": "Cooking", "rating_2": "5"},
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.activities == ["Walking the dog"]
    late = Assessment.objects.exclude(pk=request.assessment_id).get()
    assert late.answers == [6, 5]
    assert late.activities == ["Gardening", "Cooking"]
    # The same answers sent again are stored once; the same rating of another activity is not
    # the same answer.
    client.post(
        _answer_url(request),
        {"activity_1": "Gardening", "rating_1": "6", "activity_2": "Cooking", "rating_2": "5"},
    )
    client.post(_answer_url(request), {"activity_1": "Swimming", "rating_1": "3"})
    assert Assessment.objects.count() == 3
    page = _reviews_tab(world, login)
    assert "Walking the dog: 3 of 10" in page and "Swimming: 3 of 10" in page
    assert "Gardening: 6 of 10" in page and "Cooking: 5 of 10" in page


def test_late_follow_up_psfs_answers_rate_the_activities_sent(world, login):
    request = builders.questionnaire_request(world.patient, instrument="PSFS")
    request.activities = ["Walking the dog", "Gardening"]
    request.save(update_fields=["activities"])
    client = login(world.patient_user)
    client.post(_answer_url(request), {"rating_1": "3", "rating_2": "4"})
    client.post(_answer_url(request), {"rating_1": "5", "rating_2": "4"})
    request.refresh_from_db()
    late = Assessment.objects.exclude(pk=request.assessment_id).get()
    assert late.activities == ["Walking the dog", "Gardening"]
    assert "Walking the dog: 5 of 10" in _reviews_tab(world, login)


def test_late_midas_answers_keep_a_and_b(world):
    request = builders.questionnaire_request(world.patient, instrument="MIDAS")
    services.submit_questionnaire(
        actor=world.patient_user, request=request, answers=[1, 0, 0, 0, 0], unscored=[30, 6]
    )
    late, _ = services.submit_questionnaire(
        actor=world.patient_user, request=request, answers=[2, 0, 0, 0, 0], unscored=[20, 5]
    )
    assert late.unscored_answers == [20, 5]


def test_the_service_refuses_a_due_date_past_the_limit_as_the_form_does(world):
    from datetime import date

    with pytest.raises(ReviewsError, match="Choose a date on or before") as refused:
        services.request_questionnaire(
            actor=world.clinician, patient=world.patient, instrument="PHQ-9", due=date(9999, 12, 31)
        )
    assert refused.value.field == "due"
    assert not QuestionnaireRequest.objects.exists()


# Answers the patient gives the team (by phone or at an appointment).


def _record_url(request):
    return reverse("reviews:questionnaire-record", kwargs={"request_uuid": request.uuid})


def test_the_team_records_answers_given_by_phone_with_the_same_score(world, login):
    request = builders.questionnaire_request(world.patient, instrument="PHQ-9")
    client = login(world.clinician)
    page = client.get(_record_url(request)).content.decode()
    assert "Record answers: " in page and "Read each question to Alice" in page
    # The period the answers cover is read out first, as the patient's own form shows it.
    assert "Read this first: Over the last 2 weeks, how often have you been bothered" in page
    reviews_tab = client.get(
        reverse("reviews:patient-reviews", kwargs={"patient_uuid": world.patient.uuid})
    ).content.decode()
    assert _record_url(request) in reviews_tab
    response = client.post(_record_url(request), _phq9([1, 2, 1, 0, 0, 1, 1, 0, 0]), follow=True)
    assert "Mood (PHQ-9) answers are recorded." in response.content.decode()
    request.refresh_from_db()
    assert request.status == "completed"
    assessment = request.assessment
    assert (assessment.total, assessment.completed_by) == (6, world.clinician)
    assert not SafetyAlert.objects.exists()
    reviews_tab = client.get(
        reverse("reviews:patient-reviews", kwargs={"patient_uuid": world.patient.uuid})
    ).content.decode()
    assert "Answers given to Nurse Nia and recorded by them" in reviews_tab
    # Done: the link goes, and the same answers recorded again make no second assessment.
    assert "already been answered" in client.get(_record_url(request), follow=True).content.decode()
    again = client.post(_record_url(request), _phq9([1, 2, 1, 0, 0, 1, 1, 0, 0]), follow=True)
    assert "already been answered" in again.content.decode()
    assert Assessment.objects.filter(patient=world.patient).count() == 1


def test_answers_a_colleague_recorded_meanwhile_do_not_drop_a_risky_answer(world, login):
    # Two windows: the portal (or a colleague) answers first; the team's answers differ and
    # say item 9 is above 0.
    request = builders.questionnaire_request(world.patient, instrument="PHQ-9")
    services.submit_questionnaire(actor=world.patient_user, request=request, answers=[0] * 9)
    response = login(world.clinician).post(_record_url(request), _phq9([0] * 8 + [3]), follow=True)
    page = response.content.decode()
    assert "had already been answered" in page and "recorded too" in page
    assert "a safety alert is open" in page
    alert = SafetyAlert.objects.get()
    assert alert.assessment.completed_by == world.clinician and alert.assessment.total == 3


def _trend(client, patient, code):
    page = client.get(reverse("reviews:patient-reviews", kwargs={"patient_uuid": patient.uuid}))
    return page, next(t for t in page.context["trends"] if t.code == code)


def test_answers_recorded_again_from_a_second_window_are_not_the_latest_score(world, login):
    # Two windows on "Record answers": the first records item 9 at 1, the second all zeros.
    request = builders.questionnaire_request(world.patient, instrument="PHQ-9")
    client = login(world.clinician)
    client.post(_record_url(request), _phq9([0] * 8 + [1]))
    client.post(_record_url(request), _phq9([0] * 9))
    page, trend = _trend(client, world.patient, "PHQ-9")
    assert [(p.total, p.sent_again) for p in trend.points] == [(1, False), (0, True)]
    # One completion: nothing to measure a change between.
    assert (trend.change, trend.verdict) == (None, "single")
    assert (trend.baseline.total, trend.latest.total) == (1, 1)
    assert "change since baseline" not in page.content.decode()


def test_a_second_windows_answers_never_show_as_an_improvement(world, login):
    builders.assessment(
        world.patient, "HIT-6", ["always"] * 6, when=timezone.now() - timedelta(days=90)
    )
    request = builders.questionnaire_request(world.patient, instrument="HIT-6")
    stale = QuestionnaireRequest.objects.get(pk=request.pk)
    services.submit_questionnaire(
        actor=world.clinician, request=request, answers=["always"] * 5 + ["very often"]
    )
    services.submit_questionnaire(actor=world.clinician, request=stale, answers=["sometimes"] * 6)
    page, trend = _trend(login(world.clinician), world.patient, "HIT-6")
    assert [p.total for p in trend.points] == [78, 76, 60]
    # Measured from the baseline to the request's own answers (76), not the later set (60).
    assert (trend.change, trend.verdict) == (-2, "no_important_change")
    assert trend.latest.total == 76
    body = page.content.decode()
    assert "change since baseline -2" in body
    assert "Clinically important improvement" not in body


def test_answers_the_team_records_after_a_cancellation_complete_the_request(world, login):
    request = builders.questionnaire_request(world.patient, instrument="GAD-7")
    client = login(world.clinician)
    services.cancel_questionnaire_request(actor=world.other_clinician, request=request)
    answers = {f"item_{n}": "1" for n in range(1, 8)}
    page = client.post(_record_url(request), answers, follow=True).content.decode()
    assert "answers are recorded. The request had been cancelled meanwhile" in page
    request.refresh_from_db()
    assert request.status == "completed" and request.assessment.total == 7


def test_a_risky_answer_recorded_by_the_team_opens_an_alert_that_says_who_recorded_it(world, login):
    request = builders.questionnaire_request(world.patient, instrument="PHQ-9")
    client = login(world.clinician)
    response = client.post(_record_url(request), _phq9([0] * 8 + [2]), follow=True)
    assert "a safety alert is open" in response.content.decode()
    alert = SafetyAlert.objects.get(patient=world.patient, resolved_at__isnull=True)
    page = client.get(reverse("reviews:alert", kwargs={"alert_uuid": alert.uuid})).content
    assert f"recorded by {world.clinician.full_name}" in page.decode()
    assert "The patient was shown crisis contacts" not in page.decode()


def test_incomplete_answers_are_named_and_nothing_is_stored(world, login):
    request = builders.questionnaire_request(world.patient, instrument="GAD-7")
    response = login(world.clinician).post(_record_url(request), {"item_1": "1"})
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    request.refresh_from_db()
    assert request.status == "requested"


@pytest.mark.parametrize(
    ("instrument", "period"),
    [("MIDAS", "in the last 3 months"), ("HIT-6", "past 4 weeks"), ("GAD-7", "last 2 weeks")],
)
def test_the_record_page_gives_the_period_the_answers_cover(world, login, instrument, period):
    request = builders.questionnaire_request(world.patient, instrument=instrument)
    page = login(world.clinician).get(_record_url(request)).content.decode()
    intro = re.search(r'<p class="nhsuk-lede-text" id="questionnaire-intro">(.*?)</p>', page)
    assert period in intro.group(1)


def test_only_the_patients_care_team_can_record_answers(world, login):
    request = builders.questionnaire_request(world.patient, instrument="PHQ-9")
    assert login(world.other_clinician).get(_record_url(request)).status_code == 404
    assert login(world.gp).get(_record_url(request)).status_code == 404
    assert login(world.patient_user).get(_record_url(request)).status_code == 404
