"""`{% load care_team %}{% care_team_contact patient %}`: how the patient reaches their care
team (pathway.care_teams), or where to turn when no team has given its details."""

from django import template

from pathway.care_teams import care_team_contacts

register = template.Library()


@register.inclusion_tag("pathway/includes/care_team_contact.html")
def care_team_contact(patient) -> dict:
    return {"teams": list(care_team_contacts(patient)) if patient is not None else []}
