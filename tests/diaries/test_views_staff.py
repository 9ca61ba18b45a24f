"""The clinician's diary tab: any 90-day window, the flags worded as diary criteria, audit."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from diaries.models import DiaryEntry
from pathway.models import AuditEvent
from tests.diaries.builders import (
    clear_day,
    days_ago,
    doses,
    episode,
    headache_day,
    record,
    today,
)


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
    DiaryEntry.objects.create(patient=world.patient, day=days_ago(100))
    client = login(world.clinician)
    earlier = client.get(url, {"end": f"{days_ago(90):%Y-%m-%d}"}).content.decode()
    assert "No diary flags in these 90 days" in earlier
    assert f"{days_ago(179):%-d %b %Y} to {days_ago(90):%-d %b %Y}" in earlier


def test_a_window_with_nothing_recorded_says_so_instead_of_showing_zeros(world, login, url):
    # Recorded only after the window asked for, and that window is empty.
    record(world.patient, days_ago(1), headache_day(episode(doses={"ibuprofen": 1})))
    client = login(world.clinician)
    empty = client.get(url, {"end": f"{days_ago(2):%Y-%m-%d}"}).content.decode()
    assert (
        f"No diary recorded from {days_ago(91):%-d %B %Y} to {days_ago(2):%-d %B %Y}, so there "
        "are no diary figures or flags for these 90 days."
    ) in empty
    assert "No diary flags" not in empty
    assert "days/month" not in empty and "Average a month" not in empty
    assert "app-diary-chart" not in empty
    # The window navigation and the report stay.
    assert "Next 90 days" in empty and "Create a PDF report of these 90 days" in empty
    # One day recorded brings the figures back.
    assert "No diary recorded" not in client.get(url).content.decode()


def test_previous_90_days_is_offered_only_while_the_diary_goes_back_further(world, login, url):
    client = login(world.clinician)
    assert "Previous 90 days" not in client.get(url).content.decode()  # no diary yet
    # A record from before the 90 days a patient can still change.
    DiaryEntry.objects.create(patient=world.patient, day=days_ago(100))
    assert "Previous 90 days" in client.get(url).content.decode()
    earlier = client.get(url, {"end": f"{days_ago(90):%Y-%m-%d}"}).content.decode()
    assert "Previous 90 days" not in earlier and "Next 90 days" in earlier


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
    assert "1 day; average 7.0, highest 7" in content
    assert "missed on 0 days, reduced on 0" in content


def test_medicines_taken_apart_from_a_headache_are_shown_and_counted(world, login, url):
    record(world.patient, days_ago(3), clear_day(doses=doses(codeine=2)))
    record(world.patient, days_ago(4), clear_day(mood="low"))
    response = login(world.clinician).get(url)
    content = response.content.decode()
    days = response.context["days"]
    assert [entry.day for entry in days] == [days_ago(3)]
    assert "<td>Codeine x2</td>" in content
    rows = [
        (row["medicine__name"], row["days"], row["doses"]) for row in response.context["medicines"]
    ]
    assert rows == [("Codeine", 1, 2)]


def test_a_chronic_pain_patients_tab_leads_with_their_pain_scores(world, login, url):
    from tests.factories import EpisodeFactory

    EpisodeFactory(patient=world.patient, condition="chronic_pain")
    record(world.patient, days_ago(1), clear_day(pain_score=6, pain_sites=("lower_back",)))
    record(world.patient, days_ago(2), clear_day(pain_score=3))
    record(world.patient, days_ago(40), clear_day(pain_score=8))
    content = login(world.clinician).get(url).content.decode()
    assert "Pain diary, " in content and "Headache diary, " not in content
    # The pain scores come before the headache charts, month by month (newest last).
    assert content.index("Pain scores (0 to 10) in each 30-day month") < content.index(
        "Headache and migraine days"
    )
    assert content.index('<h3 class="nhsuk-heading-m">Pain scores</h3>') < content.index(
        '<h3 class="nhsuk-heading-m">Flags</h3>'
    )
    assert "Regular medicines for long-term pain are in the care plan's treatments." in content
    rows = content.split("Pain scores (0 to 10) in each 30-day month", 1)[1].split("</table>")[0]
    cells = [re.sub("<[^>]+>", "", cell) for cell in re.findall("<td[^>]*>(.*?)</td>", rows)]
    # Month 1 has no scores, month 2 one (8), month 3 two (6 and 3); then the whole window.
    assert cells == ["0", "none–", "none–", "1", "8.0", "8", "2", "4.5", "6", "3", "5.7", "8"]
    # The calendar marks each scored day and its key says what the mark is.
    assert 'aria-hidden="true">6/10</span>' in content
    assert "pain 6 out of 10" in content
    # With no headache days, one line instead of empty headache charts.
    assert "No headache days recorded in these 90 days." in content
    assert "Days in each 30-day month" not in content
    assert "the day's pain score, from 0 (no pain) to 10" in content
    # Days not recorded are headache-free for the headache flags only; pain is averaged over
    # the days scored.
    assert (
        "3 of 90 days recorded; for these flags, days not recorded count as headache-free "
        "(pain averages use only the days scored)." in content
    )


def test_a_headache_patients_tab_stays_headache_first(world, login, url):
    from tests.factories import EpisodeFactory

    EpisodeFactory(patient=world.patient, condition="headache")
    EpisodeFactory(patient=world.patient, condition="chronic_pain")
    content = login(world.clinician).get(url).content.decode()
    assert "Headache diary, " in content
    # No scores: no pain table, and no key line for a mark that is not there.
    assert "Pain scores (0 to 10)" not in content and "pain score, from 0" not in content
    record(world.patient, days_ago(1), clear_day(pain_score=5))
    content = login(world.clinician).get(url).content.decode()
    assert content.index("Headache and migraine days") < content.index("Pain scores (0 to 10)")
    assert "Days in each 30-day month" in content


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
    record(world.patient, days_ago(6), clear_day(doses=doses(codeine=1, ibuprofen=2)))
    with django_assert_num_queries(small):
        client.get(url)
    assert small <= 20


def test_the_window_picker_shows_the_last_day_as_a_date_input_value(world, login, url):
    before = today()
    content = login(world.clinician).get(url).content.decode()
    # Either day, for a request that runs across midnight.
    days = {before, today()}
    assert any(f'type="date" name="end" value="{day:%Y-%m-%d}"' in content for day in days) or (
        any(f'value="{day:%Y-%m-%d}"' in content for day in days) and 'name="end"' in content
    )
