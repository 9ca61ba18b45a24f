"""The discharge summary for the GP practice: rendered from a template in the worker
(pathway.pdf is the only WeasyPrint call), stored once per discharge with a SHA-256, downloaded
through an authenticated view."""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from careplans.models import CarePlan
from careplans.selectors import printed_trials
from pathway.audit import record_event
from pathway.care_teams import care_team_contacts
from pathway.episode_letters import LETTER_ATTEMPTS
from pathway.models import AuditEvent
from pathway.pdf import html_to_pdf
from reviews.models import Discharge, DischargeLetter, SafetyAlert
from reviews.selectors.trends import assessment_trends

logger = logging.getLogger(__name__)


def enqueue_discharge_letter(discharge_uuid: str, *, backlog: bool = False) -> bool:
    """Hand the letter to the worker. A broker outage must not turn a saved discharge into an
    error page: the sweep renders it later (render_missing_discharge_letters). Returns whether
    the broker took it. The sweep's go on the backlog queue (`backlog`: settings.BACKLOG_QUEUE).
    """
    from reviews.tasks import render_discharge_letter

    try:
        if backlog:
            render_discharge_letter.apply_async((discharge_uuid,), queue=settings.BACKLOG_QUEUE)
        else:
            render_discharge_letter.delay(discharge_uuid)
    except Exception:  # noqa: BLE001  any broker failure: the sweep renders it later
        logger.warning("broker unavailable; discharge letter for %s not queued", discharge_uuid)
        return False
    return True


def queue_missing_letters() -> int:
    """The catch-up sweep: hand the worker each discharge summary never rendered (broker or
    worker down at discharge, or a render that failed), unless the worker has begun it
    LETTER_ATTEMPTS times. Returns how many were handed to the broker."""
    return sum(
        1
        for discharge_uuid in discharges_without_letter()
        if enqueue_discharge_letter(discharge_uuid, backlog=True)
    )


def render_counted(discharge_uuid: str) -> DischargeLetter | None:
    """The worker's render of a summary: counted as begun first, in its own statement, so a
    render that fails (or is killed) still counts towards LETTER_ATTEMPTS."""
    Discharge.objects.filter(uuid=discharge_uuid).update(letter_attempts=F("letter_attempts") + 1)
    return render_discharge_letter(discharge_uuid=discharge_uuid)


def letter_context(discharge: Discharge) -> dict:
    """What the discharge summary shows: who, why, the episode's treatments and the patient's
    questionnaire results from first to latest."""
    episode = discharge.episode
    plan = CarePlan.objects.filter(episode=episode, entered_in_error=False).first()
    trials = printed_trials(plan) if plan else []
    return {
        "discharge": discharge,
        "episode": episode,
        "patient": discharge.patient,
        "trials": trials,
        "still_taking": any(trial.carries_on for trial in trials),
        "trends": assessment_trends(discharge.patient),
        "alerts": alerts_during(discharge),
        "teams": list(care_team_contacts(discharge.patient)),
        "generated_at": timezone.now(),
    }


def alerts_during(discharge: Discharge) -> list[SafetyAlert]:
    """The safety alerts about the patient raised from the day the episode opened (an alert from
    the referral itself included) to when the summary is made, oldest first, with what was
    done: a GP taking over care must know of a self-harm answer even when the latest score is
    low. Answers sent after the discharge (a page left open) are in the summary's results, so
    their alerts are too."""
    opened = timezone.localdate(discharge.episode.opened_at)
    return list(
        SafetyAlert.objects.filter(patient=discharge.patient, raised_at__date__gte=opened)
        .select_related("assessment", "resolved_by")
        .order_by("raised_at", "id")
    )


@transaction.atomic
def render_discharge_letter(*, discharge_uuid: str) -> DischargeLetter | None:
    """Render and store the discharge summary of a discharge; return it.

    Safe to run twice: an existing letter is returned unchanged. Returns None when there is no
    such discharge."""
    discharge = (
        Discharge.objects.select_related(
            "episode__responsible_clinician", "patient__registered_practice", "created_by"
        )
        .filter(uuid=discharge_uuid)
        .first()
    )
    if discharge is None:
        return None
    existing = DischargeLetter.objects.filter(discharge=discharge).first()
    if existing is not None:
        return existing
    html = render_to_string("reviews/letter_discharge.html", letter_context(discharge))
    pdf = html_to_pdf(html)
    try:
        with transaction.atomic():
            letter = DischargeLetter.objects.create(
                discharge=discharge, pdf=pdf, sha256=hashlib.sha256(pdf).hexdigest(), size=len(pdf)
            )
    except IntegrityError:
        # Another worker stored it first; theirs is the letter.
        return DischargeLetter.objects.get(discharge=discharge)
    record_event(
        actor=None,
        action=AuditEvent.Action.CREATE,
        patient=discharge.patient,
        obj=letter,
        fields=["pdf"],
    )
    return letter


def discharges_without_letter(limit: int = 200) -> list[str]:
    """UUIDs of discharges with no letter yet that the worker has not begun to render
    pathway.episode_letters.LETTER_ATTEMPTS times, oldest first (for the catch-up sweep)."""
    return [
        str(value)
        for value in Discharge.objects.filter(
            letter__isnull=True, letter_attempts__lt=LETTER_ATTEMPTS
        )
        .order_by("episode__closed_at")
        .values_list("uuid", flat=True)[:limit]
    ]


def record_letter_download(*, actor, letter: DischargeLetter) -> None:
    """Audit a download of the letter (a read of the patient's record)."""
    record_event(
        actor=actor,
        action=AuditEvent.Action.DOWNLOAD,
        patient=letter.discharge.patient,
        obj=letter,
    )
