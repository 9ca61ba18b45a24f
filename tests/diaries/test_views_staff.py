"""The clinician's diary tab: any 90-day window, the flags worded as diary criteria, audit."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pathway.models import AuditEvent
from tests.diaries.builders import clear_day, days_ago, episode, headache_day, record, today


@pytest.fixture
def url(world):
    return reverse("diaries:patient-diary", kwargs={"patient_uuid": world.patient.uuid})


def _chronic_migraine_with_triptan_overuse(patient, *, end_ago=0):
    for ago in range(end_ago, end_ago + 90, 3):
        record(
            patient,
            days_ago(ago),
            headache_day(episode("severe", migraine=True, doses={"sumatriptan": 1})),
        )
    for ago in range(end_ago + 1, end_ago + 90, 3):
        record(patient, days_ago(ago), headache_day(episode("moderate", migraine=True)))


def test_the_tab_shows_the_flags_as_diary_criteria_with_ichd3_codes(world, login, url):
    _chronic_migraine_with_triptan_overuse(world.patient)
    content = login(world.clinician).get(url).content.decode()
    assert "Meets diary criteria for chronic migraine" in content
    assert "ICHD-3 1.3" in content
    assert "Meets diary criteria for medication-overuse headache: triptans" in content
    assert "ICHD-3 8.2.2" in content
    assert "not a diagnosis" in content
    assert "Triptans on 10 days/month (threshold 10)" in content


def test_intake_overuse_without_chronic_headache_is_not_called_moh(world, login, url):
    for ago in range(0, 90, 3):
        record(world.patient, days_ago(ago), headache_day(episode(doses={"sumatriptan": 1})))
    content = login(world.gp).get(url).content.decode()
    assert "Acute medication intake meets the overuse criterion: triptans" in content
    assert "ICHD-3 8.2 B" in content
    assert "8.2.2" not in content
    assert "does not meet the full medication-overuse headache criteria" in content


def test_any_90_day_window_can_be_shown(world, login, url):
    _chronic_migraine_with_triptan_overuse(world.patient, end_ago=0)
    client = login(world.clinician)
    earlier = client.get(url, {"end": f"{days_ago(90):%Y-%m-%d}"}).content.decode()
    assert "No diary flags in these 90 days" in earlier
    assert f"{days_ago(179):%-d %b %Y} to {days_ago(90):%-d %b %Y}" in earlier


def test_a_future_or_bad_window_end_shows_a_message_and_the_latest_window(world, login, url):
    client = login(world.clinician)
    future = client.get(url, {"end": "2999-01-01"})
    assert future.status_code == 200
    assert b"The last day must be today or in the past." in future.content
    assert f"to {today():%-d %b %Y}".encode() in future.content
    assert b"Enter a real date" in client.get(url, {"end": "31/02/2025"}).content


def test_reading_the_tab_is_audited(world, login, url):
    login(world.gp).get(url)
    event = AuditEvent.objects.get(action="view", actor=world.gp)
    assert (event.patient, event.object_type) == (world.patient, "diaries.diaryentry")


def test_triggers_pain_and_notes_are_shown_and_notes_are_escaped(world, login, url):
    record(
        world.patient,
        days_ago(1),
        headache_day(
            episode(),
            triggers=frozenset({"stress"}),
            note="<script>alert('x')</script> & more",
        ),
    )
    record(world.patient, days_ago(2), clear_day(pain_score=7, pain_sites=("knees",)))
    content = login(world.clinician).get(url).content.decode()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; more" in content
    assert "<script>alert" not in content
    assert "Stress" in content and "Knees (1)" in content
    assert "average 7.0, highest 7" in content


def test_the_tab_runs_a_constant_number_of_queries(world, login, url, django_assert_num_queries):
    client = login(world.clinician)
    record(world.patient, today(), headache_day(episode(doses={"ibuprofen": 1}), note="a"))
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    small = len(queries)
    _chronic_migraine_with_triptan_overuse(world.patient, end_ago=1)
    record(
        world.patient,
        days_ago(5),
        headache_day(episode(doses={"paracetamol": 2}), episode("mild", doses={"co-codamol": 1})),
    )
    with django_assert_num_queries(small):
        client.get(url)
    assert small <= 20


def test_the_window_picker_shows_the_last_day_as_a_date_input_value(world, login, url):
    content = login(world.clinician).get(url).content.decode()
    assert f'type="date" name="end" value="{today():%Y-%m-%d}"' in content or (
        f'value="{today():%Y-%m-%d}"' in content and 'name="end"' in content
    )
