from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from pathway import services
from pathway.audit import record_event, record_view
from pathway.forms import ContactPreferencesForm, PatientForm, PatientSearchForm
from pathway.models import AuditEvent
from pathway.navigation import patient_tabs
from pathway.permissions import own_patient_record, patient_for, practice_ids_for
from pathway.selectors import episodes_with_milestones, record_access_for, search_patients
from pathway.views.access import patient_required, role_required, staff_required

# "Who has looked at your record": rows a page.
RECORD_ACCESS_PAGE_SIZE = 50


@staff_required
def patient_search(request):
    form = PatientSearchForm(request.GET if request.GET else None)
    results = None
    if form.is_bound and form.is_valid():
        results = list(search_patients(request.user, **form.cleaned_data))
        record_event(
            actor=request.user,
            action=AuditEvent.Action.SEARCH,
            object_type="pathway.patient",
            fields=[k for k, v in form.cleaned_data.items() if v],
        )
    return render(request, "pathway/patient_search.html", {"form": form, "results": results})


@role_required("gp", "clinician")
@require_http_methods(["GET", "POST"])
def patient_create(request):
    form = PatientForm(request.POST or None, practices=practice_ids_for(request.user))
    if request.method == "POST" and form.is_valid():
        patient = services.create_patient(actor=request.user, data=form.cleaned_data)
        messages.success(request, f"{patient.full_name} has been added.")
        return redirect("pathway:patient-detail", patient_uuid=patient.uuid)
    return render(request, "pathway/patient_form.html", {"form": form})


@staff_required
def patient_detail(request, patient_uuid):
    patient = patient_for(request.user, patient_uuid)
    record_view(actor=request.user, patient=patient, obj=patient)
    return render(
        request,
        "pathway/patient_detail.html",
        {
            "patient": patient,
            "episodes": episodes_with_milestones(patient),
            "tabs": patient_tabs(patient, request.path),
        },
    )


@staff_required
@require_POST
def portal_invite(request, patient_uuid):
    patient = patient_for(request.user, patient_uuid)
    try:
        user = services.invite_to_portal(actor=request.user, patient=patient)
    except services.PortalInviteError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            f"{patient.full_name} has a portal account. We have emailed {user.email} a link "
            "to choose a password.",
        )
    return redirect("pathway:patient-detail", patient_uuid=patient.uuid)


@patient_required
def record_access(request):
    patient = own_patient_record(request.user)
    return render(
        request,
        "pathway/record_access.html",
        {
            "patient": patient,
            "events": Paginator(record_access_for(patient), RECORD_ACCESS_PAGE_SIZE).get_page(
                request.GET.get("page")
            ),
        },
    )


@patient_required
@require_http_methods(["GET", "POST"])
def contact_preferences(request):
    patient = own_patient_record(request.user)
    form = ContactPreferencesForm(request.POST or None, instance=patient)
    if request.method == "POST":
        if "opt_out" in request.POST:
            services.opt_out_of_messages(actor=request.user, patient=patient)
            messages.success(request, "You will not get any more messages from us.")
            return redirect("pathway:contact-preferences")
        if form.is_valid():
            services.update_contact_preferences(
                actor=request.user, patient=own_patient_record(request.user), data=form.cleaned_data
            )
            messages.success(request, "Your contact preferences are saved.")
            return redirect("pathway:contact-preferences")
    return render(request, "pathway/contact_preferences.html", {"form": form, "patient": patient})
