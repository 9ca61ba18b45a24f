"""The demo referrals: every status, an urgent one awaiting triage, a pending self-referral."""

import pytest

from pathway.demo import seed_kernel
from referrals.demo import seed_demo
from referrals.models import EmergencyStop, Referral

pytestmark = pytest.mark.django_db


def test_the_demo_has_each_status_and_is_idempotent(monkeypatch):
    monkeypatch.setattr("referrals.letters.enqueue_triage_letter", lambda uuid: True)
    ctx = seed_kernel()
    seed_demo(ctx)
    counts = Referral.objects.count(), EmergencyStop.objects.count()
    seed_demo(seed_kernel())
    assert (Referral.objects.count(), EmergencyStop.objects.count()) == counts
    statuses = set(Referral.objects.values_list("status", flat=True))
    assert statuses == {"submitted", "accepted", "rejected", "redirected", "closed"}
    assert Referral.objects.filter(status="submitted", urgency="urgent").exists()
    assert Referral.objects.filter(source="self", status="submitted", patient=None).exists()
    for referral in Referral.objects.exclude(source="self"):
        assert referral.episode.patient_id == referral.patient_id
        kinds = set(referral.episode.milestones.values_list("kind", flat=True))
        assert "referral_received" in kinds
        assert ("triaged" in kinds) == referral.is_decided, referral.status
