"""The diary's invariants live in the database (STYLE.md rule 11): each named constraint fires."""

from datetime import date

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from diaries.models import (
    DiaryEntry,
    DiaryReport,
    HeadacheEpisode,
    MedicationDose,
    Medicine,
)

DAY = date(2025, 3, 1)


@pytest.fixture
def patient(world):
    return world.patient


def test_one_live_entry_per_patient_and_day(patient):
    DiaryEntry.objects.create(patient=patient, day=DAY)
    with pytest.raises(IntegrityError), transaction.atomic():
        DiaryEntry.objects.create(patient=patient, day=DAY)


def test_an_entry_entered_in_error_does_not_block_a_new_one(patient):
    DiaryEntry.objects.create(patient=patient, day=DAY, entered_in_error=True)
    DiaryEntry.objects.create(patient=patient, day=DAY)
    assert DiaryEntry.objects.live().filter(patient=patient, day=DAY).count() == 1


@pytest.mark.parametrize("score", [-1, 11])
def test_pain_score_is_0_to_10(patient, score):
    with pytest.raises(IntegrityError), transaction.atomic():
        DiaryEntry.objects.create(patient=patient, day=DAY, pain_score=score)


def test_pain_score_bounds_are_allowed(patient):
    DiaryEntry.objects.create(patient=patient, day=DAY, pain_score=0)
    DiaryEntry.objects.create(patient=patient, day=date(2025, 3, 2), pain_score=10)


def test_a_migraine_day_is_a_headache_day(patient):
    with pytest.raises(IntegrityError), transaction.atomic():
        DiaryEntry.objects.create(patient=patient, day=DAY, migraine=True)


def test_a_medication_day_may_be_headache_free(patient):
    """A medicine taken apart from a headache makes a medication day (clinical-rules.md section
    8, diary convention 4): the day's record allows the flag without a headache."""
    entry = DiaryEntry.objects.create(patient=patient, day=DAY, took_simple_analgesic=True)
    paracetamol = Medicine.objects.get(code="paracetamol")
    MedicationDose.objects.create(entry=entry, medicine=paracetamol, doses=2)
    assert entry.medication_classes == {"simple_analgesic"}


@pytest.mark.parametrize(
    ("headache", "severity"), [(True, ""), (False, "mild"), (True, "agonising")]
)
def test_worst_severity_matches_the_headache_answer(patient, headache, severity):
    with pytest.raises(IntegrityError), transaction.atomic():
        DiaryEntry.objects.create(
            patient=patient, day=DAY, headache=headache, worst_severity=severity
        )


@pytest.mark.parametrize("field", ["sleep", "mood", "activity", "work_impact"])
def test_day_choices_are_in_their_vocabulary(patient, field):
    with pytest.raises(IntegrityError), transaction.atomic():
        DiaryEntry.objects.create(patient=patient, day=DAY, **{field: "fantastic"})


@pytest.fixture
def episode(patient):
    entry = DiaryEntry.objects.create(
        patient=patient, day=DAY, headache=True, worst_severity="mild"
    )
    return HeadacheEpisode.objects.create(entry=entry, severity="mild", duration="1_to_4h")


@pytest.mark.parametrize(("field", "value"), [("severity", "awful"), ("duration", "a while")])
def test_episode_choices_are_in_their_vocabulary(episode, field, value):
    with pytest.raises(IntegrityError), transaction.atomic():
        HeadacheEpisode.objects.create(
            entry=episode.entry, **{"severity": "mild", "duration": "1_to_4h", field: value}
        )


@pytest.mark.parametrize("doses", [0, 21])
def test_doses_are_1_to_20(episode, doses):
    paracetamol = Medicine.objects.get(code="paracetamol")
    with pytest.raises(IntegrityError), transaction.atomic():
        MedicationDose.objects.create(
            entry=episode.entry, episode=episode, medicine=paracetamol, doses=doses
        )


def test_one_dose_row_per_medicine_per_episode(episode):
    paracetamol = Medicine.objects.get(code="paracetamol")
    MedicationDose.objects.create(
        entry=episode.entry, episode=episode, medicine=paracetamol, doses=2
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        MedicationDose.objects.create(
            entry=episode.entry, episode=episode, medicine=paracetamol, doses=1
        )


def test_a_dose_belongs_to_a_day(episode):
    paracetamol = Medicine.objects.get(code="paracetamol")
    with pytest.raises(IntegrityError), transaction.atomic():
        MedicationDose.objects.create(episode=episode, medicine=paracetamol, doses=1)


def test_one_live_row_per_medicine_apart_from_headaches(episode):
    """Apart from headaches a medicine has one live row a day; superseded rows are history, and
    the same medicine for a headache is a row of its own."""
    entry, paracetamol = episode.entry, Medicine.objects.get(code="paracetamol")
    MedicationDose.objects.create(entry=entry, medicine=paracetamol, doses=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        MedicationDose.objects.create(entry=entry, medicine=paracetamol, doses=2)
    MedicationDose.objects.create(
        entry=entry, medicine=paracetamol, doses=2, superseded_at=timezone.now()
    )
    MedicationDose.objects.create(entry=entry, episode=episode, medicine=paracetamol, doses=1)
    assert entry.doses.live().apart_from_headaches().count() == 1


def test_a_preventive_has_no_diary_class(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        Medicine.objects.create(code="x", name="X", role="preventive", diary_class="triptan")


def test_the_opioid_class_carries_the_opioid_flag(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        Medicine.objects.create(code="x", name="X", role="acute", diary_class="opioid")


def test_an_unknown_diary_class_is_refused(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        Medicine.objects.create(code="x", name="X", role="acute", diary_class="gepant")


def test_a_ready_report_has_its_file(patient):
    with pytest.raises(IntegrityError), transaction.atomic():
        DiaryReport.objects.create(patient=patient, start=DAY, status="ready")
    DiaryReport.objects.create(
        patient=patient,
        start=DAY,
        status="ready",
        pdf=b"%PDF",
        content_hash="a" * 64,
        rendered_at=timezone.now(),
    )


def test_report_status_is_in_its_vocabulary(patient):
    with pytest.raises(IntegrityError), transaction.atomic():
        DiaryReport.objects.create(patient=patient, start=DAY, status="lost")


@pytest.mark.parametrize(
    "table", [DiaryEntry._meta.db_table, "pathway_auditevent"], ids=["diary", "audit"]
)
def test_lookups_by_patient_have_an_index_and_no_duplicate_of_it(db, table):
    """Each write pays for every index: the patient column has no single-column index of its
    own, because an index that starts with it already serves lookups by patient."""
    from django.db import connection

    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    indexes = [c["columns"] for c in constraints.values() if c["index"] and not c["primary_key"]]
    assert ["patient_id"] not in indexes
    assert any(columns[0] == "patient_id" and len(columns) > 1 for columns in indexes)
