"""When to consider a CGRP antibody or botulinum toxin A, the CGRP antibody's 12-week stopping
rule and botulinum toxin A's stopping rules (NICE TA659, TA682, TA764 and TA260;
clinical-rules.md section 10)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from careplans.rules.figures import (
    CHRONIC_HEADACHE_DAYS,
    CHRONIC_MIGRAINE_DAYS,
    _days_per_month,
    exact,
    is_chronic_migraine,
    unrounded,
)
from careplans.rules.medicines import BOTULINUM_TOXIN, CGRP_ANTIBODY, HEADACHE
from careplans.rules.prompts import ACTION, INFO, WARNING, Prompt
from careplans.rules.trials import CONTINUING_OUTCOMES, PREVENTIVE

# clinical-rules.md section 10 (TA659/TA682/TA764): at least 3 preventive drug treatments failed.
CGRP_MIN_FAILED_PREVENTIVES = 3
# clinical-rules.md section 10: at least 4 migraine days a month, inclusive (4.0 qualifies).
CGRP_MIN_MIGRAINE_DAYS = 4
# clinical-rules.md section 10 (TA260): at least 3 preventive medicines have not worked.
BOTOX_MIN_FAILED_PREVENTIVES = 3
# clinical-rules.md section 10: the response to a CGRP antibody is judged after 12 weeks.
CGRP_ASSESSMENT_DAYS = 84
# clinical-rules.md section 10: continue when the reduction is at least 50% (episodic) or 30%
# (chronic); exactly 50% / 30% continues.
EPISODIC_REQUIRED_REDUCTION = Fraction(1, 2)
CHRONIC_REQUIRED_REDUCTION = Fraction(3, 10)
# clinical-rules.md section 10 (TA260): stop botulinum toxin A if headache days a month fell by
# less than 30% after 2 treatment cycles (exactly 30% continues, as for the CGRP rule).
BOTOX_REQUIRED_REDUCTION = Fraction(3, 10)
# CONVENTION: a treatment cycle of botulinum toxin A for chronic migraine is 12 weeks (injections
# every 12 weeks), so the response after 2 cycles is judged from 24 weeks after the first.
BOTOX_CYCLE_DAYS = 84
BOTOX_ASSESSMENT_DAYS = 2 * BOTOX_CYCLE_DAYS
# clinical-rules.md section 10 (TA260): also stop if the migraine has changed to episodic (fewer
# than 15 headache days a month) for 3 consecutive months. The months are the diary's 30-day
# months, so the 3 are on treatment only from 90 days after it started.
EPISODIC_MONTHS = 3
EPISODIC_CHECK_DAYS = EPISODIC_MONTHS * 30


def _percent(reduction: Fraction, required: Fraction) -> str:
    """The reduction as a percentage to 1 decimal place; to 2, rounded down, where 1 place would
    show a reduction short of `required` as reaching it (29.97% is not "30.0%")."""
    shown = f"{float(reduction * 100):.1f}"
    if reduction < required and Fraction(shown) >= required * 100:
        shown = f"{math.floor(reduction * 10_000) / 100:.2f}"
    return f"{shown}%"


def _as_decimal(value: Fraction) -> Decimal:
    """An exact fraction as a decimal: unlike float(), never overflows on a rise from a tiny
    baseline."""
    return Decimal(value.numerator) / Decimal(value.denominator)


def _change(days: str, reduction: Fraction, required: Fraction) -> str:
    """How `days` changed, in words: "Migraine days fell by 49.9%", "rose by 20.0%" when they
    went up, "did not fall" when they stayed the same."""
    if reduction > 0:
        return f"{days} fell by {_percent(reduction, required)}"
    if reduction < 0:
        return f"{days} rose by {_as_decimal(-reduction * 100):.1f}%"
    return f"{days} did not fall"


def cgrp_prompt(
    *,
    failed_preventives: int,
    migraine_days_per_month=None,
    on_cgrp_antibody: bool = False,
    failed_cgrp: tuple[str, ...] = (),
) -> Prompt | None:
    """Return the "consider a CGRP antibody or specialist referral" prompt when at least 3
    preventives have failed and migraine days are at least 4 a month (TA659/TA682/TA764), an
    information prompt asking for migraine days when they are unknown, or None.

    CONVENTION: after a CGRP antibody has itself failed (`failed_cgrp`, the names of those
    counted among the failed preventives) the prompt suggests a specialist headache service
    instead, on the same figures: the appraisals do not cover another CGRP antibody after one
    has failed. Raises ValueError for a migraine-day figure outside 0-31."""
    if on_cgrp_antibody or failed_preventives < CGRP_MIN_FAILED_PREVENTIVES:
        return None
    source = "NICE TA659, TA682, TA764"
    if migraine_days_per_month is not None and (
        _days_per_month(migraine_days_per_month, "Migraine days") < CGRP_MIN_MIGRAINE_DAYS
    ):
        return None
    if failed_cgrp and migraine_days_per_month is not None:
        return Prompt(
            code="cgrp_failed_refer",
            level=ACTION,
            title="Consider referral to a specialist headache service",
            body=(
                f"{failed_preventives} preventive treatments have failed, including the CGRP "
                f"antibody {' and '.join(failed_cgrp)}. NICE's appraisals do not cover another "
                "CGRP antibody after one has failed: consider referral to a specialist headache "
                "service."
            ),
            source=source,
        )
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
            "stopped if headache days fall by less than 30% after 2 treatment cycles, or once "
            "headache days have been under 15 a month for 3 consecutive months."
        ),
        source="NICE TA260",
    )


# Medicines NICE recommends only to prevent headaches, in the cases its appraisals name: by
# class, the start warning's code, its source and what it recommends.
_RECOMMENDED_ONLY = {
    CGRP_ANTIBODY: (
        "ta_cgrp_outside",
        "NICE TA659, TA682, TA764",
        "NICE TA659, TA682 and TA764 recommend erenumab, fremanezumab and galcanezumab for "
        "adults only when at least 3 preventive drug treatments have failed and migraine is on "
        "at least 4 days a month.",
    ),
    BOTULINUM_TOXIN: (
        "ta260_outside",
        "NICE TA260",
        "NICE TA260 recommends botulinum toxin type A for adults only for chronic migraine "
        "(headache on at least 15 days a month, at least 8 of them with migraine) when at least "
        "3 preventive medicines have not worked, and once any medication overuse is managed.",
    ),
}
SPECIALIST_PREVENTIVES = frozenset(_RECOMMENDED_ONLY)


def _days(value) -> str:
    """A days-a-month figure in words, to 2 decimal places at most: "1 day", "13.33 days"."""
    shown = f"{float(exact(value)):.2f}".rstrip("0").rstrip(".")
    return f"{shown} day{'' if shown == '1' else 's'}"


def _failed_so_far(failed_preventives: int) -> str:
    if failed_preventives == 0:
        return "no preventive treatment on record has failed"
    return (
        f"{failed_preventives} preventive treatment{'s' if failed_preventives > 1 else ''} on "
        f"record {'have' if failed_preventives > 1 else 'has'} failed"
    )


# clinical-rules.md section 10: the appraisals are for adults.
ADULT_AGE = 18


def specialist_start_warning(
    *,
    medicine_class: str,
    role: str,
    failed_preventives: int,
    failed_before: tuple[str, ...] = (),
    age: int | None = None,
    baseline_headache_days=None,
    baseline_migraine_days=None,
    figures_from: str = "before starting",
    overuse: str = "",
) -> Prompt | None:
    """Return the warning for starting a CGRP antibody or botulinum toxin A to prevent headaches
    outside what NICE recommends them for (clinical-rules.md section 10), or None.

    A CGRP antibody (TA659, TA682, TA764): adults, at least 3 failed preventive drug treatments
    and at least 4 migraine days a month. Botulinum toxin A (TA260): adults, at least 3 failed
    preventive medicines and chronic migraine (headache on at least 15 days a month, at least 8
    with migraine). `failed_preventives` counts as the plan's prompts do (failed_preventive_count
    with contraindicated_before) but without the class being started: a CGRP antibody that
    failed is not one of the 3 failures another needs, nor an earlier course of botulinum
    toxin A for the next. `failed_before` names those of the class that failed: the
    appraisals do not cover a second CGRP antibody after one has failed (CONVENTION, as
    cgrp_prompt), nor botulinum toxin A again once it has not worked. `age` is the patient's on
    the start date. A baseline not given is not held against it, but one given can rule it out
    alone (migraine days cannot exceed headache days); `figures_from` says where the figures
    come from ("before starting" as typed, or the diary's window). `overuse`, when given, says
    where medication overuse shows (the diary's window): TA260 asks for it to be managed
    first. Like NICE's other start warnings it informs and does not block. Raises ValueError
    for a figure outside 0-31 days a month."""
    if role != PREVENTIVE or medicine_class not in SPECIALIST_PREVENTIVES:
        return None
    cgrp = medicine_class == CGRP_ANTIBODY
    least = CGRP_MIN_FAILED_PREVENTIVES if cgrp else BOTOX_MIN_FAILED_PREVENTIVES
    # (title, reason) for each way it falls outside the recommendation, most telling first.
    short: list[tuple[str, str]] = []
    if failed_before:
        short.append(
            (
                "NICE's appraisals do not cover another CGRP antibody after one has failed"
                if cgrp
                else "Botulinum toxin A has not worked before",
                f"{' and '.join(failed_before)} failed already"
                + (": consider a specialist headache service instead" if cgrp else ""),
            )
        )
    if age is not None and age < ADULT_AGE:
        short.append(
            (
                f"NICE recommends {'a CGRP antibody' if cgrp else 'botulinum toxin A'} for "
                "adults only",
                f"the patient is {age}, and the appraisals are for adults",
            )
        )
    if failed_preventives < least:
        short.append(
            (
                "NICE recommends a CGRP antibody only after 3 preventive treatments have failed"
                if cgrp
                else "NICE recommends botulinum toxin A only after 3 preventive medicines have "
                "failed",
                f"{_failed_so_far(failed_preventives)}, and NICE asks for at least {least}",
            )
        )
    headache = None if baseline_headache_days is None else exact(baseline_headache_days)
    migraine = None if baseline_migraine_days is None else exact(baseline_migraine_days)
    for value, name in ((headache, "Headache days"), (migraine, "Migraine days")):
        if value is not None:
            _days_per_month(value, name)
    if cgrp:
        fewest = migraine if migraine is not None else headache
        if fewest is not None and fewest < CGRP_MIN_MIGRAINE_DAYS:
            which = "migraine" if migraine is not None else "headache, and so migraine,"
            short.append(
                (
                    "NICE recommends a CGRP antibody only with migraine on at least 4 days a month",
                    f"{which} is on {_days(fewest)} a month {figures_from}, and NICE asks for "
                    f"at least {CGRP_MIN_MIGRAINE_DAYS} migraine days",
                )
            )
    else:
        chronic_short = []
        if headache is not None and headache < CHRONIC_HEADACHE_DAYS:
            chronic_short.append(f"headache is on {_days(headache)} a month")
        if migraine is not None and migraine < CHRONIC_MIGRAINE_DAYS:
            chronic_short.append(f"migraine is on {_days(migraine)} a month")
        if chronic_short:
            short.append(
                (
                    "NICE recommends botulinum toxin A only for chronic migraine",
                    f"{' and '.join(chronic_short)} {figures_from}, which is not chronic migraine",
                )
            )
        if overuse:
            short.append(
                (
                    "NICE asks for medication overuse to be managed before botulinum toxin A",
                    f"{overuse} shows medication overuse",
                )
            )
    if not short:
        return None
    missing = (
        " Record any failed preventive that is missing from the plan first."
        if failed_preventives < least
        else ""
    )
    code, source, recommendation = _RECOMMENDED_ONLY[medicine_class]
    return Prompt(
        code=code,
        level=WARNING,
        title=short[0][0],
        body=f"{recommendation} Here {'; '.join(reason for _, reason in short)}.{missing}",
        source=source,
    )


def specialist_role_problem(*, condition: str, medicine_class: str, role: str, name: str) -> str:
    """Why a treatment cannot be recorded in this role ("" when it can): on a headache plan, a
    CGRP antibody or botulinum toxin A only prevents headaches."""
    if condition == HEADACHE and medicine_class in SPECIALIST_PREVENTIVES and role != PREVENTIVE:
        return f"{name} prevents headaches: record it as headache prevention."
    return ""


# Decisions of the 12-week CGRP antibody review and of botulinum toxin A's.
NOT_YET_DUE = "not_yet_due"
CONTINUE = "continue"
STOP = "stop"
# The response is due but its figure (at 12 weeks; after 2 treatment cycles) is not recorded
# yet, or cannot be judged without the figures before the first dose.
FIGURE_NEEDED = "figure_needed"
BASELINE_NEEDED = "baseline_needed"


class _Reduction:
    """A stopping rule's reduction and the reduction it needs, as percentages."""

    reduction: Fraction | None
    required_reduction: Fraction | None

    @property
    def reduction_percent(self) -> float | None:
        return None if self.reduction is None else float(_as_decimal(self.reduction * 100))

    @property
    def required_percent(self) -> int | None:
        return None if self.required_reduction is None else int(self.required_reduction * 100)


@dataclass(frozen=True)
class StoppingRule(_Reduction):
    """The 12-week CGRP antibody review (clinical-rules.md section 10).

    `decision` is `baseline_needed` while the headache or migraine days a month before starting
    are not recorded (as botulinum toxin A's), else `not_yet_due` before 12 weeks,
    `figure_needed` after them while the migraine days at 12 weeks are not recorded, else
    `continue` or `stop`. `frequency` and `required_reduction` are "" and None while the
    headache days before starting are not recorded. `reduction` is (baseline - month 3) /
    baseline of migraine days a month, exact; None until it can be measured.
    """

    decision: str
    frequency: str  # "chronic" or "episodic", from the baseline headache days
    required_reduction: Fraction | None
    reduction: Fraction | None


def cgrp_stopping_rule(
    *,
    baseline_headache_days,
    baseline_migraine_days,
    month3_migraine_days=None,
    days_on_treatment: int,
) -> StoppingRule:
    """Return the CGRP antibody stopping rule: after 12 weeks continue only if migraine days a
    month fell by at least 50% (episodic baseline) or 30% (chronic baseline: headache days >= 15).

    Either baseline figure may be None (not recorded): the rule cannot be judged without both,
    and says so (`baseline_needed`); from 12 weeks, a month-3 figure not recorded is
    `figure_needed`. Neither is a reason to skip the rule.

    Raises ValueError when a figure is outside 0-31 days a month, migraine days exceed headache
    days at baseline, or the baseline has no migraine days (no reduction can be measured).
    """
    baseline_headache = baseline_migraine = None
    if baseline_headache_days is not None:
        baseline_headache = _days_per_month(baseline_headache_days, "Baseline headache days")
    if baseline_migraine_days is not None:
        baseline_migraine = _days_per_month(baseline_migraine_days, "Baseline migraine days")
    if (
        baseline_headache is not None
        and baseline_migraine is not None
        and baseline_migraine > baseline_headache
    ):
        raise ValueError("Baseline migraine days cannot be more than baseline headache days.")
    if baseline_migraine == 0:
        raise ValueError("Baseline migraine days must be above 0 to measure a reduction.")
    required, frequency = None, ""
    if baseline_headache is not None:
        chronic = baseline_headache >= CHRONIC_HEADACHE_DAYS
        required = CHRONIC_REQUIRED_REDUCTION if chronic else EPISODIC_REQUIRED_REDUCTION
        frequency = "chronic" if chronic else "episodic"
    if required is None or baseline_migraine is None:
        return StoppingRule(BASELINE_NEEDED, frequency, required, None)
    if days_on_treatment < CGRP_ASSESSMENT_DAYS:
        return StoppingRule(NOT_YET_DUE, frequency, required, None)
    if month3_migraine_days is None:
        return StoppingRule(FIGURE_NEEDED, frequency, required, None)
    month3 = unrounded(_days_per_month(month3_migraine_days, "Migraine days at 12 weeks"))
    baseline = unrounded(baseline_migraine)
    reduction = (baseline - month3) / baseline
    return StoppingRule(CONTINUE if reduction >= required else STOP, frequency, required, reduction)


def stopping_rule_prompt(rule: StoppingRule, medicine_name: str) -> Prompt | None:
    """Return the prompt for a due CGRP antibody review, one asking for the figures it needs
    (as botulinum toxin A's: botox_stopping_prompt), or None when not yet due."""
    source = "NICE TA659, TA682, TA764"
    if rule.decision == NOT_YET_DUE:
        return None
    if rule.decision == BASELINE_NEEDED:
        return Prompt(
            code="cgrp_needs_baseline",
            level=INFO,
            title=f"{medicine_name}: record headache and migraine days before starting",
            body=(
                "NICE's stopping rule compares migraine days a month at 12 weeks with those "
                "before starting, and the headache days before starting decide whether they "
                "need to fall by 50% (episodic migraine) or 30% (chronic): record them to "
                "check it."
            ),
            source=source,
        )
    if rule.decision == FIGURE_NEEDED:
        return Prompt(
            code="cgrp_needs_figure",
            level=ACTION,
            title=f"{medicine_name}: record migraine days at 12 weeks",
            body=(
                "12 weeks of treatment have run. Record the migraine days a month at 12 weeks "
                "to check NICE's stopping rule: migraine days need to have fallen by at least "
                f"{rule.required_percent}% from before starting for {rule.frequency} migraine."
            ),
            source=source,
        )
    change = _change("Migraine days", rule.reduction, rule.required_reduction)
    if rule.decision == CONTINUE:
        return Prompt(
            code="cgrp_continue",
            level=INFO,
            title=f"{medicine_name}: continue (12-week response met)",
            body=(
                f"{change}; NICE needs at least "
                f"{rule.required_percent}% for {rule.frequency} migraine."
            ),
            source=source,
        )
    return Prompt(
        code="cgrp_stop",
        level=WARNING,
        title=f"{medicine_name}: stop (12-week response not met)",
        body=(
            f"{change}; NICE needs a fall of at least {rule.required_percent}% "
            f"for {rule.frequency} migraine, so treatment should stop."
        ),
        source=source,
    )


def is_cgrp_for_migraine(*, medicine_class: str, role: str) -> bool:
    """A CGRP antibody to prevent headaches: what the 12-week stopping rule and its figures are
    for (TA659, TA682, TA764)."""
    return medicine_class == CGRP_ANTIBODY and role == PREVENTIVE


def cgrp_figures_problems(
    *,
    outcome: str,
    days_on_treatment: int,
    baseline_headache_days,
    baseline_migraine_days,
    month3_migraine_days,
    name: str,
) -> dict[str, str]:
    """Return what keeps a review from recording the CGRP antibody `name` as carrying on
    (ongoing or effective) once 12 weeks have run, by the figure missing:
    "baseline_headache_days", "baseline_migraine_days" or "month3_migraine_days".

    clinical-rules.md section 10: after 12 weeks the antibody continues only if migraine days
    a month fell by at least 50% (episodic) or 30% (chronic) from before starting, episodic or
    chronic being decided by the headache days before starting. Carrying on without those
    three figures (migraine days before starting above 0) would skip the rule. Empty before 12
    weeks, for an outcome that ends the treatment, or with every figure there."""
    if outcome not in CONTINUING_OUTCOMES or days_on_treatment < CGRP_ASSESSMENT_DAYS:
        return {}
    without = f"so {name} cannot be recorded as ongoing or effective without them"
    problems = {}
    if baseline_headache_days is None:
        problems["baseline_headache_days"] = (
            "Enter the headache days a month before starting. They decide whether NICE's "
            "12-week stopping rule needs migraine days to fall by 50% (episodic migraine) or "
            f"30% (chronic), {without}."
        )
    if baseline_migraine_days is None:
        problems["baseline_migraine_days"] = (
            "Enter the migraine days a month before starting. NICE's 12-week stopping rule "
            f"measures how far they fell, {without}."
        )
    elif baseline_migraine_days == 0:
        problems["baseline_migraine_days"] = (
            "Migraine days a month before starting must be above 0: NICE's 12-week stopping "
            f"rule measures how far they fell, so {name} cannot be recorded as ongoing or "
            "effective from 0."
        )
    if month3_migraine_days is None:
        problems["month3_migraine_days"] = (
            "Enter the migraine days a month at 12 weeks. NICE's stopping rule applies from 12 "
            f"weeks: {name} continues only if they fell by at least 50% (episodic migraine) or "
            f"30% (chronic) from before starting, {without}."
        )
    return problems


def is_botox_for_migraine(*, medicine_class: str, role: str) -> bool:
    """Botulinum toxin A to prevent headaches: what TA260's stopping rules and figures are for."""
    return medicine_class == BOTULINUM_TOXIN and role == PREVENTIVE


BOTOX_BASELINE_ZERO = (
    "Headache days before starting botulinum toxin A must be above 0: NICE's stopping rule "
    "measures how far they fall."
)


def botox_baseline_problem(*, medicine_class: str, role: str, baseline_headache_days) -> str:
    """Why a baseline cannot be recorded for this treatment ("" when it can): 0 headache days
    before botulinum toxin A for headaches leaves no fall to measure."""
    botox = is_botox_for_migraine(medicine_class=medicine_class, role=role)
    return BOTOX_BASELINE_ZERO if botox and baseline_headache_days == 0 else ""


# Why botulinum toxin A should stop.
RESPONSE_NOT_MET = "response_not_met"
NOW_EPISODIC = "now_episodic"


@dataclass(frozen=True)
class BotoxStoppingRule(_Reduction):
    """Botulinum toxin A's stopping rules (NICE TA260; clinical-rules.md section 10).

    `decision` is `stop` when either rule says so; else `baseline_needed` while the headache days
    a month before the first treatment are not recorded, `not_yet_due` before 2 treatment cycles,
    `figure_needed` after them while the headache days after 2 cycles are not recorded, else
    `continue`. `reason` says why it stops (`response_not_met` or `now_episodic`), else "".
    `reduction` is (baseline - after 2 cycles) / baseline of headache days a month, exact; None
    until both are known and the 2 cycles have run. `recent_months` are the last 3 months'
    headache days when they count (all 3 given, all on treatment), else empty.
    """

    decision: str
    reason: str
    reduction: Fraction | None
    recent_months: tuple[Fraction, ...]

    required_reduction = BOTOX_REQUIRED_REDUCTION
    # The 3-month rule's figures, for pages that explain it.
    episodic_below = CHRONIC_HEADACHE_DAYS
    episodic_months = EPISODIC_MONTHS


def botox_stopping_rule(
    *,
    baseline_headache_days,
    days_on_treatment: int,
    cycle2_headache_days=None,
    recent_months_headache_days=(),
) -> BotoxStoppingRule:
    """Return botulinum toxin A's stopping rule (TA260). Stop if headache days a month fell by
    less than 30% from the baseline after 2 treatment cycles (24 weeks), or if each of the last 3
    consecutive months had fewer than 15 headache days (the migraine is now episodic).

    `baseline_headache_days` may be None (not recorded): the 3-month rule still applies, the
    response after 2 cycles cannot be judged. `recent_months_headache_days` holds the headache
    days of each of the last 3 months (all None, or empty, when not recorded); they count only
    once the treatment has run 3 months (90 days), so that all 3 months are on treatment. A
    figure after 2 cycles counts only once the 2 cycles have run.

    Raises ValueError when a figure is outside 0-31 days a month, the baseline has no headache
    days (no reduction can be measured), or the months are not 3 figures given together.
    """
    baseline = None
    if baseline_headache_days is not None:
        baseline = unrounded(_days_per_month(baseline_headache_days, "Baseline headache days"))
        if baseline == 0:
            raise ValueError("Baseline headache days must be above 0 to measure a reduction.")
    given = list(recent_months_headache_days)
    if any(value is not None for value in given) and (
        len(given) != EPISODIC_MONTHS or None in given
    ):
        raise ValueError(
            f"Enter the headache days of each of the last {EPISODIC_MONTHS} months, or none."
        )
    months = tuple(
        _days_per_month(value, f"Headache days in month {number}")
        for number, value in enumerate(given, start=1)
        if value is not None
    )
    if days_on_treatment < EPISODIC_CHECK_DAYS:
        months = ()
    reduction = None
    due = days_on_treatment >= BOTOX_ASSESSMENT_DAYS
    if due and cycle2_headache_days is not None:
        after = unrounded(_days_per_month(cycle2_headache_days, "Headache days after 2 cycles"))
        if baseline is not None:
            reduction = (baseline - after) / baseline
    episodic = bool(months) and all(month < CHRONIC_HEADACHE_DAYS for month in months)
    known = baseline is not None

    def rule(decision: str, reason: str = "") -> BotoxStoppingRule:
        return BotoxStoppingRule(decision, reason, reduction, months)

    if reduction is not None and reduction < BOTOX_REQUIRED_REDUCTION:
        return rule(STOP, RESPONSE_NOT_MET)
    if episodic:
        return rule(STOP, NOW_EPISODIC)
    if reduction is not None:
        return rule(CONTINUE)
    if not known:
        return rule(BASELINE_NEEDED)
    if due:
        return rule(FIGURE_NEEDED)
    return rule(NOT_YET_DUE)


def botox_stopping_prompt(
    rule: BotoxStoppingRule, medicine_name: str, months_recorded_on: date | None = None
) -> Prompt | None:
    """Return the prompt of botulinum toxin A's stopping rule, or None before 2 cycles have run
    (with a baseline recorded) while the migraine is not shown to be episodic.
    `months_recorded_on` is the day the last 3 months' figures were recorded, said beside them."""
    source = "NICE TA260"
    if rule.decision == NOT_YET_DUE:
        return None
    if rule.decision == BASELINE_NEEDED:
        return Prompt(
            code="botox_needs_baseline",
            level=INFO,
            title=f"{medicine_name}: record headache days before the first treatment",
            body=(
                "NICE's stopping rule compares headache days a month after 2 treatment cycles "
                "with those before the first treatment: record them to check it."
            ),
            source=source,
        )
    if rule.decision == FIGURE_NEEDED:
        return Prompt(
            code="botox_needs_figure",
            level=ACTION,
            title=f"{medicine_name}: record headache days after 2 treatment cycles",
            body=(
                "2 treatment cycles have run. Record the headache days a month now to check "
                f"NICE's stopping rule: headache days need to have fallen by at least "
                f"{rule.required_percent}% from before the first treatment."
            ),
            source=source,
        )
    months = ", ".join(f"{float(month):g}" for month in rule.recent_months)
    if months_recorded_on is not None:
        months += f"; the 3 months before {months_recorded_on:%-d %B %Y}"
    if rule.reason == NOW_EPISODIC:
        return Prompt(
            code="botox_stop_episodic",
            level=WARNING,
            title=f"{medicine_name}: stop (no longer chronic migraine)",
            body=(
                f"Headache days were under {CHRONIC_HEADACHE_DAYS} a month for "
                f"{EPISODIC_MONTHS} consecutive months ({months}): the migraine is now episodic, "
                "so NICE says treatment should stop."
            ),
            source=source,
        )
    change = _change("Headache days", rule.reduction, rule.required_reduction)
    if rule.decision == CONTINUE:
        return Prompt(
            code="botox_continue",
            level=INFO,
            title=f"{medicine_name}: continue (response after 2 cycles met)",
            body=(
                f"{change} after 2 treatment cycles; NICE needs at least "
                f"{rule.required_percent}%. Stop if headache days stay under "
                f"{CHRONIC_HEADACHE_DAYS} a month for {EPISODIC_MONTHS} consecutive months."
            ),
            source=source,
        )
    return Prompt(
        code="botox_stop",
        level=WARNING,
        title=f"{medicine_name}: stop (response after 2 cycles not met)",
        body=(
            f"{change} after 2 treatment cycles; NICE needs a fall of at least "
            f"{rule.required_percent}%, so treatment should stop."
        ),
        source=source,
    )
