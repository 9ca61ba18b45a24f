"""Kernel reads, scoped through `pathway.permissions`."""

from django.db.models import Prefetch, QuerySet

from pathway import episode_endings
from pathway.models import AuditEvent, Episode, Milestone, Patient
from pathway.permissions import patients_visible_to

SEARCH_LIMIT = 25


def search_patients(
    user, *, nhs_number: str = "", family_name: str = "", date_of_birth=None
) -> QuerySet[Patient]:
    """Patients visible to `user` matching an NHS number, or a last name and date of birth."""
    patients = patients_visible_to(user).select_related("registered_practice")
    if nhs_number:
        return patients.filter(nhs_number=nhs_number)
    return patients.filter(family_name__iexact=family_name.strip(), date_of_birth=date_of_birth)[
        :SEARCH_LIMIT
    ]


def episodes_with_milestones(patient: Patient) -> list[Episode]:
    """The patient's episodes, newest first, each with `milestones` prefetched in time order
    and, when closed, how it ended in words (`ended_as`, pathway.episode_endings)."""
    return episode_endings.with_endings(
        list(
            patient.episodes.exclude(status=Episode.Status.ENTERED_IN_ERROR)
            .select_related("responsible_clinician")
            .prefetch_related(
                Prefetch("milestones", queryset=Milestone.objects.order_by("occurred_at", "id"))
            )
        )
    )


def record_access_for(patient: Patient) -> QuerySet[AuditEvent]:
    """Staff who viewed or changed the patient's record, newest first (for the patient, a page
    at a time: every row, however many)."""
    return (
        AuditEvent.objects.filter(patient=patient)
        .exclude(actor_role__in=["patient", "system"])
        .select_related("actor")
        .order_by("-at", "-id")
    )
