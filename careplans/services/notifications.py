"""Telling the patient that something is ready to read."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from pathway.notifications import opt_out
from pathway.notifications.outbox import queue_notification


def _notify_patient(*, patient, kind: str, template: str, key: str) -> None:
    """Queue one message on the patient's preferred channel (email, else text), if they agreed to
    either. Messages say only that something is ready to read, with a sign-in link (or, without
    a portal account, to ask the care team for a printed copy)."""
    channel = next((c for c in ("email", "sms") if patient.can_receive(c)), None)
    if channel is None:
        return
    queue_notification(
        channel=channel,
        kind=kind,
        template=template,
        idempotency_key=f"{key}:{channel}",
        patient=patient,
        context={
            "link": settings.SITE_URL + reverse("careplans:my-plan"),
            "preferences_link": opt_out.url_for(patient),
        },
    )
