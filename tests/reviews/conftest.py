import pytest

from tests.factories import UserFactory


@pytest.fixture
def second_clinician(world):
    """Another clinician in the same care team as world.clinician."""
    return UserFactory(
        role="clinician",
        discipline="physiotherapist",
        full_name="Physio Pat",
        organisations=[world.service],
    )


@pytest.fixture(autouse=True)
def _no_broker(request, monkeypatch):
    """Unit tests check outbox rows, not delivery: keep the on-commit hand-off to the broker
    from touching the filesystem queue. The fault tests (marked `redis`) use a real broker."""
    if request.node.get_closest_marker("redis"):
        return
    monkeypatch.setattr(
        "pathway.notifications.outbox.enqueue_delivery", lambda *args, **kwargs: True
    )
    monkeypatch.setattr("pathway.notifications.outbox.enqueue_deliveries", lambda uuids: len(uuids))


@pytest.fixture
def afternoon(monkeypatch):
    """Pin the clock to 15:00 London today, before the evening diary nudge and outside quiet
    hours, so planners that depend on the time of day behave the same whenever the suite runs."""
    from datetime import datetime, time
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    moment = datetime.combine(timezone.localdate(), time(15, 0), tzinfo=ZoneInfo("Europe/London"))
    monkeypatch.setattr(timezone, "now", lambda: moment)
    return moment
