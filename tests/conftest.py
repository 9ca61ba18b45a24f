"""Shared fixtures: an organisation tree and the access personas of STYLE.md rule 22.

World: one ICB with PCN 1 (practices A and B, and the care service) and PCN 2 (practice C).
"""

from dataclasses import dataclass

import pytest

from pathway.models import Organisation, Patient, User
from tests.factories import OrganisationFactory, PatientFactory, UserFactory


def pytest_configure(config):
    """The test client and the live server speak plain http. Set before any server starts,
    because Django's SecurityMiddleware reads these once when it is built."""
    from django.conf import settings

    settings.SECURE_SSL_REDIRECT = False
    settings.SECURE_HSTS_SECONDS = 0
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Transactional tests (the browser journeys) last, keeping every other order.

    They empty every table when they end, the data migrations' rows (targets, medicines,
    leaflets) included, so a test run after one would find none. pytest-django puts them last,
    but pytest then regroups tests by their session-scoped parameters (the browser's name), which
    can move them among the others."""
    transactional = {"transactional_db", "live_server"}
    items.sort(key=lambda item: bool(transactional & set(getattr(item, "fixturenames", ()))))


@pytest.fixture(autouse=True)
def _plain_http_and_no_mfa(settings):
    """Tests talk plain http to the test client; MFA tests switch it back on themselves."""
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.REQUIRE_STAFF_MFA = False
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: kept results (such as the worklist's) are keyed by
    database ids, which another test's rolled-back rows may have used."""
    from django.core.cache import cache

    cache.clear()


@dataclass
class World:
    icb: Organisation
    pcn1: Organisation
    pcn2: Organisation
    practice_a: Organisation
    practice_b: Organisation
    practice_c: Organisation
    service: Organisation
    patient: Patient
    other_patient: Patient
    patient_in_b: Patient
    patient_in_c: Patient
    patient_user: User
    other_patient_user: User
    gp: User
    other_gp: User
    clinician: User
    other_clinician: User
    commissioner: User
    admin: User


@pytest.fixture
def world(db) -> World:
    icb = OrganisationFactory(kind="icb", name="Test ICB", ods_code="QT1")
    pcn1 = OrganisationFactory(kind="pcn", name="PCN One", ods_code="UT001", parent=icb)
    pcn2 = OrganisationFactory(kind="pcn", name="PCN Two", ods_code="UT002", parent=icb)
    practice_a = OrganisationFactory(name="Practice A", ods_code="YT001", parent=pcn1)
    practice_b = OrganisationFactory(name="Practice B", ods_code="YT002", parent=pcn1)
    practice_c = OrganisationFactory(name="Practice C", ods_code="YT003", parent=pcn2)
    service = OrganisationFactory(
        kind="service", name="Pain service", ods_code="ST001", parent=pcn1
    )

    patient_user = UserFactory(role="patient", full_name="Alice Patient")
    other_patient_user = UserFactory(role="patient", full_name="Bob Patient")
    patient = PatientFactory(
        given_name="Alice", family_name="Anders", registered_practice=practice_a, user=patient_user
    )
    other_patient = PatientFactory(
        given_name="Bob",
        family_name="Baker",
        registered_practice=practice_a,
        user=other_patient_user,
    )
    return World(
        icb=icb,
        pcn1=pcn1,
        pcn2=pcn2,
        practice_a=practice_a,
        practice_b=practice_b,
        practice_c=practice_c,
        service=service,
        patient=patient,
        other_patient=other_patient,
        patient_in_b=PatientFactory(
            given_name="Beth", family_name="Bell", registered_practice=practice_b
        ),
        patient_in_c=PatientFactory(
            given_name="Carl", family_name="Cole", registered_practice=practice_c
        ),
        patient_user=patient_user,
        other_patient_user=other_patient_user,
        gp=UserFactory(role="gp", full_name="Dr Grace", organisations=[practice_a]),
        other_gp=UserFactory(role="gp", full_name="Dr Other", organisations=[practice_c]),
        clinician=UserFactory(role="clinician", full_name="Nurse Nia", organisations=[service]),
        other_clinician=UserFactory(role="clinician", full_name="Nurse Otto", organisations=[pcn2]),
        commissioner=UserFactory(
            role="commissioner", full_name="Cora Commissioner", organisations=[icb]
        ),
        admin=UserFactory(role="admin", full_name="Ada Admin", is_staff=True, is_superuser=True),
    )


@pytest.fixture
def login(client):
    """Sign a user in on the test client and return the client."""

    def _login(user):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return _login
