"""Care-plan rules: every threshold tested at, just below and just above its boundary, without a
database (clinical-rules.md sections 5, 8, 10 and 12)."""

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

from careplans import rules
from careplans.rules import TrialFacts
from diaries import rules as diary_rules
from pathway.instruments import InvalidAnswers


def failed(
    medicine, outcome=rules.INEFFECTIVE, *, role=rules.PREVENTIVE, adequate=True, days_tried=120
):
    """A trial judged after `days_tried` days (by default, well past 12 weeks)."""
    return TrialFacts(
        medicine, rules.medicine_class_of(medicine), role, outcome, adequate, days_tried
    )


# --- vocabulary and acute limits -----------------------------------------------------------------


def test_the_overuse_thresholds_match_the_diary_rules():
    assert rules.OVERUSE_DAYS_PER_MONTH == diary_rules.OVERUSE_DAYS_PER_MONTH
    for medication_class in rules.ACUTE_CLASSES:
        assert rules.acute_limit(
            medication_class
        ).overuse_days_per_month == diary_rules.overuse_limit_days(medication_class)


@pytest.mark.parametrize(
    ("medication_class", "per_month", "per_week"),
    [
        (rules.TRIPTAN, 9, 2),
        (rules.ERGOT, 9, 2),
        (rules.OPIOID, 9, 2),
        (rules.COMBINATION_ANALGESIC, 9, 2),
        (rules.SIMPLE_ANALGESIC, 14, 3),
    ],
)
def test_the_weekly_limit_stays_below_the_overuse_threshold(medication_class, per_month, per_week):
    limit = rules.acute_limit(medication_class)
    assert (limit.max_days_per_month, limit.max_days_per_week) == (per_month, per_week)
    # Taking it on the weekly limit every week of a 30-day month stays under the threshold...
    assert Fraction(per_week * 30, 7) < limit.overuse_days_per_month
    # ...and one more day a week would reach it.
    assert Fraction((per_week + 1) * 30, 7) >= limit.overuse_days_per_month


def test_the_limit_sentence_is_plain_english():
    assert rules.acute_limit_sentence(rules.TRIPTAN).startswith(
        "Use them on no more than 2 days a week (fewer than 10 days a month)."
    )


def test_a_chronic_pain_plan_gives_no_headache_overuse_limit():
    # Medication-overuse headache's thresholds are for headache: a pain plan's painkillers
    # are taken as the plan's own entry says.
    assert rules.acute_limit_sentence(rules.SIMPLE_ANALGESIC, condition=rules.CHRONIC_PAIN) == ""
    assert "overuse headache" in rules.acute_limit_sentence(
        rules.SIMPLE_ANALGESIC, condition=rules.HEADACHE
    )


@pytest.mark.parametrize(
    ("classes", "per_week", "threshold"),
    [
        # Two classes: ICHD-3 8.2.6, 10 days a month in total.
        ([rules.SIMPLE_ANALGESIC, rules.TRIPTAN], 2, 10),
        ([rules.SIMPLE_ANALGESIC, rules.COMBINATION_ANALGESIC, rules.OPIOID], 2, 10),
        # Paracetamol and ibuprofen: one class, whose 15 days a month they share (8.2.3).
        ([rules.SIMPLE_ANALGESIC, rules.SIMPLE_ANALGESIC], 3, 15),
    ],
)
def test_medicines_for_attacks_together_stay_below_the_overuse_threshold(
    classes, per_week, threshold
):
    sentence = rules.acute_together_sentence(classes)
    assert f"no more than {per_week} days a week in all (fewer than {threshold} days" in sentence
    assert Fraction(per_week * 30, 7) < threshold <= Fraction((per_week + 1) * 30, 7)


def test_one_medicine_for_attacks_or_a_pain_plan_needs_no_limit_together():
    assert rules.acute_together_sentence([rules.TRIPTAN]) == ""
    assert (
        rules.acute_together_sentence(
            [rules.SIMPLE_ANALGESIC, rules.OPIOID], condition=rules.CHRONIC_PAIN
        )
        == ""
    )


def test_an_unknown_acute_class_is_an_error():
    with pytest.raises(ValueError, match="Unknown acute medication class"):
        rules.acute_limit("propranolol")


def test_the_medicines_vocabulary_matches_the_model_choices():
    from careplans.models import MedicineClass, MedicineCode

    assert set(MedicineCode.values) == set(rules.MEDICINES)
    assert set(MedicineClass.values) == set(rules.MEDICINE_CLASSES)
    assert {m.medicine_class for m in rules.MEDICINES.values()} <= set(rules.MEDICINE_CLASSES)


def test_the_review_is_due_twelve_weeks_after_the_start():
    assert rules.default_review_due(date(2026, 1, 1)) == date(2026, 3, 26)


def test_other_medicines_are_told_apart_by_name_not_case_or_spacing():
    assert rules.medicine_key("other", " Pizotifen ") == rules.medicine_key("other", "pizotifen")
    assert rules.medicine_key("other", "pizotifen") != rules.medicine_key("other", "flunarizine")


# --- failed preventives --------------------------------------------------------------------------


def test_failed_preventives_count_distinct_medicines():
    trials = [
        failed("propranolol"),
        failed("propranolol", rules.NOT_TOLERATED),  # the same medicine tried twice
        failed("amitriptyline", rules.NOT_TOLERATED),
    ]
    assert rules.failed_preventive_count(trials) == 2


def test_only_adequate_ineffective_trials_and_intolerance_count_as_failed():
    trials = [
        failed("propranolol", adequate=False),  # too short or too low a dose
        failed("amitriptyline", rules.NOT_TOLERATED, adequate=False),  # intolerance always counts
        failed("topiramate", rules.ONGOING),
        failed("candesartan", rules.EFFECTIVE),
        failed("metoprolol", rules.STOPPED),
        failed("duloxetine", role=rules.PAIN),  # not a headache preventive
    ]
    assert rules.failed_preventive_count(trials) == 1


# --- CGRP antibody eligibility (exactly 3 failed, exactly 4.0 migraine days) ---------------------


@pytest.mark.parametrize(
    ("failed_count", "migraine_days", "fires"),
    [
        (3, 4, True),
        (3, Decimal("4.00"), True),
        (3, 4.0, True),
        (3, 12 / 3, True),  # 12 migraine days in 90: exactly 4.0 a month
        (3, Decimal("3.99"), False),
        (3, 11 / 3, False),  # 11 in 90: 3.67 a month
        (2, 10, False),
        (4, 4, True),
    ],
)
def test_the_cgrp_prompt_fires_at_three_failed_and_four_migraine_days(
    failed_count, migraine_days, fires
):
    prompt = rules.cgrp_prompt(
        failed_preventives=failed_count, migraine_days_per_month=migraine_days
    )
    assert (prompt is not None and prompt.code == "cgrp_consider") is fires


def test_the_cgrp_prompt_asks_for_migraine_days_when_they_are_unknown():
    prompt = rules.cgrp_prompt(failed_preventives=3, migraine_days_per_month=None)
    assert prompt.code == "cgrp_needs_migraine_days"
    assert rules.cgrp_prompt(failed_preventives=2, migraine_days_per_month=None) is None


def test_the_cgrp_prompt_is_quiet_while_a_cgrp_antibody_is_being_tried():
    assert (
        rules.cgrp_prompt(failed_preventives=3, migraine_days_per_month=8, on_cgrp_antibody=True)
        is None
    )


@pytest.mark.parametrize("days", [-1, 31.01, float("nan"), float("inf"), "many", True])
def test_impossible_migraine_day_figures_are_errors(days):
    with pytest.raises(ValueError):
        rules.cgrp_prompt(failed_preventives=3, migraine_days_per_month=days)


# --- botulinum toxin A (chronic migraine, 3 failed) ---------------------------------------------


@pytest.mark.parametrize(
    ("failed_count", "headache", "migraine", "fires"),
    [
        (3, 15, 8, True),
        (3, 45 / 3, 24 / 3, True),
        (3, Decimal("14.99"), 8, False),
        (3, 44 / 3, 10, False),  # 44 headache days in 90: 14.67 a month, episodic
        (3, 15, Decimal("7.99"), False),
        (2, 20, 12, False),
        (5, 28, 20, True),
    ],
)
def test_the_botox_prompt_needs_chronic_migraine_and_three_failed(
    failed_count, headache, migraine, fires
):
    prompt = rules.botox_prompt(
        failed_preventives=failed_count,
        headache_days_per_month=headache,
        migraine_days_per_month=migraine,
    )
    assert (prompt is not None) is fires
    if fires:
        assert prompt.code == "botox_eligibility"
        assert "medication overuse" in prompt.body


def test_the_botox_prompt_needs_both_figures_and_is_quiet_on_botox():
    assert rules.botox_prompt(failed_preventives=3, headache_days_per_month=20) is None
    assert (
        rules.botox_prompt(
            failed_preventives=3,
            headache_days_per_month=20,
            migraine_days_per_month=10,
            on_botulinum_toxin=True,
        )
        is None
    )


# --- Starting a CGRP antibody or botulinum toxin A outside NICE's recommendation ------------------


def start(medicine_class, failed, headache=None, migraine=None, role="preventive", **extra):
    return rules.specialist_start_warning(
        medicine_class=medicine_class,
        role=role,
        failed_preventives=failed,
        baseline_headache_days=headache,
        baseline_migraine_days=migraine,
        **extra,
    )


@pytest.mark.parametrize(
    ("failed", "headache", "migraine", "title", "says"),
    [
        (
            0,
            20,
            None,
            "only after 3 preventive treatments have failed",
            ["Here no preventive treatment on record has failed, and NICE asks for at least 3."],
        ),
        (1, 20, 10, "only after 3", ["1 preventive treatment on record has failed"]),
        (2, None, None, "only after 3", ["2 preventive treatments on record have failed"]),
        (
            3,
            20,
            Decimal("3.9"),
            "only with migraine on at least 4 days a month",
            ["migraine is on 3.9 days a month before starting, and NICE asks for at least 4"],
        ),
        (3, 20, 1, "only with migraine", ["migraine is on 1 day a month"]),
        # A diary's thirds, to 2 places.
        (3, 20, 10 / 3, "only with migraine", ["migraine is on 3.33 days a month"]),
        # Migraine days cannot exceed headache days: 2 headache days rule it out alone.
        (3, 2, None, "only with migraine", ["headache, and so migraine, is on 2 days a month"]),
        (
            2,
            20,
            3,
            "only after 3",
            ["2 preventive treatments on record have failed", "migraine is on 3 days a month"],
        ),
        (3, 20, 4, None, []),  # at least 4 migraine days, inclusive
        (3, None, None, None, []),  # a baseline not given is not held against it
        (5, 20, 12, None, []),
    ],
)
def test_a_cgrp_antibody_is_warned_of_outside_its_appraisals(
    failed, headache, migraine, title, says
):
    prompt = start(rules.CGRP_ANTIBODY, failed, headache=headache, migraine=migraine)
    if title is None:
        assert prompt is None
        return
    assert prompt.code == "ta_cgrp_outside"
    assert prompt.level == rules.WARNING
    assert prompt.source == "NICE TA659, TA682, TA764"
    assert title in prompt.title
    for words in says:
        assert words in prompt.body
    missing = "Record any failed preventive that is missing from the plan first."
    assert (missing in prompt.body) is (failed < 3)


@pytest.mark.parametrize(
    ("failed", "headache", "migraine", "title", "says"),
    [
        (2, 20, 10, "only after 3 preventive medicines", ["2 preventive treatments on record"]),
        (3, 14, 10, "only for chronic migraine", ["headache is on 14 days a month before"]),
        (
            3,
            15,
            Decimal("7.5"),
            "only for chronic migraine",
            ["migraine is on 7.5 days a month before starting, which is not chronic migraine"],
        ),
        (3, 12, None, "only for chronic migraine", ["headache is on 12 days a month"]),
        # Fewer than 8 migraine days rule it out whatever the headache days.
        (3, None, 2, "only for chronic migraine", ["migraine is on 2 days a month"]),
        (3, 15, 8, None, []),
        (3, 15, None, None, []),
        (3, None, None, None, []),
        (4, 28, 20, None, []),
    ],
)
def test_botulinum_toxin_is_warned_of_outside_ta260(failed, headache, migraine, title, says):
    prompt = start(rules.BOTULINUM_TOXIN, failed, headache=headache, migraine=migraine)
    if title is None:
        assert prompt is None
        return
    assert prompt.code == "ta260_outside"
    assert prompt.source == "NICE TA260"
    assert title in prompt.title
    assert "once any medication overuse is managed" in prompt.body
    for words in says:
        assert words in prompt.body


def test_a_second_cgrp_antibody_or_botulinum_toxin_after_one_failed_is_warned_of():
    prompt = start(rules.CGRP_ANTIBODY, 3, failed_before=("Erenumab",))
    assert prompt.title == (
        "NICE's appraisals do not cover another CGRP antibody after one has failed"
    )
    assert "Here Erenumab failed already: consider a specialist headache service instead." in (
        prompt.body
    )
    prompt = start(rules.BOTULINUM_TOXIN, 4, 20, 10, failed_before=("Botulinum toxin type A",))
    assert prompt.title == "Botulinum toxin A has not worked before"
    assert "Here Botulinum toxin type A failed already." in prompt.body


def test_a_patient_under_18_is_outside_every_appraisal():
    prompt = start(rules.CGRP_ANTIBODY, 4, 20, 10, age=17)
    assert prompt.title == "NICE recommends a CGRP antibody for adults only"
    assert "the patient is 17, and the appraisals are for adults" in prompt.body
    assert start(rules.CGRP_ANTIBODY, 4, 20, 10, age=18) is None
    assert start(rules.BOTULINUM_TOXIN, 4, 20, 10, age=16).code == "ta260_outside"


def test_only_a_preventive_cgrp_antibody_or_botulinum_toxin_is_warned_of():
    assert start(rules.BOTULINUM_TOXIN, 0, role="pain") is None
    assert start(rules.CGRP_ANTIBODY, 0, role="acute") is None
    assert start("beta_blocker", 0) is None


def test_a_warnings_key_changes_with_what_it_says():
    two, one = start(rules.CGRP_ANTIBODY, 2), start(rules.CGRP_ANTIBODY, 1)
    assert two.key == start(rules.CGRP_ANTIBODY, 2).key
    assert two.key != one.key


# --- CGRP stopping rule at 12 weeks --------------------------------------------------------------


def stop_rule(baseline_headache, baseline_migraine, month3, days=84):
    return rules.cgrp_stopping_rule(
        baseline_headache_days=baseline_headache,
        baseline_migraine_days=baseline_migraine,
        month3_migraine_days=month3,
        days_on_treatment=days,
    )


@pytest.mark.parametrize(
    ("baseline_migraine", "month3", "decision"),
    [
        (10, 5, rules.CONTINUE),  # exactly 50%
        (Decimal("8.10"), Decimal("4.05"), rules.CONTINUE),  # exactly 50% with decimals
        (8.1, 4.05, rules.CONTINUE),  # floats are read through their decimal text
        (10, Decimal("5.01"), rules.STOP),  # 49.9%
        (10, 2, rules.CONTINUE),
        (10, 10, rules.STOP),
        (10, 12, rules.STOP),  # worse
    ],
)
def test_episodic_migraine_needs_a_50_percent_reduction(baseline_migraine, month3, decision):
    rule = stop_rule(12, baseline_migraine, month3)
    assert rule.frequency == "episodic"
    assert rule.decision == decision


@pytest.mark.parametrize(
    ("month3", "decision"),
    [
        (7, rules.CONTINUE),  # exactly 30% of 10
        (Decimal("7.01"), rules.STOP),  # 29.9%
        (Decimal("6.99"), rules.CONTINUE),
    ],
)
def test_chronic_migraine_needs_a_30_percent_reduction(month3, decision):
    rule = stop_rule(15, 10, month3)
    assert rule.frequency == "chronic"
    assert rule.decision == decision


def test_chronic_or_episodic_is_decided_from_baseline_headache_days():
    # 40% fewer migraine days: enough for chronic (>=15 headache days), not for episodic.
    assert stop_rule(15, 10, 6).decision == rules.CONTINUE
    assert stop_rule(Decimal("14.99"), 10, 6).decision == rules.STOP
    assert stop_rule(44 / 3, 10, 6).decision == rules.STOP


@pytest.mark.parametrize(
    ("headache", "baseline", "month3", "decision", "percent"),
    [
        # 40 -> 20 migraine days in 90, shown 13.33 and 6.67: exactly 50%.
        (Decimal("13.33"), Decimal("13.33"), Decimal("6.67"), rules.CONTINUE, "50.0%"),
        # 50 -> 35 of 90 with chronic headache: 16.67 -> 11.67 is exactly 30%.
        (20, Decimal("16.67"), Decimal("11.67"), rules.CONTINUE, "30.0%"),
        # 41 -> 21 of 90: 13.67 -> 7.00 is 48.8%, still short.
        (Decimal("13.67"), Decimal("13.67"), 7, rules.STOP, "48.8%"),
        # Figures that are not a rounded third are taken as typed.
        (14, Decimal("13.34"), Decimal("6.68"), rules.STOP, "49.9%"),
    ],
)
def test_the_stopping_rule_reads_diary_rates_as_the_thirds_they_were_rounded_from(
    headache, baseline, month3, decision, percent
):
    rule = stop_rule(headache, baseline, month3)
    assert rule.decision == decision
    assert percent in rules.stopping_rule_prompt(rule, "Erenumab").body


def test_a_rounded_third_is_never_read_across_a_whole_number():
    assert rules.unrounded(Fraction(1333, 100)) == Fraction(40, 3)
    assert rules.unrounded(Fraction(1467, 100)) == Fraction(44, 3)
    assert rules.unrounded(Fraction(14996, 1000)) == Fraction(14996, 1000)
    assert rules.unrounded(Fraction(15)) == 15
    assert rules.unrounded(Fraction(1334, 100)) == Fraction(1334, 100)


def test_the_stopping_rule_is_not_due_before_twelve_weeks():
    rule = stop_rule(12, 10, None, days=83)
    assert rule.decision == rules.NOT_YET_DUE
    assert rule.reduction is None
    assert rules.stopping_rule_prompt(rule, "Erenumab") is None
    assert stop_rule(12, 10, 5, days=84).decision == rules.CONTINUE


def test_the_stopping_rule_reports_the_reduction():
    rule = stop_rule(12, 10, Decimal("5.01"))
    assert rule.reduction == Fraction(499, 1000)
    assert rule.reduction_percent == pytest.approx(49.9)
    prompt = rules.stopping_rule_prompt(rule, "Erenumab")
    assert prompt.code == "cgrp_stop"
    assert "49.9%" in prompt.body and "50%" in prompt.body
    assert rules.stopping_rule_prompt(stop_rule(15, 10, 7), "Erenumab").code == "cgrp_continue"


@pytest.mark.parametrize(
    ("headache", "migraine", "month3", "message"),
    [
        (12, 0, 0, "above 0"),
        (5, 10, 2, "cannot be more than"),
        (12, 10, 32, "between 0 and 31"),
        (-1, 10, 2, "between 0 and 31"),
    ],
)
def test_the_stopping_rule_refuses_impossible_figures(headache, migraine, month3, message):
    with pytest.raises(ValueError, match=message):
        stop_rule(headache, migraine, month3)


@pytest.mark.parametrize(("headache", "percent"), [(12, "50%"), (15, "30%")])
def test_the_stopping_rule_asks_for_the_figure_at_twelve_weeks_instead_of_skipping_it(
    headache, percent
):
    assert stop_rule(headache, 10, None, days=83).decision == rules.NOT_YET_DUE
    rule = stop_rule(headache, 10, None, days=84)
    assert (rule.decision, rule.reduction) == (rules.FIGURE_NEEDED, None)
    prompt = rules.stopping_rule_prompt(rule, "Erenumab")
    assert prompt.code == "cgrp_needs_figure" and prompt.level == rules.ACTION
    assert prompt.title == "Erenumab: record migraine days at 12 weeks"
    assert f"at least {percent} from before starting" in prompt.body
    assert stop_rule(headache, 10, None, days=400).decision == rules.FIGURE_NEEDED


@pytest.mark.parametrize(
    ("headache", "migraine", "month3", "days"),
    [
        (None, 10, 5, 84),  # episodic or chronic cannot be told
        (12, None, 5, 84),  # no fall can be measured
        (None, None, None, 200),
        (None, None, None, 10),  # asked for from the start, as botulinum toxin A's baseline
    ],
)
def test_the_stopping_rule_asks_for_the_figures_before_starting(headache, migraine, month3, days):
    rule = stop_rule(headache, migraine, month3, days=days)
    assert (rule.decision, rule.reduction) == (rules.BASELINE_NEEDED, None)
    prompt = rules.stopping_rule_prompt(rule, "Erenumab")
    assert prompt.code == "cgrp_needs_baseline" and prompt.level == rules.INFO
    assert prompt.title == "Erenumab: record headache and migraine days before starting"


def test_the_stopping_rule_without_a_baseline_still_refuses_impossible_figures():
    assert stop_rule(12, None, None).frequency == "episodic"
    assert stop_rule(None, 10, None).required_percent is None
    with pytest.raises(ValueError, match="between 0 and 31"):
        stop_rule(None, 32, None)
    with pytest.raises(ValueError, match="above 0"):
        stop_rule(None, 0, None)


def cgrp_problems(outcome="effective", days=84, headache=12, migraine=10, month3=None):
    return rules.cgrp_figures_problems(
        outcome=outcome,
        days_on_treatment=days,
        baseline_headache_days=headache,
        baseline_migraine_days=migraine,
        month3_migraine_days=month3,
        name="Erenumab",
    )


@pytest.mark.parametrize("outcome", [rules.ONGOING, rules.EFFECTIVE])
def test_a_cgrp_antibody_carries_on_after_twelve_weeks_only_with_the_month3_figure(outcome):
    assert cgrp_problems(outcome, days=83) == {}
    problems = cgrp_problems(outcome, days=84)
    assert list(problems) == ["month3_migraine_days"]
    assert problems["month3_migraine_days"].startswith(
        "Enter the migraine days a month at 12 weeks."
    )
    assert "Erenumab cannot be recorded as ongoing or effective" in problems["month3_migraine_days"]
    assert cgrp_problems(outcome, days=84, month3=5) == {}
    assert cgrp_problems(outcome, days=84, month3=0) == {}  # no migraine at all: a figure


@pytest.mark.parametrize("outcome", [rules.INEFFECTIVE, rules.NOT_TOLERATED, rules.STOPPED, ""])
def test_a_cgrp_antibody_that_has_ended_needs_no_figures(outcome):
    assert cgrp_problems(outcome, days=200, headache=None, migraine=None) == {}


def test_a_cgrp_antibody_carrying_on_needs_the_figures_before_starting_too():
    problems = cgrp_problems(days=84, headache=None, migraine=None, month3=None)
    assert list(problems) == [
        "baseline_headache_days",
        "baseline_migraine_days",
        "month3_migraine_days",
    ]
    assert "50% (episodic migraine) or 30% (chronic)" in problems["baseline_headache_days"]
    zero = cgrp_problems(days=84, migraine=0, month3=0)
    assert list(zero) == ["baseline_migraine_days"]
    assert "must be above 0" in zero["baseline_migraine_days"]


def test_the_twelve_week_rule_is_for_a_cgrp_antibody_preventing_headaches():
    assert rules.is_cgrp_for_migraine(medicine_class=rules.CGRP_ANTIBODY, role=rules.PREVENTIVE)
    assert not rules.is_cgrp_for_migraine(medicine_class=rules.CGRP_ANTIBODY, role=rules.PAIN)
    assert not rules.is_cgrp_for_migraine(
        medicine_class=rules.BOTULINUM_TOXIN, role=rules.PREVENTIVE
    )


# --- botulinum toxin A's stopping rules (NICE TA260) ---------------------------------------------


def botox_rule(baseline=20, after=None, months=(), days=168):
    return rules.botox_stopping_rule(
        baseline_headache_days=baseline,
        days_on_treatment=days,
        cycle2_headache_days=after,
        recent_months_headache_days=months,
    )


@pytest.mark.parametrize(
    ("baseline", "after", "decision"),
    [
        (20, 14, rules.CONTINUE),  # exactly 30%: continues
        (20, Decimal("14.01"), rules.STOP),  # 29.95%
        (20, Decimal("13.99"), rules.CONTINUE),
        (20, 20, rules.STOP),
        (20, 25, rules.STOP),  # worse
        # 50 -> 35 headache days in 90, shown 16.67 and 11.67: exactly 30%.
        (Decimal("16.67"), Decimal("11.67"), rules.CONTINUE),
    ],
)
def test_botox_stops_after_two_cycles_without_a_30_percent_fall_in_headache_days(
    baseline, after, decision
):
    rule = botox_rule(baseline, after)
    assert rule.decision == decision
    assert rule.reason == (rules.RESPONSE_NOT_MET if decision == rules.STOP else "")
    prompt = rules.botox_stopping_prompt(rule, "Botulinum toxin type A")
    assert prompt.code == {rules.CONTINUE: "botox_continue", rules.STOP: "botox_stop"}[decision]
    assert prompt.source == "NICE TA260"


def test_the_botox_response_is_judged_only_after_two_cycles_of_twelve_weeks():
    assert rules.BOTOX_ASSESSMENT_DAYS == 2 * 84
    early = botox_rule(after=20, days=167)
    assert early.decision == rules.NOT_YET_DUE and early.reduction is None
    assert rules.botox_stopping_prompt(early, "Botox") is None
    due = botox_rule(days=168)
    assert due.decision == rules.FIGURE_NEEDED
    assert rules.botox_stopping_prompt(due, "Botox").code == "botox_needs_figure"
    assert botox_rule(after=20, days=168).decision == rules.STOP


@pytest.mark.parametrize(
    ("months", "decision"),
    [
        ((14, 10, Decimal("14.99")), rules.STOP),  # every month under 15
        ((14, 15, 10), rules.NOT_YET_DUE),  # 15 is still chronic
        ((16, 10, 9), rules.NOT_YET_DUE),  # one chronic month breaks the run
        ((), rules.NOT_YET_DUE),
    ],
)
def test_botox_stops_once_headache_days_are_under_15_for_3_consecutive_months(months, decision):
    rule = botox_rule(months=months, days=120)
    assert rule.decision == decision
    if decision == rules.STOP:
        assert rule.reason == rules.NOW_EPISODIC
        prompt = rules.botox_stopping_prompt(rule, "Botox")
        assert prompt.code == "botox_stop_episodic"
        assert "(14, 10, 14.99)" in prompt.body


@pytest.mark.parametrize(
    ("after", "words"),
    [(25, "Headache days rose by 25.0%"), (20, "Headache days did not fall")],
)
def test_headache_days_that_rose_or_stayed_are_not_said_to_have_fallen(after, words):
    body = rules.botox_stopping_prompt(botox_rule(20, after), "Botox").body
    assert body.startswith(f"{words} after 2 treatment cycles") and "-" not in body
    cgrp = rules.stopping_rule_prompt(stop_rule(12, 10, 12), "Erenumab").body
    assert cgrp.startswith("Migraine days rose by 20.0%;")


def test_a_zero_baseline_is_refused_only_for_botox_to_prevent_headaches():
    problem = rules.botox_baseline_problem
    botox, preventive = rules.BOTULINUM_TOXIN, rules.PREVENTIVE
    assert "above 0" in problem(medicine_class=botox, role=preventive, baseline_headache_days=0)
    assert problem(medicine_class=botox, role=preventive, baseline_headache_days=1) == ""
    assert problem(medicine_class=botox, role=rules.PAIN, baseline_headache_days=0) == ""
    assert (
        problem(medicine_class=rules.CGRP_ANTIBODY, role=preventive, baseline_headache_days=0) == ""
    )


def test_a_rise_from_a_tiny_baseline_is_said_without_overflowing():
    rule = botox_rule(2.2250738585e-313, 1)
    assert rules.botox_stopping_prompt(rule, "Botox").body.startswith("Headache days rose by ")


def test_the_episodic_months_count_only_once_all_three_are_on_treatment():
    assert botox_rule(months=(5, 5, 5), days=89).decision == rules.NOT_YET_DUE
    assert botox_rule(months=(5, 5, 5), days=90).decision == rules.STOP


def test_without_a_baseline_only_the_three_month_rule_can_be_judged():
    rule = botox_rule(None, 10, days=200)
    assert (rule.decision, rule.reduction) == (rules.BASELINE_NEEDED, None)
    prompt = rules.botox_stopping_prompt(rule, "Botox")
    assert prompt.code == "botox_needs_baseline" and prompt.level == rules.INFO
    assert botox_rule(None, months=(9, 9, 9), days=200).reason == rules.NOW_EPISODIC
    assert botox_rule(None, months=(None, None, None), days=200).decision == rules.BASELINE_NEEDED


@pytest.mark.parametrize(
    ("baseline", "after", "shown"),
    [
        # 29.966% and 29.968% fall short of 30%: never shown as "30.0%".
        (29, Decimal("20.31"), "29.96%"),
        (31, Decimal("21.71"), "29.96%"),
        (20, Decimal("14.01"), "29.9%"),  # 29.95%
        (20, 14, "30.0%"),
        (20, Decimal("13.99"), "30.1%"),
    ],
)
def test_a_fall_short_of_the_threshold_is_never_shown_as_reaching_it(baseline, after, shown):
    prompt = rules.botox_stopping_prompt(botox_rule(baseline, after), "Botox")
    assert f"fell by {shown} after 2 treatment cycles" in prompt.body


def test_a_response_met_still_stops_when_the_migraine_is_now_episodic():
    rule = botox_rule(20, 10, months=(10, 9, 8))
    assert (rule.decision, rule.reason) == (rules.STOP, rules.NOW_EPISODIC)
    assert rule.reduction == Fraction(1, 2)
    kept = botox_rule(20, 10, months=(16, 9, 8))
    assert kept.decision == rules.CONTINUE
    # A response not met is the reason given first.
    assert botox_rule(20, 19, months=(10, 9, 8)).reason == rules.RESPONSE_NOT_MET


@pytest.mark.parametrize(
    ("baseline", "after", "months", "message"),
    [
        (0, 5, (), "above 0"),
        (32, 5, (), "between 0 and 31"),
        (20, 40, (), "between 0 and 31"),
        (20, None, (10, None, None), "each of the last 3 months"),
        (20, None, (10, None, 12, 9), "each of the last 3 months"),
        (20, None, (10, 12), "each of the last 3 months"),
        (20, None, (10, 40, 5), "between 0 and 31"),
    ],
)
def test_the_botox_rule_refuses_impossible_figures(baseline, after, months, message):
    with pytest.raises(ValueError, match=message):
        botox_rule(baseline, after, months)


# --- NICE NG193 and CG150 prescribing prompts ----------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "medicine_class", "code"),
    [
        (rules.CHRONIC_PAIN, rules.OPIOID, "ng193_do_not_initiate"),
        (rules.CHRONIC_PAIN, rules.GABAPENTINOID, "ng193_do_not_initiate"),
        (rules.CHRONIC_PAIN, rules.ANTICONVULSANT, "ng193_do_not_initiate"),
        (rules.CHRONIC_PAIN, rules.PARACETAMOL, "ng193_do_not_initiate"),
        (rules.CHRONIC_PAIN, rules.NSAID, "ng193_do_not_initiate"),
        (rules.CHRONIC_PAIN, rules.BENZODIAZEPINE, "ng193_do_not_initiate"),
        (rules.CHRONIC_PAIN, rules.ANTIPSYCHOTIC, "ng193_do_not_initiate"),
        (rules.CHRONIC_PAIN, rules.KETAMINE, "ng193_do_not_initiate"),
        # A plan's medicines for attacks, by the diary's classes.
        (rules.CHRONIC_PAIN, rules.SIMPLE_ANALGESIC, "ng193_do_not_initiate"),
        (rules.CHRONIC_PAIN, rules.COMBINATION_ANALGESIC, "ng193_do_not_initiate"),
        (rules.HEADACHE, rules.ERGOT, "cg150_no_ergots"),  # CG150: no ergots for acute migraine
        (rules.HEADACHE, rules.TRIPTAN, None),
        (rules.HEADACHE, rules.SIMPLE_ANALGESIC, None),
        (rules.HEADACHE, rules.NSAID, None),  # an acute migraine treatment
        (rules.HEADACHE, rules.PARACETAMOL, None),
        (rules.CHRONIC_PAIN, rules.SNRI, None),
        (rules.CHRONIC_PAIN, rules.TRICYCLIC, None),
        (rules.HEADACHE, rules.OPIOID, "cg150_no_opioids"),
        # Co-codamol holds codeine; paracetamol with caffeine holds no opioid: it asks which.
        (rules.HEADACHE, rules.COMBINATION_ANALGESIC, "cg150_opioid_combination"),
        (rules.HEADACHE, rules.ANTICONVULSANT, None),  # topiramate is a migraine preventive
        (rules.HEADACHE, rules.GABAPENTINOID, None),
    ],
)
def test_starting_a_do_not_initiate_medicine_warns(condition, medicine_class, code):
    prompt = rules.start_warning(condition=condition, medicine_class=medicine_class)
    assert (prompt.code if prompt else None) == code
    if prompt:
        assert prompt.level == rules.WARNING


@pytest.mark.parametrize(
    ("code", "title"),
    [
        ("naproxen", "NICE advises not to start NSAIDs for chronic primary pain"),
        ("paracetamol", "NICE advises not to start paracetamol for chronic primary pain"),
        ("diazepam", "NICE advises not to start benzodiazepines for chronic primary pain"),
        ("co_codamol", "NICE advises not to start opioids for chronic primary pain"),
        ("topiramate", "NICE advises not to start antiepileptics for chronic primary pain"),
        ("quetiapine", "NICE advises not to start antipsychotics for chronic primary pain"),
        ("ketamine", "NICE advises not to start ketamine for chronic primary pain"),
    ],
)
def test_each_coded_do_not_initiate_medicine_is_named_by_its_class(code, title):
    medicine_class = rules.medicine_class_of(code)
    prompt = rules.start_warning(condition=rules.CHRONIC_PAIN, medicine_class=medicine_class)
    assert prompt.title == title
    assert "paracetamol, NSAIDs, benzodiazepines, antipsychotics or ketamine" in prompt.body


def test_an_existing_do_not_initiate_medicine_prompts_a_review_until_one_is_recorded():
    def review(decision="", condition=rules.CHRONIC_PAIN, medicine_class=rules.OPIOID):
        return rules.existing_medicine_review(
            condition=condition,
            medicine_class=medicine_class,
            medicine_name="Tramadol",
            review_decision=decision,
        )

    assert review().code == "ng193_review_existing"
    assert "reducing and stopping" in review().body
    assert review(rules.REVIEW_CONTINUE) is None
    assert review(rules.REVIEW_REDUCE) is None
    assert review(medicine_class=rules.SNRI) is None
    assert review(condition=rules.HEADACHE).source.startswith("NICE CG150")


# --- goals ---------------------------------------------------------------------------------------


def test_goal_scores_use_the_psfs_mean_and_its_two_point_threshold():
    scores = rules.goal_scores([2, 4], [8, 8], [4, 6])
    assert (scores.baseline_mean, scores.current_mean, scores.target_mean) == (3, 5, 8)
    assert scores.change == 2 and scores.important is True
    just_below = rules.goal_scores([2, 4], [8, 8], [4, 5])
    assert just_below.change == 1.5 and just_below.important is False
    assert just_below.worse is False
    fallen = rules.goal_scores([8, 8], [9, 9], [2, 2])
    assert fallen.change == -6 and fallen.important is False and fallen.worse is True
    assert rules.goal_scores([8, 8], [9, 9], [7, 5]).worse is True  # exactly 2 points down


def test_goal_scores_wait_for_every_current_rating():
    scores = rules.goal_scores([2, 4], [8, 8], [4, None])
    assert scores.current_mean is None and scores.important is None
    assert rules.goal_scores([], [], []) is None


@pytest.mark.parametrize("baselines", [[11], [-1], [1, 2, 3, 4, 5, 6]])
def test_goal_scores_refuse_ratings_out_of_range(baselines):
    with pytest.raises(InvalidAnswers):
        rules.goal_scores(baselines, [5] * len(baselines), [None] * len(baselines))


# --- what changed between versions ---------------------------------------------------------------


def snapshot(values=None, items=()):
    return rules.VersionSnapshot(values=values or {"What matters to me": "Work"}, items=list(items))


def item(lineage, label, **values):
    return rules.ItemSnapshot(lineage=lineage, section="Goals", label=label, values=values)


def test_changes_list_edited_fields_and_added_changed_and_removed_items():
    old = snapshot(
        {"What matters to me": "Work", "Next review": "1 May"},
        [item("a", "Walk", now="3"), item("b", "Swim"), item("c", "Cook")],
    )
    new = snapshot(
        {"What matters to me": "Work and family", "Next review": "1 May"},
        [item("a", "Walk", now="6"), item("c", "Cook dinner"), item("d", "Garden")],
    )
    changes = rules.changes_between(old, new)
    assert [(c.kind, c.label) for c in changes] == [
        ("changed", "What matters to me"),
        ("changed", "Walk"),
        ("changed", "Cook dinner"),
        ("added", "Garden"),
        ("removed", "Swim"),
    ]
    assert changes[0].details == ("Was: Work", "Now: Work and family")
    assert changes[1].details == ("now: 3 → 6",)
    assert changes[2].details == ("Was: Cook",)


def test_an_unchanged_copy_has_no_changes():
    same = snapshot(items=[item("a", "Walk", now="3")])
    assert rules.changes_between(same, same) == []


def test_leaflet_medicine_lists_name_codes_or_classes():
    assert rules.leaflet_is_about(
        "opioid gabapentinoid", medicine_code="tramadol", medicine_class="opioid"
    )
    assert rules.leaflet_is_about(
        "topiramate", medicine_code="topiramate", medicine_class="anticonvulsant"
    )
    assert not rules.leaflet_is_about(
        "topiramate", medicine_code="propranolol", medicine_class="beta_blocker"
    )
    assert rules.unknown_medicine_tokens("opioid aspirin topiramate") == ["aspirin"]


def test_a_preventive_that_did_not_work_counts_only_when_the_trial_was_said_to_be_adequate():
    # Nothing answered is not "adequate": no default counts a medicine stopped after a few days.
    unanswered = TrialFacts("propranolol", rules.BETA_BLOCKER, rules.PREVENTIVE, rules.INEFFECTIVE)
    assert unanswered.adequate is None
    assert not rules.is_failed_preventive(unanswered)
    assert not rules.is_failed_preventive(failed("propranolol", adequate=None))
    assert not rules.is_failed_preventive(failed("propranolol", adequate=False))
    assert rules.is_failed_preventive(failed("propranolol", adequate=True))
    # Intolerance counts whatever the answer.
    assert rules.is_failed_preventive(failed("propranolol", rules.NOT_TOLERATED, adequate=None))
    three_unanswered = [failed(code, adequate=None) for code in ("propranolol", "topiramate")]
    three_unanswered.append(failed("amitriptyline", adequate=None))
    assert rules.failed_preventive_count(three_unanswered) == 0


def test_a_yes_to_an_adequate_trial_counts_after_12_weeks_or_once_a_shorter_one_is_confirmed():
    # clinical-rules.md section 10 counts a drug "tried at an adequate dose and duration" and
    # names no duration: the app takes 12 weeks, the effectiveness review's.
    assert rules.ADEQUATE_TRIAL_DAYS == 84
    assert not rules.is_failed_preventive(failed("candesartan", days_tried=0))  # the same day
    assert not rules.is_failed_preventive(failed("candesartan", days_tried=83))
    assert rules.is_failed_preventive(failed("candesartan", days_tried=84))
    # How long it was tried is not known: not counted on an unconfirmed "yes".
    assert not rules.is_failed_preventive(failed("candesartan", days_tried=None))
    confirmed = TrialFacts(
        "candesartan", rules.ARB, rules.PREVENTIVE, rules.INEFFECTIVE, True, 0, True
    )
    assert rules.is_failed_preventive(confirmed)
    # Intolerance counts however soon it showed; a "no" never counts, confirmed or not.
    assert rules.is_failed_preventive(failed("candesartan", rules.NOT_TOLERATED, days_tried=0))
    assert not rules.is_failed_preventive(
        TrialFacts("candesartan", rules.ARB, rules.PREVENTIVE, rules.INEFFECTIVE, False, 0, True)
    )
    short = [failed(code, days_tried=0) for code in ("propranolol", "topiramate", "candesartan")]
    assert rules.failed_preventive_count(short) == 0
    assert rules.cgrp_prompt(failed_preventives=0, migraine_days_per_month=8) is None


@pytest.mark.parametrize(
    ("role", "outcome", "adequate", "days", "needed"),
    [
        (rules.PREVENTIVE, rules.INEFFECTIVE, True, 0, True),
        (rules.PREVENTIVE, rules.INEFFECTIVE, True, 83, True),
        (rules.PREVENTIVE, rules.INEFFECTIVE, True, None, True),
        (rules.PREVENTIVE, rules.INEFFECTIVE, True, 84, False),
        (rules.PREVENTIVE, rules.INEFFECTIVE, False, 0, False),
        (rules.PREVENTIVE, rules.INEFFECTIVE, None, 0, False),
        (rules.PREVENTIVE, rules.NOT_TOLERATED, True, 0, False),
        (rules.PREVENTIVE, rules.EFFECTIVE, True, 0, False),
        (rules.PAIN, rules.INEFFECTIVE, True, 0, False),
    ],
)
def test_only_a_yes_for_a_preventive_tried_under_12_weeks_needs_a_confirmation(
    role, outcome, adequate, days, needed
):
    assert (
        rules.needs_short_trial_confirmation(
            role=role, outcome=outcome, adequate=adequate, days_tried=days
        )
        is needed
    )


@pytest.mark.parametrize(
    ("role", "outcome", "adequate", "asked"),
    [
        (rules.PREVENTIVE, rules.INEFFECTIVE, None, True),
        (rules.PREVENTIVE, rules.INEFFECTIVE, True, False),
        (rules.PREVENTIVE, rules.INEFFECTIVE, False, False),
        (rules.PREVENTIVE, rules.NOT_TOLERATED, None, False),
        (rules.PREVENTIVE, rules.EFFECTIVE, None, False),
        (rules.PREVENTIVE, rules.ONGOING, None, False),
        (rules.PREVENTIVE, rules.STOPPED, None, False),
        (rules.PAIN, rules.INEFFECTIVE, None, False),
        (rules.ACUTE, rules.INEFFECTIVE, None, False),
    ],
)
def test_only_a_preventive_that_did_not_work_must_say_whether_the_trial_was_adequate(
    role, outcome, adequate, asked
):
    problem = rules.adequacy_problem(
        role=role, outcome=outcome, adequate=adequate, name="Propranolol"
    )
    if asked:
        assert problem.startswith(
            "Say whether Propranolol was given at an adequate dose for long enough."
        )
    else:
        assert problem is None


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("morphine", None),
        ("tramadol", None),
        ("buprenorphine", None),
        ("propranolol", "Propranolol is not an opioid."),
        ("gabapentin", "Gabapentin is not an opioid."),
        ("amitriptyline", "Amitriptyline is not an opioid."),
        ("other", "only for an opioid chosen from the list"),
    ],
)
def test_an_oral_morphine_equivalent_belongs_to_opioids_only(code, problem):
    found = rules.morphine_equivalent_problem(code)
    assert rules.has_morphine_equivalent(rules.medicine_class_of(code)) is (problem is None)
    if problem is None:
        assert found is None
    else:
        assert problem in found


def test_a_medicine_already_taken_is_reviewed_twelve_weeks_from_the_day_it_is_recorded():
    today = date(2026, 12, 5)
    assert rules.default_review_due(date(2020, 1, 1), already_taking=True, today=today) == date(
        2027, 2, 27
    )
    # A medicine the care team starts keeps its 12 weeks from the start.
    assert rules.default_review_due(date(2026, 12, 1)) == date(2027, 2, 23)
    with pytest.raises(ValueError):
        rules.default_review_due(date(2020, 1, 1), already_taking=True)


# --- a responsibility's "by when" ---------------------------------------------------------------

BY_WHEN_TODAY = date(2026, 12, 5)


@pytest.mark.parametrize(
    ("due_on", "saved", "refused"),
    [
        (None, None, False),
        (date(2026, 12, 4), None, True),  # a new date, yesterday
        (date(2020, 1, 1), None, True),
        (BY_WHEN_TODAY, None, False),
        (date(2026, 12, 6), None, False),
        (date(2026, 12, 4), date(2026, 12, 4), False),  # kept as saved: an overdue action
        (date(2026, 12, 3), date(2026, 12, 4), True),  # changed to another past day
        (date(2026, 12, 4), date(2026, 12, 20), True),
        (None, date(2026, 12, 4), False),  # cleared
    ],
)
def test_a_by_when_date_set_or_changed_must_be_today_or_later(due_on, saved, refused):
    problem = rules.by_when_problem(due_on=due_on, saved=saved, today=BY_WHEN_TODAY)
    assert (problem == rules.BY_WHEN_IN_THE_PAST) is refused
    assert (problem is None) is not refused


# --- the next review date of a trial review ------------------------------------------------------

REVIEW_DAY = date(2026, 12, 4)


@pytest.mark.parametrize(
    ("outcome", "review_due", "problem"),
    [
        (rules.ONGOING, None, "Enter the next review date."),
        (rules.EFFECTIVE, None, "Enter the next review date."),
        (rules.INEFFECTIVE, None, None),
        (rules.NOT_TOLERATED, None, None),
        (rules.STOPPED, None, None),
        (rules.ONGOING, date(2026, 12, 3), "must be today or later"),
        (rules.INEFFECTIVE, date(2026, 9, 1), "must be today or later"),
        (rules.ONGOING, REVIEW_DAY, None),
        (rules.STOPPED, date(2026, 12, 5), None),
        (rules.ONGOING, REVIEW_DAY + timedelta(days=550), None),
        (rules.ONGOING, REVIEW_DAY + timedelta(days=551), "must be within 18 months"),
        (rules.STOPPED, date(2099, 1, 1), "must be within 18 months"),
    ],
)
def test_a_next_review_date_is_today_or_later_and_needed_only_while_it_carries_on(
    outcome, review_due, problem
):
    found = rules.next_review_problem(outcome=outcome, review_due=review_due, today=REVIEW_DAY)
    if problem is None:
        assert found is None
    else:
        assert problem in found


def test_a_plans_review_date_has_the_limit_a_reviews_next_review_date_has():
    from reviews import rules as review_rules

    assert rules.MAX_REVIEW_AHEAD_DAYS == review_rules.MAX_NEXT_REVIEW_DAYS


def test_contraindicated_preventives_count_once_each_unless_recorded_as_treatments():
    tried = [
        rules.TrialFacts(
            medicine="propranolol",
            medicine_class=rules.BETA_BLOCKER,
            role="preventive",
            outcome=rules.NOT_TOLERATED,
        )
    ]
    names = ["Topiramate", " topiramate ", "Propranolol", "Pizotifen", "pizotifen", ""]
    # Topiramate (a listed medicine, by name) and pizotifen (as typed): propranolol is a
    # treatment recorded, counted by that record.
    assert rules.contraindicated_before(names, tried) == 2
    assert rules.contraindicated_before([], tried) == 0
    # With two that failed, one contraindicated makes the three NICE looks for.
    failed = rules.failed_preventive_count(
        [
            *tried,
            rules.TrialFacts(
                medicine="amitriptyline",
                medicine_class=rules.TRICYCLIC,
                role="preventive",
                outcome=rules.INEFFECTIVE,
                adequate=True,
                days_tried=120,
            ),
        ]
    )
    assert rules.cgrp_prompt(
        failed_preventives=failed + rules.contraindicated_before(["Topiramate"], tried),
        migraine_days_per_month=8,
    )


def test_a_typed_triptan_or_ergotamine_name_says_its_type():
    assert rules.named_class_mismatch("Sumatriptan 50 mg", rules.SIMPLE_ANALGESIC) == rules.TRIPTAN
    assert rules.named_class_mismatch("IMIGRAN nasal spray", rules.OPIOID) == rules.TRIPTAN
    assert rules.named_class_mismatch("Ergotamine 1 mg", rules.TRIPTAN) == rules.ERGOT
    assert rules.named_class_mismatch("Sumatriptan 50 mg", rules.TRIPTAN) is None
    assert rules.named_class_mismatch("Ibuprofen 400 mg", rules.SIMPLE_ANALGESIC) is None
    assert rules.named_class_mismatch("", rules.SIMPLE_ANALGESIC) is None
    assert (
        rules.named_class_mismatch("Co-codamol 8/500", rules.SIMPLE_ANALGESIC)
        == rules.COMBINATION_ANALGESIC
    )
    assert rules.named_class_mismatch("Tramadol 50 mg", rules.SIMPLE_ANALGESIC) == rules.OPIOID
    # An opioid under the combination type (or the other way) keeps the same limit.
    assert rules.named_class_mismatch("Co-codamol 8/500", rules.OPIOID) is None
    assert rules.named_class_mismatch("Codeine", rules.COMBINATION_ANALGESIC) is None


@pytest.mark.parametrize(
    ("typed", "named"),
    [
        ("Oramorph 10 mg", "opioid"),
        ("OxyContin 10mg", "opioid"),
        ("DF118 Forte", "opioid"),
        ("Zydol 50", "opioid"),
        ("Solpadol 30/500", "combination_analgesic"),
        ("Tramacet", "combination_analgesic"),
        ("Paracetamol and caffeine", "combination_analgesic"),
        ("Anadin Extra", "combination_analgesic"),
        ("Panadol Extra 2 tablets", "combination_analgesic"),
        ("Paramol", "combination_analgesic"),
        ("Cuprofen Plus", "combination_analgesic"),
        ("Anadin Original", "combination_analgesic"),
        ("Paracetamol and codeine 500/30", "combination_analgesic"),
        ("DHC Continus 60 mg", "opioid"),
        ("Temgesic 200 micrograms", "opioid"),
        ("Paracetamol 1 g", None),
        ("Paracetamol (caffeine free)", None),
        ("Paracetamol caffeine-free 500 mg", None),
        ("Nurofen 400 mg", None),
        ("Panadol Advance", None),
    ],
)
def test_a_brand_or_caffeine_under_simple_painkillers_says_its_lower_limit(typed, named):
    """Under "simple painkillers" they would be given its limit (fewer than 15 days a month)
    instead of their own (fewer than 10)."""
    assert rules.named_class_mismatch(typed, rules.SIMPLE_ANALGESIC) == named


def test_a_typed_name_of_a_listed_medicine_is_that_medicine():
    assert rules.coded_medicine_named("Propranolol") == "propranolol"
    assert rules.coded_medicine_named("  propranolol MR 80 mg ") == "propranolol"
    assert rules.coded_medicine_named("Co-codamol 30/500") == "co_codamol"
    assert rules.coded_medicine_named("Botulinum toxin type A") == "botulinum_toxin_a"
    assert rules.coded_medicine_named("Pizotifen") is None
    # Combined with another medicine, it is not the first one alone.
    assert rules.coded_medicine_named("Ibuprofen and codeine 200/12.8") is None
    assert rules.coded_medicine_named("Paracetamol with codeine") is None
    assert rules.coded_medicine_named("paracetamol + caffeine") is None
    assert rules.coded_medicine_named("") is None
    # So it counts once as a failed preventive, however it was entered.
    assert rules.medicine_key("other", "propranolol MR") == rules.medicine_key("propranolol")
    assert rules.medicine_key("other", " Pizotifen ") == "other:pizotifen"


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("Lyrica", "pregabalin"),
        ("LYRICA 75mg", "pregabalin"),
        ("Alzain", "pregabalin"),
        ("Neurontin 300 mg", "gabapentin"),
        ("Oramorph 10mg/5ml", "morphine"),
        ("Sevredol", "morphine"),
        ("zomorph", "morphine"),
        ("  MST   Continus  10 mg ", "morphine"),
        ("Zapain 30/500", "co_codamol"),
        ("Solpadol", "co_codamol"),
        ("Tylex", "co_codamol"),
        ("cocodamol", "co_codamol"),
        ("co-dydramol", "co_dydramol"),
        ("  CO-DYDRAMOL   10/500 ", "co_dydramol"),
        ("co_dydramol", "co_dydramol"),
        ("Codydramol", "co_dydramol"),
        ("Dihydrocodeine 30mg", "dihydrocodeine"),
        ("DF118 Forte", "dihydrocodeine"),
        ("Zydol", "tramadol"),
        ("Zamadol SR", "tramadol"),
        ("OxyContin 10mg", "oxycodone"),
        ("OxyNorm", "oxycodone"),
        ("Shortec", "oxycodone"),
        ("Butec 5 micrograms/hour", "buprenorphine"),
        ("BuTrans", "buprenorphine"),
        ("Transtec", "buprenorphine"),
        ("Durogesic DTrans 12", "fentanyl"),
        ("Tapentadol", "tapentadol"),
        ("Palexia SR 50mg", "tapentadol"),
        # A generic with its own brand is one medicine, not two.
        ("Pregabalin (Lyrica) 75mg", "pregabalin"),
        ("Morphine (Oramorph)", "morphine"),
        ("Tramadol (Zydol)", "tramadol"),
        ("Co-codamol (Zapain)", "co_codamol"),
        ("Lyrica pregabalin", "pregabalin"),
    ],
)
def test_a_typed_uk_brand_or_combination_is_its_listed_medicine(typed, code):
    assert rules.coded_medicine_named(typed) == code
    assert rules.medicine_key("other", typed) == code


@pytest.mark.parametrize(
    ("typed", "medicine_class"),
    [
        ("Lyrica", rules.GABAPENTINOID),
        ("Neurontin", rules.GABAPENTINOID),
        ("Oramorph", rules.OPIOID),
        ("Zapain", rules.OPIOID),
        ("co-dydramol", rules.OPIOID),  # dihydrocodeine with paracetamol
        ("Zydol", rules.OPIOID),
        ("OxyContin", rules.OPIOID),
        ("BuTrans", rules.OPIOID),
        ("Durogesic", rules.OPIOID),
        ("Palexia", rules.OPIOID),
    ],
)
def test_a_brand_gets_its_medicines_class_and_nices_warning(typed, medicine_class):
    code = rules.coded_medicine_named(typed)
    assert rules.medicine_class_of(code) == medicine_class
    prompt = rules.start_warning(condition=rules.CHRONIC_PAIN, medicine_class=medicine_class)
    assert prompt.code == "ng193_do_not_initiate"
    assert rules.has_morphine_equivalent(medicine_class) == (medicine_class == rules.OPIOID)


def test_other_names_name_listed_medicines_and_hide_none_of_their_names():
    assert set(rules.OTHER_NAMES.values()) <= set(rules.MEDICINES) - {rules.OTHER}
    names = {m.name.lower().split()[0] for m in rules.MEDICINES.values()}
    assert not set(rules.OTHER_NAMES) & (names | set(rules.MEDICINES))
    assert all(name == name.casefold() and " " not in name for name in rules.OTHER_NAMES)


def test_a_brand_combined_with_another_medicine_is_not_that_medicine_alone():
    assert rules.coded_medicine_named("Oramorph and paracetamol") is None
    assert rules.coded_medicine_named("Lyrica + amitriptyline") is None
    assert rules.coded_medicine_named("Nurofen Plus") is None  # ibuprofen with codeine: unlisted
    assert rules.coded_medicine_named("Pregabalin (Zydol)") is None  # two medicines named


def test_after_a_cgrp_antibody_failed_referral_is_prompted_on_the_same_figures():
    failed = ("Erenumab",)
    assert (
        rules.cgrp_prompt(failed_preventives=3, migraine_days_per_month=1, failed_cgrp=failed)
        is None
    )
    prompt = rules.cgrp_prompt(failed_preventives=3, migraine_days_per_month=4, failed_cgrp=failed)
    assert prompt.code == "cgrp_failed_refer"
    unknown = rules.cgrp_prompt(failed_preventives=3, failed_cgrp=failed)
    assert unknown.code == "cgrp_needs_migraine_days"
    assert (
        rules.cgrp_prompt(failed_preventives=2, migraine_days_per_month=9, failed_cgrp=failed)
        is None
    )


def test_no_medicines_own_limit_is_lower_than_their_limit_together():
    # The plan then gives the limit together alone (version_body.html).
    import itertools
    import re

    for pair in itertools.combinations_with_replacement(rules.ACUTE_CLASSES, 2):
        together = int(
            re.search(r"no more than (\d+) day", rules.acute_together_sentence(list(pair))).group(1)
        )
        assert together <= min(rules.acute_limit(c).max_days_per_week for c in pair)


def test_a_pain_plan_offers_no_migraine_only_medicines_for_attacks():
    assert rules.acute_classes_for(rules.HEADACHE) == list(rules.ACUTE_CLASSES)
    pain = rules.acute_classes_for(rules.CHRONIC_PAIN)
    assert rules.TRIPTAN not in pain and rules.ERGOT not in pain
    assert rules.SIMPLE_ANALGESIC in pain and rules.OPIOID in pain


@pytest.mark.parametrize(
    ("typed", "named"),
    [
        ("Propranolol 80 mg MR", "Propranolol"),
        ("candesartan", "Candesartan"),
        ("TOPIRAMATE 25mg", "Topiramate"),
        ("Atogepant 60 mg", "Atogepant"),
        ("Erenumab injection", "Erenumab"),
        ("Duloxetine 30mg", "Duloxetine"),
        ("Gabapentin 300mg", "Gabapentin"),
        ("Ibuprofen 400mg", None),
        ("Rimegepant 75 mg", None),
        ("Codeine 30mg", None),
        ("Sumatriptan 50mg", None),
        # Named anywhere, or by a brand.
        ("MR propranolol 80mg", "Propranolol"),
        ("Inderal LA 80mg", "Propranolol"),
        ("Botox injections", "Botulinum toxin type A"),
        ("Lyrica 75mg", "Pregabalin"),
        ("Aimovig", "Erenumab"),
        ("Paracetamol and amitriptyline", "Amitriptyline"),
        ("Vydura 75mg", None),
        ("Propranolol-free", None),
        ("", None),
    ],
)
def test_a_medicine_taken_regularly_is_named(typed, named):
    assert rules.regular_medicine_named(typed) == named


# --- the MHRA's pregnancy prevention programmes ------------------------------------------------


@pytest.mark.parametrize(
    ("code", "typed", "programme"),
    [
        ("topiramate", "", rules.TOPIRAMATE),
        ("other", "Topamax 25 mg", rules.TOPIRAMATE),  # a brand of a listed medicine
        ("other", "Sodium valproate 200 mg MR", rules.VALPROATE),
        ("other", "valproic acid", rules.VALPROATE),
        ("other", "Epilim Chrono 500", rules.VALPROATE),
        ("other", "DEPAKOTE", rules.VALPROATE),
        ("other", "Pizotifen", None),
        ("propranolol", "", None),
        ("amitriptyline", "", None),
    ],
)
def test_topiramate_and_valproate_are_known_by_their_names(code, typed, programme):
    assert rules.pregnancy_prevention_medicine(code, typed) == programme


@pytest.mark.parametrize(
    ("sex", "age", "could"),
    [
        ("female", 11, False),
        ("female", 12, True),
        ("female", 30, True),
        ("female", 55, True),
        ("female", 56, False),
        ("male", 30, False),
        ("not_known", 30, False),
        ("indeterminate", 30, False),
    ],
)
def test_a_female_patient_aged_12_to_55_is_taken_as_able_to_become_pregnant(sex, age, could):
    assert rules.could_become_pregnant(sex=sex, age=age) is could


def test_the_pregnancy_prevention_warnings_name_the_mhra_programme_and_never_block():
    topiramate = rules.pregnancy_prevention_warning(rules.TOPIRAMATE)
    valproate = rules.pregnancy_prevention_warning(rules.VALPROATE)
    notice = rules.pregnancy_prevention_notice()
    for prompt in (topiramate, valproate, notice):
        assert prompt.level == rules.WARNING
        assert "pregnancy prevention programme" in prompt.title
        assert "MHRA" in prompt.source and "MHRA" in prompt.body
    assert topiramate.source == "MHRA Drug Safety Update, June 2024"
    assert "highly effective contraception" in topiramate.body
    assert "two specialists" in valproate.body
    assert "topiramate" in notice.body and "valproate" in notice.body
    with pytest.raises(ValueError):
        rules.pregnancy_prevention_warning("propranolol")
