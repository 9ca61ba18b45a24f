"""The demo diaries: Alex Morgan's 90 days show triptan overuse and chronic migraine; seeding
twice changes nothing."""

import pytest
from django.apps import apps
from django.utils import timezone

from diaries import selectors
from diaries.models import DiaryEntry, HeadacheEpisode
from pathway.demo import seed_kernel
from pathway.models import AuditEvent


@pytest.fixture
def ctx(db):
    context = seed_kernel()
    apps.get_app_config("diaries").seed_demo(context)
    return context


def test_alex_has_90_days_of_chronic_migraine_with_triptan_overuse(ctx):
    alex = ctx.patients[0]
    assert alex.user == ctx.users["patient"]
    summary = selectors.diary_window(alex, end=timezone.localdate()).summary
    assert summary.days_recorded >= 89
    assert summary.chronic_migraine
    assert summary.overused_classes == ("triptan",)
    assert summary.moh_ichd3 and summary.ichd3_moh_codes == ("8.2.2",)
    assert 10 <= summary.medication_days_per_month["triptan"] < 13
    assert not DiaryEntry.objects.filter(patient=alex, day=timezone.localdate()).exists()


def test_other_demo_patients_have_some_diary_days(ctx):
    with_diaries = set(DiaryEntry.objects.values_list("patient", flat=True).distinct())
    assert len(with_diaries) >= 3
    flagged = selectors.patients_with_diary_flags(
        type(ctx.patients[0]).objects.all(), today=timezone.localdate()
    )
    assert {p.given_name for p in flagged} >= {"Alex", "Riley"}


def test_seeding_twice_changes_nothing(ctx):
    counts = (
        DiaryEntry.objects.count(),
        HeadacheEpisode.objects.count(),
        AuditEvent.objects.count(),
    )
    apps.get_app_config("diaries").seed_demo(ctx)
    assert (
        DiaryEntry.objects.count(),
        HeadacheEpisode.objects.count(),
        AuditEvent.objects.count(),
    ) == counts
