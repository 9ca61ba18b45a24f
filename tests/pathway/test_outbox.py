"""The outbox (DESIGN.md section 6): rows queued once, delivered once, never lost.

The broker seam is `pathway.notifications.outbox.enqueue_delivery` (or the task's `apply_async`
when the broker itself is under test); the provider seam is the backend's `send`.
"""

from datetime import datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from pathway.models import Notification
from pathway.notifications import outbox
from pathway.notifications.backends import ConsoleBackend, DeliveryError
from pathway.tasks import deliver_notification, deliver_notifications

LONDON = ZoneInfo("Europe/London")
NOON = datetime(2026, 3, 10, 12, 0, tzinfo=LONDON)
LINK = "https://pathway.example/sign-in"


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


def enqueue_seam(**kwargs):
    """The one seam between the outbox and the broker."""
    return mock.patch("pathway.notifications.outbox.enqueue_delivery", **kwargs)


def batch_seam():
    """The broker's side of handing many rows over at once."""
    return mock.patch.object(deliver_notifications, "apply_async")


def at(moment: datetime):
    """Freeze `timezone.now()` for the outbox and the rows it writes."""
    return mock.patch("django.utils.timezone.now", return_value=moment)


def _queue(*, key="test-1", channel="sms", moment=NOON, **recipient):
    with at(moment - timedelta(minutes=1)):
        row, _ = outbox.queue_notification(
            channel=channel,
            kind="test",
            template="test",
            idempotency_key=key,
            context={"link": LINK},
            **recipient,
        )
    return row


def _deliver(row, moment=NOON) -> str:
    with at(moment):
        return outbox.deliver(row.uuid)


def _reload(row) -> Notification:
    row.refresh_from_db()
    return row


# Queueing


def test_it_creates_nothing_on_a_second_call_with_the_same_key(world):
    first, created = outbox.queue_notification(
        channel="sms", kind="test", template="test", idempotency_key="k", patient=world.patient
    )
    again, created_again = outbox.queue_notification(
        channel="email",
        kind="other",
        template="other",
        idempotency_key="k",
        patient=world.other_patient,
    )
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert Notification.objects.count() == 1
    assert _reload(first).channel == "sms"
    assert first.patient == world.patient


def test_it_enqueues_delivery_only_when_the_transaction_commits(
    world, django_capture_on_commit_callbacks
):
    with enqueue_seam() as enqueue:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            row, _ = outbox.queue_notification(
                channel="sms",
                kind="test",
                template="test",
                idempotency_key="k",
                patient=world.patient,
            )
            enqueue.assert_not_called()
        # Only once the block (the transaction) ends does the broker hear of the row.
        assert len(callbacks) == 1
        enqueue.assert_called_once_with(row.uuid)


def test_it_enqueues_nothing_for_a_repeated_key(world, django_capture_on_commit_callbacks):
    _queue(patient=world.patient)
    with enqueue_seam() as enqueue, django_capture_on_commit_callbacks(execute=True) as callbacks:
        _queue(patient=world.patient)
    assert callbacks == []
    enqueue.assert_not_called()


def test_it_does_not_enqueue_a_row_scheduled_for_later(world, django_capture_on_commit_callbacks):
    with (
        enqueue_seam() as enqueue,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        at(NOON),
    ):
        outbox.queue_notification(
            channel="sms",
            kind="test",
            template="test",
            idempotency_key="later",
            patient=world.patient,
            scheduled_for=NOON + timedelta(days=2),
        )
    assert callbacks == []
    enqueue.assert_not_called()


def test_it_leaves_no_row_and_enqueues_nothing_when_the_change_rolls_back(
    world, django_capture_on_commit_callbacks
):
    with (
        enqueue_seam() as enqueue,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _queue(patient=world.patient)
        raise RuntimeError("the change that caused the message failed")
    assert callbacks == []
    enqueue.assert_not_called()
    assert not Notification.objects.exists()


def test_it_hands_the_broker_a_uuid_string(world):
    row = _queue(patient=world.patient)
    with mock.patch.object(deliver_notification, "apply_async") as apply_async:
        assert outbox.enqueue_delivery(row.uuid, countdown=30) is True
    apply_async.assert_called_once_with(args=[str(row.uuid)], countdown=30, retry=False)


# The broker being down loses nothing.


def test_it_keeps_the_row_queued_when_the_broker_is_down(world, django_capture_on_commit_callbacks):
    with mock.patch.object(
        deliver_notification, "apply_async", side_effect=OperationalError("connection refused")
    ) as apply_async:
        with django_capture_on_commit_callbacks(execute=True):
            row = _queue(patient=world.patient, moment=timezone.now())
        assert apply_async.call_count == 1
        assert outbox.enqueue_delivery(row.uuid) is False
    with mock.patch.object(
        deliver_notifications, "apply_async", side_effect=OperationalError("connection refused")
    ):
        assert outbox.requeue_stuck() == 0
    assert _reload(row).status == Notification.Status.QUEUED
    assert row.attempts == 0


# Delivering


def test_it_sends_through_the_console_backend_and_marks_the_row_sent(world, caplog):
    row = _queue(patient=world.patient)
    with caplog.at_level("INFO", logger="pathway.notifications.backends"):
        assert _deliver(row) == Notification.Status.SENT
    row = _reload(row)
    assert row.status == Notification.Status.SENT
    assert row.sent_at == NOON
    assert row.provider_reference.startswith("console-")
    assert row.attempts == 1
    assert row.last_error == ""
    assert "console sms message sent" in caplog.text
    # The console log never holds the message itself.
    assert LINK not in caplog.text
    assert world.patient.mobile not in caplog.text


def test_it_sends_an_email_with_subject_text_and_html(world, settings):
    settings.NOTIFY_EMAIL_BACKEND = "smtp"
    row = _queue(patient=world.patient, channel="email")
    assert _deliver(row) == Notification.Status.SENT
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [world.patient.email]
    assert email.subject == "A new message about your care"
    assert email.body == f"Sign in to read it: {LINK}"
    assert email.alternatives[0][1] == "text/html"
    assert _reload(row).provider_reference.startswith("smtp-")


def test_it_emails_a_staff_recipient_at_their_own_address(world, settings):
    settings.NOTIFY_EMAIL_BACKEND = "smtp"
    row = _queue(user=world.gp, channel="email")
    assert _deliver(row) == Notification.Status.SENT
    assert mail.outbox[0].to == [world.gp.email]


def test_it_cannot_be_claimed_twice(world):
    row = _queue(patient=world.patient)
    with mock.patch.object(ConsoleBackend, "send", autospec=True, return_value="ref-1") as send:
        assert _deliver(row) == Notification.Status.SENT
        assert _deliver(row) == "skipped"
    assert send.call_count == 1
    assert _reload(row).attempts == 1


def test_it_does_not_claim_a_row_someone_else_is_sending(world):
    row = _queue(patient=world.patient)
    with at(NOON):
        assert outbox.claim(row.uuid) is not None
        assert outbox.claim(row.uuid) is None


def test_it_does_not_claim_a_row_before_its_time(world):
    row = _queue(patient=world.patient)
    assert _deliver(row, moment=NOON - timedelta(hours=1)) == "skipped"
    assert _reload(row).status == Notification.Status.QUEUED


@pytest.mark.parametrize(
    "change",
    [
        {"sms_consent": False},
        {"mobile": "", "sms_consent": False},
        {"opted_out_at": NOON - timedelta(days=1)},
    ],
    ids=["no-consent", "no-mobile", "opted-out"],
)
def test_it_cancels_a_message_the_patient_has_not_agreed_to(world, change):
    row = _queue(patient=world.patient)
    for name, value in change.items():
        setattr(world.patient, name, value)
    world.patient.save()
    with mock.patch.object(ConsoleBackend, "send", autospec=True) as send:
        assert _deliver(row) == Notification.Status.CANCELLED
    send.assert_not_called()
    row = _reload(row)
    assert row.status == Notification.Status.CANCELLED
    assert row.sent_at is None
    assert row.last_error


def test_it_cancels_an_email_to_a_patient_who_opted_out(world):
    row = _queue(patient=world.patient, channel="email")
    world.patient.opted_out_at = NOON - timedelta(days=1)
    world.patient.save()
    assert _deliver(row) == Notification.Status.CANCELLED


def test_it_cancels_an_email_to_staff_whose_account_was_closed_after_it_was_queued(world):
    row = _queue(user=world.clinician, channel="email")
    world.clinician.is_active = False
    world.clinician.save()
    with mock.patch.object(ConsoleBackend, "send", autospec=True) as send:
        assert _deliver(row) == Notification.Status.CANCELLED
    send.assert_not_called()
    assert _reload(row).last_error == outbox.LEFT
    world.clinician.is_active = True
    world.clinician.save()
    assert _deliver(_queue(key="test-2", user=world.clinician, channel="email")) == "sent"


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # Winter (GMT): 21:30 waits for 08:00 the next morning.
        (datetime(2026, 1, 15, 21, 30, tzinfo=LONDON), datetime(2026, 1, 16, 8, 0, tzinfo=LONDON)),
        # Summer (BST): still 08:00 London time, which is 07:00 UTC.
        (datetime(2026, 7, 15, 21, 30, tzinfo=LONDON), datetime(2026, 7, 16, 8, 0, tzinfo=LONDON)),
        # Early morning waits for 08:00 the same day.
        (datetime(2026, 1, 15, 6, 15, tzinfo=LONDON), datetime(2026, 1, 15, 8, 0, tzinfo=LONDON)),
        # The first quiet minute.
        (datetime(2026, 1, 15, 20, 0, tzinfo=LONDON), datetime(2026, 1, 16, 8, 0, tzinfo=LONDON)),
    ],
    ids=["winter-evening", "summer-evening", "early-morning", "eight-pm"],
)
def test_it_holds_a_text_message_in_quiet_hours_until_eight_am(world, now, expected):
    row = _queue(patient=world.patient, moment=now)
    with mock.patch.object(ConsoleBackend, "send", autospec=True) as send:
        assert _deliver(row, moment=now) == Notification.Status.QUEUED
    send.assert_not_called()
    row = _reload(row)
    assert row.status == Notification.Status.QUEUED
    assert row.scheduled_for == expected
    assert row.claimed_at is None
    assert row.attempts == 0


def test_it_sends_a_text_message_at_eight_am(world):
    eight = datetime(2026, 1, 16, 8, 0, tzinfo=LONDON)
    row = _queue(patient=world.patient, moment=eight)
    assert _deliver(row, moment=eight) == Notification.Status.SENT


def test_it_sends_email_in_quiet_hours(world):
    late = datetime(2026, 1, 15, 23, 0, tzinfo=LONDON)
    row = _queue(patient=world.patient, channel="email", moment=late)
    assert _deliver(row, moment=late) == Notification.Status.SENT


def test_it_retries_a_transient_failure_with_backoff(world, django_capture_on_commit_callbacks):
    row = _queue(patient=world.patient)
    failing = mock.patch.object(
        ConsoleBackend, "send", autospec=True, side_effect=DeliveryError("timed out")
    )
    with failing, enqueue_seam() as enqueue, django_capture_on_commit_callbacks(execute=True):
        assert _deliver(row) == Notification.Status.QUEUED
    row = _reload(row)
    assert row.status == Notification.Status.QUEUED
    assert row.last_error == "timed out"
    assert row.attempts == 1
    assert row.claimed_at is None
    assert row.scheduled_for == NOON + timedelta(seconds=30)
    enqueue.assert_called_once_with(row.uuid, countdown=30)


def test_it_fails_a_permanent_error_at_once(world):
    row = _queue(patient=world.patient)
    rejected = DeliveryError("bad number", permanent=True)
    with mock.patch.object(ConsoleBackend, "send", autospec=True, side_effect=rejected):
        assert _deliver(row) == Notification.Status.FAILED
    row = _reload(row)
    assert (row.status, row.last_error, row.attempts) == ("failed", "bad number", 1)
    assert row.sent_at is None


def test_it_fails_after_max_attempts_of_transient_errors(world):
    row = _queue(patient=world.patient)
    moment = NOON
    results, delays = [], []
    with mock.patch.object(
        ConsoleBackend, "send", autospec=True, side_effect=DeliveryError("timed out")
    ) as send:
        for _ in range(outbox.MAX_ATTEMPTS):
            results.append(_deliver(row, moment=moment))
            row = _reload(row)
            delays.append(row.scheduled_for - moment)
            moment = row.scheduled_for
        assert _deliver(row, moment=moment + timedelta(hours=1)) == "skipped"
    assert results == ["queued"] * (outbox.MAX_ATTEMPTS - 1) + ["failed"]
    assert delays[:4] == [timedelta(seconds=s) for s in (30, 60, 120, 240)]
    # About an hour of attempts before giving up: an outage of minutes fails nothing.
    assert sum(delays[:-1], timedelta()) > timedelta(minutes=60)
    assert send.call_count == outbox.MAX_ATTEMPTS
    assert (row.status, row.attempts) == ("failed", outbox.MAX_ATTEMPTS)


def test_a_fault_in_the_providers_client_is_retried_with_its_name_kept(world):
    row = _queue(patient=world.patient)
    fault = AssertionError("API key must be 74 characters")
    with mock.patch.object(ConsoleBackend, "send", autospec=True, side_effect=fault):
        assert _deliver(row) == Notification.Status.QUEUED
    row = _reload(row)
    assert row.status == "queued" and row.claimed_at is None
    assert row.last_error == "AssertionError: API key must be 74 characters"
    assert row.scheduled_for == NOON + timedelta(seconds=30)


# The beat sweep


def test_it_releases_stuck_rows_and_enqueues_everything_due(world):
    def row(key, **fields):
        created = _queue(key=key, patient=world.patient)
        Notification.objects.filter(pk=created.pk).update(**fields)
        return created

    stuck = row("stuck", status="sending", claimed_at=NOON - timedelta(minutes=11))
    busy = row("busy", status="sending", claimed_at=NOON - timedelta(minutes=5))
    due = row("due")
    later = row("later", scheduled_for=NOON + timedelta(hours=1))
    done = row("done", status="sent", sent_at=NOON, claimed_at=NOON)

    with batch_seam() as enqueue:
        assert outbox.requeue_stuck(now=NOON) == 2
    (batch,) = [c.kwargs["args"][0] for c in enqueue.call_args_list]
    assert set(batch) == {str(stuck.uuid), str(due.uuid)}
    assert (_reload(stuck).status, stuck.claimed_at) == ("queued", None)
    assert _reload(busy).status == "sending"
    assert _reload(later).status == "queued"
    assert _reload(done).status == "sent"


def test_it_fails_a_row_that_keeps_stalling_workers_instead_of_retrying_for_ever(world):
    # Each stall may have reached the provider, so unbounded retries could text a patient
    # every ten minutes for ever; the retry limit applies here as it does to transient errors.
    poison = _queue(key="poison", patient=world.patient)
    Notification.objects.filter(pk=poison.pk).update(
        status="sending",
        claimed_at=NOON - timedelta(minutes=11),
        attempts=outbox.MAX_ATTEMPTS,
    )
    with batch_seam() as enqueue:
        outbox.requeue_stuck(now=NOON)
    enqueue.assert_not_called()
    poison = _reload(poison)
    assert poison.status == Notification.Status.FAILED
    assert poison.last_error


def test_it_fails_a_message_whose_template_is_missing_instead_of_leaving_it_sending(world):
    # A template typo cannot be fixed by retrying; a row left in `sending` would be re-sent by
    # the sweep for ever and never show as failed to staff.
    with at(NOON - timedelta(minutes=1)):
        row, _ = outbox.queue_notification(
            channel="sms",
            kind="test",
            template="no-such-template",
            idempotency_key="typo",
            patient=world.patient,
        )
    assert _deliver(row) == Notification.Status.FAILED
    row = _reload(row)
    assert row.status == Notification.Status.FAILED
    assert "no-such-template" in row.last_error


def test_it_delivers_through_the_task_given_a_uuid_string(world):
    row = _queue(patient=world.patient)
    with at(NOON):
        assert deliver_notification(str(row.uuid)) == Notification.Status.SENT


# Queueing many at once (the reminder planners)


def _drafts(world, keys, *, moment=NOON):
    return [
        outbox.draft(
            channel="email",
            kind="test",
            template="test",
            idempotency_key=key,
            patient=world.patient,
            context={"link": LINK},
            scheduled_for=moment,
        )
        for key in keys
    ]


def test_queue_many_saves_new_keys_once_and_skips_keys_queued_before(world):
    _queue(key="seen", patient=world.patient)
    with batch_seam():
        saved = outbox.queue_many(_drafts(world, ["seen", "a", "b", "a"]))
    assert sorted(row.idempotency_key for row in saved) == ["a", "b"]
    assert Notification.objects.filter(idempotency_key__in=["a", "b", "seen"]).count() == 3
    with batch_seam():
        assert outbox.queue_many(_drafts(world, ["a", "b"])) == []


def test_queue_many_costs_the_same_queries_for_three_rows_or_thirty(
    world, django_assert_max_num_queries, django_assert_num_queries
):
    with batch_seam(), django_assert_max_num_queries(10) as few:
        outbox.queue_many(_drafts(world, [f"few-{n}" for n in range(3)]))
    with batch_seam(), django_assert_num_queries(len(few.captured_queries)):
        outbox.queue_many(_drafts(world, [f"many-{n}" for n in range(30)]))


def test_queue_many_hands_due_rows_to_the_worker_on_commit_and_holds_later_ones(
    world, django_capture_on_commit_callbacks
):
    later = timezone.now() + timedelta(hours=3)
    due = _drafts(world, ["due"], moment=timezone.now() - timedelta(minutes=1))
    with batch_seam() as enqueue, django_capture_on_commit_callbacks(execute=True):
        outbox.queue_many(due + _drafts(world, ["later"], moment=later))
    enqueue.assert_called_once_with(args=[[str(due[0].uuid)]], retry=False)


@pytest.mark.django_db(transaction=True)
def test_a_claim_outside_any_transaction_skips_the_disk_wait_only_on_postgresql(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    row = _queue(patient=world.patient)
    with CaptureQueriesContext(connection) as queries, at(NOON):
        assert outbox.claim(row.uuid) is not None
    relaxed = [q["sql"] for q in queries.captured_queries if "synchronous_commit" in q["sql"]]
    assert len(relaxed) == (1 if connection.vendor == "postgresql" else 0)
    other = _queue(key="test-2", patient=world.patient)
    with CaptureQueriesContext(connection) as nested, transaction.atomic(), at(NOON):
        assert outbox.claim(other.uuid) is not None
    assert not any("synchronous_commit" in q["sql"] for q in nested.captured_queries)


@pytest.mark.django_db(transaction=True)
def test_a_send_is_recorded_once_the_database_is_back_so_it_is_not_sent_again(world):
    from django.db import OperationalError

    row = _queue(patient=world.patient)
    real_finish = outbox._finish
    failures = iter([OperationalError("server closed the connection"), None])

    def flaky_finish(notification, **fields):
        if fields.get("status") == Notification.Status.SENT:
            error = next(failures)
            if error is not None:
                raise error
        return real_finish(notification, **fields)

    with (
        mock.patch.object(outbox, "_finish", side_effect=flaky_finish),
        mock.patch.object(outbox, "sleep") as slept,
        mock.patch.object(ConsoleBackend, "send", autospec=True, return_value="ref-1") as send,
    ):
        assert _deliver(row) == Notification.Status.SENT
    assert send.call_count == 1
    assert slept.call_count == 1
    assert _reload(row).status == Notification.Status.SENT
    assert _reload(row).provider_reference == "ref-1"


@pytest.mark.django_db(transaction=True)
def test_a_send_that_cannot_be_recorded_in_time_raises_and_leaves_the_row_sending(world):
    from django.db import OperationalError

    row = _queue(patient=world.patient)
    real_finish = outbox._finish

    def down_for_sent(notification, **fields):
        if fields.get("status") == Notification.Status.SENT:
            raise OperationalError("could not connect to server")
        return real_finish(notification, **fields)

    with (
        mock.patch.object(outbox, "_finish", side_effect=down_for_sent),
        mock.patch.object(outbox, "sleep") as slept,
        pytest.raises(OperationalError),
    ):
        _deliver(row)
    assert slept.call_count == len(outbox.RECORD_RETRY_DELAYS)
    assert sum(outbox.RECORD_RETRY_DELAYS) < 90  # inside the task's soft time limit
    assert _reload(row).status == Notification.Status.SENDING  # the sweep's to decide


@pytest.mark.django_db(transaction=True)
def test_a_claim_lost_with_the_database_is_logged_when_the_send_is_recorded(world, caplog):
    from django.db import OperationalError

    row = _queue(patient=world.patient)
    real_finish = outbox._finish
    calls = []

    def crash_then_lost_claim(notification, **fields):
        if fields.get("status") == Notification.Status.SENT and not calls:
            calls.append(1)
            Notification.objects.filter(pk=notification.pk).update(
                status=Notification.Status.QUEUED, claimed_at=None
            )
            raise OperationalError("server closed the connection")
        return real_finish(notification, **fields)

    with (
        mock.patch.object(outbox, "_finish", side_effect=crash_then_lost_claim),
        mock.patch.object(outbox, "sleep"),
    ):
        assert _deliver(row) == Notification.Status.SENT
    assert _reload(row).status == Notification.Status.QUEUED
    assert "lost its claim" in caplog.text


def test_many_due_rows_go_to_the_worker_in_batches_and_each_is_sent_once(world):
    count = outbox.DELIVERY_BATCH + 3
    rows = [_queue(key=f"batch-{n}", patient=world.patient) for n in range(count)]
    with batch_seam() as enqueue:
        assert outbox.enqueue_deliveries([row.uuid for row in rows]) == len(rows)
    batches = [c.kwargs["args"][0] for c in enqueue.call_args_list]
    assert [len(batch) for batch in batches] == [outbox.DELIVERY_BATCH, 3]
    with at(NOON), mock.patch.object(ConsoleBackend, "send", return_value="ref") as send:
        assert deliver_notifications(batches[1]) == 3
        assert deliver_notifications(batches[1]) == 0  # handed over twice, sent once
    assert send.call_count == 3


def test_a_slow_batch_hands_the_rows_it_has_not_started_back_to_the_broker(world):
    rows = [_queue(key=f"slow-{n}", patient=world.patient) for n in range(5)]
    uuids = [str(row.uuid) for row in rows]
    # Seconds since the batch began, read before each row: the third row is reached late.
    clock = iter([0, 0, outbox.BATCH_SECONDS - 1, outbox.BATCH_SECONDS])
    with (
        at(NOON),
        mock.patch.object(outbox, "monotonic", side_effect=lambda: next(clock)),
        mock.patch.object(ConsoleBackend, "send", return_value="ref") as send,
        batch_seam() as enqueue,
    ):
        assert deliver_notifications(uuids) == 2
    assert send.call_count == 2
    assert [c.kwargs["args"][0] for c in enqueue.call_args_list] == [uuids[2:]]
    statuses = [_reload(row).status for row in rows]
    assert statuses == ["sent", "sent", "queued", "queued", "queued"]


def test_a_delivery_task_has_room_to_send_and_record_before_its_time_limit():
    limit = outbox.delivery_soft_time_limit()
    slowest_send = max(settings.NOTIFY_TIMEOUT, settings.EMAIL_TIMEOUT)
    assert limit > outbox.BATCH_SECONDS + slowest_send + sum(outbox.RECORD_RETRY_DELAYS)
    for task in (deliver_notification, deliver_notifications):
        assert task.soft_time_limit == limit
        assert task.time_limit > limit


def test_a_broker_failure_midway_leaves_the_rest_queued_for_the_sweep(world):
    count = outbox.DELIVERY_BATCH + 3
    rows = [_queue(key=f"down-{n}", patient=world.patient) for n in range(count)]
    with mock.patch.object(
        deliver_notifications,
        "apply_async",
        side_effect=[None, OperationalError("connection refused")],
    ):
        assert outbox.enqueue_deliveries([row.uuid for row in rows]) == outbox.DELIVERY_BATCH
    queued = Notification.objects.filter(status="queued", idempotency_key__startswith="down-")
    assert queued.count() == count
