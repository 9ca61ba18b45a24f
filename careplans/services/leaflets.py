"""Leaflets on a plan: attaching one (and telling the patient) and taking one off."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from careplans.models import CarePlan, CarePlanLeaflet, CarePlanVersion, Leaflet
from careplans.services.errors import check_episode_open
from careplans.services.notifications import _notify_patient
from pathway.audit import record_event
from pathway.models import AuditEvent


@transaction.atomic
def attach_leaflet(
    *, actor, plan: CarePlan, leaflet: Leaflet, notify: bool = False
) -> tuple[CarePlanLeaflet, bool]:
    """Attach a leaflet to the plan (once) and, if asked, tell the patient by their preferred
    channel (only once the plan has an agreed version: until then they cannot see it).
    Returns (attachment, created): the leaflet attached already (the form sent twice, or by a
    colleague at the same moment) is returned as it is. Raises EpisodeEnded once the plan's
    episode has ended: its plan stays as it was left."""
    # The plan's row is locked, and its episode read again, before the check: two attachments
    # at once take turns, and the second finds the first's link instead of failing on the
    # database's once-per-plan rule.
    locked = (
        CarePlan.objects.select_for_update(of=("self",)).select_related("episode").get(pk=plan.pk)
    )
    check_episode_open(locked)
    link = CarePlanLeaflet.objects.filter(
        plan=plan, leaflet=leaflet, removed_at__isnull=True
    ).first()
    if link is not None:
        return link, False
    link = CarePlanLeaflet.objects.create(plan=plan, leaflet=leaflet, attached_by=actor)
    record_event(actor=actor, action=AuditEvent.Action.CREATE, patient=plan.patient, obj=link)
    # The patient reads a plan's leaflets once it is agreed: not told of one they cannot see.
    if notify and plan.versions.filter(status=CarePlanVersion.Status.AGREED).exists():
        _notify_patient(
            patient=plan.patient,
            kind="leaflet_added",
            template="careplans-leaflet-added",
            key=f"careplans-leaflet-added:{link.uuid}",
        )
    return link, True


@transaction.atomic
def remove_leaflet(*, actor, link: CarePlanLeaflet) -> CarePlanLeaflet:
    """Take a leaflet off the plan; the row stays, dated. Raises EpisodeEnded once the plan's
    episode has ended."""
    check_episode_open(link.plan)
    if link.removed_at is None:
        link.removed_at = timezone.now()
        link.save(update_fields=["removed_at", "updated_at"])
        record_event(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            patient=link.plan.patient,
            obj=link,
            fields=["removed_at"],
        )
    return link
