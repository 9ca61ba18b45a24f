from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from pathway.celery import app as celery_app
from pathway.models import WorkerHeartbeat


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # noqa: BLE001  any database failure means "down"
        return False


def _broker_ok() -> bool:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:  # noqa: BLE001  any broker failure means "down"
        return False


def _worker_ok() -> bool:
    try:
        beat = WorkerHeartbeat.objects.filter(name="worker").first()
    except Exception:  # noqa: BLE001
        return False
    max_age = timedelta(seconds=settings.WORKER_HEARTBEAT_MAX_AGE)
    return beat is not None and timezone.now() - beat.seen_at <= max_age


@never_cache
def health(request):
    """Database, broker and worker status: 200 when all are up, 503 otherwise."""
    database = _database_ok()
    status = {
        "database": "ok" if database else "down",
        "broker": "ok" if _broker_ok() else "down",
        "worker": "ok" if database and _worker_ok() else "down",
    }
    healthy = all(value == "ok" for value in status.values())
    return JsonResponse(
        {"status": "ok" if healthy else "degraded", **status}, status=200 if healthy else 503
    )
