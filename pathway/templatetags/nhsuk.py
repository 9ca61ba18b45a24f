"""Helpers for the NHS.UK form templates (templates/nhsuk): `{% load nhsuk %}`."""

from django import template

from pathway import renderers

register = template.Library()


@register.simple_tag
def nhsuk_field(field):
    """`{% nhsuk_field form.name %}`: the field in NHS.UK markup (renderers.render_field)."""
    return renderers.render_field(field)


@register.filter
def error_target(field):
    """`{{ field|error_target }}`: the id an error summary links to (renderers.error_target)."""
    return renderers.error_target(field)
