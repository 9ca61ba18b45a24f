"""Property tests of the pure clinical rules: any input either gives a well-formed answer or a
ValueError with a message; nothing else escapes, and the answers keep their invariants."""

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from careplans import rules as careplan_rules
from diaries import rules as diary_rules
from pathway import instruments, nhs_number
from pathway.contact import display_uk_mobile, normalise_uk_mobile
from pathway.dashboard.rules import csv_safe, publish_count, publish_percentage
from referrals import rules as referral_rules

ANYTHING = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-1000, 1000),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.lists(st.integers(-5, 100), max_size=16),
)
FAST = settings(max_examples=200, deadline=None)


@FAST
@given(st.text(max_size=20))
def test_nhs_number_validation_never_raises_and_agrees_with_normalise(text):
    if nhs_number.is_valid(text):
        normalised = nhs_number.normalise(text)
        assert len(normalised) == 10 and normalised.isdigit()
        assert nhs_number.is_valid(normalised)


@FAST
@given(
    st.sampled_from(list(instruments.INSTRUMENTS) + ["NOPE"]),
    st.lists(st.one_of(st.integers(-3, 100), st.booleans(), st.text(max_size=10)), max_size=16),
)
def test_scoring_returns_a_score_in_range_or_raises_invalid_answers(code, answers):
    try:
        score = instruments.score(code, answers)
    except instruments.InvalidAnswers as exc:
        assert str(exc)
        return
    meta = instruments.INSTRUMENTS[code]
    assert meta.min_total <= score.total <= meta.max_total
    assert score.alert is (code == "PHQ-9" and answers[8] > 0)


@FAST
@given(st.lists(st.integers(0, 3), min_size=9, max_size=9))
def test_phq9_item_nine_above_zero_always_alerts(answers):
    assert instruments.score("PHQ-9", answers).alert == (answers[8] > 0)


DAY = st.builds(
    lambda offset, headache, migraine, classes: (offset, headache, headache and migraine, classes),
    st.integers(-5, 95),
    st.booleans(),
    st.booleans(),
    st.frozensets(st.sampled_from(list(diary_rules.MEDICATION_CLASSES) + ["aspirin?"]), max_size=3),
)


@FAST
@given(st.lists(DAY, max_size=100), st.integers(1, 120))
def test_diary_summaries_are_well_formed_or_refused(raw_days, length):
    start = date(2026, 1, 1)
    days = [diary_rules.DiaryDay(start + timedelta(days=o), h, m, c) for o, h, m, c in raw_days]
    try:
        summary = diary_rules.summarise(days, start=start, length=length)
    except ValueError as exc:
        assert str(exc)
        return
    assert 0 <= summary.migraine_days_total <= summary.headache_days_total <= length
    assert summary.headache_frequency in ("chronic", "episodic")
    assert not summary.moh_ichd3 or summary.medication_overuse
    assert not summary.chronic_migraine or summary.headache_frequency == "chronic"


@FAST
@given(
    st.integers(-5, 130),
    st.lists(st.sampled_from(list(referral_rules.RED_FLAGS) + ["x"]), max_size=5),
)
def test_triage_gives_a_tier_or_refuses_unknown_input(age, flags):
    try:
        tier = referral_rules.triage_urgency(age, flags)
    except ValueError as exc:
        assert str(exc)
        return
    assert tier in ("emergency", "urgent", "routine")
    if set(flags) & set(referral_rules.EMERGENCY_FLAGS):
        assert tier == "emergency"


@FAST
@given(st.text(max_size=20))
def test_mobile_numbers_normalise_to_e164_or_are_refused(text):
    try:
        number = normalise_uk_mobile(text)
    except ValueError:
        return
    assert number.startswith("+447") and len(number) == 13
    shown = display_uk_mobile(number)
    assert shown.startswith("07") and len(shown) == 12
    assert normalise_uk_mobile(shown) == number


@FAST
@given(st.integers(0, 10_000), st.integers(0, 10_000))
def test_published_figures_never_reveal_a_count_of_one_to_seven(numerator, extra):
    denominator = numerator + extra  # a part of a whole
    shown = publish_count(numerator)
    assert shown == "*" if 1 <= numerator <= 7 else shown.isdigit()
    percentage = publish_percentage(numerator, denominator)
    if 1 <= numerator <= 7 or 1 <= denominator <= 7:
        assert percentage == "*"


@FAST
@given(ANYTHING)
def test_csv_cells_never_start_with_a_formula_character(value):
    cell = csv_safe(value)
    if cell[:1] in ("=", "+", "@", "\t", "\r"):
        raise AssertionError(cell)
    if cell.startswith("-"):
        float(cell)


FIGURE = st.one_of(
    st.none(),
    st.integers(-2, 40),
    st.decimals(min_value=-1, max_value=35, places=2, allow_nan=False, allow_infinity=False),
    st.floats(allow_nan=True),
    st.text(max_size=4),
)


@FAST
@given(FIGURE, FIGURE, st.lists(FIGURE, max_size=4), st.integers(0, 400))
def test_the_botox_stopping_rule_answers_consistently_or_raises_value_error(
    baseline, after, months, days
):
    try:
        rule = careplan_rules.botox_stopping_rule(
            baseline_headache_days=baseline,
            days_on_treatment=days,
            cycle2_headache_days=after,
            recent_months_headache_days=months,
        )
    except ValueError as exc:
        assert str(exc)
        return
    if rule.decision == careplan_rules.STOP:
        assert rule.reason in (careplan_rules.RESPONSE_NOT_MET, careplan_rules.NOW_EPISODIC)
    else:
        assert rule.reason == ""
    if rule.decision == careplan_rules.CONTINUE:
        assert rule.reduction >= careplan_rules.BOTOX_REQUIRED_REDUCTION
    if rule.reason == careplan_rules.RESPONSE_NOT_MET:
        assert rule.reduction < careplan_rules.BOTOX_REQUIRED_REDUCTION
    if rule.recent_months:
        assert len(months) == len(rule.recent_months) == careplan_rules.EPISODIC_MONTHS
    if baseline is None:
        assert rule.reduction is None
    if rule.reason == careplan_rules.NOW_EPISODIC:
        assert days >= careplan_rules.EPISODIC_CHECK_DAYS
        assert all(month < 15 for month in rule.recent_months)
    if days < careplan_rules.BOTOX_ASSESSMENT_DAYS:
        assert rule.reduction is None
    prompt = careplan_rules.botox_stopping_prompt(rule, "Botox")
    assert (prompt is None) == (rule.decision == careplan_rules.NOT_YET_DUE)
