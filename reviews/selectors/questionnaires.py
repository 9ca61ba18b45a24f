"""Questionnaire requests and safety alerts."""

from __future__ import annotations

from django.db.models import QuerySet

from pathway.models import Patient
from pathway.permissions import patients_visible_to
from reviews.models import QuestionnaireRequest, SafetyAlert
from reviews.selectors.lookups import _get_or_404


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
            "assessment__completed_by",
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
