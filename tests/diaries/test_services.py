"""Writing diary days: one live record per day, corrections keep history, bad input saves
nothing, every write leaves an audit row."""

from datetime import time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from diaries import services
from diaries.models import DiaryEntry, HeadacheEpisode, MedicationDose, Medicine
from diaries.services import DayData, DoseData, EpisodeData, entries
from pathway.models import AuditEvent
from tests.diaries.builders import (
    clear_day,
    days_ago,
    doses,
    episode,
    headache_day,
    medicine,
    record,
    today,
)


@pytest.fixture
def patient(world):
    return world.patient


def _errors(call) -> dict:
    with pytest.raises(ValidationError) as error:
        call()
    return error.value.message_dict


def _save(patient, data, day=None):
    return services.record_entry(actor=patient.user, patient=patient, day=day or today(), data=data)


def test_it_records_a_headache_free_day_with_an_audit_row(patient):
    entry = _save(patient, clear_day(mood="good"))
    assert (entry.headache, entry.migraine, entry.worst_severity) == (False, False, "")
    event = AuditEvent.objects.get(object_uuid=entry.uuid)
    assert (event.action, event.actor, event.patient) == ("create", patient.user, patient)
    assert event.fields == ["mood"]


def test_it_derives_the_day_flags_from_the_episodes(patient):
    entry = _save(
        patient,
        headache_day(
            episode("mild", doses={"paracetamol": 2}),
            episode("severe", migraine=True, doses={"sumatriptan": 1}, start=time(7, 30)),
        ),
    )
    assert entry.headache and entry.migraine
    assert entry.worst_severity == "severe"
    assert entry.medication_classes == {"simple_analgesic", "triptan"}
    episodes = list(entry.episodes.order_by("id"))
    assert [e.migraine for e in episodes] == [False, True]
    assert episodes[1].start_time == time(7, 30)
    dose = MedicationDose.objects.get(episode=episodes[1])
    assert (dose.medicine.code, dose.medication_class, dose.doses) == ("sumatriptan", "triptan", 1)


def test_a_day_of_tension_type_headache_is_not_a_migraine_day(patient):
    entry = _save(patient, headache_day(episode("moderate", features={"worse_with_activity"})))
    assert entry.headache and not entry.migraine


def test_a_headache_felt_as_migraine_and_eased_by_a_triptan_is_a_migraine_day(patient):
    mild = episode("mild", features=set(), doses={"sumatriptan": 1})
    believed = EpisodeData(**{**vars(mild), "felt_like_migraine": True, "eased_by_triptan": True})
    entry = _save(patient, headache_day(believed))
    assert entry.migraine
    row = entry.episodes.get()
    assert (row.felt_like_migraine, row.eased_by_triptan, row.migraine) == (True, True, True)
    # Felt like a migraine, but nothing said to have eased it: the features decide.
    only_felt = EpisodeData(**{**vars(mild), "felt_like_migraine": True})
    assert not _save(patient, headache_day(only_felt)).migraine


def test_eased_by_a_triptan_needs_a_triptan_or_ergotamine_taken_for_that_headache(patient):
    paracetamol = episode("mild", features=set(), doses={"paracetamol": 1})
    data = EpisodeData(
        **{**vars(paracetamol), "felt_like_migraine": True, "eased_by_triptan": True}
    )
    assert _errors(lambda: _save(patient, headache_day(data))) == {
        "episodes": [entries.MESSAGES["eased_without_triptan"]]
    }
    assert not DiaryEntry.objects.exists()


def test_changing_only_the_felt_and_eased_answers_rewrites_the_episode(patient):
    full = episode("severe", migraine=True, doses={"sumatriptan": 1})
    entry = _save(patient, headache_day(full))
    first = entry.episodes.get()
    changed = EpisodeData(**{**vars(full), "felt_like_migraine": True, "eased_by_triptan": True})
    entry = _save(patient, headache_day(changed))
    first.refresh_from_db()
    assert first.superseded_at is not None
    row = entry.episodes.live().get()
    assert (row.felt_like_migraine, row.eased_by_triptan) == (True, True)
    event = AuditEvent.objects.filter(object_uuid=entry.uuid).latest("id")
    assert event.fields == ["episodes"]


def test_only_a_triptan_taken_for_that_headache_counts_towards_it(patient):
    with_triptan = episode("mild", features=set(), doses={"sumatriptan": 1})
    believed = episode("mild", features=set(), doses={"paracetamol": 1}, start=time(20))
    believed = EpisodeData(
        **{**vars(believed), "felt_like_migraine": True, "eased_by_triptan": True}
    )
    errors = _errors(lambda: _save(patient, headache_day(with_triptan, believed)))
    assert errors == {"episodes": [entries.MESSAGES["eased_without_triptan"]]}


def test_the_dose_keeps_the_class_it_had_when_entered(patient):
    entry = _save(patient, headache_day(episode(doses={"co-codamol": 2})))
    Medicine.objects.filter(code="co-codamol").update(diary_class="opioid", is_opioid=True)
    dose = MedicationDose.objects.get(episode__entry=entry)
    assert dose.medication_class == "combination_analgesic"


def test_saving_a_day_again_updates_the_same_record(patient):
    first = _save(patient, clear_day(pain_score=3))
    second = _save(patient, headache_day(episode("moderate"), pain_score=6))
    assert second.pk == first.pk and second.uuid == first.uuid
    assert DiaryEntry.objects.filter(patient=patient, day=today()).count() == 1
    first.refresh_from_db()
    assert (first.headache, first.pain_score) == (True, 6)
    update = AuditEvent.objects.filter(object_uuid=first.uuid, action="update").get()
    assert {"headache", "pain_score", "episodes", "worst_severity"} <= set(update.fields)


def test_a_correction_supersedes_the_old_episodes_and_keeps_them(patient):
    entry = _save(patient, headache_day(episode("mild", doses={"ibuprofen": 1})))
    old = entry.episodes.get()
    _save(patient, headache_day(episode("severe", migraine=True)))
    old.refresh_from_db()
    assert old.superseded_at is not None
    assert old.doses.count() == 1  # history kept, not deleted
    live = HeadacheEpisode.objects.live().get(entry=entry)
    assert live.severity == "severe"
    entry.refresh_from_db()
    assert (entry.worst_severity, entry.took_simple_analgesic) == ("severe", False)


def test_changing_only_the_mood_leaves_the_episodes_alone(patient):
    entry = _save(patient, headache_day(episode(doses={"ibuprofen": 1}), mood="low"))
    original = entry.episodes.get()
    _save(patient, headache_day(episode(doses={"ibuprofen": 1}), mood="good"))
    assert HeadacheEpisode.objects.live().get(entry=entry).pk == original.pk
    update = AuditEvent.objects.get(object_uuid=entry.uuid, action="update")
    assert update.fields == ["mood"]


def test_saving_the_same_day_twice_unchanged_writes_nothing(patient):
    _save(patient, headache_day(episode(doses={"ibuprofen": 1})))
    _save(patient, headache_day(episode(doses={"ibuprofen": 1})))
    assert AuditEvent.objects.filter(action="update").count() == 0


def test_a_concurrent_first_save_becomes_an_update(patient, monkeypatch):
    """Two saves racing for a new day: the loser's insert hits the unique constraint and it
    updates the winner's row instead of failing."""
    DiaryEntry.objects.create(patient=patient, day=today(), pain_score=2)
    real = entries._live_entry
    calls = []

    def first_read_misses(*args):
        calls.append(args)
        return None if len(calls) == 1 else real(*args)

    monkeypatch.setattr(entries, "_live_entry", first_read_misses)
    entry = _save(patient, clear_day(pain_score=7))
    assert entry.pain_score == 7
    assert DiaryEntry.objects.live().filter(patient=patient, day=today()).count() == 1


def test_it_rejects_a_future_diary_day(patient):
    errors = _errors(lambda: _save(patient, clear_day(), day=today() + timedelta(days=1)))
    assert errors == {"day": ["You cannot fill in a day in the future."]}
    assert not DiaryEntry.objects.exists()


def test_days_back_to_90_can_be_filled_in_but_not_91(patient):
    _save(patient, clear_day(), day=days_ago(90))
    errors = _errors(lambda: _save(patient, clear_day(), day=days_ago(91)))
    assert "today and the 90 days before it" in errors["day"][0]


def test_it_rejects_headache_details_on_a_headache_free_day(patient):
    data = DayData(headache=False, episodes=(episode(migraine=True),))
    errors = _errors(lambda: _save(patient, data))
    assert "did not have a headache" in errors["headache"][0]
    assert not DiaryEntry.objects.exists()


def test_it_rejects_a_headache_answer_without_any_headache(patient):
    errors = _errors(lambda: _save(patient, DayData(headache=True)))
    assert errors["headache"] == ["Tell us about at least one headache, or answer no."]


@pytest.mark.parametrize("score", [-1, 11, True, "5"])
def test_it_rejects_a_pain_score_out_of_range(patient, score):
    errors = _errors(lambda: _save(patient, clear_day(pain_score=score)))
    assert errors == {"pain_score": ["Enter a pain score from 0 to 10."]}


def test_it_rejects_an_unknown_severity(patient):
    data = headache_day(EpisodeData(severity="unbearable", duration="1_to_4h"))
    assert "mild, moderate or severe" in _errors(lambda: _save(patient, data))["episodes"][0]


@pytest.mark.parametrize("doses", [0, -2, 21, 1000])
def test_it_rejects_negative_or_absurd_dose_counts(patient, doses):
    data = headache_day(episode(doses={"paracetamol": doses}))
    errors = _errors(lambda: _save(patient, data))
    assert errors == {"episodes": ["Enter a number of doses from 1 to 20."]}
    assert not MedicationDose.objects.exists()


def test_it_rejects_more_than_20_doses_of_one_medicine_in_a_day(patient):
    data = headache_day(
        episode(doses={"paracetamol": 12}), episode(doses={"paracetamol": 9}, start=time(20))
    )
    errors = _errors(lambda: _save(patient, data))
    assert errors["episodes"] == [
        "More than 20 doses of Paracetamol in one day. Check the numbers."
    ]


def test_it_rejects_an_unknown_or_retired_medicine(patient):
    unsaved = Medicine(code="snake-oil", name="Snake oil", role="acute")
    data = headache_day(EpisodeData("mild", "1_to_4h", doses=(DoseData(unsaved, 1),)))
    assert _errors(lambda: _save(patient, data)) == {
        "episodes": ["Choose a medicine from the list."]
    }
    Medicine.objects.filter(code="naproxen").update(active=False)
    data = headache_day(episode(doses={"naproxen": 1}))
    assert _errors(lambda: _save(patient, data)) == {
        "episodes": ["Choose a medicine from the list."]
    }


def test_a_retired_medicine_may_stay_on_the_day_it_was_recorded(patient):
    _save(patient, headache_day(episode(doses={"naproxen": 1})), day=days_ago(1))
    Medicine.objects.filter(code="naproxen").update(active=False)
    entry = _save(patient, headache_day(episode(doses={"naproxen": 2})), day=days_ago(1))
    assert entry.episodes.live().get().doses.get().doses == 2
    data = clear_day(doses=doses(naproxen=1))
    assert _errors(lambda: _save(patient, data, day=days_ago(2))) == {
        "other_medicine_1": ["Choose a medicine from the list."]
    }


def test_it_rejects_the_same_medicine_twice_for_one_headache(patient):
    ibuprofen = medicine("ibuprofen")
    data = headache_day(
        EpisodeData("mild", "1_to_4h", doses=(DoseData(ibuprofen, 1), DoseData(ibuprofen, 1)))
    )
    assert "listed twice" in _errors(lambda: _save(patient, data))["episodes"][0]


@pytest.mark.parametrize(
    ("field", "value"),
    [("sleep", "dreamy"), ("triggers", frozenset({"moonlight"})), ("pain_sites", ("tail",))],
)
def test_it_rejects_answers_outside_the_lists(patient, field, value):
    errors = _errors(lambda: _save(patient, clear_day(**{field: value})))
    assert errors == {field: ["Choose from the list."]}


def test_it_rejects_an_overlong_note(patient):
    errors = _errors(lambda: _save(patient, clear_day(note="x" * 2001)))
    assert "2,000 characters" in errors["note"][0]


def test_the_one_tap_answer_keeps_the_rest_of_the_day(patient):
    _save(patient, headache_day(episode(doses={"ibuprofen": 1}), pain_score=4, mood="low"))
    entry = services.record_headache_free_day(actor=patient.user, patient=patient, day=today())
    assert (entry.headache, entry.pain_score, entry.mood) == (False, 4, "low")
    assert not entry.took_simple_analgesic
    assert not HeadacheEpisode.objects.live().filter(entry=entry).exists()


def test_the_one_tap_answer_keeps_medicines_taken_apart_from_a_headache(patient):
    _save(patient, headache_day(episode(doses={"sumatriptan": 1}), doses=doses(paracetamol=2)))
    entry = services.record_headache_free_day(actor=patient.user, patient=patient, day=today())
    assert (entry.headache, entry.medication_classes) == (False, {"simple_analgesic"})
    assert services.doses_apart(entry) == doses(paracetamol=2)


# Medicines taken apart from a headache (clinical-rules.md section 8, diary convention 4)


def test_a_medicine_taken_without_a_headache_makes_a_medication_day(patient):
    entry = _save(patient, clear_day(doses=doses(codeine=2)))
    assert (entry.headache, entry.medication_classes) == (False, {"opioid"})
    dose = entry.doses.get()
    assert (dose.episode, dose.medication_class, dose.doses) == (None, "opioid", 2)
    assert AuditEvent.objects.get(object_uuid=entry.uuid).fields == ["doses", "took_opioid"]


def test_medicines_apart_from_a_headache_add_to_the_headaches_classes(patient):
    data = headache_day(episode(doses={"sumatriptan": 1}), doses=doses(ibuprofen=1))
    entry = _save(patient, data)
    assert entry.medication_classes == {"triptan", "simple_analgesic"}


def test_correcting_medicines_apart_from_a_headache_keeps_the_old_rows(patient):
    entry = _save(patient, clear_day(doses=doses(paracetamol=2), mood="low"))
    old = entry.doses.get()
    _save(patient, clear_day(doses=doses(ibuprofen=1), mood="low"))
    old.refresh_from_db()
    assert old.superseded_at is not None
    assert services.doses_apart(entry) == doses(ibuprofen=1)
    update = AuditEvent.objects.get(object_uuid=entry.uuid, action="update")
    assert update.fields == ["doses"]
    _save(patient, clear_day(mood="low"))
    entry.refresh_from_db()
    assert (services.doses_apart(entry), entry.medication) == ((), False)
    assert MedicationDose.objects.filter(entry=entry).count() == 2


def test_the_same_medicines_apart_from_a_headache_again_write_nothing(patient):
    entry = _save(patient, clear_day(doses=doses(paracetamol=2, codeine=1)))
    rows = list(entry.doses.values_list("pk", flat=True))
    _save(patient, clear_day(doses=doses(codeine=1, paracetamol=2)))
    assert list(entry.doses.live().values_list("pk", flat=True)) == rows
    assert not AuditEvent.objects.filter(action="update").exists()


def test_a_headache_correction_leaves_the_medicines_apart_from_it(patient):
    entry = _save(patient, headache_day(episode(doses={"ibuprofen": 1}), doses=doses(codeine=1)))
    _save(patient, headache_day(episode("severe"), doses=doses(codeine=1)))
    assert services.doses_apart(entry) == doses(codeine=1)
    live = MedicationDose.objects.live().filter(entry=entry)
    assert [(d.medicine.code, d.episode_id) for d in live] == [("codeine", None)]
    entry.refresh_from_db()
    assert entry.medication_classes == {"opioid"}


def test_it_rejects_a_retired_or_repeated_medicine_apart_from_a_headache(patient):
    Medicine.objects.filter(code="naproxen").update(active=False)
    errors = _errors(lambda: _save(patient, clear_day(doses=doses(naproxen=1))))
    assert errors == {"other_medicine_1": ["Choose a medicine from the list."]}
    ibuprofen = medicine("ibuprofen")
    twice = clear_day(doses=(DoseData(ibuprofen, 1), DoseData(ibuprofen, 2)))
    assert "listed twice" in _errors(lambda: _save(patient, twice))["other_medicine_1"][0]
    errors = _errors(lambda: _save(patient, clear_day(doses=doses(ibuprofen=21))))
    assert errors == {"other_medicine_1": ["Enter a number of doses from 1 to 20."]}


def test_only_painkillers_and_migraine_medicines_are_recorded_for_something_else(patient):
    errors = _errors(lambda: _save(patient, clear_day(doses=doses(propranolol=1))))
    assert errors == {
        "other_medicine_1": [
            "Choose a painkiller or migraine medicine. Other medicines are recorded in your "
            "care plan."
        ]
    }


def test_no_more_medicines_than_the_form_has_rows_for(patient):
    four = doses(paracetamol=1, ibuprofen=1, naproxen=1, codeine=1)
    assert _errors(lambda: _save(patient, clear_day(doses=four))) == {
        "other_medicine_1": ["You can record up to 3 medicines here."]
    }
    data = headache_day(EpisodeData("mild", "1_to_4h", doses=four))
    assert _errors(lambda: _save(patient, data)) == {
        "episodes": ["You can record up to 3 medicines here."]
    }


def test_a_days_doses_count_together_against_the_limit(patient):
    data = headache_day(episode(doses={"paracetamol": 12}), doses=doses(paracetamol=9))
    assert _errors(lambda: _save(patient, data)) == {
        "other_medicine_1": ["More than 20 doses of Paracetamol in one day. Check the numbers."]
    }
    _save(patient, headache_day(episode(doses={"paracetamol": 12}), doses=doses(paracetamol=8)))


def test_the_one_tap_answer_reads_the_day_once(patient):
    with CaptureQueriesContext(connection) as queries:
        entry = services.record_headache_free_day(actor=patient.user, patient=patient, day=today())
    reads = [q["sql"] for q in queries if q["sql"].startswith('SELECT "diaries_diaryentry"')]
    assert len(reads) == 1
    assert (entry.headache, AuditEvent.objects.filter(object_uuid=entry.uuid).count()) == (False, 1)


def test_the_one_tap_answer_refuses_a_future_day(patient):
    with pytest.raises(ValidationError):
        services.record_headache_free_day(
            actor=patient.user, patient=patient, day=today() + timedelta(days=1)
        )


def _pain(patient, score, day=None, **kwargs):
    return services.record_pain_score(
        actor=patient.user, patient=patient, day=day or today(), score=score, **kwargs
    )


def test_the_one_tap_pain_score_records_a_day_with_that_score_alone(patient):
    entry = _pain(patient, 0, based_on="")
    assert (entry.pain_score, entry.headache) == (0, False)
    event = AuditEvent.objects.get(object_uuid=entry.uuid)
    assert (event.action, event.fields) == ("create", ["pain_score"])


def test_the_one_tap_pain_score_keeps_the_rest_of_the_day(patient):
    _save(patient, headache_day(episode(doses={"ibuprofen": 1}), pain_score=4, mood="low"))
    entry = _pain(patient, 7)
    assert (entry.headache, entry.pain_score, entry.mood) == (True, 7, "low")
    assert entry.took_simple_analgesic
    assert HeadacheEpisode.objects.live().filter(entry=entry).count() == 1
    assert AuditEvent.objects.filter(object_uuid=entry.uuid, action="update").get().fields == [
        "pain_score"
    ]
    _pain(patient, 7)  # the same tap again changes nothing
    assert AuditEvent.objects.filter(object_uuid=entry.uuid, action="update").count() == 1


def test_the_one_tap_pain_score_is_refused_for_a_day_recorded_since_the_page_was_shown(patient):
    _save(patient, headache_day(episode()))
    with pytest.raises(services.DayChanged):
        _pain(patient, 5, based_on="")
    assert DiaryEntry.objects.live().get().pain_score is None


@pytest.mark.parametrize(
    ("score", "day"), [(11, None), (-1, None), (5, today() + timedelta(days=1))]
)
def test_the_one_tap_pain_score_refuses_a_bad_score_or_day(patient, score, day):
    with pytest.raises(ValidationError):
        _pain(patient, score, day=day)
    assert not DiaryEntry.objects.exists()


def test_removing_a_day_keeps_the_row_and_frees_the_day(patient):
    entry = record(patient, today(), headache_day())
    services.mark_entry_entered_in_error(actor=patient.user, entry=entry)
    entry.refresh_from_db()
    assert entry.entered_in_error
    assert AuditEvent.objects.filter(object_uuid=entry.uuid, action="entered_in_error").exists()
    fresh = record(patient, today(), clear_day())
    assert fresh.pk != entry.pk
