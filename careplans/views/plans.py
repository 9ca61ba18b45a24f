"""The care plan tab of the staff patient page, and starting a plan."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.text import capfirst
from django.views.decorators.http import require_POST

from careplans import selectors, services
from careplans.forms import AttachLeafletForm, StartPlanForm
from careplans.models import CarePlanVersion, Leaflet
from careplans.views.lookups import _plan_page, _staff_context
from pathway import recent_diary
from pathway.audit import record_view
from pathway.models import Episode
from pathway.permissions import patient_for
from pathway.views.access import clinician_required, staff_required


def _episodes_without_plan(patient, status=Episode.Status.ACTIVE):
    """The patient's episodes of `status` with no care plan: by default those in care, the
    only ones a plan can be started for (services.start_plan)."""
    return Episode.objects.filter(patient=patient, status=status).exclude(
        care_plans__entered_in_error=False
    )


@staff_required
def patient_plan(request, patient_uuid):
    """The care plan tab of the staff patient page: plans, prompts, trials, leaflets, versions."""
    return _plan_tab(request, patient_for(request.user, patient_uuid))


def _plan_tab(
    request,
    patient,
    *,
    start_form: StartPlanForm | None = None,
    attach_form: AttachLeafletForm | None = None,
    status: int = 200,
):
    """The tab's page; `start_form` is a "Start a care plan" form sent with a problem, and
    `attach_form` an "Add leaflet" form (its auto_id names its plan), shown back with their
    errors."""
    record_view(actor=request.user, patient=patient, object_type="careplans.careplan")
    # The NICE prompts are judged on the diary when it covers the last 90 days in full;
    # otherwise on the figures last recorded on a treatment, which the page dates.
    recent = recent_diary.for_patient(patient)
    figures = None
    if recent is not None and recent.complete:
        figures = selectors.DiaryFigures(
            migraine_days_per_month=recent.migraine_days_per_month,
            headache_days_per_month=recent.headache_days_per_month,
            source=f"the diary, the 90 days to {recent.end:%-d %B %Y}",
        )
    plans = selectors.plans_for_patient(patient, figures=figures)
    can_edit = request.user.role in ("clinician", "admin")
    attach_errors = None
    episodes = _episodes_without_plan(patient) if can_edit else Episode.objects.none()
    leaflets = list(selectors.published_leaflets().values_list("slug", "title", "condition"))
    for view in plans:
        attached = {link.leaflet.slug for link in view.leaflets}
        offered = (Leaflet.Condition.GENERAL, view.plan.episode.condition)
        view.attach_form = AttachLeafletForm(
            attach_form.data if _attach_form_for(attach_form, view.plan) else None,
            leaflets=[
                (slug, title)
                for slug, title, condition in leaflets
                if slug not in attached and condition in offered
            ],
            agreed=view.current is not None,
            auto_id=attach_auto_id(view.plan),
        )
        if _attach_form_for(attach_form, view.plan):
            view.attach_form.is_valid()
            attach_errors = view.attach_form
    # Referrals still waiting for triage: said, so the team is not left wondering why no plan
    # can be started.
    waiting = list(_episodes_without_plan(patient, Episode.Status.REFERRED)) if can_edit else []
    if not episodes.exists():
        start_form = None
    elif start_form is None:
        start_form = StartPlanForm(episodes=episodes)
    return render(
        request,
        "careplans/patient_plan.html",
        _staff_context(
            request,
            patient,
            plans=plans,
            can_edit=can_edit,
            start_form=start_form,
            attach_errors=attach_errors,
            waiting_triage=waiting,
            recent=recent,
        ),
        status=status,
    )


def attach_auto_id(plan) -> str:
    """The ids of a plan's "Add leaflet" form: a page may hold one per plan."""
    return f"attach-{plan.uuid}-%s"


def _attach_form_for(form: AttachLeafletForm | None, plan) -> bool:
    return form is not None and form.auto_id == attach_auto_id(plan)


@clinician_required
@require_POST
def plan_start(request, patient_uuid):
    patient = patient_for(request.user, patient_uuid)
    form = StartPlanForm(request.POST, episodes=_episodes_without_plan(patient))
    if not form.is_valid():
        return _plan_tab(request, patient, start_form=form, status=400)
    try:
        plan = services.start_plan(
            actor=request.user, patient=patient, episode=form.cleaned_data["episode"]
        )
    except services.CarePlanError as exc:
        messages.error(request, str(exc))
        return redirect(_plan_page(patient))
    messages.success(request, "Care plan started. Fill in the draft with the patient.")
    for item in plan.prefilled:
        label = CarePlanVersion._meta.get_field(item.field).verbose_name
        messages.info(
            request,
            f"{capfirst(label)} is filled in from {item.source}: check it with the patient.",
        )
    draft = plan.versions.get(number=1)
    return redirect("careplans:draft-edit", version_uuid=draft.uuid)
