"""Treatment trials: recording a medicine, reviewing it, and the steps of reducing it."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from careplans import rules
from careplans.models import CarePlan, MedicationReduction, TreatmentTrial
from careplans.models.trials import BOTOX_FIGURES, RECENT_MONTHS
from careplans.selectors.plans import failed_of_class, failed_preventives_of
from careplans.services.errors import (
    CarePlanError,
    NeedsAcknowledgement,
    _check_based_on,
    check_episode_open,
)
from pathway import recent_diary
from pathway.ages import age_in_years
from pathway.audit import record_event
from pathway.models import AuditEvent, Episode, Milestone
from pathway.models.episodes import MilestoneKind
from pathway.services import record_milestone

LONDON = ZoneInfo("Europe/London")


def _moment_on(day: date) -> datetime:
    """Now for today; noon London time for an earlier day (the time of day is not recorded)."""
    if day >= timezone.localdate():
        return timezone.now()
    return datetime.combine(day, time(12), tzinfo=LONDON)


def _check_days(baseline_headache, baseline_migraine, label: str) -> None:
    both = baseline_headache is not None and baseline_migraine is not None
    if both and baseline_migraine > baseline_headache:
        raise CarePlanError(f"{label}: migraine days cannot be more than headache days.")


# Figures that cannot exist until the treatment has run long enough, and a stopping rule would
# read them: (fields, days on treatment, what they are, how long that is).
TIMED_FIGURES = (
    (
        ("month3_headache_days", "month3_migraine_days"),
        rules.CGRP_ASSESSMENT_DAYS,
        "The figures at 12 weeks",
        "12 weeks",
    ),
    (
        ("cycle2_headache_days",),
        rules.BOTOX_ASSESSMENT_DAYS,
        "The headache days after 2 treatment cycles",
        f"{rules.BOTOX_ASSESSMENT_DAYS // 7} weeks",
    ),
    (
        RECENT_MONTHS,
        rules.EPISODIC_CHECK_DAYS,
        f"The headache days of the last {rules.EPISODIC_MONTHS} months",
        f"{rules.EPISODIC_CHECK_DAYS} days",
    ),
)


def figures_not_due(trial: TreatmentTrial, data: dict) -> list[tuple[str, str]]:
    """(field, message) for each figure in `data` given, or changed, before the treatment has
    run long enough for it to exist (TIMED_FIGURES): the stopping rules would read it."""
    found = []
    for names, days, what, how_long in TIMED_FIGURES:
        given = [
            name
            for name in names
            if data.get(name) is not None and data[name] != getattr(trial, name)
        ]
        from_day = trial.started_on + timedelta(days=days)
        if given and timezone.localdate() < from_day:
            them = "them" if len(names) > 1 else "it"
            message = (
                f"{what} can be entered from {from_day:%-d %B %Y}, {how_long} after "
                f"{trial.display_name} started. Leave {them} empty until then."
            )
            found += [(name, message) for name in given]
    return found


def _check_figures_due(trial: TreatmentTrial, data: dict) -> None:
    """Raise CarePlanError for figures given before they can exist (figures_not_due)."""
    if problems := figures_not_due(trial, data):
        raise CarePlanError(problems[0][1])


def _check_botox_figures(trial: TreatmentTrial, data: dict) -> None:
    """Raise CarePlanError for botulinum toxin A's figures given for another medicine (or use),
    or for some of the last 3 months' headache days without the others."""
    if problem := rules.botox_baseline_problem(
        medicine_class=trial.medicine_class,
        role=trial.role,
        baseline_headache_days=data.get("baseline_headache_days"),
    ):
        raise CarePlanError(problem)
    if not trial.is_botox_for_migraine:
        if any(data.get(name) is not None for name in BOTOX_FIGURES):
            raise CarePlanError(
                "Headache days after 2 treatment cycles and in the last 3 months are recorded "
                "for botulinum toxin A to prevent headaches only."
            )
        return
    months = [data.get(name, getattr(trial, name)) for name in RECENT_MONTHS]
    if any(month is None for month in months) and any(month is not None for month in months):
        raise CarePlanError(
            f"Enter the headache days of each of the last {rules.EPISODIC_MONTHS} months, or "
            "leave all of them empty."
        )


def _check_morphine_equivalent(data: dict, code: str) -> None:
    """Raise CarePlanError when `data` gives an oral morphine equivalent for a medicine that is
    not an opioid (only opioids have one: rules.morphine_equivalent_problem)."""
    if data.get("daily_morphine_equivalent_mg") is not None:
        problem = rules.morphine_equivalent_problem(code)
        if problem:
            raise CarePlanError(problem)


def _check_not_recorded(plan: CarePlan, code: str, name: str) -> None:
    """Raise CarePlanError when the plan already has this medicine as a treatment still taken
    (ongoing or working; a form sent twice, or from a second tab): one medicine, one line to
    review and reduce."""
    ongoing = plan.trials.filter(
        entered_in_error=False, outcome__in=sorted(rules.CONTINUING_OUTCOMES), medicine_code=code
    )
    if code == rules.OTHER:
        ongoing = ongoing.filter(medicine_name__iexact=name.strip())
    same = ongoing.order_by("started_on").first()
    if same is not None:
        raise CarePlanError(
            f"{same.display_name} is already recorded as being taken (started "
            f"{same.started_on:%-d %B %Y}). Review or reduce that one instead."
        )


def _check_lower(trial: TreatmentTrial, step: str, equivalent) -> None:
    """Raise CarePlanError when a "dose reduced" step's oral morphine equivalent is higher than
    the one it follows (the latest step's that gives one, else the trial's own): a reduction
    cannot raise the dose."""
    if step != MedicationReduction.Step.REDUCED or equivalent is None:
        return
    given = [
        earlier.daily_morphine_equivalent_mg
        for earlier in trial.reductions.filter(entered_in_error=False).order_by("reduced_on", "id")
        if earlier.daily_morphine_equivalent_mg is not None
    ]
    before = given[-1] if given else trial.daily_morphine_equivalent_mg
    if before is not None and equivalent > before:
        raise CarePlanError(
            f"A reduction cannot raise the dose: the oral morphine equivalent is "
            f"{before:.1f} mg a day now. Check the figure."
        )


def _referral_day(episode: Episode) -> date:
    """The day (London) the episode's referral was received, else the day it was opened."""
    received = (
        Milestone.objects.filter(episode=episode, kind=MilestoneKind.REFERRAL_RECEIVED)
        .values_list("occurred_at", flat=True)
        .first()
    )
    return timezone.localdate(received or episode.opened_at)


def _specialist_warning(plan: CarePlan, data: dict, medicine_class: str, started_on: date):
    """rules.specialist_start_warning for a treatment started on a headache plan, with the
    figures typed before starting or, with none typed, the diary's last 90 days when it covers
    them in full (pathway.recent_diary, as the plan's own prompts read it), and the diary's
    medication overuse."""
    if medicine_class not in rules.SPECIALIST_PREVENTIVES:
        return None
    headache = data.get("baseline_headache_days")
    migraine = data.get("baseline_migraine_days")
    figures_from = "before starting"
    recent = recent_diary.for_patient(plan.patient)
    diary = f"the diary for the 90 days to {recent.end:%-d %B %Y}" if recent else ""
    if recent is not None and recent.complete and headache is None and migraine is None:
        headache = recent.headache_days_per_month
        migraine = recent.migraine_days_per_month
        figures_from = f"in {diary}"
    return rules.specialist_start_warning(
        medicine_class=medicine_class,
        role=data["role"],
        failed_preventives=failed_preventives_of(plan, leaving_out=medicine_class),
        failed_before=failed_of_class(plan, medicine_class),
        age=age_in_years(plan.patient.date_of_birth, started_on),
        baseline_headache_days=headache,
        baseline_migraine_days=migraine,
        figures_from=figures_from,
        overuse=diary if recent is not None and recent.overuse_codes else "",
    )


@transaction.atomic
def add_trial(*, actor, plan: CarePlan, data: dict) -> TreatmentTrial:
    """Record a medicine the patient starts (or already takes) under the plan. Starting one
    writes the episode's `treatment_started` milestone. One that started before the referral is
    recorded as already taken (`already_taking`), and writes no milestone. Returns the trial.

    Without a review date, it is due 12 weeks after the start, or 12 weeks from today for a
    medicine already taken (rules.default_review_due).

    Raises EpisodeEnded once the plan's episode has ended, NeedsAcknowledgement when NICE
    advises against starting it (NG193 or CG150), or recommends it only in cases this is not
    (a CGRP antibody or botulinum toxin A for headaches: rules.specialist_start_warning), and
    the warning was not acknowledged, and
    CarePlanError for a review date before the start or more than 18 months ahead, a start date
    in the future or before the patient was born, a missing name for "other", a medicine the
    plan already has as an ongoing treatment, an oral morphine equivalent for a medicine that
    is not an opioid, or botulinum toxin A for headaches with 0 headache days before it.
    """
    # The plan's row is locked, and its episode read again, before the checks: the same medicine
    # recorded twice at once (the form sent twice, or by a colleague) takes turns, and the
    # second is refused by _check_not_recorded instead of making a second line to review.
    locked = (
        CarePlan.objects.select_for_update(of=("self",)).select_related("episode").get(pk=plan.pk)
    )
    check_episode_open(locked)
    code = data["medicine_code"]
    medicine_class = rules.medicine_class_of(code)
    started_on = data["started_on"]
    today = timezone.localdate()
    if started_on > today:
        raise CarePlanError("The start date must be today or in the past.")
    if started_on < plan.patient.date_of_birth:
        raise CarePlanError("The start date must be after the patient's date of birth.")
    if code == rules.OTHER and not data.get("medicine_name", "").strip():
        raise CarePlanError("Enter the name of the medicine.")
    if code == rules.OTHER and (listed := rules.coded_medicine_named(data["medicine_name"])):
        # One medicine, one name: typed as "other" it would count again as a failed
        # preventive and escape the check for a medicine already taken.
        raise CarePlanError(
            f"{rules.MEDICINES[listed].name} is on the list of medicines: choose it there "
            "instead of typing it."
        )
    if problem := rules.specialist_role_problem(
        condition=plan.episode.condition,
        medicine_class=medicine_class,
        role=data["role"],
        name=rules.MEDICINES[code].name,
    ):
        raise CarePlanError(problem)
    _check_not_recorded(plan, code, data.get("medicine_name", ""))
    _check_morphine_equivalent(data, code)
    # A medicine started before the referral was not started by this pathway: it is one the
    # patient already takes, so it is not the pathway's first treatment (the referral to first
    # treatment wait, DESIGN.md section 3, would otherwise be negative) and NICE's "do not
    # start" advice becomes a prompt to review it. Its review is counted from today, not from
    # a start that may be years back (which made it overdue the day it was recorded).
    already_taking = bool(data.get("already_taking")) or started_on < _referral_day(plan.episode)
    review_due = data.get("review_due") or rules.default_review_due(
        started_on, already_taking=already_taking, today=today
    )
    if review_due < started_on:
        raise CarePlanError("The review date must be on or after the start date.")
    if problem := rules.first_review_problem(review_due, today=today):
        raise CarePlanError(problem)
    _check_days(data.get("baseline_headache_days"), data.get("baseline_migraine_days"), "Baseline")
    if problem := rules.botox_baseline_problem(
        medicine_class=medicine_class,
        role=data["role"],
        baseline_headache_days=data.get("baseline_headache_days"),
    ):
        raise CarePlanError(problem)
    warning = rules.start_warning(condition=plan.episode.condition, medicine_class=medicine_class)
    if warning is None and plan.episode.condition == rules.HEADACHE and not already_taking:
        warning = _specialist_warning(locked, data, medicine_class, started_on)
    # The box acknowledges the warning the form showed: when another is due now (the medicine
    # or its figures changed since), it is shown and acknowledged in its turn.
    shown = data.get("start_warning_shown")
    acknowledged = bool(data.get("start_warning_acknowledged")) and (
        shown is None or (warning is not None and shown == warning.key)
    )
    if warning and not already_taking and not acknowledged:
        raise NeedsAcknowledgement(warning)
    trial = TreatmentTrial.objects.create(
        plan=plan,
        medicine_code=code,
        medicine_name=data.get("medicine_name", "").strip() if code == rules.OTHER else "",
        medicine_class=medicine_class,
        role=data["role"],
        dose=data["dose"],
        started_on=started_on,
        review_due=review_due,
        already_taking=already_taking,
        start_warning_acknowledged=acknowledged and warning is not None,
        daily_morphine_equivalent_mg=data.get("daily_morphine_equivalent_mg"),
        baseline_headache_days=data.get("baseline_headache_days"),
        baseline_migraine_days=data.get("baseline_migraine_days"),
        notes=data.get("notes", ""),
        created_by=actor,
        updated_by=actor,
    )
    record_event(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        patient=plan.patient,
        obj=trial,
        fields=[name for name, value in data.items() if value not in (None, "")],
    )
    if not already_taking:
        started = _moment_on(started_on)
        milestone = record_milestone(
            episode=plan.episode,
            kind=MilestoneKind.TREATMENT_STARTED,
            occurred_at=started,
            actor=actor,
        )
        # Recorded once: a treatment recorded later that started earlier moves it back, so the
        # wait to first treatment ends when treatment first began.
        if milestone.occurred_at > started:
            Milestone.objects.filter(pk=milestone.pk).update(occurred_at=started)
    return trial


@transaction.atomic
def mark_trial_entered_in_error(*, actor, trial: TreatmentTrial) -> TreatmentTrial:
    """Mark a treatment recorded by mistake (the wrong medicine, or the wrong patient) as
    entered in error: it leaves the plan, its printouts, the worklist and the dashboard, and
    stays in the record for the audit. The episode's "treatment started" milestone follows the
    treatments left: it moves to the earliest one the team started, or goes with the last.
    Returns the trial. Raises CarePlanError when it was already marked or the episode ended."""
    trial = (
        TreatmentTrial.objects.select_for_update()
        .select_related("plan__patient", "plan__episode")
        .get(pk=trial.pk)
    )
    check_episode_open(trial.plan)
    if trial.entered_in_error:
        raise CarePlanError("This treatment is already marked as entered in error.")
    trial.entered_in_error = True
    trial.updated_by = actor
    trial.save(update_fields=["entered_in_error", "updated_by", "updated_at"])
    record_event(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        patient=trial.plan.patient,
        obj=trial,
        fields=["entered_in_error"],
    )
    if not trial.already_taking:
        episode = trial.plan.episode
        first = (
            TreatmentTrial.objects.filter(
                plan__episode=episode,
                plan__entered_in_error=False,
                entered_in_error=False,
                already_taking=False,
            )
            .order_by("started_on")
            .values_list("started_on", flat=True)
            .first()
        )
        started = Milestone.objects.filter(episode=episode, kind=MilestoneKind.TREATMENT_STARTED)
        if first is None:
            started.delete()
        else:
            started.update(occurred_at=_moment_on(first))
    return trial


REVIEW_FIELDS = (
    "outcome",
    "adequate_trial",
    "short_trial_confirmed",
    "review_due",
    "review_decision",
    "baseline_headache_days",
    "baseline_migraine_days",
    "month3_headache_days",
    "month3_migraine_days",
    *BOTOX_FIGURES,
    "daily_morphine_equivalent_mg",
    "notes",
)


@transaction.atomic
def review_trial(
    *, actor, trial: TreatmentTrial, data: dict, based_on: datetime | None = None
) -> TreatmentTrial:
    """Record a trial's review: outcome, whether the trial was adequate, the migraine and headache
    days a month before and at 12 weeks (for botulinum toxin A also after 2 treatment cycles and
    in each of the last 3 months), a new review date and the NG193 review decision.
    Returns the trial.

    A change of outcome forgets an earlier answer to whether the trial was adequate unless
    `data` gives one again: the answer is about the outcome it was given with. Likewise a
    change of outcome or of that answer forgets a confirmation that a trial tried for less than
    12 weeks was adequate (`short_trial_confirmed`) unless `data` gives it again; it is kept
    only where it is needed.

    Raises ChangedSinceOpened if the trial was saved after `based_on` (its updated_at when the form
    was opened), and CarePlanError for a next review date in the past or before the start, migraine
    days above headache days, a preventive that did not work without an answer to whether the trial
    was adequate (rules.adequacy_problem), one said to be adequate after less than 12 weeks without
    `short_trial_confirmed` (rules.needs_short_trial_confirmation: the rules name no minimum
    duration, so the app asks for a confirmation rather than refusing), an oral morphine equivalent
    for a medicine that is not an opioid, figures given before the treatment has run long enough for
    them (TIMED_FIGURES), botulinum toxin A's figures for another medicine, or only some of the last
    3 months. Whether a continuing treatment has a date is the form's check
    (rules.next_review_problem): a service call recording only a review decision or figures keeps
    the date it has. So is whether a CGRP antibody carrying on past 12 weeks has the figures its
    stopping rule reads (rules.cgrp_figures_problems): the plan's prompts ask for any still missing
    (selectors.trial_view)."""
    # updated_by is loaded only for the message of a refused save: PostgreSQL cannot lock the
    # nullable side of an outer join.
    trial = (
        TreatmentTrial.objects.select_for_update().select_related("plan__patient").get(pk=trial.pk)
    )
    _check_based_on(trial, based_on, actor=actor, what="treatment")
    check_episode_open(trial.plan)
    given = data.get("review_due")
    if given is not None and given < timezone.localdate():
        raise CarePlanError("The next review date must be today or later.")
    # Left blank, the date stays as it was: the column always holds the last review date set,
    # and a trial that has ended is not reviewed again.
    review_due = given or trial.review_due
    if review_due < trial.started_on:
        raise CarePlanError("The review date must be on or after the start date.")
    data = {name: value for name, value in data.items() if name != "review_due"}
    _check_morphine_equivalent(data, trial.medicine_code)
    _check_days(data.get("baseline_headache_days"), data.get("baseline_migraine_days"), "Baseline")
    _check_days(data.get("month3_headache_days"), data.get("month3_migraine_days"), "At 12 weeks")
    _check_figures_due(trial, data)
    _check_botox_figures(trial, data)
    confirmed_before = trial.short_trial_confirmed
    changed = [
        name for name in REVIEW_FIELDS if name in data and getattr(trial, name) != data[name]
    ]
    for name in changed:
        setattr(trial, name, data[name])
    if review_due != trial.review_due:
        trial.review_due = review_due
        changed.append("review_due")
    if any(name in changed for name in RECENT_MONTHS):
        given = trial.recent_month1_headache_days is not None
        trial.recent_months_recorded_on = timezone.localdate() if given else None
        changed.append("recent_months_recorded_on")
    # The treatment's effectiveness review: its outcome first recorded. The episode's "review
    # held" ends the wait from the treatment's start (DESIGN.md section 3's 84-day target); a
    # medicine already taken before referral had no start in the pathway to wait from.
    effectiveness_review = (
        "outcome" in changed
        and trial.outcome_recorded_at is None
        and not trial.is_ongoing
        and not trial.already_taking
    )
    if "outcome" in changed:
        trial.outcome_recorded_at = None if trial.is_ongoing else timezone.now()
        changed.append("outcome_recorded_at")
        if "adequate_trial" not in data and trial.adequate_trial is not None:
            trial.adequate_trial = None
            changed.append("adequate_trial")
    problem = rules.adequacy_problem(
        role=trial.role,
        outcome=trial.outcome,
        adequate=trial.adequate_trial,
        name=trial.display_name,
    )
    if problem:
        raise CarePlanError(problem)
    _check_short_trial(trial, data, changed, saved=confirmed_before)
    trial.updated_by = actor
    trial.save()
    record_event(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        patient=trial.plan.patient,
        obj=trial,
        fields=changed,
    )
    if effectiveness_review:
        record_milestone(
            episode=trial.plan.episode,
            kind=MilestoneKind.REVIEW_HELD,
            occurred_at=trial.outcome_recorded_at,
            actor=actor,
        )
    return trial


def _check_short_trial(
    trial: TreatmentTrial, data: dict, changed: list[str], *, saved: bool
) -> None:
    """Keep `short_trial_confirmed` only where it is needed, and raise CarePlanError when it is
    needed and not given: a preventive that did not work, said to be an adequate trial though
    tried for less than 12 weeks (rules.needs_short_trial_confirmation). A confirmation is
    about the outcome and answer it was given with: a change of either forgets it unless
    `data` gives it again. `saved` is the confirmation as it was before this review. Updates
    `trial` and `changed` in place."""
    needed = rules.needs_short_trial_confirmation(
        role=trial.role,
        outcome=trial.outcome,
        adequate=trial.adequate_trial,
        days_tried=trial.days_tried,
    )
    if "short_trial_confirmed" in data:
        confirmed = bool(data["short_trial_confirmed"])
    else:
        confirmed = saved and "outcome" not in changed and "adequate_trial" not in changed
    trial.short_trial_confirmed = confirmed and needed
    if "short_trial_confirmed" in changed:
        changed.remove("short_trial_confirmed")
    if trial.short_trial_confirmed != saved:
        changed.append("short_trial_confirmed")
    if needed and not confirmed:
        raise CarePlanError(
            f"{trial.display_name} was tried for {_days_text(trial.days_tried)} before it was "
            f"recorded as not working, less than the {rules.ADEQUATE_TRIAL_DAYS // 7} weeks the "
            "app takes as an adequate trial. Confirm that it was an adequate trial even so, or "
            "answer no."
        )


def _days_text(days: int | None) -> str:
    if days is None:
        return "a time not recorded"
    return f"{days} day{'' if days == 1 else 's'}"


@transaction.atomic
def remove_latest_reduction(*, actor, trial: TreatmentTrial, step_uuid) -> MedicationReduction:
    """Mark the latest step of reducing a medicine as entered in error (a step typed wrongly
    blocks every later one: they are checked against it). A stop removed so gives the medicine
    back the outcome it had before the stop, with the time that was recorded
    (MedicationReduction.outcome_on_removal): ongoing, or effective as reviewed. An outcome
    recorded since the stop stays. With no step left, the review decision the first step made
    "reduce and stop" goes back to what it was (MedicationReduction.decision_before), unless a
    review has changed it since. Returns the step. Raises CarePlanError when `step_uuid` is
    not the latest step (another was recorded or removed since the page was opened) or the
    episode has ended."""
    trial = (
        TreatmentTrial.objects.select_for_update().select_related("plan__patient").get(pk=trial.pk)
    )
    check_episode_open(trial.plan)
    latest = trial.reductions.filter(entered_in_error=False).order_by("-reduced_on", "-id").first()
    if latest is None or str(latest.uuid) != str(step_uuid):
        raise CarePlanError(
            "The steps have changed since the page was opened. Check them below: only the "
            "latest step can be removed."
        )
    latest.entered_in_error = True
    latest.updated_by = actor
    latest.save(update_fields=["entered_in_error", "updated_by", "updated_at"])
    record_event(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        patient=trial.plan.patient,
        obj=latest,
        fields=["entered_in_error"],
    )
    changed = []
    # The stop was what ended it, unless a review has recorded another outcome since.
    if (restored := latest.outcome_on_removal) and trial.outcome == TreatmentTrial.Outcome.STOPPED:
        trial.outcome = restored
        trial.outcome_recorded_at = latest.outcome_recorded_before
        changed += ["outcome", "outcome_recorded_at"]
    # The first step was what decided "reduce and stop", unless a review has changed it since.
    if (
        not trial.reductions.filter(entered_in_error=False).exists()
        and latest.decision_before is not None
        and trial.review_decision == rules.REVIEW_REDUCE
        and latest.decision_before != rules.REVIEW_REDUCE
    ):
        trial.review_decision = latest.decision_before
        changed.append("review_decision")
    if changed:
        trial.updated_by = actor
        trial.save(update_fields=[*changed, "updated_by", "updated_at"])
        record_event(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            patient=trial.plan.patient,
            obj=trial,
            fields=changed,
        )
    return latest


@transaction.atomic
def record_reduction(*, actor, trial: TreatmentTrial, data: dict) -> MedicationReduction:
    """Record one step of reducing a medicine; a "stopped" step ends the trial as stopped and
    marks the NG193 review as "reduce". Returns the step. Raises CarePlanError if the trial has
    ended, the date is in the future, before the trial started or before the latest step, or
    an oral morphine
    equivalent is given for a medicine that is not an opioid or is higher than the one before
    (_check_lower)."""
    trial = (
        TreatmentTrial.objects.select_for_update().select_related("plan__patient").get(pk=trial.pk)
    )
    check_episode_open(trial.plan)
    if not trial.carries_on:  # ongoing or working: a medicine still taken can be reduced
        raise CarePlanError("This medicine has already stopped.")
    reduced_on = data["reduced_on"]
    if reduced_on > timezone.localdate():
        raise CarePlanError("The date must be today or in the past.")
    if reduced_on < trial.started_on:
        raise CarePlanError("The date must be on or after the day the medicine started.")
    # Steps follow one another: one dated before the latest would rewrite the history the
    # latest was checked against (a stop before the dose last recorded, a lower dose before a
    # higher one).
    latest = trial.reductions.filter(entered_in_error=False).order_by("-reduced_on", "-id").first()
    if latest is not None and reduced_on < latest.reduced_on:
        raise CarePlanError(
            f"The date must be on or after the last step recorded, on "
            f"{latest.reduced_on:%-d %B %Y}."
        )
    step = data["step"]
    if step == MedicationReduction.Step.REDUCED and not data.get("dose", "").strip():
        raise CarePlanError("Enter the new dose.")
    _check_morphine_equivalent(data, trial.medicine_code)
    _check_lower(trial, step, data.get("daily_morphine_equivalent_mg"))
    stopped = step == MedicationReduction.Step.STOPPED
    reduction = MedicationReduction.objects.create(
        trial=trial,
        medicine_class=trial.medicine_class,
        step=step,
        reduced_on=reduced_on,
        dose=data.get("dose", "").strip(),
        daily_morphine_equivalent_mg=data.get("daily_morphine_equivalent_mg"),
        # What the stop ends, given back if it is removed as entered in error.
        outcome_before=trial.outcome if stopped else "",
        outcome_recorded_before=trial.outcome_recorded_at if stopped else None,
        decision_before=trial.review_decision,
        created_by=actor,
        updated_by=actor,
    )
    trial_fields = ["review_decision"]
    trial.review_decision = rules.REVIEW_REDUCE
    if stopped:
        trial.outcome = TreatmentTrial.Outcome.STOPPED
        trial.outcome_recorded_at = timezone.now()
        trial_fields += ["outcome", "outcome_recorded_at"]
    trial.updated_by = actor
    trial.save()
    record_event(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        patient=trial.plan.patient,
        obj=reduction,
        fields=[
            *data,
            *(["outcome_before", "outcome_recorded_before"] if stopped else []),
            "decision_before",
        ],
    )
    record_event(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        patient=trial.plan.patient,
        obj=trial,
        fields=trial_fields,
    )
    return reduction
