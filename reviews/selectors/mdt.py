"""Cases for the multidisciplinary team meeting."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from pathway.models import Episode, Patient
from pathway.permissions import patients_visible_to
from reviews.models import MdtCase
from reviews.selectors.lookups import _get_or_404


def _under_care() -> Exists:
    """Whether the case's patient still has an open episode: a case of a patient discharged
    stays on the list until discussed, marked so the meeting can close it."""
    return Exists(Episode.objects.open().filter(patient=OuterRef("patient")))


def mdt_cases_for(user, *, status: str = MdtCase.Status.OPEN) -> QuerySet[MdtCase]:
    rows = MdtCase.objects.filter(patient__in=patients_visible_to(user), status=status)
    rows = rows.select_related("patient", "created_by").annotate(under_care=_under_care())
    if status == MdtCase.Status.OPEN:
        return rows.order_by("created_at")
    return rows.order_by("-discussed_at")


def mdt_case_for(user, case_uuid) -> MdtCase:
    return _get_or_404(
        MdtCase.objects.filter(patient__in=patients_visible_to(user))
        .select_related("patient__registered_practice", "created_by", "updated_by")
        .annotate(under_care=_under_care()),
        uuid=case_uuid,
    )


def mdt_cases_for_patient(patient: Patient) -> QuerySet[MdtCase]:
    return MdtCase.objects.filter(patient=patient).order_by("-created_at")
