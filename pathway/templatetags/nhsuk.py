"""Helpers for the NHS.UK form templates (templates/nhsuk): `{% load nhsuk %}`."""

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

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


# The numbers advice tells a person to call, and the number each dials.
CALLABLE = re.compile(r"\b(?:NHS 111|999)\b")


@register.filter
def phone_links(line: str):
    """`{{ line|phone_links }}`: the line, escaped, with "999" and "NHS 111" as links a phone
    can dial (tel:), so advice to call one can be acted on with a tap."""
    return mark_safe(  # noqa: S308 - every part is escaped here
        CALLABLE.sub(
            lambda found: f'<a href="tel:{found[0][-3:]}">{found[0]}</a>', str(escape(line))
        )
    )
