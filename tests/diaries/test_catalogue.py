"""The seeded medication catalogue (migration 0002) and the selectors other apps read it by."""

import pytest

from diaries import rules, selectors
from diaries.models import Medicine
from tests.diaries.builders import headache_day, record, today

pytestmark = pytest.mark.django_db

TRIPTANS = [
    "sumatriptan",
    "rizatriptan",
    "zolmitriptan",
    "naratriptan",
    "almotriptan",
    "eletriptan",
    "frovatriptan",
]


def _get(code):
    return Medicine.objects.get(code=code)


@pytest.mark.parametrize("code", ["paracetamol", "ibuprofen", "naproxen", "aspirin"])
def test_paracetamol_aspirin_and_nsaids_are_one_simple_analgesic_class(code):
    medicine = _get(code)
    assert (medicine.diary_class, medicine.role) == (rules.SIMPLE_ANALGESIC, "acute")


def test_all_seven_triptans_are_seeded_as_triptans():
    triptans = Medicine.objects.filter(diary_class=rules.TRIPTAN)
    assert sorted(triptans.values_list("code", flat=True)) == sorted(TRIPTANS)


@pytest.mark.parametrize("code", ["codeine", "tramadol", "morphine"])
def test_opioids_are_flagged(code):
    medicine = _get(code)
    assert medicine.diary_class == rules.OPIOID
    assert medicine.is_opioid


def test_combinations_are_coded_as_combination_analgesics_not_their_parts():
    co_codamol = _get("co-codamol")
    assert co_codamol.diary_class == rules.COMBINATION_ANALGESIC
    assert co_codamol.is_opioid  # it contains codeine: deprescribing reviews still see it
    assert _get("paracetamol-caffeine").diary_class == rules.COMBINATION_ANALGESIC
    assert not _get("paracetamol-caffeine").is_opioid


def test_ergotamine_is_an_ergot():
    assert _get("ergotamine").diary_class == rules.ERGOT


@pytest.mark.parametrize(
    "code",
    [
        "propranolol",
        "amitriptyline",
        "topiramate",
        "candesartan",
        "pizotifen",
        "erenumab",
        "fremanezumab",
        "galcanezumab",
        "atogepant",
        "botulinum-toxin-a",
        "gabapentin",
        "pregabalin",
        "duloxetine",
    ],
)
def test_preventives_have_no_diary_class(code):
    medicine = _get(code)
    assert (medicine.role, medicine.diary_class) == ("preventive", "")


def test_every_diary_class_is_one_the_rules_know():
    classes = set(Medicine.objects.exclude(diary_class="").values_list("diary_class", flat=True))
    assert classes == set(rules.MEDICATION_CLASSES)


def test_flag_selectors_find_gabapentinoids_cgrp_antibodies_and_opioids():
    gabapentinoids = selectors.medicines_flagged(gabapentinoid=True)
    assert set(gabapentinoids.values_list("code", flat=True)) == {"gabapentin", "pregabalin"}
    antibodies = set(selectors.medicines_flagged(cgrp_antibody=True).values_list("code", flat=True))
    assert {"erenumab", "fremanezumab", "galcanezumab", "eptinezumab"} == antibodies
    either = selectors.medicines_flagged(opioid=True, gabapentinoid=True)
    assert {"codeine", "co-codamol", "gabapentin"} <= set(either.values_list("code", flat=True))
    assert not selectors.medicines_flagged().exists()


def test_catalogue_selector_filters_by_role_and_hides_retired_medicines():
    Medicine.objects.filter(code="pizotifen").update(active=False)
    preventives = selectors.medicine_catalogue(role="preventive")
    assert "pizotifen" not in set(preventives.values_list("code", flat=True))
    assert "propranolol" in set(preventives.values_list("code", flat=True))
    assert selectors.medicine_catalogue(include_retired=True).filter(code="pizotifen").exists()


def test_admins_edit_the_catalogue_but_cannot_delete_medicines(world, login):
    client = login(world.admin)
    assert client.get("/admin/diaries/medicine/").status_code == 200
    assert client.get("/admin/diaries/medicine/add/").status_code == 200
    sumatriptan = Medicine.objects.get(code="sumatriptan")
    assert client.get(f"/admin/diaries/medicine/{sumatriptan.pk}/change/").status_code == 200
    assert client.get(f"/admin/diaries/medicine/{sumatriptan.pk}/delete/").status_code == 403


def test_diary_days_are_read_only_in_the_admin(world, login):
    entry = record(world.patient, today(), headache_day())
    client = login(world.admin)
    assert client.get("/admin/diaries/diaryentry/").status_code == 200
    page = client.get(f"/admin/diaries/diaryentry/{entry.pk}/change/")
    assert page.status_code == 200
    assert b"Save" not in page.content or b'name="_save"' not in page.content
    assert client.get(f"/admin/diaries/diaryentry/{entry.pk}/delete/").status_code == 403
