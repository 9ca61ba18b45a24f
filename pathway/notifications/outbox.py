"""Queue, claim and deliver outbox rows (DESIGN.md section 6)."""

import logging
from datetime import datetime, time, timedelta
from time import monotonic, sleep
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Case, CharField, F, Value, When
from django.db.models.functions import Cast, Concat, Left
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone

from pathway.models import Notification
from pathway.notifications.backends import DeliveryError, Message, backend_for

logger = logging.getLogger(__name__)

LONDON = ZoneInfo("Europe/London")
# No text messages between 20:00 and 08:00 UK time (DESIGN.md section 6).
QUIET_HOURS_START = time(20, 0)
QUIET_HOURS_END = time(8, 0)
# Attempts at a message whose sending fails for a reason that may pass (30 s, doubling between
# attempts): about an hour in all, so that an outage of the provider lasting minutes does not
# leave every message of that time failed, to be sent again by hand.
MAX_ATTEMPTS = 8
# Seconds between attempts to record a send while the database is unreachable: 75 s in all.
RECORD_RETRY_DELAYS = (0.5, 1, 2, 4, 8, 15, 20, 25)
# A delivery task handed many rows starts none after this many seconds: the rest go back to the
# broker. The task's time limits (delivery_soft_time_limit) leave room after that for one more
# send, up to the provider's timeout (NOTIFY_TIMEOUT, EMAIL_TIMEOUT), and the record of it, so
# a slow provider never stops a task between sending a message and recording it (the sweep
# would send it again).
BATCH_SECONDS = 20
SEND_TIMEOUT_MARGIN = 15
# Why a row given `expires_at` was cancelled instead of sent (shown to staff).
EXPIRED = "Not sent: what it was about had already begun"
# Why a message to a patient recorded as having died was not sent (shown to staff).
DIED = "Not sent: the patient has died"
# The opt-in evening diary reminder (Patient.diary_nudge), and why one was not sent.
DIARY_NUDGE_KIND = "diary_nudge"
NUDGE_OFF = "Not sent: the patient turned the diary reminders off"
NUDGE_ANSWERED = "Withdrawn: the patient filled in the day's diary"


def diary_nudge_key(patient, day) -> str:
    """The key of `patient`'s diary reminder about `day`, before its channel."""
    return f"diary-nudge:{patient.uuid}:{day.isoformat()}"


def withdraw_diary_nudge(patient, day) -> int:
    """The day's diary is filled in: its reminder, planned and not sent yet, is not needed.
    In the caller's transaction; returns how many rows were withdrawn."""
    return withdraw_queued(prefix=f"{diary_nudge_key(patient, day)}:", reason=NUDGE_ANSWERED)


# Why a message to a member of staff was not sent: their account was closed after it was queued.
LEFT = "Not sent: the account is no longer active"
# A row left in `sending` this long was claimed by a worker that died.
STUCK_AFTER = timedelta(minutes=10)


def queue_notification(
    *,
    channel: str,
    kind: str,
    template: str,
    idempotency_key: str,
    patient=None,
    user=None,
    context: dict | None = None,
    scheduled_for: datetime | None = None,
    expires_at: datetime | None = None,
) -> tuple[Notification, bool]:
    """Add a row to the outbox in the caller's transaction; delivery is enqueued on commit.
    A row given `expires_at` is cancelled rather than sent from that moment on.

    Returns (notification, created). A second call with the same key changes nothing.
    """
    notification, created = Notification.objects.get_or_create(
        idempotency_key=idempotency_key,
        defaults={
            "patient": patient,
            "user": user,
            "channel": channel,
            "kind": kind,
            "template": template,
            "context": context or {},
            "scheduled_for": scheduled_for or timezone.now(),
            "expires_at": expires_at,
        },
    )
    if created and notification.scheduled_for <= timezone.now():
        transaction.on_commit(lambda: enqueue_delivery(notification.uuid))
    return notification, created


# Rows looked up and inserted per statement by `queue_many`.
QUEUE_BATCH = 1000


def draft(
    *,
    channel: str,
    kind: str,
    template: str,
    idempotency_key: str,
    patient=None,
    user=None,
    context: dict | None = None,
    scheduled_for: datetime | None = None,
    expires_at: datetime | None = None,
) -> Notification:
    """An unsaved outbox row, for `queue_many`."""
    return Notification(
        idempotency_key=idempotency_key,
        patient=patient,
        user=user,
        channel=channel,
        kind=kind,
        template=template,
        context=context or {},
        scheduled_for=scheduled_for or timezone.now(),
        expires_at=expires_at,
    )


def queue_draft(row: Notification) -> tuple[Notification, bool]:
    """`queue_notification` for a row made by `draft`."""
    return queue_notification(
        channel=row.channel,
        kind=row.kind,
        template=row.template,
        idempotency_key=row.idempotency_key,
        patient=row.patient,
        user=row.user,
        context=row.context,
        scheduled_for=row.scheduled_for,
        expires_at=row.expires_at,
    )


def queue_many(drafts: list[Notification]) -> list[Notification]:
    """Add many rows to the outbox in the caller's transaction: one lookup and one insert per
    QUEUE_BATCH rows rather than round trips per row. Keys queued before are skipped, as with
    `queue_notification`; a key inserted concurrently by another transaction is left to that
    one (the insert ignores the conflict, and the delivery enqueued here for the row that was
    not saved finds nothing to claim). Returns the rows saved now; due rows are handed to the
    worker on commit."""
    saved: list[Notification] = []
    for start in range(0, len(drafts), QUEUE_BATCH):
        batch = drafts[start : start + QUEUE_BATCH]
        existing = set(
            Notification.objects.filter(
                idempotency_key__in=[row.idempotency_key for row in batch]
            ).values_list("idempotency_key", flat=True)
        )
        fresh: dict[str, Notification] = {}
        for row in batch:
            if row.idempotency_key not in existing:
                fresh.setdefault(row.idempotency_key, row)
        Notification.objects.bulk_create(fresh.values(), ignore_conflicts=True)
        saved.extend(fresh.values())
    now = timezone.now()
    due = [row.uuid for row in saved if row.scheduled_for <= now]
    if due:
        transaction.on_commit(lambda: enqueue_deliveries(due))
    return saved


# A withdrawn row's key becomes `withdrawn:<row id>:<key>`, cut to the column's length.
WITHDRAWN_KEY = "withdrawn:"


def withdraw_queued(*, prefix: str, reason: str) -> int:
    """Cancel, in the caller's transaction, every row still queued whose idempotency key starts
    with `prefix` (e.g. `appointment-tomorrow:<appointment uuid>:`): messages made untrue by
    the change being saved, such as a reminder for an appointment just cancelled. A row that
    failed is withdrawn too, so that staff cannot send it again by hand once it is untrue. A
    row a worker is sending already is left to finish, but marked: if that send does not go
    through (a passing failure, a worker that died), the row is cancelled then, not tried again.
    `reason` is kept as the row's last error, for staff. Returns how many rows were withdrawn
    (not counting those marked).

    A withdrawn row keeps its history under a new key, `withdrawn:<row id>:<old key>`, so the
    old key is free again: a key stands for a message sent or still to send, and one withdrawn
    is neither. An appointment moved back to its first time is then announced and reminded
    again. Raises ValueError for an empty prefix, which would withdraw everything."""
    if not prefix:
        raise ValueError("withdraw_queued needs a key prefix")
    return _withdraw(Notification.objects.filter(idempotency_key__startswith=prefix), reason)


def withdraw_queued_for_patient(*, patient, reason: str) -> int:
    """`withdraw_queued` for every row still queued to `patient`, whatever it is about. Rows
    that failed stay listed for staff: one about something made untrue is withdrawn by its own
    prefix, and the others say the patient's number or address may be wrong."""
    return _withdraw(Notification.objects.filter(patient=patient), reason, failed_too=False)


def _withdraw(rows, reason: str, *, failed_too: bool = True) -> int:
    # Claiming is compare-and-swap on `queued` too, so a row is either claimed by a worker or
    # withdrawn here, never both; sending a failed row again is compare-and-swap on `failed`.
    # A failed row keeps why it failed after the reason it was withdrawn.
    rows.filter(status=Notification.Status.SENDING).update(withdrawn_while_sending=reason[:500])
    statuses = [Notification.Status.QUEUED]
    if failed_too:
        statuses.append(Notification.Status.FAILED)
    return rows.filter(status__in=statuses).update(
        status=Notification.Status.CANCELLED,
        last_error=Left(
            Case(
                When(
                    status=Notification.Status.FAILED,
                    then=Concat(
                        Value(f"{reason}. It had failed: "),
                        F("last_error"),
                        output_field=CharField(),
                    ),
                ),
                default=Value(reason),
                output_field=CharField(),
            ),
            500,
        ),
        idempotency_key=_withdrawn_key(),
    )


def _withdrawn_key():
    """A withdrawn row's key, `withdrawn:<row id>:<old key>`, as an expression."""
    return Left(
        Concat(
            Value(WITHDRAWN_KEY),
            Cast("pk", output_field=CharField()),
            Value(":"),
            F("idempotency_key"),
            output_field=CharField(),
        ),
        Notification._meta.get_field("idempotency_key").max_length,
    )


def _cancel_if_withdrawn(rows) -> int:
    """Cancel those of `rows` (claimed by a worker) that were withdrawn while being sent, with
    the reason they were withdrawn; returns how many."""
    return (
        rows.filter(status=Notification.Status.SENDING)
        .exclude(withdrawn_while_sending="")
        .update(
            status=Notification.Status.CANCELLED,
            claimed_at=None,
            last_error=F("withdrawn_while_sending"),
            idempotency_key=_withdrawn_key(),
        )
    )


# Rows per delivery task when many are handed over at once (`enqueue_deliveries`).
DELIVERY_BATCH = 50


def delivery_soft_time_limit() -> int:
    """Seconds a delivery task may run before Celery interrupts it (see BATCH_SECONDS)."""
    send = max(settings.NOTIFY_TIMEOUT, settings.EMAIL_TIMEOUT)
    return BATCH_SECONDS + send + int(sum(RECORD_RETRY_DELAYS)) + SEND_TIMEOUT_MARGIN


def deliver_batch(notification_uuids, *, seconds: float = BATCH_SECONDS) -> int:
    """Deliver rows handed over together, one after another. Once `seconds` have passed no
    other row is started: those left are handed back to the broker (or, with it down, left
    queued for the sweep). Returns how many rows were sent."""
    uuids = [str(uuid) for uuid in notification_uuids]
    started = monotonic()
    sent = 0
    for index, notification_uuid in enumerate(uuids):
        if monotonic() - started >= seconds:
            enqueue_deliveries(uuids[index:])
            break
        sent += deliver(notification_uuid) == Notification.Status.SENT
    return sent


def enqueue_deliveries(notification_uuids) -> int:
    """Hand many rows to the worker, DELIVERY_BATCH to a task, so a large batch is not held up
    by the broker's cost per task. A row in a batch is claimed and sent exactly as one handed
    over alone (a row sent already, or claimed by another worker, is skipped). If the broker
    is down the rest stay queued for the sweep. Returns how many rows the broker took."""
    from pathway.tasks import deliver_notifications

    uuids = [str(uuid) for uuid in notification_uuids]
    handed = 0
    for start in range(0, len(uuids), DELIVERY_BATCH):
        batch = uuids[start : start + DELIVERY_BATCH]
        try:
            deliver_notifications.apply_async(args=[batch], retry=False)
        except Exception:  # noqa: BLE001  any broker failure: the beat sweep retries
            logger.warning("broker unavailable; %d notifications left queued", len(uuids) - start)
            break
        handed += len(batch)
    return handed


def enqueue_delivery(notification_uuid, countdown: int = 0) -> bool:
    """Hand a row to the worker. If the broker is down the row stays queued and the sweep picks
    it up later, so nothing is lost. Returns whether the broker took it."""
    from pathway.tasks import deliver_notification

    try:
        # No publish retries: with the broker down, fail at once and leave the row to the sweep
        # rather than hold up the request that queued it.
        deliver_notification.apply_async(
            args=[str(notification_uuid)], countdown=countdown, retry=False
        )
    except Exception:  # noqa: BLE001  any broker failure: the beat sweep retries
        logger.warning("broker unavailable; notification %s left queued", notification_uuid)
        return False
    return True


def in_quiet_hours(moment: datetime) -> bool:
    local = moment.astimezone(LONDON).time()
    return local >= QUIET_HOURS_START or local < QUIET_HOURS_END


def next_allowed_sms_time(moment: datetime) -> datetime:
    local = moment.astimezone(LONDON)
    day = local.date() if local.time() < QUIET_HOURS_END else local.date() + timedelta(days=1)
    return datetime.combine(day, QUIET_HOURS_END, tzinfo=LONDON)


def claim(notification_uuid) -> Notification | None:
    """Compare-and-swap queued -> sending, so two workers never send one row.

    On PostgreSQL, a claim made outside any caller's transaction does not wait for its commit
    to reach the disk (a restart flushes it; only a database crash can lose it). A claim lost
    that way leaves the row queued, and if its worker had already sent it the sweep sends it
    again: at most the few messages claimed in the last fraction of a second before a crash,
    the price of not waiting for the disk on every claim. Recording the send always waits."""
    now = timezone.now()
    own_transaction = not connection.in_atomic_block
    with transaction.atomic():
        if own_transaction and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        claimed = Notification.objects.filter(
            uuid=notification_uuid, status=Notification.Status.QUEUED, scheduled_for__lte=now
        ).update(status=Notification.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return None
    return Notification.objects.select_related("patient", "user").get(uuid=notification_uuid)


def render_message(notification: Notification) -> Message:
    """The message as it goes now. A patient message says what to do instead of signing in
    when the patient has no portal account at the moment it is sent (`no_account`), whatever
    was true when it was queued."""
    context = {**notification.context, "notification": notification}
    if notification.patient is not None:
        context["no_account"] = notification.patient.user_id is None
    if notification.channel == Notification.Channel.SMS:
        to = notification.patient.mobile if notification.patient else ""
        body = render_to_string(f"sms/{notification.template}.txt", context).strip()
        return Message(
            channel="sms", to=to, subject="", body=body, reference=str(notification.uuid)
        )
    to = notification.patient.email if notification.patient else notification.user.email
    subject = render_to_string(f"emails/{notification.template}-subject.txt", context).strip()
    body = render_to_string(f"emails/{notification.template}-body.txt", context).strip()
    html = render_to_string(f"emails/{notification.template}-body.html", context)
    return Message(
        channel="email",
        to=to,
        subject=subject,
        body=body,
        html=html,
        reference=str(notification.uuid),
    )


def _finish(notification: Notification, **fields) -> int:
    return Notification.objects.filter(
        pk=notification.pk, status=Notification.Status.SENDING
    ).update(**fields)


def deliver(notification_uuid) -> str:
    """Claim and send one row. Returns the row's status afterwards ('skipped' if not claimable)."""
    notification = claim(notification_uuid)
    if notification is None:
        return "skipped"
    if notification.withdrawn_while_sending and _cancel_if_withdrawn(
        Notification.objects.filter(pk=notification.pk)
    ):
        # Put back in the queue by an attempt that failed just as it was withdrawn.
        return Notification.Status.CANCELLED
    now = timezone.now()
    if notification.expires_at is not None and now >= notification.expires_at:
        _finish(notification, status=Notification.Status.CANCELLED, last_error=EXPIRED)
        return Notification.Status.CANCELLED
    patient = notification.patient
    if patient is not None and not patient.can_receive(notification.channel):
        _finish(
            notification,
            status=Notification.Status.CANCELLED,
            last_error=DIED
            if patient.has_died
            else "Not sent: the patient's record was entered in error"
            if patient.entered_in_error
            else "No consent for this channel, or the patient opted out",
        )
        return Notification.Status.CANCELLED
    if patient is None and notification.user is not None and not notification.user.is_active:
        _finish(notification, status=Notification.Status.CANCELLED, last_error=LEFT)
        return Notification.Status.CANCELLED
    if patient is not None and notification.kind == DIARY_NUDGE_KIND and not patient.diary_nudge:
        # Turned off after it was queued (contact preferences, or the link in a message).
        _finish(notification, status=Notification.Status.CANCELLED, last_error=NUDGE_OFF)
        return Notification.Status.CANCELLED
    if notification.channel == Notification.Channel.SMS and in_quiet_hours(now):
        held_to = next_allowed_sms_time(now)
        if notification.expires_at is not None and held_to >= notification.expires_at:
            # Held to 08:00 it would arrive after what it announces has begun.
            _finish(notification, status=Notification.Status.CANCELLED, last_error=EXPIRED)
            return Notification.Status.CANCELLED
        _finish(
            notification,
            status=Notification.Status.QUEUED,
            claimed_at=None,
            attempts=F("attempts") - 1,
            scheduled_for=held_to,
        )
        return Notification.Status.QUEUED
    try:
        message = render_message(notification)
    except TemplateDoesNotExist as exc:
        # A missing template is a programming error: retrying cannot help.
        _finish(
            notification,
            status=Notification.Status.FAILED,
            last_error=f"Message template not found: {exc}"[:500],
        )
        return Notification.Status.FAILED
    try:
        reference = backend_for(notification.channel).send(message)
    except Exception as exc:  # noqa: BLE001 - any failure of the provider's client is recorded
        if not isinstance(exc, DeliveryError):
            # A fault of the provider's client (a malformed key, say) rather than an answer from
            # the provider: retried like a passing failure, its name kept for staff, instead of
            # leaving the row "sending" for the sweep to find with no reason given.
            logger.exception("sending notification %s failed", notification.pk)
            exc = DeliveryError(f"{type(exc).__name__}: {exc}")
        if _cancel_if_withdrawn(Notification.objects.filter(pk=notification.pk)):
            # Untrue now: neither tried again nor listed for staff to send again.
            return Notification.Status.CANCELLED
        if exc.permanent or notification.attempts >= MAX_ATTEMPTS:
            _finish(notification, status=Notification.Status.FAILED, last_error=str(exc)[:500])
            return Notification.Status.FAILED
        retry_in = 30 * 2 ** (notification.attempts - 1)
        _finish(
            notification,
            status=Notification.Status.QUEUED,
            claimed_at=None,
            last_error=str(exc)[:500],
            scheduled_for=now + timedelta(seconds=retry_in),
        )
        transaction.on_commit(lambda: enqueue_delivery(notification.uuid, countdown=retry_in))
        return Notification.Status.QUEUED
    _record_sent(notification, reference)
    return Notification.Status.SENT


def _record_sent(notification: Notification, reference: str) -> None:
    """Mark a sent row sent. The message has gone, so if the database is briefly unreachable
    keep trying (reconnecting) for over a minute: a row left in `sending` would be sent again
    by the sweep. Inside a caller's transaction there is nothing to retry: the error is
    raised."""
    for attempt, delay in enumerate((*RECORD_RETRY_DELAYS, None)):
        try:
            recorded = _finish(
                notification,
                status=Notification.Status.SENT,
                sent_at=timezone.now(),
                provider_reference=reference,
                last_error="",
            )
            if attempt and not recorded:
                logger.warning(
                    "notification %s was sent but the database lost its claim; it may be sent "
                    "again",
                    notification.pk,
                )
            return
        except (OperationalError, InterfaceError):
            if delay is None or connection.in_atomic_block:
                raise
            logger.warning("could not record notification %s as sent; retrying", notification.pk)
            connection.close()
            sleep(delay)


def requeue_stuck(*, now: datetime | None = None) -> int:
    """Release rows a dead worker left in `sending`, then enqueue every due queued row.

    Safe to run at any time and from two schedulers at once: claiming is compare-and-swap.
    Returns how many rows were handed to the broker.
    """
    now = now or timezone.now()
    stalled = Notification.objects.filter(
        status=Notification.Status.SENDING, claimed_at__lt=now - STUCK_AFTER
    )
    # Withdrawn while that worker was sending it: not sent again.
    _cancel_if_withdrawn(stalled)
    # Each stall may have reached the provider: stop after MAX_ATTEMPTS rather than resend for ever.
    stalled.filter(attempts__gte=MAX_ATTEMPTS).update(
        status=Notification.Status.FAILED,
        last_error="A worker stopped while sending, too many times",
    )
    stalled.update(status=Notification.Status.QUEUED, claimed_at=None)
    due = Notification.objects.filter(
        status=Notification.Status.QUEUED, scheduled_for__lte=now
    ).values_list("uuid", flat=True)[:5000]
    return enqueue_deliveries(list(due))
