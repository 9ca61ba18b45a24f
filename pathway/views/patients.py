from django.contrib import messages
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from pathway import services
from pathway.audit import record_event, record_view
from pathway.contact import display_uk_mobile
from pathway.forms import (
    ContactPreferencesForm,
    PatientContactForm,
    PatientDetailsForm,
    PatientForm,
    PatientSearchForm,
    PortalInviteForm,
)
from pathway.models import AuditEvent, Patient
from pathway.navigation import patient_tabs
from pathway.notifications import opt_out
from pathway.permissions import own_patient_record, patient_for
from pathway.selectors import episodes_with_milestones, record_access_for, search_patients
from pathway.views.access import patient_required, role_required, staff_required

# "Who has looked at your record": rows a page.
RECORD_ACCESS_PAGE_SIZE = 50
ADDED_MEANWHILE = (
    "A patient with this NHS number was added a moment ago, perhaps from another tab. Search "
    "for them instead."
)

# Who may change a patient's record from the staff pages: as for adding a patient.
RECORD_EDITORS = ("gp", "clinician")

# The contact fields by the words the success message names them with.
CONTACT_CHANGES = {
    "mobile": "mobile number",
    "email": "email address",
    "sms_consent": "consent to text messages",
    "email_consent": "consent to emails",
}
# The corrected fields by the words the success message names them with.
DETAIL_CHANGES = {
    "given_name": "first name",
    "family_name": "last name",
    "date_of_birth": "date of birth",
    "sex": "sex",
}
DETAILS_NOT_SAVED = (
    "The corrections have not been saved. Check what the record says now, then save again to "
    "replace it with what is in the form."
)
CONTACT_NOT_SAVED = (
    "The contact details have not been saved. Check what the record says now, then save again "
    "to replace it with what is in the form."
)


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


@role_required(*RECORD_EDITORS)
@require_http_methods(["GET", "HEAD", "POST"])
def patient_create(request):
    form = PatientForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        patient = add_from_form(request, form)
        if patient is not None:
            messages.success(request, f"{patient.full_name} has been added.")
            return redirect("pathway:patient-detail", patient_uuid=patient.uuid)
    existing = existing_shown(request, form)
    return render(request, "pathway/patient_form.html", {"form": form, "existing": existing})


def add_from_form(request, form: PatientForm) -> Patient | None:
    """The patient a valid PatientForm adds, or None with an error on its NHS number when a
    patient with that number was added between the form's check and the save (the form sent
    twice at once)."""
    try:
        return services.create_patient(actor=request.user, data=form.cleaned_data)
    except IntegrityError:
        form.add_error("nhs_number", ADDED_MEANWHILE)
        return None


def existing_shown(request, form: PatientForm) -> Patient | None:
    """The patient a PatientForm's NHS number already belongs to, if the page names them: a read
    of their record, audited."""
    existing = form.existing_patient
    if existing is not None:
        record_view(actor=request.user, patient=existing, obj=existing)
    return existing


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
            "mobile": display_uk_mobile(patient.mobile),
            "can_change": request.user.role in RECORD_EDITORS,
        },
    )


@staff_required
@require_POST
def portal_invite(request, patient_uuid):
    patient = patient_for(request.user, patient_uuid)
    form = PortalInviteForm(request.POST)
    shown = form.cleaned_data["shown_email"] if form.is_valid() else ""
    try:
        user = services.invite_to_portal(actor=request.user, patient=patient, shown_email=shown)
    except services.InviteAddressChanged as changed:
        messages.warning(request, _address_changed(patient, shown, changed.address))
    except services.PortalInviteError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            f"{patient.full_name} has a portal account. We have emailed {user.email} a link "
            "to choose a password.",
        )
    return redirect("pathway:patient-detail", patient_uuid=patient.uuid)


def _address_changed(patient, shown: str, address: str) -> str:
    """The message when the address shown on the page is no longer the one on the record."""
    was = f"the page showed {shown}" if shown else "the page did not show it"
    return (
        f"Nothing has been sent. The email address for {patient.full_name}'s invitation is now "
        f"{address} ({was}): it was changed after the page was opened. Check it with the "
        "patient, then send the invitation again if it is right."
    )


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
@require_http_methods(["GET", "HEAD", "POST"])
def contact_preferences(request):
    patient = own_patient_record(request.user)
    form = ContactPreferencesForm(request.POST or None, instance=patient)
    if request.method == "POST":
        if "opt_out" in request.POST:
            services.opt_out_of_messages(actor=request.user, patient=patient)
            messages.success(
                request,
                "You will not get any more messages from us. To turn them back on, tick a box "
                "below and save.",
            )
            return redirect("pathway:contact-preferences")
        if form.is_valid():
            services.update_contact_preferences(
                actor=request.user, patient=own_patient_record(request.user), data=form.cleaned_data
            )
            messages.success(request, "Your contact preferences are saved.")
            return redirect("pathway:contact-preferences")
    return render(request, "pathway/contact_preferences.html", {"form": form, "patient": patient})


@require_http_methods(["GET", "HEAD", "POST"])
def stop_messages(request, token):
    """The "stop these messages" link of every message to a patient: works without signing in,
    shows nothing about the patient, and stops messages only when the button is pressed (a link
    opened by a phone's preview must not act)."""
    patient = opt_out.patient_for(token)
    if patient is None:
        return render(request, "pathway/stop_messages.html", {"invalid": True}, status=404)
    done = ""
    if request.method == "POST" and patient.opted_out_at is None:
        if request.POST.get("what") == "diary":
            services.stop_diary_reminders(actor=None, patient=patient)
            done = "diary"
        else:
            services.opt_out_of_messages(actor=None, patient=patient)
            done = "all"
    return render(
        request,
        "pathway/stop_messages.html",
        {
            "stopped": patient.opted_out_at is not None,
            "diary_reminders": patient.diary_nudge,
            "done": done,
        },
    )


@role_required(*RECORD_EDITORS)
@require_http_methods(["GET", "HEAD", "POST"])
def patient_contact(request, patient_uuid):
    """The care team records a patient's new mobile, email address and consent."""
    patient = patient_for(request.user, patient_uuid)
    form = PatientContactForm(request.POST or None, instance=patient)
    saved_now = None
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        based_on = data.pop("based_on")
        try:
            changed = services.change_contact_details(
                actor=request.user, patient=patient, data=data, based_on=based_on
            )
        except services.ChangedSinceOpened as exc:
            # Shown again with what they typed beside the record as saved now, which the form
            # is based on from here. (Validating the form wrote the typed values onto
            # `patient`, so the record is read afresh.)
            form.add_error(None, f"{exc} {CONTACT_NOT_SAVED}")
            patient = saved_now = patient_for(request.user, patient_uuid)
            form.rebase(saved_now)
        else:
            messages.success(request, _contact_message(patient, changed))
            return redirect("pathway:patient-detail", patient_uuid=patient.uuid)
    elif request.method == "GET":
        record_view(actor=request.user, patient=patient, obj=patient)
    return render(
        request,
        "pathway/patient_contact.html",
        {
            "patient": patient,
            "form": form,
            "saved_now": saved_now,
            "saved_mobile": display_uk_mobile(saved_now.mobile) if saved_now else "",
            "sign_in_email": patient.user.email if patient.user_id else "",
        },
    )


def _contact_message(patient, changed: list[str]) -> str:
    """The success message: which of the patient's contact details changed, in words."""
    names = [words for field, words in CONTACT_CHANGES.items() if field in changed]
    back_on = "opted_out_at" in changed
    if not names:
        if back_on:
            return f"Messages to {patient.full_name} are turned back on."
        return f"Nothing was changed: these are already {patient.full_name}'s contact details."
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}"
    message = f"{patient.full_name}'s {listed} {'is' if len(names) == 1 else 'are'} updated."
    return message + (" Messages are turned back on." if back_on else "")


@role_required(*RECORD_EDITORS)
@require_http_methods(["GET", "HEAD", "POST"])
def patient_details(request, patient_uuid):
    """The care team corrects a patient's name, date of birth or sex."""
    patient = patient_for(request.user, patient_uuid)
    form = PatientDetailsForm(request.POST or None, patient=patient)
    saved_now = None
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        based_on = data.pop("based_on")
        try:
            corrected = services.correct_patient_details(
                actor=request.user, patient=patient, data=data, based_on=based_on
            )
        except services.ChangedSinceOpened as exc:
            form.add_error(None, f"{exc} {DETAILS_NOT_SAVED}")
            patient = saved_now = patient_for(request.user, patient_uuid)
            form.rebase(saved_now)
        else:
            patient.refresh_from_db()
            messages.success(request, _details_message(patient, corrected.changed))
            for note in corrected.notes:
                messages.warning(request, note)
            return redirect("pathway:patient-detail", patient_uuid=patient.uuid)
    elif request.method == "GET":
        record_view(actor=request.user, patient=patient, obj=patient)
    return render(
        request,
        "pathway/patient_details.html",
        {"patient": patient, "form": form, "saved_now": saved_now},
    )


def _details_message(patient, changed: list[str]) -> str:
    """The success message: which of the patient's details were corrected, in words."""
    if not changed:
        return f"Nothing was changed: these are already {patient.full_name}'s details."
    names = [words for field, words in DETAIL_CHANGES.items() if field in changed]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}"
    return f"{patient.full_name}'s {listed} {'is' if len(names) == 1 else 'are'} corrected."
