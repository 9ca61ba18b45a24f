"""Every named URL, requested by every persona: out of scope answers 404 (DESIGN.md section 5)."""

from importlib import import_module

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.access import PERSONAS

APPS = ("pathway", "diaries", "referrals", "careplans", "reviews")


def _rules() -> dict:
    rules = {}
    for app in APPS:
        try:
            module = import_module(f"tests.{app}.access")
        except ModuleNotFoundError:
            continue
        rules.update(module.RULES)
    return rules


RULES = _rules()


def _named_urls(resolver=None, namespace: str = "") -> set[str]:
    names = set()
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue  # Django admin has its own staff-only checks
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            names |= _named_urls(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            names.add(f"{namespace}{entry.name}")
    return names


def test_every_named_url_has_an_access_rule():
    missing = sorted(_named_urls() - set(RULES))
    assert missing == [], f"Add these URLs to a tests/<app>/access.py: {missing}"


def _user_for(world, persona):
    return {
        "patient": world.patient_user,
        "other_patient": world.other_patient_user,
        "gp": world.gp,
        "other_gp": world.other_gp,
        "clinician": world.clinician,
        "other_clinician": world.other_clinician,
        "commissioner": world.commissioner,
        "admin": world.admin,
    }.get(persona)


@pytest.mark.parametrize("url_name", sorted(RULES))
def test_each_persona_gets_the_expected_answer(url_name, world, client):
    rule = RULES[url_name]
    url = reverse(url_name, kwargs=rule.kwargs(world))
    failures = []
    for persona in PERSONAS:
        client.logout()
        user = _user_for(world, persona)
        if user is not None:
            client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        response = getattr(client, rule.method)(url)
        expected = rule.expected(persona)
        if response.status_code not in expected:
            failures.append(f"{persona}: {response.status_code}, expected {expected}")
        if persona == "anonymous" and expected == (302,) and response.status_code == 302:
            assert "/account/login/" in response["Location"], url_name
    assert failures == [], f"{url_name} ({url}): {failures}"
