import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    """Work handed to the broker on commit is dropped: no worker runs in these tests, and
    pytest-django's transactions never commit unless a test asks for the callbacks."""
    monkeypatch.setattr("pathway.notifications.outbox.enqueue_delivery", lambda *a, **k: True)
    monkeypatch.setattr("careplans.services.documents._enqueue_render", lambda *a, **k: True)
    monkeypatch.setattr("diaries.services.reports.enqueue_report", lambda *a, **k: True)
    monkeypatch.setattr("referrals.letters.enqueue_triage_letter", lambda *a, **k: True)


@pytest.fixture(autouse=True)
def _fresh_throttle():
    """The self-referral throttle counts in the cache; each test starts with none."""
    cache.clear()
    yield
    cache.clear()
