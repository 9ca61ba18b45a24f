"""Diary reads: the 90-day window agrees with the pure rules, and the care-team selector flags
exactly the patients `diaries.rules.summarise` would, set-based, in one query."""

import random
from datetime import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from diaries import rules, selectors, services
from diaries.models import CLASS_FIELDS, DiaryEntry
from pathway.models import Patient
from tests.diaries.builders import (
    clear_day,
    days_ago,
    doses,
    episode,
    flag_entry,
    headache_day,
    record,
    today,
)
from tests.factories import PatientFactory


@pytest.fixture
def patient(world):
    return world.patient


def _bulk(patient, days: dict[int, dict]):
    """Write days (by days-ago index) with the given derived flags straight to the table."""
    DiaryEntry.objects.bulk_create(
        [flag_entry(patient, days_ago(ago), **flags) for ago, flags in days.items()]
    )


def _flagged(patients=None, **kwargs):
    qs = patients if patients is not None else Patient.objects.all()
    return {
        p.pk: (p.diary_medication_overuse, p.diary_chronic_headache, p.diary_chronic_migraine)
        for p in selectors.patients_with_diary_flags(qs, today=today(), **kwargs)
    }


def test_the_window_summary_is_the_rules_summary(patient):
    record(
        patient,
        days_ago(0),
        headache_day(episode("severe", migraine=True, doses={"sumatriptan": 1})),
    )
    record(
        patient,
        days_ago(1),
        clear_day(pain_score=4, pain_sites=("neck",), triggers=frozenset({"stress"})),
    )
    record(patient, days_ago(89), headache_day(episode("mild", doses={"paracetamol": 2})))
    record(patient, days_ago(90), headache_day())  # outside the 90 days
    window = selectors.diary_window(patient, end=today())
    assert window.start == days_ago(89)
    summary = window.summary
    assert (summary.days_recorded, summary.headache_days_total, summary.migraine_days_total) == (
        3,
        2,
        1,
    )
    assert summary.medication_days_total["triptan"] == 1
    assert summary.medication_days_total["simple_analgesic"] == 1
    assert window.days_missing == 87
    assert window.trigger_counts == [("Stress", 1)]
    assert window.site_counts == [("Neck", 1)]
    assert (window.pain_days, window.pain_average, window.pain_highest) == (1, 4, 4)
    assert [m.headache_days for m in window.months] == [1, 0, 1]


def test_the_window_is_read_in_one_query(patient):
    for ago in range(0, 90, 3):
        record(patient, days_ago(ago), headache_day())
    with CaptureQueriesContext(connection) as queries:
        selectors.diary_window(patient, end=today())
    assert len(queries) == 1


def test_entered_in_error_days_are_left_out(patient):
    entry = record(patient, days_ago(3), headache_day())
    DiaryEntry.objects.filter(pk=entry.pk).update(entered_in_error=True)
    assert selectors.diary_window(patient, end=today()).summary.headache_days_total == 0


def test_recent_medicines_come_first_then_acute_then_preventive(patient):
    record(patient, days_ago(5), headache_day(episode(doses={"naproxen": 1})))
    record(patient, days_ago(2), headache_day(episode(doses={"zolmitriptan": 1})))
    options = selectors.medicine_options(patient, today=today())
    labels = [label for label, _ in options.choices]
    assert labels == [
        "Your recent medicines",
        "Painkillers and migraine medicines",
        "Preventive and regular medicines",
    ]
    recent = [code for code, _ in options.choices[0][1]]
    assert recent == ["zolmitriptan", "naproxen"]
    acute = [code for code, _ in options.choices[1][1]]
    assert "zolmitriptan" not in acute and "sumatriptan" in acute
    assert "propranolol" in [code for code, _ in options.choices[2][1]]


def test_medicine_use_counts_days_and_doses(patient):
    record(
        patient,
        days_ago(1),
        headache_day(episode(doses={"sumatriptan": 2}), episode(doses={"sumatriptan": 1})),
    )
    record(patient, days_ago(2), headache_day(episode(doses={"sumatriptan": 1, "paracetamol": 2})))
    rows = selectors.medicine_use(patient, days_ago(89), today())
    assert [(r["medicine__name"], r["days"], r["doses"], r["class_label"]) for r in rows] == [
        ("Sumatriptan", 2, 4, "Triptan"),
        ("Paracetamol", 1, 2, "Simple painkiller (paracetamol, aspirin, NSAID)"),
    ]


def test_medicine_use_counts_medicines_taken_apart_from_a_headache(patient):
    """A day's medicine counts once however it was taken; corrected rows are not counted."""
    record(
        patient,
        days_ago(1),
        headache_day(episode(doses={"paracetamol": 2}), doses=doses(paracetamol=1)),
    )
    record(patient, days_ago(2), clear_day(doses=doses(paracetamol=3, codeine=1)))
    record(patient, days_ago(2), clear_day(doses=doses(paracetamol=2, codeine=1)))
    rows = selectors.medicine_use(patient, days_ago(89), today())
    assert [(r["medicine__name"], r["days"], r["doses"]) for r in rows] == [
        ("Paracetamol", 2, 5),
        ("Codeine", 1, 1),
    ]
    recent = [code for code, _ in selectors.medicine_options(patient, today=today()).choices[0][1]]
    assert recent == ["paracetamol", "codeine"]


# patients_with_diary_flags: thresholds at their boundaries


def test_triptans_on_30_of_90_days_is_overuse_and_29_is_not(world):
    _bulk(world.patient, {ago: {"headache": True, "took_triptan": True} for ago in range(30)})
    _bulk(world.other_patient, {ago: {"headache": True, "took_triptan": True} for ago in range(29)})
    assert _flagged() == {world.patient.pk: (True, False, False)}


def test_simple_analgesics_need_45_days(world):
    _bulk(
        world.patient, {ago: {"headache": True, "took_simple_analgesic": True} for ago in range(44)}
    )
    assert _flagged() == {}
    _bulk(world.patient, {44: {"headache": True, "took_simple_analgesic": True}})
    assert _flagged() == {world.patient.pk: (True, True, False)}


def test_45_headache_days_is_a_chronic_pattern_and_44_is_not(world):
    _bulk(world.patient, {ago: {"headache": True} for ago in range(44)})
    assert _flagged() == {}
    _bulk(world.patient, {44: {"headache": True, "migraine": True}})
    assert _flagged() == {world.patient.pk: (False, True, False)}


def test_chronic_migraine_needs_24_migraine_days(world):
    _bulk(world.patient, {ago: {"headache": True, "migraine": ago < 24} for ago in range(45)})
    _bulk(world.other_patient, {ago: {"headache": True, "migraine": ago < 23} for ago in range(45)})
    assert _flagged() == {
        world.patient.pk: (False, True, True),
        world.other_patient.pk: (False, True, False),
    }


def test_several_classes_on_30_distinct_days_is_overuse_8_2_6(world):
    days = {ago: {"headache": True, "took_simple_analgesic": True} for ago in range(25)}
    days |= {ago: {"headache": True, "took_triptan": True} for ago in range(25, 30)}
    _bulk(world.patient, days)
    one_short = {ago: {"headache": True, "took_simple_analgesic": True} for ago in range(25)}
    one_short |= {ago: {"headache": True, "took_opioid": True} for ago in range(25, 29)}
    _bulk(world.other_patient, one_short)
    assert _flagged() == {world.patient.pk: (True, False, False)}


def test_one_class_on_many_days_below_its_own_limit_is_not_8_2_6(world):
    _bulk(
        world.patient, {ago: {"headache": True, "took_simple_analgesic": True} for ago in range(40)}
    )
    assert _flagged() == {}


def test_days_outside_the_window_and_entered_in_error_do_not_count(world):
    _bulk(world.patient, {ago: {"headache": True, "took_triptan": True} for ago in range(61, 91)})
    DiaryEntry.objects.filter(patient=world.patient, day=days_ago(90)).delete()
    _bulk(world.other_patient, {ago: {"headache": True, "took_triptan": True} for ago in range(30)})
    DiaryEntry.objects.filter(patient=world.other_patient, day=days_ago(0)).update(
        entered_in_error=True
    )
    assert _flagged() == {}
    _bulk(world.patient, {60: {"headache": True, "took_triptan": True}})
    assert _flagged() == {world.patient.pk: (True, False, False)}


def test_the_flag_selector_keeps_to_the_patients_it_is_given(world):
    _bulk(world.patient, {ago: {"headache": True, "took_triptan": True} for ago in range(30)})
    _bulk(world.patient_in_c, {ago: {"headache": True, "took_triptan": True} for ago in range(30)})
    scoped = Patient.objects.filter(registered_practice=world.practice_c)
    assert set(_flagged(scoped)) == {world.patient_in_c.pk}


def test_the_flag_selector_is_one_query_whatever_the_number_of_patients(world):
    for person in (world.patient, world.other_patient, world.patient_in_b, world.patient_in_c):
        _bulk(person, {ago: {"headache": True, "took_triptan": True} for ago in range(35)})
    with CaptureQueriesContext(connection) as queries:
        assert len(_flagged()) == 4
    assert len(queries) == 1


def test_the_flag_selector_agrees_with_summarise_on_random_diaries(world):
    """Random diaries near the thresholds: the SQL flags equal the pure rules' flags."""
    rng = random.Random(20260101)
    start = days_ago(89)
    expected = {}
    entries = []
    for _ in range(60):
        person = PatientFactory(registered_practice=world.practice_a)
        headache_rate = rng.uniform(0.3, 0.7)
        class_rates = {
            name: rng.choice([0, 0, 0.1, 0.3, 0.45]) for name in rules.MEDICATION_CLASSES
        }
        days = []
        for ago in range(95):
            if rng.random() < 0.1:
                continue
            headache = rng.random() < headache_rate
            classes = frozenset(n for n, r in class_rates.items() if headache and rng.random() < r)
            migraine = headache and rng.random() < 0.55
            day = days_ago(ago)
            entries.append(
                flag_entry(
                    person,
                    day,
                    headache=headache,
                    migraine=migraine,
                    **{CLASS_FIELDS[n]: True for n in classes},
                )
            )
            if day >= start:
                days.append(rules.DiaryDay(day, headache, migraine, classes))
        summary = rules.summarise(days, start=start)
        if summary.medication_overuse or summary.headache_frequency == rules.CHRONIC:
            expected[person.pk] = (
                summary.medication_overuse,
                summary.headache_frequency == rules.CHRONIC,
                summary.chronic_migraine,
            )
    DiaryEntry.objects.bulk_create(entries)
    found = _flagged(Patient.objects.exclude(pk__in=[world.patient.pk]))
    assert found == expected
    assert 5 < len(expected) < 55  # the sample straddles the thresholds


def test_the_flag_selector_composes_with_other_filters(world):
    _bulk(world.patient, {ago: {"headache": True, "took_triptan": True} for ago in range(30)})
    flagged = selectors.patients_with_diary_flags(Patient.objects.all(), today=today())
    assert list(flagged.filter(diary_medication_overuse=True).values_list("pk", flat=True)) == [
        world.patient.pk
    ]
    assert flagged.filter(diary_chronic_headache=True).count() == 0


def test_patients_without_an_entry_for_a_day(world):
    record(world.patient, today(), clear_day())
    removed = record(world.other_patient, today(), clear_day())
    DiaryEntry.objects.filter(pk=removed.pk).update(entered_in_error=True)
    record(world.patient_in_b, days_ago(1), clear_day())
    scoped = Patient.objects.filter(registered_practice__in=[world.practice_a, world.practice_b])
    with CaptureQueriesContext(connection) as queries:
        missing = set(selectors.patients_without_entry(scoped, day=today()))
    assert missing == {world.other_patient, world.patient_in_b}
    assert len(queries) == 1


def test_entry_and_days_before_reads_the_day_and_its_week_in_one_query(patient):
    record(patient, days_ago(2), clear_day())
    removed = record(patient, days_ago(4), clear_day())
    services.mark_entry_entered_in_error(actor=patient.user, entry=removed)
    record(patient, days_ago(9), clear_day())
    with CaptureQueriesContext(connection) as queries:
        entry, earlier = selectors.entry_and_days_before(patient, today(), 7)
    assert (entry, list(earlier), len(queries)) == (None, [days_ago(2)], 1)

    record(
        patient,
        today(),
        headache_day(
            episode("severe", doses={"ibuprofen": 1}), episode(), doses=doses(paracetamol=2)
        ),
    )
    with CaptureQueriesContext(connection) as queries:
        entry, earlier = selectors.entry_and_days_before(patient, today(), 7)
        severities = [e.severity for e in entry.live_episodes]
        taken = [d.medicine.code for e in entry.live_episodes for d in e.doses.all()]
        apart = [(d.medicine.code, d.doses) for d in entry.live_doses_apart]
    assert (severities, taken, apart, list(earlier)) == (
        ["severe", "moderate"],
        ["ibuprofen"],
        [("paracetamol", 2)],
        [days_ago(2)],
    )
    assert len(queries) == 4


def test_a_days_headaches_come_in_time_order_with_untimed_ones_last_as_entered(patient):
    day = days_ago(1)
    record(
        patient,
        day,
        headache_day(
            episode("mild"),
            episode("severe", start=time(14, 0)),
            episode("moderate"),
            episode("moderate", start=time(7, 30)),
        ),
    )
    entry = selectors.entry_for_day(patient, day)
    shown = [(e.start_time, e.severity) for e in entry.live_episodes]
    assert shown == [
        (time(7, 30), "moderate"),
        (time(14, 0), "severe"),
        (None, "mild"),
        (None, "moderate"),
    ]
    assert [e.pk for e in entry.episodes.live()] == [e.pk for e in entry.live_episodes]
