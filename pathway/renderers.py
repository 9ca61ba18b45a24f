"""Form markup written in Python: the same markup as the templates it stands for, character for
character (tests/pathway/test_renderers.py and test_field_rendering.py compare the two).

* `FormRenderer` (FORM_RENDERER) is Django's, except that <input>, <textarea> and <select>
  widgets are written here. Django's templates include one template per widget for its
  attributes, and per <select> option two more: the diary day form's ~130 options cost its
  page about 5 of 28 ms, and its inputs and formset management form about 1.5 ms more.
* `render_field` is the nhsuk template pack's field (templates/nhsuk/field.html calls it):
  label, hint, error message and control. The template took 3.8 ms for the day form's 22
  fields; this takes about 1.5 ms with the renderer's inputs.

A day with a record (the Today page after a save) renders in about 12 ms instead of 15.
"""

from crispy_forms.templatetags.crispy_forms_field import CrispyFieldNode
from django import forms
from django.forms.renderers import DjangoTemplates
from django.template import Context
from django.template.loader import get_template
from django.utils.formats import date_format, localize
from django.utils.html import conditional_escape, escape
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime

# Day, month and year boxes (pathway.forms.MemorableDateWidget): a template of the project's.
DATE_INPUT = "nhsuk/date_input.html"
SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"
TEXTAREA = "django/forms/widgets/textarea.html"
# Django's <input> template, and the templates that only include it.
INPUT = "django/forms/widgets/input.html"
INPUT_KINDS = "checkbox color date datetime email hidden number password search tel text time url"
INPUTS = frozenset([INPUT, *(f"django/forms/widgets/{kind}.html" for kind in INPUT_KINDS.split())])


class FormRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        if template_name in INPUTS:
            return render_input(context["widget"])
        if template_name == TEXTAREA:
            return render_textarea(context["widget"])
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


def template_date(moment, format_string: str) -> str:
    """`{{ moment|date:format_string }}` in a template: local time, escaped, nothing for no
    date."""
    if moment in (None, ""):
        return ""
    return template_text(date_format(template_localtime(moment), format_string))


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


def render_input(widget: dict) -> str:
    """An input widget's context as django/forms/widgets/input.html renders it."""
    value = widget["value"]
    value = "" if value is None else f' value="{escape(str(value))}"'
    return mark_safe(  # noqa: S308 - every value is escaped
        f'<input type="{template_text(widget["type"])}" name="{template_text(widget["name"])}"'
        f"{value}{_attrs(widget['attrs'])}>"
    )


def render_textarea(widget: dict) -> str:
    """A textarea widget's context as django/forms/widgets/textarea.html renders it."""
    value = widget["value"]
    return mark_safe(  # noqa: S308 - every value is escaped
        f'<textarea name="{template_text(widget["name"])}"{_attrs(widget["attrs"])}>\n'
        f"{template_text(value) if value else ''}</textarea>"
    )


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


def render_field(field) -> str:
    """A bound field in NHS.UK markup: label, hint, error message and control, as the nhsuk
    template pack shows every form field (templates/nhsuk/field.html calls this).

    Checkboxes, radios and groups of checkboxes are written out here; any other control is the
    widget's own rendering with the NHS.UK classes and `aria-describedby` added to its
    attributes, as crispy-forms' `crispy_field` tag adds them.
    """
    errors = field.errors
    if field.is_hidden:
        return mark_safe(f"\n{field}")  # noqa: S308 - the widget's own (escaped) rendering
    widget = field.field.widget
    if getattr(widget, "memorable_date", False):
        return mark_safe(f"\n{get_template(DATE_INPUT).render({'field': field})}")  # noqa: S308
    auto_id = template_text(field.auto_id)
    help_text = field.help_text
    hint = template_text(help_text) if help_text else ""
    error_text = (
        f'<span class="nhsuk-error-message" id="{auto_id}-error"><span '
        f'class="nhsuk-u-visually-hidden">Error:</span> {_joined(errors)}</span>'
        if errors
        else ""
    )
    error_class = " nhsuk-form-group--error" if errors else ""
    group = f'<div class="nhsuk-form-group{error_class}"'
    label = template_text(field.label)
    if isinstance(widget, forms.CheckboxInput):
        described_by = [f"{auto_id}-hint"] if help_text else []
        if errors:
            described_by.append(f"{auto_id}-error")
        described = f' aria-describedby="{" ".join(described_by)}"' if described_by else ""
        checkbox_hint = (
            f'<div class="nhsuk-hint nhsuk-checkboxes__hint" id="{auto_id}-hint">{hint}</div>'
            if help_text
            else ""
        )
        html = (
            f'\n\n{group} id="div_{auto_id}">\n  {error_text}\n'
            '  <div class="nhsuk-checkboxes">\n    <div class="nhsuk-checkboxes__item">\n'
            f'      <input class="nhsuk-checkboxes__input" id="{auto_id}" '
            f'name="{template_text(field.html_name)}" type="checkbox" value="on"'
            f"{' checked' if field.value() else ''}{described}>\n"
            f'      <label class="nhsuk-label nhsuk-checkboxes__label" for="{auto_id}">{label}'
            f"</label>\n      {checkbox_hint}\n    </div>\n  </div>\n</div>\n"
        )
    elif isinstance(widget, forms.RadioSelect):
        html = _choices(field, widget, auto_id, group, label, hint, error_text)
    else:
        limit = _counted_limit(widget)
        if limit:
            group = (
                f'<div class="nhsuk-form-group nhsuk-character-count{error_class}" '
                f'data-module="nhsuk-character-count" data-maxlength="{limit}"'
            )
        html = (
            f'\n\n{group} id="div_{auto_id}">\n'
            f'  <label class="nhsuk-label" for="{auto_id}">{label}'
            f"{'' if _required(field.field) else ' (optional)'}</label>\n"
            f"  {_hint(auto_id, hint)}\n  {error_text}\n"
            f"  {_control(field, widget, errors, help_text, counted=bool(limit))}"
            f"{_count_message(auto_id, limit) if limit else ''}\n</div>\n"
        )
    return mark_safe(html)  # noqa: S308 - every value above is escaped


def _required(field) -> bool:
    """Whether the label goes without "(optional)": a required field, or one a form needs only
    with some other answer (marked `conditionally_required`, its hint saying which)."""
    return field.required or getattr(field, "conditionally_required", False)


def _joined(errors) -> str:
    """`{{ errors|join:" " }}`."""
    return " ".join(conditional_escape(error) for error in errors)


def _counted_limit(widget) -> str:
    """A text box's character limit (the `maxlength` Django gives a field's widget from its
    `max_length`), for the NHS.UK character count: the limit is said under the box and, with
    JavaScript, counted down as the patient or clinician types, so a long answer is never cut
    short without a word. Empty for any other control."""
    if isinstance(widget, forms.Textarea):
        return template_text(widget.attrs.get("maxlength", ""))
    return ""


def _count_message(auto_id: str, limit: str) -> str:
    return (
        f'<div class="nhsuk-hint nhsuk-character-count__message" id="{auto_id}-info">'
        f"You can enter up to {int(limit):,} characters</div>\n"
    )


def _hint(auto_id: str, hint: str) -> str:
    return f'<div class="nhsuk-hint" id="{auto_id}-hint">{hint}</div>' if hint else ""


def _choices(field, widget, auto_id, group, label, hint, error_text) -> str:
    """Radios, or a group of checkboxes (CheckboxSelectMultiple is a RadioSelect)."""
    kind = "checkboxes" if isinstance(widget, forms.CheckboxSelectMultiple) else "radios"
    input_type = "checkbox" if kind == "checkboxes" else "radio"
    described = ""
    if hint or error_text:
        described = (
            f' aria-describedby="{f"{auto_id}-hint" if hint else ""}'
            f'{f" {auto_id}-error" if error_text else ""}"'
        )
    name = template_text(field.html_name)
    items = "".join(
        f'\n      <div class="nhsuk-{kind}__item">\n'
        f'        <input class="nhsuk-{kind}__input" id="{template_text(choice.id_for_label)}" '
        f'name="{name}" type="{input_type}" value="{template_text(choice.data["value"])}"'
        f"{' checked' if choice.data['selected'] else ''}{passed_attrs(choice.data['attrs'])}>\n"
        f'        <label class="nhsuk-label nhsuk-{kind}__label" '
        f'for="{template_text(choice.id_for_label)}">{template_text(choice.choice_label)}'
        "</label>\n      </div>\n      "
        for choice in field
    )
    inline = f" nhsuk-{kind}--inline" if widget.attrs.get("inline") else ""
    return (
        f'\n\n{group} id="div_{auto_id}">\n'
        f'  <fieldset class="nhsuk-fieldset"{described}>\n'
        f'    <legend class="nhsuk-fieldset__legend nhsuk-fieldset__legend--s">{label}</legend>\n'
        f"    {_hint(auto_id, hint)}\n    {error_text}\n"
        f'    <div class="nhsuk-{kind}{inline}" id="{auto_id}">\n      {items}\n'
        "    </div>\n  </fieldset>\n</div>\n"
    )


def error_target(field) -> str:
    """The id an error summary's link to `field` goes to: the first choice of radios or
    checkboxes (the group itself cannot take focus, so the link would only scroll), otherwise
    the control."""
    if isinstance(field.field.widget, forms.RadioSelect) and field.field.widget.choices:
        return f"{field.auto_id}_0"
    widget = field.field.widget
    if getattr(widget, "memorable_date", False):
        # The first empty box when only some are filled in (the error is about it), else Day.
        from pathway.forms import empty_parts  # forms' widgets render through this module

        empty = empty_parts(field.value())
        return f"{field.auto_id}_{widget.PARTS[empty[0] if empty else 0][0]}"
    return field.auto_id


def passed_attrs(attrs: dict) -> str:
    """The `data-*` and `hx-*` attributes among a radio or checkbox choice's widget attributes,
    written as ` name="value"`: the ones a choice's input carries over (the field writes the
    rest, such as the id and `checked`, itself)."""
    return "".join(
        f' {template_text(name)}="{template_text(value)}"'
        for name, value in attrs.items()
        if name.startswith(("data-", "hx-"))
    )


# crispy-forms' `{% crispy_field %}` for each kind of control, without and with an error: it
# adds the NHS.UK class (after the widget's class name) and `aria-describedby` to the widget's
# attributes, which keep them, and renders the widget.
def _crispy_field(css: str, described: bool) -> CrispyFieldNode:
    attrs = {'"class"': f'"{css}"'}
    if described:
        attrs['"aria-describedby"'] = "described"
    return CrispyFieldNode("field", attrs)


CONTROLS = {
    (kind, error, described): _crispy_field(
        f"nhsuk-{kind} nhsuk-{kind}--error" if error else f"nhsuk-{kind}", described
    )
    for kind in ("select", "textarea", "input")
    for error in (False, True)
    for described in (False, True)
}
# A text box with a character count: the count's script finds it by its class, and the box is
# described by the limit's message first.
COUNTED = {
    error: _crispy_field(
        f"nhsuk-textarea{' nhsuk-textarea--error' if error else ''} nhsuk-js-character-count",
        described=True,
    )
    for error in (False, True)
}


def _control(field, widget, errors, help_text, *, counted: bool = False) -> str:
    """The widget's own rendering, as templates/nhsuk's control did it with `crispy_field`."""
    if counted:
        described = f"{field.auto_id}-info"
        if errors:
            described += f" {field.auto_id}-error"
        elif help_text:
            described += f" {field.auto_id}-hint"
        context = Context({"field": field, "described": described})
        return f"{COUNTED[bool(errors)].render(context)}\n"
    if isinstance(widget, forms.Select):
        kind = "select"
    elif getattr(widget, "input_type", None) is None:
        kind = "textarea"
    else:
        kind = "input"
    described = f"{field.auto_id}-error" if errors else f"{field.auto_id}-hint" if help_text else ""
    node = CONTROLS[kind, bool(errors), bool(described)]
    return f"{node.render(Context({'field': field, 'described': described}))}\n"
