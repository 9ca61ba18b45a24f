"""Fault tests on a real Redis and a real Celery worker (issue 6, item 11).

* 1,000 due reminders, the worker killed and restarted mid-batch: each is sent exactly once.
* Redis stopped: pages and saves keep working; the reminders go out once it is back.
* A provider answering 500s then recovering: sent. A permanent error: failed, and shown to staff.

They need REDIS_URL (a Redis server is available) and DATABASE_URL pointing at PostgreSQL: the
worker runs in its own process and must see the test database, which SQLite's in-memory test
database cannot share. Each test starts its own redis-server on a free port (so stopping it
disturbs nobody, and no other worker can take its tasks) and points this process's Celery app
at it. Run with, for example:

    REDIS_URL=redis://127.0.0.1:6379/0 \
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/reviews_faults \
    .venv/bin/python -m pytest tests/reviews/test_faults.py
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta
from datetime import time as dt_time
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from pathway.demo import synthetic_nhs_numbers
from pathway.models import Notification, Organisation, Patient
from pathway.notifications import outbox
from reviews import reminders
from reviews.models import Appointment
from tests.factories import EpisodeFactory, OrganisationFactory, UserFactory
from tests.reviews import builders
from tests.reviews.fakes import FakeHttpProvider, FakeSmtpServer, wait_for

ROOT = Path(__file__).resolve().parents[2]
CELERY = ROOT / ".venv" / "bin" / "celery"

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL"),
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="the worker must share the test database: needs DATABASE_URL=postgres://...",
    ),
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A private redis-server that a test can stop and start again on the same port."""

    def __init__(self, workdir: Path):
        self.port = _free_port()
        self.workdir = workdir
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(  # noqa: S603
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self._answers, timeout=10, message="redis-server did not start")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def queue_length(self) -> int:
        """Messages waiting on the default Celery queue (a Redis list)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as sock:
            sock.sendall(b"LLEN celery\r\n")
            return int(sock.recv(64).decode().strip().lstrip(":"))

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


class Worker:
    """`celery worker` in its own process group, on the test database and the private Redis."""

    def __init__(self, redis: RedisServer, logdir: Path, **env):
        settings = connection.settings_dict
        database = (
            f"postgres://{settings['USER']}:{settings['PASSWORD'] or ''}@"
            f"{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}"
        )
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "pathway.settings",
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": database,
            "REDIS_URL": redis.url,
            "VAR_DIR": str(logdir / "var"),
            "SECRET_KEY": "fault-tests-" + "x" * 60,
            "NOTIFY_SMS_BACKEND": "console",
            "LOG_LEVEL": "WARNING",
            **env,
        }
        self.log = logdir / "worker.log"
        self.process = None

    def start(self, concurrency: int = 4):
        ready_before = self._ready_count()
        with open(self.log, "a") as log:
            self.process = subprocess.Popen(  # noqa: S603
                [
                    str(CELERY),
                    "-A",
                    "tests.reviews.fault_worker",
                    "worker",
                    f"--concurrency={concurrency}",
                    "--pool=prefork",
                    "--without-gossip",
                    "--without-mingle",
                    "--loglevel=INFO",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for(
            lambda: self._ready_count() > ready_before or self.process.poll() is not None,
            timeout=30,
            message=f"worker did not start:\n{self._tail()}",
        )
        assert self.process.poll() is None, self._tail()

    def _ready_count(self) -> int:
        return self.log.read_text().count(" ready.") if self.log.exists() else 0

    def _tail(self) -> str:
        return self.log.read_text()[-3000:] if self.log.exists() else ""

    def kill(self):
        """SIGKILL the worker and its pool children at once: no warm shutdown, no acks."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def broker(redis_server):
    """Point this process's Celery app (used by on-commit enqueues) at the private Redis."""
    from pathway.celery import app

    old = app.conf.broker_url
    app.conf.broker_url = redis_server.url
    app._after_fork()  # drop pooled connections to the old broker
    yield redis_server
    app.conf.broker_url = old
    app._after_fork()


@pytest.fixture
def workers(tmp_path):
    started = []

    def make(redis, **env):
        worker = Worker(redis, tmp_path, **env)
        started.append(worker)
        return worker

    yield make
    for worker in started:
        worker.stop()


def _team(code: str):
    """A PCN (under an ICB) with one practice, and a clinician of the PCN."""
    icb = OrganisationFactory(kind="icb", ods_code=f"Q{code}")
    pcn = OrganisationFactory(kind="pcn", ods_code=f"U{code}", parent=icb)
    practice = OrganisationFactory(parent=pcn)
    return practice, UserFactory(role="clinician", organisations=[pcn])


def _patients(count: int, practice: Organisation, *, start: int) -> list[Patient]:
    now = timezone.now()
    numbers = synthetic_nhs_numbers(count, start=start)
    return Patient.objects.bulk_create(
        Patient(
            nhs_number=number,
            given_name="Fault",
            family_name=f"Test{i}",
            date_of_birth="1980-01-01",
            registered_practice=practice,
            email=f"patient{i}@fault.test",
            email_consent=True,
            consent_recorded_at=now,
        )
        for i, number in enumerate(numbers)
    )


def _statuses() -> dict[str, int]:
    return {
        status: Notification.objects.filter(status=status).count()
        for status in ("queued", "sending", "sent", "failed", "cancelled")
    }


def _make_due_now():
    """Planned messages go from 09:00; make them due now whatever the time of the test run."""
    Notification.objects.filter(scheduled_for__gt=timezone.now()).update(
        scheduled_for=timezone.now() - timedelta(seconds=1)
    )


SMTP_ENV = {
    "NOTIFY_EMAIL_BACKEND": "smtp",
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "EMAIL_HOST": "127.0.0.1",
}


def test_a_killed_and_restarted_worker_sends_1000_reminders_exactly_once(
    transactional_db, broker, workers
):
    practice, clinician = _team("F01")
    patients = _patients(1000, practice, start=999_600_000)
    noon_tomorrow = datetime.combine(
        timezone.localdate() + timedelta(days=1),
        dt_time(12),
        tzinfo=timezone.get_current_timezone(),
    )
    Appointment.objects.bulk_create(
        Appointment(
            patient=patient,
            clinician=clinician,
            kind="follow_up",
            start=noon_tomorrow + timedelta(seconds=i),
            duration_minutes=1,
            modality="phone",
        )
        for i, patient in enumerate(patients)
    )
    with FakeSmtpServer() as smtp:
        worker = workers(broker, EMAIL_PORT=str(smtp.port), **SMTP_ENV)
        worker.start()
        assert reminders.plan_appointment_reminders() == 1000
        _make_due_now()
        outbox.requeue_stuck()  # the beat sweep hands every due row to the broker

        wait_for(lambda: smtp.total >= 300, timeout=90, message=f"slow: {_statuses()}")
        # Kill it mid-batch while its processes are inside a send, not between the
        # provider's acknowledgement and the status update (see FakeSmtpServer.hold).
        smtp.hold()
        wait_for(
            lambda: smtp.waiting >= 4,
            timeout=20,
            interval=0.05,
            message="the worker's four processes did not all reach the provider",
        )
        worker.kill()
        killed_at = timezone.now()
        # The kernel closes a killed process's sockets: answer only once all four are gone,
        # so no acknowledgement reaches a process that could still record it.
        wait_for(smtp.senders_gone, timeout=10, interval=0.05, message="senders still open")
        smtp.release()
        assert 300 <= smtp.total < 1000
        stuck = Notification.objects.filter(status="sending").count()
        assert stuck >= 1  # rows claimed by the dead worker

        worker.start()
        # Let the restarted worker drain what is still on the broker.
        wait_for(
            lambda: broker.queue_length() == 0,
            timeout=90,
            message=f"restarted worker did not drain the broker: {_statuses()}",
        )
        # Rows the dead worker had claimed stay in `sending` (and any message it had reserved
        # stays unacknowledged on the broker) until the beat job's sweep: it releases rows
        # claimed more than STUCK_AFTER (ten minutes) ago and re-enqueues every due queued row.
        assert Notification.objects.filter(status="sending", claimed_at__lt=killed_at).exists()
        outbox.requeue_stuck(now=killed_at + outbox.STUCK_AFTER + timedelta(seconds=1))
        wait_for(
            lambda: Notification.objects.filter(status="sent").count() == 1000,
            timeout=60,
            message=f"not all sent: {_statuses()}",
        )
    assert _statuses()["sent"] == 1000
    assert smtp.total == 1000
    assert set(smtp.accepted.values()) == {1}
    assert set(smtp.accepted) == {p.email for p in patients}


# With the broker down a request must not hang; this bound only catches a hang (the task time
# limit is 120 s), it is not a timing target.
HANG_LIMIT = 20


def test_with_redis_stopped_pages_and_saves_work_and_reminders_go_once_it_is_back(
    transactional_db, broker, workers, client, settings
):
    settings.SECURE_SSL_REDIRECT = False
    practice, clinician = _team("F02")
    patients = _patients(3, practice, start=999_700_000)
    client.force_login(clinician, backend="django.contrib.auth.backends.ModelBackend")
    broker.stop()

    for i, patient in enumerate(patients):
        episode = patient.episodes.create(
            condition="headache", status="active", opened_at=timezone.now()
        )
        builders.under_care(patient)  # reviews follow the first conversation
        day = timezone.localdate() + timedelta(days=3)
        started = time.monotonic()
        response = client.post(
            reverse("reviews:appointment-create", kwargs={"patient_uuid": patient.uuid}),
            {
                "kind": "follow_up",
                "episode": episode.pk,
                "start_date": day.isoformat(),
                "start_time": f"{10 + i}:00",
                "modality": "phone",
                "clinician": clinician.pk,
            },
        )
        assert response.status_code == 302, response.content.decode()[-2000:]
        assert time.monotonic() - started < HANG_LIMIT
        started = time.monotonic()
        assert client.get(reverse("reviews:worklist")).status_code == 200
        assert client.get(reverse("reviews:appointments")).status_code == 200
        assert time.monotonic() - started < HANG_LIMIT
    assert Appointment.objects.count() == 3
    assert _statuses()["queued"] == 3  # one email each; nothing lost, nothing sent yet

    with FakeSmtpServer() as smtp:
        broker.start()
        worker = workers(broker, EMAIL_PORT=str(smtp.port), **SMTP_ENV)
        worker.start()
        assert smtp.total == 0  # nothing was handed to the broker while it was down
        outbox.requeue_stuck()  # the beat sweep, once Redis is back
        wait_for(lambda: _statuses()["sent"] == 3, timeout=30, message=f"{_statuses()}")
        outbox.requeue_stuck()  # a second sweep finds nothing to send
        time.sleep(1)
    assert smtp.total == 3 and set(smtp.accepted.values()) == {1}


def test_a_provider_failing_then_recovering_sends_and_a_permanent_error_fails_visibly(
    transactional_db, broker, workers, client
):
    practice, clinician = _team("F03")
    good, bad = _patients(2, practice, start=999_800_000)
    for patient in (good, bad):
        EpisodeFactory(patient=patient)  # questionnaires go to patients under care
    with FakeHttpProvider(fail_first=2, reject=frozenset({bad.email})) as provider:
        worker = workers(broker, NOTIFY_EMAIL_BACKEND="fake_http", FAKE_PROVIDER_URL=provider.url)
        worker.start()
        from reviews.services.questionnaires import request_questionnaire

        for patient in (good, bad):
            request_questionnaire(actor=clinician, patient=patient, instrument="PHQ-9")
        good_row = Notification.objects.get(patient=good)
        bad_row = Notification.objects.get(patient=bad)
        # The first two requests answer 500: both rows are retried with backoff (30 s), then
        # the good one is sent and the bad one refused for good (400).
        wait_for(
            lambda: Notification.objects.filter(pk=good_row.pk, attempts__gte=1).exists(),
            timeout=20,
        )
        wait_for(
            lambda: Notification.objects.filter(status__in=["sent", "failed"]).count() == 2,
            timeout=75,
            interval=0.5,
            message=f"{_statuses()} after {provider.requests} provider requests",
        )
    good_row.refresh_from_db()
    bad_row.refresh_from_db()
    assert good_row.status == "sent" and good_row.provider_reference.startswith("fake-")
    assert good_row.attempts >= 2
    assert provider.accepted[good.email] == 1
    assert bad_row.status == "failed" and bad_row.last_error == "provider 400"
    client.force_login(clinician, backend="django.contrib.auth.backends.ModelBackend")
    page = client.get(reverse("reviews:failed-notifications"))
    assert [n.pk for n in page.context["page"]] == [bad_row.pk]
    assert "provider 400" in page.content.decode()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
