"""Demo diaries: about 90 days for Alex Morgan (chronic migraine with triptan overuse) and some
days for other demo patients. Deterministic and idempotent: a day that already has a record is
left alone, so running the seed twice (or on a later day) only fills the gaps."""

import random
from datetime import date, time, timedelta
from importlib import import_module

from django.apps import apps
from django.utils import timezone

from diaries import services
from diaries.models import DiaryEntry, Medicine
from diaries.services import DayData, DoseData, EpisodeData

MIGRAINE = frozenset(
    {
        "unilateral",
        "pulsating",
        "worse_with_activity",
        "nausea_or_vomiting",
        "photophobia",
        "phonophobia",
    }
)
TENSION = frozenset({"worse_with_activity"})
NOTES = [
    "Busy week at work & not much sleep.",
    "Woke with it; better after the tablet and a dark room.",
    "Missed lunch, headache by mid-afternoon.",
    "Long day at the screen.",
]


# (given name, family name) of a kernel demo patient, days of diary, how each day is made.
PLAN = [
    (("Alex", "Morgan"), 90, "_alex_day"),
    (("Jamie", "Clarke"), 40, "_episodic_day"),
    (("Morgan", "Evans"), 30, "_chronic_pain_day"),
    (("Riley", "Green"), 90, "_mixed_analgesic_day"),
]


def ensure_catalogue() -> None:
    """Re-run the catalogue seed of migration 0002 (idempotent). A database flushed after
    migrating (`manage.py flush`, browser tests) has lost the rows the migration wrote."""
    import_module("diaries.migrations.0002_seed_medicines").seed(apps, None)


def seed_demo(ctx) -> None:
    ensure_catalogue()
    today = timezone.localdate()
    medicines = {m.code: m for m in Medicine.objects.all()}
    by_name = {(p.given_name, p.family_name): p for p in ctx.patients}
    for name, days, maker in PLAN:
        patient = by_name.get(name)
        if patient is not None:
            _seed(patient, today, days, globals()[maker], medicines)


def _seed(patient, today: date, days: int, make_day, medicines) -> None:
    first = today - timedelta(days=days)
    existing = set(
        DiaryEntry.objects.live()
        .filter(patient=patient, day__range=(first, today))
        .values_list("day", flat=True)
    )
    rng = random.Random(patient.nhs_number)  # noqa: S311  demo data, not security
    plan = [make_day(index, rng, medicines) for index in range(days)]
    for index, data in enumerate(plan):
        day = first + timedelta(days=index)
        if day in existing or data is None:
            continue
        services.record_entry(actor=patient.user, patient=patient, day=day, data=data, today=today)


def _episode(severity, features, doses=(), start=None, duration="4_to_12h") -> EpisodeData:
    return EpisodeData(
        severity=severity,
        duration=duration,
        start_time=start,
        features=frozenset(features),
        doses=tuple(doses),
    )


def _alex_day(index: int, rng: random.Random, medicines) -> DayData:
    """Headache on about 16 days a month, migraine on about 10, a triptan on about 11."""
    period = index % 28 < 5
    roll = rng.random()
    triggers = {t for t in ("stress", "sleep", "screen", "missed_meal") if rng.random() < 0.15}
    if period:
        triggers.add("period")
    common = {
        "period": period,
        "triggers": frozenset(triggers),
        "sleep": rng.choice(["good", "fair", "poor"]),
        "mood": rng.choice(["good", "okay", "okay", "low"]),
        "note": rng.choice(NOTES) if rng.random() < 0.08 else "",
    }
    if roll < 0.28 or (period and roll < 0.6):
        episodes = [
            _episode(
                rng.choice(["moderate", "severe", "severe"]),
                MIGRAINE,
                [DoseData(medicines["sumatriptan"], rng.choice([1, 1, 2]))],
                start=time(rng.choice([6, 7, 14, 16, 19]), 0),
                duration=rng.choice(["4_to_12h", "12_to_24h"]),
            )
        ]
        if rng.random() < 0.15:
            episodes.append(
                _episode(
                    "moderate",
                    MIGRAINE - {"phonophobia"},
                    [DoseData(medicines["ibuprofen"], 1)],
                    start=time(21, 30),
                    duration="1_to_4h",
                )
            )
        return DayData(
            headache=True,
            episodes=tuple(episodes),
            work_impact=rng.choice(["missed", "reduced"]),
            activity="very_little",
            **common,
        )
    if roll < 0.58:
        doses = [DoseData(medicines["paracetamol"], 2)] if rng.random() < 0.5 else []
        if rng.random() < 0.2:
            doses = [DoseData(medicines["sumatriptan"], 1)]
        return DayData(
            headache=True,
            episodes=(
                _episode(rng.choice(["mild", "moderate"]), TENSION, doses, duration="1_to_4h"),
            ),
            work_impact="reduced" if rng.random() < 0.3 else "none",
            activity="less",
            **common,
        )
    return DayData(headache=False, activity="as_usual", work_impact="none", **common)


def _episodic_day(index: int, rng: random.Random, medicines) -> DayData | None:
    if rng.random() < 0.1:
        return None  # a few days left blank, as real diaries are
    if rng.random() < 0.2:
        return DayData(
            headache=True,
            episodes=(
                _episode(
                    rng.choice(["mild", "moderate"]),
                    {"pulsating"},
                    [DoseData(medicines["ibuprofen"], rng.choice([1, 2]))],
                    duration="1_to_4h",
                ),
            ),
            triggers=frozenset({"stress"}),
        )
    return DayData(headache=False)


def _chronic_pain_day(index: int, rng: random.Random, medicines) -> DayData:
    return DayData(
        headache=False,
        pain_score=rng.choice([3, 4, 5, 5, 6, 7]),
        pain_sites=("lower_back", "neck")
        if rng.random() < 0.6
        else ("lower_back", "hips", "knees"),
        sleep=rng.choice(["fair", "poor"]),
        mood=rng.choice(["okay", "low"]),
        activity=rng.choice(["less", "as_usual"]),
        work_impact=rng.choice(["none", "reduced"]),
        # Paracetamol for the back pain on some days: medicine apart from a headache.
        doses=(DoseData(medicines["paracetamol"], 2),) if rng.random() < 0.3 else (),
    )


def _mixed_analgesic_day(index: int, rng: random.Random, medicines) -> DayData:
    """Paracetamol on 6 days a month and codeine on about 5, never on the same day: no class
    overused alone but more than 10 medication days a month in total (ICHD-3 8.2.6)."""
    slot = index % 15
    if slot in (0, 2, 4):
        medicine = medicines["paracetamol"]
    elif slot in (7, 9, 11) and index < 84:
        medicine = medicines["codeine"]
    elif slot == 13:
        return DayData(headache=True, episodes=(_episode("mild", TENSION, duration="1_to_4h"),))
    else:
        return DayData(headache=False)
    return DayData(
        headache=True,
        episodes=(_episode("moderate", TENSION, [DoseData(medicine, 2)]),),
    )
