from uuid import UUID

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from pathway.models import Organisation
from pathway.views.access import clinician_required
from reviews import messaging, rules, selectors
from reviews.errors import ReviewsError
from reviews.forms import GroupSessionForm, InviteForm
from reviews.services import groups as services
from reviews.views.paging import page_of
from reviews.views.refusals import post_only


def _told(booking) -> str:
    """What the page adds after the team withdraws an invitation or place, following what was
    queued: that the patient was told, or why not."""
    if reason := messaging.not_told_reason(booking.patient):
        return f" The patient has not been told: {reason}."
    return " The patient has been told."


@clinician_required
def session_list(request):
    past = request.GET.get("when") == "past"
    return render(
        request,
        "reviews/group_session_list.html",
        {
            "page": page_of(request, selectors.group_sessions_for(request.user, upcoming=not past)),
            "past": past,
        },
    )


def _team_organisations(user):
    """Teams that can run group sessions: the user's services, else their PCNs."""
    return Organisation.objects.filter(
        id__in=selectors.team_organisation_ids(user), kind__in=["service", "pcn"]
    ).order_by("-kind", "name")


@clinician_required
@require_http_methods(["GET", "HEAD", "POST"])
def session_create(request):
    organisations = _team_organisations(request.user)
    if not organisations.exists():
        messages.error(request, "You need to belong to a care team to set up group sessions.")
        return redirect("reviews:group-sessions")
    form = GroupSessionForm(
        request.POST or None,
        facilitators=selectors.team_clinicians(request.user),
        organisations=organisations,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sessions = services.create_group_sessions(
                actor=request.user,
                organisation=data["organisation"],
                topic=data["topic"],
                description=data["description"],
                condition=data["condition"],
                start=form.start(),
                duration_minutes=data["duration_minutes"] or 60,
                capacity=data["capacity"],
                facilitators=data["facilitators"],
                video_link=data["video_link"],
                venue=data["venue"],
                repeat=data["repeat"],
            )
        except ReviewsError as error:
            form.add_service_error(error)
        else:
            count = len(sessions)
            messages.success(
                request, f"{count} session{'s' if count > 1 else ''} set up. Invite patients now."
            )
            return redirect("reviews:group-session", session_uuid=sessions[0].uuid)
    return render(request, "reviews/group_session_form.html", {"form": form})


@clinician_required
def session_detail(request, session_uuid):
    return _session_page(request, selectors.group_session_for(request.user, session_uuid))


def _session_page(request, session, *, invited=None, status=200):
    """The session's page; `invited` is the invitation form's data sent with a problem, shown
    back with its errors over the list of patients it offers."""
    bookings = list(selectors.bookings_for_session(request.user, session))
    taken = selectors.places_taken(session)
    # Typed text for a name search: no NUL (PostgreSQL refuses it in a query), and not a page.
    name = request.GET.get("name", "").replace("\x00", "")[:100]
    limit = selectors.INVITE_LIST_LIMIT
    # One more than shown, to know whether the list was cut.
    eligible = list(selectors.eligible_patients(request.user, session, name=name, limit=limit + 1))
    invite_form = InviteForm(invited, patients=eligible[:limit])
    if invited is not None:
        invite_form.is_valid()
    return render(
        request,
        "reviews/group_session_detail.html",
        {
            "session": session,
            "bookings": bookings,
            "taken": taken,
            "joined_without_place": selectors.joined_without_place(session),
            "left": rules.places_left(session.capacity, taken),
            "invite_form": invite_form,
            "eligible": eligible[:limit],
            "more_eligible": len(eligible) > limit,
            "name": name,
            "invite_limit": limit,
            "started": session.start <= timezone.now(),
        },
        status=status,
    )


@clinician_required
def session_invite(request, session_uuid):
    session = selectors.group_session_for(request.user, session_uuid)
    if refused := post_only(request):
        return refused
    chosen = _uuids(request.POST.getlist("patients"))
    form = InviteForm(
        request.POST,
        patients=selectors.eligible_patients(request.user, session, uuids=chosen, limit=None),
    )
    if not form.is_valid():
        # The page again, with the error summary and the error beside the list.
        return _session_page(request, session, invited=request.POST, status=400)
    try:
        invited = services.invite_patients(
            actor=request.user, session=session, patients=form.chosen()
        )
    except ReviewsError as error:
        messages.error(request, str(error))
    else:
        without_portal = sum(1 for booking in invited if booking.patient.user_id is None)
        online = "They can book a place online."
        if without_portal:
            online = (
                f"{without_portal} of them {'has' if without_portal == 1 else 'have'} no patient "
                "portal account: book their place here when they say yes."
            )
        messages.success(request, f"{len(invited)} invited. {online}")
    return redirect("reviews:group-session", session_uuid=session.uuid)


def _uuids(values) -> list[UUID]:
    """The values that are UUIDs (anything else is not a patient on the list, and the form
    says so)."""
    found = []
    for value in values[:200]:
        try:
            found.append(UUID(value))
        except (ValueError, TypeError, AttributeError):
            continue
    return found


@clinician_required
def session_cancel(request, session_uuid):
    """Cancel the whole session, after a confirmation step that says who will be told."""
    session = selectors.group_session_for(request.user, session_uuid)
    if refused := post_only(request):
        return refused
    back = redirect("reviews:group-session", session_uuid=session.uuid)
    if session.cancelled_at is not None or session.start <= timezone.now():
        messages.error(
            request,
            "This session has already been cancelled."
            if session.cancelled_at is not None
            else "This session has already started, so it cannot be cancelled.",
        )
        return back
    live = [
        booking
        for booking in selectors.bookings_for_session(request.user, session)
        if booking.status in (booking.Status.INVITED, booking.Status.BOOKED)
    ]
    if request.POST.get("confirm") != "yes":
        return render(
            request,
            "reviews/group_session_cancel.html",
            {
                "session": session,
                "live": [(b, messaging.not_told_reason(b.patient)) for b in live],
            },
        )
    try:
        told = services.cancel_session(actor=request.user, session=session)
    except ReviewsError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            f"Session cancelled. {told} of {len(live)} patients invited or booked will be sent "
            "a message.",
        )
    return back


@clinician_required
def booking_attendance(request, booking_uuid):
    booking = selectors.group_booking_for(request.user, booking_uuid)
    if refused := post_only(request):
        return refused
    action = request.POST.get("action")
    was_invited = booking.status == booking.Status.INVITED
    try:
        if action in ("attended", "did_not_attend"):
            services.record_group_attendance(
                actor=request.user,
                booking=booking,
                attended=action == "attended",
                was=request.POST.get("was"),
            )
        elif action == "book":
            services.book_place(
                actor=request.user, session=booking.session, patient=booking.patient
            )
        elif action == "cancel":
            if request.POST.get("confirm") != "yes" and booking.can_still_end:
                # One tap asks first: the patient loses the invitation or place and is told.
                return _confirm_withdrawal(request, booking)
            # For example the patient rang to say they cannot come: the place is free again.
            services.cancel_place(actor=request.user, booking=booking)
        else:
            messages.error(request, "Choose what to record.")
            return redirect("reviews:group-session", session_uuid=booking.session.uuid)
    except ReviewsError as error:
        messages.error(request, str(error))
    else:
        name = booking.patient.full_name
        if action == "cancel":
            done = (
                f"Invitation withdrawn for {name}."
                if was_invited
                else f"Place freed: {name} no longer has a place."
            )
            messages.success(request, f"{done}{_told(booking)}")
        else:
            messages.success(request, _RECORDED[action].format(name=name))
    return redirect("reviews:group-session", session_uuid=booking.session.uuid)


# What the team just recorded for a patient's place, as the message after it says.
_RECORDED = {
    "book": "Place booked for {name}.",
    "attended": "{name} attended.",
    "did_not_attend": "{name} did not attend.",
}


def _confirm_withdrawal(request, booking):
    return render(
        request,
        "reviews/group_booking_withdraw.html",
        {
            "booking": booking,
            "session": booking.session,
            "was_invited": booking.status == booking.Status.INVITED,
            "not_told": messaging.not_told_reason(booking.patient),
        },
    )
