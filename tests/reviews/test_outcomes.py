"""The review page: completing a review writes milestones and the next due date."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from pathway.models import AuditEvent, Milestone, Notification
from pathway.notifications.outbox import render_message
from referrals.services import Decision, triage_referral
from reviews.errors import ReviewsError, StaleState
from reviews.models import QuestionnaireRequest, Review, SafetyAlert
from reviews.services.outcomes import complete_review, due_moment
from tests.referrals import builders as referral_builders
from tests.reviews import builders


def _complete(world, appointment, **overrides):
    fields = {
        "actor": world.clinician,
        "appointment": appointment,
        "summary": "Pain story heard.",
        "next_review_date": timezone.localdate() + timedelta(days=365),
    }
    return complete_review(**{**fields, **overrides})


def test_a_first_conversation_writes_first_contact_and_the_next_annual_review(world):
    appointment = builders.appointment(
        world.patient, world.clinician, start=timezone.now(), kind="first_conversation"
    )
    next_date = timezone.localdate() + timedelta(days=365)
    review = _complete(world, appointment, questionnaires=("PHQ-9", "HIT-6"))
    appointment.refresh_from_db()
    assert appointment.status == "attended"
    assert review.next_review_date == next_date
    kinds = dict(Milestone.objects.values_list("kind", "occurred_at"))
    assert "first_contact" in kinds and "review_held" not in kinds
    assert kinds["annual_review_due"] == due_moment(next_date)
    requests = QuestionnaireRequest.objects.filter(patient=world.patient)
    assert sorted(requests.values_list("instrument", flat=True)) == ["HIT-6", "PHQ-9"]
    assert set(requests.values_list("context", flat=True)) == {"baseline"}
    assert AuditEvent.objects.filter(object_uuid=review.uuid, action="create").exists()


@pytest.mark.parametrize(
    ("kind", "milestone"), [("first_conversation", "first_contact"), ("follow_up", "review_held")]
)
def test_an_outcome_written_up_days_later_is_dated_when_the_patient_was_seen(
    world, kind, milestone
):
    seen = timezone.now() - timedelta(days=3, hours=2)
    appointment = builders.appointment(world.patient, world.clinician, start=seen, kind=kind)
    _complete(world, appointment)
    assert Milestone.objects.get(kind=milestone).occurred_at == seen


def test_an_annual_review_writes_review_held_and_keeps_an_outstanding_questionnaire(world):
    builders.questionnaire_request(world.patient, instrument="PHQ-9")
    appointment = builders.appointment(
        world.patient,
        world.clinician,
        start=timezone.now() - timedelta(hours=1),
        kind="annual_review",
        status="attended",
    )
    review = _complete(world, appointment, questionnaires=("PHQ-9",))
    assert Milestone.objects.filter(kind="review_held").count() == 1
    assert not Milestone.objects.filter(kind="first_contact").exists()
    assert QuestionnaireRequest.objects.filter(instrument="PHQ-9").count() == 1
    assert review.questionnaires_still_waiting == ("PHQ-9",)


def test_the_outcome_message_names_the_questionnaires_not_sent_again(world, login):
    builders.questionnaire_request(world.patient, instrument="PHQ-9", days_ago=2)
    builders.questionnaire_request(world.patient, instrument="HIT-6", days_ago=2)
    appointment = builders.appointment(
        world.patient, world.clinician, start=timezone.now(), kind="follow_up"
    )
    client = login(world.clinician)
    url = reverse("reviews:review", kwargs={"appointment_uuid": appointment.uuid})
    response = client.post(
        url,
        {
            "summary": "Settling",
            "mental_health_follow_up": "not_needed",
            "next_review_date": (timezone.localdate() + timedelta(days=365)).isoformat(),
            "questionnaires": ["PHQ-9", "GAD-7"],
        },
        follow=True,
    )
    page = response.content.decode()
    assert "Follow-up review recorded." in page
    assert (
        "Mood (PHQ-9) was not sent again: the one sent before is still waiting for the patient "
        "to complete." in page
    )
    # Only the questionnaires chosen are named; the one sent now is sent.
    assert "HIT-6" not in page.split("Follow-up review recorded.")[1].split("</p>")[0]
    waiting = QuestionnaireRequest.objects.filter(status="requested")
    assert sorted(waiting.values_list("instrument", flat=True)) == ["GAD-7", "HIT-6", "PHQ-9"]


def test_the_outcome_message_names_every_questionnaire_not_sent_again(world, login):
    for code in ("PHQ-9", "GAD-7"):
        builders.questionnaire_request(world.patient, instrument=code, days_ago=2)
    appointment = builders.appointment(
        world.patient, world.clinician, start=timezone.now(), kind="follow_up"
    )
    response = login(world.clinician).post(
        reverse("reviews:review", kwargs={"appointment_uuid": appointment.uuid}),
        {
            "summary": "Settling",
            "mental_health_follow_up": "not_needed",
            "next_review_date": (timezone.localdate() + timedelta(days=365)).isoformat(),
            "questionnaires": ["PHQ-9", "GAD-7"],
        },
        follow=True,
    )
    assert (
        "Mood (PHQ-9) and Anxiety (GAD-7) were not sent again: the ones sent before are still "
        "waiting for the patient to complete." in response.content.decode()
    )
    assert QuestionnaireRequest.objects.count() == 2


def test_questionnaires_chosen_after_the_patient_was_discharged_are_refused(world):
    appointment = builders.appointment(
        world.patient, world.clinician, start=timezone.now() - timedelta(hours=2)
    )
    appointment.episode.status = "discharged"
    appointment.episode.closed_at = timezone.now()
    appointment.episode.save()
    with pytest.raises(ReviewsError, match="has no open episode of care") as refused:
        _complete(world, appointment, questionnaires=("PHQ-9",))
    assert refused.value.field == "questionnaires"
    assert not Review.objects.exists() and not QuestionnaireRequest.objects.exists()
    # The review itself can still be written up.
    assert _complete(world, appointment).appointment == appointment


def test_a_second_completion_is_refused_and_writes_nothing(world):
    appointment = builders.appointment(world.patient, world.clinician, start=timezone.now())
    _complete(world, appointment)
    with pytest.raises(StaleState):
        _complete(world, appointment)
    assert Review.objects.count() == 1
    assert Milestone.objects.filter(kind="review_held").count() == 1


@pytest.mark.parametrize(
    ("appointment_fields", "overrides", "message"),
    [
        ({"status": "cancelled"}, {}, "did not take place"),
        ({"status": "did_not_attend"}, {}, "did not take place"),
        ({"kind": "group_session"}, {}, "do not have a review form"),
        ({"start": timezone.now() + timedelta(days=2)}, {}, "once the appointment has started"),
        ({}, {"next_review_date": timezone.localdate()}, "must be in the future"),
        ({}, {"next_review_date": timezone.localdate() + timedelta(days=900)}, "within 18"),
        ({}, {"summary": "   "}, "short summary"),
    ],
)
def test_it_refuses_a_review_that_cannot_be_recorded(world, appointment_fields, overrides, message):
    fields = {"start": timezone.now(), **appointment_fields}
    appointment = builders.appointment(world.patient, world.clinician, **fields)
    with pytest.raises(ReviewsError, match=message):
        _complete(world, appointment, **overrides)
    assert not Review.objects.exists()
    assert not Milestone.objects.exists()


def test_the_review_page_shows_trends_and_records_the_outcome(world, login):
    builders.assessment(
        world.patient,
        "HIT-6",
        ["always"] * 6,
        when=timezone.now() - timedelta(days=90),
        context="baseline",
    )
    builders.assessment(world.patient, "HIT-6", ["sometimes"] * 6)
    appointment = builders.appointment(
        world.patient, world.clinician, start=timezone.now(), kind="annual_review"
    )
    client = login(world.clinician)
    url = reverse("reviews:review", kwargs={"appointment_uuid": appointment.uuid})
    page = client.get(url).content.decode()
    assert "Headache Impact Test" in page
    assert "Clinically important improvement" in page  # 78 -> 60
    response = client.post(
        url,
        {
            "summary": "Going well",
            "mental_health_follow_up": "not_needed",
            "next_review_date": (timezone.localdate() + timedelta(days=365)).isoformat(),
            "questionnaires": ["GAD-7"],
        },
    )
    assert response.status_code == 302
    assert Review.objects.get().summary == "Going well"
    # The page then shows the recorded outcome instead of the form.
    page = client.get(url).content.decode()
    assert "Outcome recorded" in page


def test_every_mistake_on_the_outcome_form_is_said_at_once_at_the_top(world, login):
    appointment = builders.appointment(world.patient, world.clinician, start=timezone.now())
    url = reverse("reviews:review", kwargs={"appointment_uuid": appointment.uuid})
    response = login(world.clinician).post(
        url,
        {
            "summary": "",
            "next_review_date": (timezone.localdate() - timedelta(days=1)).isoformat(),
        },
    )
    body = response.content.decode()
    summary = body.index("There is a problem")
    for message in (
        "The next review date must be in the future.",
        "Choose the mental health follow-up.",
    ):
        assert body.index(message) > summary, message
    # Before the diary and care plan the clinician reads, not below them.
    assert summary < body.index("<h3>Diary</h3>")
    assert not Review.objects.exists()


def test_a_review_too_long_to_read_is_refused_with_what_was_typed_kept(world, login):
    appointment = builders.appointment(world.patient, world.clinician, start=timezone.now())
    url = reverse("reviews:review", kwargs={"appointment_uuid": appointment.uuid})
    summary = "word " * 801  # 4,005 characters
    response = login(world.clinician).post(
        url,
        {
            "summary": summary,
            "what_matters": "x" * 2001,
            "mental_health_follow_up": "not_needed",
            "next_review_date": (timezone.localdate() + timedelta(days=365)).isoformat(),
        },
    )
    page = response.content.decode()
    assert "Keep the summary to 4,000 characters or fewer." in page
    assert "Keep this to 2,000 characters or fewer." in page
    assert summary.strip() in page
    assert 'data-maxlength="4000"' in page  # the box counts down as one types
    assert not Review.objects.exists()


def test_the_outcome_waits_for_the_start_time_not_just_the_day(world, login):
    # A first conversation's outcome records the first contact: not before it can have happened.
    start = timezone.now() + timedelta(minutes=5)
    appointment = builders.appointment(
        world.patient, world.clinician, start=start, kind="first_conversation"
    )
    when = timezone.localtime(start)
    with pytest.raises(ReviewsError, match=f"once the appointment has started, at {when:%H:%M}"):
        _complete(world, appointment)
    page = login(world.clinician).get(
        reverse("reviews:review", kwargs={"appointment_uuid": appointment.uuid})
    )
    assert "once the appointment has started" in page.content.decode()
    assert 'name="summary"' not in page.content.decode()
    assert not Review.objects.exists()
    assert not Milestone.objects.filter(kind="first_contact").exists()


def _booked_before_triage(world, kind="first_conversation"):
    # Booking before triage is allowed; the episode stays referred until the referral is accepted.
    referral = referral_builders.referral(world.patient, world.gp)
    appointment = builders.appointment(
        world.patient,
        world.clinician,
        start=timezone.now() - timedelta(minutes=10),
        kind=kind,
        episode=referral.episode,
    )
    assert referral.episode.status == "referred"
    return referral, appointment


@pytest.mark.parametrize("kind", ["first_conversation", "follow_up"])
def test_the_outcome_waits_for_the_referral_to_be_accepted_at_triage(world, kind):
    _, appointment = _booked_before_triage(world, kind)
    what = "first conversation" if kind == "first_conversation" else "review"
    with pytest.raises(
        ReviewsError, match=f"Accept it at triage before recording the outcome of this {what}"
    ):
        _complete(world, appointment)
    appointment.refresh_from_db()
    assert appointment.status == "booked"
    assert not Review.objects.exists()
    assert not Milestone.objects.filter(kind__in=["first_contact", "review_held"]).exists()


def test_the_review_page_says_to_triage_first_and_records_the_outcome_once_accepted(world, login):
    referral, appointment = _booked_before_triage(world)
    client = login(world.clinician)
    url = reverse("reviews:review", kwargs={"appointment_uuid": appointment.uuid})
    body = client.get(url).content.decode()
    assert "The referral is still waiting for triage. Accept it at triage" in body
    assert 'name="summary"' not in body
    outcome = {
        "summary": "Pain story heard.",
        "mental_health_follow_up": "not_needed",
        "next_review_date": (timezone.localdate() + timedelta(days=365)).isoformat(),
    }
    refused = client.post(url, outcome)
    assert "The referral is still waiting for triage" in refused.content.decode()
    assert not Review.objects.exists()
    triage_referral(
        actor=world.clinician,
        referral=referral,
        decision=Decision(decision="accept", priority="routine"),
    )
    assert client.post(url, outcome).status_code == 302
    first_contact = Milestone.objects.get(episode=referral.episode, kind="first_contact")
    assert first_contact.occurred_at == appointment.start


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"start": timezone.now() + timedelta(days=2)}, "once the appointment has started"),
        ({"status": "cancelled"}, "did not take place, so it has no review to record"),
    ],
)
def test_the_outcome_form_is_not_offered_before_the_day_or_for_what_did_not_happen(
    world, login, fields, says
):
    appointment = builders.appointment(world.patient, world.clinician, **fields)
    page = login(world.clinician).get(
        reverse("reviews:review", kwargs={"appointment_uuid": appointment.uuid})
    )
    body = page.content.decode()
    assert says in body
    assert 'name="summary"' not in body


def test_the_mental_health_follow_up_is_never_chosen_for_the_clinician(world, login):
    appointment = builders.appointment(world.patient, world.clinician, start=timezone.now())
    client = login(world.clinician)
    url = reverse("reviews:review", kwargs={"appointment_uuid": appointment.uuid})
    page = client.get(url).content.decode()
    assert 'name="mental_health_follow_up"' in page
    assert not re.search(r'name="mental_health_follow_up"[^>]*checked', page)
    response = client.post(
        url,
        {"summary": "x", "next_review_date": (timezone.localdate() + timedelta(days=90))},
    )
    assert response.status_code == 200
    assert "Choose the mental health follow-up." in response.content.decode()
    assert not Review.objects.exists()


def test_no_follow_up_while_a_safety_alert_is_open_needs_a_reason(world, login):
    builders.safety_alert(world.patient)
    appointment = builders.appointment(world.patient, world.clinician, start=timezone.now())
    client = login(world.clinician)
    url = reverse("reviews:review", kwargs={"appointment_uuid": appointment.uuid})
    answers = {
        "summary": "Mood better.",
        "mental_health_follow_up": "not_needed",
        "next_review_date": (timezone.localdate() + timedelta(days=90)).isoformat(),
    }
    response = client.post(url, answers)
    assert response.status_code == 200
    assert "This patient has an open safety alert: say why no mental health follow-up" in (
        response.content.decode()
    )
    assert not Review.objects.exists()
    notes = "Seen by the crisis team yesterday; plan in place."
    response = client.post(url, {**answers, "mental_health_notes": notes})
    assert response.status_code == 302
    assert Review.objects.get().mental_health_notes == notes


def test_mental_health_notes_are_read_back_on_the_reviews_tab_and_the_appointment(world, login):
    appointment = builders.appointment(world.patient, world.clinician, start=timezone.now())
    client = login(world.clinician)
    client.post(
        reverse("reviews:review", kwargs={"appointment_uuid": appointment.uuid}),
        {
            "summary": "Headaches fewer.",
            "mental_health_follow_up": "gp_follow_up",
            "mental_health_notes": "Low mood worse; GP to review sertraline.",
            "next_review_date": (timezone.localdate() + timedelta(days=90)).isoformat(),
        },
    )
    assert Review.objects.filter(appointment=appointment).exists()
    pages = [
        reverse("reviews:patient-reviews", kwargs={"patient_uuid": world.patient.uuid}),
        reverse("reviews:appointment", kwargs={"appointment_uuid": appointment.uuid}),
    ]
    for url in pages:
        assert "Low mood worse; GP to review sertraline." in client.get(url).content.decode()


def test_the_review_page_shows_bad_dates_beside_the_field(world, login):
    appointment = builders.appointment(world.patient, world.clinician, start=timezone.now())
    response = login(world.clinician).post(
        reverse("reviews:review", kwargs={"appointment_uuid": appointment.uuid}),
        {
            "summary": "x",
            "mental_health_follow_up": "not_needed",
            "next_review_date": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 200
    assert 'id="id_next_review_date-error"' in response.content.decode()
    assert not Review.objects.exists()


def test_a_same_day_risk_assessment_raises_a_safety_alert_for_the_responsible_clinician(
    world, second_clinician
):
    builders.episode_for(world.patient, responsible_clinician=second_clinician)
    appointment = builders.appointment(
        world.patient,
        world.clinician,
        start=timezone.now(),
        kind="first_conversation",
        episode=world.patient.episodes.get(),
    )
    review = _complete(world, appointment, mental_health_follow_up="same_day")
    alert = SafetyAlert.objects.get()
    assert (alert.kind, alert.review, alert.assessment) == ("same_day_risk", review, None)
    assert alert.patient == world.patient and alert.resolved_at is None
    assert alert.responsible_clinician == second_clinician
    assert alert.raised_at == review.completed_at
    email = Notification.objects.get(kind="safety_alert")
    assert email.user == second_clinician and email.channel == "email"
    assert world.patient.family_name not in str(email.context)
    message = render_message(email)
    assert message.body.startswith("Something recorded for one of your patients needs your")
    assert "questionnaire" not in message.body + message.html
    assert AuditEvent.objects.filter(object_uuid=alert.uuid, action="create").exists()


def test_without_a_responsible_clinician_the_alert_goes_to_whoever_recorded_the_review(world):
    appointment = builders.appointment(world.patient, world.clinician, start=timezone.now())
    _complete(world, appointment, mental_health_follow_up="same_day")
    assert SafetyAlert.objects.get().responsible_clinician == world.clinician


@pytest.mark.parametrize(
    "follow_up", ["not_needed", "already_supported", "gp_follow_up", "talking_therapies"]
)
def test_other_mental_health_follow_ups_raise_no_alert(world, follow_up):
    appointment = builders.appointment(world.patient, world.clinician, start=timezone.now())
    _complete(world, appointment, mental_health_follow_up=follow_up)
    assert not SafetyAlert.objects.exists()
    assert not Notification.objects.filter(kind="safety_alert").exists()


def test_a_same_day_risk_assessment_stays_on_the_worklist_until_the_action_is_recorded(
    world, login, settings
):
    settings.WORKLIST_CACHE_SECONDS = 0
    appointment = builders.appointment(
        world.patient, world.clinician, start=timezone.now(), kind="annual_review"
    )
    client = login(world.clinician)
    response = client.post(
        reverse("reviews:review", kwargs={"appointment_uuid": appointment.uuid}),
        {
            "summary": "Low mood, talked about not wanting to go on.",
            "mental_health_follow_up": "same_day",
            "mental_health_notes": "Lives alone; GP aware.",
            "next_review_date": (timezone.localdate() + timedelta(days=90)).isoformat(),
        },
        follow=True,
    )
    assert "A safety alert for the same-day risk assessment is on the team" in (
        response.content.decode()
    )
    assert "Open safety alert" in response.content.decode()
    [row] = client.get(reverse("reviews:worklist")).context["rows"]
    alert = SafetyAlert.objects.get()
    assert (row.patient, row.top.code) == (world.patient, "safety_alert")
    assert row.top.detail.startswith("Same-day risk assessment asked for at a review")
    assert row.top.url == reverse("reviews:alert", kwargs={"alert_uuid": alert.uuid})
    page = client.get(row.top.url).content.decode()
    assert "Nurse Nia asked for a same-day risk assessment at Alice's annual review" in page
    assert "Lives alone; GP aware." in page
    assert "PHQ-9 total" not in page
    client.post(row.top.url, {"action_taken": "Called, safety plan agreed with the GP."})
    assert client.get(reverse("reviews:worklist")).context["rows"] == []


def test_a_second_review_of_the_same_appointment_shows_what_was_typed_and_saves_nothing(
    world, login
):
    appointment = builders.appointment(
        world.patient, world.clinician, start=timezone.now(), kind="follow_up"
    )
    _complete(world, appointment, summary="First account of the review.")
    response = login(world.clinician).post(
        reverse("reviews:review", kwargs={"appointment_uuid": appointment.uuid}),
        {
            "summary": "Second account, from another tab.",
            "next_review_date": "2027-01-20",
            "mental_health_follow_up": "same_day",
            "questionnaires": ["PHQ-9", "GAD-7"],
        },
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert "What you wrote was not saved" in body
    assert "Nurse Nia recorded this" in body
    assert "Second account, from another tab." in body
    # Choices are shown in words too, so a same-day risk assessment asked for is not lost.
    start = body.index("What you wrote was not saved")
    panel = body[start : body.index("</dl>", start)]
    assert "Same-day risk assessment" in panel and "20 January 2027" in panel
    assert "PHQ-9" in panel and "GAD-7" in panel
    assert appointment.review.summary == "First account of the review."


def test_the_review_form_says_whether_the_next_review_is_a_follow_up(world, login):
    appointment = builders.appointment(
        world.patient, world.clinician, start=timezone.now(), kind="follow_up"
    )
    client = login(world.clinician)
    url = reverse("reviews:review", kwargs={"appointment_uuid": appointment.uuid})
    form = {
        "summary": "Settling on the new preventive",
        "mental_health_follow_up": "not_needed",
        "next_review_date": (timezone.localdate() + timedelta(days=42)).isoformat(),
    }
    page = client.get(url).content.decode()
    assert 'name="next_review_kind" type="radio" value="annual_review" checked' in page
    # The date the form starts from is a year ahead: a follow-up left at it is a slip.
    a_year = (timezone.localdate() + timedelta(days=365)).isoformat()
    late = client.post(url, {**form, "next_review_kind": "follow_up", "next_review_date": a_year})
    assert "A follow-up is sooner than the annual review" in late.content.decode()
    refused = client.post(url, {**form, "next_review_kind": "monthly"})
    assert refused.status_code == 200
    assert "Select a valid choice" in refused.content.decode()
    assert not Review.objects.exists()
    response = client.post(url, {**form, "next_review_kind": "follow_up"})
    assert response.status_code == 302
    review = Review.objects.get()
    assert review.next_review_kind == "follow_up"
    due = timezone.localdate() + timedelta(days=42)
    assert f"Next review (follow-up) due {due:%-d %B %Y}" in client.get(url).content.decode()


def test_a_review_recorded_without_saying_sets_the_annual_review(world):
    appointment = builders.appointment(world.patient, world.clinician, start=timezone.now())
    assert _complete(world, appointment).next_review_kind == "annual_review"
    with pytest.raises(ReviewsError, match="Choose what the next review is"):
        _complete(
            world,
            builders.appointment(world.patient, world.clinician, start=timezone.now()),
            next_review_kind="monthly",
        )


@pytest.mark.parametrize(
    ("kind", "next_kind", "said"),
    [
        ("first_conversation", "annual_review", "First conversation recorded."),
        ("follow_up", "follow_up", "Follow-up review recorded."),
        ("medication_review", "annual_review", "Medication review recorded."),
        ("annual_review", "follow_up", "Annual review recorded."),
    ],
)
def test_recording_an_outcome_says_what_was_recorded_and_when_the_next_review_is(
    world, login, kind, next_kind, said
):
    if kind != "first_conversation":
        builders.under_care(world.patient)
    appointment = builders.appointment(
        world.patient, world.clinician, start=timezone.now() - timedelta(minutes=30), kind=kind
    )
    due = timezone.localdate() + timedelta(days=60)
    page = (
        login(world.clinician)
        .post(
            reverse("reviews:review", kwargs={"appointment_uuid": appointment.uuid}),
            {
                "summary": "Talked it through.",
                "mental_health_follow_up": "not_needed",
                "next_review_kind": next_kind,
                "next_review_date": due.isoformat(),
            },
            follow=True,
        )
        .content.decode()
    )
    words = {"annual_review": "annual review", "follow_up": "follow-up"}[next_kind]
    assert f"{said} The next review ({words}) is due on {due:%-d %B %Y}." in page
    assert "Review recorded" not in page and "The next review date is set." not in page
