"""Cases for the multidisciplinary team meeting."""

from __future__ import annotations

from django.db.models import QuerySet

from pathway.models import Patient
from pathway.permissions import patients_visible_to
from reviews.models import MdtCase
from reviews.selectors.lookups import _get_or_404


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
