"""/health/ reports database, broker and worker; the heartbeat task keeps the worker's row fresh."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from pathway.models import WorkerHeartbeat
from pathway.tasks import heartbeat
from pathway.views import health

HEALTH = "/health/"


@pytest.fixture
def broker_up():
    with mock.patch("pathway.views.health._broker_ok", return_value=True):
        yield


@pytest.fixture
def broker_down():
    with mock.patch("pathway.views.health._broker_ok", return_value=False):
        yield


def _beat(age: timedelta) -> None:
    WorkerHeartbeat.objects.update_or_create(
        name="worker", defaults={"seen_at": timezone.now() - age}
    )


def test_it_reports_the_worker_down_without_a_heartbeat(client, db, broker_up):
    response = client.get(HEALTH)
    assert response.status_code == 503
    assert response.json() == {
        "status": "degraded",
        "database": "ok",
        "broker": "ok",
        "worker": "down",
    }


def test_it_reports_the_worker_down_when_the_heartbeat_is_stale(client, db, settings, broker_up):
    _beat(timedelta(seconds=settings.WORKER_HEARTBEAT_MAX_AGE + 5))
    response = client.get(HEALTH)
    assert response.status_code == 503
    assert response.json()["worker"] == "down"


def test_it_reports_the_broker_down_when_it_cannot_connect(client, db, broker_down):
    _beat(timedelta(seconds=1))
    response = client.get(HEALTH)
    assert response.status_code == 503
    assert response.json() == {
        "status": "degraded",
        "database": "ok",
        "broker": "down",
        "worker": "ok",
    }


def test_it_reports_the_database_and_worker_down_when_the_database_fails(client, db, broker_up):
    _beat(timedelta(seconds=1))
    with mock.patch("pathway.views.health._database_ok", return_value=False):
        response = client.get(HEALTH)
    assert response.status_code == 503
    assert response.json()["database"] == "down"
    assert response.json()["worker"] == "down"


def test_it_answers_200_when_everything_is_up(client, db, broker_up):
    _beat(timedelta(seconds=5))
    response = client.get(HEALTH)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok", "worker": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_it_answers_signed_out_visitors_without_a_redirect(client, db, broker_up):
    assert client.get(HEALTH).status_code in (200, 503)


def test_it_treats_a_broker_connection_error_as_down(db):
    with mock.patch.object(
        health.celery_app, "connection_for_write", side_effect=ConnectionRefusedError
    ):
        assert health._broker_ok() is False


def test_it_treats_a_broker_connection_that_succeeds_as_up(db):
    with mock.patch.object(health.celery_app, "connection_for_write") as connect:
        assert health._broker_ok() is True
    connect.return_value.__enter__.return_value.ensure_connection.assert_called_once()


def test_it_records_a_heartbeat_when_the_task_runs(db):
    heartbeat()
    first = WorkerHeartbeat.objects.get(name="worker").seen_at
    assert timezone.now() - first < timedelta(seconds=5)
    WorkerHeartbeat.objects.filter(name="worker").update(seen_at=first - timedelta(hours=1))
    heartbeat()
    assert WorkerHeartbeat.objects.count() == 1
    assert WorkerHeartbeat.objects.get(name="worker").seen_at >= first


def test_it_turns_health_green_once_the_heartbeat_task_has_run(client, db, broker_up):
    assert client.get(HEALTH).status_code == 503
    heartbeat()
    assert client.get(HEALTH).status_code == 200


def test_the_heartbeat_has_its_own_queue_that_every_worker_consumes():
    """A backlog of deliveries must not delay the heartbeat and make /health/ report a busy
    worker as down."""
    router = health.celery_app.amqp.router
    assert router.route({}, "pathway.tasks.heartbeat")["queue"].name == "heartbeat"
    assert router.route({}, "pathway.tasks.deliver_notification")["queue"].name == "celery"
    # The letters' catch-up sweeps have a queue of their own too, which every worker takes from.
    assert set(health.celery_app.amqp.queues.consume_from) == {"celery", "heartbeat", "backlog"}
