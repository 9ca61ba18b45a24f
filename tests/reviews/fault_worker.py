"""Celery entry point for the fault tests: the project's own app and tasks, plus a stand-in
provider backend that talks HTTP to a fake provider on loopback.

`celery -A tests.reviews.fault_worker worker` runs exactly the tasks `-A pathway` runs; the only
addition is the `fake_http` backend (a stand-in for the `webhook` backend proposed for the
kernel), registered before Django's start-up checks read NOTIFY_EMAIL_BACKEND.
"""

import json
import os
import urllib.error
import urllib.request

from pathway.celery import app
from pathway.notifications.backends import BACKENDS, DeliveryError

__all__ = ["app"]


class FakeHttpBackend:
    """POSTs the message to FAKE_PROVIDER_URL. 5xx is transient, 4xx permanent."""

    def send(self, message) -> str:
        body = json.dumps({"to": message.to, "subject": message.subject, "body": message.body})
        request = urllib.request.Request(  # noqa: S310  loopback test provider only
            os.environ["FAKE_PROVIDER_URL"],
            data=body.encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return json.load(response)["id"]
        except urllib.error.HTTPError as exc:
            raise DeliveryError(f"provider {exc.code}", permanent=400 <= exc.code < 500) from exc
        except OSError as exc:
            raise DeliveryError(f"provider unreachable: {exc.__class__.__name__}") from exc


BACKENDS["fake_http"] = FakeHttpBackend
