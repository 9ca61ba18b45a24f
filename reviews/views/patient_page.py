"""The Reviews tab of the staff patient page, and the actions started from it."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from pathway.audit import record_view
from pathway.navigation import patient_tabs
from pathway.permissions import patient_for
from pathway.views.access import clinician_required, staff_required
from reviews import messaging, selectors
from reviews.errors import ReviewsError, StaleState
from reviews.forms import AnswersForm, MdtCaseForm, QuestionnaireRequestForm
from reviews.models import QuestionnaireRequest
from reviews.questionnaires import QUESTIONNAIRES
from reviews.services import mdt as mdt_services
from reviews.services import questionnaires as questionnaire_services
from reviews.views.refusals import post_only

# The tab shows the latest rows of each list, and says so with a link to show them all.
RECENT = 20


def _latest(rows, cut: dict, name: str, *, everything: bool) -> list:
    """The first RECENT of `rows` (all of them with `everything`); `cut[name]` says whether
    more were left out, so the page says so instead of ending the list silently."""
    if everything:
        return list(rows)
    kept = list(rows[: RECENT + 1])
    cut[name] = len(kept) > RECENT
    return kept[:RECENT]


def _tab_context(request, patient, **extra):
    now = timezone.now()
    everything = request.GET.get("all") == "1"
    cut: dict[str, bool] = {}
    appointments = selectors.appointments_for_patient(patient, with_team_meetings=True)
    rows = list(appointments if everything else appointments[: RECENT * 2 + 1])
    upcoming, past = selectors.upcoming_and_past(
        rows if everything else rows[: RECENT * 2], now=now, past_limit=None
    )
    if not everything:
        cut["appointments"] = len(rows) > RECENT * 2 or len(past) > RECENT
        past = past[:RECENT]
    episodes = selectors.episodes_of_patient(patient)
    return {
        "patient": patient,
        "tabs": patient_tabs(patient, request.path),
        "upcoming": upcoming,
        "past": past,
        "group_bookings": _latest(
            selectors.group_history_for_patient(patient), cut, "group", everything=everything
        ),
        "reviews": _latest(
            selectors.reviews_for_patient(patient), cut, "reviews", everything=everything
        ),
        "requests": _latest(
            selectors.questionnaire_requests_for_patient(patient, late_answers=True),
            cut,
            "questionnaires",
            everything=everything,
        ),
        "trends": selectors.assessment_trends(patient),
        "episodes": episodes,
        # Why no questionnaire can be sent, as the service words it; "" while under care.
        "not_under_care": (
            ""
            if any(episode.is_open for episode in episodes)
            else questionnaire_services.not_under_care(patient)
        ),
        "mdt_cases": _latest(
            selectors.mdt_cases_for_patient(patient), cut, "mdt", everything=everything
        ),
        # Open and closed, newest first: what was done about a risk stays on the record.
        "alerts": _latest(
            selectors.alerts_for_patient(patient), cut, "alerts", everything=everything
        ),
        "cut": cut,
        "recent": RECENT,
        "is_clinician": request.user.role in ("clinician", "admin"),
        **extra,
    }


@staff_required
def patient_reviews(request, patient_uuid):
    """Appointments, reviews, questionnaire requests and trends, alerts and MDT cases."""
    patient = patient_for(request.user, patient_uuid)
    record_view(actor=request.user, patient=patient, obj=patient)
    return render(
        request,
        "reviews/patient_reviews.html",
        _tab_context(request, patient, request_form=QuestionnaireRequestForm()),
    )


@clinician_required
def questionnaire_request(request, patient_uuid):
    patient = patient_for(request.user, patient_uuid)
    if refused := post_only(request):
        return refused
    form = QuestionnaireRequestForm(request.POST)
    if form.is_valid():
        try:
            questionnaire_services.request_questionnaire(
                actor=request.user,
                patient=patient,
                instrument=form.cleaned_data["instrument"],
                due=form.cleaned_data["due"],
            )
        except ReviewsError as error:
            form.add_service_error(error)
        else:
            instrument = QUESTIONNAIRES[form.cleaned_data["instrument"]].title
            if messaging.not_told_reason(patient):
                messages.success(
                    request, f"{instrument} is waiting in {patient.full_name}'s questionnaires."
                )
            else:
                messages.success(request, f"{instrument} sent to {patient.full_name}.")
            for warning in messaging.questionnaire_reach_warnings(patient, instrument):
                messages.warning(request, warning)
            return redirect("reviews:patient-reviews", patient_uuid=patient.uuid)
    record_view(actor=request.user, patient=patient, obj=patient)
    return render(
        request,
        "reviews/patient_reviews.html",
        _tab_context(request, patient, request_form=form),
        status=400,
    )


@clinician_required
def questionnaire_cancel(request, request_uuid):
    questionnaire = selectors.questionnaire_request_for(request.user, request_uuid)
    if refused := post_only(request):
        return refused
    try:
        questionnaire_services.cancel_questionnaire_request(
            actor=request.user, request=questionnaire
        )
    except ReviewsError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Questionnaire request cancelled.")
    return redirect("reviews:patient-reviews", patient_uuid=questionnaire.patient.uuid)


@clinician_required
@require_http_methods(["GET", "HEAD", "POST"])
def questionnaire_record(request, request_uuid):
    """Record the answers to a questionnaire sent to the patient as they give them to the team
    (by phone or at an appointment): for patients without the portal, or who would rather. The
    same scoring and safety alert as answers sent in the portal."""
    questionnaire_request = selectors.questionnaire_request_for(request.user, request_uuid)
    patient = questionnaire_request.patient
    back = redirect("reviews:patient-reviews", patient_uuid=patient.uuid)
    # What the request was when the page was opened: answers sent from it are kept whatever
    # happened meanwhile (`submit_questionnaire`), and the message says what that was.
    status = questionnaire_request.status
    if request.method != "POST" and status != QuestionnaireRequest.Status.REQUESTED:
        messages.error(request, _ALREADY_DONE.get(status, _NOT_OPEN))
        return back
    form = AnswersForm.for_request(request.POST or None, questionnaire_request)
    questionnaire = form.questionnaire
    if request.method == "POST" and form.is_valid():
        try:
            assessment, alert = questionnaire_services.submit_questionnaire(
                actor=request.user, request=questionnaire_request, **form.submission()
            )
        except StaleState:
            messages.error(request, _ALREADY_DONE[QuestionnaireRequest.Status.COMPLETED])
            return back
        except ReviewsError as error:
            form.add_error(None, str(error))
        else:
            message = f"{patient.given_name}'s {questionnaire.title} answers are recorded."
            if assessment.pk != questionnaire_request.assessment_id:
                message = (
                    "This questionnaire had already been answered, in the portal or by a "
                    f"colleague. These answers differ, so they are recorded too, as a "
                    f"{questionnaire.title} of their own."
                )
            elif status == QuestionnaireRequest.Status.CANCELLED:
                message += " The request had been cancelled meanwhile; the answers complete it."
            if alert is not None:
                message += (
                    " Question 9 was answered above 'not at all': a safety alert is open. "
                    "Follow the practice's risk protocol today and make sure they have crisis "
                    "contacts."
                )
            messages.success(request, message)
            return back
    elif request.method == "GET":
        record_view(actor=request.user, patient=patient, obj=questionnaire_request)
    return render(
        request,
        "reviews/questionnaire_record.html",
        {
            "form": form,
            "patient": patient,
            "tabs": patient_tabs(patient, request.path),
            "questionnaire": questionnaire,
            "questionnaire_request": questionnaire_request,
        },
    )


_NOT_OPEN = "This questionnaire is no longer waiting for answers."
_ALREADY_DONE = {
    QuestionnaireRequest.Status.COMPLETED: "This questionnaire has already been answered, in "
    "the portal or by a colleague. Its result is below.",
}


@clinician_required
@require_http_methods(["GET", "HEAD", "POST"])
def mdt_create(request, patient_uuid):
    patient = patient_for(request.user, patient_uuid)
    form = MdtCaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            mdt_services.flag_for_mdt(
                actor=request.user, patient=patient, question=form.cleaned_data["question"]
            )
        except ReviewsError as error:
            form.add_service_error(error)
        else:
            messages.success(request, "Added to the MDT list.")
            return redirect("reviews:mdt")
    record_view(actor=request.user, patient=patient, obj=patient)
    return render(
        request,
        "reviews/mdt_form.html",
        {"form": form, "patient": patient, "tabs": patient_tabs(patient, request.path)},
    )
