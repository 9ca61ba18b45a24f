"""Leaflets on a plan (attaching and taking off), and the public leaflet library."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case, Q, When
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from careplans import selectors, services
from careplans.forms import AttachLeafletForm
from careplans.models import CarePlanLeaflet, CarePlanVersion, Leaflet
from careplans.safe_markdown import source_links
from careplans.views.lookups import _leaflet_or_404, _plan_or_404, _plan_page
from careplans.views.plans import _plan_tab, attach_auto_id
from pathway.permissions import patients_visible_to
from pathway.views.access import clinician_required

LEAFLETS_PER_PAGE = 20


@clinician_required
@require_POST
def leaflet_attach(request, plan_uuid):
    plan = _plan_or_404(request.user, plan_uuid)
    offered = selectors.leaflets_for_condition(plan.episode.condition)
    agreed = plan.versions.filter(status=CarePlanVersion.Status.AGREED).exists()
    form = AttachLeafletForm(
        request.POST,
        leaflets=offered.values_list("slug", "title"),
        agreed=agreed,
        auto_id=attach_auto_id(plan),
    )
    if not form.is_valid():
        # The tab again, with the error summary and the error beside the question.
        return _plan_tab(request, plan.patient, attach_form=form, status=400)
    leaflet = offered.get(slug=form.cleaned_data["leaflet"])
    try:
        _, created = services.attach_leaflet(
            actor=request.user,
            plan=plan,
            leaflet=leaflet,
            notify=form.cleaned_data.get("notify", False),
        )
    except services.CarePlanError as exc:
        messages.error(request, str(exc))
        return redirect(_plan_page(plan.patient, "leaflets"))
    messages.success(
        request, f"“{leaflet.title}” {'added to' if created else 'is already on'} the care plan."
    )
    return redirect(_plan_page(plan.patient, "leaflets"))


@clinician_required
@require_POST
def leaflet_remove(request, link_uuid):
    try:
        link = CarePlanLeaflet.objects.select_related("plan__patient", "leaflet").get(
            uuid=link_uuid, plan__patient__in=patients_visible_to(request.user)
        )
    except CarePlanLeaflet.DoesNotExist as exc:
        raise Http404("No such leaflet on a plan") from exc
    try:
        services.remove_leaflet(actor=request.user, link=link)
    except services.CarePlanError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"“{link.leaflet.title}” taken off the care plan.")
    return redirect(_plan_page(link.plan.patient, "leaflets"))


def leaflet_list(request):
    condition = request.GET.get("condition", "")
    leaflets = selectors.published_leaflets()
    if condition == Leaflet.Condition.GENERAL:
        leaflets = leaflets.filter(condition=condition)
    elif condition in Leaflet.Condition.values:
        # A headache or pain patient needs the leaflets for everyone too (mental health
        # support, this service), after their own condition's.
        leaflets = selectors.leaflets_for_condition(condition).order_by(
            Case(When(Q(condition=Leaflet.Condition.GENERAL), then=1), default=0), "title"
        )
    else:
        condition = ""
    leaflets = leaflets.only("slug", "title", "summary", "condition")
    page = Paginator(leaflets, LEAFLETS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "careplans/leaflet_list.html",
        {"page": page, "condition": condition, "conditions": Leaflet.Condition.choices},
    )


def leaflet_detail(request, slug):
    leaflet = _leaflet_or_404(slug)
    return render(
        request,
        "careplans/leaflet_detail.html",
        {
            "leaflet": leaflet,
            "body": selectors.leaflet_body(leaflet),
            "sources": source_links(leaflet.sources),
        },
    )
