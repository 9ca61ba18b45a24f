"""Questionnaire requests and safety alerts."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from pathway.instruments import REVIEW_BANDS
from pathway.models import Assessment, Episode, Patient, User
from pathway.permissions import patients_visible_to
from reviews.models import QuestionnaireRequest, Review, SafetyAlert
from reviews.selectors.lookups import _get_or_404


def questionnaire_requests_for_patient(
    patient: Patient, *, late_answers: bool = False
) -> QuerySet[QuestionnaireRequest]:
    """The patient's questionnaire requests, newest first. With `late_answers`, each has the
    answers sent to it after it was completed prefetched, oldest first (one more query): the
    team sees every set, a risky second one included."""
    requests = patient.questionnaire_requests.select_related(
        "requested_by", "assessment__completed_by"
    ).order_by("-requested_at")
    if late_answers:
        later = Assessment.objects.order_by("completed_at", "id")
        requests = requests.prefetch_related(Prefetch("late_answers", queryset=later))
    return requests


def outstanding_requests_for_patient(patient: Patient) -> QuerySet[QuestionnaireRequest]:
    return patient.questionnaire_requests.filter(
        status=QuestionnaireRequest.Status.REQUESTED
    ).order_by("due", "requested_at")


def own_questionnaire_request(patient: Patient, request_uuid) -> QuestionnaireRequest:
    return _get_or_404(
        patient.questionnaire_requests.select_related("assessment"), uuid=request_uuid
    )


def assessments_after(request: QuestionnaireRequest) -> QuerySet[Assessment]:
    """Assessments of a completed request's patient and instrument completed after it was:
    where answers sent to it once it was completed are kept (`submit_questionnaire`)."""
    if request.completed_at is None:
        return Assessment.objects.none()
    return Assessment.objects.filter(
        patient_id=request.patient_id,
        instrument=request.instrument,
        completed_at__gte=request.completed_at,
    ).exclude(pk=request.assessment_id)


def sent_again() -> Exists:
    """Whether the assessment (the query's row) is answers sent again to a questionnaire already
    answered (`QuestionnaireRequest.late_answers`): the patient's answers all the same, but not a
    later completion, so never the latest score a change is measured to."""
    return Exists(
        QuestionnaireRequest.late_answers.through.objects.filter(assessment_id=OuterRef("pk"))
    )


def unreviewed_severe_scores(patients: QuerySet[Patient]) -> QuerySet[Assessment]:
    """The latest PHQ-9 or GAD-7 of `patients` under the pathway (an open episode) whose score
    is in a band that prompts a review (`pathway.instruments.REVIEW_BANDS`), with no review
    recorded since it was completed. Unordered. Answers sent again to a questionnaire already
    answered are not a later score: a milder set of them does not hide a severe one. One row per
    patient and questionnaire: of two in the band, the later stands for both."""
    in_band = Q()
    for instrument, band in REVIEW_BANDS.items():
        in_band |= Q(instrument=instrument, band=band)
    same_questionnaire_later = Assessment.objects.filter(
        patient=OuterRef("patient"),
        instrument=OuterRef("instrument"),
        completed_at__gt=OuterRef("completed_at"),
        entered_in_error=False,
    )
    later = same_questionnaire_later.filter(~sent_again())
    later_in_band = same_questionnaire_later.filter(in_band)
    reviewed = Review.objects.filter(
        patient=OuterRef("patient"), completed_at__gte=OuterRef("completed_at")
    )
    under_care = Episode.objects.open().filter(patient=OuterRef("patient"))
    return (
        Assessment.objects.filter(in_band, patient__in=patients, entered_in_error=False)
        .filter(Exists(under_care))
        .exclude(Exists(later))
        .exclude(Exists(later_in_band))
        .exclude(Exists(reviewed))
        .order_by()
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
            "referral__duplicate_of",
            "referral__updated_by",
            "referral__referrer",
            "emergency_stop__created_by",
            "responsible_clinician",
            "resolved_by",
        ),
        uuid=alert_uuid,
    )


def responsible_for_care(patient_ids: Iterable[int]) -> dict[int, list[User]]:
    """The clinicians responsible for these patients' open episodes, by patient id: each named
    once, newest episode first; a patient with none is left out. They hold an alert raised while
    no one was responsible for the patient's care (a referral accepted since names someone), as
    the alert's page and its worklist row say."""
    held: dict[int, list[User]] = {}
    episodes = (
        Episode.objects.open()
        .filter(patient_id__in=patient_ids, responsible_clinician__isnull=False)
        .select_related("responsible_clinician")
        .order_by("-opened_at", "-id")
    )
    for episode in episodes:
        clinicians = held.setdefault(episode.patient_id, [])
        if episode.responsible_clinician not in clinicians:
            clinicians.append(episode.responsible_clinician)
    return held


def open_alerts_for_patient(patient: Patient) -> list[SafetyAlert]:
    return list(alerts_for_patient(patient).filter(resolved_at__isnull=True))


def alerts_for_patient(patient: Patient) -> QuerySet[SafetyAlert]:
    return patient.safety_alerts.select_related(
        "responsible_clinician", "resolved_by", "emergency_stop"
    ).order_by("-raised_at")
