"""A patient's episodes of care, what discharging one ends, and the reviews held."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from pathway.episode_endings import with_endings
from pathway.models import Episode, Milestone, Patient
from pathway.models.episodes import MilestoneKind
from pathway.permissions import patients_visible_to
from reviews import rules
from reviews.models import (
    Appointment,
    DischargeLetter,
    GroupBooking,
    QuestionnaireRequest,
    Review,
)
from reviews.models.appointments import FIRST_CONVERSATION_ARRANGED
from reviews.selectors.lookups import _get_or_404


def open_episodes(patient: Patient) -> QuerySet[Episode]:
    return patient.episodes.open()


def seen_in_care(patient: Patient) -> bool:
    """Whether the patient is in the team's care and has had their first conversation: reviews
    follow it, and before it the team arranges that one."""
    return open_episodes(patient).filter(milestones__kind=MilestoneKind.FIRST_CONTACT).exists()


def latest_review_due(episodes: QuerySet[Episode]) -> datetime | None:
    """When the review is due that was set last for any of `episodes` (their latest
    `annual_review_due`, by when it was recorded), or None."""
    return (
        Milestone.objects.filter(episode__in=episodes, kind=MilestoneKind.ANNUAL_REVIEW_DUE)
        .order_by("-created_at", "-id")
        .values_list("occurred_at", flat=True)
        .first()
    )


def next_review_kind(episodes: QuerySet[Episode]) -> str:
    """What the review due next in these episodes is (Review.next_review_kind): set by the
    latest review, which also recorded the due date; the annual review when none says."""
    kind = (
        Review.objects.filter(episode__in=episodes)
        .order_by("-completed_at", "-id")
        .values_list("next_review_kind", flat=True)
        .first()
    )
    return kind or Review.NextKind.ANNUAL_REVIEW


def next_review_kind_of_episode() -> Coalesce:
    """`next_review_kind` as an expression for annotating a query of episodes."""
    latest = (
        Review.objects.filter(episode=OuterRef("pk"))
        .order_by("-completed_at", "-id")
        .values("next_review_kind")[:1]
    )
    return Coalesce(Subquery(latest), Value(Review.NextKind.ANNUAL_REVIEW))


def arranged_first_conversations(episode: Episode) -> QuerySet[Appointment]:
    """The episode's first-conversation appointments booked or attended, earliest first."""
    return Appointment.objects.filter(
        episode=episode,
        kind=Appointment.Kind.FIRST_CONVERSATION,
        status__in=FIRST_CONVERSATION_ARRANGED,
    ).order_by("start")


def booked_reviews(episode: Episode) -> QuerySet[Appointment]:
    """The episode's follow-ups, medication and annual reviews booked, earliest first: they
    follow its first conversation (services.appointments)."""
    return Appointment.objects.filter(
        episode=episode,
        kind__in=rules.REVIEW_KINDS - {Appointment.Kind.FIRST_CONVERSATION},
        status=Appointment.Status.BOOKED,
    ).order_by("start")


def reviews_following(appointment: Appointment) -> list[Appointment]:
    """For a first conversation, the reviews booked to follow it (booked_reviews), which a
    cancellation leaves with none before them until it is booked again; [] for anything else."""
    if appointment.kind != Appointment.Kind.FIRST_CONVERSATION or not appointment.episode_id:
        return []
    return list(booked_reviews(appointment.episode))


def first_conversation_arranged(episode: Episode) -> bool:
    """Whether the episode's first conversation has been held, attended or booked: what to book
    next is then a follow-up (services.appointments allows one first conversation an episode)."""
    return (
        episode.milestones.filter(kind=MilestoneKind.FIRST_CONTACT).exists()
        or arranged_first_conversations(episode).exists()
    )


def episodes_of_patient(patient: Patient) -> list[Episode]:
    """The patient's episodes, open ones first, then newest, with their clinicians, each closed
    one with how it ended in words (`ended_as`: a referral not accepted was never discharged)."""
    episodes = (
        patient.episodes.exclude(status=Episode.Status.ENTERED_IN_ERROR)
        .select_related("responsible_clinician", "discharge__letter")
        .defer("discharge__letter__pdf")
        .order_by("-opened_at")
    )
    return with_endings(sorted(episodes, key=lambda episode: not episode.is_open))


def episode_for(user, episode_uuid) -> Episode:
    """An episode of a patient `user` may see (404 otherwise), with its patient and clinician."""
    return _get_or_404(
        Episode.objects.filter(patient__in=patients_visible_to(user))
        .exclude(status=Episode.Status.ENTERED_IN_ERROR)
        .select_related("patient", "responsible_clinician", "discharge__letter")
        .defer("discharge__letter__pdf"),
        uuid=episode_uuid,
    )


def discharge_letter_for(user, letter_uuid) -> DischargeLetter:
    """A discharge summary of a patient `user` may see, with its PDF (404 otherwise)."""
    return _get_or_404(
        DischargeLetter.objects.filter(
            discharge__patient__in=patients_visible_to(user)
        ).select_related("discharge__episode", "discharge__patient"),
        uuid=letter_uuid,
    )


@dataclass(frozen=True)
class DischargeScope:
    """What discharging an episode ends. The patient's last open episode ends all their care
    (`last`): every appointment to come, group places and invitations, questionnaires waiting.
    Another episode still open keeps those, and only this episode's appointments end, with
    places and invitations at sessions for this episode's condition alone (a session for
    anyone, or for the condition still cared for, is kept)."""

    # The patient's other open episodes, oldest first: what a death recorded on this episode
    # also ends.
    others: list[Episode]
    coming: QuerySet[Appointment]
    places: QuerySet[GroupBooking]
    waiting: QuerySet[QuestionnaireRequest]
    # `coming` and those begun in the last day: what the fingerprint reads, so that an
    # appointment starting while the page is open does not count as a change.
    booked_lately: QuerySet[Appointment]

    @property
    def last(self) -> bool:
        return not self.others

    def fingerprint(self) -> str:
        """What the discharge page lists, as a short digest: the discharge form carries the one
        it showed, so a discharge is not made over care added or changed since (an appointment
        booked in another tab, say) without the clinician seeing it."""
        parts = [
            *(f"episode:{other.uuid}:{other.status}" for other in self.others),
            *(f"appointment:{a.uuid}:{a.start.isoformat()}" for a in self.booked_lately),
            *(f"place:{booking.uuid}:{booking.status}" for booking in self.places),
            *(f"questionnaire:{request.uuid}" for request in self.waiting),
        ]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def ended_by_discharge(episode: Episode, now: datetime) -> DischargeScope:
    patient = episode.patient
    others = list(patient.episodes.open().exclude(pk=episode.pk).order_by("opened_at"))
    last = not others
    booked = Appointment.objects.filter(status=Appointment.Status.BOOKED)
    booked = booked.filter(patient=patient) if last else booked.filter(episode=episode)
    coming = booked.filter(start__gt=now)
    places = GroupBooking.objects.filter(
        patient=patient,
        status__in=[GroupBooking.Status.INVITED, GroupBooking.Status.BOOKED],
        session__start__gt=now,
        # A cancelled session's invitations and places are void already.
        session__cancelled_at__isnull=True,
    )
    waiting = QuestionnaireRequest.objects.filter(
        patient=patient, status=QuestionnaireRequest.Status.REQUESTED
    )
    return DischargeScope(
        others=others,
        coming=coming.select_related("clinician").order_by("start"),
        places=(
            places
            if last
            else places.filter(session__condition=episode.condition).exclude(
                session__condition__in=[other.condition for other in others]
            )
        )
        .select_related("session")
        .order_by("session__start"),
        waiting=(waiting if last else waiting.none()).order_by("requested_at"),
        booked_lately=booked.filter(start__gt=now - timedelta(days=1)).order_by("start", "id"),
    )


def reviews_for_patient(patient: Patient) -> QuerySet[Review]:
    return (
        Review.objects.filter(patient=patient)
        .select_related("appointment", "completed_by")
        .order_by("-completed_at")
    )


def last_review_before(patient: Patient, moment: datetime) -> Review | None:
    return reviews_for_patient(patient).filter(completed_at__lt=moment).first()
