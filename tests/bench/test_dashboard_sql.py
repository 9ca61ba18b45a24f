"""bench.dashboard_sql, the commissioner dashboard's floor, publishes the same figures as the app
(PostgreSQL only: the floor is hand-written PostgreSQL)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from bench.runner import dashboard_check
from pathway.models import Milestone
from reviews.models import Discharge
from tests.factories import PatientFactory
from tests.pathway.test_dashboard import _episode_with_wait
from tests.referrals import builders
from tests.reviews import builders as review_builders

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="bench.dashboard_sql is PostgreSQL"
)


def test_the_hand_written_sql_and_the_app_publish_the_same_waits(world):
    for _ in range(9):  # urgent, 6 days since triage but 16 since referral: breaches
        _episode_with_wait(
            world.practice_a, referred_days_ago=16, triage_wait=10, priority="urgent"
        )
    for _ in range(8):  # routine, 38 days since triage
        _episode_with_wait(
            world.practice_b, referred_days_ago=40, triage_wait=2, priority="routine"
        )
    for _ in range(8):  # urgent, seen 20 days after referral and 10 after triage
        episode = _episode_with_wait(
            world.practice_a, referred_days_ago=20, triage_wait=10, priority="urgent"
        )
        # Before the test's transaction began: the SQL counts milestones up to its now().
        seen = timezone.now() - timedelta(hours=1)
        Milestone.objects.create(episode=episode, kind="first_contact", occurred_at=seen)
    builders.referral(world.patient, world.gp)  # the referrals table then lists its months
    for number in range(12):  # discharges, with and without a recorded reason
        closed = timezone.now() - timedelta(days=2, hours=number)
        episode = review_builders.episode_for(
            PatientFactory(registered_practice=world.practice_a),
            status="discharged",
            opened_at=closed - timedelta(days=90),
            closed_at=closed,
        )
        if number < 10:
            Discharge.objects.create(episode=episode, patient=episode.patient, reason="goals_met")
    check = dashboard_check()
    assert check["differences"] == []
    assert check["rows"] > 0 and check["same_length"]
