"""Daily reminder planners (DESIGN.md section 6, issue 6 item 9).

Each planner finds what is due with one set-based query, then queues one outbox row per channel
through `reviews.messaging` with an idempotency key naming the thing and the date, e.g.
`annual-review:<patient uuid>:<due date>:sms`. Running a planner twice, or on two beat
schedulers at once, changes nothing the second time. Only channels the patient consented to are
queued; opted-out patients get nothing. Delivery, retries and quiet hours are the outbox's job.

Each planner returns how many rows it created.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import reduce
from operator import or_
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone

from pathway.models import Episode, Milestone, Patient
from pathway.models.episodes import MilestoneKind
from pathway.notifications import outbox
from reviews import messaging, rules, selectors, sources
from reviews.models import Appointment, GroupBooking, QuestionnaireRequest, Review

LONDON = ZoneInfo("Europe/London")
# Patient messages planned for the day go out from this time (SMS quiet hours end at 08:00).
SEND_FROM = time(9, 0)
# The diary nudge goes in the evening, when the day can be recorded.
DIARY_NUDGE_AT = time(19, 0)


def _at(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment, tzinfo=LONDON)


def _not_before(day: date, moment: time) -> datetime:
    """The planned send time, or now if the planner runs later than that."""
    return max(_at(day, moment), timezone.now())


def reachable(patients: QuerySet[Patient]) -> QuerySet[Patient]:
    """Live patients who have not died or opted out and consented to at least one channel."""
    return patients.filter(
        entered_in_error=False, date_of_death__isnull=True, opted_out_at__isnull=True
    ).filter(Q(sms_consent=True) & ~Q(mobile="") | Q(email_consent=True) & ~Q(email=""))


def review_invitation_key(patient: Patient, due: date) -> str:
    """The key of the invitation to ask for the review due on `due`, before its channel."""
    return f"{rules.REVIEW_INVITATION_KEY}:{patient.uuid}:{due.isoformat()}"


def withdraw_review_invitation(episode: Episode, reason: str) -> int:
    """Withdraw the invitation, planned and not sent yet, to ask for the review the episode has
    due now (its latest `annual_review_due`), and no other episode's. Returns how many rows."""
    due_at = selectors.latest_review_due(Episode.objects.filter(pk=episode.pk))
    if due_at is None:
        return 0
    due = timezone.localtime(due_at, LONDON).date()
    return messaging.withdraw(keys=[review_invitation_key(episode.patient, due)], reason=reason)


@transaction.atomic
def plan_annual_review_invites(*, today: date | None = None) -> int:
    """Invite patients whose annual review falls due within the next 28 days, or has fallen
    due already without an invitation (the date was set at short notice, or the planner did not
    run), once per due date. The due date is the `annual_review_due` milestone recorded last for
    an open episode (the latest review's next review date); that review also says whether it
    is the yearly review or a sooner follow-up (Review.next_review_kind), which the message
    names. A patient with a review of that kind, or an annual review, already booked is not
    invited (rules.REVIEW_BOOKED_AS). The message names the date, or says the review is due
    now."""
    today = today or timezone.localdate()
    horizon = today + timedelta(days=rules.ANNUAL_REVIEW_INVITE_DAYS)
    latest_due = (
        Milestone.objects.filter(episode=OuterRef("pk"), kind=MilestoneKind.ANNUAL_REVIEW_DUE)
        .order_by("-created_at", "-id")
        .values("occurred_at")[:1]
    )
    booked = Appointment.objects.filter(
        patient=OuterRef("patient_id"), status=Appointment.Status.BOOKED, start__gte=timezone.now()
    )
    # For each kind of review due, the bookings that see to it (rules.REVIEW_BOOKED_AS).
    seen_to = reduce(
        or_,
        (
            Q(next_kind=due_kind) & Exists(booked.filter(kind__in=kinds))
            for due_kind, kinds in rules.REVIEW_BOOKED_AS.items()
        ),
    )
    episodes = (
        Episode.objects.open()
        .filter(patient__in=reachable(Patient.objects.all()))
        .annotate(due_at=Subquery(latest_due))
        .filter(due_at__lt=_at(horizon + timedelta(days=1), time.min))
        .annotate(next_kind=selectors.next_review_kind_of_episode())
        .exclude(seen_to)
        .select_related("patient")
    )
    drafts = []
    path = reverse("reviews:my-appointments")
    for episode in episodes:
        due = timezone.localtime(episode.due_at, LONDON).date()
        drafts += messaging.patient_drafts(
            patient=episode.patient,
            kind="annual_review_invite",
            template="reviews-annual-review",
            key=review_invitation_key(episode.patient, due),
            path=path,
            scheduled_for=_not_before(today, SEND_FROM),
            extra={
                **({"due_on": f"{due:%-d %B %Y}"} if due >= today else {"overdue": True}),
                **({"follow_up": True} if episode.next_kind == Review.NextKind.FOLLOW_UP else {}),
            },
        )
    return len(outbox.queue_many(drafts))


@transaction.atomic
def plan_appointment_reminders(*, today: date | None = None) -> int:
    """Remind patients of booked appointments tomorrow (London days), not of the team's own
    meetings about them (rules.TEAM_ONLY_KINDS). The key holds the start time, so a moved
    appointment is reminded again at its new time; a reminder still waiting when the
    appointment begins is not sent."""
    today = today or timezone.localdate()
    tomorrow = today + timedelta(days=1)
    appointments = (
        Appointment.objects.filter(
            status=Appointment.Status.BOOKED,
            start__gte=_at(tomorrow, time.min),
            start__lt=_at(tomorrow + timedelta(days=1), time.min),
            patient__in=reachable(Patient.objects.all()),
        )
        .exclude(kind__in=rules.TEAM_ONLY_KINDS)
        .select_related("patient")
        .order_by("start")
    )
    drafts = []
    path = reverse("reviews:my-appointments")
    for appointment in appointments:
        local = timezone.localtime(appointment.start, LONDON)
        drafts += messaging.patient_drafts(
            patient=appointment.patient,
            kind="appointment_reminder",
            template="reviews-appointment-tomorrow",
            key=f"appointment-tomorrow:{appointment.uuid}:{local:%Y%m%dT%H%M}",
            path=path,
            scheduled_for=_not_before(today, SEND_FROM),
            expires_at=appointment.start,
            # The day is named, not "tomorrow": a reminder held by quiet hours or sent again
            # by staff may go out on the day itself.
            extra={"time": f"{local:%H:%M}", "day": f"{local:%A %-d %B}"},
        )
    return len(outbox.queue_many(drafts))


@transaction.atomic
def plan_group_session_reminders(*, today: date | None = None) -> int:
    """Remind patients with a place at a group session tomorrow (London days), once per place
    and start time. A session cancelled, or a place given up or withdrawn, withdraws the
    reminder (reviews.services.groups); one still waiting when the session begins is not
    sent. The message names the day and time, never the topic (no clinical detail)."""
    today = today or timezone.localdate()
    tomorrow = today + timedelta(days=1)
    bookings = (
        GroupBooking.objects.filter(
            status=GroupBooking.Status.BOOKED,
            session__cancelled_at__isnull=True,
            session__start__gte=_at(tomorrow, time.min),
            session__start__lt=_at(tomorrow + timedelta(days=1), time.min),
            patient__in=reachable(Patient.objects.all()),
        )
        .select_related("patient", "session")
        .order_by("session__start", "id")
    )
    drafts = []
    for booking in bookings:
        start = booking.session.start
        local = timezone.localtime(start, LONDON)
        drafts += messaging.patient_drafts(
            patient=booking.patient,
            kind="group_session_reminder",
            template="reviews-group-session-tomorrow",
            key=f"group-tomorrow:{booking.uuid}:{local:%Y%m%dT%H%M}",
            path=reverse("reviews:my-group-booking", kwargs={"booking_uuid": booking.uuid}),
            scheduled_for=_not_before(today, SEND_FROM),
            expires_at=start,
            extra={"when": messaging.day_and_time(start)},
        )
    return len(outbox.queue_many(drafts))


@transaction.atomic
def plan_questionnaire_reminders(*, today: date | None = None) -> int:
    """Remind patients of questionnaires still not completed 3 and 6 days after they were sent
    (`rules.questionnaire_reminder_stage`). Not a patient with no portal account: they cannot
    fill one in themselves, and the care team goes through it with them."""
    today = today or timezone.localdate()
    first, _ = rules.QUESTIONNAIRE_REMINDER_DAYS
    requests = (
        QuestionnaireRequest.objects.filter(
            status=QuestionnaireRequest.Status.REQUESTED,
            requested_at__lt=_at(today - timedelta(days=first - 1), time.min),
            patient__in=reachable(Patient.objects.filter(user__isnull=False)),
        )
        .select_related("patient")
        .order_by("requested_at")
    )
    drafts = []
    path = reverse("reviews:my-questionnaires")
    reminded = set()
    for request in requests:
        sent_on = timezone.localtime(request.requested_at, LONDON).date()
        stage = rules.questionnaire_reminder_stage(sent_on, today)
        # One reminder for the questionnaires sent the same day (they share their messages).
        key = f"{rules.questionnaire_messages_key(request.patient.uuid, sent_on)}:day{stage}"
        if stage is None or key in reminded:
            continue
        reminded.add(key)
        drafts += messaging.patient_drafts(
            patient=request.patient,
            kind="questionnaire_reminder",
            template="reviews-questionnaire-reminder",
            key=key,
            path=path,
            scheduled_for=_not_before(today, SEND_FROM),
        )
    return len(outbox.queue_many(drafts))


@transaction.atomic
def plan_trial_review_reminders(*, today: date | None = None) -> int:
    """Email the responsible clinician once about each ongoing treatment trial past its review
    date (the trial comes from the care plans app through `reviews.sources`)."""
    today = today or timezone.localdate()
    path = reverse("reviews:worklist")
    drafts = [
        messaging.staff_draft(
            user=trial.clinician,
            kind="trial_review_due",
            template="reviews-trial-review",
            key=f"trial-review:{trial.key}:{trial.review_due.isoformat()}",
            path=path,
            scheduled_for=_not_before(today, SEND_FROM),
        )
        for trial in sources.trials_for_clinician_reminders(today=today)
    ]
    return len(outbox.queue_many([row for row in drafts if row is not None]))


@transaction.atomic
def plan_diary_nudges(*, today: date | None = None) -> int:
    """The opt-in evening diary reminder, for patients who asked for it, have a portal account
    to keep the diary in and an open episode, and have not yet recorded today."""
    today = today or timezone.localdate()
    if outbox.in_quiet_hours(_not_before(today, DIARY_NUDGE_AT)):
        # Too late for today's nudge: held to 08:00 it would arrive about the wrong day.
        return 0
    patients = reachable(Patient.objects.filter(diary_nudge=True, user__isnull=False)).filter(
        episodes__status__in=Episode.OPEN_STATUSES
    )
    patients = sources.without_diary_entry(patients.distinct(), day=today)
    drafts = []
    path = sources.diary_today_path()
    send_at = _not_before(today, DIARY_NUDGE_AT)
    # About today only: a nudge the worker could not send today is dropped, not sent
    # tomorrow (a text message held by the quiet hours would arrive the next morning).
    day_ends = _at(today + timedelta(days=1), time(0, 0))
    for patient in patients:
        drafts += messaging.patient_drafts(
            patient=patient,
            kind="diary_nudge",
            template="reviews-diary-nudge",
            key=outbox.diary_nudge_key(patient, today),
            path=path,
            scheduled_for=send_at,
            expires_at=day_ends,
        )
    return len(outbox.queue_many(drafts))
