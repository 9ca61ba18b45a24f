"""The patient's own pages: appointments, group sessions and questionnaires."""

from uuid import UUID

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods

from pathway.instruments import prompts_review
from pathway.permissions import own_patient_record
from pathway.views.access import patient_required
from reviews import messaging, selectors
from reviews.errors import ReviewsError, StaleState
from reviews.forms import AnswersForm, BookingRequestForm, PatientCancelForm, RearrangeForm
from reviews.models import Appointment, GroupBooking, QuestionnaireRequest, Review
from reviews.questionnaires import CRISIS_CONTACTS, QUESTIONNAIRES
from reviews.services import appointments as appointment_services
from reviews.services import groups as group_services
from reviews.services import questionnaires as questionnaire_services
from reviews.views.refusals import post_only

RECENT = 10
# What a stale "Book a place" is told when the patient has already given the place up.
ENDED_BY_PATIENT = {
    GroupBooking.Status.CANCELLED: "You cancelled your place at this session. To ask for a "
    "place again, contact your care team.",
    GroupBooking.Status.DECLINED: "You turned down the invitation to this session. If you "
    "have changed your mind, contact your care team.",
}
# A page left open after the team withdrew an invitation or place, as the patient reads it.
WITHDRAWN_BY_TEAM = (
    "Your care team has withdrawn this invitation. To ask for a place at another session, "
    "contact your care team."
)

# What the patient asked for, as the page says it ("You asked for your yearly review on ..."),
# in the words of the buttons they pressed.
ASKED_FOR = {"annual_review": "your yearly review", "follow_up": "a follow-up"}


@patient_required
def my_appointments(request):
    return _appointments_page(request, own_patient_record(request.user), BookingRequestForm())


def _appointments_page(request, patient, booking_form: BookingRequestForm, *, status=200):
    """The patient's appointments page; `booking_form` is bound when an "Ask for an
    appointment" was refused, so the page shows why beside what they typed."""
    now = timezone.now()
    upcoming, past = selectors.upcoming_and_past(
        list(selectors.appointments_for_patient(patient)[:50]), now=now, past_limit=RECENT
    )
    open_requests = list(selectors.open_booking_requests_for_patient(patient))
    asked = {r.kind for r in open_requests}
    annual_booked = next((a for a in upcoming if a.kind == Appointment.Kind.ANNUAL_REVIEW), None)
    under_care = selectors.open_episodes(patient).exists()
    seen = selectors.seen_in_care(patient)
    # The review the latest one set: a follow-up is the one to ask for first.
    follow_up_next = (
        under_care
        and selectors.next_review_kind(selectors.open_episodes(patient))
        == Review.NextKind.FOLLOW_UP
    )
    return render(
        request,
        "reviews/my_appointments.html",
        {
            "patient": patient,
            "upcoming": upcoming,
            "past": past,
            "groups": list(selectors.group_bookings_for_patient(patient)),
            "open_requests": [(r, ASKED_FOR.get(r.kind, "an appointment")) for r in open_requests],
            "annual_booked": annual_booked,
            # One yearly review at a time: not while one is booked or already asked for; and
            # nothing once the patient is no longer under the team's care.
            "under_care": under_care,
            "seen": seen,
            "can_ask_annual": seen and annual_booked is None and "annual_review" not in asked,
            "can_ask_follow_up": seen and "follow_up" not in asked,
            "follow_up_next": follow_up_next,
            "booking_form": booking_form,
        },
        status=status,
    )


@patient_required
@require_http_methods(["GET", "HEAD", "POST"])
def my_appointment_rearrange(request, appointment_uuid):
    """Ask for a booked appointment to be moved. Asking again replaces the earlier request (the
    team needs the latest times that suit), so the page shows it and starts from its words."""
    patient = own_patient_record(request.user)
    appointment = selectors.own_appointment(patient, appointment_uuid)
    if closed := _not_movable(appointment):
        # An old link or bookmark: say why, with no form to fill in for nothing.
        context = {"appointment": appointment, "closed": closed}
        return render(request, "reviews/my_appointment_rearrange.html", context)
    earlier = appointment.rearrange_reason if appointment.rearrange_requested_at else ""
    form = RearrangeForm(request.POST or None, initial={"reason": earlier})
    if request.method == "POST" and form.is_valid():
        try:
            appointment_services.request_rearrangement(
                actor=request.user, appointment=appointment, reason=form.cleaned_data["reason"]
            )
        except ReviewsError as error:
            form.add_service_error(error)
        else:
            done = "Your request is updated." if earlier else "Thank you."
            messages.success(request, f"{done} The team will contact you to arrange a new time.")
            return redirect("reviews:my-appointments")
    return render(
        request,
        "reviews/my_appointment_rearrange.html",
        {"form": form, "appointment": appointment, "earlier": earlier},
    )


@patient_required
@require_http_methods(["GET", "HEAD", "POST"])
def my_appointment_cancel(request, appointment_uuid):
    """Cancel a booked appointment, saying why if the patient wishes. The clinician is told;
    a review still due can be asked for again on the appointments page."""
    patient = own_patient_record(request.user)
    appointment = selectors.own_appointment(patient, appointment_uuid)
    if closed := _not_movable(appointment, "cancelled"):
        context = {"appointment": appointment, "closed": closed}
        return render(request, "reviews/my_appointment_cancel.html", context)
    form = PatientCancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            appointment_services.cancel_by_patient(
                actor=request.user, appointment=appointment, reason=form.cleaned_data["reason"]
            )
        except ReviewsError as error:
            form.add_service_error(error)
        else:
            when = messaging.day_and_time(appointment.start)
            kind = appointment.get_kind_display().lower()
            messages.success(
                request,
                f"Your {kind} on {when} is cancelled and your care team has been told. If you "
                "still need to see them, ask for another appointment below.",
            )
            return redirect("reviews:my-appointments")
    context = {
        "form": form,
        "appointment": appointment,
        "reviews_after": selectors.reviews_following(appointment),
    }
    return render(request, "reviews/my_appointment_cancel.html", context)


def _not_movable(appointment: Appointment, done: str = "moved") -> str:
    """Why the patient cannot ask to move (or, with `done` "cancelled", cancel) this
    appointment any more, or "" if they can."""
    when = messaging.day_and_time(appointment.start)
    what = f"Your {appointment.get_kind_display().lower()} on {when}"
    if appointment.status == Appointment.Status.CANCELLED:
        return f"{what} was cancelled{'' if done == 'cancelled' else ', so it cannot be moved'}."
    if appointment.status != Appointment.Status.BOOKED or appointment.start <= timezone.now():
        return f"The time of {what[0].lower()}{what[1:]} has passed, so it cannot be {done}."
    return ""


@patient_required
def my_booking_request(request):
    patient = own_patient_record(request.user)
    if refused := post_only(request):
        return refused
    form = BookingRequestForm(request.POST)
    if not form.is_valid():
        return _appointments_page(request, patient, form, status=400)
    try:
        appointment_services.request_booking(
            actor=request.user,
            patient=patient,
            kind=form.cleaned_data["kind"],
            preferences=form.cleaned_data["preferences"],
        )
    except ReviewsError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Thank you. The team will contact you to book a time.")
    return redirect("reviews:my-appointments")


@patient_required
def my_group_booking(request, booking_uuid):
    """Book or give up a place at a group session the patient was invited to."""
    patient = own_patient_record(request.user)
    booking = selectors.own_group_booking(patient, booking_uuid)
    if refused := post_only(request):
        return refused
    if request.POST.get("action") == "cancel":
        if request.POST.get("confirm") != "yes" and booking.can_still_end:
            # The patient cannot undo it here: ask first, on a page of its own that reloading
            # or coming Back to opens again (a page from a POST would not).
            return redirect("reviews:my-group-booking-cancel", booking_uuid=booking.uuid)
        return _end_place(request, booking)
    try:
        if booking.status == GroupBooking.Status.INVITED:
            group_services.book_place(actor=request.user, session=booking.session, patient=patient)
            messages.success(request, "Your place is booked.")
        elif booking.status == GroupBooking.Status.WITHDRAWN:
            raise StaleState(WITHDRAWN_BY_TEAM)
        elif booking.status in ENDED_BY_PATIENT:
            # A "Book a place" sent again from a page shown before the patient gave it up.
            raise StaleState(ENDED_BY_PATIENT[booking.status])
        elif booking.status == GroupBooking.Status.BOOKED:
            raise StaleState("You already have a place at this session.")
        else:
            raise StaleState("This group session has already taken place.")
    except ReviewsError as error:
        messages.error(request, str(error))
    return redirect("reviews:my-appointments")


@patient_required
@require_http_methods(["GET", "HEAD", "POST"])
def my_group_booking_cancel(request, booking_uuid):
    """Turn down an invitation to a group session, or give up a place at one, after a page that
    asks first (the patient cannot undo it here). Opened by a link, so reloading it or coming
    Back to it shows it again; once the invitation or place can no longer be ended (given up
    already, withdrawn, or the session cancelled or begun) it says why, with nothing to press."""
    patient = own_patient_record(request.user)
    booking = selectors.own_group_booking(patient, booking_uuid)
    if request.method == "POST":
        return _end_place(request, booking)
    context = _ending(booking)
    if not booking.can_still_end:
        context["closed"] = _cannot_end(booking)
    return render(request, "reviews/my_group_booking_cancel.html", context)


def _end_place(request, booking: GroupBooking):
    """Turn down the invitation or give up the place, and go back to the appointments page
    saying which was done, or why nothing was."""
    was_invited = booking.status == GroupBooking.Status.INVITED
    try:
        group_services.cancel_place(actor=request.user, booking=booking)
    except ReviewsError as error:
        messages.error(request, str(error))
    else:
        when = messaging.day_and_time(booking.session.start)
        messages.success(
            request,
            f"You have turned down the invitation to the group session on {when}. If you "
            "change your mind, contact your care team."
            if was_invited
            else f"Your place at the group session on {when} is cancelled. Thank you for "
            "letting us know.",
        )
    return redirect("reviews:my-appointments")


def _cannot_end(booking: GroupBooking) -> str:
    """Why the patient can no longer turn down this invitation or give up this place
    (GroupBooking.can_still_end is false), in their words."""
    if booking.status in ENDED_BY_PATIENT:
        return ENDED_BY_PATIENT[booking.status]
    if booking.status == GroupBooking.Status.WITHDRAWN and booking.booked_at is not None:
        return (
            "Your care team has withdrawn your place at this session. To ask for a place at "
            "another session, contact your care team."
        )
    if booking.status == GroupBooking.Status.WITHDRAWN:
        return WITHDRAWN_BY_TEAM
    if booking.session.cancelled_at is not None:
        return (
            "This session has been cancelled. To ask for a place at another session, contact "
            "your care team."
        )
    if booking.status in (GroupBooking.Status.INVITED, GroupBooking.Status.BOOKED):
        return "This session has already started."
    return "This group session has already taken place."


def _ending(booking: GroupBooking) -> dict:
    return {
        "booking": booking,
        "session": booking.session,
        "was_invited": booking.status == GroupBooking.Status.INVITED,
    }


@patient_required
def my_questionnaires(request):
    patient = own_patient_record(request.user)
    return render(
        request,
        "reviews/my_questionnaires.html",
        {
            "outstanding": [
                (r, QUESTIONNAIRES[r.instrument])
                for r in selectors.outstanding_requests_for_patient(patient)
            ],
            "completed": [
                (r, QUESTIONNAIRES[r.instrument])
                for r in selectors.questionnaire_requests_for_patient(patient).filter(
                    status=QuestionnaireRequest.Status.COMPLETED
                )[:RECENT]
            ],
        },
    )


@patient_required
@require_http_methods(["GET", "HEAD", "POST"])
def my_questionnaire(request, request_uuid):
    """Complete one questionnaire on a phone. Answers sent from a page left open after the
    request was completed or cancelled are kept too (`submit_questionnaire`): the same answers
    sent twice are stored once."""
    patient = own_patient_record(request.user)
    questionnaire_request = selectors.own_questionnaire_request(patient, request_uuid)
    waiting = questionnaire_request.status == QuestionnaireRequest.Status.REQUESTED
    if request.method != "POST" and not waiting:
        if questionnaire_request.status == QuestionnaireRequest.Status.COMPLETED:
            return redirect("reviews:my-questionnaire-done", request_uuid=request_uuid)
        messages.error(request, "This questionnaire is no longer needed.")
        return redirect("reviews:my-questionnaires")
    form = AnswersForm.for_request(request.POST or None, questionnaire_request)
    if request.method == "POST" and form.is_valid():
        try:
            assessment, _ = questionnaire_services.submit_questionnaire(
                actor=request.user, request=questionnaire_request, **form.submission()
            )
        except StaleState:
            return redirect("reviews:my-questionnaire-done", request_uuid=request_uuid)
        except ReviewsError as error:
            form.add_error(None, str(error))
        else:
            done = reverse("reviews:my-questionnaire-done", kwargs={"request_uuid": request_uuid})
            if assessment.pk != questionnaire_request.assessment_id:
                # Kept beside the answers the request already had: thank them for these.
                done += "?" + urlencode({"answers": assessment.uuid})
            return redirect(done)
    return render(
        request,
        "reviews/my_questionnaire.html",
        {
            "form": form,
            "questionnaire": form.questionnaire,
            "questionnaire_request": questionnaire_request,
            "crisis_contacts": CRISIS_CONTACTS,
        },
    )


@patient_required
def my_questionnaire_done(request, request_uuid):
    """Thank the patient for the answers they sent (`?answers=` names answers kept beside the
    request's own); if PHQ-9 item 9 was above 0, show where to get help now, and if the score
    is severe, where to find support before the team gets in touch."""
    patient = own_patient_record(request.user)
    questionnaire_request = selectors.own_questionnaire_request(patient, request_uuid)
    if questionnaire_request.status != QuestionnaireRequest.Status.COMPLETED:
        return redirect("reviews:my-questionnaire", request_uuid=request_uuid)
    assessment = questionnaire_request.assessment
    try:
        later = UUID(request.GET.get("answers", ""))
    except ValueError:
        pass
    else:
        assessment = (
            selectors.assessments_after(questionnaire_request).filter(uuid=later).first()
            or assessment
        )
    return render(
        request,
        "reviews/my_questionnaire_done.html",
        {
            "patient": patient,
            "questionnaire": QUESTIONNAIRES[questionnaire_request.instrument],
            "needs_help": assessment.alert,
            # Answers sent after the questionnaire was already answered (a second window).
            "sent_again": assessment.pk != questionnaire_request.assessment_id,
            "severe": prompts_review(assessment.instrument, assessment.band),
            # Answers sent from a page left open after discharge: no review will read them.
            "care_ended": not selectors.open_episodes(patient).exists(),
            "crisis_contacts": CRISIS_CONTACTS,
        },
    )
