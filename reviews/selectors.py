"""Reads for the reviews app, always scoped through `pathway.permissions`.

The `*_for(user, uuid)` helpers return one object the user may see or raise Http404, so another
team's row is indistinguishable from one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from pathway import instruments
from pathway.models import Assessment, Episode, Notification, Organisation, Patient, User
from pathway.permissions import (
    memberships_of,
    patients_visible_to,
    pcn_ids_for,
    practices_visible_to,
)
from reviews import rules
from reviews.models import (
    Appointment,
    BookingRequest,
    GroupBooking,
    GroupSession,
    MdtCase,
    QuestionnaireRequest,
    Review,
    SafetyAlert,
)
from reviews.models.groups import LIVE_BOOKING, PLACE_HOLDING
from reviews.questionnaires import answer_details

PAGE_SIZE = 25


def _get_or_404(queryset: QuerySet, **lookup):
    try:
        return queryset.get(**lookup)
    except (queryset.model.DoesNotExist, ValidationError, ValueError, TypeError) as exc:
        # ValidationError: a malformed UUID from a query string (?request=garbage).
        raise Http404("Not found") from exc


# Teams and clinicians


def team_organisation_ids(user) -> set[int]:
    """Organisations whose group sessions `user` runs: their own memberships, the PCN hosting a
    service they belong to, and the services hosted by a PCN they belong to."""
    if not getattr(user, "is_authenticated", False) or user.role not in ("clinician", "admin"):
        return set()
    if user.role == "admin" and user.is_superuser:
        return set(Organisation.objects.values_list("id", flat=True))
    pcns = pcn_ids_for(user)
    ids = {m.organisation_id for m in memberships_of(user)} | pcns
    ids |= set(
        Organisation.objects.filter(kind="service", parent_id__in=pcns).values_list("id", flat=True)
    )
    return ids


def team_clinicians(user) -> QuerySet[User]:
    """Active clinicians who share a team with `user` (including `user`)."""
    return (
        User.objects.filter(
            role=User.Role.CLINICIAN,
            is_active=True,
            memberships__organisation_id__in=team_organisation_ids(user),
        )
        .distinct()
        .order_by("full_name")
    )


# How long the worklist's filter choices are kept (seconds).
FILTER_CHOICES_SECONDS = 60


def worklist_filter_choices(user) -> tuple[list[User], list[Organisation]]:
    """The worklist's filters: the team's clinicians (`team_clinicians`) and the practices
    `user` may see (`practices_visible_to`), with only the fields the filters show.

    Kept in the cache for a minute under the user's role and memberships, which both lists
    follow from, so their three queries (about 2.5 ms of the page's 13) run once a minute per
    team. A clinician who joins or leaves a team, or a practice that moves, shows in the
    choices within that minute; the worklist's rows are scoped afresh on every view."""
    organisations = sorted({m.organisation_id for m in memberships_of(user)})
    key = "worklist-filters:{}:{}:{}".format(
        user.role, int(user.is_superuser), ",".join(map(str, organisations))
    )
    kept = cache.get(key)
    if kept is None:
        kept = (
            list(team_clinicians(user).only("id", "uuid", "full_name")),
            list(practices_visible_to(user).only("id", "ods_code", "name")),
        )
        cache.set(key, kept, FILTER_CHOICES_SECONDS)
    return kept


def open_episodes(patient: Patient) -> QuerySet[Episode]:
    return patient.episodes.open()


def episodes_of_patient(patient: Patient) -> list[Episode]:
    """The patient's episodes, open ones first, then newest, with their clinicians."""
    episodes = (
        patient.episodes.exclude(status=Episode.Status.ENTERED_IN_ERROR)
        .select_related("responsible_clinician")
        .order_by("-opened_at")
    )
    return sorted(episodes, key=lambda episode: not episode.is_open)


def episode_for(user, episode_uuid) -> Episode:
    """An episode of a patient `user` may see (404 otherwise), with its patient and clinician."""
    return _get_or_404(
        Episode.objects.filter(patient__in=patients_visible_to(user))
        .exclude(status=Episode.Status.ENTERED_IN_ERROR)
        .select_related("patient", "responsible_clinician"),
        uuid=episode_uuid,
    )


def coming_appointments_of(episode: Episode) -> list[Appointment]:
    """The episode's booked appointments still to come, soonest first (discharge cancels them)."""
    return list(
        episode.appointments.filter(status=Appointment.Status.BOOKED, start__gt=timezone.now())
        .select_related("clinician")
        .order_by("start")
    )


# Appointments


def _visible_appointments(user) -> QuerySet[Appointment]:
    return Appointment.objects.filter(patient__in=patients_visible_to(user))


def appointment_for(user, appointment_uuid) -> Appointment:
    return _get_or_404(
        _visible_appointments(user).select_related("patient__registered_practice", "clinician"),
        uuid=appointment_uuid,
    )


def appointments_for_team(
    user,
    *,
    clinician: User | None = None,
    start: date | None = None,
    end: date | None = None,
    status: str = "",
) -> QuerySet[Appointment]:
    """Appointments of patients `user` may see between two dates (London days, inclusive),
    soonest first; optionally one clinician's or one status."""
    rows = _visible_appointments(user).select_related("patient", "clinician")
    if start:
        rows = rows.filter(start__gte=_start_of(start))
    if end:
        rows = rows.filter(start__lt=_start_of(end + timedelta(days=1)))
    if clinician is not None:
        rows = rows.filter(clinician=clinician)
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("start", "id")


def appointments_for_patient(
    patient: Patient, *, with_team_meetings: bool = False
) -> QuerySet[Appointment]:
    """The patient's appointments, newest first: those they attend, for their own page, and
    with `with_team_meetings` the team's meetings about them (MDT discussions), for staff."""
    rows = patient.appointments.select_related("clinician").order_by("-start")
    if not with_team_meetings:
        rows = rows.exclude(kind__in=rules.TEAM_ONLY_KINDS)
    return rows


def upcoming_and_past(
    appointments, *, now, past_limit: int
) -> tuple[list[Appointment], list[Appointment]]:
    """Split a patient's appointments (newest first): booked ones not yet over, soonest first,
    and the rest, newest first, at most `past_limit` of them."""
    upcoming, past = [], []
    for appointment in appointments:
        ahead = appointment.status == Appointment.Status.BOOKED and appointment.end >= now
        (upcoming if ahead else past).append(appointment)
    return sorted(upcoming, key=lambda a: a.start), past[:past_limit]


def own_appointment(patient: Patient, appointment_uuid) -> Appointment:
    """One of the patient's own appointments, never the team's meetings about them (404)."""
    return _get_or_404(
        patient.appointments.exclude(kind__in=rules.TEAM_ONLY_KINDS).select_related("clinician"),
        uuid=appointment_uuid,
    )


def rearrange_requests_for(user) -> QuerySet[Appointment]:
    return (
        _visible_appointments(user)
        .filter(status=Appointment.Status.BOOKED, rearrange_requested_at__isnull=False)
        .select_related("patient", "clinician")
        .order_by("rearrange_requested_at")
    )


def open_booking_requests_for(user) -> QuerySet[BookingRequest]:
    return (
        BookingRequest.objects.filter(
            patient__in=patients_visible_to(user), status=BookingRequest.Status.OPEN
        )
        .select_related("patient")
        .order_by("requested_at")
    )


def open_booking_requests_for_patient(patient: Patient) -> QuerySet[BookingRequest]:
    """The patient's requests still waiting to be booked (at most one per kind)."""
    return patient.booking_requests.filter(status=BookingRequest.Status.OPEN).order_by(
        "requested_at"
    )


def booking_request_for(user, request_uuid) -> BookingRequest:
    return _get_or_404(
        BookingRequest.objects.filter(patient__in=patients_visible_to(user)).select_related(
            "patient"
        ),
        uuid=request_uuid,
    )


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


# Reviews


def reviews_for_patient(patient: Patient) -> QuerySet[Review]:
    return (
        Review.objects.filter(patient=patient)
        .select_related("appointment", "completed_by")
        .order_by("-completed_at")
    )


def last_review_before(patient: Patient, moment: datetime) -> Review | None:
    return reviews_for_patient(patient).filter(completed_at__lt=moment).first()


# Group sessions


def group_sessions_for(user, *, upcoming: bool = True) -> QuerySet[GroupSession]:
    """The sessions of `user`'s teams with their count of booked places, soonest first
    (upcoming) or newest first (past)."""
    now = timezone.now()
    rows = (
        GroupSession.objects.filter(organisation_id__in=team_organisation_ids(user))
        .select_related("organisation")
        .prefetch_related("facilitators")
        .annotate(
            places_taken=Count("bookings", filter=Q(bookings__status__in=PLACE_HOLDING)),
            invited=Count("bookings", filter=Q(bookings__status="invited")),
        )
    )
    if upcoming:
        return rows.filter(start__gte=now - timedelta(hours=12)).order_by("start")
    return rows.filter(start__lt=now - timedelta(hours=12)).order_by("-start")


def group_session_for(user, session_uuid) -> GroupSession:
    return _get_or_404(
        GroupSession.objects.filter(organisation_id__in=team_organisation_ids(user))
        .select_related("organisation")
        .prefetch_related("facilitators"),
        uuid=session_uuid,
    )


def bookings_for_session(user, session: GroupSession) -> QuerySet[GroupBooking]:
    """Invitations and places for patients `user` may see, live ones first."""
    return (
        session.bookings.filter(patient__in=patients_visible_to(user))
        .select_related("patient")
        .order_by("patient__family_name", "patient__given_name", "-created_at")
    )


def places_taken(session: GroupSession) -> int:
    return session.bookings.filter(status__in=PLACE_HOLDING).count()


def eligible_patients(user, session: GroupSession, *, limit: int = 50) -> QuerySet[Patient]:
    """Patients `user` may see whose referral the team has accepted (an active episode, of the
    session's condition if it has one: not one still waiting for triage, which may yet be
    rejected) and no live invitation or place at this session."""
    episodes = Episode.objects.filter(status=Episode.Status.ACTIVE)
    if session.condition:
        episodes = episodes.filter(condition=session.condition)
    return (
        patients_visible_to(user)
        .filter(id__in=episodes.values("patient_id"))
        .exclude(
            id__in=GroupBooking.objects.filter(session=session, status__in=LIVE_BOOKING).values(
                "patient_id"
            )
        )
        .order_by("family_name", "given_name")[:limit]
    )


def group_bookings_for_patient(patient: Patient) -> QuerySet[GroupBooking]:
    """The patient's invitations and places at sessions from 12 hours ago onwards, and those
    the care team withdrew (so the patient sees why one has gone) unless a later invitation
    or place at the same session replaced it. Their own declines and cancellations are left
    out: they know."""
    replaced = GroupBooking.objects.filter(
        session=OuterRef("session"), patient=OuterRef("patient"), pk__gt=OuterRef("pk")
    )
    return (
        patient.group_bookings.filter(
            Q(status__in=LIVE_BOOKING)
            | Q(status=GroupBooking.Status.WITHDRAWN) & ~Exists(replaced),
            session__cancelled_at__isnull=True,
            session__start__gte=timezone.now() - timedelta(hours=12),
        )
        .select_related("session")
        .order_by("session__start")
    )


def own_group_booking(patient: Patient, booking_uuid) -> GroupBooking:
    return _get_or_404(patient.group_bookings.select_related("session"), uuid=booking_uuid)


def group_booking_for(user, booking_uuid) -> GroupBooking:
    return _get_or_404(
        GroupBooking.objects.filter(
            patient__in=patients_visible_to(user),
            session__organisation_id__in=team_organisation_ids(user),
        ).select_related("session", "patient"),
        uuid=booking_uuid,
    )


# MDT


def mdt_cases_for(user, *, status: str = MdtCase.Status.OPEN) -> QuerySet[MdtCase]:
    rows = MdtCase.objects.filter(patient__in=patients_visible_to(user), status=status)
    rows = rows.select_related("patient", "created_by")
    if status == MdtCase.Status.OPEN:
        return rows.order_by("created_at")
    return rows.order_by("-discussed_at")


def mdt_case_for(user, case_uuid) -> MdtCase:
    return _get_or_404(
        MdtCase.objects.filter(patient__in=patients_visible_to(user)).select_related(
            "patient__registered_practice", "created_by", "updated_by"
        ),
        uuid=case_uuid,
    )


def mdt_cases_for_patient(patient: Patient) -> QuerySet[MdtCase]:
    return MdtCase.objects.filter(patient=patient).order_by("-created_at")


# Questionnaires and alerts


def questionnaire_requests_for_patient(patient: Patient) -> QuerySet[QuestionnaireRequest]:
    return patient.questionnaire_requests.select_related("requested_by", "assessment").order_by(
        "-requested_at"
    )


def outstanding_requests_for_patient(patient: Patient) -> QuerySet[QuestionnaireRequest]:
    return patient.questionnaire_requests.filter(
        status=QuestionnaireRequest.Status.REQUESTED
    ).order_by("due", "requested_at")


def own_questionnaire_request(patient: Patient, request_uuid) -> QuestionnaireRequest:
    return _get_or_404(
        patient.questionnaire_requests.select_related("assessment"), uuid=request_uuid
    )


def questionnaire_request_for(user, request_uuid) -> QuestionnaireRequest:
    return _get_or_404(
        QuestionnaireRequest.objects.filter(patient__in=patients_visible_to(user)).select_related(
            "patient"
        ),
        uuid=request_uuid,
    )


def last_psfs_activities(patient: Patient) -> list[str]:
    """The activities of the patient's latest completed PSFS, for the next one to re-rate."""
    row = (
        patient.questionnaire_requests.filter(
            instrument="PSFS", status=QuestionnaireRequest.Status.COMPLETED
        )
        .order_by("-completed_at")
        .values_list("activities", flat=True)
        .first()
    )
    return list(row or [])


def alert_for(user, alert_uuid) -> SafetyAlert:
    return _get_or_404(
        SafetyAlert.objects.filter(patient__in=patients_visible_to(user)).select_related(
            "patient__registered_practice",
            "assessment",
            "review__appointment",
            "review__completed_by",
            "responsible_clinician",
            "resolved_by",
        ),
        uuid=alert_uuid,
    )


def open_alerts_for_patient(patient: Patient) -> list[SafetyAlert]:
    return list(alerts_for_patient(patient).filter(resolved_at__isnull=True))


def alerts_for_patient(patient: Patient) -> QuerySet[SafetyAlert]:
    return patient.safety_alerts.select_related("responsible_clinician", "resolved_by").order_by(
        "-raised_at"
    )


@dataclass(frozen=True)
class TrendPoint:
    completed_at: datetime
    total: float
    band: str
    context: str
    # The band in words, with the ePPOC band beside a PSEQ's (`pathway.instruments.band_text`).
    band_text: str = ""
    # A PHQ-9 whose item 9 (thoughts of self-harm) was answered above 0.
    alert: bool = False
    # What the score leaves out: PSFS activities with their ratings, MIDAS A and B.
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class Trend:
    """One instrument's results for a patient, oldest first, and the change since baseline."""

    code: str
    name: str
    points: list[TrendPoint]
    better: str | None
    change: float | None
    verdict: str

    @property
    def title(self) -> str:
        """The instrument's name with its code, once: "Headache Impact Test (HIT-6)"."""
        return self.name if self.code in self.name else f"{self.name} ({self.code})"

    @property
    def baseline(self) -> TrendPoint:
        return self.points[0]

    @property
    def latest(self) -> TrendPoint:
        return self.points[-1]


def _answer_details(assessment: Assessment) -> tuple[str, ...]:
    """The answers a completed questionnaire's score leaves out (questionnaires.answer_details);
    none for an assessment recorded without a request (at referral, say)."""
    try:
        request = assessment.questionnaire_request
    except QuestionnaireRequest.DoesNotExist:
        return ()
    return answer_details(
        assessment.instrument,
        answers=list(assessment.answers),
        activities=list(request.activities),
        unscored=list(request.unscored_answers),
    )


def assessment_trends(patient: Patient) -> list[Trend]:
    """Every instrument the patient has completed, with baseline, latest and the change judged
    against the instrument's clinically important change (one query)."""
    rows = list(
        Assessment.objects.filter(patient=patient, entered_in_error=False)
        .select_related("questionnaire_request")
        .order_by("instrument", "completed_at", "id")
    )
    by_code: dict[str, list[Assessment]] = {}
    for row in rows:
        by_code.setdefault(row.instrument, []).append(row)
    trends = []
    for code, items in by_code.items():
        meta = instruments.INSTRUMENTS.get(code)
        points = [
            TrendPoint(
                a.completed_at,
                float(a.total),
                a.band,
                a.get_context_display(),
                band_text=instruments.band_text(code, a.band, float(a.total)),
                alert=a.alert,
                details=_answer_details(a),
            )
            for a in items
        ]
        change, verdict = None, "single"
        if meta is not None and len(items) > 1:
            first, last = items[0], items[-1]
            change, verdict = rules.instrument_change(
                meta,
                baseline=float(first.total),
                latest=float(last.total),
                baseline_answers=first.answers,
                latest_answers=last.answers,
            )
        trends.append(
            Trend(
                code=code,
                name=meta.name if meta else code,
                points=points,
                better=meta.better if meta else None,
                change=change,
                verdict=verdict,
            )
        )
    return sorted(trends, key=lambda t: t.code)


# Notifications


def failed_notifications_for(user) -> QuerySet[Notification]:
    """Failed outbox rows for patients `user` may see, and staff messages to `user`, newest
    first."""
    return (
        Notification.objects.filter(status=Notification.Status.FAILED)
        .filter(Q(patient__in=patients_visible_to(user)) | Q(user=user))
        .select_related("patient", "user")
        .order_by("-updated_at", "-id")
    )


def failed_notification_for(user, notification_uuid) -> Notification:
    return _get_or_404(failed_notifications_for(user), uuid=notification_uuid)
