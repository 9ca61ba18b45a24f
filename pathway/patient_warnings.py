"""Warnings that every staff page about a patient shows under the patient's banner, whichever
tab it is: a clinician arriving on the summary from a search must not miss an open safety alert
that lives on the reviews tab.

The kernel imports no feature app (DESIGN.md section 2), so each app that holds such a warning
registers a provider in its AppConfig.ready: a callable taking the patient and the signed-in
user and returning a list of PatientWarning."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class PatientWarning:
    heading: str
    text: str
    # Where to act on it; "" when this user cannot open that page.
    url: str = ""
    link_text: str = ""


Provider = Callable[..., list[PatientWarning]]
_providers: list[Provider] = []


def register(provider: Provider) -> Provider:
    if provider not in _providers:
        _providers.append(provider)
    return provider


def for_patient(patient, user) -> list[PatientWarning]:
    return [warning for provider in _providers for warning in provider(patient, user)]
