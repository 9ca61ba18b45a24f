"""`{% load patient_warnings %}{% patient_warnings patient as warnings %}`: the warnings
registered for this patient (pathway.patient_warnings), for the user signed in."""

from django import template

from pathway import patient_warnings as registry

register = template.Library()


@register.simple_tag(takes_context=True)
def patient_warnings(context, patient) -> list[registry.PatientWarning]:
    return registry.for_patient(patient, context["request"].user)
