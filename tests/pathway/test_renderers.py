"""The form renderer writes a <select> in Python, and `passed_attrs` a choice's data-/hx-
attributes: exactly what Django's templates wrote (tests/pathway/test_field_rendering.py
compares whole fields)."""

from datetime import date

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.template import Context, Template
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from diaries.forms import DayEntryForms
from diaries.selectors import medicine_options
from pathway.renderers import INPUT, INPUTS, FormRenderer, passed_attrs


def _both(widget: forms.Widget, name: str, value, attrs=None) -> tuple[str, str]:
    return (
        widget.render(name, value, attrs, renderer=FormRenderer()),
        widget.render(name, value, attrs, renderer=DjangoTemplates()),
    )


CHOICES = [
    ("", "Choose a medicine"),
    ("ibuprofen", "Ibuprofen <200 mg> & \"more\" 'tabs'"),
    (3, 3),
    (None, gettext_lazy("Not known")),
    ("safe", mark_safe("<b>kept</b>")),
    ("day", date(2026, 12, 4)),
    (
        "Triptans",
        [("sumatriptan", "Sumatriptan"), ("rizatriptan", "Rizatriptan")],
    ),
]


@pytest.mark.parametrize(
    ("widget", "value", "attrs"),
    [
        (forms.Select(choices=CHOICES), "ibuprofen", None),
        (forms.Select(choices=CHOICES), 3, {"id": "id_med", "class": "nhsuk-select"}),
        (forms.Select(choices=CHOICES), "rizatriptan", {"required": True, "disabled": False}),
        (forms.Select(choices=CHOICES), None, {"aria-describedby": 'a"b', "data-x": None}),
        (forms.Select(choices=[]), "", None),
        (forms.SelectMultiple(choices=CHOICES), ["ibuprofen", "sumatriptan"], {"id": "m"}),
        (forms.NullBooleanSelect(), True, None),
    ],
)
def test_a_select_is_written_as_djangos_templates_write_it(widget, value, attrs):
    fast, reference = _both(widget, "medicine", value, attrs)
    assert fast == reference
    assert fast.startswith('<select name="medicine"')


def test_a_select_with_its_own_option_template_is_left_to_the_templates(monkeypatch):
    class Custom(forms.Select):
        option_template_name = "django/forms/widgets/attrs.html"

    rendered = []
    monkeypatch.setattr(
        "pathway.renderers.render_select", lambda widget: rendered.append(widget) or ""
    )
    Custom(choices=CHOICES).render("x", "", renderer=FormRenderer())
    assert rendered == []
    forms.Select(choices=CHOICES).render("x", "", renderer=FormRenderer())
    assert len(rendered) == 1


def test_the_diary_day_forms_selects_are_written_as_djangos_templates_write_them(world):
    today = timezone.localdate()
    medicines = medicine_options(world.patient, today=today)
    day_forms = DayEntryForms(day=today, today=today, medicines=medicines, answer="yes")
    fields = [*day_forms.form, *(field for form in day_forms.episodes for field in form)]
    selects = [field for field in fields if isinstance(field.field.widget, forms.Select)]
    assert len(selects) >= 3
    for field in selects:
        widget = field.field.widget
        fast, reference = _both(widget, field.html_name, field.value(), {"id": field.auto_id})
        assert fast == reference, field.name
        assert fast.count("<option") > 1


@pytest.mark.parametrize(
    ("widget", "value", "attrs"),
    [
        (forms.TextInput(), 'Alice <b> & "Bob"', {"id": "id_name", "required": True}),
        (forms.TextInput(), None, None),
        (forms.TextInput(attrs={"class": "wide"}), "", {"disabled": False, "autofocus": True}),
        (forms.NumberInput(), 3, {"min": 0, "max": 10, "step": "any"}),
        (forms.NumberInput(), 2.5, None),
        (forms.HiddenInput(), "1", {"id": "id_episode-TOTAL_FORMS"}),
        (forms.EmailInput(), "a@example.org", {"aria-describedby": 'x"y'}),
        (forms.PasswordInput(render_value=True), "s3cret<", None),
        (forms.PasswordInput(), "not shown", None),
        (forms.DateInput(attrs={"type": "date"}), date(2026, 12, 4), None),
        (forms.TimeInput(format="%H:%M"), "09:30", None),
        (forms.DateTimeInput(), timezone.now(), None),
        (forms.URLInput(), "https://example.org/?a=1&b=2", None),
        (forms.CheckboxInput(), True, {"id": "c"}),
        (forms.CheckboxInput(), False, None),
        (forms.Textarea(), "Line one\nline <two> & 'three'", {"id": "id_note", "rows": 3}),
        (forms.Textarea(), "", None),
        (forms.Textarea(), None, {"aria-describedby": "hint"}),
        (forms.Textarea(), mark_safe("<b>kept</b>"), None),
    ],
)
def test_inputs_and_textareas_are_written_as_djangos_templates_write_them(widget, value, attrs):
    fast, reference = _both(widget, "field", value, attrs)
    assert fast == reference
    assert fast.startswith(("<input", "<textarea"))


def test_the_inputs_written_in_python_are_those_whose_template_is_djangos_input():
    engine = DjangoTemplates().engine
    source = engine.get_template(INPUT).template.source
    assert source.startswith('<input type="{{ widget.type }}" name="{{ widget.name }}"')
    for name in INPUTS - {INPUT}:
        assert engine.get_template(name).template.source.strip() == (
            '{% include "django/forms/widgets/input.html" %}'
        ), name


# What nhsuk/field.html wrote for each radio or checkbox choice before `passed_attrs`.
CHOICE_ATTRS_LOOP = (
    "{% for name, value in attrs.items %}"
    '{% if name|slice:":5" == "data-" or name|slice:":3" == "hx-" %} {{ name }}="{{ value }}"'
    "{% endif %}{% endfor %}"
)


@pytest.mark.parametrize(
    "attrs",
    [
        {},
        {"id": "id_red_flags_0", "checked": True, "required": True},
        {
            "hx-post": "/referrals/new/screen/?a=1&b=<2>",
            "hx-vals": '{"why": "it\'s"}',
            "data-count": 3,
            "data-on": True,
            "aria-describedby": "hint",
            "data-day": date(2026, 12, 4),
            "data-safe": mark_safe("<b>kept</b>"),
        },
    ],
)
def test_passed_attrs_writes_what_the_template_loop_wrote(attrs):
    assert passed_attrs(attrs) == Template(CHOICE_ATTRS_LOOP).render(Context({"attrs": attrs}))


class _Answers(forms.Form):
    mood = forms.ChoiceField(
        choices=[("0", "Not at all"), ("1", "Some days")], widget=forms.RadioSelect
    )
    sites = forms.MultipleChoiceField(
        choices=[("head", "Head"), ("back", "Back")], widget=forms.CheckboxSelectMultiple
    )
    agree = forms.BooleanField()
    note = forms.CharField()


def test_an_error_summary_links_to_the_first_choice_of_radios_and_checkboxes():
    form = _Answers(data={})
    assert not form.is_valid()
    html = Template('{% include "includes/error_summary.html" %}').render(Context({"form": form}))
    # The group cannot take focus; its first choice can, and the page writes it with that id.
    assert 'href="#id_mood_0"' in html and 'href="#id_sites_0"' in html
    assert 'href="#id_agree"' in html and 'href="#id_note"' in html
    assert 'id="id_mood_0"' in str(form["mood"]) and 'id="id_sites_0"' in str(form["sites"])
