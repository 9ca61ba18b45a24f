"""The reviews app's lines on the patient's home page (pathway.patient_tasks): questionnaires
to fill in, group invitations to answer, the yearly review once it is due (or asked for), and
the next appointment."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from pathway.extensions import Task
from reviews import messaging, rules, selectors
from reviews.models import Appointment, BookingRequest, GroupBooking


def things_to_do(patient) -> list[Task]:
    tasks = []
    waiting = list(selectors.outstanding_requests_for_patient(patient)[:10])
    if waiting:
        first = waiting[0]
        if len(waiting) == 1:
            count, due = "1 questionnaire", f", due {first.due:%-d %B}" if first.due else ""
        else:
            count = f"{len(waiting)} questionnaires"
            due = f", the first due {first.due:%-d %B}" if first.due else ""
        tasks.append(
            Task(
                text=f"Your care team has asked you to fill in {count}{due}.",
                url=reverse("reviews:my-questionnaires"),
                link_text="Fill in your questionnaires",
            )
        )
    invited = (
        patient.group_bookings.filter(
            status=GroupBooking.Status.INVITED,
            session__cancelled_at__isnull=True,
            session__start__gt=timezone.now(),
        )
        .select_related("session")
        .order_by("session__start")
        .first()
    )
    if invited is not None:
        tasks.append(
            Task(
                text="You are invited to a group session on "
                f"{messaging.day_and_time(invited.session.start)}.",
                url=reverse("reviews:my-appointments"),
                link_text="Book a place or say no thanks",
            )
        )
    upcoming = (
        selectors.appointments_for_patient(patient)
        .filter(status=Appointment.Status.BOOKED, start__gt=timezone.now())
        .order_by("start")
        .first()
    )
    review_due = _review_due(patient)
    if review_due is not None:
        tasks.append(review_due)
    if upcoming is not None:
        tasks.append(
            Task(
                text=f"Your next appointment is your {upcoming.get_kind_display().lower()} on "
                f"{messaging.day_and_time(upcoming.start)}.",
                url=reverse("reviews:my-appointments"),
                link_text="See your appointments",
            )
        )
    return tasks


def _review_due(patient) -> Task | None:
    """From the time the invitation goes out (rules.ANNUAL_REVIEW_INVITE_DAYS before the due
    date of an open episode's latest review) until one is booked: either how to ask for it, or
    that the patient has asked. The latest review says whether it is the yearly review or a
    sooner follow-up (Review.next_review_kind)."""
    episodes = selectors.open_episodes(patient)
    due = selectors.latest_review_due(episodes)
    if due is None:
        return None
    today, due_day = timezone.localdate(), timezone.localdate(due)
    if due_day > today + timedelta(days=rules.ANNUAL_REVIEW_INVITE_DAYS):
        return None
    kind = selectors.next_review_kind(episodes)
    booked = (
        selectors.appointments_for_patient(patient)
        .filter(
            kind__in=rules.REVIEW_BOOKED_AS[kind],
            status=Appointment.Status.BOOKED,
            start__gt=timezone.now(),
        )
        .exists()
    )
    if booked:
        return None
    words = rules.NEXT_REVIEW_WORDS[kind]
    appointments = reverse("reviews:my-appointments")
    asked = (
        patient.booking_requests.filter(status=BookingRequest.Status.OPEN, kind=kind)
        .order_by("requested_at")
        .first()
    )
    if asked is not None:
        asked_on = timezone.localtime(asked.requested_at)
        return Task(
            text=f"You asked for your {words} on {asked_on:%-d %B}. The team will contact you "
            "to book a time.",
            url=appointments,
            link_text="See your appointments",
        )
    when = "now" if due <= timezone.now() else f"on {due_day:%-d %B}"
    return Task(
        text=f"Your {words} is due {when}. The team will contact you to arrange it, or you can "
        "ask for it now.",
        url=f"{appointments}#ask",
        link_text=f"Ask for your {words}",
    )
