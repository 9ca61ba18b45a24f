"""Booking, rescheduling, cancelling and attendance of appointments."""

from __future__ import annotations

from datetime import datetime, timedelta
from hashlib import sha256

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from pathway.audit import record_event, who_saved
from pathway.models import AuditEvent, Episode, Patient, User
from pathway.models.episodes import MilestoneKind
from pathway.permissions import patients_visible_to
from pathway.services import lock_patient
from reviews import messaging, reminders, rules, selectors
from reviews.errors import ChangedSinceOpened, ReviewsError, SlotTaken, StaleState
from reviews.models import Appointment, BookingRequest, GroupSession, Review

MY_APPOINTMENTS = "reviews:my-appointments"
# Said to a patient asking for an appointment while no episode of theirs is open.
NOT_UNDER_CARE = (
    "You are not under the headache and pain team's care at the moment, so we cannot book an "
    "appointment. If you need the service again, ask your GP practice."
)
NOT_SEEN_YET = (
    "The team will contact you to arrange your first conversation. You can ask for a review "
    "after it."
)


def _validate_time(start: datetime, duration_minutes: int) -> None:
    if start <= timezone.now():
        raise ReviewsError("Choose a date and time in the future.", field="start")
    # Checked before any arithmetic on the time: an end past 31 December 9999 cannot be held.
    if problem := rules.too_far_ahead(timezone.localdate(start), today=timezone.localdate()):
        raise ReviewsError(problem, field="start")
    if not 1 <= duration_minutes <= rules.MAX_DURATION_MINUTES:
        raise ReviewsError(
            f"Enter a length from 1 to {rules.MAX_DURATION_MINUTES} minutes.",
            field="duration_minutes",
        )


def _validate_place(kind: str, modality: str, video_link: str) -> None:
    """Only a video appointment has a video link, and one the patient attends needs it
    (rules.video_link_missing), whether booked that way or moved to a video call."""
    if video_link and modality != Appointment.Modality.VIDEO:
        raise ReviewsError(
            "Only video appointments have a video link. Remove the link or choose video.",
            field="video_link",
        )
    if rules.video_link_missing(kind=kind, modality=modality, video_link=video_link):
        raise ReviewsError(rules.VIDEO_LINK_NEEDED, field="video_link")


def _nearby(rows, start: datetime, duration_minutes: int):
    """`rows` (appointments or sessions) that could overlap this time: those starting less than
    the longest allowed length before it, up to its end. Filter with `_first_overlap`."""
    return rows.filter(
        start__gt=start - timedelta(minutes=rules.MAX_DURATION_MINUTES),
        start__lt=start + timedelta(minutes=duration_minutes),
    )


def _booked_nearby(start: datetime, duration_minutes: int, exclude: Appointment | None, **whose):
    """Booked appointments of `whose` (clinician= or patient=) that could overlap this time,
    leaving out `exclude` (the appointment being moved)."""
    rows = _nearby(
        Appointment.objects.filter(status=Appointment.Status.BOOKED, **whose),
        start,
        duration_minutes,
    )
    return rows if exclude is None else rows.exclude(pk=exclude.pk)


def _first_overlap(rows, start: datetime, duration_minutes: int):
    """The first of `rows` (each with start and duration_minutes) sharing minutes with this
    time, or None."""
    return next(
        (
            row
            for row in rows
            if rules.overlaps(start, duration_minutes, row.start, row.duration_minutes)
        ),
        None,
    )


def _at(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%H:%M")


def clinician_clash(
    clinician: User,
    start: datetime,
    duration_minutes: int,
    *,
    exclude: Appointment | None = None,
) -> str | None:
    """What `clinician` is already doing that overlaps this time, for the error message (a
    clause without a full stop): a booked appointment or a group session they facilitate (not
    cancelled). None when they are free."""
    appointments = _booked_nearby(start, duration_minutes, exclude, clinician=clinician)
    if other := _first_overlap(appointments, start, duration_minutes):
        return (
            f"{clinician.full_name} already has an appointment at {_at(other.start)} that "
            "overlaps this time"
        )
    sessions = _nearby(
        GroupSession.objects.filter(facilitators=clinician, cancelled_at__isnull=True),
        start,
        duration_minutes,
    )
    if session := _first_overlap(sessions, start, duration_minutes):
        return (
            f"{clinician.full_name} is running the group session “{session.topic}” at "
            f"{_at(session.start)}, which overlaps this time"
        )
    return None


def _check_free(
    *,
    clinician: User,
    patient: Patient,
    kind: str,
    start: datetime,
    duration_minutes: int,
    exclude: Appointment | None = None,
) -> None:
    """Raise SlotTaken if the clinician is busy then (a booked appointment or a group session
    they run) or the patient has a booked appointment overlapping this time. The team's own
    discussions about the patient (rules.TEAM_ONLY_KINDS) take none of the patient's time, so
    they neither clash with the patient's appointments nor are clashed with. Locks the
    clinician's row first, so two bookings for one clinician are checked one after the other
    (PostgreSQL; SQLite serialises all writes anyway). The patient's row is locked by the
    caller, first (`pathway.services.lock_patient`). FOR NO KEY UPDATE, as the patient's: rows
    written meanwhile that name the clinician do not wait for it."""
    User.objects.select_for_update(no_key=True).filter(pk=clinician.pk).first()
    if clash := clinician_clash(clinician, start, duration_minutes, exclude=exclude):
        raise SlotTaken(f"{clash}. Choose another time or clinician.", field="start")
    if not rules.patient_attends(kind):
        return
    patients_own = _booked_nearby(start, duration_minutes, exclude, patient=patient).exclude(
        kind__in=rules.TEAM_ONLY_KINDS
    )
    if other := _first_overlap(patients_own, start, duration_minutes):
        raise SlotTaken(
            f"This patient already has an appointment at {_at(other.start)} that overlaps "
            "this time.",
            field="start",
            appointment=other,
        )


def _validate_people(*, patient: Patient, clinician: User, episode: Episode | None) -> None:
    if patient.has_died:
        raise ReviewsError(
            f"{patient.full_name}'s record says they have died, so nothing can be booked for them."
        )
    if clinician.role != User.Role.CLINICIAN or not clinician.is_active:
        raise ReviewsError("Choose a clinician from the care team.", field="clinician")
    if not patients_visible_to(clinician).filter(pk=patient.pk).exists():
        raise ReviewsError(
            "That clinician is not in this patient's care team. Choose another.",
            field="clinician",
        )
    if episode is not None and (episode.patient_id != patient.pk or not episode.is_open):
        raise ReviewsError("Choose one of this patient's open episodes.", field="episode")


def _details_key(appointment: Appointment) -> str:
    """What the patient is told of an appointment, in a few characters: its start, and how,
    where and with whom it happens."""
    seen = "|".join(
        [
            f"{appointment.start:%Y%m%dT%H%M}",
            appointment.modality,
            appointment.location,
            appointment.video_link,
            str(appointment.clinician.uuid),
        ]
    )
    return f"{appointment.start:%Y%m%dT%H%M}:{sha256(seen.encode()).hexdigest()[:12]}"


def _queue_booked_message(appointment: Appointment, *, moved: bool = False) -> None:
    """Tell the patient of a booked or moved appointment they attend (not an MDT discussion);
    `moved` words it as a change to one they had."""
    if not rules.patient_attends(appointment.kind):
        return
    messaging.queue_for_patient(
        patient=appointment.patient,
        kind="appointment_booked",
        template="reviews-appointment-booked",
        # The details are in the key, so a moved appointment is announced again, and a form
        # sent twice once.
        key=f"appointment-booked:{appointment.uuid}:{_details_key(appointment)}",
        path=reverse(MY_APPOINTMENTS),
        # Held for quiet hours past the start, it would announce something already begun.
        expires_at=appointment.start,
        # When and how, so a patient who does not use the portal knows too: no clinical detail.
        extra={"moved": moved, **_when_and_how(appointment)},
    )


def _when_and_how(appointment: Appointment) -> dict:
    how = (
        ""
        if appointment.modality == Appointment.Modality.IN_PERSON
        else appointment.get_modality_display().lower()
    )
    return {"when": messaging.day_and_time(appointment.start), "how": how}


def _withdraw_messages(appointment: Appointment, reason: str) -> None:
    """Withdraw the still-queued booked messages and reminders about this appointment: after
    it is moved, cancelled or has happened they are no longer true. A moved appointment is
    announced again, and reminded of again by the planner at its new time, unless that is
    tomorrow and the morning's reminders are planned already: the patient is not sent a
    reminder straight after the message giving the new time, as with a booking made for
    tomorrow."""
    messaging.withdraw(
        keys=[
            f"appointment-booked:{appointment.uuid}",
            # The reminder planner's key (reviews.reminders.plan_appointment_reminders).
            f"appointment-tomorrow:{appointment.uuid}",
        ],
        reason=reason,
    )


def _check_request_open(booking_request: BookingRequest, patient: Patient) -> None:
    locked = BookingRequest.objects.select_for_update().get(pk=booking_request.pk)
    if locked.patient_id != patient.pk:
        raise ReviewsError("This appointment request is from another patient.")
    if locked.status == BookingRequest.Status.BOOKED:
        raise StaleState(
            "This request has already been booked. Check the patient's appointments before "
            "booking another."
        )
    if locked.status != BookingRequest.Status.OPEN:
        raise StaleState("This request has been closed. Book without it if still needed.")


def _check_first_conversation_comes_first(
    episode: Episode, start: datetime, *, moving: bool = False
) -> None:
    """Reviews follow the first conversation: a review booked before one is held or booked, or
    for a time before the one booked, would leave the first-contact clock running with the
    patient seen, and record no first contact when it was held. A review `moving` with none
    arranged (cancelled or missed after it was booked) stays booked whether or not it moves:
    booking the first conversation again puts it first."""
    if episode.milestones.filter(kind=MilestoneKind.FIRST_CONTACT).exists():
        return
    first = selectors.arranged_first_conversations(episode).first()
    if first is None and moving:
        return
    if first is None:
        raise ReviewsError(
            "This patient has not had their first conversation for this episode, and none is "
            "booked: book the first conversation first. Reviews follow it.",
            field="kind",
        )
    if start < first.start:
        raise ReviewsError(
            f"The first conversation for this episode is booked for "
            f"{messaging.day_and_time(first.start)}: book "
            "this after it, or move the first conversation earlier. Reviews follow it.",
            field="start",
            appointment=first,
        )


def _check_reviews_follow(episode: Episode, start: datetime) -> None:
    """A first conversation is not booked, or moved, to a time after a review the episode
    already has booked (one booked before an earlier first conversation was cancelled or
    missed, or one the first conversation is being moved past): held first, that review would
    record no first contact."""
    review = selectors.booked_reviews(episode).filter(start__lt=start).first()
    if review is not None:
        raise ReviewsError(
            f"A {review.get_kind_display().lower()} for this episode is booked for "
            f"{messaging.day_and_time(review.start)}, before this time: the first "
            "conversation comes first. Choose a time before it, or move that appointment "
            "later first.",
            field="start",
            appointment=review,
        )


def _check_one_first_conversation(episode: Episode) -> None:
    """An episode has one first conversation: not a second while one is booked, nor once it has
    been attended or held (a did-not-attend or a cancellation may be booked again). The error
    links the one there is (`appointment`), when it was held at an appointment."""
    held = episode.milestones.filter(kind=MilestoneKind.FIRST_CONTACT).first()
    arranged = list(selectors.arranged_first_conversations(episode))
    attended = next((a for a in arranged if a.status == Appointment.Status.ATTENDED), None)
    if held is not None:
        raise ReviewsError(
            f"The first conversation for this episode was held on "
            f"{timezone.localtime(held.occurred_at):%-d %B %Y}. Book a follow-up instead.",
            appointment=attended,
        )
    if attended is not None:
        # Attended, its outcome (which records the first contact) still to write.
        raise ReviewsError(
            f"The first conversation for this episode was attended on "
            f"{timezone.localtime(attended.start):%-d %B %Y}. Record its outcome instead of "
            "booking another.",
            appointment=attended,
        )
    booked = next((a for a in arranged if a.status == Appointment.Status.BOOKED), None)
    if booked is not None:
        raise ReviewsError(
            f"A first conversation is already booked for "
            f"{timezone.localtime(booked.start):%-d %B %Y at %H:%M}. Move that one instead of "
            "booking another.",
            appointment=booked,
        )


@transaction.atomic
def book_appointment(
    *,
    actor: User,
    patient: Patient,
    kind: str,
    start: datetime,
    duration_minutes: int,
    modality: str,
    clinician: User,
    episode: Episode | None = None,
    video_link: str = "",
    location: str = "",
    booking_request: BookingRequest | None = None,
) -> Appointment:
    """Book an appointment and tell the patient. Returns it.

    With `booking_request`, the patient's request is marked booked by it. A request of another
    patient, or one already booked or closed (an old link, a second tab), is refused before
    anything is booked, so one request never books twice. Without one, the patient's own
    request for this kind of appointment, if one is waiting, is the one booked: it was
    answered, however the booking was reached.

    Raises ReviewsError (SlotTaken for a double booking) with a message for the user."""
    _validate_time(start, duration_minutes)
    _validate_place(kind, modality, video_link)
    _validate_people(patient=patient, clinician=clinician, episode=episode)
    # Two bookings or moves for one patient, by different clinicians, are checked for overlaps
    # one after the other.
    lock_patient(patient.pk)
    if kind == Appointment.Kind.FIRST_CONVERSATION and episode is not None:
        _check_one_first_conversation(episode)
        _check_reviews_follow(episode, start)
    elif kind in rules.REVIEW_KINDS and episode is not None:
        _check_first_conversation_comes_first(episode, start)
    if booking_request is None:
        booking_request = BookingRequest.objects.filter(
            patient=patient, kind=kind, status=BookingRequest.Status.OPEN
        ).first()
    if booking_request is not None:
        _check_request_open(booking_request, patient)
    _check_free(
        clinician=clinician,
        patient=patient,
        kind=kind,
        start=start,
        duration_minutes=duration_minutes,
    )
    appointment = Appointment.objects.create(
        patient=patient,
        episode=episode,
        kind=kind,
        start=start,
        duration_minutes=duration_minutes,
        modality=modality,
        video_link=video_link,
        location=location,
        clinician=clinician,
        created_by=actor,
        updated_by=actor,
    )
    fields = ["kind", "start", "duration_minutes", "modality", "clinician", "episode"]
    fields += ["video_link"] if video_link else []
    fields += ["location"] if location else []
    record_event(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        patient=patient,
        obj=appointment,
        fields=fields,
    )
    if booking_request is not None:
        handled = BookingRequest.objects.filter(
            pk=booking_request.pk, status=BookingRequest.Status.OPEN
        ).update(
            status=BookingRequest.Status.BOOKED,
            handled_at=timezone.now(),
            handled_by=actor,
            appointment=appointment,
            updated_by=actor,
        )
        if handled:
            record_event(
                actor=actor,
                action=AuditEvent.Action.UPDATE,
                patient=patient,
                obj=booking_request,
                fields=["status", "appointment"],
            )
    _queue_booked_message(appointment)
    _withdraw_review_invitation(appointment)
    return appointment


def _withdraw_review_invitation(appointment: Appointment) -> None:
    """A booking that sees to the review its episode has due (rules.REVIEW_BOOKED_AS, as the
    planner reads it) makes the invitation to ask for that review untrue, even one planned this
    morning and not sent yet."""
    episode = appointment.episode
    sees_to = {due for due, kinds in rules.REVIEW_BOOKED_AS.items() if appointment.kind in kinds}
    if episode is None or not sees_to:
        return
    if sees_to != set(rules.REVIEW_BOOKED_AS):
        due = selectors.next_review_kind(Episode.objects.filter(pk=episode.pk))
        if due not in sees_to:
            return
    reminders.withdraw_review_invitation(episode, "Withdrawn: the review was booked")


def _claim_booked(appointment: Appointment, *, was: str = Appointment.Status.BOOKED, **fields):
    """Compare-and-swap on status: only an appointment still `was` (booked, unless correcting
    attendance) changes, so a form sent twice, or two clinicians at once, cannot act on it
    twice."""
    changed = Appointment.objects.filter(pk=appointment.pk, status=was).update(
        updated_at=timezone.now(), **fields
    )
    if not changed:
        raise StaleState(
            "This appointment has already been changed (it may be cancelled or marked as "
            "attended). Check it below."
        )
    for name, value in fields.items():
        setattr(appointment, name, value)


def _check_based_on(current: Appointment, based_on: datetime | None, *, actor: User) -> None:
    """Refuse a change based on an older copy of `current` (re-read under lock): `based_on` is
    its updated_at when the page was opened; None skips the check (a caller with no page).
    Raises ChangedSinceOpened naming who changed it, when, and where it is now."""
    if based_on is None or current.updated_at == based_on:
        return
    who = who_saved(current.updated_by, actor, patient_user_id=current.patient.user_id)
    at = timezone.localtime(current.updated_at)
    now = timezone.localtime(current.start)
    raise ChangedSinceOpened(
        f"This appointment was changed by {who} at {at:%H:%M} on {at:%-d %B %Y}, after you "
        f"opened this page. It is now booked for {now:%A %-d %B %Y} at {now:%H:%M}.",
        changed_by=who,
        changed_at=current.updated_at,
    )


@transaction.atomic
def reschedule_appointment(
    *,
    actor: User,
    appointment: Appointment,
    start: datetime,
    duration_minutes: int,
    modality: str,
    clinician: User,
    video_link: str = "",
    location: str = "",
    based_on: datetime | None = None,
) -> Appointment:
    """Move a booked appointment; answers any request to rearrange it. Returns it.

    `based_on` is the appointment's updated_at when the move page was opened: one changed since
    (moved by a colleague, a request from the patient to rearrange it) is not overwritten with
    a time the user chose without seeing that change: nothing is saved and ChangedSinceOpened
    is raised. Raises StaleState if it is no longer booked, and ReviewsError (SlotTaken for a
    clash) with a message for the user."""
    # Locked first (after the patient, as every booking), so two moves of one appointment are
    # checked one after the other. Only this row: its updater is joined for the message, and
    # may be null.
    lock_patient(appointment.patient_id)
    current = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("updated_by", "patient")
        .get(pk=appointment.pk)
    )
    if current.status != Appointment.Status.BOOKED:
        raise StaleState("Only booked appointments can be moved.")
    _check_based_on(current, based_on, actor=actor)
    unchanged = (
        current.start == start
        and current.duration_minutes == duration_minutes
        and current.modality == modality
        and current.clinician_id == clinician.pk
        and current.video_link == video_link
        and current.location == location
    )
    if unchanged and current.rearrange_requested_at is None:
        # Nothing to tell the patient: a "moved" message would say it had moved.
        raise ReviewsError(
            "Nothing has changed: choose a new date, time, clinician or way of meeting, or go "
            "back to leave the appointment as it is."
        )
    _validate_time(start, duration_minutes)
    _validate_place(current.kind, modality, video_link)
    _validate_people(patient=appointment.patient, clinician=clinician, episode=None)
    if current.episode_id is not None and current.start != start:
        if current.kind == Appointment.Kind.FIRST_CONVERSATION:
            _check_reviews_follow(current.episode, start)
        elif current.kind in rules.REVIEW_KINDS:
            _check_first_conversation_comes_first(current.episode, start, moving=True)
    _check_free(
        clinician=clinician,
        patient=appointment.patient,
        kind=appointment.kind,
        start=start,
        duration_minutes=duration_minutes,
        exclude=appointment,
    )
    _claim_booked(
        appointment,
        start=start,
        duration_minutes=duration_minutes,
        modality=modality,
        clinician=clinician,
        video_link=video_link,
        location=location,
        rearrange_requested_at=None,
        rearrange_reason="",
        updated_by=actor,
    )
    record_event(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        patient=appointment.patient,
        obj=appointment,
        fields=["start", "duration_minutes", "modality", "clinician", "video_link", "location"],
    )
    _withdraw_messages(appointment, "Withdrawn: the appointment was moved")
    _queue_booked_message(appointment, moved=True)
    return appointment


def _cancel(appointment: Appointment, *, actor: User, reason: str, withdrawn: str) -> None:
    """Mark a booked appointment cancelled for `reason`, write its audit row and withdraw its
    messages not yet sent, saying why (`withdrawn`). In the caller's transaction."""
    _claim_booked(
        appointment,
        status=Appointment.Status.CANCELLED,
        cancelled_at=timezone.now(),
        cancellation_reason=reason,
        updated_by=actor,
    )
    record_event(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        patient=appointment.patient,
        obj=appointment,
        fields=["status", "cancelled_at", "cancellation_reason"],
    )
    _withdraw_messages(appointment, f"Withdrawn: {withdrawn}")


@transaction.atomic
def cancel_appointment(
    *, actor: User, appointment: Appointment, reason: str, tell_patient: bool = True
) -> Appointment:
    """Cancel a booked appointment and tell the patient (unless `tell_patient` is off: a
    discharge tells them once, for all). Returns it."""
    now = timezone.now()
    _cancel(
        appointment, actor=actor, reason=reason[:200], withdrawn="the appointment was cancelled"
    )
    if tell_patient and appointment.start > now and rules.patient_attends(appointment.kind):
        messaging.queue_for_patient(
            patient=appointment.patient,
            kind="appointment_cancelled",
            template="reviews-appointment-cancelled",
            key=f"appointment-cancelled:{appointment.uuid}",
            path=reverse(MY_APPOINTMENTS),
            # After the time it was booked for, the news that it will not happen is stale.
            expires_at=appointment.start,
            extra={"when": messaging.day_and_time(appointment.start)},
        )
    return appointment


@transaction.atomic
def record_attendance(
    *, actor: User, appointment: Appointment, attended: bool, correcting: bool = False
) -> Appointment:
    """Mark a booked appointment attended or did-not-attend (an MDT discussion only held,
    which is stored as attended), once it has started. With
    `correcting` (the "Marked wrongly?" button), change one marked the other way instead, while
    no review of it is recorded (a review means it happened). Without it, an appointment marked
    already is refused, so a page opened before someone else marked it changes nothing."""
    if appointment.start > timezone.now():
        raise ReviewsError("You can record attendance once the appointment has started.")
    if not attended and not rules.patient_attends(appointment.kind):
        # The patient is not at a meeting of their care team, so cannot miss it; held or
        # cancelled are its only endings (and it is no appointment in the dashboard's figures).
        raise ReviewsError(
            "The patient does not attend an MDT discussion. Mark it as held, or cancel it if "
            "it did not take place."
        )
    status = Appointment.Status.ATTENDED if attended else Appointment.Status.DID_NOT_ATTEND
    was = Appointment.Status.BOOKED
    recorded = (Appointment.Status.ATTENDED, Appointment.Status.DID_NOT_ATTEND)
    if correcting and appointment.status in recorded and appointment.status != status:
        if Review.objects.filter(appointment=appointment).exists():
            raise ReviewsError(
                "A review of this appointment is recorded, so it was attended. It cannot be "
                "marked as did not attend."
            )
        was = appointment.status
    # A decision not to rebook belongs to a missed appointment: marking it attended ends any.
    decision = _NO_DECISION if was == Appointment.Status.DID_NOT_ATTEND else {}
    _claim_booked(
        appointment,
        was=was,
        status=status,
        attendance_recorded_at=timezone.now(),
        updated_by=actor,
        **decision,
    )
    record_event(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        patient=appointment.patient,
        obj=appointment,
        fields=["status", "attendance_recorded_at", *decision],
    )
    _withdraw_messages(appointment, "Withdrawn: the appointment has happened")
    return appointment


NOT_REBOOKED_REASON_MAX = Appointment._meta.get_field("not_rebooked_reason").max_length
_NO_DECISION = {"not_rebooked_reason": "", "not_rebooked_at": None, "not_rebooked_by": None}


def rebooking_pending(appointment: Appointment) -> bool:
    """Whether the worklist asks for `appointment` to be rebooked: it is one of
    selectors.missed_not_rebooked for its patient."""
    if appointment.status != Appointment.Status.DID_NOT_ATTEND:
        return False  # the common case, without a query
    patient = Patient.objects.filter(pk=appointment.patient_id)
    return selectors.missed_not_rebooked(patient).filter(pk=appointment.pk).exists()


@transaction.atomic
def decide_not_to_rebook(*, actor: User, appointment: Appointment, reason: str) -> Appointment:
    """Record the team's decision to book nothing after a missed review for now, and why (for
    example, the patient will phone when ready). The worklist stops asking for a rebooking;
    booking another appointment later needs no decision undone. Refused unless the worklist is
    asking (`rebooking_pending`), so a page opened twice records one decision."""
    reason = " ".join(reason.split())
    if not reason:
        raise ReviewsError("Say why no appointment is being booked.", field="reason")
    if len(reason) > NOT_REBOOKED_REASON_MAX:
        raise ReviewsError(
            f"Keep the reason to {NOT_REBOOKED_REASON_MAX} characters or fewer.", field="reason"
        )
    locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if not rebooking_pending(locked):
        raise StaleState(_not_pending(locked))
    decision = {"not_rebooked_reason": reason, "not_rebooked_at": timezone.now()}
    _claim_booked(
        appointment,
        was=Appointment.Status.DID_NOT_ATTEND,
        not_rebooked_by=actor,
        updated_by=actor,
        **decision,
    )
    record_event(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        patient=appointment.patient,
        obj=appointment,
        fields=[*decision, "not_rebooked_by"],
    )
    return appointment


def _not_pending(appointment: Appointment) -> str:
    if appointment.not_rebooked_at is not None:
        return "A decision not to book another appointment is already recorded. Check it below."
    if appointment.status != Appointment.Status.DID_NOT_ATTEND:
        return "This appointment is no longer marked as missed. Check it below."
    if appointment.kind not in rules.REVIEW_KINDS:
        return "Only a missed review or conversation is followed up on the worklist."
    return (
        "Another appointment has been booked since this one, or the patient has been "
        "discharged, so there is nothing to decide."
    )


@transaction.atomic
def undo_not_rebooking(*, actor: User, appointment: Appointment) -> Appointment:
    """Withdraw a decision not to rebook: the missed appointment is back on the worklist unless
    another has been booked since."""
    changed = Appointment.objects.filter(pk=appointment.pk, not_rebooked_at__isnull=False).update(
        updated_at=timezone.now(), updated_by=actor, **_NO_DECISION
    )
    if not changed:
        raise StaleState("No decision not to rebook is recorded for this appointment.")
    for name, value in _NO_DECISION.items():
        setattr(appointment, name, value)
    record_event(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        patient=appointment.patient,
        obj=appointment,
        fields=list(_NO_DECISION),
    )
    return appointment


@transaction.atomic
def request_rearrangement(*, actor: User, appointment: Appointment, reason: str) -> Appointment:
    """The patient asks for a booked, future appointment to be moved. Returns it. Asking again
    replaces the earlier reason and time: the team acts on the latest (the page says so)."""
    if not rules.patient_attends(appointment.kind):
        raise ReviewsError("This is a meeting of your care team, not an appointment to move.")
    if appointment.start <= timezone.now():
        raise ReviewsError("This appointment has already started, so it cannot be moved.")
    reason = reason.strip()
    if not reason:
        raise ReviewsError("Tell us when suits you better, or why.", field="reason")
    _claim_booked(
        appointment,
        rearrange_requested_at=timezone.now(),
        rearrange_reason=reason[:500],
        updated_by=actor,
    )
    record_event(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        patient=appointment.patient,
        obj=appointment,
        fields=["rearrange_requested_at", "rearrange_reason"],
    )
    return appointment


@transaction.atomic
def cancel_by_patient(*, actor: User, appointment: Appointment, reason: str = "") -> Appointment:
    """The patient cancels a booked, future appointment of theirs, with their reason if they
    give one. Its reminders are withdrawn and the clinician it was with is emailed (no clinical
    detail: that a patient cancelled, and a link), so the time can go to someone else and the
    review it was for can be offered again. Returns it."""
    if not rules.patient_attends(appointment.kind):
        raise ReviewsError("This is a meeting of your care team, not an appointment to cancel.")
    if appointment.start <= timezone.now():
        raise ReviewsError("This appointment has already started, so it cannot be cancelled.")
    if len(" ".join(reason.split())) > rules.PATIENT_CANCEL_REASON_MAX:
        raise ReviewsError(
            f"Keep this to {rules.PATIENT_CANCEL_REASON_MAX} characters or fewer.", field="reason"
        )
    _cancel(
        appointment,
        actor=actor,
        reason=rules.patient_cancellation(reason),
        withdrawn="the patient cancelled the appointment",
    )
    messaging.queue_for_staff(
        user=appointment.clinician,
        kind="appointment_cancelled_by_patient",
        template="reviews-patient-cancelled",
        key=f"patient-cancelled:{appointment.uuid}",
        path=reverse("reviews:appointment", kwargs={"appointment_uuid": appointment.uuid}),
    )
    return appointment


@transaction.atomic
def request_booking(
    *, actor: User, patient: Patient, kind: str, preferences: str = ""
) -> BookingRequest:
    """The patient asks for an appointment (e.g. their annual review). Returns the request.

    Raises ReviewsError if the same kind of request is already waiting, or for an annual review
    when one is already booked (there is one a year; the patient can ask to move it instead),
    or when the patient is not under the team's care (discharged, or never referred) or has not
    had their first conversation yet (reviews follow it)."""
    if not patient.episodes.open().exists():
        raise ReviewsError(NOT_UNDER_CARE)
    if not selectors.seen_in_care(patient):
        raise ReviewsError(NOT_SEEN_YET)
    if kind == Appointment.Kind.ANNUAL_REVIEW:
        booked = (
            patient.appointments.filter(
                kind=kind, status=Appointment.Status.BOOKED, start__gt=timezone.now()
            )
            .order_by("start")
            .first()
        )
        if booked is not None:
            when = timezone.localtime(booked.start).strftime("%-d %B %Y")
            raise ReviewsError(
                f"Your annual review is already booked for {when}. If that time does not suit "
                "you, ask to rearrange it."
            )
    try:
        with transaction.atomic():
            request = BookingRequest.objects.create(
                patient=patient,
                kind=kind,
                preferences=preferences.strip()[:500],
                requested_at=timezone.now(),
                created_by=actor,
                updated_by=actor,
            )
    except IntegrityError as exc:
        raise ReviewsError(
            "You have already asked for this appointment. The team will be in touch."
        ) from exc
    record_event(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        patient=patient,
        obj=request,
        fields=["kind", "preferences"],
    )
    return request


@transaction.atomic
def close_booking_request(*, actor: User, request: BookingRequest) -> BookingRequest:
    """Close a patient's request without booking (e.g. booked by phone)."""
    changed = BookingRequest.objects.filter(
        pk=request.pk, status=BookingRequest.Status.OPEN
    ).update(
        status=BookingRequest.Status.CLOSED,
        handled_at=timezone.now(),
        handled_by=actor,
        updated_by=actor,
    )
    if not changed:
        raise StaleState("This request has already been dealt with.")
    record_event(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        patient=request.patient,
        obj=request,
        fields=["status"],
    )
    request.refresh_from_db()
    return request
