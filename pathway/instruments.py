"""Questionnaire scoring (clinical-rules.md sections 1-7).

Answers are validated before scoring: a wrong number of answers, an answer outside the item's range,
a non-integer where whole numbers are required (bools, floats such as 2.0 and digit strings
included) or an unknown label raises InvalidAnswers. Nothing is coerced, clamped or filled in, and
thresholds are compared on unrounded totals (clinical-rules.md, general rules).

Error messages name the item but never echo the answer, so they are safe to log.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TypeGuard


class InvalidAnswers(ValueError):
    """Answers that cannot be scored; the message says which item is wrong and why."""


@dataclass(frozen=True)
class Score:
    """A scored questionnaire.

    `total` is an int, except PSFS whose total is the unrounded mean (a float). `band` is None for
    instruments without bands (PSFS, MSK-HQ). `alert` is True only for a PHQ-9 item 9 answer above
    0. `eppoc_band` is set for PSEQ only.
    """

    total: int | float
    band: str | None
    alert: bool
    eppoc_band: str | None = None


HIGHER_IS_BETTER = "higher"
LOWER_IS_BETTER = "lower"


@dataclass(frozen=True)
class Instrument:
    """What other code needs to know about an instrument without scoring it.

    `important_change` is the smallest change in the `better` direction that counts as clinically
    important, or None where clinical-rules.md gives no threshold.
    """

    code: str
    name: str
    min_items: int
    max_items: int
    min_answer: int
    max_answer: int
    min_total: int | float
    max_total: int | float
    better: str | None
    important_change: int | float | None


# clinical-rules.md section 1: positive screen = 2 or 3 "yes" answers.
ID_MIGRAINE_POSITIVE_MIN = 2

# clinical-rules.md section 2 (CONVENTION): each scored item is 0-92 days; 3 months hold at most 92.
MIDAS_ITEM_MAX = 92
# clinical-rules.md section 2: grades I 0-5, II 6-10, III 11-20, IV >=21 (IV is not split).
MIDAS_GRADES = ((0, "I"), (6, "II"), (11, "III"), (21, "IV"))

# clinical-rules.md section 3: fixed weights per response category; total 36-78.
HIT6_WEIGHTS = {"never": 6, "rarely": 8, "sometimes": 10, "very often": 11, "always": 13}
HIT6_MIN_TOTAL = 36
HIT6_MAX_TOTAL = 78
# clinical-rules.md section 3: <=49 little or no, 50-55 some, 56-59 substantial, 60-78 severe.
HIT6_BANDS = (
    (HIT6_MIN_TOTAL, "little_or_no_impact"),
    (50, "some_impact"),
    (56, "substantial_impact"),
    (60, "severe_impact"),
)
# clinical-rules.md section 3: an improvement of about 6 points (Rendas-Baum 2014, chronic
# migraine).
HIT6_IMPORTANT_CHANGE = 6

# clinical-rules.md section 4 (CONVENTION): primary band by the 20/40 rule.
PSEQ_BANDS = ((0, "low"), (20, "moderate"), (40, "high"))
# clinical-rules.md section 4: ePPOC bands severe 0-19, moderate 20-30, mild 31-40, minimal 41-60.
PSEQ_EPPOC_BANDS = ((0, "severe"), (20, "moderate"), (31, "mild"), (41, "minimal"))
# clinical-rules.md section 4: ePPOC counts a change of >=7 points as clinically significant only
# together with a move to another ePPOC band; the band move must be checked alongside this number.
PSEQ_IMPORTANT_CHANGE = 7

# clinical-rules.md section 5 (CONVENTION): 1-5 activities, each rated 0-10.
PSFS_MAX_ACTIVITIES = 5
# clinical-rules.md section 5 (CONVENTION): improvement in the mean of >= 2.0, on unrounded means.
PSFS_IMPORTANT_CHANGE = 2

# clinical-rules.md section 6: minimal important change about 5.5 points (Price et al. 2019).
MSK_HQ_IMPORTANT_CHANGE = 5.5

# clinical-rules.md section 7: 0-4 none/minimal, 5-9 mild, 10-14 moderate, 15-19 moderately
# severe, 20-27 severe.
PHQ9_BANDS = (
    (0, "none_minimal"),
    (5, "mild"),
    (10, "moderate"),
    (15, "moderately_severe"),
    (20, "severe"),
)
# clinical-rules.md section 7: any item 9 answer above 0 raises the self-harm alert, whatever the
# total.
PHQ9_SELF_HARM_ITEM = 9
# clinical-rules.md section 7: 0-4 minimal, 5-9 mild, 10-14 moderate, 15-21 severe.
GAD7_BANDS = ((0, "minimal"), (5, "mild"), (10, "moderate"), (15, "severe"))
# The bands that prompt a review by the care team although no alert is raised: clinical-rules.md
# section 7, "a total of 20+ with item 9 = 0 raises no item-9 alert (the severity band still
# prompts review)". GAD-7's severe band (15-21) is treated the same way; the rules name no
# action for it.
REVIEW_BANDS: dict[str, str] = {"PHQ-9": "severe", "GAD-7": "severe"}


INSTRUMENTS: dict[str, Instrument] = {
    # Answers are booleans (a "yes" counts 1). A screener, not an outcome: no direction and no
    # change threshold.
    "ID_MIGRAINE": Instrument(
        code="ID_MIGRAINE",
        name="ID Migraine screener",
        min_items=3,
        max_items=3,
        min_answer=0,
        max_answer=1,
        min_total=0,
        max_total=3,
        better=None,
        important_change=None,
    ),
    "MIDAS": Instrument(
        code="MIDAS",
        name="Migraine Disability Assessment",
        min_items=5,
        max_items=5,
        min_answer=0,
        max_answer=MIDAS_ITEM_MAX,
        min_total=0,
        max_total=5 * MIDAS_ITEM_MAX,
        better=LOWER_IS_BETTER,
        important_change=None,  # clinical-rules.md section 2 gives no threshold for MIDAS.
    ),
    "HIT-6": Instrument(
        code="HIT-6",
        name="Headache Impact Test",
        min_items=6,
        max_items=6,
        # Answers are labels or their weights, so the answer range is the weight range.
        min_answer=min(HIT6_WEIGHTS.values()),
        max_answer=max(HIT6_WEIGHTS.values()),
        min_total=HIT6_MIN_TOTAL,
        max_total=HIT6_MAX_TOTAL,
        better=LOWER_IS_BETTER,
        important_change=HIT6_IMPORTANT_CHANGE,
    ),
    "PSEQ": Instrument(
        code="PSEQ",
        name="Pain Self-Efficacy Questionnaire",
        min_items=10,
        max_items=10,
        min_answer=0,
        max_answer=6,
        min_total=0,
        max_total=60,
        better=HIGHER_IS_BETTER,
        important_change=PSEQ_IMPORTANT_CHANGE,  # Plus a move to another ePPOC band.
    ),
    "PSFS": Instrument(
        code="PSFS",
        name="Patient-Specific Functional Scale",
        min_items=1,
        max_items=PSFS_MAX_ACTIVITIES,
        min_answer=0,
        max_answer=10,
        # The total is the mean rating, so its range is the rating range.
        min_total=0,
        max_total=10,
        better=HIGHER_IS_BETTER,
        important_change=PSFS_IMPORTANT_CHANGE,
    ),
    "MSK-HQ": Instrument(
        code="MSK-HQ",
        name="Musculoskeletal Health Questionnaire",
        min_items=14,
        max_items=14,
        min_answer=0,
        max_answer=4,
        min_total=0,
        max_total=56,
        better=HIGHER_IS_BETTER,
        important_change=MSK_HQ_IMPORTANT_CHANGE,
    ),
    "PHQ-9": Instrument(
        code="PHQ-9",
        name="Patient Health Questionnaire (PHQ-9)",
        min_items=9,
        max_items=9,
        min_answer=0,
        max_answer=3,
        min_total=0,
        max_total=27,
        better=LOWER_IS_BETTER,
        important_change=None,  # clinical-rules.md section 7 gives no threshold for PHQ-9.
    ),
    "GAD-7": Instrument(
        code="GAD-7",
        name="Generalised Anxiety Disorder (GAD-7)",
        min_items=7,
        max_items=7,
        min_answer=0,
        max_answer=3,
        min_total=0,
        max_total=21,
        better=LOWER_IS_BETTER,
        important_change=None,  # clinical-rules.md section 7 gives no threshold for GAD-7.
    ),
}


def eppoc_band(total: int | float) -> str:
    """The ePPOC band of a PSEQ total (clinical-rules.md section 4)."""
    return _band(total, PSEQ_EPPOC_BANDS)


# (instrument code, band code) -> words for clinicians. Wording follows clinical-rules.md
# sections 1-4 and 7.
BAND_LABELS: dict[tuple[str, str], str] = {
    ("ID_MIGRAINE", "positive"): "positive screen",
    ("ID_MIGRAINE", "negative"): "negative screen",
    ("MIDAS", "I"): "grade I, little or no disability",
    ("MIDAS", "II"): "grade II, mild disability",
    ("MIDAS", "III"): "grade III, moderate disability",
    ("MIDAS", "IV"): "grade IV, severe disability",
    ("HIT-6", "little_or_no_impact"): "little or no impact",
    ("HIT-6", "some_impact"): "some impact",
    ("HIT-6", "substantial_impact"): "substantial impact",
    ("HIT-6", "severe_impact"): "severe impact",
    ("PSEQ", "low"): "low",
    ("PSEQ", "moderate"): "moderate",
    ("PSEQ", "high"): "high",
    ("PHQ-9", "none_minimal"): "none or minimal",
    ("PHQ-9", "mild"): "mild",
    ("PHQ-9", "moderate"): "moderate",
    ("PHQ-9", "moderately_severe"): "moderately severe",
    ("PHQ-9", "severe"): "severe",
    ("GAD-7", "minimal"): "minimal",
    ("GAD-7", "mild"): "mild",
    ("GAD-7", "moderate"): "moderate",
    ("GAD-7", "severe"): "severe",
}


def band_label(instrument: str, band: str | None) -> str:
    """The words for `band` of `instrument`, as staff pages show it; "" for no band. A code with
    no label reads as its code with spaces for underscores, never raw."""
    if not band:
        return ""
    return BAND_LABELS.get((instrument, band), band.replace("_", " "))


def band_text(instrument: str, band: str | None, total: float) -> str:
    """A result's band as shown beside its score: the band's words and, for PSEQ, the ePPOC
    band reported beside the 20/40 band (clinical-rules.md section 4), each named for what it
    grades, e.g. "high self-efficacy; ePPOC severity mild" for 40 (the two scales grade in
    opposite directions, so the bare words "high; mild" read as a contradiction). "" when the
    instrument has no bands."""
    label = band_label(instrument, band)
    if instrument == "PSEQ" and label:
        return f"{label} self-efficacy; ePPOC severity {eppoc_band(total)}"
    return label


def prompts_review(instrument: str, band: str) -> bool:
    """Whether a score in `band` of `instrument` prompts a review (REVIEW_BANDS)."""
    return bool(band) and REVIEW_BANDS.get(instrument) == band


def _band(total: int | float, bands: tuple[tuple[int, str], ...]) -> str:
    """Return the name of the highest band whose lower bound `total` reaches."""
    return next(name for lower, name in reversed(bands) if total >= lower)


def _is_whole_number(answer: object) -> TypeGuard[int]:
    # bool is a subclass of int, but True is not an answer of 1.
    return isinstance(answer, int) and not isinstance(answer, bool)


def _items(instrument: Instrument, answers: object) -> Sequence[object]:
    """Return `answers` after checking it is a list or tuple of the right length.

    Raises InvalidAnswers otherwise.
    """
    if not isinstance(answers, list | tuple):
        raise InvalidAnswers(f"{instrument.code} answers must be a list, one answer per item")
    count = len(answers)
    if instrument.min_items == instrument.max_items and count != instrument.min_items:
        raise InvalidAnswers(
            f"{instrument.code} needs exactly {instrument.min_items} answers, got {count}"
        )
    if not instrument.min_items <= count <= instrument.max_items:
        raise InvalidAnswers(
            f"{instrument.code} needs {instrument.min_items} to {instrument.max_items} answers, "
            f"got {count}"
        )
    return answers


def _whole_numbers(instrument: Instrument, answers: object) -> list[int]:
    """Return the answers as ints after checking each is a whole number in the item's range.

    Raises InvalidAnswers otherwise.
    """
    numbers: list[int] = []
    for number, answer in enumerate(_items(instrument, answers), start=1):
        if not _is_whole_number(answer) or not (
            instrument.min_answer <= answer <= instrument.max_answer
        ):
            raise InvalidAnswers(
                f"{instrument.code} item {number} must be a whole number from "
                f"{instrument.min_answer} to {instrument.max_answer}"
            )
        numbers.append(answer)
    return numbers


def _score_id_migraine(answers: object) -> Score:
    items = _items(INSTRUMENTS["ID_MIGRAINE"], answers)
    for number, answer in enumerate(items, start=1):
        if not isinstance(answer, bool):
            raise InvalidAnswers(f"ID_MIGRAINE item {number} must be yes (True) or no (False)")
    total = sum(1 for answer in items if answer)
    band = "positive" if total >= ID_MIGRAINE_POSITIVE_MIN else "negative"
    return Score(total=total, band=band, alert=False)


def _score_midas(answers: object) -> Score:
    # Only the five scored items: questions A (headache days) and B (pain) are never summed.
    total = sum(_whole_numbers(INSTRUMENTS["MIDAS"], answers))
    return Score(total=total, band=_band(total, MIDAS_GRADES), alert=False)


def _hit6_weight(number: int, answer: object) -> int:
    if isinstance(answer, str) and answer in HIT6_WEIGHTS:
        return HIT6_WEIGHTS[answer]
    if _is_whole_number(answer) and answer in HIT6_WEIGHTS.values():
        return answer
    raise InvalidAnswers(
        f"HIT-6 item {number} must be one of never, rarely, sometimes, very often, always "
        "or its weight 6, 8, 10, 11 or 13"
    )


def _score_hit6(answers: object) -> Score:
    items = _items(INSTRUMENTS["HIT-6"], answers)
    total = sum(_hit6_weight(number, answer) for number, answer in enumerate(items, start=1))
    return Score(total=total, band=_band(total, HIT6_BANDS), alert=False)


def _score_pseq(answers: object) -> Score:
    total = sum(_whole_numbers(INSTRUMENTS["PSEQ"], answers))
    return Score(
        total=total,
        band=_band(total, PSEQ_BANDS),
        alert=False,
        eppoc_band=eppoc_band(total),
    )


def _psfs_mean(answers: object) -> Fraction:
    ratings = _whole_numbers(INSTRUMENTS["PSFS"], answers)
    return Fraction(sum(ratings), len(ratings))


def _score_psfs(answers: object) -> Score:
    return Score(total=float(_psfs_mean(answers)), band=None, alert=False)


def _score_msk_hq(answers: object) -> Score:
    return Score(total=sum(_whole_numbers(INSTRUMENTS["MSK-HQ"], answers)), band=None, alert=False)


def _score_phq9(answers: object) -> Score:
    items = _whole_numbers(INSTRUMENTS["PHQ-9"], answers)
    total = sum(items)
    alert = items[PHQ9_SELF_HARM_ITEM - 1] > 0
    return Score(total=total, band=_band(total, PHQ9_BANDS), alert=alert)


def _score_gad7(answers: object) -> Score:
    total = sum(_whole_numbers(INSTRUMENTS["GAD-7"], answers))
    return Score(total=total, band=_band(total, GAD7_BANDS), alert=False)


_SCORERS: dict[str, Callable[[object], Score]] = {
    "ID_MIGRAINE": _score_id_migraine,
    "MIDAS": _score_midas,
    "HIT-6": _score_hit6,
    "PSEQ": _score_pseq,
    "PSFS": _score_psfs,
    "MSK-HQ": _score_msk_hq,
    "PHQ-9": _score_phq9,
    "GAD-7": _score_gad7,
}


def score(code: str, answers: Sequence[object]) -> Score:
    """Return the Score for one completed questionnaire.

    `code` is a key of INSTRUMENTS; `answers` is a list or tuple with one answer per item, in
    item order. Raises InvalidAnswers for an unknown code, a wrong number of answers, an answer
    out of range or of the wrong type, or an unknown HIT-6 label.
    """
    scorer = _SCORERS.get(code) if isinstance(code, str) else None
    if scorer is None:
        raise InvalidAnswers(f"unknown instrument code; expected one of {', '.join(INSTRUMENTS)}")
    return scorer(answers)


def psfs_change(baseline: Sequence[int], follow_up: Sequence[int]) -> tuple[float, bool]:
    """Return (follow-up mean minus baseline mean, whether that is a clinically important
    improvement) for PSFS ratings of the same activities.

    The improvement test (>= PSFS_IMPORTANT_CHANGE) is exact on the unrounded means; a fall is
    never an important improvement. Raises InvalidAnswers when either set of ratings is invalid
    or the two rate a different number of activities.
    """
    try:
        before = _psfs_mean(baseline)
    except InvalidAnswers as error:
        raise InvalidAnswers(f"baseline: {error}") from error
    try:
        after = _psfs_mean(follow_up)
    except InvalidAnswers as error:
        raise InvalidAnswers(f"follow-up: {error}") from error
    if len(baseline) != len(follow_up):
        raise InvalidAnswers("PSFS follow-up must re-rate the same activities as the baseline")
    delta = after - before
    return float(delta), delta >= PSFS_IMPORTANT_CHANGE


def is_psfs_worsening(delta: float) -> bool:
    """Whether a PSFS change (`psfs_change`'s delta) is a fall of at least the minimal
    clinically important difference: the 2 points of an improvement, read the other way."""
    return -delta >= PSFS_IMPORTANT_CHANGE
