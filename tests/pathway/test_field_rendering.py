"""Every form field is written by pathway.renderers.render_field (templates/nhsuk/field.html
calls it): the same markup, character for character, as the template it replaced, kept in
tests/pathway/field_templates as the reference."""

import re
from datetime import timedelta
from pathlib import Path

from django import forms
from django.conf import settings
from django.template import Context, Engine
from django.template.loader import get_template
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from diaries.forms import DayEntryForms
from diaries.selectors import medicine_options

REFERENCE_DIR = Path(__file__).resolve().parent / "field_templates"
REFERENCE = Engine(
    # The project's templates after the reference: fields the project writes with a template
    # of its own (the date input) are included from there by both.
    dirs=[str(REFERENCE_DIR), *(str(path) for path in settings.TEMPLATES[0]["DIRS"])],
    libraries={
        "crispy_forms_field": "crispy_forms.templatetags.crispy_forms_field",
        "humanize": "django.contrib.humanize.templatetags.humanize",
    },
).get_template("nhsuk/field.html")

CHOICES = [("a", "Apple & <pear>"), ("b", gettext_lazy("Banana")), (3, 3), ("", "None of these")]


class EveryKindForm(forms.Form):
    text = forms.CharField(label="Name <full>", help_text="As on your 'record' & letters")
    optional_text = forms.CharField(required=False, max_length=20)
    email = forms.EmailField(label=gettext_lazy("Email"))
    count = forms.IntegerField(min_value=0, help_text=mark_safe("<b>whole</b> number"))
    on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    at = forms.TimeField(required=False, widget=forms.TimeInput(format="%H:%M"))
    password = forms.CharField(widget=forms.PasswordInput)
    note = forms.CharField(widget=forms.Textarea, required=False, help_text="Optional")
    story = forms.CharField(widget=forms.Textarea, max_length=4000, required=False)
    summary = forms.CharField(widget=forms.Textarea, max_length=300, help_text="In a sentence")
    styled = forms.CharField(required=False, widget=forms.TextInput(attrs={"class": "wide"}))
    choice = forms.ChoiceField(choices=CHOICES)
    maybe = forms.NullBooleanField(required=False)
    several = forms.MultipleChoiceField(choices=CHOICES, required=False)
    agree = forms.BooleanField(help_text="You must agree")
    remember = forms.BooleanField(required=False, initial=True)
    radio = forms.ChoiceField(
        choices=CHOICES,
        widget=forms.RadioSelect(attrs={"inline": True, "data-x": "1", "hx-get": "/x?a=1&b=2"}),
        help_text="Pick one",
    )
    plain_radio = forms.ChoiceField(choices=CHOICES, widget=forms.RadioSelect, required=False)
    boxes = forms.MultipleChoiceField(
        choices=CHOICES, widget=forms.CheckboxSelectMultiple, required=False, help_text="Any"
    )
    when = forms.SplitDateTimeField(required=False)
    secret = forms.CharField(widget=forms.HiddenInput, required=False)
    first_seen = forms.CharField(required=False, show_hidden_initial=True)
    needed_with_another_answer = forms.DateField(required=False, help_text="For “Choose dates”")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["needed_with_another_answer"].conditionally_required = True


BAD = {
    "text": "",
    "email": "not an email",
    "count": "-1",
    "on": "31/02/2026",
    "at": "25:00",
    "choice": "z",
    "several": ["a", "z"],
    "radio": "nope",
    "boxes": ["a", "b"],
    "when_0": "2026-12-04",
    "when_1": "soon",
    "secret": '"><script>',
    "styled": "x",
    "summary": "x" * 301,
}
GOOD = {
    **BAD,
    "text": "Alice",
    "email": "a@example.org",
    "count": "2",
    "on": "2026-12-04",
    "summary": "In short",
}


def _forms():
    """The same forms, made afresh for each call (rendering a control adds to its widget's
    attributes, as crispy-forms does)."""
    return [
        EveryKindForm(),
        EveryKindForm(initial={"radio": "b", "boxes": ["a", 3], "several": ["b"], "agree": True}),
        EveryKindForm(BAD),
        EveryKindForm(GOOD),
        EveryKindForm(BAD, auto_id=False),
        EveryKindForm(BAD, prefix="p-1"),
    ]


def _render(form_list, template) -> list[str]:
    out = []
    for form in form_list:
        form.is_valid() if form.is_bound else None
        for _ in range(2):  # twice: the second render meets the attributes the first added
            out.extend(template.render(_context(template, field)) for field in form)
    return out


def _context(template, field):
    return Context({"field": field}) if template is REFERENCE else {"field": field}


def test_every_kind_of_field_is_written_as_the_template_wrote_it():
    fast = _render(_forms(), get_template("nhsuk/field.html"))
    reference = _render(_forms(), REFERENCE)
    assert len(fast) == len(reference) == 6 * 2 * len(EveryKindForm.base_fields)
    for ours, theirs in zip(fast, reference, strict=True):
        assert ours == theirs
    joined = "".join(fast)
    # The reference covers what the fields can show.
    for marker in (
        "nhsuk-form-group--error",
        "nhsuk-radios--inline",
        "nhsuk-checkboxes__hint",
        'hx-get="/x?a=1&amp;b=2"',
        "nhsuk-select nhsuk-select--error",
        "nhsuk-textarea",
        "nhsuk-input nhsuk-input--error",
        "(optional)",
        "Name &lt;full&gt;",
        "<b>whole</b> number",
        'type="hidden"',
        "timeinput nhsuk-textarea",
        'data-module="nhsuk-character-count" data-maxlength="4000"',
        "nhsuk-textarea nhsuk-textarea--error nhsuk-js-character-count",
        'aria-describedby="id_story-info"',
        'aria-describedby="id_summary-info id_summary-hint"',
        "You can enter up to 4,000 characters",
    ):
        assert marker in joined, marker
    assert "<script>" not in joined


def test_the_diary_day_forms_fields_are_written_as_the_template_wrote_them(world):
    today = timezone.localdate()
    medicines = medicine_options(world.patient, today=today)

    def day_forms():
        unbound = DayEntryForms(day=today, today=today, medicines=medicines, answer="yes")
        bound = DayEntryForms(
            {
                "headache": "yes",
                "episode-TOTAL_FORMS": "1",
                "episode-INITIAL_FORMS": "0",
                "episode-0-severity": "loud",
                "pain_score": "11",
                "triggers": ["nope"],
            },
            day=today,
            today=today,
            medicines=medicines,
        )
        bound.is_valid()
        return [unbound.form, *unbound.episodes, bound.form, *bound.episodes]

    fast = _render(day_forms(), get_template("nhsuk/field.html"))
    reference = _render(day_forms(), REFERENCE)
    assert len(fast) > 20
    assert fast == reference


# Whole pages, each once with render_field and once with the reference template. The values
# made afresh for each response (CSRF token, CSP nonce, the self-referral's one-time token) are
# left out of the comparison.
CSRF_OR_NONCE = re.compile(
    r'(name="csrfmiddlewaretoken" value=|name="submission" value=|nonce=|"X-CSRFToken": )"[^"]*"'
)


def _pages(world):
    day = timezone.localdate() - timedelta(days=1)
    return [
        (None, "get", reverse("pathway:login"), None),
        (None, "post", reverse("pathway:login"), {"username": "", "password": ""}),
        (None, "get", reverse("referrals:self-refer"), None),
        (None, "post", reverse("referrals:self-refer"), {"nhs_number": "12"}),
        (world.gp, "get", reverse("referrals:create"), None),
        (world.gp, "post", reverse("referrals:create"), {"condition": "nope"}),
        (world.gp, "post", reverse("pathway:patient-create"), {"nhs_number": "1"}),
        (world.patient_user, "get", f"{reverse('diaries:today')}?answer=details", None),
        (world.patient_user, "post", reverse("diaries:day", args=[day]), {"headache": "maybe"}),
        (world.patient_user, "get", reverse("pathway:contact-preferences"), None),
        (world.commissioner, "get", f"{reverse('dashboard:home')}?period=custom&start=x", None),
    ]


def _fetch(client, user, method, url, data) -> str:
    client.logout()
    if user is not None:
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    response = getattr(client, method)(url, data or {})
    assert response.status_code in (200, 400), (url, response.status_code)
    return CSRF_OR_NONCE.sub(r"\1", response.content.decode())


def test_the_apps_form_pages_are_the_same_with_the_reference_template(client, world):
    pages = _pages(world)
    fast = [_fetch(client, *page) for page in pages]
    templates = [{**settings.TEMPLATES[0], "DIRS": [REFERENCE_DIR, *settings.TEMPLATES[0]["DIRS"]]}]
    with override_settings(TEMPLATES=templates):
        reference = [_fetch(client, *page) for page in pages]
    for page, ours, theirs in zip(pages, fast, reference, strict=True):
        assert ours == theirs, page[2]
    assert sum(page.count("nhsuk-form-group") for page in fast) > 40
    assert any("nhsuk-form-group--error" in page for page in fast)
