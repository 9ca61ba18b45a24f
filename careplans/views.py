"""Care-plan pages. Thin: check access through pathway.permissions, parse a form, call one
service, redirect or render. Another patient's objects answer 404; domain errors become messages."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from careplans import selectors, services
from careplans.forms import (
    DRAFT_FORMSETS,
    AgreeForm,
    AttachLeafletForm,
    ReductionForm,
    StartPlanForm,
    TrialForm,
    TrialReviewForm,
    VersionForm,
    error_links,
)
from careplans.models import CarePlan, CarePlanLeaflet, CarePlanVersion, Document, Leaflet
from careplans.models import TreatmentTrial as Trial
from careplans.safe_markdown import source_links
from pathway.audit import record_event, record_view
from pathway.models import AuditEvent, Episode
from pathway.navigation import patient_tabs
from pathway.permissions import own_patient_record, patient_for, patients_visible_to
from pathway.views.access import clinician_required, patient_required, role_required, staff_required

# Everyone who may open a patient's documents: the patient, and staff who can see them.
document_users = role_required("patient", "gp", "clinician", "admin")
LEAFLETS_PER_PAGE = 20
# After this long "preparing" says it is taking longer than usual and offers to try again.
SLOW_AFTER_SECONDS = 20


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


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


# --- Staff: the plan page -------------------------------------------------------------------


def _episodes_without_plan(patient):
    return (
        Episode.objects.open().filter(patient=patient).exclude(care_plans__entered_in_error=False)
    )


@staff_required
def patient_plan(request, patient_uuid):
    """The care plan tab of the staff patient page: plans, prompts, trials, leaflets, versions."""
    patient = patient_for(request.user, patient_uuid)
    record_view(actor=request.user, patient=patient, object_type="careplans.careplan")
    plans = selectors.plans_for_patient(patient)
    can_edit = request.user.role in ("clinician", "admin")
    episodes = _episodes_without_plan(patient) if can_edit else Episode.objects.none()
    leaflets = list(selectors.published_leaflets().values_list("slug", "title"))
    for view in plans:
        attached = {link.leaflet.slug for link in view.leaflets}
        view.attach_form = AttachLeafletForm(
            leaflets=[(slug, title) for slug, title in leaflets if slug not in attached],
            auto_id=f"attach-{view.plan.uuid}-%s",
        )
    start_form = StartPlanForm(episodes=episodes) if episodes.exists() else None
    return render(
        request,
        "careplans/patient_plan.html",
        _staff_context(
            request,
            patient,
            plans=plans,
            can_edit=can_edit,
            start_form=start_form,
        ),
    )


@clinician_required
@require_POST
def plan_start(request, patient_uuid):
    patient = patient_for(request.user, patient_uuid)
    form = StartPlanForm(request.POST, episodes=_episodes_without_plan(patient))
    if not form.is_valid():
        messages.error(request, "Choose the episode this plan is for.")
        return redirect(_plan_page(patient))
    try:
        plan = services.start_plan(
            actor=request.user, patient=patient, episode=form.cleaned_data["episode"]
        )
    except services.CarePlanError as exc:
        messages.error(request, str(exc))
        return redirect(_plan_page(patient))
    messages.success(request, "Care plan started. Fill in the draft with the patient.")
    draft = plan.versions.get(number=1)
    return redirect("careplans:draft-edit", version_uuid=draft.uuid)


# --- Staff: versions --------------------------------------------------------------------------


@staff_required
def version_detail(request, version_uuid):
    """One version in full, with what changed from the version before."""
    version = _version_or_404(request.user, version_uuid)
    patient = version.plan.patient
    record_view(actor=request.user, patient=patient, obj=version)
    previous, changes = selectors.changes_since_previous(version)
    return render(
        request,
        "careplans/version_detail.html",
        _staff_context(
            request,
            patient,
            view=selectors.version_view(version),
            version=version,
            previous=previous,
            changes=changes,
            can_edit=request.user.role in ("clinician", "admin"),
        ),
    )


# After a save refused because someone else saved first (services.ChangedSinceOpened).
DIFFERENCES_ID = "saved-now"
NOT_SAVED = (
    "Your changes have not been saved. Check what the saved draft says now, then save again "
    "to replace it with what is in the form."
)


def _locked_redirect(request, version: CarePlanVersion):
    messages.info(
        request,
        f"Version {version.number} was agreed and cannot be changed. Start a new version to make "
        "changes.",
    )
    return redirect("careplans:version-detail", version_uuid=version.uuid)


@clinician_required
@require_http_methods(["GET", "POST"])
def draft_edit(request, version_uuid):
    """Edit a draft: its fields and its lists, saved together or not at all."""
    version = _version_or_404(request.user, version_uuid)
    if not version.is_draft:
        return _locked_redirect(request, version)
    patient = version.plan.patient
    data = request.POST if request.method == "POST" else None
    form = VersionForm(data, instance=version)
    formsets = [
        (relation, formset_class(data, instance=version, prefix=prefix), heading, item_label)
        for relation, formset_class, prefix, heading, item_label in DRAFT_FORMSETS
    ]
    errors: list[tuple[str, str]] = []
    differences: list[selectors.SavedDifference] = []
    if request.method == "POST":
        # Validate every form (not stopping at the first invalid one) so all errors show.
        checks = [form.is_valid(), *[fs.is_valid() for _, fs, _, _ in formsets]]
        if all(checks):
            fields = dict(form.cleaned_data)
            based_on = fields.pop("based_on", None)
            items = {relation: fs.changes() for relation, fs, _, _ in formsets}
            try:
                services.update_draft(
                    actor=request.user,
                    version=version,
                    fields=fields,
                    items=items,
                    based_on=based_on,
                )
            except services.VersionLocked:
                return _locked_redirect(request, version)
            except services.ChangedSinceOpened as exc:
                # Keep what they typed, now based on the saved copy: saving again is a choice
                # made after seeing what the other person saved.
                errors.append((DIFFERENCES_ID, f"{exc} {NOT_SAVED}"))
                labels = {name: field.label for name, field in form.fields.items()}
                labels.update((relation, heading) for relation, _, heading, _ in formsets)
                differences = selectors.draft_differences(
                    version, fields=fields, items=items, labels=labels
                )
                form.set_based_on(exc.changed_at)
            except services.CarePlanError as exc:
                errors.append(("", str(exc)))
            else:
                messages.success(request, f"Draft version {version.number} saved.")
                if "agree" in request.POST:
                    return redirect("careplans:draft-agree", version_uuid=version.uuid)
                if "add_more" in request.POST:
                    return redirect("careplans:draft-edit", version_uuid=version.uuid)
                return redirect(_plan_page(patient))
        errors = error_links(form, *[(fs, row) for _, fs, _, row in formsets]) + errors
    else:
        record_view(actor=request.user, patient=patient, obj=version)
    return render(
        request,
        "careplans/draft_edit.html",
        _staff_context(
            request,
            patient,
            version=version,
            form=form,
            formsets=formsets,
            errors=errors,
            differences=differences,
        ),
    )


@clinician_required
@require_http_methods(["GET", "POST"])
def draft_agree(request, version_uuid):
    """Check the draft with the patient and agree it."""
    version = _version_or_404(request.user, version_uuid)
    if not version.is_draft:
        return _locked_redirect(request, version)
    patient = version.plan.patient
    form = AgreeForm(request.POST if request.method == "POST" else None, version=version)
    if request.method == "GET":
        record_view(actor=request.user, patient=patient, obj=version)
    if request.method == "POST" and form.is_valid():
        try:
            services.agree_version(
                actor=request.user, version=version, based_on=form.cleaned_data["based_on"]
            )
        except services.VersionLocked:
            return _locked_redirect(request, version)
        except services.ChangedSinceOpened as exc:
            # The page below shows the draft as saved now; agreeing again agrees that.
            form.add_error(
                None, f"{exc} The plan has not been agreed. Check it again with the patient."
            )
            form.set_based_on(exc.changed_at)
        except services.CarePlanError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Version {version.number} of the care plan is agreed.")
            return redirect(_plan_page(patient))
    previous, changes = selectors.changes_since_previous(version)
    return render(
        request,
        "careplans/draft_agree.html",
        _staff_context(
            request,
            patient,
            version=version,
            view=selectors.version_view(version),
            previous=previous,
            changes=changes,
            form=form,
        ),
    )


@clinician_required
@require_POST
def version_new(request, plan_uuid):
    plan = _plan_or_404(request.user, plan_uuid)
    draft = services.start_new_version(actor=request.user, plan=plan)
    return redirect("careplans:draft-edit", version_uuid=draft.uuid)


# --- Staff: treatment trials ------------------------------------------------------------------


@clinician_required
@require_http_methods(["GET", "POST"])
def trial_add(request, plan_uuid):
    plan = _plan_or_404(request.user, plan_uuid)
    form = TrialForm(request.POST if request.method == "POST" else None)
    warning = None
    if request.method == "POST" and form.is_valid():
        try:
            trial = services.add_trial(actor=request.user, plan=plan, data=form.cleaned_data)
        except services.NeedsAcknowledgement as exc:
            warning = exc.prompt
            form.add_error(
                "start_warning_acknowledged",
                "Read the NICE advice, then tick the box if you still want to record this "
                "medicine.",
            )
        except services.CarePlanError as exc:
            form.add_error(None, str(exc))
        else:
            message = "Treatment recorded."
            if trial.already_taking and not form.cleaned_data["already_taking"]:
                message += (
                    " It started before the referral, so it is recorded as a medicine "
                    f"{plan.patient.given_name} already takes, not a treatment started by the "
                    "care team."
                )
            messages.success(request, message)
            return redirect(_plan_page(plan.patient, "treatments"))
    elif request.method == "GET":
        record_view(actor=request.user, patient=plan.patient, obj=plan)
    if warning is None and not form["start_warning_acknowledged"].value():
        # The box acknowledges a NICE warning: it is asked for only beside one.
        del form.fields["start_warning_acknowledged"]
    return render(
        request,
        "careplans/trial_form.html",
        _staff_context(request, plan.patient, plan=plan, form=form, warning=warning),
    )


@clinician_required
@require_http_methods(["GET", "POST"])
def trial_review(request, trial_uuid):
    trial = _trial_or_404(request.user, trial_uuid)
    patient = trial.plan.patient
    form = TrialReviewForm(request.POST if request.method == "POST" else None, instance=trial)
    differences: list[selectors.SavedDifference] = []
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        based_on = data.pop("based_on", None)
        try:
            services.review_trial(actor=request.user, trial=trial, data=data, based_on=based_on)
        except services.ChangedSinceOpened as exc:
            form.add_error(
                None,
                f"{exc} Your review has not been saved. Check what is saved now, then save "
                "again to replace it with what is in the form.",
            )
            labels = {name: field.label for name, field in form.fields.items()}
            differences = selectors.trial_differences(trial, data, labels)
            form.set_based_on(exc.changed_at)
        except services.CarePlanError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Review of {trial.display_name} saved.")
            return redirect(_plan_page(patient, "treatments"))
    elif request.method == "GET":
        record_view(actor=request.user, patient=patient, obj=trial)
    view = selectors.trial_view(trial, trial.plan.episode.condition, timezone.localdate())
    return render(
        request,
        "careplans/trial_review.html",
        _staff_context(
            request, patient, trial=trial, view=view, form=form, differences=differences
        ),
    )


@clinician_required
@require_http_methods(["GET", "POST"])
def reduction_add(request, trial_uuid):
    trial = _trial_or_404(request.user, trial_uuid)
    patient = trial.plan.patient
    form = ReductionForm(request.POST if request.method == "POST" else None, trial=trial)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_reduction(actor=request.user, trial=trial, data=form.cleaned_data)
        except services.CarePlanError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Change to {trial.display_name} recorded.")
            return redirect(_plan_page(patient, "treatments"))
    elif request.method == "GET":
        record_view(actor=request.user, patient=patient, obj=trial)
    return render(
        request,
        "careplans/reduction_form.html",
        _staff_context(request, patient, trial=trial, form=form),
    )


# --- Staff: leaflets on a plan ----------------------------------------------------------------


@clinician_required
@require_POST
def leaflet_attach(request, plan_uuid):
    plan = _plan_or_404(request.user, plan_uuid)
    published = selectors.published_leaflets()
    form = AttachLeafletForm(request.POST, leaflets=published.values_list("slug", "title"))
    if not form.is_valid():
        messages.error(request, "Choose a leaflet to add.")
        return redirect(_plan_page(plan.patient, "leaflets"))
    leaflet = published.get(slug=form.cleaned_data["leaflet"])
    _, created = services.attach_leaflet(
        actor=request.user, plan=plan, leaflet=leaflet, notify=form.cleaned_data["notify"]
    )
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
    services.remove_leaflet(actor=request.user, link=link)
    messages.success(request, f"“{link.leaflet.title}” taken off the care plan.")
    return redirect(_plan_page(link.plan.patient, "leaflets"))


# --- Patient: my plan -------------------------------------------------------------------------


@patient_required
def my_plan(request):
    """The patient's agreed plans in plain language, with their leaflets and PDFs."""
    patient = own_patient_record(request.user)
    return render(
        request,
        "careplans/my_plan.html",
        {"patient": patient, "plans": selectors.plans_for_patient(patient, agreed_only=True)},
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


# --- PDFs -------------------------------------------------------------------------------------


def _document_context(document: Document) -> dict:
    if document.kind == Document.Kind.CAREPLAN:
        retry = reverse("careplans:plan-pdf", kwargs={"version_uuid": document.version.uuid})
        label = "care plan"
    else:
        retry = reverse(
            "careplans:leaflet-pdf",
            kwargs={"patient_uuid": document.patient.uuid, "slug": document.leaflet.slug},
        )
        label = "leaflet"
    waited = (timezone.now() - (document.enqueued_at or document.created_at)).total_seconds()
    return {
        "document": document,
        "retry_url": retry,
        "label": label,
        "slow": document.status == Document.Status.PENDING and waited > SLOW_AFTER_SECONDS,
    }


def _after_pdf_request(request, document: Document, fallback: str):
    if _is_htmx(request):
        return render(
            request, "careplans/includes/document_status.html", _document_context(document)
        )
    if document.is_ready:
        messages.success(request, "Your PDF is ready to download.")
    else:
        messages.info(request, "We are preparing your PDF. It will be ready in a few seconds.")
    return redirect(fallback)


@document_users
@require_POST
def plan_pdf(request, version_uuid):
    """Ask for the PDF of an agreed plan version as it prints now (made once for the same
    content, then reused; a new one after a treatment or the patient's details change)."""
    version = _version_or_404(request.user, version_uuid)
    patient = version.plan.patient
    fallback = reverse("careplans:my-plan") if request.user.is_patient else _plan_page(patient)
    try:
        document = services.request_careplan_pdf(actor=request.user, version=version)
    except services.CarePlanError as exc:
        messages.error(request, str(exc))
        return redirect(fallback)
    return _after_pdf_request(request, document, fallback)


@document_users
@require_POST
def leaflet_pdf(request, patient_uuid, slug):
    """Ask for a leaflet personalised for the patient (made once per content, then reused)."""
    patient = patient_for(request.user, patient_uuid)
    leaflet = _leaflet_or_404(slug)
    plan = selectors.patient_plans_with_leaflet(patient, leaflet)
    document = services.request_leaflet_pdf(
        actor=request.user, patient=patient, plan=plan, leaflet=leaflet
    )
    if request.user.is_patient:
        fallback = reverse("careplans:my-leaflet", kwargs={"slug": slug})
    else:
        fallback = _plan_page(patient, "leaflets")
    return _after_pdf_request(request, document, fallback)


def _document_or_404(user, document_uuid, *, with_pdf=False) -> Document:
    try:
        return selectors.document_for(patients_visible_to(user), document_uuid, with_pdf=with_pdf)
    except Document.DoesNotExist as exc:
        raise Http404("No such document") from exc


@document_users
def document_status(request, document_uuid):
    """The "preparing" / download fragment, polled by htmx every 2 seconds until ready."""
    document = _document_or_404(request.user, document_uuid)
    template = (
        "careplans/includes/document_status.html"
        if _is_htmx(request)
        else "careplans/document_status.html"
    )
    return render(request, template, _document_context(document))


@document_users
def document_download(request, document_uuid):
    """The PDF itself, to a signed-in user who may see the patient. Never cached."""
    document = _document_or_404(request.user, document_uuid, with_pdf=True)
    if not document.is_ready:
        return render(request, "careplans/document_status.html", _document_context(document))
    record_event(
        actor=request.user,
        action=AuditEvent.Action.DOWNLOAD,
        patient=document.patient,
        obj=document,
    )
    response = HttpResponse(bytes(document.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{document.filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- The leaflet library (public information) -------------------------------------------------


def leaflet_list(request):
    condition = request.GET.get("condition", "")
    leaflets = selectors.published_leaflets().only("slug", "title", "summary", "condition")
    if condition in Leaflet.Condition.values:
        leaflets = leaflets.filter(condition=condition)
    else:
        condition = ""
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
