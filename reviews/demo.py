"""Demo rows for the reviews app (`manage.py seed_demo`): appointments past and coming, a
monthly group session series with bookings, an MDT case, questionnaires with trends, an
outstanding PHQ-9 for the demo patient and one open PHQ-9 item 9 alert for the worklist.

Idempotent: nothing is added if the demo group series already exists. Rows are written directly
(not through services) so seeding sends no messages.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

from django.utils import timezone

from pathway import instruments
from pathway.models import Assessment, Episode, Milestone
from reviews.models import (
    Appointment,
    GroupBooking,
    GroupSession,
    MdtCase,
    QuestionnaireRequest,
    Review,
    SafetyAlert,
)

LONDON = ZoneInfo("Europe/London")
DEMO_TOPIC = "Living well with persistent pain and headache"


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON)


def _episode(patient) -> Episode | None:
    return patient.episodes.order_by("-opened_at").first()


def _assessment(patient, code, answers, when, context, user=None) -> Assessment:
    result = instruments.score(code, answers)
    return Assessment.objects.create(
        patient=patient,
        instrument=code,
        answers=answers,
        total=round(result.total, 2),
        band=result.band or "",
        alert=result.alert,
        context=context,
        completed_by=user,
        completed_at=when,
    )


def seed_reviews(ctx) -> None:
    if GroupSession.objects.filter(topic=DEMO_TOPIC).exists():
        return
    nurse, physio, pharmacist = (ctx.users[k] for k in ("clinician", "physio", "pharmacist"))
    alex, jamie, morgan, taylor = ctx.patients[:4]
    service = ctx.organisations["S90001"]
    now = timezone.now()
    today = timezone.localdate()

    def appointment(patient, kind, start, clinician, *, status="booked", minutes=None, **extra):
        recorded = {}
        if status in ("attended", "did_not_attend"):
            recorded["attendance_recorded_at"] = start + timedelta(minutes=minutes or 30)
        return Appointment.objects.create(
            patient=patient,
            episode=_episode(patient),
            kind=kind,
            start=start,
            duration_minutes=minutes or {"annual_review": 20}.get(kind, 30),
            clinician=clinician,
            status=status,
            created_by=clinician,
            **recorded,
            **extra,
        )

    # Coming: Jamie's first conversation tomorrow, Alex's annual review next week, a medication
    # review with the pharmacist.
    appointment(
        jamie,
        "first_conversation",
        _at(today + timedelta(days=1), 10),
        nurse,
        modality="video",
        video_link="https://video.example.nhs.uk/room/demo-first-conversation",
    )
    appointment(alex, "annual_review", _at(today + timedelta(days=7), 14), nurse, modality="phone")
    appointment(
        alex,
        "medication_review",
        _at(today + timedelta(days=14), 11),
        pharmacist,
        modality="in_person",
        location="Riverside Medical Centre, room 4",
    )
    # Past: Alex's first conversation (attended, with its review), Morgan's missed follow-up.
    first = appointment(
        alex,
        "first_conversation",
        now - timedelta(days=100),
        nurse,
        status="attended",
        modality="video",
        outcome="Pain story heard; diary and plan agreed.",
    )
    Review.objects.create(
        appointment=first,
        patient=alex,
        episode=first.episode,
        summary="Migraine since her teens, worse over two years with 10-12 headache days a "
        "month. Works shifts. Wants fewer days off work and to keep running.",
        what_matters="Keeping her job and running twice a week.",
        changes_agreed="Start the diary; preventive trial discussed; sleep routine.",
        mental_health_follow_up=Review.MentalHealth.NOT_NEEDED,
        next_review_date=today + timedelta(days=14),
        completed_at=first.start + timedelta(minutes=30),
        completed_by=nurse,
        created_by=nurse,
    )
    appointment(
        morgan,
        "follow_up",
        now - timedelta(days=12),
        physio,
        status="did_not_attend",
        modality="in_person",
        location="Hillview Surgery",
    )
    appointment(
        taylor, "follow_up", now - timedelta(days=5), physio, status="attended", modality="phone"
    )

    # Review due dates: Alex in two weeks (booked), Taylor within the invite window, Morgan
    # overdue so the worklist shows it.
    for patient, days in ((alex, 14), (taylor, 21), (morgan, -10)):
        episode = _episode(patient)
        if episode is not None:
            Milestone.objects.create(
                episode=episode,
                kind="annual_review_due",
                occurred_at=_at(today + timedelta(days=days), 9),
                recorded_by=nurse,
            )

    # A monthly group series: one held (with attendance), two to come.
    series = uuid4()
    sessions = []
    for months in (-1, 0, 1):
        start = _at(today + timedelta(days=28 * months + 10), 18)
        session = GroupSession.objects.create(
            series=series,
            organisation=service,
            topic=DEMO_TOPIC,
            description="Monthly online session with the physiotherapist and nurse: pacing, "
            "sleep and staying active. Bring your questions.",
            start=start,
            duration_minutes=60,
            capacity=12,
            video_link="https://video.example.nhs.uk/room/demo-group",
            created_by=physio,
        )
        session.facilitators.set([physio, nurse])
        sessions.append(session)
    held, upcoming = sessions[0], sessions[1]
    for patient, status in ((taylor, "attended"), (morgan, "did_not_attend"), (alex, "attended")):
        GroupBooking.objects.create(
            session=held,
            patient=patient,
            status=status,
            invited_at=held.start - timedelta(days=20),
            booked_at=held.start - timedelta(days=18),
            attendance_recorded_at=held.start + timedelta(hours=1),
            created_by=physio,
        )
    GroupBooking.objects.create(
        session=upcoming,
        patient=taylor,
        status="booked",
        invited_at=now - timedelta(days=3),
        booked_at=now - timedelta(days=2),
        created_by=physio,
    )
    GroupBooking.objects.create(
        session=upcoming, patient=alex, status="invited", invited_at=now, created_by=physio
    )
    # One patient turned the invitation down; the team withdrew another's, so the session page
    # shows the two apart.
    GroupBooking.objects.create(
        session=upcoming,
        patient=morgan,
        status="declined",
        invited_at=now - timedelta(days=3),
        cancelled_at=now - timedelta(days=1),
        created_by=physio,
    )
    GroupBooking.objects.create(
        session=upcoming,
        patient=jamie,
        status="withdrawn",
        invited_at=now - timedelta(days=3),
        cancelled_at=now - timedelta(days=2),
        created_by=physio,
        updated_by=physio,
    )

    MdtCase.objects.create(
        patient=morgan,
        question="Widespread pain with poor sleep and low mood; on pregabalin and co-codamol. "
        "Is a supported reduction plan and a psychology referral the right next step?",
        created_by=physio,
    )

    # Questionnaires: baseline and follow-up for trends.
    baseline = now - timedelta(days=98)
    follow_up = now - timedelta(days=6)
    _assessment(
        alex,
        "HIT-6",
        ["always", "very often", "always", "very often", "sometimes", "very often"],
        baseline,
        "baseline",
    )
    _assessment(
        alex,
        "HIT-6",
        ["very often", "sometimes", "sometimes", "sometimes", "rarely", "sometimes"],
        follow_up,
        "review",
        alex.user,
    )
    _assessment(alex, "MIDAS", [4, 6, 3, 5, 4], baseline, "baseline")
    _assessment(alex, "MIDAS", [1, 2, 1, 2, 1], follow_up, "review", alex.user)
    _assessment(alex, "PHQ-9", [1, 1, 2, 2, 1, 0, 1, 0, 0], baseline, "baseline")
    _assessment(taylor, "PSEQ", [2, 3, 2, 2, 3, 2, 1, 2, 2, 2], baseline, "baseline")
    _assessment(taylor, "PSEQ", [4, 4, 4, 5, 4, 4, 3, 4, 4, 5], follow_up, "review")
    _assessment(taylor, "MSK-HQ", [1, 1, 2, 2, 1, 1, 2, 2, 1, 1, 2, 2, 1, 1], baseline, "baseline")
    _assessment(taylor, "MSK-HQ", [2, 2, 3, 3, 2, 2, 3, 3, 2, 2, 2, 3, 3, 2], follow_up, "review")
    _assessment(taylor, "PHQ-9", [1, 2, 2, 1, 1, 1, 1, 0, 0], baseline, "baseline")
    _assessment(morgan, "GAD-7", [2, 2, 1, 2, 1, 1, 1], baseline, "baseline")

    # Taylor's follow-up PHQ-9 answered item 9 above 0 yesterday: an open alert.
    phq9 = _assessment(
        taylor, "PHQ-9", [2, 2, 2, 1, 1, 2, 1, 0, 1], now - timedelta(days=1), "review"
    )
    request = QuestionnaireRequest.objects.create(
        patient=taylor,
        instrument="PHQ-9",
        context="review",
        requested_by=physio,
        requested_at=now - timedelta(days=3),
        due=today + timedelta(days=4),
        status="completed",
        assessment=phq9,
        completed_at=phq9.completed_at,
    )
    SafetyAlert.objects.create(
        patient=taylor,
        assessment=phq9,
        raised_at=phq9.completed_at,
        responsible_clinician=_episode(taylor).responsible_clinician if _episode(taylor) else None,
    )
    del request

    # The demo patient's outstanding PHQ-9, sent four days ago.
    QuestionnaireRequest.objects.create(
        patient=alex,
        instrument="PHQ-9",
        context="review",
        requested_by=nurse,
        requested_at=now - timedelta(days=4),
        due=today + timedelta(days=3),
    )
