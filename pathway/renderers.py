"""The form renderer (FORM_RENDERER): Django's, except that a <select> is written here in Python.

Django's select template includes one template per option, and that one includes another for
the option's attributes: two template includes an option. The diary's day form has about 130
options (medicines, durations, doses), and they cost that page about 5 of its 28 ms.
`render_select` writes the same markup as Django's templates, character for character (tests
compare the two), for any select whose options use Django's own option template.
"""

from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.html import conditional_escape, escape
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime

SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"


class FormRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        if template_name == SELECT:
            widget = context["widget"]
            if all(
                option["template_name"] == OPTION
                for _, options, _ in widget["optgroups"]
                for option in options
            ):
                return render_select(widget)
        return super().render(template_name, context, request=request)


def template_text(value) -> str:
    """`{{ value }}` in a template: local time, localised, as text, escaped unless safe."""
    value = localize(template_localtime(value))
    return conditional_escape(value if isinstance(value, str) else str(value))


def _attrs(attrs: dict) -> str:
    """As django/forms/widgets/attrs.html: False leaves the attribute out, True writes its
    name alone, anything else its text."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {template_text(name)}")
        else:
            parts.append(f' {template_text(name)}="{escape(str(value))}"')
    return "".join(parts)


def render_select(widget: dict) -> str:
    """A select widget's context (`widget`) as django/forms/widgets/select.html renders it,
    stripped as the renderer strips it."""
    parts = [f'<select name="{template_text(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _ in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{template_text(group_name)}">')
        for option in options:
            parts.append(
                f'\n  <option value="{escape(str(option["value"]))}"{_attrs(option["attrs"])}>'
                f"{template_text(option['label'])}</option>\n"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped
