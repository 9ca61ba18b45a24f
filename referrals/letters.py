"""Referral letters: rendered from a template in the worker (pathway.pdf is the only WeasyPrint
call), stored once per referral and kind with a SHA-256, downloaded through an authenticated view.
"""

import hashlib
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from pathway.audit import record_event
from pathway.care_teams import care_team_contacts
from pathway.models import AuditEvent
from pathway.pdf import html_to_pdf
from referrals import rules, selectors
from referrals.models import Referral, ReferralLetter

logger = logging.getLogger(__name__)


def enqueue_triage_letter(referral_uuid: str, *, backlog: bool = False) -> bool:
    """Hand the letter to the worker. A broker outage must not turn a saved decision into an
    error page: the letter can be rendered later (render_missing_letters). Returns whether the
    broker took it. The sweep's go on the backlog queue (`backlog`: settings.BACKLOG_QUEUE).
    """
    from referrals.tasks import render_triage_letter

    try:
        if backlog:
            render_triage_letter.apply_async((referral_uuid,), queue=settings.BACKLOG_QUEUE)
        else:
            render_triage_letter.delay(referral_uuid)
    except Exception:  # noqa: BLE001  any broker failure: the sweep renders it later
        logger.warning("broker unavailable; triage letter for %s not queued", referral_uuid)
        return False
    return True


def queue_missing_letters() -> int:
    """The catch-up sweep: hand the worker each letter of a decided referral never rendered
    (broker or worker down at decision time, or a render that failed), unless the worker has
    begun it LETTER_ATTEMPTS times. Returns how many were handed to the broker."""
    return sum(
        1
        for referral_uuid in selectors.referrals_without_letter()
        if enqueue_triage_letter(referral_uuid, backlog=True)
    )


def render_counted(referral_uuid: str) -> ReferralLetter | None:
    """The worker's render of a letter: counted as begun first, in its own statement, so a
    render that fails (or is killed) still counts towards LETTER_ATTEMPTS."""
    Referral.objects.filter(uuid=referral_uuid).update(letter_attempts=F("letter_attempts") + 1)
    return render_triage_letter(referral_uuid=referral_uuid)


def letter_context(referral: Referral) -> dict:
    """What the triage-outcome letter shows."""
    first_contact = None
    if referral.status == rules.ACCEPTED:
        first_contact = rules.first_contact_target(
            selectors.contact_targets(),
            referral.priority,
            received_at=referral.submitted_at,
            triaged_at=referral.decided_at,
        )
    return {
        "referral": referral,
        "patient": referral.patient,
        "first_contact": first_contact,
        # Accepted below the screen's urgency: a GP or partner reads why, as on the referral's
        # page. The note is the team's words to a colleague, so a self-referrer's letter, which
        # the patient reads, leaves it out.
        "below_screen": referral.referrer_id is not None
        and referral.status == rules.ACCEPTED
        and rules.priority_below_screen(referral.urgency, referral.priority),
        "preventives": list(referral.preventives.all()),
        # Who to contact about the letter: the services caring for the practice's patients.
        "teams": list(care_team_contacts(referral.patient)) if referral.patient else [],
        "generated_at": timezone.now(),
    }


@transaction.atomic
def render_triage_letter(*, referral_uuid: str) -> ReferralLetter | None:
    """Render and store the triage-outcome letter of a decided referral; return it.

    Safe to run twice: an existing letter is returned unchanged. Returns None for a referral
    that is not decided (or does not exist), which leaves nothing to write.
    """
    referral = (
        Referral.objects.select_related(
            "patient__registered_practice", "referrer", "decided_by", "stated_practice"
        )
        .filter(uuid=referral_uuid)
        .first()
    )
    if referral is None or referral.decided_at is None:
        return None
    existing = ReferralLetter.objects.filter(
        referral=referral, kind=ReferralLetter.Kind.TRIAGE_OUTCOME
    ).first()
    if existing is not None:
        return existing
    html = render_to_string("referrals/letter_triage_outcome.html", letter_context(referral))
    pdf = html_to_pdf(html)
    try:
        with transaction.atomic():
            letter = ReferralLetter.objects.create(
                referral=referral,
                kind=ReferralLetter.Kind.TRIAGE_OUTCOME,
                pdf=pdf,
                sha256=hashlib.sha256(pdf).hexdigest(),
                size=len(pdf),
            )
    except IntegrityError:
        # Another worker stored it first; theirs is the letter.
        return ReferralLetter.objects.get(
            referral=referral, kind=ReferralLetter.Kind.TRIAGE_OUTCOME
        )
    record_event(
        actor=None,
        action=AuditEvent.Action.CREATE,
        patient=referral.patient,
        obj=letter,
        fields=["pdf"],
    )
    return letter


def record_letter_download(*, actor, letter: ReferralLetter) -> None:
    """Audit a download of a letter (a read of the patient's record)."""
    record_event(
        actor=actor,
        action=AuditEvent.Action.DOWNLOAD,
        patient=letter.referral.patient,
        obj=letter,
    )
