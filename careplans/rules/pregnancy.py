"""Medicines under an MHRA pregnancy prevention programme (topiramate and valproate), and the
warning the care team sees when one is recorded for a patient who could become pregnant.

clinical-rules.md says nothing about pregnancy. The MHRA does: since June 2024 topiramate is
contraindicated in pregnancy for migraine prevention, and in women of childbearing potential
unless the conditions of its Pregnancy Prevention Programme are met (MHRA Drug Safety Update,
June 2024, as the app's topiramate leaflet cites). Valproate has had a Pregnancy Prevention
Programme since 2018, and since January 2024 must not be started in anyone under 55 unless two
specialists independently consider and document that no other treatment is effective or
tolerated (MHRA Drug Safety Update, January 2024). The warnings inform; they never block.
"""

from __future__ import annotations

import re

from careplans.rules.medicines import OTHER, medicine_key
from careplans.rules.prompts import WARNING, Prompt

TOPIRAMATE = "topiramate"
VALPROATE = "valproate"

# pathway.Patient.Sex.FEMALE (rules import no Django models).
FEMALE = "female"
# CONVENTION (clinical-rules.md is silent; the MHRA says "women and girls of childbearing
# potential" and sets no ages): a female patient aged 12 to 55, inclusive, is taken as able to
# become pregnant. 12 is about the earliest usual age of first periods; 55 is the MHRA's own
# age limit for valproate's two-specialist rule, and beyond the usual age of the menopause. A
# patient whose sex is recorded as anything else gets no warning: the record cannot say.
CHILDBEARING_AGE_FROM = 12
CHILDBEARING_AGE_TO = 55

# Valproate is not on the app's list of medicines, so it can only be typed as "other": these are
# the words its names are written with (sodium valproate, valproic acid, semisodium valproate,
# and the UK brands the MHRA and NHS England list).
VALPROATE_WORDS = frozenset(
    {
        "valproate",
        "valproic",
        "divalproex",
        "belvo",
        "convulex",
        "depakin",
        "depakote",
        "dyzantil",
        "epilim",
        "episenta",
        "epival",
        "orlept",
        "syonell",
    }
)

TOPIRAMATE_SOURCE = "MHRA Drug Safety Update, June 2024"
VALPROATE_SOURCE = "MHRA Drug Safety Update, January 2024"


def pregnancy_prevention_medicine(code: str, other_name: str = "") -> str | None:
    """Return TOPIRAMATE or VALPROATE for a medicine under an MHRA pregnancy prevention
    programme, else None: topiramate by its code (or typed as "other" under one of its names,
    such as Topamax: medicine_key), valproate by a word of its typed name (VALPROATE_WORDS)."""
    if medicine_key(code, other_name) == TOPIRAMATE:
        return TOPIRAMATE
    if code == OTHER:
        words = set(re.findall(r"[a-z]+", other_name.lower()))
        if words & VALPROATE_WORDS:
            return VALPROATE
    return None


def could_become_pregnant(*, sex: str, age: int) -> bool:
    """Return True for a female patient aged CHILDBEARING_AGE_FROM to CHILDBEARING_AGE_TO
    inclusive (the app's convention for "of childbearing potential")."""
    return sex == FEMALE and CHILDBEARING_AGE_FROM <= age <= CHILDBEARING_AGE_TO


_WHO = (
    f"The patient is female and aged {CHILDBEARING_AGE_FROM} to {CHILDBEARING_AGE_TO}, so could "
    "become pregnant unless that has been ruled out."
)


def pregnancy_prevention_warning(medicine: str) -> Prompt:
    """Return the warning shown beside a recorded topiramate or valproate (`medicine`, as
    pregnancy_prevention_medicine returns it) for a patient who could become pregnant. Raises
    ValueError for any other medicine."""
    if medicine == TOPIRAMATE:
        return Prompt(
            code="mhra_pregnancy_prevention_topiramate",
            level=WARNING,
            title="Topiramate: pregnancy prevention programme",
            body=(
                f"{_WHO} The MHRA says topiramate must not be used to prevent migraine in "
                "pregnancy, nor by anyone who could become pregnant unless the conditions of its "
                "pregnancy prevention programme are met: pregnancy ruled out before starting, "
                "highly effective contraception throughout and for 4 weeks after stopping "
                "(topiramate can make hormonal contraception work less well), the risks to a "
                "baby explained, and a risk awareness form signed at the start and at least "
                "every year. Consider another preventive."
            ),
            source=TOPIRAMATE_SOURCE,
        )
    if medicine == VALPROATE:
        return Prompt(
            code="mhra_pregnancy_prevention_valproate",
            level=WARNING,
            title="Valproate: pregnancy prevention programme",
            body=(
                f"{_WHO} The MHRA says valproate must not be started in anyone under 55 unless "
                "two specialists independently consider and document that no other treatment "
                "is effective or tolerated, and anyone who could become pregnant may take it "
                "only under its pregnancy prevention programme: highly effective contraception, "
                "pregnancy tests, the risks to a baby explained, and an annual risk "
                "acknowledgement form."
            ),
            source=VALPROATE_SOURCE,
        )
    raise ValueError(f"{medicine!r} has no pregnancy prevention programme here.")


def pregnancy_prevention_notice() -> Prompt:
    """Return the warning shown on the form that records a treatment, for a patient who could
    become pregnant: before a medicine is chosen, it names both medicines."""
    return Prompt(
        code="mhra_pregnancy_prevention",
        level=WARNING,
        title="Topiramate and valproate: pregnancy prevention programme",
        body=(
            f"{_WHO} The MHRA says neither topiramate nor valproate may be used by anyone who "
            "could become pregnant unless the conditions of its pregnancy prevention programme "
            "are met, and valproate must not be started under 55 unless two specialists agree "
            "that nothing else works. Consider another medicine. If you record one of them, the "
            "plan shows what its programme needs."
        ),
        source=f"{VALPROATE_SOURCE}; {TOPIRAMATE_SOURCE}",
    )
