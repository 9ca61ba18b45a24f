"""GOV.UK Notify: an answer lost after the request went out is checked with Notify before the
message is sent again, so a message is never sent twice (DESIGN.md section 10)."""

import pytest
from notifications_python_client.errors import HTTPError, InvalidResponse
from requests.exceptions import ConnectionError as RequestsConnectionError
from requests.exceptions import ReadTimeout

from pathway.notifications.backends import DeliveryError, Message, NotifyBackend

MESSAGE = Message(channel="sms", to="07700900123", subject="", body="Hi", reference="row-1")


class FakeClient:
    def __init__(self, fails_with=None, held=()):
        self.fails_with = fails_with
        self.held = list(held)
        self.sent = 0
        self.asked = []

    def send_sms_notification(self, **fields):
        self.sent += 1
        if self.fails_with is not None:
            raise self.fails_with()
        return {"id": "notify-id-1"}

    def get_all_notifications(self, reference=None, **fields):
        self.asked.append(reference)
        if self.held == "down":
            raise RequestsConnectionError("refused")
        return {"notifications": [row for row in self.held if row["reference"] == reference]}


def _backend(client) -> NotifyBackend:
    backend = NotifyBackend.__new__(NotifyBackend)
    backend.client = client
    return backend


def _http_error(cause):
    def raise_it():
        try:
            raise cause
        except Exception as exc:
            raise HTTPError.create(exc) from exc

    return raise_it


def test_a_read_timeout_for_a_message_notify_took_counts_as_sent():
    client = FakeClient(
        fails_with=_http_error(ReadTimeout("read timed out")),
        held=[{"id": "notify-id-7", "reference": "row-1"}],
    )
    assert _backend(client).send(MESSAGE) == "notify-id-7"
    assert client.sent == 1 and client.asked == ["row-1"]


def test_a_read_timeout_for_a_message_notify_does_not_hold_is_tried_again():
    client = FakeClient(fails_with=_http_error(ReadTimeout("read timed out")))
    with pytest.raises(DeliveryError) as failed:
        _backend(client).send(MESSAGE)
    assert not failed.value.permanent and client.asked == ["row-1"]


def test_notify_that_cannot_be_asked_leaves_the_message_to_try_again():
    client = FakeClient(fails_with=_http_error(ReadTimeout("read timed out")), held="down")
    with pytest.raises(DeliveryError) as failed:
        _backend(client).send(MESSAGE)
    assert not failed.value.permanent


def test_an_unreadable_answer_is_checked_too():
    client = FakeClient(
        fails_with=lambda: InvalidResponse(None, message="No JSON"),
        held=[{"id": "notify-id-8", "reference": "row-1"}],
    )
    assert _backend(client).send(MESSAGE) == "notify-id-8"


def test_a_request_that_never_reached_notify_is_tried_again_without_asking():
    client = FakeClient(fails_with=_http_error(RequestsConnectionError("refused")))
    with pytest.raises(DeliveryError) as failed:
        _backend(client).send(MESSAGE)
    assert not failed.value.permanent and client.asked == []
