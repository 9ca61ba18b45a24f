"""Who the worklist covers (`scope`), and the reasons that change with time rather than with a
clinician's action: the ones a scan of the team's patients finds and the kept scan holds."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db.models import Exists, F, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from pathway.links import uuid_link
from pathway.models import Episode, Milestone, Patient, Target, User
from pathway.models.episodes import MilestoneKind
from pathway.models.episodes import Priority as EpisodePriority
from pathway.permissions import patients_visible_to
from referrals import selectors as referral_selectors
from reviews import rules, selectors, sources
from reviews.models import Appointment, Review
from reviews.worklist.reasons import Reason


def scope(
    user, *, clinician: User | None = None, practice_id: int | None = None
) -> QuerySet[Patient]:
    """The patients the worklist covers: those `user` may see, optionally only one practice's,
    or those with an open episode held by one responsible clinician."""
    patients = patients_visible_to(user)
    if practice_id:
        patients = patients.filter(registered_practice_id=practice_id)
    if clinician is not None:
        patients = patients.filter(
            id__in=Episode.objects.open()
            .filter(responsible_clinician=clinician)
            .values("patient_id")
        )
    return patients


# The priorities a target may name besides "any".
PRIORITY_LEVELS = tuple(EpisodePriority.values)


def target_breaches(patients: QuerySet[Patient], *, now: datetime) -> list[tuple[int, Reason]]:
    """Open episodes past a pathway target (DESIGN.md section 3) whose end milestone has not
    happened: one query per target row. The review-to-review target is the "review overdue"
    category, so it is left out here."""
    found = []
    targets = list(Target.objects.exclude(from_milestone=F("to_milestone")).order_by("id"))
    # A priority with a target of its own is measured against that one only, not the one for
    # any priority as well (referrals.rules.target_days_for, as the waiting list and the
    # dashboard measure it).
    own = {(t.from_milestone, t.to_milestone, t.priority) for t in targets}
    for target in targets:
        started = (
            Milestone.objects.filter(episode=OuterRef("pk"), kind=target.from_milestone)
            .order_by("occurred_at")
            .values("occurred_at")[:1]
        )
        ended = Milestone.objects.filter(
            episode=OuterRef("pk"),
            kind=target.to_milestone,
            occurred_at__gte=OuterRef("started_at"),
        )
        episodes = Episode.objects.open().filter(patient__in=patients)
        if target.to_milestone == MilestoneKind.TRIAGED:
            # Waiting for triage: by the urgency the referral screen gave (no priority is set
            # before triage), as the triage queue measures it.
            episodes = episodes.annotate(level=referral_selectors.episode_urgency())
        else:
            episodes = episodes.annotate(level=F("priority"))
        if target.priority != Target.AppliesTo.ANY:
            episodes = episodes.filter(level=target.priority)
        else:
            others = [
                level
                for level in ("", *PRIORITY_LEVELS)
                if (target.from_milestone, target.to_milestone, level) not in own
            ]
            episodes = episodes.filter(Q(level__isnull=True) | Q(level__in=others))
        rows = (
            episodes.annotate(started_at=Subquery(started))
            .filter(started_at__lt=now - timedelta(days=target.days))
            .filter(~Exists(ended))
            .values_list("patient_id", "started_at")
        )
        found += [
            (
                patient_id,
                Reason(
                    "target_breach",
                    f"{target.name}: over {target.days} day{'' if target.days == 1 else 's'}",
                    started_at + timedelta(days=target.days),
                ),
            )
            for patient_id, started_at in rows
        ]
    return found


def reviews_overdue(patients: QuerySet[Patient], *, now: datetime) -> list[tuple[int, Reason]]:
    """Open episodes whose annual-review-due date recorded last (the latest review's next review
    date, even if an earlier review set a later one) has passed; or, with no due date yet,
    whose last review (or first contact) is more than a year ago. Each line says when the
    patient's next appointment that holds a review (rules.REVIEW_KINDS) is, if one is booked,
    so that nobody books a second."""
    latest = Milestone.objects.filter(episode=OuterRef("pk"))
    booked = (
        Appointment.objects.filter(
            patient=OuterRef("patient_id"),
            status=Appointment.Status.BOOKED,
            kind__in=rules.REVIEW_KINDS,
            start__gte=now,
        )
        .order_by("start")
        .values("start")[:1]
    )
    rows = (
        Episode.objects.open()
        .filter(patient__in=patients)
        .annotate(
            due_at=Subquery(
                latest.filter(kind=MilestoneKind.ANNUAL_REVIEW_DUE)
                .order_by("-created_at", "-id")
                .values("occurred_at")[:1]
            ),
            last_seen=Max(
                "milestones__occurred_at",
                filter=Q(
                    milestones__kind__in=[MilestoneKind.REVIEW_HELD, MilestoneKind.FIRST_CONTACT]
                ),
            ),
        )
        .annotate(
            overdue_from=Coalesce(
                "due_at",
                F("last_seen") + timedelta(days=rules.ANNUAL_REVIEW_INTERVAL_DAYS),
            )
        )
        .filter(overdue_from__lt=now)
        .annotate(booked_for=Subquery(booked), next_kind=selectors.next_review_kind_of_episode())
        .values_list("patient_id", "overdue_from", "booked_for", "next_kind")
    )
    return [
        (
            patient_id,
            Reason("review_overdue", _overdue_text(due, booked_for, kind), due),
        )
        for patient_id, due, booked_for, kind in rows
    ]


def _overdue_text(due: datetime, booked_for: datetime | None, kind: str) -> str:
    text = f"{Review.NextKind(kind).label} was due {timezone.localtime(due):%-d %B %Y}"
    if booked_for is None:
        return text
    return f"{text}; appointment booked for {timezone.localtime(booked_for):%-d %B %Y}"


def not_rebooked(patients: QuerySet[Patient]) -> list[tuple[int, Reason]]:
    """Patients with a missed review to rebook (selectors.missed_not_rebooked). The line goes
    once another is booked, the team records a decision not to rebook (on the appointment's
    page, which the line links to), or the patient is discharged."""
    rows = (
        selectors.missed_not_rebooked(patients)
        .order_by()
        .values_list("patient_id", "kind", "start", "uuid")
    )
    kinds = dict(Appointment.Kind.choices)
    link = uuid_link("reviews:appointment", "appointment_uuid")
    return [
        (
            patient_id,
            Reason(
                "not_rebooked",
                f"{kinds[kind]} on {timezone.localtime(start):%-d %B %Y}; nothing booked since",
                start,
                link(appointment_uuid),
            ),
        )
        for patient_id, kind, start, appointment_uuid in rows
    ]


def _slow_sources(now: datetime, today: date) -> dict:
    """The reasons that change with time rather than with a clinician's action, and cost a scan
    of the team's patients: kept per scope (WORKLIST_CACHE_SECONDS) and re-checked for rows on
    screen whose records changed. Safety alerts, red-flag referrals and questionnaires are
    always live."""
    return {
        "target_breach": lambda patients: target_breaches(patients, now=now),
        "review_overdue": lambda patients: (
            reviews_overdue(patients, now=now)
            + sources.plan_reviews_past_due(patients, today=today)
        ),
        "not_rebooked": not_rebooked,
        "trial_due_review": lambda patients: sources.trials_past_review(patients, today=today),
        "diary_pattern": lambda patients: sources.diary_flags(patients, today=today),
    }


def _slow_reasons(patients: QuerySet[Patient], *, now: datetime, today: date) -> list:
    found = []
    for source in _slow_sources(now, today).values():
        found += source(patients)
    return found
