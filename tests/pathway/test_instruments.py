import dataclasses
from decimal import Decimal
from fractions import Fraction

import pytest

from pathway.instruments import INSTRUMENTS, InvalidAnswers, Score, psfs_change, score


def answers_totalling(total, count, maximum):
    """Return `count` answers of at most `maximum` each, front-loaded, that add up to `total`."""
    answers = []
    for _ in range(count):
        answer = min(maximum, total)
        answers.append(answer)
        total -= answer
    assert total == 0
    return answers


# ID Migraine (clinical-rules.md section 1)


@pytest.mark.parametrize(
    ("answers", "total", "band"),
    [
        ([False, False, False], 0, "negative"),
        ([True, False, False], 1, "negative"),
        ([False, False, True], 1, "negative"),
        ([True, True, False], 2, "positive"),
        ([False, True, True], 2, "positive"),
        ([True, True, True], 3, "positive"),
    ],
)
def test_it_screens_id_migraine_positive_at_two_or_more_yes(answers, total, band):
    assert score("ID_MIGRAINE", answers) == Score(total=total, band=band, alert=False)


@pytest.mark.parametrize("answer", [1, 0, "yes", "True", None, 1.0])
def test_it_accepts_only_real_booleans_for_id_migraine(answer):
    with pytest.raises(InvalidAnswers):
        score("ID_MIGRAINE", [True, True, answer])


# MIDAS (clinical-rules.md section 2)


@pytest.mark.parametrize(
    ("total", "grade"),
    [
        (0, "I"),
        (5, "I"),
        (6, "II"),
        (10, "II"),
        (11, "III"),
        (20, "III"),
        (21, "IV"),
        (460, "IV"),
    ],
)
def test_it_grades_midas_at_each_boundary(total, grade):
    result = score("MIDAS", answers_totalling(total, 5, 92))
    assert result == Score(total=total, band=grade, alert=False)


def test_it_sums_all_five_midas_items():
    assert score("MIDAS", [1, 2, 3, 4, 5]).total == 15


def test_it_refuses_midas_questions_a_and_b_as_extra_answers():
    with pytest.raises(InvalidAnswers):
        score("MIDAS", [1, 2, 3, 4, 5, 30, 7])


# HIT-6 (clinical-rules.md section 3)


@pytest.mark.parametrize(
    ("weights", "band"),
    [
        ([6, 6, 6, 6, 6, 6], "little_or_no_impact"),
        ([6, 6, 8, 8, 10, 11], "little_or_no_impact"),
        ([6, 6, 8, 10, 10, 10], "some_impact"),
        ([8, 8, 8, 10, 10, 11], "some_impact"),
        ([8, 8, 10, 10, 10, 10], "substantial_impact"),
        ([8, 10, 10, 10, 10, 11], "substantial_impact"),
        ([10, 10, 10, 10, 10, 10], "severe_impact"),
        ([13, 13, 13, 13, 13, 13], "severe_impact"),
    ],
    ids=["36", "49", "50", "55", "56", "59", "60", "78"],
)
def test_it_bands_hit6_at_each_boundary(weights, band):
    result = score("HIT-6", weights)
    assert result == Score(total=sum(weights), band=band, alert=False)


@pytest.mark.parametrize(
    ("label", "weight"),
    [("never", 6), ("rarely", 8), ("sometimes", 10), ("very often", 11), ("always", 13)],
)
def test_it_weights_each_hit6_label(label, weight):
    assert score("HIT-6", [label] * 6).total == 6 * weight


def test_it_scores_hit6_labels_and_weights_mixed_alike():
    labels = ["never", "never", "rarely", "sometimes", "sometimes", "very often"]
    mixed = ["never", 6, "rarely", 10, "sometimes", 11]
    assert score("HIT-6", labels) == score("HIT-6", mixed) == score("HIT-6", [6, 6, 8, 10, 10, 11])


@pytest.mark.parametrize(
    "answer",
    ["Never", "NEVER", " never", "never ", "very  often", "veryoften", "often", "", "6", 6.0, True],
)
def test_it_rejects_an_unknown_hit6_label(answer):
    with pytest.raises(InvalidAnswers):
        score("HIT-6", ["never"] * 5 + [answer])


@pytest.mark.parametrize("weight", [0, 5, 7, 9, 12, 14, -6])
def test_it_rejects_a_number_that_is_not_a_hit6_weight(weight):
    with pytest.raises(InvalidAnswers):
        score("HIT-6", [6] * 5 + [weight])


# PSEQ (clinical-rules.md section 4)


@pytest.mark.parametrize(
    ("total", "band", "eppoc_band"),
    [
        (0, "low", "severe"),
        (19, "low", "severe"),
        (20, "moderate", "moderate"),
        (30, "moderate", "moderate"),
        (31, "moderate", "mild"),
        (39, "moderate", "mild"),
        (40, "high", "mild"),
        (41, "high", "minimal"),
        (60, "high", "minimal"),
    ],
)
def test_it_bands_pseq_by_the_20_40_rule_with_the_eppoc_band_beside_it(total, band, eppoc_band):
    result = score("PSEQ", answers_totalling(total, 10, 6))
    assert result == Score(total=total, band=band, alert=False, eppoc_band=eppoc_band)


@pytest.mark.parametrize(
    "code", ["ID_MIGRAINE", "MIDAS", "HIT-6", "PSFS", "MSK-HQ", "PHQ-9", "GAD-7"]
)
def test_it_reports_an_eppoc_band_only_for_pseq(code):
    instrument = INSTRUMENTS[code]
    answers = (
        [False] * 3 if code == "ID_MIGRAINE" else [instrument.min_answer] * instrument.max_items
    )
    assert score(code, answers).eppoc_band is None


# PSFS (clinical-rules.md section 5)


@pytest.mark.parametrize(
    ("ratings", "mean"),
    [
        ([7], 7.0),
        ([0], 0.0),
        ([10, 10, 10, 10, 10], 10.0),
        ([1, 2], 1.5),
        ([2, 2, 3], 7 / 3),
        ([0, 1, 3, 4, 9], 3.4),
    ],
)
def test_it_scores_psfs_as_the_unrounded_mean_without_a_band(ratings, mean):
    assert score("PSFS", ratings) == Score(total=mean, band=None, alert=False)


@pytest.mark.parametrize(
    ("baseline", "follow_up", "delta", "important"),
    [
        pytest.param([3], [5], 2.0, True, id="exactly 2"),
        pytest.param([2, 2, 3], [4, 4, 5], 2.0, True, id="exactly 2 where float means give 1.99.."),
        pytest.param([0, 0, 0, 0, 0], [2, 2, 2, 2, 2], 2.0, True, id="exactly 2 over 5 activities"),
        pytest.param([0, 0, 0, 0, 0], [2, 2, 2, 2, 1], 1.8, False, id="just below over 5"),
        pytest.param([2, 2, 3], [4, 4, 4], 5 / 3, False, id="just below over 3"),
        pytest.param([3], [4], 1.0, False, id="1 point"),
        pytest.param([1, 2], [4, 6], 3.5, True, id="above"),
        pytest.param([5], [3], -2.0, False, id="a fall of 2 is not an improvement"),
        pytest.param([4, 4], [4, 4], 0.0, False, id="no change"),
    ],
)
def test_it_judges_psfs_improvement_at_the_2_point_mcid_on_unrounded_means(
    baseline, follow_up, delta, important
):
    assert psfs_change(baseline, follow_up) == (pytest.approx(delta), important)


def test_it_returns_the_exact_psfs_delta_for_an_exact_2_point_change():
    assert psfs_change([2, 2, 3], [4, 4, 5]) == (2.0, True)


def test_it_refuses_psfs_follow_up_that_rates_a_different_number_of_activities():
    with pytest.raises(InvalidAnswers):
        psfs_change([2, 2, 3], [5, 5])


@pytest.mark.parametrize(
    ("baseline", "follow_up", "which"),
    [
        ([2, 11], [4, 4], "baseline"),
        ([], [4], "baseline"),
        ([2, 2], [4, 4.0], "follow-up"),
        ([2, 2], [4, True], "follow-up"),
        ([2, 2], None, "follow-up"),
    ],
)
def test_it_says_which_psfs_rating_set_is_invalid(baseline, follow_up, which):
    with pytest.raises(InvalidAnswers, match=which):
        psfs_change(baseline, follow_up)


# MSK-HQ (clinical-rules.md section 6)


@pytest.mark.parametrize("total", [0, 1, 27, 55, 56])
def test_it_scores_msk_hq_as_the_sum_without_a_band(total):
    result = score("MSK-HQ", answers_totalling(total, 14, 4))
    assert result == Score(total=total, band=None, alert=False)


# PHQ-9 (clinical-rules.md section 7)


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "none_minimal"),
        (4, "none_minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately_severe"),
        (19, "moderately_severe"),
        (20, "severe"),
        (24, "severe"),
    ],
)
def test_it_bands_phq9_at_each_boundary_without_alert_when_item_9_is_0(total, band):
    answers = answers_totalling(total, 8, 3) + [0]
    assert score("PHQ-9", answers) == Score(total=total, band=band, alert=False)


@pytest.mark.parametrize(
    ("answers", "total", "band"),
    [
        ([0, 0, 0, 0, 0, 0, 0, 0, 1], 1, "none_minimal"),
        ([0, 0, 0, 0, 0, 0, 0, 0, 2], 2, "none_minimal"),
        ([1, 1, 1, 1, 1, 1, 1, 1, 1], 9, "mild"),
        ([3, 3, 3, 3, 3, 3, 3, 3, 3], 27, "severe"),
    ],
)
def test_it_raises_the_phq9_alert_whenever_item_9_is_above_0(answers, total, band):
    assert score("PHQ-9", answers) == Score(total=total, band=band, alert=True)


def test_it_does_not_raise_the_phq9_alert_for_another_item():
    assert score("PHQ-9", [0, 0, 0, 0, 0, 0, 0, 3, 0]).alert is False


# GAD-7 (clinical-rules.md section 7)


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
)
def test_it_bands_gad7_at_each_boundary(total, band):
    assert score("GAD-7", answers_totalling(total, 7, 3)) == Score(
        total=total, band=band, alert=False
    )


# Validation common to every instrument (clinical-rules.md, general rules)

VALID = {
    "ID_MIGRAINE": [True, False, True],
    "MIDAS": [1, 2, 3, 4, 5],
    "HIT-6": [6, 8, 10, 11, 13, 6],
    "PSEQ": [3] * 10,
    "PSFS": [4, 5, 6],
    "MSK-HQ": [2] * 14,
    "PHQ-9": [1] * 9,
    "GAD-7": [1] * 7,
}


def test_it_has_a_valid_example_for_every_instrument():
    assert set(VALID) == set(INSTRUMENTS)
    for code, answers in VALID.items():
        assert isinstance(score(code, answers), Score)


@pytest.mark.parametrize(
    ("code", "answers"),
    [
        ("ID_MIGRAINE", [True, True]),
        ("ID_MIGRAINE", [True, True, True, True]),
        ("MIDAS", [0] * 4),
        ("MIDAS", [0] * 6),
        ("HIT-6", ["never"] * 5),
        ("HIT-6", ["never"] * 7),
        ("PSEQ", [0] * 9),
        ("PSEQ", [0] * 11),
        ("PSFS", []),
        ("PSFS", [5] * 6),
        ("MSK-HQ", [0] * 13),
        ("MSK-HQ", [0] * 15),
        ("PHQ-9", [0] * 8),
        ("PHQ-9", [0] * 10),
        ("GAD-7", [0] * 6),
        ("GAD-7", [0] * 8),
    ],
)
def test_it_rejects_the_wrong_number_of_answers(code, answers):
    with pytest.raises(InvalidAnswers, match="answers"):
        score(code, answers)


@pytest.mark.parametrize(
    ("code", "answer"),
    [
        ("MIDAS", -1),
        ("MIDAS", 93),
        ("PSEQ", -1),
        ("PSEQ", 7),
        ("PSFS", -1),
        ("PSFS", 11),
        ("MSK-HQ", -1),
        ("MSK-HQ", 5),
        ("PHQ-9", -1),
        ("PHQ-9", 4),
        ("GAD-7", -1),
        ("GAD-7", 4),
    ],
)
def test_it_rejects_an_answer_out_of_range_without_clamping(code, answer):
    answers = list(VALID[code])
    answers[-1] = answer
    with pytest.raises(InvalidAnswers, match=f"item {len(answers)}"):
        score(code, answers)


@pytest.mark.parametrize("code", ["MIDAS", "PSEQ", "PSFS", "MSK-HQ", "PHQ-9", "GAD-7"])
@pytest.mark.parametrize(
    "answer",
    [2.0, 2.5, "2", "sometimes", True, False, None, Decimal("2"), Fraction(2), [2]],
    ids=[
        "float",
        "non-whole float",
        "digit string",
        "label",
        "True",
        "False",
        "None",
        "Decimal",
        "Fraction",
        "list",
    ],
)
def test_it_rejects_an_answer_that_is_not_a_whole_number(code, answer):
    answers = list(VALID[code])
    answers[0] = answer
    with pytest.raises(InvalidAnswers, match="item 1 must be a whole number"):
        score(code, answers)


@pytest.mark.parametrize("code", list(INSTRUMENTS))
@pytest.mark.parametrize(
    "answers",
    [None, "0123", 5, {1: 1}, {1, 2}, iter([1, 2])],
    ids=["None", "string", "int", "dict", "set", "iterator"],
)
def test_it_rejects_answers_that_are_not_a_list(code, answers):
    with pytest.raises(InvalidAnswers, match="must be a list"):
        score(code, answers)


@pytest.mark.parametrize("code", list(INSTRUMENTS))
def test_it_accepts_a_tuple_of_answers(code):
    assert score(code, tuple(VALID[code])) == score(code, VALID[code])


@pytest.mark.parametrize("code", ["PHQ9", "phq-9", "HIT6", "MIDAS-A", "", " PHQ-9", None, 9])
def test_it_rejects_an_unknown_instrument_code(code):
    with pytest.raises(InvalidAnswers, match="unknown instrument"):
        score(code, [0] * 9)


def test_it_raises_a_value_error_for_invalid_answers():
    assert issubclass(InvalidAnswers, ValueError)


def test_it_does_not_change_the_answers_it_scores():
    answers = ["never", 8, "sometimes", 11, "always", 6]
    score("HIT-6", answers)
    assert answers == ["never", 8, "sometimes", 11, "always", 6]


def test_it_returns_an_immutable_score():
    result = score("PHQ-9", [0] * 9)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.alert = True


@pytest.mark.parametrize(
    "code", ["ID_MIGRAINE", "MIDAS", "HIT-6", "PSEQ", "PSFS", "MSK-HQ", "GAD-7"]
)
def test_it_raises_no_alert_for_instruments_without_one(code):
    instrument = INSTRUMENTS[code]
    answers = (
        [True] * 3 if code == "ID_MIGRAINE" else [instrument.max_answer] * instrument.max_items
    )
    assert score(code, answers).alert is False


# Instrument metadata


@pytest.mark.parametrize("code", list(INSTRUMENTS))
def test_it_reaches_each_instruments_stated_total_range(code):
    instrument = INSTRUMENTS[code]
    lowest = (
        [False] * 3 if code == "ID_MIGRAINE" else [instrument.min_answer] * instrument.max_items
    )
    highest = (
        [True] * 3 if code == "ID_MIGRAINE" else [instrument.max_answer] * instrument.max_items
    )
    assert score(code, lowest).total == instrument.min_total
    assert score(code, highest).total == instrument.max_total


@pytest.mark.parametrize(
    ("code", "items", "answer_range"),
    [
        ("ID_MIGRAINE", (3, 3), (0, 1)),
        ("MIDAS", (5, 5), (0, 92)),
        ("HIT-6", (6, 6), (6, 13)),
        ("PSEQ", (10, 10), (0, 6)),
        ("PSFS", (1, 5), (0, 10)),
        ("MSK-HQ", (14, 14), (0, 4)),
        ("PHQ-9", (9, 9), (0, 3)),
        ("GAD-7", (7, 7), (0, 3)),
    ],
)
def test_it_describes_each_instruments_items(code, items, answer_range):
    instrument = INSTRUMENTS[code]
    assert instrument.code == code
    assert instrument.name
    assert (instrument.min_items, instrument.max_items) == items
    assert (instrument.min_answer, instrument.max_answer) == answer_range


@pytest.mark.parametrize(
    ("code", "better", "important_change"),
    [
        ("ID_MIGRAINE", None, None),
        ("MIDAS", "lower", None),
        ("HIT-6", "lower", 6),
        ("PSEQ", "higher", 7),
        ("PSFS", "higher", 2),
        ("MSK-HQ", "higher", 5.5),
        ("PHQ-9", "lower", None),
        ("GAD-7", "lower", None),
    ],
)
def test_it_gives_each_instruments_direction_and_clinically_important_change(
    code, better, important_change
):
    instrument = INSTRUMENTS[code]
    assert instrument.better == better
    assert instrument.important_change == important_change
