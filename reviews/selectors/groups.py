"""Group sessions, their invitations and places, and the patients who may be invited."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from pathway.models import Episode, Patient
from pathway.permissions import patients_visible_to
from reviews.models import GroupBooking, GroupSession
from reviews.models.groups import ENDED, LIVE_BOOKING, PLACE_HOLDING
from reviews.selectors.lookups import _get_or_404
from reviews.selectors.teams import team_organisation_ids


def _booked_place(prefix: str = "", start=None) -> Q:
    """Bookings holding one of the session's places: booked before it began. Booking closes
    at the start (reviews.services.groups), so a place dating from the start or later is
    someone invited who joined without one, marked attended by the team
    (record_group_attendance): not one of the places booked, and not one a booking could have
    had. `prefix` reaches the bookings from another model; `start` is the session's start
    (by default read through the booking's session)."""
    start = F("session__start") if start is None else start
    return Q(**{f"{prefix}status__in": PLACE_HOLDING, f"{prefix}booked_at__lt": start})


def _joined_without_place(prefix: str = "", start=None) -> Q:
    """Bookings of patients who came without a place (see `_booked_place`)."""
    start = F("session__start") if start is None else start
    return Q(**{f"{prefix}status": GroupBooking.Status.ATTENDED, f"{prefix}booked_at__gte": start})


def group_sessions_for(user, *, upcoming: bool = True) -> QuerySet[GroupSession]:
    """The sessions of `user`'s teams with their count of booked places (`places_taken`),
    of patients who joined without one (`joined_without_place`) and of invitations still open
    (`invited`), soonest first (upcoming) or newest first (past)."""
    now = timezone.now()
    rows = (
        GroupSession.objects.filter(organisation_id__in=team_organisation_ids(user))
        .select_related("organisation")
        .prefetch_related("facilitators")
        .annotate(
            places_taken=Count("bookings", filter=_booked_place("bookings__", F("start"))),
            joined_without_place=Count(
                "bookings", filter=_joined_without_place("bookings__", F("start"))
            ),
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
    """Invitations and places for patients `user` may see, each patient's newest first. An
    ended one followed by a newer invitation for the same patient is marked `replaced`."""
    later = GroupBooking.objects.filter(
        session=OuterRef("session"), patient=OuterRef("patient"), pk__gt=OuterRef("pk")
    )
    return (
        session.bookings.filter(patient__in=patients_visible_to(user))
        .annotate(replaced=Exists(later))
        .select_related("patient")
        .order_by("patient__family_name", "patient__given_name", "-created_at", "-pk")
    )


def places_taken(session: GroupSession) -> int:
    """How many of the session's places are booked (someone who joined without a place is
    not counted: `joined_without_place`)."""
    return session.bookings.filter(_booked_place(start=session.start)).count()


def joined_without_place(session: GroupSession) -> int:
    """How many patients came to the session without a booked place (invited, and marked
    attended once it had started)."""
    return session.bookings.filter(_joined_without_place(start=session.start)).count()


# How many eligible patients the invitation list shows at once; a name narrows it.
INVITE_LIST_LIMIT = 50


def eligible_patients(
    user,
    session: GroupSession,
    *,
    limit: int | None = INVITE_LIST_LIMIT,
    name: str = "",
    uuids=None,
) -> QuerySet[Patient]:
    """Patients `user` may see whose referral the team has accepted (an active episode, of the
    session's condition if it has one: not one still waiting for triage, which may yet be
    rejected) and no live invitation or place at this session. Each has `ended_here`: the
    status of their latest invitation or place here that ended (declined, cancelled or
    withdrawn), or None, so that a patient who turned this session down is not asked again
    unawares.

    `name` keeps those whose first or last name starts with it; `uuids` keeps the patients
    chosen on the form, however far down the list (the invitation is checked against them,
    not against the first `limit`). `limit` None lists them all."""
    episodes = Episode.objects.filter(status=Episode.Status.ACTIVE)
    if session.condition:
        episodes = episodes.filter(condition=session.condition)
    ended = GroupBooking.objects.filter(
        session=session, patient=OuterRef("pk"), status__in=ENDED
    ).order_by("-pk")
    patients = (
        patients_visible_to(user)
        .filter(id__in=episodes.values("patient_id"))
        .exclude(
            id__in=GroupBooking.objects.filter(session=session, status__in=LIVE_BOOKING).values(
                "patient_id"
            )
        )
        .annotate(ended_here=Subquery(ended.values("status")[:1]))
        .order_by("family_name", "given_name")
    )
    if name := " ".join(name.split()):
        first, last = name.split()[0], name.split()[-1]
        patients = patients.filter(
            Q(given_name__istartswith=name)
            | Q(family_name__istartswith=name)
            | Q(given_name__istartswith=first, family_name__istartswith=last)
            | Q(family_name__istartswith=first, given_name__istartswith=last)
        )
    if uuids is not None:
        patients = patients.filter(uuid__in=uuids)
    return patients if limit is None else patients[:limit]


def group_bookings_for_patient(patient: Patient) -> QuerySet[GroupBooking]:
    """The patient's invitations and places at sessions from 12 hours ago onwards, those the
    care team withdrew (so the patient sees why one has gone) unless a later invitation or place
    at the same session replaced it, and those at sessions the team cancelled. Their own
    declines and cancellations are left out: they know. Each has `places_taken` at its
    session, so an invitation to a full session does not offer a place.

    Sessions that have started or ended are among them (earlier today's, which the patient
    booked or came to): the page says so rather than offer to book or give up a place
    (GroupSession.has_started, has_ended)."""
    replaced = GroupBooking.objects.filter(
        session=OuterRef("session"), patient=OuterRef("patient"), pk__gt=OuterRef("pk")
    )
    taken = (
        GroupBooking.objects.filter(_booked_place(), session=OuterRef("session"))
        .order_by()
        .values("session")
        .annotate(n=Count("id"))
        .values("n")
    )
    return (
        patient.group_bookings.filter(
            Q(status__in=LIVE_BOOKING)
            | Q(status=GroupBooking.Status.WITHDRAWN) & ~Exists(replaced),
            session__start__gte=timezone.now() - timedelta(hours=12),
        )
        .annotate(places_taken=Coalesce(Subquery(taken), 0))
        .select_related("session")
        .order_by("session__start")
    )


def group_history_for_patient(patient: Patient) -> QuerySet[GroupBooking]:
    """Every invitation and place the patient has had, at any session, newest session first:
    for the care team, who need to see attendance and missed sessions beside appointments."""
    return patient.group_bookings.select_related("session").order_by("-session__start", "-id")


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
