"""How a patient reaches their care team: the care services hosted by their practice's PCN that
give a phone number or email address for patients."""

from __future__ import annotations

from django.db.models import QuerySet

from pathway.models import Organisation, Patient


def care_team_contacts(patient: Patient) -> QuerySet[Organisation]:
    """The services caring for patients of `patient`'s practice with a way to reach them, by
    name (one query)."""
    return (
        Organisation.objects.filter(
            kind=Organisation.Kind.SERVICE, parent__children__id=patient.registered_practice_id
        )
        .exclude(phone="", email="")
        .only("name", "phone", "email", "contact_hours")
        .order_by("name")
    )
