"""Builders for reviews tests (kept here rather than in tests/factories.py, which is shared)."""

import hashlib
import itertools
from datetime import timedelta

from django.utils import timezone

from pathway import instruments
from pathway.models import Assessment, Episode, Milestone, Notification
from reviews.models import (
    Appointment,
    Discharge,
    DischargeLetter,
    GroupBooking,
    GroupSession,
    MdtCase,
    QuestionnaireRequest,
    SafetyAlert,
)
from tests.factories import EpisodeFactory


def episode_for(patient, **fields) -> Episode:
    existing = patient.episodes.filter(status__in=["referred", "active"]).first()
    if existing is not None and not fields:
        return existing
    return EpisodeFactory(patient=patient, **fields)


def under_care(patient) -> Episode:
    """The patient's open episode, with its first conversation held (reviews follow it)."""
    episode = episode_for(patient)
    if not episode.milestones.filter(kind="first_contact").exists():
        Milestone.objects.create(episode=episode, kind="first_contact", occurred_at=timezone.now())
    return episode


def seen_with_a_plan(episode: Episode, *, days_ago: int = 30) -> Episode:
    """The episode's first contact and agreed care plan, as their milestones `days_ago`: what a
    discharge as "Finished the pathway" needs."""
    when = timezone.now() - timedelta(days=days_ago)
    for kind in ("first_contact", "care_plan_agreed"):
        Milestone.objects.create(episode=episode, kind=kind, occurred_at=when)
    return episode


def appointment(patient, clinician, *, start=None, status="booked", **fields) -> Appointment:
    start = start or timezone.now() + timedelta(days=2)
    extra = {}
    if status in ("attended", "did_not_attend"):
        extra["attendance_recorded_at"] = timezone.now()
    if status == "cancelled":
        extra["cancelled_at"] = timezone.now()
    defaults = {
        "kind": "follow_up",
        "duration_minutes": 30,
        "modality": "phone",
        "episode": episode_for(patient),
    }
    return Appointment.objects.create(
        patient=patient,
        clinician=clinician,
        start=start,
        status=status,
        **{**defaults, **extra, **fields},
    )


def review_held(patient, clinician, *, next_in_days: int, next_kind="annual_review", **fields):
    """A review held an hour ago through the service, setting the next review `next_in_days`
    from today (the episode's `annual_review_due`) as `next_kind`."""
    from reviews.services.outcomes import complete_review

    held = appointment(
        patient, clinician, start=timezone.now() - timedelta(hours=1), kind="follow_up", **fields
    )
    return complete_review(
        actor=clinician,
        appointment=held,
        summary="Reviewed.",
        next_review_date=timezone.localdate() + timedelta(days=next_in_days),
        next_review_kind=next_kind,
    )


def group_session(organisation, *, start=None, capacity=10, **fields) -> GroupSession:
    return GroupSession.objects.create(
        organisation=organisation,
        topic=fields.pop("topic", "Pacing and sleep"),
        start=start or timezone.now() + timedelta(days=10),
        capacity=capacity,
        video_link=fields.pop("video_link", "https://video.example.test/room"),
        **fields,
    )


def booking(session, patient, *, status="invited", had_place=None, **extra) -> GroupBooking:
    """A booking in `status`; an ended one (cancelled, declined, withdrawn) was a place if
    `had_place` (by default a cancelled one was, the others were invitations). A place is
    booked now, or the day before a session that has started."""
    now = timezone.now()
    fields = {"invited_at": now}
    if had_place is None:
        had_place = status in ("booked", "attended", "did_not_attend", "cancelled")
    if had_place:
        # Booking closes when the session starts: a place at one that has started was booked
        # before it (one dating from later is someone who joined without a place).
        fields["booked_at"] = min(now, session.start - timedelta(days=1))
    if status in ("attended", "did_not_attend"):
        fields["attendance_recorded_at"] = now
    if status in ("cancelled", "declined", "withdrawn"):
        fields["cancelled_at"] = now
    return GroupBooking.objects.create(
        session=session, patient=patient, status=status, **{**fields, **extra}
    )


def questionnaire_request(patient, *, instrument="PHQ-9", days_ago=0, **fields):
    requested_at = timezone.now() - timedelta(days=days_ago)
    return QuestionnaireRequest.objects.create(
        patient=patient,
        instrument=instrument,
        requested_at=requested_at,
        due=fields.pop("due", timezone.localdate() + timedelta(days=7 - days_ago)),
        **fields,
    )


def assessment(patient, code="PHQ-9", answers=None, *, when=None, context="review"):
    answers = answers if answers is not None else [0] * 9
    result = instruments.score(code, answers)
    return Assessment.objects.create(
        patient=patient,
        instrument=code,
        answers=answers,
        total=round(result.total, 2),
        band=result.band or "",
        alert=result.alert,
        context=context,
        completed_at=when or timezone.now(),
    )


def safety_alert(patient, *, clinician=None) -> SafetyAlert:
    phq9 = assessment(patient, answers=[1, 1, 1, 1, 1, 1, 1, 1, 1])
    return SafetyAlert.objects.create(
        patient=patient,
        assessment=phq9,
        raised_at=phq9.completed_at,
        responsible_clinician=clinician,
    )


def mdt_case(patient, **fields) -> MdtCase:
    # Each its own question unless given one: a question waits once per patient
    # (reviews_mdtcase_one_open_per_question).
    fields.setdefault("question", f"Next step? ({next(_MDT_QUESTIONS)})")
    return MdtCase.objects.create(patient=patient, **fields)


_MDT_QUESTIONS = itertools.count(1)


def failed_notification(patient, *, key="failed-1", kind="appointment_reminder") -> Notification:
    return Notification.objects.create(
        patient=patient,
        channel="sms",
        kind=kind,
        template="reviews-appointment-tomorrow",
        context={"link": "http://testserver/", "time": "10:00"},
        scheduled_for=timezone.now(),
        status="failed",
        attempts=5,
        last_error="Notify 400",
        idempotency_key=key,
    )


def discharge_letter(patient, *, pdf=b"%PDF-1.7 discharge summary") -> DischargeLetter:
    """A discharged episode of `patient` with its reason and a rendered summary letter."""
    closed = timezone.now()
    episode = EpisodeFactory(
        patient=patient,
        status="discharged",
        opened_at=closed - timedelta(days=200),
        closed_at=closed,
    )
    discharge = Discharge.objects.create(episode=episode, patient=patient, reason="goals_met")
    return DischargeLetter.objects.create(
        discharge=discharge, pdf=pdf, sha256=hashlib.sha256(pdf).hexdigest(), size=len(pdf)
    )
