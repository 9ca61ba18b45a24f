"""A patient's episodes of care, their coming appointments, and the reviews held."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from pathway.models import Episode, Patient
from pathway.permissions import patients_visible_to
from reviews.models import Appointment, Review
from reviews.selectors.lookups import _get_or_404


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


def reviews_for_patient(patient: Patient) -> QuerySet[Review]:
    return (
        Review.objects.filter(patient=patient)
        .select_related("appointment", "completed_by")
        .order_by("-completed_at")
    )


def last_review_before(patient: Patient, moment: datetime) -> Review | None:
    return reviews_for_patient(patient).filter(completed_at__lt=moment).first()
