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


def who_saved(editor, actor, *, patient_user_id: int | None = None) -> str:
    """Words for whoever saved a row last (`editor`, its updated_by), as a page opened before
    that save tells `actor`: "you in another tab or window", "the patient" (when
    `patient_user_id` is their account), their name, or "someone else" when none is recorded."""
    if editor is None:
        return "someone else"
    if editor.pk == getattr(actor, "pk", None):
        return "you in another tab or window"
    if patient_user_id is not None and editor.pk == patient_user_id:
        return "the patient"
    return editor.full_name
