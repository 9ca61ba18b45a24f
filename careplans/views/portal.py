"""The patient's own pages: their agreed plans, and a leaflet with their own medicine and dose."""

from __future__ import annotations

from django.shortcuts import render

from careplans import selectors
from careplans.safe_markdown import source_links
from careplans.views.lookups import _leaflet_or_404
from pathway.models import Episode
from pathway.permissions import own_patient_record
from pathway.views.access import patient_required


@patient_required
def my_plan(request):
    """The patient's agreed plans in plain language, with their leaflets and PDFs."""
    patient = own_patient_record(request.user)
    plans = selectors.plans_for_patient(patient, agreed_only=True)
    # The plans of care going on first; a plan whose care ended follows, as it was left.
    plans.sort(key=lambda view: view.plan.episode.closed_at is not None)
    open_now = list(patient.episodes.open().values_list("condition", "status"))
    open_conditions = {condition for condition, _ in open_now}
    return render(
        request,
        "careplans/my_plan.html",
        {
            "patient": patient,
            "plans": plans,
            "help_for": selectors.help_for(patient),
            # A plan whose care ended says what to do next only when no other care goes on,
            # and that it was the earlier care when the patient is in care for it again.
            "in_care": bool(open_conditions),
            "open_conditions": open_conditions,
            # Care taken on again; a referral still waiting for triage may not be accepted.
            "in_care_again": {
                condition for condition, status in open_now if status != Episode.Status.REFERRED
            },
            "renewed": {
                view.plan.episode.condition for view in plans if not view.plan.episode.closed_at
            },
        },
    )


@patient_required
def my_leaflet(request, slug):
    """A leaflet for the signed-in patient, with their own medicine and dose where it applies."""
    patient = own_patient_record(request.user)
    leaflet = _leaflet_or_404(slug)
    plan = selectors.patient_plans_with_leaflet(patient, leaflet)
    trials = selectors.trials_for_leaflet(plan, leaflet)
    return render(
        request,
        "careplans/my_leaflet.html",
        {
            "patient": patient,
            "leaflet": leaflet,
            "body": selectors.leaflet_body(leaflet),
            "sources": source_links(leaflet.sources),
            "trials": trials,
            "document": selectors.current_leaflet_document(patient, leaflet, trials),
        },
    )
