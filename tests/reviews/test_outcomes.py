"""The review page: completing a review writes milestones and the next due date."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from pathway.models import AuditEvent, Milestone
from reviews.errors import ReviewsError, StaleState
from reviews.models import QuestionnaireRequest, Review
from reviews.services.outcomes import complete_review, due_moment
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


def test_an_annual_review_writes_review_held_and_keeps_an_outstanding_questionnaire(world):
    builders.questionnaire_request(world.patient, instrument="PHQ-9")
    appointment = builders.appointment(
        world.patient,
        world.clinician,
        start=timezone.now() - timedelta(hours=1),
        kind="annual_review",
        status="attended",
    )
    _complete(world, appointment, questionnaires=("PHQ-9",))
    assert Milestone.objects.filter(kind="review_held").count() == 1
    assert not Milestone.objects.filter(kind="first_contact").exists()
    assert QuestionnaireRequest.objects.filter(instrument="PHQ-9").count() == 1


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
        ({"start": timezone.now() + timedelta(days=2)}, {}, "on the day of the appointment"),
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
