"""Queueing this app's messages in the kernel outbox (DESIGN.md section 6).

Messages name what happened and carry a sign-in link (or, for a patient with no portal account,
what to do instead), never clinical detail. Patient messages go
only on channels the patient consented to (`Patient.can_receive`) and always carry the link that
stops messages, or only the diary reminders, without signing in (pathway.notifications.opt_out).
Idempotency keys end in the channel, e.g. `annual-review:<patient uuid>:<due date>:sms`, so
queueing twice sends once.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse

from pathway.models import Notification, Patient
from pathway.notifications import opt_out, outbox

PATIENT_CHANNELS = (Notification.Channel.SMS, Notification.Channel.EMAIL)
# Times in messages are UK times, as on every page.
LONDON = ZoneInfo("Europe/London")

# What each kind of message is about, for staff pages (never shown in the message itself).
KIND_LABELS = {
    "annual_review_invite": "Annual review invitation",
    "appointment_reminder": "Appointment reminder",
    "appointment_booked": "Appointment booked",
    "appointment_cancelled": "Appointment cancelled",
    "questionnaire_requested": "Questionnaire request",
    "questionnaire_reminder": "Questionnaire reminder",
    "group_invite": "Group session invitation",
    "group_place_withdrawn": "Group session place withdrawn",
    "group_session_cancelled": "Group session cancelled",
    "diary_nudge": "Diary reminder",
    "trial_review_due": "Treatment trial review (staff)",
    "safety_alert": "Safety alert (staff)",
}


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())


def day_and_time(moment: datetime) -> str:
    """`moment` as a message says it, in UK time, e.g. "Tuesday 12 May at 18:00"."""
    local = moment.astimezone(LONDON)
    return f"{local:%A} {local.day} {local:%B} at {local:%H:%M}"


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def patient_context(path: str, patient: Patient | None = None, **extra) -> dict:
    """Template context for a patient message: the sign-in link and the link that stops
    messages: the patient's own, which needs no sign-in (pathway.notifications.opt_out), or
    without a patient the contact preferences page. (A patient with no portal account is told
    what to do instead of signing in: pathway.notifications.outbox.render_message.)"""
    return {
        "link": absolute_url(path),
        "preferences_link": opt_out.url_for(patient)
        if patient is not None
        else absolute_url(reverse("pathway:contact-preferences")),
        "service_name": settings.SERVICE_NAME,
        **extra,
    }


def patient_drafts(
    *,
    patient: Patient,
    kind: str,
    template: str,
    key: str,
    path: str,
    scheduled_for: datetime | None = None,
    expires_at: datetime | None = None,
    extra: dict | None = None,
) -> list[Notification]:
    """Unsaved outbox rows, one per channel the patient accepts (for `outbox.queue_many`).
    `expires_at` is when the message stops being true (the appointment it announces begins):
    from then on delivery cancels it rather than send it late."""
    return [
        outbox.draft(
            channel=channel,
            kind=kind,
            template=template,
            idempotency_key=f"{key}:{channel}",
            patient=patient,
            context=patient_context(path, patient, **(extra or {})),
            scheduled_for=scheduled_for,
            expires_at=expires_at,
        )
        for channel in PATIENT_CHANNELS
        if patient.can_receive(channel)
    ]


def not_told_reason(patient: Patient) -> str:
    """Why `patient_drafts` makes no message for this patient, in words for staff ("they have
    asked for no messages"), or "" when at least one channel accepts messages. Built on the
    same `Patient.can_receive`, so it says exactly whether the patient was told."""
    if any(patient.can_receive(channel) for channel in PATIENT_CHANNELS):
        return ""
    if patient.has_died:
        return "they have died"
    if patient.entered_in_error:
        return "this record was entered in error"
    if patient.opted_out_at is not None:
        return "they have asked for no messages"
    if not patient.mobile and not patient.email:
        return "they have no mobile number or email address on record"
    return "they have not agreed to texts or emails"


def withdraw(*, keys: list[str], reason: str) -> int:
    """Withdraw the still-queued messages, on every channel, whose keys start with one of
    `keys` (the `key` given to `patient_drafts`, or a leading part of it ending before a
    colon), in the caller's transaction: the change being saved has made them untrue.
    Returns how many rows were withdrawn."""
    return sum(outbox.withdraw_queued(prefix=f"{key}:", reason=reason) for key in keys)


def still_queued(key: str) -> bool:
    """Whether a message whose key starts with `key` (as `withdraw` reads it) is still waiting
    to go, on any channel."""
    return Notification.objects.filter(
        idempotency_key__startswith=f"{key}:", status=Notification.Status.QUEUED
    ).exists()


def withdraw_for_patient(*, patient, reason: str) -> int:
    """Withdraw every message still queued to `patient`, whatever it is about (`withdraw`)."""
    return outbox.withdraw_queued_for_patient(patient=patient, reason=reason)


def staff_draft(
    *,
    user,
    kind: str,
    template: str,
    key: str,
    path: str,
    scheduled_for: datetime | None = None,
) -> Notification | None:
    """An unsaved email to a member of staff, or None if they cannot receive one."""
    if user is None or not user.is_active or not user.email:
        return None
    return outbox.draft(
        channel=Notification.Channel.EMAIL,
        kind=kind,
        template=template,
        idempotency_key=f"{key}:email",
        user=user,
        context={"link": absolute_url(path), "service_name": settings.SERVICE_NAME},
        scheduled_for=scheduled_for,
    )


def queue_for_patient(**message) -> list[Notification]:
    """Queue one message per channel the patient accepts, in the caller's transaction (the
    arguments of `patient_drafts`). Returns the rows created now (a key queued before is
    skipped, not duplicated). Planners queueing thousands use `outbox.queue_many` instead."""
    saved = [outbox.queue_draft(row) for row in patient_drafts(**message)]
    return [row for row, created in saved if created]


def queue_for_staff(**message) -> Notification | None:
    """Queue an email to a member of staff (the arguments of `staff_draft`); returns the row if
    created now."""
    row = staff_draft(**message)
    if row is None:
        return None
    saved, created = outbox.queue_draft(row)
    return saved if created else None


def questionnaire_reach_warnings(patient: Patient, what: str) -> list[str]:
    """What staff are told beside `what` (questionnaires) just sent to `patient` that may not
    reach them: no message about it (and why), and no portal account to fill it in."""
    warnings = []
    if reason := not_told_reason(patient):
        warnings.append(f"{patient.full_name} has not been told about {what}: {reason}.")
    if patient.user_id is None:
        warnings.append(
            f"{patient.full_name} has no patient portal account, so cannot fill in {what} "
            "online yet. Invite them from the Summary tab, or go through it with them and "
            "record their answers (Record answers, on the Reviews tab)."
        )
    return warnings
