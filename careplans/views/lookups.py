"""Fetching a plan, version, treatment or leaflet the user may see (404 otherwise), and what every
staff page needs."""

from __future__ import annotations

from django.http import Http404
from django.urls import reverse

from careplans import selectors
from careplans.models import CarePlan, CarePlanVersion, Leaflet
from careplans.models import TreatmentTrial as Trial
from pathway.navigation import patient_tabs
from pathway.permissions import patients_visible_to


def _version_or_404(user, version_uuid) -> CarePlanVersion:
    try:
        return selectors.load_version(version_uuid, patients=patients_visible_to(user))
    except CarePlanVersion.DoesNotExist as exc:
        raise Http404("No such care plan version") from exc


def _plan_or_404(user, plan_uuid) -> CarePlan:
    try:
        return selectors.plan_for(patients_visible_to(user), plan_uuid)
    except CarePlan.DoesNotExist as exc:
        raise Http404("No such care plan") from exc


def _trial_or_404(user, trial_uuid) -> Trial:
    try:
        return selectors.trial_for(patients_visible_to(user), trial_uuid)
    except Trial.DoesNotExist as exc:
        raise Http404("No such treatment") from exc


def _leaflet_or_404(slug) -> Leaflet:
    try:
        return selectors.leaflet_by_slug(slug)
    except Leaflet.DoesNotExist as exc:
        raise Http404("No such leaflet") from exc


def _staff_context(request, patient, **extra) -> dict:
    return {"patient": patient, "tabs": patient_tabs(patient, request.path), **extra}


def _plan_page(patient, anchor: str = "") -> str:
    url = reverse("careplans:patient-plan", kwargs={"patient_uuid": patient.uuid})
    return f"{url}#{anchor}" if anchor else url
