"""Channel backends. Each `send()` returns a provider reference or raises DeliveryError.

`permanent=True` means retrying cannot help (bad number, rejected key); anything else is retried
with backoff by the outbox.
"""

import logging
import smtplib
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

logger = logging.getLogger(__name__)


class DeliveryError(Exception):
    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Message:
    channel: str
    to: str
    subject: str
    body: str
    html: str = ""
    # Our row's UUID, passed to providers that take a reference so a duplicate can be traced.
    reference: str = ""


class ConsoleBackend:
    """Logs the message (never its body, which could be personal) and stores nothing else."""

    def send(self, message: Message) -> str:
        reference = f"console-{uuid.uuid4()}"
        logger.info(
            "console %s message sent, %d characters, ref %s",
            message.channel,
            len(message.body),
            reference,
        )
        return reference


class DjangoEmailBackend:
    """Email through Django's configured EMAIL_BACKEND (SMTP in production)."""

    def send(self, message: Message) -> str:
        if message.channel != "email":
            raise DeliveryError("The email backend only sends email", permanent=True)
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.body,
            to=[message.to],
            from_email=settings.DEFAULT_FROM_EMAIL,
        )
        if message.html:
            email.attach_alternative(message.html, "text/html")
        try:
            email.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError("SMTP refused the recipient", permanent=True) from exc
        except smtplib.SMTPResponseException as exc:
            # 5xx answers are final (bad address, policy); 4xx are worth retrying.
            raise DeliveryError(f"SMTP {exc.smtp_code}", permanent=exc.smtp_code >= 500) from exc
        except (OSError, ConnectionError) as exc:
            raise DeliveryError(f"SMTP error: {exc.__class__.__name__}") from exc
        return f"smtp-{uuid.uuid4()}"


class NotifyBackend:
    """GOV.UK Notify. Templates live in Notify; we pass the rendered text as a personalisation
    field of one generic template per channel."""

    def __init__(self):
        from notifications_python_client.notifications import NotificationsAPIClient

        self.client = NotificationsAPIClient(
            settings.NOTIFY_API_KEY, timeout=settings.NOTIFY_TIMEOUT
        )

    def send(self, message: Message) -> str:
        from notifications_python_client.errors import HTTPError, InvalidResponse
        from requests.exceptions import ReadTimeout

        try:
            if message.channel == "sms":
                response = self.client.send_sms_notification(
                    phone_number=message.to,
                    template_id=settings.NOTIFY_SMS_TEMPLATE_ID,
                    personalisation={"body": message.body},
                    reference=message.reference or None,
                )
            else:
                response = self.client.send_email_notification(
                    email_address=message.to,
                    template_id=settings.NOTIFY_EMAIL_TEMPLATE_ID,
                    personalisation={"subject": message.subject, "body": message.body},
                    reference=message.reference or None,
                )
        except (HTTPError, InvalidResponse) as exc:
            # Sent, for all we know: Notify may have taken the message and the answer was lost
            # (a read timeout) or unreadable. Sending again could send it twice, so ask Notify
            # first for a message with this row's reference.
            unknown = isinstance(exc, InvalidResponse) or isinstance(exc.__cause__, ReadTimeout)
            if unknown and (found := self._already_sent(message)):
                return found
            # 400/403 are our fault or the recipient's: retrying will not help.
            status = getattr(exc, "status_code", "answer unreadable")
            raise DeliveryError(f"Notify {status}", permanent=status in (400, 403)) from exc
        except OSError as exc:
            raise DeliveryError(f"Notify unreachable: {exc.__class__.__name__}") from exc
        return str(response.get("id", ""))

    def _already_sent(self, message: Message) -> str:
        """The id of the message Notify holds with `message`'s reference, or "" when it holds
        none or cannot be asked (the send is then tried again)."""
        if not message.reference:
            return ""
        try:
            found = self.client.get_all_notifications(reference=message.reference)
        except Exception:  # noqa: BLE001 - any failure: not known to be sent, so try again
            logger.warning("could not ask Notify whether %s was sent", message.reference)
            return ""
        return next((str(row["id"]) for row in found.get("notifications", []) if row.get("id")), "")


BACKENDS = {"console": ConsoleBackend, "smtp": DjangoEmailBackend, "notify": NotifyBackend}


def backend_for(channel: str):
    name = settings.NOTIFY_SMS_BACKEND if channel == "sms" else settings.NOTIFY_EMAIL_BACKEND
    return BACKENDS[name]()
