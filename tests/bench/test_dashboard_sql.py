"""bench.dashboard_sql, the commissioner dashboard's floor, publishes the same figures as the app
(PostgreSQL only: the floor is hand-written PostgreSQL)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from bench.runner import dashboard_check
from pathway.models import Milestone
from tests.factories import EpisodeFactory, PatientFactory
from tests.referrals import builders

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="bench.dashboard_sql is PostgreSQL"
)


def _waiting(practice, *, referred_days_ago, triage_wait, priority):
    now = timezone.now()
    episode = EpisodeFactory(
        patient=PatientFactory(registered_practice=practice),
        priority=priority,
        opened_at=now - timedelta(days=referred_days_ago),
    )
    received = now - timedelta(days=referred_days_ago)
    Milestone.objects.create(episode=episode, kind="referral_received", occurred_at=received)
    Milestone.objects.create(
        episode=episode, kind="triaged", occurred_at=received + timedelta(days=triage_wait)
    )
    return episode


def test_the_hand_written_sql_and_the_app_publish_the_same_waits(world):
    for _ in range(9):  # urgent, 6 days since triage but 16 since referral: breaches
        _waiting(world.practice_a, referred_days_ago=16, triage_wait=10, priority="urgent")
    for _ in range(8):  # routine, 38 days since triage
        _waiting(world.practice_b, referred_days_ago=40, triage_wait=2, priority="routine")
    for _ in range(8):  # urgent, seen 20 days after referral and 10 after triage
        episode = _waiting(
            world.practice_a, referred_days_ago=20, triage_wait=10, priority="urgent"
        )
        # Before the test's transaction began: the SQL counts milestones up to its now().
        seen = timezone.now() - timedelta(hours=1)
        Milestone.objects.create(episode=episode, kind="first_contact", occurred_at=seen)
    builders.referral(world.patient, world.gp)  # the referrals table then lists its months
    check = dashboard_check()
    assert check["differences"] == []
    assert check["rows"] > 0 and check["same_length"]
