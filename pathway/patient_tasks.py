"""What the patient's home page lists under "Things to do": today's diary, questionnaires
waiting, invitations to answer, the next appointment. Apps register providers
(pathway.extensions): each takes the patient and returns a list of PatientTask."""

from dataclasses import dataclass

from pathway.extensions import Registry


@dataclass(frozen=True)
class PatientTask:
    text: str
    url: str
    link_text: str


registry = Registry()
register = registry.register


def for_patient(patient) -> list[PatientTask]:
    return registry.collect(patient)
