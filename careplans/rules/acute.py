"""Acute treatment limits: how often each acute medicine can be taken without reaching the
ICHD-3 medication-overuse threshold (clinical-rules.md section 8)."""

from __future__ import annotations

from dataclasses import dataclass

from careplans.rules.medicines import (
    ANTICONVULSANT,
    ARB,
    BETA_BLOCKER,
    BOTULINUM_TOXIN,
    CGRP_ANTIBODY,
    CHRONIC_PAIN,
    GABAPENTINOID,
    HEADACHE,
    MEDICINES,
    OPIOID,
    SNRI,
    TRICYCLIC,
    coded_medicine_named,
)
from pathway.ichd3 import (
    COMBINATION_ANALGESIC,
    DAYS_PER_MONTH,
    ERGOT,
    MULTIPLE_CLASSES_OVERUSE_DAYS_PER_MONTH,
    OVERUSE_DAYS_PER_MONTH,
    SIMPLE_ANALGESIC,
    TRIPTAN,
)

# The acute classes are the diary's classes (DESIGN.md section 4, diaries.rules).
ACUTE_CLASSES: dict[str, str] = {
    SIMPLE_ANALGESIC: "Simple painkillers (paracetamol, aspirin, ibuprofen or other NSAIDs)",
    TRIPTAN: "Triptans",
    COMBINATION_ANALGESIC: "Combination painkillers (such as co-codamol)",
    OPIOID: "Opioid painkillers (such as codeine)",
    ERGOT: "Ergotamine",
}
DAYS_PER_WEEK = 7
# Triptans and ergotamine treat migraine attacks, not pain flare-ups.
MIGRAINE_ONLY_CLASSES = frozenset({TRIPTAN, ERGOT})


def acute_classes_for(condition: str) -> list[str]:
    """The acute classes a plan for `condition` offers, in ACUTE_CLASSES order."""
    if condition == CHRONIC_PAIN:
        return [c for c in ACUTE_CLASSES if c not in MIGRAINE_ONLY_CLASSES]
    return list(ACUTE_CLASSES)


# Names that tell a triptan or ergotamine whatever is typed around them (generic names end in
# "triptan"; UK brand names listed). Their overuse limits are lower than a simple painkiller's,
# so a name of one of these under another type would give the patient too high a limit.
_NAMED_CLASSES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        TRIPTAN,
        ("triptan", "imigran", "maxalt", "zomig", "naramig", "relpax", "almogran", "migard"),
    ),
    (ERGOT, ("ergotamine", "cafergot", "migril")),
)
# Painkillers holding an opioid, alone or combined (UK names). Under "simple painkillers" they
# would be given its limit (fewer than 15 days a month) instead of theirs (fewer than 10).
_COMBINATION_WORDS = (
    "co-codamol", "cocodamol", "co-dydramol", "codydramol", "co-codaprin", "solpadeine",
    "migraleve", "syndol", "zapain", "kapake", "tylex", "nurofen plus", "tramacet",
    "paramol", "cuprofen plus", "codipar", "remedeine", "maxitram",
    # A painkiller with caffeine is a combination painkiller too (ICHD-3 8.2.5).
    "caffeine", "anadin extra", "anadin original", "panadol extra", "hedex extra", "excedrin",
    "propain",
)  # fmt: skip
# Words that say a medicine holds no caffeine, taken out before the names are read.
_WITHOUT = ("caffeine free", "caffeine-free", "without caffeine", "no caffeine")
# Listed medicines that combine a painkiller with an opioid (the rest of the opioid class is
# opioids alone): typed by any name, they are combination painkillers.
_COMBINATION_CODES = frozenset({"co_codamol", "co_dydramol"})
_OPIOID_WORDS = (
    "codeine", "dihydrocodeine", "tramadol", "morphine", "oxycodone", "tapentadol",
    "buprenorphine", "fentanyl", "meptazinol", "pethidine", "dhc continus", "temgesic",
)  # fmt: skip
# A simple painkiller's name: with an opioid named beside it, the medicine is a combination.
_SIMPLE_WORDS = ("paracetamol", "aspirin", "ibuprofen", "naproxen", "diclofenac")


def named_class_mismatch(medicine: str, medication_class: str) -> str | None:
    """Return the class a typed medicine name says it is when it was given a type with a higher
    overuse limit: a triptan or ergotamine under any other type, or a painkiller holding an
    opioid (combination first) under simple painkillers. None otherwise. Case is ignored."""
    text = medicine.casefold()
    for named, words in _NAMED_CLASSES:
        if any(word in text for word in words) and medication_class != named:
            return named
    if medication_class == SIMPLE_ANALGESIC:
        for words in _WITHOUT:
            text = text.replace(words, " ")
        # Listed medicines by any of their names, brands included (OTHER_NAMES: Oramorph,
        # Solpadol, Zydol, DF118), as the treatment form reads them.
        codes = {
            coded_medicine_named(word.strip(".,;:()")) for word in text.replace("/", " ").split()
        }
        if any(word in text for word in _COMBINATION_WORDS) or codes & _COMBINATION_CODES:
            return COMBINATION_ANALGESIC
        opioid = any(code and MEDICINES[code].medicine_class == OPIOID for code in codes)
        if opioid or any(word in text for word in _OPIOID_WORDS):
            # Paracetamol and codeine is co-codamol by another name (ICHD-3 8.2.5).
            simple = any(word in text for word in _SIMPLE_WORDS)
            return COMBINATION_ANALGESIC if simple else OPIOID
    return None


# Listed medicines taken regularly to prevent headaches or ease long-term pain, never for an
# attack or a flare-up: a treatment trial records them. Of the gepants, rimegepant also treats
# attacks; atogepant only prevents them.
_REGULAR_CLASSES = frozenset(
    {
        BETA_BLOCKER,
        TRICYCLIC,
        ANTICONVULSANT,
        ARB,
        CGRP_ANTIBODY,
        BOTULINUM_TOXIN,
        SNRI,
        GABAPENTINOID,
    }
)
_REGULAR_CODES = frozenset(
    code
    for code, listed in MEDICINES.items()
    if listed.medicine_class in _REGULAR_CLASSES or code == "atogepant"
)


def regular_medicine_named(medicine: str) -> str | None:
    """Return the listed medicine's name when a typed acute treatment names, by any of its words,
    a medicine taken regularly to prevent headaches or ease long-term pain, not for an attack or
    a flare-up ("Propranolol 40 mg", "MR propranolol", "Inderal", "Botox": brands are the
    medicines' OTHER_NAMES). None otherwise. Case is ignored."""
    for word in medicine.casefold().replace("/", " ").split():
        word = word.strip(".,;:()")
        code = coded_medicine_named(word)
        if code in _REGULAR_CODES:
            return MEDICINES[code].name
    return None


@dataclass(frozen=True)
class AcuteLimit:
    """How often an acute medicine can be taken without reaching the overuse threshold.

    `overuse_days_per_month` is the ICHD-3 threshold (reached, not exceeded, is overuse);
    `max_days_per_month` is one day fewer; `max_days_per_week` is the largest whole number of days
    a week that stays below the threshold over a 30-day month.
    """

    medication_class: str
    overuse_days_per_month: int
    max_days_per_month: int
    max_days_per_week: int


def acute_limit(medication_class: str) -> AcuteLimit:
    """Return the safe-use limit for an acute medication class. Raises ValueError if unknown."""
    try:
        threshold = OVERUSE_DAYS_PER_MONTH[medication_class]
    except KeyError:
        raise ValueError(f"Unknown acute medication class {medication_class!r}.") from None
    return AcuteLimit(medication_class, threshold, threshold - 1, _days_a_week_below(threshold))


def _days_a_week_below(threshold: int) -> int:
    """Whole days a week whose 30-day total stays below `threshold` days a month."""
    return ((threshold - 1) * DAYS_PER_WEEK) // DAYS_PER_MONTH


def acute_limit_sentence(medication_class: str, *, condition: str = HEADACHE) -> str:
    """Return the plain-English limit shown to the patient, e.g. for triptans "Use them on no
    more than 2 days a week (fewer than 10 days a month).". The limit is medication-overuse
    headache's (ICHD-3): a chronic-pain plan gives none ("")."""
    if condition != HEADACHE:
        return ""
    limit = acute_limit(medication_class)
    days = "day" if limit.max_days_per_week == 1 else "days"
    return (
        f"Use them on no more than {limit.max_days_per_week} {days} a week "
        f"(fewer than {limit.overuse_days_per_month} days a month). Taking them more often can "
        "cause medication-overuse headache."
    )


def acute_together_sentence(medication_classes: list[str], *, condition: str = HEADACHE) -> str:
    """The limit for a headache plan's medicines for attacks taken together, or "" for fewer
    than two. ICHD-3 counts days, not tablets, across them: medicines of one class share that
    class's limit (8.2.1-8.2.5), and two or more classes reach overuse at 10 days a month in
    total (8.2.6), so each kept to its own limit could still add up to overuse. No class's own
    limit is lower than this one, so it is the one limit the plan gives."""
    if condition != HEADACHE or len(medication_classes) < 2:
        return ""
    classes = set(medication_classes)
    if len(classes) == 1:
        threshold = acute_limit(next(iter(classes))).overuse_days_per_month
    else:
        threshold = MULTIPLE_CLASSES_OVERUSE_DAYS_PER_MONTH
    per_week = _days_a_week_below(threshold)
    days = "day" if per_week == 1 else "days"
    return (
        f"Taken together: use these medicines on no more than {per_week} {days} a week in all "
        f"(fewer than {threshold} days a month). A day counts once, whichever of them you take."
    )
