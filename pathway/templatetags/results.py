"""How a stored questionnaire result reads on staff pages: `{% load results %}` then
`{% result_text assessment %}`, e.g. "34 (moderate self-efficacy; ePPOC severity mild)"."""

from django import template
from django.template.defaultfilters import floatformat

from pathway.instruments import band_text

register = template.Library()


@register.simple_tag
def result_text(assessment) -> str:
    """The assessment's total (up to 2 decimal places) and, where the instrument has bands, the
    band in words (`pathway.instruments.band_text`)."""
    total = floatformat(assessment.total, "-2")
    band = band_text(assessment.instrument, assessment.band, float(assessment.total))
    return f"{total} ({band})" if band else total
