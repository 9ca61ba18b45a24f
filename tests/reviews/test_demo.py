"""The demo data: idempotent, and it shows each part of the feature."""

from pathway.demo import seed_kernel
from reviews import worklist
from reviews.demo import seed_reviews
from reviews.models import (
    Appointment,
    GroupBooking,
    GroupSession,
    MdtCase,
    QuestionnaireRequest,
    SafetyAlert,
)
from reviews.selectors import assessment_trends


def test_the_demo_seeds_once_and_shows_every_part(db):
    ctx = seed_kernel()
    seed_reviews(ctx)
    counts = [Appointment.objects.count(), GroupSession.objects.count()]
    seed_reviews(seed_kernel())
    assert [Appointment.objects.count(), GroupSession.objects.count()] == counts

    alex, jamie, _morgan, taylor = ctx.patients[:4]
    kinds = set(Appointment.objects.values_list("kind", "status"))
    assert {("first_conversation", "booked"), ("annual_review", "booked")} <= kinds
    assert ("follow_up", "did_not_attend") in kinds and ("first_conversation", "attended") in kinds
    assert Appointment.objects.get(patient=jamie).kind == "first_conversation"
    assert GroupBooking.objects.filter(status="attended").exists()
    # A patient's own decline and the team's withdrawal, told apart on the session page.
    ended = GroupBooking.objects.filter(status__in=["declined", "withdrawn"])
    assert {b.status_label for b in ended} == {
        "Declined",
        "Invitation withdrawn by the care team",
    }
    assert MdtCase.objects.filter(status="open").exists()
    assert QuestionnaireRequest.objects.filter(
        patient=alex, instrument="PHQ-9", status="requested"
    ).exists()
    assert SafetyAlert.objects.get(resolved_at__isnull=True).patient == taylor
    assert {t.code for t in assessment_trends(alex) if len(t.points) > 1} == {"HIT-6", "MIDAS"}

    rows = worklist.worklist_for(ctx.users["clinician"]).rows
    assert rows[0].patient_id == taylor.pk and rows[0].top.code == "safety_alert"
