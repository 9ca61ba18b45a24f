"""ICHD-3 headache thresholds shared by the diary rules and the care-plan rules.

Pure constants (clinical-rules.md section 8); `diaries.rules` and `careplans.rules` both read them
from here so the two can never drift apart.
"""

# Acute-medication classes for medication-overuse counting (DESIGN.md section 4).
SIMPLE_ANALGESIC = "simple_analgesic"
TRIPTAN = "triptan"
ERGOT = "ergot"
OPIOID = "opioid"
COMBINATION_ANALGESIC = "combination_analgesic"
MEDICATION_CLASSES: tuple[str, ...] = (
    SIMPLE_ANALGESIC,
    TRIPTAN,
    ERGOT,
    OPIOID,
    COMBINATION_ANALGESIC,
)

# clinical-rules.md section 8, Diary conventions 1-2: a month is 30 days.
DAYS_PER_MONTH = 30

# ICHD-3 1.3 A, 2.3, 8.2 A; NICE TA definitions (clinical-rules.md sections 8 and 10): headache on
# at least 15 days/month is chronic; fewer is episodic.
CHRONIC_HEADACHE_DAYS_PER_MONTH = 15
# ICHD-3 1.3 C and NICE TA260/TA659/TA682/TA764: at least 8 days/month with migraine features.
CHRONIC_MIGRAINE_DAYS_PER_MONTH = 8

# ICHD-3 8.2.1-8.2.5 (and NICE CG150): days of intake per month at or above which a class is
# overused. Simple analgesics (paracetamol, aspirin, other NSAIDs) are one class, counted together.
OVERUSE_DAYS_PER_MONTH: dict[str, int] = {
    ERGOT: 10,  # ICHD-3 8.2.1
    TRIPTAN: 10,  # ICHD-3 8.2.2
    SIMPLE_ANALGESIC: 15,  # ICHD-3 8.2.3
    OPIOID: 10,  # ICHD-3 8.2.4
    COMBINATION_ANALGESIC: 10,  # ICHD-3 8.2.5
}
# ICHD-3 8.2.6: distinct days with any acute medication, when no class is overused on its own.
MULTIPLE_CLASSES_OVERUSE_DAYS_PER_MONTH = 10
