"""NICE advice on starting medicines (NG193 for chronic primary pain, CG150 for headache), and the
review of a medicine already taken that should not have been started (clinical-rules.md
section 12)."""

from __future__ import annotations

from careplans.rules.medicines import (
    ANTICONVULSANT,
    ANTIPSYCHOTIC,
    BENZODIAZEPINE,
    CHRONIC_PAIN,
    GABAPENTINOID,
    HEADACHE,
    KETAMINE,
    MEDICINE_CLASSES,
    NSAID,
    OPIOID,
    PARACETAMOL,
)
from careplans.rules.prompts import ACTION, WARNING, Prompt
from pathway.ichd3 import COMBINATION_ANALGESIC, ERGOT, SIMPLE_ANALGESIC

# clinical-rules.md section 12 (NG193): do not initiate opioids, antiepileptics including
# gabapentinoids, paracetamol, NSAIDs, benzodiazepines, antipsychotics or ketamine for chronic
# primary pain. (Its injections, local anaesthetics and physical modalities are not medicines a
# treatment trial records.) A plan's medicines for attacks are named by the diary's classes:
# simple painkillers are paracetamol, aspirin or an NSAID, and combination painkillers hold
# paracetamol or aspirin (often with codeine), so both are on the list too.
NG193_DO_NOT_INITIATE: frozenset[str] = frozenset(
    {
        OPIOID,
        GABAPENTINOID,
        ANTICONVULSANT,
        PARACETAMOL,
        NSAID,
        BENZODIAZEPINE,
        ANTIPSYCHOTIC,
        KETAMINE,
        SIMPLE_ANALGESIC,
        COMBINATION_ANALGESIC,
    }
)
# clinical-rules.md section 12: CG150 says do not offer opioids (or ergots) for acute migraine,
# and do not offer opioids for tension-type headache.
CG150_DO_NOT_OFFER: frozenset[str] = frozenset({OPIOID, ERGOT})
# Shown to clinicians as "Source: ...".
NG193_SOURCE = "NICE NG193"
CG150_SOURCE = "NICE CG150"


# How a class is named in a warning's title: "NICE advises not to start opioids ...".
_PLURALS = {
    ANTICONVULSANT: "antiepileptics",
    PARACETAMOL: "paracetamol",
    NSAID: "NSAIDs",
    KETAMINE: "ketamine",
    SIMPLE_ANALGESIC: "simple painkillers (paracetamol, aspirin or NSAIDs)",
    COMBINATION_ANALGESIC: "combination painkillers",
}


def _plural(medicine_class: str) -> str:
    return _PLURALS.get(medicine_class) or f"{MEDICINE_CLASSES[medicine_class].lower()}s"


def start_warning(*, condition: str, medicine_class: str) -> Prompt | None:
    """Return the prescribing warning for starting a medicine, or None.

    Chronic pain: NG193's "do not initiate" list (`NG193_DO_NOT_INITIATE`). Headache: CG150's
    "do not offer opioids (or ergots)", and for a combination painkiller a check that it holds
    no opioid. The warning informs; it does not block
    (clinical-rules.md section 12, "App rule").
    """
    if condition == CHRONIC_PAIN and medicine_class in NG193_DO_NOT_INITIATE:
        return Prompt(
            code="ng193_do_not_initiate",
            level=WARNING,
            title=f"NICE advises not to start {_plural(medicine_class)} for chronic primary pain",
            body=(
                "NICE NG193 says do not initiate opioids, antiepileptics including "
                "gabapentinoids (unless within a clinical trial for complex regional pain "
                "syndrome), paracetamol, NSAIDs, benzodiazepines, antipsychotics or ketamine to "
                "manage chronic primary pain. Consider exercise, psychological therapy or an "
                "antidepressant instead."
            ),
            source=NG193_SOURCE,
        )
    if condition == HEADACHE and medicine_class == ERGOT:
        return Prompt(
            code="cg150_no_ergots",
            level=WARNING,
            title="NICE advises not to offer ergots for acute migraine",
            body="NICE CG150 says do not offer ergots for the acute treatment of migraine.",
            source=CG150_SOURCE,
        )
    if condition == HEADACHE and medicine_class in CG150_DO_NOT_OFFER:
        return Prompt(
            code="cg150_no_opioids",
            level=WARNING,
            title="NICE advises not to offer opioids for migraine or tension-type headache",
            body=(
                "NICE CG150 says do not offer opioids for the acute treatment of migraine or "
                "for tension-type headache. They also carry a risk of medication-overuse "
                "headache at 10 days a month."
            ),
            source=CG150_SOURCE,
        )
    if condition == HEADACHE and medicine_class == COMBINATION_ANALGESIC:
        # Co-codamol and co-dydramol hold codeine or dihydrocodeine: opioids, which CG150 says
        # not to offer. Other combinations (paracetamol with caffeine) hold none, so it asks.
        return Prompt(
            code="cg150_opioid_combination",
            level=WARNING,
            title="Check the combination painkiller holds no opioid",
            body=(
                "If it contains codeine or dihydrocodeine (co-codamol, co-dydramol), NICE CG150 "
                "says do not offer it for the acute treatment of migraine or for tension-type "
                "headache. Combination painkillers also carry a risk of medication-overuse "
                "headache at 10 days a month."
            ),
            source=CG150_SOURCE,
        )
    return None


def advised_against(*, condition: str, medicine_class: str) -> bool:
    """Whether NICE advises against starting this class of medicine for the condition: NG193's
    "do not initiate" list for chronic pain, CG150's opioids and ergots for headache."""
    return (condition == CHRONIC_PAIN and medicine_class in NG193_DO_NOT_INITIATE) or (
        condition == HEADACHE and medicine_class in CG150_DO_NOT_OFFER
    )


# Outcomes of the review NG193 asks for when someone already takes a "do not initiate" medicine.
REVIEW_CONTINUE = "continue"
REVIEW_REDUCE = "reduce"


def existing_medicine_review(
    *, condition: str, medicine_class: str, medicine_name: str, review_decision: str = ""
) -> Prompt | None:
    """Return the "review and agree a plan" prompt for a medicine already taken that should not
    have been started (NG193 for chronic pain, CG150 opioids for headache), until the review is
    recorded as "continue safely" or "reduce and stop". Prompts never block."""
    if review_decision in (REVIEW_CONTINUE, REVIEW_REDUCE):
        return None
    if not advised_against(condition=condition, medicine_class=medicine_class):
        return None
    return Prompt(
        code="ng193_review_existing",
        level=ACTION,
        title=f"Review {medicine_name} with the patient",
        body=(
            "Review in shared decision-making. If it helps at a safe dose with few harms, agree "
            "a plan to continue safely. If it helps little or causes harm, explain the risks and "
            "support reducing and stopping, with a warning about withdrawal symptoms."
        ),
        source=NG193_SOURCE if condition == CHRONIC_PAIN else CG150_SOURCE,
    )
