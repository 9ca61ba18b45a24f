"""Diary builders for tests (kept in the app's tests while tests/factories.py has none)."""

from datetime import date, time, timedelta

from django.utils import timezone

from diaries import services
from diaries.models import DiaryEntry, DiaryReport, Medicine
from diaries.services import DayData, DoseData, EpisodeData

MIGRAINE_FEATURES = frozenset(
    {"unilateral", "pulsating", "nausea_or_vomiting", "photophobia", "phonophobia"}
)


def medicine(code: str) -> Medicine:
    return Medicine.objects.get(code=code)


def episode(
    severity: str = "moderate",
    *,
    migraine: bool = False,
    doses: dict[str, int] | None = None,
    start: time | None = None,
    duration: str = "4_to_12h",
    features=None,
    aura: bool = False,
) -> EpisodeData:
    return EpisodeData(
        severity=severity,
        duration=duration,
        start_time=start,
        features=frozenset(
            features if features is not None else (MIGRAINE_FEATURES if migraine else ())
        ),
        aura=aura,
        doses=tuple(DoseData(medicine(code), count) for code, count in (doses or {}).items()),
    )


def doses(**counts: int) -> tuple[DoseData, ...]:
    """Medicines taken apart from a headache, e.g. doses(paracetamol=2)."""
    return tuple(DoseData(medicine(code), count) for code, count in counts.items())


def headache_day(*episodes: EpisodeData, **fields) -> DayData:
    return DayData(headache=True, episodes=episodes or (episode(),), **fields)


def clear_day(**fields) -> DayData:
    return DayData(headache=False, **fields)


def record(patient, day: date, data: DayData | None = None, *, actor=None) -> DiaryEntry:
    """Save a day through the service (so derived flags are right)."""
    return services.record_entry(
        actor=actor or patient.user, patient=patient, day=day, data=data or clear_day()
    )


def today() -> date:
    return timezone.localdate()


def days_ago(n: int) -> date:
    return today() - timedelta(days=n)


def flag_entry(patient, day: date, **flags) -> DiaryEntry:
    """A day written straight to the table with the derived flags given (for bulk rule tests)."""
    values = {"headache": False, "migraine": False, "worst_severity": ""}
    values.update(flags)
    if values["headache"] and not values["worst_severity"]:
        values["worst_severity"] = "moderate"
    return DiaryEntry(patient=patient, day=day, **values)


def ready_report(patient, *, start: date | None = None) -> DiaryReport:
    start = start or days_ago(89)
    return DiaryReport.objects.create(
        patient=patient,
        start=start,
        status=DiaryReport.Status.READY,
        pdf=b"%PDF-1.7 test",
        content_hash="0" * 64,
        rendered_at=timezone.now(),
    )


def preparing_report(patient, *, start: date | None = None) -> DiaryReport:
    return DiaryReport.objects.create(patient=patient, start=start or days_ago(89))
