"""The "stop these messages" link in every message to a patient: a token naming the patient
with a keyed signature, so the link works without signing in (many patients have no portal
account, and one who has may have forgotten the password). Holding the message is the proof:
the link can only stop messages, shows nothing about the patient, and is refused if altered.
The token is short (34 characters), as it rides in text messages of at most two segments."""

from __future__ import annotations

import base64
import binascii
import uuid

from django.conf import settings
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

from pathway.models import Patient

SALT = "pathway.messages.opt-out"
# 22 characters of the patient's UUID, then 12 of signature (72 bits).
_ID_LENGTH = 22
_SIGNATURE_LENGTH = 12


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _signature(ident: str) -> str:
    return _encode(salted_hmac(SALT, ident, algorithm="sha256").digest())[:_SIGNATURE_LENGTH]


def token_for(patient: Patient) -> str:
    ident = _encode(patient.uuid.bytes)
    return ident + _signature(ident)


def url_for(patient: Patient) -> str:
    """The absolute "stop these messages" link for `patient`."""
    return settings.SITE_URL + reverse(
        "pathway:stop-messages", kwargs={"token": token_for(patient)}
    )


def patient_for(token: str) -> Patient | None:
    """The live patient a link's token names, or None for a token altered or made up."""
    if len(token) != _ID_LENGTH + _SIGNATURE_LENGTH:
        return None
    ident, signature = token[:_ID_LENGTH], token[_ID_LENGTH:]
    if not constant_time_compare(signature, _signature(ident)):
        return None
    try:
        patient_uuid = uuid.UUID(bytes=base64.urlsafe_b64decode(ident + "=="))
    except (binascii.Error, ValueError):
        return None
    return Patient.objects.live().filter(uuid=patient_uuid).first()
