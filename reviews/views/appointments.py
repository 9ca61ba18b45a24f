import uuid
from datetime import timedelta

from django.contrib import messages
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from diaries.selectors import window_start
from pathway.audit import record_view
from pathway.models import Episode
from pathway.models.episodes import MilestoneKind
from pathway.navigation import patient_tabs
from pathway.permissions import patient_for
from pathway.views.access import clinician_required
from pathway.views.not_saved import not_saved
from reviews import messaging, rules, selectors, sources
from reviews.errors import ChangedSinceOpened, ReviewsError, StaleState
from reviews.forms import (
    AppointmentFilterForm,
    AppointmentForm,
    CancelForm,
    NotRebookingForm,
    RescheduleForm,
    ReviewForm,
)
from reviews.forms.appointments import BOOKABLE_KINDS
from reviews.models import Appointment
from reviews.models.appointments import FIRST_CONVERSATION_ARRANGED
from reviews.questionnaires import QUESTIONNAIRES
from reviews.services import appointments as services
from reviews.services import outcomes
from reviews.views.paging import page_of
from reviews.views.refusals import post_only

# The list shows two weeks ahead unless the user picks dates.
DEFAULT_DAYS_AHEAD = 13
# What the message after the outcome form says it recorded, for each kind of appointment that
# has one (rules.REVIEW_KINDS): each sets the next review.
RECORDED = {
    Appointment.Kind.FIRST_CONVERSATION: "First conversation recorded.",
    Appointment.Kind.FOLLOW_UP: "Follow-up review recorded.",
    Appointment.Kind.MEDICATION_REVIEW: "Medication review recorded.",
    Appointment.Kind.ANNUAL_REVIEW: "Annual review recorded.",
}
# Added to ChangedSinceOpened on the move page.
MOVE_NOT_SAVED = (
    "Your change has not been saved. Check the appointment as it is now, below. To move it to "
    "the time in the form anyway, save again."
)


def _told(appointment: Appointment) -> str:
    """What the booking and moving pages add about the message to the patient, following what
    was queued: that they were told, or why not. Nothing for a meeting the patient does not
    attend (an MDT discussion), which they are never told of."""
    if not rules.patient_attends(appointment.kind):
        return ""
    if reason := messaging.not_told_reason(appointment.patient):
        return f" The patient has not been told: {reason}."
    return " The patient has been told."


@clinician_required
def appointment_list(request):
    """Appointments for the team or one clinician, with patients' requests to book or move."""
    clinicians = list(selectors.team_clinicians(request.user))
    filters = AppointmentFilterForm(request.GET or None, clinicians=clinicians)
    refused = filters.is_bound and not filters.is_valid()
    start = end = page = None
    if not refused:
        start = filters.value("start", timezone.localdate())
        end = filters.value("end", start + timedelta(days=DEFAULT_DAYS_AHEAD))
        rows = selectors.appointments_for_team(
            request.user,
            clinician=filters.chosen_clinician(),
            start=start,
            end=end,
            status=filters.value("status", ""),
        )
        page = page_of(request, rows)
    return render(
        request,
        "reviews/appointment_list.html",
        {
            "filters": filters,
            "page": page,
            "start": start,
            "end": end,
            "rearrange_requests": list(selectors.rearrange_requests_for(request.user)[:20]),
            "booking_requests": list(selectors.open_booking_requests_for(request.user)[:20]),
        },
    )


def _episode_asked_for(episodes, value: str | None) -> Episode | None:
    """The open episode a link named by its uuid (`?episode=`), or None for none, an address
    that is not a uuid or an episode that is not one of the patient's open ones."""
    if not value:
        return None
    try:
        wanted = uuid.UUID(value)
    except ValueError:
        return None
    return episodes.filter(uuid=wanted).first()


def _rebooking(missed: Appointment, *, episodes, clinicians) -> dict:
    """The booking form's starting values for another appointment in place of `missed`: its
    type, length, how it happens (with its video link or place) and, while they are still
    choices on the form, its episode and clinician."""
    initial = {
        "duration_minutes": missed.duration_minutes,
        "modality": missed.modality,
        "video_link": missed.video_link,
        "location": missed.location,
    }
    if missed.kind in dict(BOOKABLE_KINDS):
        initial["kind"] = missed.kind
    if missed.kind == Appointment.Kind.FIRST_CONVERSATION and (
        missed.episode_id and selectors.first_conversation_arranged(missed.episode)
    ):
        # Another has been booked (or held) since it was missed: a second would be refused.
        initial["kind"] = Appointment.Kind.FOLLOW_UP
    if missed.episode_id and episodes.filter(pk=missed.episode_id).exists():
        initial["episode"] = missed.episode_id
    if clinicians.filter(pk=missed.clinician_id).exists():
        initial["clinician"] = missed.clinician_id
    return initial


@clinician_required
@require_http_methods(["GET", "HEAD", "POST"])
def appointment_create(request, patient_uuid):
    patient = patient_for(request.user, patient_uuid)
    booking_request = None
    if request.GET.get("request"):
        booking_request = selectors.booking_request_for(request.user, request.GET["request"])
        if booking_request.patient_id != patient.pk:
            raise Http404("No such request for this patient")
    episodes = selectors.open_episodes(patient)
    clinicians = selectors.team_clinicians(request.user)
    initial = {"clinician": request.user.pk, "modality": Appointment.Modality.VIDEO}
    if request.GET.get("rebook"):
        # "Book another appointment" after a missed one: the same again, at a new time.
        missed = selectors.appointment_for(request.user, request.GET["rebook"])
        if missed.patient_id != patient.pk:
            raise Http404("No such appointment for this patient")
        initial.update(_rebooking(missed, episodes=episodes, clinicians=clinicians))
    chosen = _episode_asked_for(episodes, request.GET.get("episode"))
    if chosen is not None:
        # From the waiting list: that episode's first conversation, unless it is arranged.
        initial["episode"] = chosen.pk
        initial["kind"] = (
            Appointment.Kind.FOLLOW_UP
            if selectors.first_conversation_arranged(chosen)
            else Appointment.Kind.FIRST_CONVERSATION
        )
    if booking_request is not None:
        initial["kind"] = booking_request.kind
    form = AppointmentForm(
        request.POST or None,
        initial=initial,
        episodes=episodes,
        # Only episodes still waiting for their first conversation to be arranged have a
        # target left to miss (a second one is refused for the others, and says why).
        first_contact_targets=sources.first_contact_targets(
            episodes.exclude(milestones__kind=MilestoneKind.FIRST_CONTACT)
            .exclude(
                Exists(
                    Appointment.objects.filter(
                        episode=OuterRef("pk"),
                        kind=Appointment.Kind.FIRST_CONVERSATION,
                        status__in=FIRST_CONVERSATION_ARRANGED,
                    )
                )
            )
            .values_list("pk", flat=True)
        ),
        clinicians=clinicians,
    )
    in_the_way = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            appointment = services.book_appointment(
                actor=request.user,
                patient=patient,
                episode=data["episode"],
                kind=data["kind"],
                start=form.start(),
                duration_minutes=form.duration(),
                modality=data["modality"],
                clinician=data["clinician"],
                video_link=data["video_link"],
                location=data["location"],
                booking_request=booking_request,
            )
        except ReviewsError as error:
            form.add_service_error(error)
            in_the_way = error.appointment
        else:
            messages.success(
                request, f"{appointment.get_kind_display()} booked.{_told(appointment)}"
            )
            return redirect("reviews:appointment", appointment_uuid=appointment.uuid)
    record_view(actor=request.user, patient=patient)
    no_open_episode = not episodes.exists()
    return render(
        request,
        "reviews/appointment_form.html",
        {
            "form": form,
            "patient": patient,
            "tabs": patient_tabs(patient, request.path),
            "booking_request": booking_request,
            "in_the_way": in_the_way,
            "no_open_episode": no_open_episode,
            "patient_discharged": no_open_episode
            and patient.episodes.filter(status=Episode.Status.DISCHARGED).exists(),
        },
    )


@clinician_required
def appointment_detail(request, appointment_uuid):
    appointment = selectors.appointment_for(request.user, appointment_uuid)
    return _detail_page(request, appointment)


def _detail_page(request, appointment, *, not_rebooking_form=None):
    record_view(actor=request.user, patient=appointment.patient, obj=appointment)
    review = selectors.reviews_for_patient(appointment.patient).filter(appointment=appointment)
    return render(
        request,
        "reviews/appointment_detail.html",
        {
            "appointment": appointment,
            "patient": appointment.patient,
            "review": review.first(),
            "started": appointment.start <= timezone.now(),
            "reviewable": appointment.kind in outcomes.rules.REVIEW_KINDS,
            "rebooking_pending": services.rebooking_pending(appointment),
            "not_rebooking_form": not_rebooking_form or NotRebookingForm(),
            "errors": not_rebooking_form is not None and not_rebooking_form.errors,
        },
    )


@clinician_required
@require_http_methods(["GET", "HEAD", "POST"])
def appointment_reschedule(request, appointment_uuid):
    appointment = selectors.appointment_for(request.user, appointment_uuid)
    if appointment.status != Appointment.Status.BOOKED:
        messages.error(request, "Only booked appointments can be moved.")
        return redirect("reviews:appointment", appointment_uuid=appointment.uuid)
    first_conversation = (
        appointment.kind == Appointment.Kind.FIRST_CONVERSATION and appointment.episode_id
    )
    form = RescheduleForm(
        request.POST or None,
        appointment=appointment,
        first_contact=(
            sources.first_contact_targets([appointment.episode_id]).get(appointment.episode_id)
            if first_conversation
            else None
        ),
        clinicians=selectors.team_clinicians(request.user),
    )
    saved_now = in_the_way = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            appointment = services.reschedule_appointment(
                actor=request.user,
                appointment=appointment,
                start=form.start(),
                duration_minutes=form.duration(),
                modality=data["modality"],
                clinician=data["clinician"],
                video_link=data["video_link"],
                location=data["location"],
                based_on=data["based_on"],
            )
        except ChangedSinceOpened as error:
            # Shown again with what they typed, beside the appointment as saved now, which the
            # form is based on from here.
            form.add_error(None, f"{error} {MOVE_NOT_SAVED}")
            appointment = saved_now = selectors.appointment_for(request.user, appointment_uuid)
            form.rebase(saved_now)
        except ReviewsError as error:
            form.add_service_error(error)
            in_the_way = error.appointment
        else:
            messages.success(
                request, f"{appointment.get_kind_display()} moved.{_told(appointment)}"
            )
            return redirect("reviews:appointment", appointment_uuid=appointment.uuid)
    record_view(actor=request.user, patient=appointment.patient, obj=appointment)
    return render(
        request,
        "reviews/appointment_reschedule.html",
        {
            "form": form,
            "appointment": appointment,
            "patient": appointment.patient,
            "saved_now": saved_now,
            "in_the_way": in_the_way,
        },
        status=409 if saved_now else 200,
    )


@clinician_required
@require_http_methods(["GET", "HEAD", "POST"])
def appointment_cancel(request, appointment_uuid):
    """Cancel a booked appointment, from a page that first says whether and how the patient
    will be told, with the reason for the record."""
    appointment = selectors.appointment_for(request.user, appointment_uuid)
    form = CancelForm(request.POST or None)
    if appointment.status != Appointment.Status.BOOKED:
        if request.method == "POST":
            # A page opened before someone else cancelled or marked it: the service says why.
            return _cancel(request, appointment, reason="")
        # An old link: say why, with no form to fill in for nothing.
        context = {
            "closed": "This appointment has already been cancelled."
            if appointment.status == Appointment.Status.CANCELLED
            else f"This appointment is marked as {appointment.status_label.lower()}, so it "
            "cannot be cancelled."
        }
    elif request.method == "POST" and form.is_valid():
        return _cancel(request, appointment, reason=form.cleaned_data["reason"])
    else:
        context = {
            "form": form,
            "reviews_after": selectors.reviews_following(appointment),
            **_cancel_news(appointment),
        }
    record_view(actor=request.user, patient=appointment.patient, obj=appointment)
    return render(
        request,
        "reviews/appointment_cancel.html",
        {"appointment": appointment, "patient": appointment.patient, **context},
    )


def _cancel(request, appointment: Appointment, *, reason: str):
    try:
        services.cancel_appointment(actor=request.user, appointment=appointment, reason=reason)
    except ReviewsError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Appointment cancelled.")
    return redirect("reviews:appointment", appointment_uuid=appointment.uuid)


def _cancel_news(appointment: Appointment) -> dict:
    """What the cancelling page says the patient will be sent, following
    services.cancel_appointment: `told_by` the channels they will be told on ("text message and
    email"), or `not_told` why they will not be."""
    if not rules.patient_attends(appointment.kind):
        return {"not_told": "they do not attend an MDT discussion", "warn": False}
    if appointment.start <= timezone.now():
        return {"not_told": "its time has passed", "warn": False}
    if reason := messaging.not_told_reason(appointment.patient):
        return {"not_told": reason, "warn": True}
    ways = {"sms": "text message", "email": "email"}
    patient = appointment.patient
    told_by = [ways[way] for way in messaging.PATIENT_CHANNELS if patient.can_receive(way)]
    return {"told_by": " and ".join(told_by)}


@clinician_required
def appointment_attendance(request, appointment_uuid):
    appointment = selectors.appointment_for(request.user, appointment_uuid)
    if refused := post_only(request):
        return refused
    outcome = request.POST.get("attendance")
    if outcome not in ("attended", "did_not_attend"):
        messages.error(request, "Choose attended or did not attend.")
        return redirect("reviews:appointment", appointment_uuid=appointment.uuid)
    try:
        services.record_attendance(
            actor=request.user,
            appointment=appointment,
            attended=outcome == "attended",
            correcting=request.POST.get("correcting") == "yes",
        )
    except ReviewsError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Marked as {appointment.status_label.lower()}.")
    return redirect("reviews:appointment", appointment_uuid=appointment.uuid)


@clinician_required
def appointment_not_rebooking(request, appointment_uuid):
    """The team decides to book nothing after a missed review (the worklist stops asking), or,
    with `undo`, withdraws that decision."""
    appointment = selectors.appointment_for(request.user, appointment_uuid)
    if refused := post_only(request):
        return refused
    if request.POST.get("undo") == "yes":
        try:
            services.undo_not_rebooking(actor=request.user, appointment=appointment)
        except ReviewsError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                "The decision is withdrawn. The worklist asks for this appointment to be "
                "rebooked again, unless another has been booked since.",
            )
        return redirect("reviews:appointment", appointment_uuid=appointment.uuid)
    form = NotRebookingForm(request.POST)
    if form.is_valid():
        try:
            services.decide_not_to_rebook(
                actor=request.user, appointment=appointment, reason=form.cleaned_data["reason"]
            )
        except StaleState as error:
            messages.error(request, str(error))
            return redirect("reviews:appointment", appointment_uuid=appointment.uuid)
        except ReviewsError as error:
            form.add_service_error(error)
        else:
            messages.success(
                request,
                "Recorded: no appointment is being booked for now. The worklist no longer asks "
                "for this one to be rebooked.",
            )
            return redirect("reviews:appointment", appointment_uuid=appointment.uuid)
    return _detail_page(request, appointment, not_rebooking_form=form)


@clinician_required
@require_http_methods(["GET", "HEAD", "POST"])
def review_page(request, appointment_uuid):
    """One screen for a review: diary since the last review, questionnaire trends, the current
    care plan and trials due review, and the structured outcome form."""
    appointment = selectors.appointment_for(request.user, appointment_uuid)
    patient = appointment.patient
    existing = selectors.reviews_for_patient(patient).filter(appointment=appointment).first()
    alert_open = any(
        alert.about_mental_health for alert in selectors.open_alerts_for_patient(patient)
    )
    form = ReviewForm(request.POST or None, alert_open=alert_open)
    refused = {}
    if request.method == "POST" and existing is not None:
        # Recorded already (another tab, or Back and send again): nothing typed is lost.
        refused = {
            "status": 409,
            "not_saved": not_saved(form, by=existing.completed_by, at=existing.completed_at),
        }
    elif request.method == "POST" and form.is_valid():
        try:
            review = outcomes.complete_review(
                actor=request.user, appointment=appointment, **form.cleaned_data
            )
        except ReviewsError as error:
            form.add_service_error(error)
        else:
            due = f"{review.next_review_date:%-d %B %Y}"
            message = (
                f"{RECORDED[appointment.kind]} The next review "
                f"({review.get_next_review_kind_display().lower()}) is due on {due}."
            )
            if review.mental_health_follow_up == review.MentalHealth.SAME_DAY:
                message += (
                    " A safety alert for the same-day risk assessment is on the team's worklist."
                )
            message += _not_sent_again(review.questionnaires_still_waiting)
            messages.success(request, message)
            chosen = form.cleaned_data.get("questionnaires") or ()
            if sent := [code for code in chosen if code not in review.questionnaires_still_waiting]:
                what = "the questionnaire" if len(sent) == 1 else "the questionnaires"
                for warning in messaging.questionnaire_reach_warnings(patient, what):
                    messages.warning(request, warning)
            return redirect("reviews:patient-reviews", patient_uuid=patient.uuid)
    record_view(actor=request.user, patient=patient, obj=appointment)
    today = timezone.localdate()
    last = selectors.last_review_before(patient, appointment.start)
    # Since the last review, or the 90 days to today (today included) when there was none.
    since = timezone.localtime(last.completed_at).date() if last else window_start(today)
    return render(
        request,
        "reviews/review_page.html",
        {
            "appointment": appointment,
            "patient": patient,
            "tabs": patient_tabs(patient, request.path),
            "form": form,
            "existing": existing,
            "last_review": last,
            "diary": sources.diary_summary(patient, start=since, end=today),
            "trends": selectors.assessment_trends(patient),
            "care": sources.care_plans(patient),
            "red_flags": sources.referral_red_flags(patient, episode_id=appointment.episode_id),
            "reviewable": appointment.kind in outcomes.rules.REVIEW_KINDS,
            "not_now": _no_review_yet(appointment),
            "not_saved": refused.get("not_saved"),
        },
        status=refused.get("status", 200),
    )


def _not_sent_again(codes) -> str:
    """What the message after the outcome form adds about the questionnaires chosen that were
    not sent, one of each still waiting for the patient (outcomes.complete_review), or ""."""
    if not codes:
        return ""
    titles = [QUESTIONNAIRES[code].title for code in codes]
    listed = titles[0] if len(titles) == 1 else ", ".join(titles[:-1]) + f" and {titles[-1]}"
    if len(titles) == 1:
        return (
            f" {listed} was not sent again: the one sent before is still waiting for the "
            "patient to complete."
        )
    return (
        f" {listed} were not sent again: the ones sent before are still waiting for the "
        "patient to complete."
    )


def _no_review_yet(appointment: Appointment) -> str:
    """Why the outcome form is not offered for this appointment now, or "" when it is (the
    service checks the same when it is sent)."""
    if appointment.status in (Appointment.Status.CANCELLED, Appointment.Status.DID_NOT_ATTEND):
        return "This appointment did not take place, so it has no review to record."
    if appointment.episode is not None and appointment.episode.status == Episode.Status.REFERRED:
        return outcomes.not_triaged(appointment)
    if appointment.start > timezone.now():
        return (
            f"{outcomes.not_started(appointment)} The figures above are ready to read before then."
        )
    return ""


@clinician_required
def booking_request_close(request, request_uuid):
    booking_request = selectors.booking_request_for(request.user, request_uuid)
    if refused := post_only(request):
        return refused
    try:
        services.close_booking_request(actor=request.user, request=booking_request)
    except ReviewsError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Request closed.")
    return redirect("reviews:appointments")
