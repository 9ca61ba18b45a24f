"""Every form in the project, fed random data built from its own fields: it answers valid or
invalid with messages, and renders, but never raises (DESIGN.md section 10).

Forms are discovered by importing every module of each app, so a new form is fuzzed without
being listed here. A form whose constructor needs something new fails below with its name:
add a builder for that argument to ARGUMENTS.
"""

import importlib
import inspect
import pkgutil

import pytest
from django import forms
from django.utils.datastructures import MultiValueDict
from hypothesis import given

from tests.security.fuzzing import FUZZ, arguments, build, form_data

pytestmark = pytest.mark.django_db

APPS = ("pathway", "diaries", "referrals", "careplans", "reviews")
# Modules that configure or start the project rather than define anything to fuzz.
SKIP_MODULES = ("migrations", "management", "settings", "wsgi", "asgi", "celery")


def discover_forms() -> dict[str, type]:
    found = {}
    for app in APPS:
        package = importlib.import_module(app)
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{app}."):
            if any(part in SKIP_MODULES for part in info.name.split(".")):
                continue
            module = importlib.import_module(info.name)
            for value in vars(module).values():
                if (
                    inspect.isclass(value)
                    and issubclass(value, forms.BaseForm)
                    and value.__module__ == info.name
                ):
                    found[f"{value.__module__}.{value.__qualname__}"] = value
    return found


FORMS = discover_forms()


def _variants(cls) -> list[dict]:
    """Extra constructor arguments that change a form's fields (one run each)."""
    if cls.__name__ == "AnswersForm":
        from reviews.questionnaires import QUESTIONNAIRES

        return [{"questionnaire": q} for q in QUESTIONNAIRES.values()] + [
            {"questionnaire": QUESTIONNAIRES["PSFS"], "activities": ["Walking", "Lifting"]}
        ]
    return [{}]


def test_the_forms_of_every_app_are_found():
    apps = {name.split(".")[0] for name in FORMS}
    assert apps == set(APPS), apps
    assert len(FORMS) >= 40
    assert "careplans.forms.leaflets.LeafletAdminForm" in FORMS
    assert "pathway.views.attendance.AttendanceUploadForm" in FORMS


@pytest.mark.parametrize("name", sorted(FORMS))
def test_a_form_never_raises_on_random_input(name, world):
    cls = FORMS[name]
    for variant in _variants(cls):
        _fuzz(cls, arguments(cls, world, **variant))


def _fuzz(cls, kwargs):
    @FUZZ
    @given(data=form_data(build(cls, None, kwargs).fields))
    def check(data):
        form = build(cls, data, kwargs)
        valid = form.is_valid()
        assert valid or form.errors, "an invalid form must say why"
        form.render()  # redisplaying the form with the bad data must work too

    check()


def _empty_forms(world):
    """(name, form) for every form but the admin's, in each variant, bound to no answers."""
    for name, cls in sorted(FORMS.items()):
        if name in ADMIN_FORMS:
            continue
        for variant in _variants(cls):
            yield name, build(cls, MultiValueDict(), arguments(cls, world, **variant))


# Django admin forms speak to administrators in the admin's own words.
ADMIN_FORMS = {
    "careplans.forms.leaflets.LeafletAdminForm",
    "pathway.admin.TargetForm",
    "pathway.admin.PatientAdminForm",
}


def test_a_missing_answer_is_named_in_its_own_words_on_every_form(world):
    """NHS.UK error messages say what to enter ("Enter the patient's last name"); Django's
    "This field is required." leaves the error summary listing the same words for each field."""
    generic = forms.Field.default_error_messages["required"]
    found = []
    for name, form in _empty_forms(world):
        form.is_valid()
        found += [f"{name}.{field}" for field, errors in form.errors.items() if generic in errors]
    assert found == []


def test_free_text_over_its_limit_is_refused_in_the_apps_words_on_every_form(world):
    """A text box (a textarea: the browser does not stop the typing) over its limit says so in
    the app's words, not Django's "Ensure this value has at most 4000 characters"."""
    found = []
    for name, form in _empty_forms(world):
        form.full_clean()
        found += [
            f"{name}.{field_name}"
            for field_name, field in form.fields.items()
            if getattr(field, "max_length", None)
            and isinstance(field.widget, forms.Textarea)
            and "max_length" not in field.error_messages
        ]
    assert sorted(set(found)) == []
