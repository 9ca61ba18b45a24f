"""The reviews app's lines on the patient's home page (pathway.patient_tasks): questionnaires
to fill in, group invitations to answer, and the next appointment."""

from django.urls import reverse
from django.utils import timezone

from pathway.extensions import Task
from reviews import messaging, selectors
from reviews.models import Appointment, GroupBooking


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
