"""Kernel writes. Each runs in one transaction and leaves its audit row."""

from django.db import transaction
from django.utils import timezone

from pathway.audit import record_event
from pathway.models import AuditEvent, Episode, Milestone, Patient
from pathway.models.episodes import ONCE_ONLY_MILESTONES


@transaction.atomic
def create_patient(*, actor, data: dict) -> Patient:
    """Create a patient from validated form data and return it."""
    patient = Patient(**data, created_by=actor, updated_by=actor)
    if patient.sms_consent or patient.email_consent:
        patient.consent_recorded_at = timezone.now()
    patient.save()
    record_event(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        patient=patient,
        obj=patient,
        fields=data.keys(),
    )
    return patient


@transaction.atomic
def update_contact_preferences(*, actor, patient: Patient, data: dict) -> Patient:
    """Save a patient's contact details and consent; consent changes are dated. Opting back in
    clears an earlier opt-out."""
    changed = [name for name, value in data.items() if getattr(patient, name) != value]
    for name, value in data.items():
        setattr(patient, name, value)
    if {"sms_consent", "email_consent"} & set(changed):
        patient.consent_recorded_at = timezone.now()
    if patient.opted_out_at is not None and (patient.sms_consent or patient.email_consent):
        # Opting out keeps the ticks; saving the form with a channel ticked opts back in.
        patient.opted_out_at = None
        patient.consent_recorded_at = timezone.now()
        changed.append("opted_out_at")
    patient.updated_by = actor
    patient.save()
    record_event(
        actor=actor, action=AuditEvent.Action.UPDATE, patient=patient, obj=patient, fields=changed
    )
    return patient


@transaction.atomic
def opt_out_of_messages(*, actor, patient: Patient) -> Patient:
    """Stop every message to this patient, whatever channel consent they gave."""
    patient.opted_out_at = timezone.now()
    patient.updated_by = actor
    patient.save(update_fields=["opted_out_at", "updated_by", "updated_at"])
    record_event(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        patient=patient,
        obj=patient,
        fields=["opted_out_at"],
    )
    return patient


def record_milestone(*, episode: Episode, kind: str, occurred_at=None, actor=None) -> Milestone:
    """Add a milestone to an episode and return it. Once-only kinds (ONCE_ONLY_MILESTONES) are
    not duplicated: the existing row is returned. Runs in the caller's transaction."""
    defaults = {"occurred_at": occurred_at or timezone.now(), "recorded_by": actor}
    if kind in ONCE_ONLY_MILESTONES:
        milestone, _ = Milestone.objects.get_or_create(
            episode=episode, kind=kind, defaults=defaults
        )
        return milestone
    return Milestone.objects.create(episode=episode, kind=kind, **defaults)
