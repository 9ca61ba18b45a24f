"""Warnings that every staff page about a patient shows under the patient's banner, whichever
tab it is: a clinician arriving on the summary from a search must not miss an open safety alert
that lives on the reviews tab. Apps register providers (pathway.extensions): each takes the
patient and the signed-in user and returns a list of PatientWarning."""

from dataclasses import dataclass

from pathway.extensions import Registry


@dataclass(frozen=True)
class PatientWarning:
    heading: str
    text: str
    # Where to act on it; "" when this user cannot open that page.
    url: str = ""
    link_text: str = ""


registry = Registry()
register = registry.register


def for_patient(patient, user) -> list[PatientWarning]:
    return registry.collect(patient, user)
