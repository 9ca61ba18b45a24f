"""An episode's page for the care team: who is responsible for it, and discharge; and the
discharge summary's download."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_http_methods

from pathway.audit import record_view
from pathway.navigation import patient_tabs
from pathway.pdf import pdf_download
from pathway.permissions import clinicians_caring_for
from pathway.views.access import clinician_required, staff_required
from reviews import letters, selectors
from reviews.errors import ReviewsError, ScopeChanged, StaleState
from reviews.forms import DischargeForm, ResponsibleClinicianForm
from reviews.services import episodes as services


@clinician_required
@require_http_methods(["GET", "HEAD", "POST"])
def episode_page(request, episode_uuid):
    episode = selectors.episode_for(request.user, episode_uuid)
    patient = episode.patient
    clinicians = clinicians_caring_for(patient)
    data = request.POST if request.method == "POST" else None
    action = data.get("action") if data else None
    clinician_form = ResponsibleClinicianForm(
        data if action == "clinician" else None,
        clinicians=clinicians,
        initial={
            "clinician": episode.responsible_clinician_id,
            "shown": str(episode.responsible_clinician.uuid)
            if episode.responsible_clinician
            else "",
        },
    )
    ending = selectors.ended_by_discharge(episode, timezone.now())
    discharge_form = DischargeForm(
        data if action == "discharge" else None, initial={"shown": ending.fingerprint()}
    )
    status = 200
    if action in ("clinician", "discharge"):
        form = clinician_form if action == "clinician" else discharge_form
        status = 400  # unless saved (a redirect) or refused as changed meanwhile (409)
        if form.is_valid():
            try:
                if action == "clinician":
                    clinician = form.cleaned_data["clinician"]
                    already = episode.responsible_clinician_id == clinician.pk
                    services.change_responsible_clinician(
                        actor=request.user,
                        episode=episode,
                        clinician=clinician,
                        # Absent (not a page of ours): nothing to compare with.
                        shown=form.cleaned_data["shown"] if "shown" in request.POST else None,
                    )
                    care = f"{patient.full_name}'s {episode.get_condition_display().lower()} care"
                    message = (
                        f"{clinician.full_name} was already responsible for {care}. Nothing "
                        "has changed."
                        if already
                        else f"{clinician.full_name} is now responsible for {care}."
                    )
                else:
                    died_on = form.cleaned_data["date_of_death"]
                    services.discharge_episode(
                        actor=request.user,
                        episode=episode,
                        reason=form.cleaned_data["reason"],
                        note_for_gp=form.cleaned_data["note_for_gp"],
                        date_of_death=died_on,
                        # Absent (not a page of ours): nothing to compare with.
                        shown=form.cleaned_data["shown"] if "shown" in request.POST else None,
                    )
                    if died_on is None:
                        message = (
                            f"{patient.full_name} is discharged from the "
                            f"{episode.get_condition_display().lower()} pathway. The discharge "
                            "summary for the GP practice is being prepared."
                        )
                    else:
                        message = (
                            f"{patient.full_name}'s death on {date_format(died_on, 'j F Y')} is "
                            "recorded. All their care with the team has ended, and nothing more "
                            "will be sent to them. The discharge summary for the GP practice is "
                            "being prepared."
                        )
            except ScopeChanged as error:
                # The answers kept, the list as it is now with its fingerprint, and the
                # confirmation to give again, having seen it.
                form.add_service_error(error)
                form.data = form.data.copy()
                form.data["shown"] = ending.fingerprint()
                form.data.pop("agreed", None)
                status = 409
            except StaleState as error:
                # Shown again afresh, with what is saved now, to choose from.
                messages.error(request, str(error))
                return redirect("reviews:episode", episode_uuid=episode.uuid)
            except ReviewsError as error:
                form.add_service_error(error)
            else:
                messages.success(request, message)
                return redirect("reviews:episode", episode_uuid=episode.uuid)
    elif request.method == "POST":
        messages.error(request, "Choose what to change.")
    record_view(actor=request.user, patient=patient, obj=episode)
    return render(
        request,
        "reviews/episode.html",
        {
            "episode": episode,
            "patient": patient,
            "tabs": patient_tabs(patient, request.path),
            "clinician_form": clinician_form,
            "discharge_form": discharge_form,
            "open_alerts": selectors.open_alerts_for_patient(patient),
            "severe_left": services.severe_scores_left(episode) if episode.is_open else [],
            "ending": ending,
            "discharge": getattr(episode, "discharge", None),
        },
        status=status,
    )


@staff_required
def discharge_letter(request, letter_uuid):
    letter = selectors.discharge_letter_for(request.user, letter_uuid)
    letters.record_letter_download(actor=request.user, letter=letter)
    return pdf_download(letter.pdf, letter.filename)
