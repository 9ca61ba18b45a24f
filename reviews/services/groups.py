"""Group sessions: set up a series, invite patients, book places, record attendance."""

from __future__ import annotations

from datetime import datetime
from uuid import uuid4

from django.db import IntegrityError, transaction
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from pathway.audit import record_event
from pathway.models import AuditEvent, Organisation, Patient, User
from reviews import messaging, rules, selectors
from reviews.errors import ReviewsError, SessionFull, SlotTaken, StaleState
from reviews.models import GroupBooking, GroupSession
from reviews.models.groups import PLACE_HOLDING
from reviews.services.appointments import clinician_clash


@transaction.atomic
def create_group_sessions(
    *,
    actor: User,
    organisation: Organisation,
    topic: str,
    start: datetime,
    duration_minutes: int,
    capacity: int,
    facilitators,
    repeat: int = 1,
    condition: str = "",
    description: str = "",
    video_link: str = "",
    venue: str = "",
) -> list[GroupSession]:
    """Create a session, or a monthly series of `repeat` sessions sharing one series id.
    Returns them in date order. Raises ReviewsError for bad input."""
    if start <= timezone.now():
        raise ReviewsError("Choose a date and time in the future.", field="start")
    today = timezone.localdate()
    if problem := rules.too_far_ahead(timezone.localdate(start), today=today):
        raise ReviewsError(problem, field="start")
    if capacity < 1:
        raise ReviewsError("A session needs at least 1 place.", field="capacity")
    if not 1 <= duration_minutes <= rules.MAX_DURATION_MINUTES:
        raise ReviewsError(
            f"Enter a length from 1 to {rules.MAX_DURATION_MINUTES} minutes.",
            field="duration_minutes",
        )
    if not video_link and not venue.strip():
        raise ReviewsError("Enter a video link, a venue, or both.", field="video_link")
    try:
        times = rules.monthly_occurrences(timezone.localtime(start), repeat)
    except ValueError as exc:
        raise ReviewsError(
            f"A series can have 1 to {rules.MAX_SERIES_LENGTH} sessions.", field="repeat"
        ) from exc
    if problem := rules.series_too_far_ahead(times[-1].date(), today=today):
        raise ReviewsError(problem, field="repeat")
    # Each facilitator's row is locked, in one order, as booking an appointment locks the
    # clinician's: a session and an appointment set at once are checked one after the other.
    facilitator_ids = [facilitator.pk for facilitator in facilitators]
    list(User.objects.select_for_update(no_key=True).filter(pk__in=facilitator_ids).order_by("pk"))
    for facilitator in facilitators:
        for when in times:
            if clash := clinician_clash(facilitator, when, duration_minutes):
                on = f" on {when:%-d %B %Y}" if len(times) > 1 else ""
                raise SlotTaken(
                    f"{clash}{on}. Choose another time or facilitator.",
                    field="facilitators",
                )
    fields = {
        "organisation": organisation,
        "topic": topic.strip(),
        "description": description.strip(),
        "condition": condition,
        "duration_minutes": duration_minutes,
        "capacity": capacity,
        "video_link": video_link,
        "venue": venue.strip(),
        "series": uuid4(),
        "created_by": actor,
    }
    sessions = []
    for when in times:
        session = GroupSession.objects.create(start=when, **fields)
        session.facilitators.set(facilitators)
        sessions.append(session)
    record_event(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        object_type="reviews.groupsession",
        fields=["topic", "start", "capacity", "facilitators", "series"],
    )
    return sessions


def _session_open(session: GroupSession) -> None:
    if session.cancelled_at is not None:
        raise ReviewsError("This session has been cancelled.")
    if session.start <= timezone.now():
        raise ReviewsError("This session has already started.")


@transaction.atomic
def invite_patients(
    *, actor: User, session: GroupSession, patients: list[Patient]
) -> list[GroupBooking]:
    """Invite patients to a session and tell them (one message per patient and session).
    Patients already invited or booked are skipped. Returns the new invitations."""
    _session_open(session)
    invited = []
    now = timezone.now()
    for patient in patients:
        try:
            with transaction.atomic():
                booking = GroupBooking.objects.create(
                    session=session,
                    patient=patient,
                    invited_at=now,
                    created_by=actor,
                    updated_by=actor,
                )
        except IntegrityError:
            continue  # already invited or booked: inviting again changes nothing
        record_event(
            actor=actor,
            action=AuditEvent.Action.CREATE,
            patient=patient,
            obj=booking,
            fields=["session", "status"],
        )
        _withdraw_withdrawal_news(session, patient)
        messaging.queue_for_patient(
            patient=patient,
            kind="group_invite",
            template="reviews-group-invite",
            key=f"group-invite:{booking.uuid}",
            path=reverse("reviews:my-appointments"),
            # Once the session has begun there is no place left to book.
            expires_at=session.start,
        )
        invited.append(booking)
    return invited


@transaction.atomic
def book_place(*, actor: User, session: GroupSession, patient: Patient) -> GroupBooking:
    """Give the patient a place, turning their invitation into a booking (or, for staff
    booking by phone, creating one). Returns the booking.

    The session row is locked while places are counted, so two last-place bookings cannot both
    succeed. Raises SessionFull when no places are left, ReviewsError otherwise."""
    if patient.has_died:
        raise ReviewsError(f"{patient.full_name}'s record says they have died.")
    locked = GroupSession.objects.select_for_update().get(pk=session.pk)
    _session_open(locked)
    # The patient books on their own page; staff book for a patient (by phone, say), and the
    # messages speak to whichever of them pressed the button.
    by_patient = actor.role == User.Role.PATIENT
    live = GroupBooking.objects.filter(
        session=locked, patient=patient, status__in=["invited", *PLACE_HOLDING]
    ).first()
    if live is not None and live.status != GroupBooking.Status.INVITED:
        raise StaleState(
            "You already have a place at this session."
            if by_patient
            else f"{patient.full_name} already has a place at this session."
        )
    if rules.places_left(locked.capacity, selectors.places_taken(locked)) == 0:
        raise SessionFull(
            "This session is full. Choose another date, or ask the team to add you to the next one."
            if by_patient
            else "This session is full: every place is booked. Free a place first, or invite "
            f"{patient.full_name} to another session."
        )
    now = timezone.now()
    if live is None:
        if actor.role == User.Role.PATIENT:
            raise ReviewsError("You can book only sessions you have been invited to.")
        live = GroupBooking.objects.create(
            session=locked,
            patient=patient,
            status=GroupBooking.Status.BOOKED,
            booked_at=now,
            created_by=actor,
            updated_by=actor,
        )
        action = AuditEvent.Action.CREATE
        _withdraw_withdrawal_news(locked, patient)
    else:
        changed = GroupBooking.objects.filter(pk=live.pk, status="invited").update(
            status=GroupBooking.Status.BOOKED, booked_at=now, updated_by=actor, updated_at=now
        )
        if not changed:
            raise StaleState(
                "You already have a place at this session."
                if by_patient
                else f"{patient.full_name} already has a place at this session."
            )
        live.refresh_from_db()
        action = AuditEvent.Action.UPDATE
    record_event(actor=actor, action=action, patient=patient, obj=live, fields=["status"])
    # An invitation still waiting to go ("sign in to book a place") is no longer true.
    messaging.withdraw(keys=[f"group-invite:{live.uuid}"], reason="Withdrawn: a place is booked")
    return live


@transaction.atomic
def cancel_place(*, actor: User, booking: GroupBooking, tell_patient: bool = True) -> GroupBooking:
    """End an invitation or a place before the session starts. Returns the booking.

    The patient's own answer reads as theirs: an invitation turned down becomes `declined`, a
    place given up `cancelled`, and they get no message (they know). When anyone else ends it
    the care team has: it becomes `withdrawn` and the patient is told, so they do not join a
    session they no longer have a place at (unless `tell_patient` is off: a discharge tells
    them once, for all). Raises ReviewsError once the session has started or when it has been
    cancelled, StaleState when the invitation or place has already ended or changed."""
    session = booking.session
    if session.start <= timezone.now():
        raise ReviewsError("This session has already started.")
    if session.cancelled_at is not None:
        raise ReviewsError("This session has been cancelled.")
    was = booking.status
    if was == GroupBooking.Status.WITHDRAWN:
        raise StaleState("The care team has already withdrawn this invitation or place.")
    if was not in (GroupBooking.Status.INVITED, GroupBooking.Status.BOOKED):
        raise StaleState("This place has already been cancelled.")
    by_patient = actor.role == User.Role.PATIENT
    if not by_patient:
        status = GroupBooking.Status.WITHDRAWN
    elif was == GroupBooking.Status.INVITED:
        status = GroupBooking.Status.DECLINED
    else:
        status = GroupBooking.Status.CANCELLED
    now = timezone.now()
    # Compare-and-swap on the status the decision was made from: a place booked since the
    # page was read is not ended as if it were still an invitation.
    changed = GroupBooking.objects.filter(pk=booking.pk, status=was).update(
        status=status, cancelled_at=now, updated_by=actor, updated_at=now
    )
    if not changed:
        raise StaleState(
            "This invitation or place has changed since the page was opened. Check it and try "
            "again."
        )
    record_event(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        patient=booking.patient,
        obj=booking,
        fields=["status", "cancelled_at"],
    )
    # An invitation still waiting to go ("sign in to book a place") is no longer true.
    messaging.withdraw(
        keys=[f"group-invite:{booking.uuid}", f"group-tomorrow:{booking.uuid}"],
        reason="Withdrawn: the place was given up"
        if by_patient
        else "Withdrawn: the care team withdrew the invitation",
    )
    if not by_patient and tell_patient:
        messaging.queue_for_patient(
            patient=booking.patient,
            kind="group_place_withdrawn",
            template="reviews-group-place-withdrawn",
            key=_withdrawal_key(session, booking.patient, booking),
            path=reverse("reviews:my-appointments"),
            # Once the session has begun the news that it is not theirs to join is stale.
            expires_at=session.start,
            extra={
                "had_place": was == GroupBooking.Status.BOOKED,
                "when": messaging.day_and_time(session.start),
            },
        )
    booking.refresh_from_db()
    return booking


@transaction.atomic
def cancel_session(*, actor: User, session: GroupSession) -> int:
    """Cancel a session that has not started. Everyone invited or booked keeps their row (the
    session shows as cancelled to them) and is told, within their consent and quiet hours, by a
    message that expires when the session would have started; invitations still waiting to go
    are withdrawn. Returns how many patients are told. Raises ReviewsError once the session has
    started or when it is already cancelled."""
    locked = GroupSession.objects.select_for_update().get(pk=session.pk)
    _session_open(locked)
    now = timezone.now()
    locked.cancelled_at = now
    locked.save(update_fields=["cancelled_at"])
    record_event(actor=actor, action=AuditEvent.Action.UPDATE, obj=locked, fields=["cancelled_at"])
    live = list(
        locked.bookings.filter(
            status__in=[GroupBooking.Status.INVITED, GroupBooking.Status.BOOKED]
        ).select_related("patient")
    )
    messaging.withdraw(
        keys=[
            key
            for booking in live
            for key in (f"group-invite:{booking.uuid}", f"group-tomorrow:{booking.uuid}")
        ],
        reason="Withdrawn: the session was cancelled",
    )
    told = 0
    for booking in live:
        queued = messaging.queue_for_patient(
            patient=booking.patient,
            kind="group_session_cancelled",
            template="reviews-group-session-cancelled",
            key=f"group-session-cancelled:{locked.uuid}:{booking.patient.uuid}",
            path=reverse("reviews:my-appointments"),
            expires_at=locked.start,
            extra={
                "had_place": booking.status == GroupBooking.Status.BOOKED,
                "when": messaging.day_and_time(locked.start),
            },
        )
        told += bool(queued)
    session.cancelled_at = now
    return told


def _withdrawal_key(session: GroupSession, patient: Patient, booking=None) -> str:
    """The key of the message telling a patient the team withdrew their invitation or place;
    without `booking`, the leading part shared by every such message for that session."""
    key = f"group-place-withdrawn:{session.uuid}:{patient.uuid}"
    return f"{key}:{booking.uuid}" if booking is not None else key


def _withdraw_withdrawal_news(session: GroupSession, patient: Patient) -> None:
    """A patient invited or booked again needs no message, still waiting to go, saying their
    invitation or place at this session was withdrawn."""
    messaging.withdraw(
        keys=[_withdrawal_key(session, patient)],
        reason="Withdrawn: invited to or booked at the session again",
    )


@transaction.atomic
def record_group_attendance(
    *, actor: User, booking: GroupBooking, attended: bool, was: str | None = None
) -> GroupBooking:
    """Mark a booked place attended or did-not-attend once the session has started; a
    mistaken mark can be corrected by marking again. Someone invited who joined without
    booking a place is marked attended too (their place dates from the mark); they cannot
    have missed a place they never had. `was` is the status the page showed: a booking whose
    status has changed since (another tab or colleague marked it) is left as it is
    (StaleState), and the same mark pressed twice changes nothing."""
    if booking.session.cancelled_at is not None:
        raise ReviewsError("This session was cancelled, so there is no attendance to record.")
    if booking.session.start > timezone.now():
        raise ReviewsError("You can record attendance once the session has started.")
    status = GroupBooking.Status.ATTENDED if attended else GroupBooking.Status.DID_NOT_ATTEND
    now = timezone.now()
    may_mark = [*PLACE_HOLDING, GroupBooking.Status.INVITED] if attended else PLACE_HOLDING
    expected = [was] if was in may_mark else may_mark
    changed = GroupBooking.objects.filter(pk=booking.pk, status__in=expected).update(
        status=status,
        attendance_recorded_at=now,
        booked_at=Coalesce("booked_at", Value(now)),
        updated_by=actor,
        updated_at=now,
    )
    if not changed:
        booking.refresh_from_db()
        if booking.status == status:
            return booking
        if booking.status in PLACE_HOLDING:
            raise StaleState(
                f"{booking.patient.full_name} was marked as "
                f"{booking.status_label.lower()} by "
                f"{getattr(booking.updated_by, 'full_name', '') or 'someone else'} after this "
                "page was opened. Nothing has been changed: check, then mark again if needed."
            )
        raise StaleState(
            "Only patients with a place, or invited and joining, can be marked as attending."
        )
    record_event(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        patient=booking.patient,
        obj=booking,
        fields=["status", "attendance_recorded_at"],
    )
    booking.refresh_from_db()
    return booking
