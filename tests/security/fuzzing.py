"""Hypothesis strategies that build form data from a form's own fields: mostly plausible values
(a listed choice, a date, a number in range) mixed with hostile and malformed ones."""

import inspect
from datetime import timedelta
from decimal import Decimal

from django import forms
from django.test import RequestFactory
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from pathway.models import Episode, Organisation, User
from pathway.permissions import practice_ids_for
from tests.security.payloads import PAYLOADS

# Bounded so the whole suite stays fast; the database is cleaned between examples' tests only,
# so function-scoped fixtures (the world, the client) are shared by a test's examples on purpose.
FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

# The views run a whole request per example, so they get fewer.
FUZZ_VIEWS = settings(FUZZ, max_examples=10)

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)
STRANGE = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "\u202e\u200b",
        "9" * 5000,
        "-1",
        "0",
        "1e309",
        "NaN",
        "Infinity",
        "-0",
        "0x1F",
        "\u0663",  # an Arabic-Indic digit three
        "\u00b2",  # superscript two: str.isdigit() is True, int() refuses it
        "\u00bd",
        "2025-02-30",
        "0001-01-01",
        "9999-12-31",
        "10000-01-01",
        "25:61",
        "true",
        "on",
        "[]",
        "{}",
        "None",
        "../../etc/passwd",
        "a" * 10_001,
    ]
)
JUNK = st.one_of(TEXT, STRANGE, st.sampled_from([p.text for p in PAYLOADS]), st.integers().map(str))


def _choice_values(field) -> list[str]:
    values = []
    for value, label in field.choices:
        if isinstance(label, list | tuple):  # an option group
            values += [str(v) for v, _ in label]
        else:
            values.append(str(getattr(value, "value", value)))
    return values


def _plausible(field):  # noqa: C901  one branch per field type
    if isinstance(field, forms.ModelMultipleChoiceField | forms.ModelChoiceField):
        keys = [str(pk) for pk in field.queryset.values_list("pk", flat=True)[:20]]
        keys += [str(u) for u in _uuids(field)]
        return st.sampled_from(keys or ["1"])
    if isinstance(field, forms.ChoiceField):
        return st.sampled_from(_choice_values(field) or [""])
    if isinstance(field, forms.BooleanField):
        return st.sampled_from(["on", "", "false", "0"])
    if isinstance(field, forms.IntegerField):
        low = field.min_value if field.min_value is not None else -1000
        high = field.max_value if field.max_value is not None else 1000
        return st.integers(low - 2, high + 2).map(str)
    if isinstance(field, forms.DecimalField):
        return st.decimals(
            min_value=Decimal("-5"), max_value=Decimal("100000"), places=3, allow_nan=False
        ).map(str)
    if isinstance(field, forms.DateField):
        return st.dates().map(lambda d: d.isoformat())
    if isinstance(field, forms.TimeField):
        return st.times().map(lambda t: t.strftime("%H:%M"))
    if isinstance(field, forms.EmailField):
        return st.emails()
    if isinstance(field, forms.URLField):
        return st.sampled_from(["https://video.example.test/room", "javascript:alert(1)", "//x"])
    return TEXT


def _uuids(field):
    model = getattr(field.queryset, "model", None)
    if model is None or not any(f.name == "uuid" for f in model._meta.fields):
        return []
    return list(field.queryset.values_list("uuid", flat=True)[:5])


def value_for(field):
    """A strategy for what a browser (or an attacker) might send for `field`: a single string,
    or a list of them for a multiple-choice field."""
    one = st.one_of(_plausible(field), JUNK)
    if isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
        return st.lists(one, max_size=4)
    return one.map(lambda value: [value])


def form_data(fields: dict, *, extra: dict | None = None):
    """A MultiValueDict for these fields; each may be missing, plausible or junk."""
    parts = {
        name: st.one_of(st.none(), value_for(field))
        for name, field in fields.items()
        if not isinstance(field, forms.FileField)
    }
    for name, strategy in (extra or {}).items():
        parts[name] = st.one_of(st.none(), strategy.map(lambda value: [value]))
    return st.fixed_dictionaries(parts).map(
        lambda chosen: MultiValueDict({k: v for k, v in chosen.items() if v is not None})
    )


def management_values():
    """What a formset's management form might receive, including nonsense counts."""
    return st.one_of(
        st.integers(-3, 30).map(str),
        st.sampled_from(["", "x", "9" * 5000, "1000000", "1.5", "\u0663"]),
    )


def _trial(world):
    from careplans.models import CarePlan
    from tests.careplans import builders

    plan = CarePlan.objects.filter(patient=world.patient).first()
    plan = plan or builders.plan(world.patient, actor=world.clinician)
    # One ongoing line per medicine: a plan already taking it gives that one.
    return plan.trials.filter(outcome="ongoing").first() or builders.trial(plan)


def _draft(world):
    from tests.careplans import builders

    return builders.plan(world.other_patient, actor=world.clinician).versions.get(number=1)


def _appointment(world):
    from tests.reviews import builders

    return builders.appointment(world.patient, world.clinician)


def _possible_duplicates(world):
    from tests.referrals import builders

    return [builders.self_referral(world.practice_a)]


def _medicines(world):
    from diaries.selectors import medicine_options

    return medicine_options(world.patient, today=timezone.localdate())


# How to build each constructor argument a form may ask for, by its name.
ARGUMENTS = {
    "user": lambda w: w.gp,
    "practices": lambda w: practice_ids_for(w.gp),
    "day": lambda w: timezone.localdate() - timedelta(days=1),
    "today": lambda w: timezone.localdate(),
    "medicines": _medicines,
    "episodes": lambda w: Episode.objects.filter(patient=w.patient),
    "leaflets": lambda w: [("understanding-migraine", "Understanding migraine")],
    "trial": _trial,
    "activities": lambda w: (),
    "clinicians": lambda w: User.objects.filter(role="clinician"),
    "facilitators": lambda w: User.objects.filter(role="clinician"),
    "organisations": lambda w: Organisation.objects.all(),
    "patient": lambda w: w.patient,
    "patients": lambda w: [w.patient, w.other_patient],
    "appointment": _appointment,
    "candidates": _possible_duplicates,
    "request": lambda w: RequestFactory().post("/account/login/"),
}
# Model forms edit an existing row in the app.
INSTANCES = {
    "CarePlanVersion": _draft,
    "TreatmentTrial": _trial,
    "Patient": lambda w: w.patient,
}


def arguments(cls, world, **given_kwargs) -> dict:
    """What the app passes to this form's constructor, built once for the world."""
    kwargs = dict(given_kwargs)
    missing = []
    for name, parameter in inspect.signature(cls.__init__).parameters.items():
        if name in ("self", "data", "files") or name in kwargs:
            continue
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        if name in ARGUMENTS:
            kwargs[name] = ARGUMENTS[name](world)
        elif parameter.default is parameter.empty:
            missing.append(name)
    assert missing == [], f"{cls.__name__} needs {missing}: add them to ARGUMENTS"
    if issubclass(cls, forms.ModelForm) and cls._meta.model.__name__ in INSTANCES:
        kwargs.setdefault("instance", INSTANCES[cls._meta.model.__name__](world))
    return kwargs


def build(cls, data, kwargs):
    kwargs = dict(kwargs)
    if "request" in kwargs:
        return cls(kwargs.pop("request"), data=data, **kwargs)
    return cls(data, **kwargs)
