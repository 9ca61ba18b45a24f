"""Audit rows: who read or changed which patient record. Field names only, never values."""

from collections.abc import Iterable

from pathway.models import AuditEvent


def record_event(
    *,
    actor,
    action: str,
    patient=None,
    obj=None,
    object_type: str = "",
    fields: Iterable[str] = (),
) -> AuditEvent:
    """Write one audit row in the caller's transaction and return it."""
    if obj is not None and not object_type:
        object_type = obj._meta.label_lower
    actor_obj = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        actor=actor_obj,
        actor_role=getattr(actor_obj, "role", "") or "system",
        patient=patient,
        action=action,
        object_type=object_type or "pathway.patient",
        object_uuid=getattr(obj, "uuid", None)
        if obj is not None
        else getattr(patient, "uuid", None),
        fields=sorted(set(fields)),
    )


def record_view(*, actor, patient, obj=None, object_type: str = "") -> AuditEvent | None:
    """Audit a staff read of a patient record. A patient reading their own record is not logged
    as an access by someone else."""
    if getattr(actor, "role", None) == "patient":
        return None
    return record_event(
        actor=actor,
        action=AuditEvent.Action.VIEW,
        patient=patient,
        obj=obj,
        object_type=object_type,
    )
