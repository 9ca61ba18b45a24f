"""Appointments, for the team and for the patient, and requests to book or rearrange them."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from pathway.models import Patient, User
from pathway.permissions import patients_visible_to
from reviews import rules, sources
from reviews.models import Appointment, BookingRequest
from reviews.selectors.lookups import _get_or_404


def missed_not_rebooked(patients: QuerySet[Patient]) -> QuerySet[Appointment]:
    """The missed appointments the worklist asks the team to rebook, of `patients` under the
    team's care: each patient's latest appointment holding a review (rules.REVIEW_KINDS: not a
    group session or an MDT discussion), not cancelled, if it was missed and the team has not
    recorded a decision not to rebook. Nothing has been booked, held or missed after it."""
    later = Appointment.objects.filter(
        patient=OuterRef("patient_id"), kind__in=rules.REVIEW_KINDS, start__gt=OuterRef("start")
    ).exclude(status=Appointment.Status.CANCELLED)
    return Appointment.objects.filter(
        patient__in=sources.under_care(patients),
        kind__in=rules.REVIEW_KINDS,
        status=Appointment.Status.DID_NOT_ATTEND,
        not_rebooked_at__isnull=True,
    ).filter(~Exists(later))


def _visible_appointments(user) -> QuerySet[Appointment]:
    return Appointment.objects.filter(patient__in=patients_visible_to(user))


def appointment_for(user, appointment_uuid) -> Appointment:
    return _get_or_404(
        _visible_appointments(user).select_related(
            "patient__registered_practice", "clinician", "episode", "not_rebooked_by"
        ),
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
    appointments, *, now, past_limit: int | None
) -> tuple[list[Appointment], list[Appointment]]:
    """Split a patient's appointments (newest first): booked ones not yet over, soonest first,
    and the rest, newest first, at most `past_limit` of them (all with None)."""
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
