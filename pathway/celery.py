import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pathway.settings")

app = Celery("pathway")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def _first_heartbeat(sender, **kwargs):
    """Report the worker to /health/ as soon as it starts, not at the first beat tick."""
    sender.app.send_task("pathway.tasks.heartbeat")
