"""The MDT list: flag a case with a question, record the discussion and agreed actions."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from pathway.audit import record_event
from pathway.models import AuditEvent, Patient, User
from reviews.errors import ReviewsError, StaleState
from reviews.models import MdtCase


@transaction.atomic
def flag_for_mdt(*, actor: User, patient: Patient, question: str) -> MdtCase:
    """Add the patient to the next MDT meeting's list with the question to discuss."""
    question = question.strip()
    if not question:
        raise ReviewsError("Write the question for the MDT.", field="question")
    case = MdtCase.objects.create(
        patient=patient, question=question, created_by=actor, updated_by=actor
    )
    record_event(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        patient=patient,
        obj=case,
        fields=["question"],
    )
    return case


@transaction.atomic
def record_mdt_discussion(
    *, actor: User, case: MdtCase, notes: str, agreed_actions: str
) -> MdtCase:
    """Record the discussion and agreed actions; the case leaves the open list."""
    agreed_actions = agreed_actions.strip()
    if not agreed_actions:
        raise ReviewsError(
            "Write the agreed actions, or 'no change' if none.", field="agreed_actions"
        )
    now = timezone.now()
    changed = MdtCase.objects.filter(pk=case.pk, status=MdtCase.Status.OPEN).update(
        status=MdtCase.Status.DISCUSSED,
        notes=notes.strip(),
        agreed_actions=agreed_actions,
        discussed_at=now,
        updated_by=actor,
        updated_at=now,
    )
    if not changed:
        raise StaleState("This case has already been discussed.")
    record_event(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        patient=case.patient,
        obj=case,
        fields=["status", "notes", "agreed_actions", "discussed_at"],
    )
    case.refresh_from_db()
    return case
