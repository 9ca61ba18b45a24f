"""Messages that are no longer true are not sent: rows withdrawn by key prefix in the caller's
transaction, and rows past their `expires_at` cancelled at delivery (DESIGN.md section 6)."""

from datetime import datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from pathway.models import Notification
from pathway.notifications import outbox
from pathway.notifications.backends import ConsoleBackend, DeliveryError

LONDON = ZoneInfo("Europe/London")
NOON = datetime(2026, 3, 10, 12, 0, tzinfo=LONDON)
EVENING = datetime(2026, 3, 10, 20, 30, tzinfo=LONDON)


@pytest.fixture(autouse=True)
def message_templates(settings, tmp_path):
    """Test-only message templates, found before the app's own."""
    (tmp_path / "sms").mkdir()
    (tmp_path / "emails").mkdir()
    (tmp_path / "sms" / "test.txt").write_text("You have a new message. Sign in: {{ link }}\n")
    (tmp_path / "emails" / "test-subject.txt").write_text("A new message about your care\n")
    (tmp_path / "emails" / "test-body.txt").write_text("Sign in to read it: {{ link }}\n")
    (tmp_path / "emails" / "test-body.html").write_text('<p><a href="{{ link }}">Sign in</a></p>')
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**engine, "DIRS": [tmp_path, *engine["DIRS"]]}]
    settings.NOTIFY_SMS_BACKEND = "console"
    settings.NOTIFY_EMAIL_BACKEND = "console"


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    monkeypatch.setattr("pathway.notifications.outbox.enqueue_delivery", lambda *a, **k: True)


def at(moment: datetime):
    return mock.patch("django.utils.timezone.now", return_value=moment)


def _queue(patient, *, key, channel="sms", moment=NOON, expires_at=None):
    with at(moment - timedelta(minutes=1)):
        row, _ = outbox.queue_notification(
            channel=channel,
            kind="test",
            template="test",
            idempotency_key=key,
            patient=patient,
            context={"link": "https://pathway.example/sign-in"},
            expires_at=expires_at,
        )
    return row


def _reload(row) -> Notification:
    row.refresh_from_db()
    return row


def _deliver(row, moment=NOON) -> tuple[str, int]:
    """Deliver the row at `moment`: (its status afterwards, how many messages went out)."""
    with at(moment), mock.patch.object(ConsoleBackend, "send", return_value="ref") as send:
        status = outbox.deliver(row.uuid)
    return status, send.call_count


# Withdrawing


def test_it_withdraws_only_queued_rows_under_the_prefix_and_says_why(world):
    sms = _queue(world.patient, key="appointment-tomorrow:A1:20260311T1000:sms")
    email = _queue(
        world.patient, key="appointment-tomorrow:A1:20260311T1000:email", channel="email"
    )
    other = _queue(world.patient, key="appointment-tomorrow:A12:20260311T1000:sms")
    sent = _queue(world.patient, key="appointment-tomorrow:A1:20260310T0900:sms")
    _deliver(sent)
    withdrawn = outbox.withdraw_queued(
        prefix="appointment-tomorrow:A1:", reason="Withdrawn: the appointment was cancelled"
    )
    assert withdrawn == 2
    for row in (sms, email):
        row = _reload(row)
        assert row.status == Notification.Status.CANCELLED
        assert row.last_error == "Withdrawn: the appointment was cancelled"
    assert _reload(other).status == Notification.Status.QUEUED
    assert _reload(sent).status == Notification.Status.SENT


def test_a_withdrawn_row_is_never_claimed_or_sent(world):
    row = _queue(world.patient, key="k:1:sms")
    outbox.withdraw_queued(prefix="k:1:", reason="Withdrawn")
    assert _deliver(row) == ("skipped", 0)


def test_a_row_being_sent_is_left_to_finish(world):
    row = _queue(world.patient, key="k:1:sms")
    with at(NOON):
        outbox.claim(row.uuid)
    assert outbox.withdraw_queued(prefix="k:1:", reason="Withdrawn") == 0
    assert _reload(row).status == Notification.Status.SENDING


def test_a_row_withdrawn_while_its_send_fails_is_cancelled_not_retried(world):
    row = _queue(world.patient, key="appointment-tomorrow:A1:20260311T1000:sms")

    def send(message):
        # The appointment is cancelled while the provider is being waited on, then it fails.
        outbox.withdraw_queued(
            prefix="appointment-tomorrow:A1:", reason="Withdrawn: the appointment was cancelled"
        )
        raise DeliveryError("timeout")

    with at(NOON), mock.patch.object(ConsoleBackend, "send", side_effect=send):
        assert outbox.deliver(row.uuid) == Notification.Status.CANCELLED
    row = _reload(row)
    assert row.status == Notification.Status.CANCELLED
    assert row.last_error == "Withdrawn: the appointment was cancelled"
    assert row.idempotency_key.startswith(f"withdrawn:{row.pk}:")
    assert _deliver(row, NOON + timedelta(minutes=5)) == ("skipped", 0)


def test_a_row_withdrawn_while_its_send_fails_for_good_is_cancelled_not_listed_as_failed(world):
    row = _queue(world.patient, key="k:1:sms")

    def send(message):
        outbox.withdraw_queued(prefix="k:1:", reason="Withdrawn: the appointment was cancelled")
        raise DeliveryError("Notify 400", permanent=True)

    with at(NOON), mock.patch.object(ConsoleBackend, "send", side_effect=send):
        assert outbox.deliver(row.uuid) == Notification.Status.CANCELLED
    row = _reload(row)
    assert (row.status, row.last_error) == ("cancelled", "Withdrawn: the appointment was cancelled")
    assert row.idempotency_key.startswith("withdrawn:")


def test_a_row_withdrawn_while_being_sent_is_sent_once_when_the_send_goes_through(world):
    row = _queue(world.patient, key="k:1:sms")

    def send(message):
        outbox.withdraw_queued(prefix="k:1:", reason="Withdrawn")
        return "ref"

    with at(NOON), mock.patch.object(ConsoleBackend, "send", side_effect=send) as sent:
        assert outbox.deliver(row.uuid) == Notification.Status.SENT
    assert sent.call_count == 1 and _reload(row).status == Notification.Status.SENT


def test_a_row_withdrawn_while_its_worker_died_is_not_sent_again(world):
    row = _queue(world.patient, key="k:1:sms")
    with at(NOON):
        outbox.claim(row.uuid)
    outbox.withdraw_queued(prefix="k:1:", reason="Withdrawn: the session was cancelled")
    with at(NOON + outbox.STUCK_AFTER + timedelta(minutes=1)):
        outbox.requeue_stuck()
    row = _reload(row)
    assert row.status == Notification.Status.CANCELLED
    assert row.last_error == "Withdrawn: the session was cancelled"
    assert _deliver(row, NOON + timedelta(hours=1)) == ("skipped", 0)


def test_a_row_put_back_just_as_it_was_withdrawn_is_cancelled_when_next_claimed(world):
    row = _queue(world.patient, key="k:1:sms")
    with at(NOON):
        outbox.claim(row.uuid)
    outbox.withdraw_queued(prefix="k:1:", reason="Withdrawn")
    # The worker's failed attempt hands the row back after the withdrawal looked at it.
    Notification.objects.filter(pk=row.pk).update(status="queued", claimed_at=None)
    assert _deliver(row, NOON + timedelta(minutes=1)) == (Notification.Status.CANCELLED, 0)
    assert _reload(row).last_error == "Withdrawn"


def test_a_withdrawn_key_can_be_queued_again(world):
    first = _queue(world.patient, key="appointment-booked:A1:20260311T1000:sms")
    outbox.withdraw_queued(prefix="appointment-booked:A1:", reason="Withdrawn")
    again = _queue(world.patient, key="appointment-booked:A1:20260311T1000:sms")
    assert again.pk != first.pk
    assert again.status == Notification.Status.QUEUED
    assert _reload(first).idempotency_key == (
        f"withdrawn:{first.pk}:appointment-booked:A1:20260311T1000:sms"
    )
    # Queueing it once more still changes nothing: the key is taken by the live row.
    assert _queue(world.patient, key="appointment-booked:A1:20260311T1000:sms").pk == again.pk


def test_a_long_key_withdrawn_twice_stays_unique_within_the_column(world):
    key = "x" * 198 + ":s"
    first = _queue(world.patient, key=key)
    outbox.withdraw_queued(prefix="x", reason="Withdrawn")
    second = _queue(world.patient, key=key)
    outbox.withdraw_queued(prefix="x", reason="Withdrawn")
    keys = {_reload(first).idempotency_key, _reload(second).idempotency_key}
    assert len(keys) == 2
    assert all(len(k) <= 200 for k in keys)


def test_a_withdrawal_rolls_back_with_the_change_that_caused_it(world):
    row = _queue(world.patient, key="k:1:sms")
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.withdraw_queued(prefix="k:1:", reason="Withdrawn")
        raise RuntimeError("the cancellation failed")
    assert _reload(row).status == Notification.Status.QUEUED


def test_an_empty_prefix_is_refused_rather_than_withdrawing_everything(world):
    _queue(world.patient, key="k:1:sms")
    with pytest.raises(ValueError):
        outbox.withdraw_queued(prefix="", reason="Withdrawn")
    assert Notification.objects.get().status == Notification.Status.QUEUED


# Expiring


def test_a_message_past_its_expiry_is_cancelled_not_sent(world):
    row = _queue(world.patient, key="k:1:email", channel="email", expires_at=NOON)
    assert _deliver(row, moment=NOON) == (Notification.Status.CANCELLED, 0)
    row = _reload(row)
    assert row.status == Notification.Status.CANCELLED
    assert row.last_error == outbox.EXPIRED


def test_a_message_before_its_expiry_is_sent(world):
    row = _queue(world.patient, key="k:1:email", channel="email", expires_at=NOON)
    assert _deliver(row, moment=NOON - timedelta(seconds=1)) == (Notification.Status.SENT, 1)


def test_a_text_held_for_quiet_hours_past_its_expiry_is_cancelled_at_once(world):
    # Booked at 20:30 for 21:00: held to 08:00 it would announce an appointment already over.
    row = _queue(
        world.patient, key="k:1:sms", moment=EVENING, expires_at=EVENING + timedelta(minutes=30)
    )
    assert _deliver(row, moment=EVENING) == (Notification.Status.CANCELLED, 0)
    assert _reload(row).last_error == outbox.EXPIRED


def test_a_text_that_expires_after_eight_am_is_held_as_before(world):
    expires = datetime(2026, 3, 11, 10, 0, tzinfo=LONDON)
    row = _queue(world.patient, key="k:1:sms", moment=EVENING, expires_at=expires)
    assert _deliver(row, moment=EVENING) == (Notification.Status.QUEUED, 0)
    row = _reload(row)
    assert row.scheduled_for == datetime(2026, 3, 11, 8, 0, tzinfo=LONDON)
    assert _deliver(row, moment=row.scheduled_for) == (Notification.Status.SENT, 1)


def test_a_message_with_no_expiry_is_sent_however_late(world):
    row = _queue(world.patient, key="k:1:email", channel="email")
    assert _deliver(row, moment=NOON + timedelta(days=30)) == (Notification.Status.SENT, 1)


def test_drafts_queued_together_keep_their_expiry(world):
    outbox.queue_many(
        [
            outbox.draft(
                channel="email",
                kind="test",
                template="test",
                idempotency_key=f"k:{n}:email",
                patient=world.patient,
                expires_at=NOON,
            )
            for n in range(2)
        ]
    )
    saved = Notification.objects.filter(idempotency_key__in=["k:0:email", "k:1:email"])
    assert [row.expires_at for row in saved] == [NOON, NOON]
    row, _ = outbox.queue_draft(
        outbox.draft(
            channel="sms",
            kind="test",
            template="test",
            idempotency_key="k:9:sms",
            patient=world.patient,
            expires_at=NOON,
        )
    )
    assert _reload(row).expires_at == NOON
