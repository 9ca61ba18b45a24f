"""The medicines vocabulary: conditions, medicine classes and the coded medicines a treatment
trial can name, and which medicines a leaflet is about."""

from __future__ import annotations

from dataclasses import dataclass

HEADACHE = "headache"
CHRONIC_PAIN = "chronic_pain"

# Medicine classes for treatment trials (DESIGN.md section 3 "treatment trials").
BETA_BLOCKER = "beta_blocker"
TRICYCLIC = "tricyclic"
ANTICONVULSANT = "anticonvulsant"
ARB = "arb"
CGRP_ANTIBODY = "cgrp_antibody"
GEPANT = "gepant"
BOTULINUM_TOXIN = "botulinum_toxin"
OPIOID = "opioid"
GABAPENTINOID = "gabapentinoid"
SNRI = "snri"
# Classes NICE NG193 advises not to start for chronic primary pain (clinical-rules.md 12).
PARACETAMOL = "paracetamol"
NSAID = "nsaid"
BENZODIAZEPINE = "benzodiazepine"
ANTIPSYCHOTIC = "antipsychotic"
KETAMINE = "ketamine"
OTHER = "other"
MEDICINE_CLASSES: dict[str, str] = {
    BETA_BLOCKER: "Beta blocker",
    TRICYCLIC: "Tricyclic antidepressant",
    ANTICONVULSANT: "Anticonvulsant (antiepileptic)",
    ARB: "Angiotensin receptor blocker",
    CGRP_ANTIBODY: "CGRP monoclonal antibody",
    GEPANT: "Gepant",
    BOTULINUM_TOXIN: "Botulinum toxin type A",
    OPIOID: "Opioid",
    GABAPENTINOID: "Gabapentinoid",
    SNRI: "SNRI antidepressant",
    PARACETAMOL: "Paracetamol",
    NSAID: "NSAID (anti-inflammatory painkiller)",
    BENZODIAZEPINE: "Benzodiazepine",
    ANTIPSYCHOTIC: "Antipsychotic",
    KETAMINE: "Ketamine",
    OTHER: "Other",
}


@dataclass(frozen=True)
class Medicine:
    code: str
    name: str
    medicine_class: str


# The coded medicines a treatment trial can name; anything else is "other" with a typed name.
MEDICINES: dict[str, Medicine] = {
    m.code: m
    for m in (
        Medicine("propranolol", "Propranolol", BETA_BLOCKER),
        Medicine("metoprolol", "Metoprolol", BETA_BLOCKER),
        Medicine("amitriptyline", "Amitriptyline", TRICYCLIC),
        Medicine("nortriptyline", "Nortriptyline", TRICYCLIC),
        Medicine("topiramate", "Topiramate", ANTICONVULSANT),
        Medicine("candesartan", "Candesartan", ARB),
        Medicine("erenumab", "Erenumab", CGRP_ANTIBODY),
        Medicine("galcanezumab", "Galcanezumab", CGRP_ANTIBODY),
        Medicine("fremanezumab", "Fremanezumab", CGRP_ANTIBODY),
        Medicine("atogepant", "Atogepant", GEPANT),
        Medicine("rimegepant", "Rimegepant", GEPANT),
        Medicine("botulinum_toxin_a", "Botulinum toxin type A", BOTULINUM_TOXIN),
        Medicine("duloxetine", "Duloxetine", SNRI),
        Medicine("venlafaxine", "Venlafaxine", SNRI),
        Medicine("gabapentin", "Gabapentin", GABAPENTINOID),
        Medicine("pregabalin", "Pregabalin", GABAPENTINOID),
        Medicine("codeine", "Codeine", OPIOID),
        Medicine("dihydrocodeine", "Dihydrocodeine", OPIOID),
        Medicine("tramadol", "Tramadol", OPIOID),
        Medicine("morphine", "Morphine", OPIOID),
        Medicine("oxycodone", "Oxycodone", OPIOID),
        Medicine("buprenorphine", "Buprenorphine", OPIOID),
        Medicine("fentanyl", "Fentanyl", OPIOID),
        Medicine("tapentadol", "Tapentadol", OPIOID),
        Medicine("co_codamol", "Co-codamol (codeine with paracetamol)", OPIOID),
        Medicine("co_dydramol", "Co-dydramol (dihydrocodeine with paracetamol)", OPIOID),
        Medicine("paracetamol", "Paracetamol", PARACETAMOL),
        Medicine("ibuprofen", "Ibuprofen", NSAID),
        Medicine("naproxen", "Naproxen", NSAID),
        Medicine("diclofenac", "Diclofenac", NSAID),
        Medicine("diazepam", "Diazepam", BENZODIAZEPINE),
        Medicine("quetiapine", "Quetiapine", ANTIPSYCHOTIC),
        Medicine("ketamine", "Ketamine", KETAMINE),
        Medicine(OTHER, "Other medicine", OTHER),
    )
}


def medicine_class_of(code: str) -> str:
    """Return the class of a coded medicine. Raises ValueError for an unknown code."""
    try:
        return MEDICINES[code].medicine_class
    except KeyError:
        raise ValueError(f"Unknown medicine code {code!r}.") from None


def has_morphine_equivalent(medicine_class: str) -> bool:
    """Return True when an oral morphine equivalent (mg a day) means something for a medicine
    of this class: only opioids have one. The class is the catalogue's (`MEDICINES`); an
    "other" medicine is not classed, so it is not known to be an opioid."""
    return medicine_class == OPIOID


def morphine_equivalent_problem(code: str) -> str | None:
    """Return why an oral morphine equivalent cannot be recorded for the coded medicine, or None
    when it can (an opioid in `MEDICINES`). Raises ValueError for an unknown code."""
    if has_morphine_equivalent(medicine_class_of(code)):
        return None
    if code == OTHER:
        return (
            "Leave the oral morphine equivalent blank: it is recorded only for an opioid chosen "
            "from the list of medicines."
        )
    return (
        f"{MEDICINES[code].name} is not an opioid. Leave the oral morphine equivalent blank: "
        "it is recorded only for opioids."
    )


# UK brand names of the coded medicines, and other ways their names are written, by code: typed
# as "other" under one of these a medicine would escape NICE's warnings and the opioid and
# gabapentinoid counts, which read the coded medicine's class. A brand of more than one word is
# known by its first ("MST Continus", "DF118 Forte", "Durogesic DTrans").
OTHER_NAMES: dict[str, str] = {
    "inderal": "propranolol", "bedranol": "propranolol",
    "betaloc": "metoprolol", "lopresor": "metoprolol",
    "allegron": "nortriptyline",
    "topamax": "topiramate",
    "amias": "candesartan",
    "aimovig": "erenumab", "emgality": "galcanezumab", "ajovy": "fremanezumab",
    "aquipta": "atogepant",
    "botox": "botulinum_toxin_a",
    "cymbalta": "duloxetine", "yentreve": "duloxetine",
    "efexor": "venlafaxine",
    "neurontin": "gabapentin",
    "lyrica": "pregabalin", "alzain": "pregabalin", "axalid": "pregabalin",
    "df118": "dihydrocodeine",
    "zydol": "tramadol", "zamadol": "tramadol",
    "oramorph": "morphine", "sevredol": "morphine", "zomorph": "morphine", "mst": "morphine",
    "oxycontin": "oxycodone", "oxynorm": "oxycodone", "shortec": "oxycodone",
    "longtec": "oxycodone",
    "butec": "buprenorphine", "butrans": "buprenorphine", "transtec": "buprenorphine",
    "durogesic": "fentanyl",
    "palexia": "tapentadol",
    "zapain": "co_codamol", "solpadol": "co_codamol", "tylex": "co_codamol",
    "kapake": "co_codamol", "cocodamol": "co_codamol",
    "codydramol": "co_dydramol",
}  # fmt: skip


def _names_of(code: str, medicine: Medicine) -> set[str]:
    name = medicine.name.lower()
    return {code, code.replace("_", "-"), name, name.split()[0]}


# Each coded medicine by the words it can be typed as: its code, its name, its name's first word,
# and its other names (OTHER_NAMES).
_CODED_BY_NAME: dict[str, str] = {
    **{
        word: code
        for code, medicine in MEDICINES.items()
        if code != OTHER
        for word in _names_of(code, medicine)
    },
    **OTHER_NAMES,
}


# Words after a medicine's name that say it is combined with another ("ibuprofen and codeine").
_COMBINED_WITH = {"and", "with", "plus", "+", "&"}


def coded_medicine_named(other_name: str) -> str | None:
    """Return the code of the listed medicine a typed name is ("Propranolol", "propranolol MR",
    "Co-codamol 30/500", "Lyrica 75mg"): the whole name, or its first word, is a listed
    medicine's code, name or other name (OTHER_NAMES: a UK brand such as Lyrica, Oramorph or
    Zapain). Not when another word names a second medicine or a combination ("Paracetamol and
    codeine" is not paracetamol); another name of the same medicine is no second one
    ("Pregabalin (Lyrica)"). None for a medicine not on the list. Case and spacing are
    ignored."""
    typed = " ".join(other_name.lower().split())
    if not typed:
        return None
    if typed in _CODED_BY_NAME:
        return _CODED_BY_NAME[typed]
    first, *rest = (word.strip(".,;:()") for word in typed.replace("/", " / ").split())
    code = _CODED_BY_NAME.get(first)
    if any(word in _COMBINED_WITH or _CODED_BY_NAME.get(word, code) != code for word in rest):
        return None
    return code


def medicine_key(code: str, other_name: str = "") -> str:
    """Return the identity used to count distinct medicines: the code; for "other", the listed
    medicine the typed name is (coded_medicine_named), else the typed name in lower case with
    spaces collapsed (so "Pizotifen" and " pizotifen " count once, and "Propranolol" typed
    counts as propranolol)."""
    if code == OTHER:
        return coded_medicine_named(other_name) or "other:" + " ".join(other_name.lower().split())
    return code


def unknown_medicine_tokens(tokens: str) -> list[str]:
    """Return the words of a leaflet's "medicines" list that are neither a medicine code nor a
    medicine class."""
    return [t for t in tokens.split() if t not in MEDICINES and t not in MEDICINE_CLASSES]


def leaflet_is_about(tokens: str, *, medicine_code: str, medicine_class: str) -> bool:
    """Return True when a leaflet's "medicines" list names this medicine or its class."""
    words = set(tokens.split())
    return medicine_code in words or medicine_class in words
