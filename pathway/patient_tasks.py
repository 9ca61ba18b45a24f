"""What the patient's home page lists under "Things to do": today's diary, questionnaires
waiting, invitations to answer, the next appointment. Apps register providers
(pathway.extensions): each takes the patient and returns a list of pathway.extensions.Task."""

from pathway.extensions import Registry, Task

registry = Registry()
register = registry.register


def for_patient(patient) -> list[Task]:
    return registry.collect(patient)
