"""Leaflets, and the documents (leaflet and care-plan PDFs) made for a patient."""

from __future__ import annotations

from django.db.models import QuerySet

from careplans import printing, rules
from careplans.models import (
    CarePlan,
    Document,
    Leaflet,
    TreatmentTrial,
)
from careplans.safe_markdown import render
from careplans.selectors.plans import reductions_oldest_first


def published_leaflets() -> QuerySet[Leaflet]:
    return Leaflet.objects.filter(is_published=True).order_by("title")


def leaflets_for_condition(condition: str) -> QuerySet[Leaflet]:
    """The published leaflets a plan for `condition` may offer: its own and those for
    everyone."""
    return published_leaflets().filter(condition__in=[Leaflet.Condition.GENERAL, condition])


def leaflet_by_slug(slug: str) -> Leaflet:
    """Raises Leaflet.DoesNotExist for an unknown or unpublished slug."""
    return published_leaflets().get(slug=slug)


def leaflet_body(leaflet: Leaflet) -> str:
    """The leaflet's sanitised HTML (see careplans.safe_markdown)."""
    return render(leaflet.body_markdown)


def trials_for_leaflet(plan: CarePlan | None, leaflet: Leaflet) -> list[TreatmentTrial]:
    """The patient's trials of the medicines the leaflet is about that they still take (being
    tried, or found to work and carried on), for personalising."""
    if plan is None or not leaflet.medicines:
        return []
    return [
        trial
        for trial in plan.trials.filter(
            entered_in_error=False, outcome__in=rules.CONTINUING_OUTCOMES
        ).prefetch_related(reductions_oldest_first())
        if rules.leaflet_is_about(
            leaflet.medicines,
            medicine_code=trial.medicine_code,
            medicine_class=trial.medicine_class,
        )
    ]


def patient_plans_with_leaflet(patient, leaflet: Leaflet) -> CarePlan | None:
    """The patient's live plan the leaflet is attached to, else their first live plan."""
    plans = CarePlan.objects.filter(patient=patient, entered_in_error=False).order_by("created_at")
    attached = plans.filter(
        leaflet_links__leaflet=leaflet, leaflet_links__removed_at__isnull=True
    ).first()
    return attached or plans.first()


def current_leaflet_document(
    patient, leaflet: Leaflet, trials: list[TreatmentTrial]
) -> Document | None:
    """The patient's personalised copy of the leaflet that prints what it would print now (this
    leaflet version, `trials` from trials_for_leaflet, the patient's name), or None if no such
    copy was asked for yet. Copies made before a change stay stored but are not returned."""
    key = printing.leaflet_fingerprint(patient=patient, leaflet=leaflet, trials=trials)
    return (
        Document.objects.filter(patient=patient, kind=Document.Kind.LEAFLET, content_hash=key)
        .defer("html", "pdf")
        .first()
    )


def document_for(patients: QuerySet, document_uuid, *, with_pdf: bool = False) -> Document:
    """A document whose patient is in `patients`. Raises Document.DoesNotExist."""
    documents = Document.objects.select_related("patient", "version", "leaflet")
    documents = documents.defer("html") if with_pdf else documents.defer("html", "pdf")
    return documents.get(uuid=document_uuid, patient__in=patients)
