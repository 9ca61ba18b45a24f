"""The worklist's time-based reasons are kept per patient scope for a short while; the rows on
screen are re-checked live and safety alerts never wait for the kept list."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from pathway.models import Milestone
from reviews import worklist
from tests.factories import EpisodeFactory
from tests.reviews import builders

URL = reverse("reviews:worklist")


@pytest.fixture(autouse=True)
def _kept(settings):
    settings.WORKLIST_CACHE_SECONDS = 120


def _overdue_review(patient, days=10):
    episode = EpisodeFactory(patient=patient)
    Milestone.objects.create(
        episode=episode,
        kind="annual_review_due",
        occurred_at=timezone.now() - timedelta(days=days),
    )
    return episode


def _codes(response):
    return [(row.patient, row.top.code) for row in response.context["rows"]]


def test_a_second_look_reuses_the_kept_scan_and_says_when_it_ran(
    world, login, django_assert_max_num_queries
):
    _overdue_review(world.patient)
    client = login(world.clinician)
    with django_assert_max_num_queries(1000) as first:
        response = client.get(URL)
    assert _codes(response) == [(world.patient, "review_overdue")]
    assert "last checked for the whole list at" in response.content.decode()
    with django_assert_max_num_queries(1000) as second:
        again = client.get(URL)
    assert _codes(again) == [(world.patient, "review_overdue")]
    assert len(second.captured_queries) < len(first.captured_queries)
    assert again.context["checked_at"] == response.context["checked_at"]


def test_colleagues_with_the_same_patients_share_the_kept_scan(world, login, second_clinician):
    _overdue_review(world.patient)
    first = login(world.clinician).get(URL)
    shared = login(second_clinician).get(URL)
    assert shared.context["checked_at"] == first.context["checked_at"]


def test_a_row_on_screen_is_current_even_when_the_kept_scan_is_not(world, login):
    episode = _overdue_review(world.patient)
    client = login(world.clinician)
    assert _codes(client.get(URL)) == [(world.patient, "review_overdue")]
    Milestone.objects.filter(episode=episode).delete()  # the review was rescheduled
    response = client.get(URL)
    assert _codes(response) == []
    assert response.context["total"] == 1  # the kept scan still counts them until it reruns
    assert "no longer need attention" in response.content.decode()


def test_a_new_safety_alert_shows_at_once_whatever_is_kept(world, login):
    _overdue_review(world.other_patient)
    client = login(world.clinician)
    client.get(URL)
    builders.safety_alert(world.patient)
    assert _codes(client.get(URL)) == [
        (world.patient, "safety_alert"),
        (world.other_patient, "review_overdue"),
    ]


def test_the_kept_scan_is_rerun_after_it_expires(world):
    first = worklist.worklist_for(world.clinician)
    assert first.rows == []
    _overdue_review(world.patient)
    assert worklist.worklist_for(world.clinician).rows == []  # kept
    cache.clear()  # as when the entry expires
    assert [row.top.code for row in worklist.worklist_for(world.clinician).rows] == [
        "review_overdue"
    ]


def test_a_different_scope_is_kept_separately(world, login):
    _overdue_review(world.patient)
    client = login(world.clinician)
    client.get(URL)
    filtered = client.get(URL, {"practice": world.practice_a.ods_code})
    assert _codes(filtered) == [(world.patient, "review_overdue")]
    assert _codes(client.get(URL, {"practice": world.practice_b.ods_code})) == []
