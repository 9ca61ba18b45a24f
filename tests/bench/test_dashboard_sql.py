"""bench.dashboard_sql, the commissioner dashboard's floor, publishes the same figures as the app
(PostgreSQL only: the floor is hand-written PostgreSQL)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from bench.runner import dashboard_check
from pathway.models import Milestone
from reviews.models import Discharge
from tests.careplans import builders as careplan_builders
from tests.factories import PatientFactory, urgent_triage_target
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
    # The referrals table then lists its months.
    first = builders.referral(world.patient, world.gp)
    # Waiting for triage: past the 5-day target or not, urgent or routine, matched or not; and
    # those that are not waiting (decided, entered in error).
    from referrals.models import Referral

    for number in range(14):
        made = (
            builders.self_referral(world.practice_b, family_name=f"Self{number}")
            if number % 4 == 0
            else builders.referral(PatientFactory(registered_practice=world.practice_a), world.gp)
        )
        submitted = timezone.now() - timedelta(days=number, hours=2)
        Referral.objects.filter(pk=made.pk).update(
            submitted_at=submitted, urgency="urgent" if number % 3 == 0 else "routine"
        )
        # Received then too: the SQL counts milestones up to its now(), when the test's
        # transaction began.
        Milestone.objects.filter(episode_id=made.episode_id).update(occurred_at=submitted)
    decided = builders.decided(
        PatientFactory(registered_practice=world.practice_a), world.gp, world.clinician
    )
    erroneous = builders.referral(PatientFactory(registered_practice=world.practice_c), world.gp)
    Referral.objects.filter(pk=erroneous.pk).update(entered_in_error=True)
    Milestone.objects.filter(
        episode_id__in=[first.episode_id, decided.episode_id, erroneous.episode_id]
    ).update(occurred_at=timezone.now() - timedelta(hours=1))
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
    for number in range(16):  # triaged 3 days after an urgent or a routine referral
        urgency = "urgent" if number % 2 else "routine"
        episode = _episode_with_wait(
            world.practice_a, referred_days_ago=20, triage_wait=3, priority=urgency
        )
        made = builders.referral(episode.patient, world.gp)
        Referral.objects.filter(pk=made.pk).update(episode=episode, urgency=urgency)
    # An urgent referral-to-triage target: urgent referrals waiting are timed against it, and
    # those triaged are measured against it.
    urgent_triage_target(days=2)
    # Active episodes past the next review date their review set: overdue, though seen this year.
    for _ in range(9):
        episode = review_builders.episode_for(
            PatientFactory(registered_practice=world.practice_b), status="active"
        )
        Milestone.objects.create(
            episode=episode,
            kind="first_contact",
            occurred_at=timezone.now() - timedelta(days=200),
        )
        Milestone.objects.create(
            episode=episode,
            kind="annual_review_due",
            occurred_at=timezone.now() - timedelta(days=10),
        )
    # Due dates a review recorded early replaced (8 of 10): never reached, in neither's activity.
    for early in range(10):
        episode = review_builders.episode_for(
            PatientFactory(registered_practice=world.practice_b), status="active"
        )
        first = Milestone.objects.create(
            episode=episode,
            kind="annual_review_due",
            occurred_at=timezone.now() - timedelta(days=5),
        )
        Milestone.objects.filter(pk=first.pk).update(
            created_at=timezone.now() - timedelta(days=300)
        )
        held = timezone.now() - timedelta(days=20 if early < 8 else 2)
        later = Milestone.objects.create(
            episode=episode, kind="annual_review_due", occurred_at=held + timedelta(days=365)
        )
        Milestone.objects.filter(pk=later.pk).update(created_at=held)
    # Patient records entered in error, with waits and a care plan: counted by neither.
    for _ in range(8):
        episode = _episode_with_wait(
            world.practice_a, referred_days_ago=16, triage_wait=10, priority="urgent"
        )
        careplan_builders.agreed_plan(episode.patient, condition="headache", actor=world.clinician)
        type(episode.patient).objects.filter(pk=episode.patient_id).update(entered_in_error=True)
    # A care plan entered in error: its patient is not one with a plan.
    plan = careplan_builders.agreed_plan(
        PatientFactory(registered_practice=world.practice_a),
        condition="headache",
        actor=world.clinician,
    )
    type(plan).objects.filter(pk=plan.pk).update(entered_in_error=True)
    Milestone.objects.filter(kind="care_plan_agreed").update(
        occurred_at=timezone.now() - timedelta(hours=1)
    )
    check = dashboard_check()
    assert check["differences"] == []
    assert check["rows"] > 0 and check["same_length"]
