"""Database constraints of the reviews models: each invariant is enforced by name."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from reviews.models import (
    Appointment,
    GroupBooking,
    GroupSession,
    QuestionnaireRequest,
    SafetyAlert,
)
from tests.referrals import builders as referral_builders
from tests.reviews import builders


def _violates(name, action):
    with pytest.raises(IntegrityError, match=name), transaction.atomic():
        action()


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"duration_minutes": 0}, "reviews_appointment_duration_positive"),
        (
            {"modality": "phone", "video_link": "https://x.test"},
            "reviews_appointment_video_link_only_for_video",
        ),
        ({"status": "attended"}, "reviews_appointment_status_times_match"),
        ({"status": "cancelled"}, "reviews_appointment_status_times_match"),
        ({"attendance_recorded_at": timezone.now()}, "reviews_appointment_status_times_match"),
        ({"kind": "dentist"}, "reviews_appointment_kind_valid"),
        ({"status": "lost"}, "reviews_appointment_status_valid"),
        ({"rearrange_reason": "why"}, "reviews_appointment_rearrange_reason_has_time"),
    ],
)
def test_appointment_constraints(world, fields, constraint):
    def create():
        Appointment.objects.create(
            patient=world.patient,
            clinician=world.clinician,
            start=timezone.now(),
            **{"kind": "follow_up", "duration_minutes": 20, "modality": "phone", **fields},
        )

    _violates(constraint, create)


def test_group_session_needs_places_and_somewhere_to_meet(world):
    _violates(
        "reviews_groupsession_capacity_positive",
        lambda: builders.group_session(world.service, capacity=0),
    )
    _violates(
        "reviews_groupsession_has_link_or_venue",
        lambda: GroupSession.objects.create(
            organisation=world.service, topic="x", start=timezone.now(), capacity=3
        ),
    )


@pytest.mark.parametrize("status", ["cancelled", "declined", "withdrawn"])
def test_an_ended_group_booking_needs_the_time_it_ended(world, status):
    booking = builders.booking(builders.group_session(world.service), world.patient)
    _violates(
        "reviews_groupbooking_cancel_has_time",
        lambda: GroupBooking.objects.filter(pk=booking.pk).update(status=status),
    )


def test_a_group_booking_status_is_one_of_the_known_ones(world):
    booking = builders.booking(builders.group_session(world.service), world.patient)
    _violates(
        "reviews_groupbooking_status_valid",
        lambda: GroupBooking.objects.filter(pk=booking.pk).update(
            status="removed", cancelled_at=timezone.now()
        ),
    )


def test_a_withdrawn_booking_is_history_so_the_patient_can_be_invited_again(world):
    session = builders.group_session(world.service)
    builders.booking(session, world.patient, status="withdrawn")
    builders.booking(session, world.patient, status="withdrawn", had_place=True)
    assert builders.booking(session, world.patient).status == "invited"


def test_a_completed_request_needs_its_assessment(world):
    request = builders.questionnaire_request(world.patient)
    _violates(
        "reviews_qrequest_status_matches_fields",
        lambda: QuestionnaireRequest.objects.filter(pk=request.pk).update(status="completed"),
    )


def test_one_assessment_completes_one_request(world):
    assessment = builders.assessment(world.patient)
    first = builders.questionnaire_request(world.patient)
    second = builders.questionnaire_request(world.patient, instrument="GAD-7")
    now = timezone.now()
    QuestionnaireRequest.objects.filter(pk=first.pk).update(
        status="completed", assessment=assessment, completed_at=now
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        QuestionnaireRequest.objects.filter(pk=second.pk).update(
            status="completed", assessment=assessment, completed_at=now
        )


def test_a_resolved_alert_needs_the_action_taken(world):
    alert = builders.safety_alert(world.patient)
    _violates(
        "reviews_safetyalert_resolved_needs_action",
        lambda: SafetyAlert.objects.filter(pk=alert.pk).update(
            resolved_at=timezone.now(), resolved_by=world.clinician
        ),
    )
    _violates(
        "reviews_safetyalert_resolved_needs_action",
        lambda: SafetyAlert.objects.filter(pk=alert.pk).update(
            resolved_at=timezone.now(), action_taken="Called"
        ),
    )


def test_a_discussed_mdt_case_needs_agreed_actions(world):
    case = builders.mdt_case(world.patient)
    _violates(
        "reviews_mdtcase_discussed_has_actions",
        lambda: (
            type(case)
            .objects.filter(pk=case.pk)
            .update(status="discussed", discussed_at=timezone.now())
        ),
    )


def test_an_alert_comes_from_the_record_its_kind_names(world):
    alert = builders.safety_alert(world.patient)
    _violates(
        "reviews_safetyalert_source_matches_kind",
        lambda: SafetyAlert.objects.filter(pk=alert.pk).update(kind="same_day_risk"),
    )
    _violates(
        "reviews_safetyalert_source_matches_kind",
        lambda: SafetyAlert.objects.filter(pk=alert.pk).update(assessment=None),
    )
    # New red flags come from a referral, and only from one.
    _violates(
        "reviews_safetyalert_source_matches_kind",
        lambda: SafetyAlert.objects.filter(pk=alert.pk).update(kind="red_flags"),
    )
    # A stopped referral's alert comes from the stop, and only from it.
    _violates(
        "reviews_safetyalert_source_matches_kind",
        lambda: SafetyAlert.objects.filter(pk=alert.pk).update(kind="emergency_stop"),
    )
    stop = referral_builders.stop(world.gp, world.patient)
    _violates(
        "reviews_safetyalert_source_matches_kind",
        lambda: SafetyAlert.objects.filter(pk=alert.pk).update(emergency_stop=stop),
    )
