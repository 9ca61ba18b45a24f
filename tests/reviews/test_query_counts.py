"""Every list page costs the same number of queries however many rows it shows."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import PatientFactory
from tests.reviews import builders


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries.captured_queries)


def _appointments(world, n):
    for i in range(n):
        patient = PatientFactory(registered_practice=world.practice_a)
        builders.appointment(
            patient, world.clinician, start=timezone.now() + timedelta(days=1, minutes=45 * i)
        )


def _sessions(world, n):
    for _ in range(n):
        session = builders.group_session(world.service)
        session.facilitators.set([world.clinician])
        builders.booking(session, PatientFactory(registered_practice=world.practice_a))


def _mdt(world, n):
    for _ in range(n):
        builders.mdt_case(PatientFactory(registered_practice=world.practice_a))


def _failed(world, n):
    for i in range(n):
        builders.failed_notification(
            PatientFactory(registered_practice=world.practice_a), key=f"k{i}{n}"
        )


def _session_bookings(world, n):
    session = world.session
    for status in ["invited", "declined", "withdrawn"] * n:
        builders.booking(
            session, PatientFactory(registered_practice=world.practice_a), status=status
        )


def _patient_rows(world, n):
    for i in range(n):
        builders.appointment(
            world.patient,
            world.clinician,
            start=timezone.now() + timedelta(days=3 + i),
        )
        builders.assessment(world.patient, "GAD-7", [1] * 7)
        builders.mdt_case(world.patient)
        session = builders.group_session(world.service, start=timezone.now() - timedelta(days=i))
        builders.booking(session, world.patient, status="attended")


STAFF_PAGES = [
    ("reviews:appointments", {}, _appointments),
    ("reviews:group-sessions", {}, _sessions),
    ("reviews:mdt", {}, _mdt),
    ("reviews:failed-notifications", {}, _failed),
    ("reviews:group-session", "session", _session_bookings),
    ("reviews:patient-reviews", "patient", _patient_rows),
]


@pytest.mark.parametrize(("name", "kwargs", "fill"), STAFF_PAGES, ids=[p[0] for p in STAFF_PAGES])
def test_staff_list_pages_have_a_constant_query_count(world, login, name, kwargs, fill):
    world.session = builders.group_session(world.service)
    if kwargs == "session":
        kwargs = {"session_uuid": world.session.uuid}
    elif kwargs == "patient":
        kwargs = {"patient_uuid": world.patient.uuid}
    url = reverse(name, kwargs=kwargs)
    client = login(world.clinician)
    fill(world, 1)
    client.get(url)
    small = _count(client, url)
    fill(world, 12)
    assert _count(client, url) == small


def _patient_appointments(world, n):
    for i in range(n):
        builders.appointment(
            world.patient, world.clinician, start=timezone.now() + timedelta(days=2 + i)
        )
        session = builders.group_session(world.service)
        builders.booking(session, world.patient)
        # Withdrawn by the team: shown, with why, unless invited again since.
        withdrawn = builders.group_session(world.service)
        builders.booking(withdrawn, world.patient, status="withdrawn", had_place=i % 2 == 0)
        if i % 3 == 0:
            builders.booking(withdrawn, world.patient)


def _patient_questionnaires(world, n):
    for code in ["PHQ-9", "GAD-7", "HIT-6", "MIDAS", "PSEQ", "MSK-HQ"]:
        if not world.patient.questionnaire_requests.filter(instrument=code).exists():
            builders.questionnaire_request(world.patient, instrument=code)
            n -= 1
        if n == 0:
            return


@pytest.mark.parametrize(
    ("name", "fill"),
    [
        ("reviews:my-appointments", _patient_appointments),
        ("reviews:my-questionnaires", _patient_questionnaires),
    ],
)
def test_patient_pages_have_a_constant_query_count(world, login, name, fill):
    client = login(world.patient_user)
    url = reverse(name)
    fill(world, 1)
    client.get(url)
    small = _count(client, url)
    fill(world, 5)
    assert _count(client, url) == small
