"""Seed the medication catalogue with common UK acute and preventive medicines.

Diary classes follow clinical-rules.md section 8 (ICHD-3 8.2): paracetamol, aspirin and other
NSAIDs are one simple-analgesic class; drugs of two classes, or with caffeine, are combination
analgesics (coded 8.2.5, not by their parts) and carry is_opioid when they contain one.
Preventives carry no diary class. Admins can edit or retire rows afterwards.
"""

from django.db import migrations

ACUTE, PREVENTIVE = "acute", "preventive"
SIMPLE, TRIPTAN, ERGOT, OPIOID, COMBINATION = (
    "simple_analgesic",
    "triptan",
    "ergot",
    "opioid",
    "combination_analgesic",
)

# code, name, diary class, role, flags
MEDICINES = [
    ("paracetamol", "Paracetamol", SIMPLE, ACUTE, ()),
    ("ibuprofen", "Ibuprofen", SIMPLE, ACUTE, ()),
    ("naproxen", "Naproxen", SIMPLE, ACUTE, ()),
    ("aspirin", "Aspirin", SIMPLE, ACUTE, ()),
    ("diclofenac", "Diclofenac", SIMPLE, ACUTE, ()),
    ("sumatriptan", "Sumatriptan", TRIPTAN, ACUTE, ()),
    ("rizatriptan", "Rizatriptan", TRIPTAN, ACUTE, ()),
    ("zolmitriptan", "Zolmitriptan", TRIPTAN, ACUTE, ()),
    ("naratriptan", "Naratriptan", TRIPTAN, ACUTE, ()),
    ("almotriptan", "Almotriptan", TRIPTAN, ACUTE, ()),
    ("eletriptan", "Eletriptan", TRIPTAN, ACUTE, ()),
    ("frovatriptan", "Frovatriptan", TRIPTAN, ACUTE, ()),
    ("ergotamine", "Ergotamine", ERGOT, ACUTE, ()),
    ("codeine", "Codeine", OPIOID, ACUTE, ("is_opioid",)),
    ("dihydrocodeine", "Dihydrocodeine", OPIOID, ACUTE, ("is_opioid",)),
    ("tramadol", "Tramadol", OPIOID, ACUTE, ("is_opioid",)),
    ("morphine", "Morphine", OPIOID, ACUTE, ("is_opioid",)),
    ("co-codamol", "Co-codamol (paracetamol and codeine)", COMBINATION, ACUTE, ("is_opioid",)),
    (
        "co-dydramol",
        "Co-dydramol (paracetamol and dihydrocodeine)",
        COMBINATION,
        ACUTE,
        ("is_opioid",),
    ),
    ("ibuprofen-codeine", "Ibuprofen and codeine", COMBINATION, ACUTE, ("is_opioid",)),
    ("paracetamol-caffeine", "Paracetamol and caffeine", COMBINATION, ACUTE, ()),
    (
        "aspirin-paracetamol-caffeine",
        "Aspirin, paracetamol and caffeine",
        COMBINATION,
        ACUTE,
        (),
    ),
    # Acute migraine treatments outside the ICHD-3 8.2 overuse classes.
    ("metoclopramide", "Metoclopramide (anti-sickness)", "", ACUTE, ()),
    ("prochlorperazine", "Prochlorperazine (anti-sickness)", "", ACUTE, ()),
    ("rimegepant", "Rimegepant", "", ACUTE, ()),
    # Preventive and regular medicines.
    ("propranolol", "Propranolol", "", PREVENTIVE, ()),
    ("amitriptyline", "Amitriptyline", "", PREVENTIVE, ()),
    ("topiramate", "Topiramate", "", PREVENTIVE, ()),
    ("candesartan", "Candesartan", "", PREVENTIVE, ()),
    ("pizotifen", "Pizotifen", "", PREVENTIVE, ()),
    ("erenumab", "Erenumab", "", PREVENTIVE, ("is_cgrp_antibody",)),
    ("fremanezumab", "Fremanezumab", "", PREVENTIVE, ("is_cgrp_antibody",)),
    ("galcanezumab", "Galcanezumab", "", PREVENTIVE, ("is_cgrp_antibody",)),
    ("eptinezumab", "Eptinezumab", "", PREVENTIVE, ("is_cgrp_antibody",)),
    ("atogepant", "Atogepant", "", PREVENTIVE, ()),
    ("botulinum-toxin-a", "Botulinum toxin type A", "", PREVENTIVE, ()),
    ("gabapentin", "Gabapentin", "", PREVENTIVE, ("is_gabapentinoid",)),
    ("pregabalin", "Pregabalin", "", PREVENTIVE, ("is_gabapentinoid",)),
    ("duloxetine", "Duloxetine", "", PREVENTIVE, ()),
]
FLAGS = ("is_opioid", "is_gabapentinoid", "is_cgrp_antibody")


def seed(apps, schema_editor):
    Medicine = apps.get_model("diaries", "Medicine")
    for code, name, diary_class, role, flags in MEDICINES:
        Medicine.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "diary_class": diary_class,
                "role": role,
                **{flag: flag in flags for flag in FLAGS},
            },
        )


class Migration(migrations.Migration):
    dependencies = [("diaries", "0001_initial")]

    # Reversing leaves the rows: doses may already refer to them.
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
