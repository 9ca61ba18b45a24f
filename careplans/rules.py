"""Care-plan rules: medicines vocabulary, acute-treatment limits, prescribing prompts and what
changed between two plan versions.

Pure functions over plain values: no Django, no database. Diary figures (migraine and headache
days a month) arrive as numbers, never as diary rows. Clinical sources are clinical-rules.md
sections 5 (PSFS), 8 (ICHD-3 medication overuse), 10 (NICE TAs for CGRP antibodies and
botulinum toxin A) and 12 (NICE NG193).

Thresholds are compared exactly: numbers are turned into fractions through their decimal text, so
a 50.0% reduction is exactly 50% and never 49.999...% from binary floating point.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from pathway import instruments
from pathway.ichd3 import (
    CHRONIC_HEADACHE_DAYS_PER_MONTH,
    CHRONIC_MIGRAINE_DAYS_PER_MONTH,
    COMBINATION_ANALGESIC,
    DAYS_PER_MONTH,
    ERGOT,
    OVERUSE_DAYS_PER_MONTH,
    SIMPLE_ANALGESIC,
    TRIPTAN,
)

# --- Vocabulary -------------------------------------------------------------------------------

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
        Medicine(OTHER, "Other medicine", OTHER),
    )
}


def medicine_class_of(code: str) -> str:
    """Return the class of a coded medicine. Raises ValueError for an unknown code."""
    try:
        return MEDICINES[code].medicine_class
    except KeyError:
        raise ValueError(f"Unknown medicine code {code!r}.") from None


def medicine_key(code: str, other_name: str = "") -> str:
    """Return the identity used to count distinct medicines: the code, or for "other" the typed
    name in lower case with spaces collapsed (so "Pizotifen" and " pizotifen " count once)."""
    if code == OTHER:
        return "other:" + " ".join(other_name.lower().split())
    return code


def unknown_medicine_tokens(tokens: str) -> list[str]:
    """Return the words of a leaflet's "medicines" list that are neither a medicine code nor a
    medicine class."""
    return [t for t in tokens.split() if t not in MEDICINES and t not in MEDICINE_CLASSES]


def leaflet_is_about(tokens: str, *, medicine_code: str, medicine_class: str) -> bool:
    """Return True when a leaflet's "medicines" list names this medicine or its class."""
    words = set(tokens.split())
    return medicine_code in words or medicine_class in words


# Trial roles and outcomes (DESIGN.md section 3).
PREVENTIVE = "preventive"
ACUTE = "acute"
PAIN = "pain"
ONGOING = "ongoing"
EFFECTIVE = "effective"
INEFFECTIVE = "ineffective"
NOT_TOLERATED = "not_tolerated"
STOPPED = "stopped"

# clinical-rules.md section 10 (CONVENTION) and DESIGN.md section 3 Target: a treatment is reviewed
# for effectiveness 12 weeks (84 days) after it starts.
TRIAL_REVIEW_DAYS = 84


def default_review_due(started_on: date) -> date:
    """Return the default review date of a treatment trial: 12 weeks after it starts."""
    return started_on + timedelta(days=TRIAL_REVIEW_DAYS)


# Outcomes after which the medicine carries on, so it needs a next review date. After the others
# (did not work, not tolerated, stopped) the trial is over and nothing is reviewed again: the
# worklist's "past review" guard only follows ongoing trials (selectors.trials_past_review).
CONTINUING_OUTCOMES = frozenset({ONGOING, EFFECTIVE})


def next_review_problem(*, outcome: str, review_due: date | None, today: date) -> str | None:
    """Return what is wrong with a trial review's next review date, or None if it will do.

    A date, when given, must be today or later (a review date in the past would be overdue the
    moment it is saved). A treatment that carries on needs one; one that has ended does not.
    """
    if review_due is None:
        if outcome in CONTINUING_OUTCOMES:
            return "Enter the next review date. It is needed while the treatment carries on."
        return None
    if review_due < today:
        return "The next review date must be today or later."
    return None


# --- Acute treatment limits (medication overuse) ----------------------------------------------

# The acute classes are the diary's classes (DESIGN.md section 4, diaries.rules).
ACUTE_CLASSES: dict[str, str] = {
    SIMPLE_ANALGESIC: "Simple painkillers (paracetamol, aspirin, ibuprofen or other NSAIDs)",
    TRIPTAN: "Triptans",
    COMBINATION_ANALGESIC: "Combination painkillers (such as co-codamol)",
    OPIOID: "Opioid painkillers (such as codeine)",
    ERGOT: "Ergotamine",
}
DAYS_PER_WEEK = 7


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
    max_month = threshold - 1
    # Whole days a week whose 30-day total stays at or below max_month.
    per_week = (max_month * DAYS_PER_WEEK) // DAYS_PER_MONTH
    return AcuteLimit(medication_class, threshold, max_month, per_week)


def acute_limit_sentence(medication_class: str) -> str:
    """Return the plain-English limit shown to the patient, e.g. for triptans "Use them on no
    more than 2 days a week (fewer than 10 days a month)."."""
    limit = acute_limit(medication_class)
    days = "day" if limit.max_days_per_week == 1 else "days"
    return (
        f"Use them on no more than {limit.max_days_per_week} {days} a week "
        f"(fewer than {limit.overuse_days_per_month} days a month). Taking them more often can "
        "cause medication-overuse headache."
    )


# --- Prompts ----------------------------------------------------------------------------------

WARNING = "warning"
ACTION = "action"
INFO = "info"


@dataclass(frozen=True)
class Prompt:
    """A clinical prompt for the care team. `code` is stable for tests and the worklist."""

    code: str
    level: str
    title: str
    body: str
    source: str


@dataclass(frozen=True)
class TrialFacts:
    """What the rules need to know about one treatment trial."""

    medicine: str  # medicine_key(): a code, or "other:<name>"
    medicine_class: str
    role: str
    outcome: str
    adequate: bool = True  # given at an adequate dose for long enough


def is_failed_preventive(trial: TrialFacts) -> bool:
    """A preventive that did not work after an adequate trial, or was not tolerated
    (clinical-rules.md section 10: "tried at an adequate dose and duration, or not tolerated")."""
    if trial.role != PREVENTIVE:
        return False
    return trial.outcome == NOT_TOLERATED or (trial.outcome == INEFFECTIVE and trial.adequate)


def failed_preventive_count(trials: Iterable[TrialFacts]) -> int:
    """Return how many distinct medicines failed as preventives; a medicine tried twice counts
    once (clinical-rules.md section 10: "counts distinct drugs")."""
    return len({t.medicine for t in trials if is_failed_preventive(t)})


# clinical-rules.md section 10 (TA659/TA682/TA764): at least 3 preventive drug treatments failed.
CGRP_MIN_FAILED_PREVENTIVES = 3
# clinical-rules.md section 10: at least 4 migraine days a month, inclusive (4.0 qualifies).
CGRP_MIN_MIGRAINE_DAYS = 4
# clinical-rules.md section 10 (TA260): at least 3 preventive medicines have not worked.
BOTOX_MIN_FAILED_PREVENTIVES = 3
# clinical-rules.md sections 8 and 10: chronic = headache on >=15 days/month with >=8 migraine.
CHRONIC_HEADACHE_DAYS = CHRONIC_HEADACHE_DAYS_PER_MONTH
CHRONIC_MIGRAINE_DAYS = CHRONIC_MIGRAINE_DAYS_PER_MONTH
# clinical-rules.md section 10: the response to a CGRP antibody is judged after 12 weeks.
CGRP_ASSESSMENT_DAYS = 84
# clinical-rules.md section 10: continue when the reduction is at least 50% (episodic) or 30%
# (chronic); exactly 50% / 30% continues.
EPISODIC_REQUIRED_REDUCTION = Fraction(1, 2)
CHRONIC_REQUIRED_REDUCTION = Fraction(3, 10)
# A month holds at most 31 calendar days; figures outside 0-31 days a month are input errors.
MAX_DAYS_PER_MONTH = 31


def exact(value: int | float | Decimal | Fraction | str, name: str = "value") -> Fraction:
    """Return `value` as an exact fraction, reading floats through their shortest decimal text.
    Raises ValueError for booleans, non-numbers, NaN and infinities."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number.")
    if isinstance(value, Fraction | int):
        return Fraction(value)
    try:
        decimal = Decimal(str(value)) if isinstance(value, float | str) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError(f"{name} must be a number.") from None
    if not decimal.is_finite():
        raise ValueError(f"{name} must be a finite number.")
    return Fraction(decimal)


def _days_per_month(value, name: str) -> Fraction:
    days = exact(value, name)
    if not 0 <= days <= MAX_DAYS_PER_MONTH:
        raise ValueError(f"{name} must be between 0 and {MAX_DAYS_PER_MONTH} days a month.")
    return days


def is_chronic(headache_days_per_month) -> bool:
    """Chronic when headache days are at least 15 a month (NICE TA definition; clinical-rules.md
    section 10: "decided from the baseline diary")."""
    return _days_per_month(headache_days_per_month, "Headache days") >= CHRONIC_HEADACHE_DAYS


def is_chronic_migraine(headache_days_per_month, migraine_days_per_month) -> bool:
    """Chronic migraine: headache on at least 15 days a month, at least 8 with migraine."""
    migraine = _days_per_month(migraine_days_per_month, "Migraine days")
    return is_chronic(headache_days_per_month) and migraine >= CHRONIC_MIGRAINE_DAYS


def cgrp_prompt(
    *,
    failed_preventives: int,
    migraine_days_per_month=None,
    on_cgrp_antibody: bool = False,
) -> Prompt | None:
    """Return the "consider a CGRP antibody or specialist referral" prompt when at least 3
    preventives have failed and migraine days are at least 4 a month (TA659/TA682/TA764), an
    information prompt asking for migraine days when they are unknown, or None.
    Raises ValueError for a migraine-day figure outside 0-31."""
    if on_cgrp_antibody or failed_preventives < CGRP_MIN_FAILED_PREVENTIVES:
        return None
    source = "NICE TA659, TA682, TA764 (clinical-rules.md section 10)"
    if migraine_days_per_month is None:
        return Prompt(
            code="cgrp_needs_migraine_days",
            level=INFO,
            title="Record migraine days to check CGRP antibody eligibility",
            body=(
                f"{failed_preventives} preventive treatments have failed. Record the current "
                "migraine days a month on a treatment review to check NICE eligibility."
            ),
            source=source,
        )
    if _days_per_month(migraine_days_per_month, "Migraine days") < CGRP_MIN_MIGRAINE_DAYS:
        return None
    return Prompt(
        code="cgrp_consider",
        level=ACTION,
        title="Consider a CGRP antibody or specialist referral",
        body=(
            f"{failed_preventives} preventive treatments have failed and migraine is on "
            f"{float(exact(migraine_days_per_month)):.2f} days a month (NICE: at least 3 failed "
            "and at least 4 migraine days a month). Consider erenumab, fremanezumab or "
            "galcanezumab, or referral to a specialist headache service."
        ),
        source=source,
    )


def botox_prompt(
    *,
    failed_preventives: int,
    headache_days_per_month=None,
    migraine_days_per_month=None,
    on_botulinum_toxin: bool = False,
) -> Prompt | None:
    """Return the botulinum toxin A eligibility prompt for chronic migraine (headache >=15 and
    migraine >=8 days a month) after at least 3 failed preventives (TA260), or None. TA260 also
    needs medication overuse to be managed first; the prompt says so. Raises ValueError for a
    figure outside 0-31 days a month."""
    if on_botulinum_toxin or failed_preventives < BOTOX_MIN_FAILED_PREVENTIVES:
        return None
    if headache_days_per_month is None or migraine_days_per_month is None:
        return None
    if not is_chronic_migraine(headache_days_per_month, migraine_days_per_month):
        return None
    return Prompt(
        code="botox_eligibility",
        level=ACTION,
        title="Check eligibility for botulinum toxin A (chronic migraine)",
        body=(
            f"Chronic migraine with {failed_preventives} failed preventive treatments. NICE "
            "TA260 also needs any medication overuse to be managed first. Botulinum toxin A is "
            "stopped if headache days fall by less than 30% after 2 treatment cycles."
        ),
        source="NICE TA260 (clinical-rules.md section 10)",
    )


# Decisions of the 12-week CGRP antibody review.
NOT_YET_DUE = "not_yet_due"
CONTINUE = "continue"
STOP = "stop"


@dataclass(frozen=True)
class StoppingRule:
    """The 12-week CGRP antibody review (clinical-rules.md section 10).

    `decision` is `not_yet_due` before 12 weeks, else `continue` or `stop`. `reduction` is
    (baseline - month 3) / baseline of migraine days a month, exact; None when not yet due.
    """

    decision: str
    frequency: str  # "chronic" or "episodic", from the baseline headache days
    required_reduction: Fraction
    reduction: Fraction | None

    @property
    def reduction_percent(self) -> float | None:
        return None if self.reduction is None else float(self.reduction * 100)

    @property
    def required_percent(self) -> int:
        return int(self.required_reduction * 100)


def cgrp_stopping_rule(
    *,
    baseline_headache_days,
    baseline_migraine_days,
    month3_migraine_days=None,
    days_on_treatment: int,
) -> StoppingRule:
    """Return the CGRP antibody stopping rule: after 12 weeks continue only if migraine days a
    month fell by at least 50% (episodic baseline) or 30% (chronic baseline: headache days >= 15).

    Raises ValueError when a figure is outside 0-31 days a month, migraine days exceed headache
    days at baseline, the baseline has no migraine days (no reduction can be measured), or the
    treatment has run 12 weeks but the month-3 figure is missing.
    """
    baseline_headache = _days_per_month(baseline_headache_days, "Baseline headache days")
    baseline_migraine = _days_per_month(baseline_migraine_days, "Baseline migraine days")
    if baseline_migraine > baseline_headache:
        raise ValueError("Baseline migraine days cannot be more than baseline headache days.")
    if baseline_migraine == 0:
        raise ValueError("Baseline migraine days must be above 0 to measure a reduction.")
    chronic = baseline_headache >= CHRONIC_HEADACHE_DAYS
    required = CHRONIC_REQUIRED_REDUCTION if chronic else EPISODIC_REQUIRED_REDUCTION
    frequency = "chronic" if chronic else "episodic"
    if days_on_treatment < CGRP_ASSESSMENT_DAYS:
        return StoppingRule(NOT_YET_DUE, frequency, required, None)
    if month3_migraine_days is None:
        raise ValueError("Enter the migraine days a month at 12 weeks.")
    month3 = _days_per_month(month3_migraine_days, "Migraine days at 12 weeks")
    reduction = (baseline_migraine - month3) / baseline_migraine
    return StoppingRule(CONTINUE if reduction >= required else STOP, frequency, required, reduction)


def stopping_rule_prompt(rule: StoppingRule, medicine_name: str) -> Prompt | None:
    """Return the prompt for a due CGRP antibody review, or None when not yet due."""
    if rule.decision == NOT_YET_DUE:
        return None
    percent = f"{rule.reduction_percent:.1f}%"
    source = "NICE TA659, TA682, TA764 (clinical-rules.md section 10)"
    if rule.decision == CONTINUE:
        return Prompt(
            code="cgrp_continue",
            level=INFO,
            title=f"{medicine_name}: continue (12-week response met)",
            body=(
                f"Migraine days fell by {percent}; NICE needs at least "
                f"{rule.required_percent}% for {rule.frequency} migraine."
            ),
            source=source,
        )
    return Prompt(
        code="cgrp_stop",
        level=WARNING,
        title=f"{medicine_name}: stop (12-week response not met)",
        body=(
            f"Migraine days fell by {percent}; NICE needs at least {rule.required_percent}% "
            f"for {rule.frequency} migraine, so treatment should stop."
        ),
        source=source,
    )


# clinical-rules.md section 12 (NG193): do not initiate opioids or antiepileptics including
# gabapentinoids for chronic primary pain.
NG193_DO_NOT_INITIATE: frozenset[str] = frozenset({OPIOID, GABAPENTINOID, ANTICONVULSANT})
# clinical-rules.md section 12: CG150 says do not offer opioids for migraine or tension-type
# headache.
CG150_DO_NOT_OFFER: frozenset[str] = frozenset({OPIOID})
# Shown to clinicians as "Source: ...".
NG193_SOURCE = "NICE NG193"
CG150_SOURCE = "NICE CG150"


def start_warning(*, condition: str, medicine_class: str) -> Prompt | None:
    """Return the prescribing warning for starting a medicine, or None.

    Chronic pain: NG193's "do not initiate" list (opioids, antiepileptics including
    gabapentinoids). Headache: CG150's "do not offer opioids". The warning informs; it does not
    block (clinical-rules.md section 12, "App rule").
    """
    label = MEDICINE_CLASSES.get(medicine_class, medicine_class).lower()
    if condition == CHRONIC_PAIN and medicine_class in NG193_DO_NOT_INITIATE:
        return Prompt(
            code="ng193_do_not_initiate",
            level=WARNING,
            title=f"NICE advises not to start {label}s for chronic primary pain",
            body=(
                "NICE NG193 says do not initiate opioids or antiepileptics, including "
                "gabapentinoids, to manage chronic primary pain (gabapentinoids only within a "
                "clinical trial for complex regional pain syndrome). Consider exercise, "
                "psychological therapy or an antidepressant instead."
            ),
            source=NG193_SOURCE,
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
    return None


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
    relevant = (condition == CHRONIC_PAIN and medicine_class in NG193_DO_NOT_INITIATE) or (
        condition == HEADACHE and medicine_class in CG150_DO_NOT_OFFER
    )
    if not relevant:
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


# --- Goals (PSFS-style) ----------------------------------------------------------------------


@dataclass(frozen=True)
class GoalScores:
    """PSFS means over a version's goals (clinical-rules.md section 5), unrounded.

    `current_mean`, `change` and `important` are None until every goal has a current rating.
    """

    baseline_mean: float
    target_mean: float
    current_mean: float | None
    change: float | None
    important: bool | None


def goal_scores(
    baselines: Sequence[int], targets: Sequence[int], currents: Sequence[int | None]
) -> GoalScores | None:
    """Return the PSFS scores of a plan's goals, or None when there are no goals.

    Raises pathway.instruments.InvalidAnswers for more than 5 goals or a rating outside 0-10.
    """
    if not baselines:
        return None
    baseline = instruments.score("PSFS", list(baselines)).total
    target = instruments.score("PSFS", list(targets)).total
    if any(value is None for value in currents):
        return GoalScores(baseline, target, None, None, None)
    ratings = [int(value) for value in currents if value is not None]
    change, important = instruments.psfs_change(list(baselines), ratings)
    return GoalScores(baseline, target, instruments.score("PSFS", ratings).total, change, important)


# --- What changed between versions ------------------------------------------------------------


@dataclass(frozen=True)
class ItemSnapshot:
    """One child row of a plan version (a goal, a self-management item, ...), as display text.

    `lineage` identifies the same item across versions; `values` maps field labels to text.
    """

    lineage: str
    section: str
    label: str
    values: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class VersionSnapshot:
    """A plan version as display text: top-level fields (label -> text) and its items."""

    values: Mapping[str, str]
    items: Sequence[ItemSnapshot]


ADDED = "added"
REMOVED = "removed"
CHANGED = "changed"


@dataclass(frozen=True)
class Change:
    section: str
    kind: str  # added | removed | changed
    label: str
    details: tuple[str, ...] = ()


def changes_between(old: VersionSnapshot, new: VersionSnapshot) -> list[Change]:
    """Return what changed from `old` to `new`: changed top-level fields first, then items added,
    changed or removed, in the new version's order (removed items last)."""
    changes = [
        Change(section=label, kind=CHANGED, label=label, details=(f"Was: {old.values[label]}",))
        for label, value in new.values.items()
        if label in old.values and old.values[label] != value
    ]
    old_items = {item.lineage: item for item in old.items}
    new_lineages = {item.lineage for item in new.items}
    for item in new.items:
        before = old_items.get(item.lineage)
        if before is None:
            changes.append(Change(item.section, ADDED, item.label))
            continue
        details = tuple(
            f"{name}: {before.values.get(name, '') or 'none'} → {value or 'none'}"
            for name, value in item.values.items()
            if before.values.get(name, "") != value
        )
        if before.label != item.label:
            details = (f"Was: {before.label}", *details)
        if details:
            changes.append(Change(item.section, CHANGED, item.label, details))
    changes.extend(
        Change(item.section, REMOVED, item.label)
        for item in old.items
        if item.lineage not in new_lineages
    )
    return changes
