"""Care plans, their versions and treatment trials, read with everything a page needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from careplans import printing, rules
from careplans.models import (
    AcuteTreatment,
    CarePlan,
    CarePlanLeaflet,
    CarePlanVersion,
    Document,
    Goal,
    MedicationReduction,
    Responsibility,
    SelfManagementItem,
    SupportItem,
    TreatmentTrial,
)
from careplans.models.trials import RECENT_MONTHS
from pathway import tried_before
from pathway.ages import age_in_years
from pathway.care_teams import care_team_contacts
from pathway.models.episodes import OPEN_STATUSES as OPEN_EPISODE_STATUSES
from pathway.models.episodes import EpisodeStatus

VERSION_ITEMS = (
    "goals",
    "self_management",
    "support_items",
    "responsibilities",
    "acute_treatments",
)


@dataclass
class AcuteLine:
    item: AcuteTreatment
    limit: rules.AcuteLimit
    sentence: str
    # NICE's advice against the medicine for the plan's condition (CG150: no opioids for
    # headache), for the team's eyes; None when there is none.
    warning: rules.Prompt | None = None


@dataclass
class VersionView:
    """A version with its rows loaded and its goal scores computed."""

    version: CarePlanVersion
    goals: list[Goal]
    self_management: list[SelfManagementItem]
    support_items: list[SupportItem]
    responsibilities: list[Responsibility]
    acute: list[AcuteLine]
    scores: rules.GoalScores | None
    # The limit for the medicines for attacks taken together ("" for fewer than two).
    acute_together: str = ""

    @property
    def review_due(self) -> bool:
        """Whether the agreed version's next review date has passed: the plan is due its review.
        A superseded or draft version's date is history, never due."""
        version = self.version
        return (
            version.status == version.Status.AGREED
            and version.next_review_on is not None
            and version.next_review_on < timezone.localdate()
        )

    @property
    def mental_health(self) -> list[SupportItem]:
        kinds = {SupportItem.Kind.MENTAL_HEALTH, SupportItem.Kind.WELLBEING}
        return [s for s in self.support_items if s.kind in kinds]

    @property
    def community(self) -> list[SupportItem]:
        kinds = {SupportItem.Kind.MENTAL_HEALTH, SupportItem.Kind.WELLBEING}
        return [s for s in self.support_items if s.kind not in kinds]


@dataclass
class TrialView:
    trial: TreatmentTrial
    reductions: list[MedicationReduction]
    overdue: bool
    prompts: list[rules.Prompt]
    stopping_rule: rules.StoppingRule | None = None
    botox_rule: rules.BotoxStoppingRule | None = None
    # Why a preventive that did not work is not counted as failed (empty when it is, or when
    # the outcome is another).
    outcome_note: str = ""

    @property
    def latest_reduction(self) -> MedicationReduction | None:
        return self.reductions[-1] if self.reductions else None

    @property
    def botox_check_from(self) -> date:
        """The day botulinum toxin A's 2 treatment cycles have run (TA260's response check)."""
        return self.trial.started_on + timedelta(days=rules.BOTOX_ASSESSMENT_DAYS)


@dataclass
class PlanView:
    plan: CarePlan
    versions: list[CarePlanVersion]
    current: VersionView | None
    draft: CarePlanVersion | None
    trials: list[TrialView]
    leaflets: list[CarePlanLeaflet]
    prompts: list[rules.Prompt] = field(default_factory=list)
    failed_preventives: int = 0
    figures: DiaryFigures | None = None
    document: Document | None = None
    # What the episode's other records say was tried before (pathway.tried_before), for a
    # headache plan; of them, how many contraindicated medicines `failed_preventives` counts.
    tried_before: list = field(default_factory=list)
    contraindicated_before: int = 0

    @property
    def condition(self) -> str:
        return self.plan.episode.condition


@dataclass(frozen=True)
class DiaryFigures:
    """Migraine and headache days a month used by the prompts, and where they came from.

    `source` finishes a sentence ("from the diary, 90 days to 4 December 2026", "at 12 weeks on
    Topiramate, about 4 December 2026"). Either figure may be None (botulinum toxin A's
    figures are headache days only). `from_diary` is False for figures
    copied from a treatment record: those describe the patient at that time, not now, and the
    page says so."""

    migraine_days_per_month: float | None
    headache_days_per_month: float | None
    source: str
    from_diary: bool = True


def version_prefetches(prefix: str = "") -> list[Prefetch]:
    return [Prefetch(f"{prefix}{name}") for name in VERSION_ITEMS]


def version_view(version: CarePlanVersion) -> VersionView:
    """Return the version's rows (prefetched by the caller, or loaded here) and goal scores."""
    goals = list(version.goals.all())
    condition = version.plan.episode.condition
    acute = [
        AcuteLine(
            item=item,
            limit=rules.acute_limit(item.medication_class),
            sentence=rules.acute_limit_sentence(item.medication_class, condition=condition),
            warning=rules.start_warning(condition=condition, medicine_class=item.medication_class),
        )
        for item in version.acute_treatments.all()
    ]
    return VersionView(
        version=version,
        goals=goals,
        self_management=list(version.self_management.all()),
        support_items=list(version.support_items.all()),
        responsibilities=list(version.responsibilities.all()),
        acute=acute,
        acute_together=rules.acute_together_sentence(
            [line.item.medication_class for line in acute], condition=condition
        ),
        scores=rules.goal_scores(
            [g.baseline for g in goals], [g.target for g in goals], [g.current for g in goals]
        ),
    )


def load_version(version_uuid, *, patients: QuerySet) -> CarePlanVersion:
    """Return the version with its plan, patient and rows loaded, if its patient is in
    `patients`. Raises CarePlanVersion.DoesNotExist otherwise (views turn it into 404)."""
    return (
        CarePlanVersion.objects.select_related(
            "plan__patient__registered_practice", "plan__episode", "agreed_by"
        )
        .prefetch_related(*version_prefetches())
        .get(uuid=version_uuid, plan__patient__in=patients, plan__entered_in_error=False)
    )


def previous_version(version: CarePlanVersion) -> CarePlanVersion | None:
    """Return the version numbered just before this one, with its rows, or None for version 1."""
    return (
        CarePlanVersion.objects.filter(plan_id=version.plan_id, number__lt=version.number)
        .prefetch_related(*version_prefetches())
        .order_by("-number")
        .first()
    )


def _trial_facts(trial: TreatmentTrial) -> rules.TrialFacts:
    return rules.TrialFacts(
        medicine=rules.medicine_key(trial.medicine_code, trial.medicine_name),
        medicine_class=trial.medicine_class,
        role=trial.role,
        outcome=trial.outcome,
        adequate=trial.adequate_trial,
        days_tried=trial.days_tried,
        short_trial_confirmed=trial.short_trial_confirmed,
    )


def failed_preventives_of(plan: CarePlan, *, leaving_out: str = "") -> int:
    """How many preventives have failed on `plan`, as its prompts count them (plan_prompts):
    its treatments' failed preventives, and the medicines its referral names as contraindicated
    that no treatment records (rules.contraindicated_before); without those of the medicine
    class `leaving_out`, when given. Two queries."""

    def kept(code: str) -> bool:
        return rules.medicine_class_of(code) != leaving_out

    trials = [t for t in plan.trials.filter(entered_in_error=False) if kept(t.medicine_code)]
    facts = [_trial_facts(t) for t in trials]
    before = tried_before.for_episodes([plan.episode]).get(plan.episode_id, [])
    names = [
        row.medicine
        for row in before
        if row.contraindicated and kept(rules.coded_medicine_named(row.medicine) or rules.OTHER)
    ]
    return rules.failed_preventive_count(facts) + rules.contraindicated_before(names, facts)


def _failed_names(trials, medicine_class: str) -> tuple[str, ...]:
    """The names of `trials` of `medicine_class` that failed, as the plan's prompts read them:
    botulinum toxin A found not to work or not tolerated, anything else counted as a failed
    preventive (rules.is_failed_preventive). No query."""

    def failed(trial: TreatmentTrial) -> bool:
        if medicine_class == rules.BOTULINUM_TOXIN:
            return trial.outcome in (
                TreatmentTrial.Outcome.INEFFECTIVE,
                TreatmentTrial.Outcome.NOT_TOLERATED,
            )
        return rules.is_failed_preventive(_trial_facts(trial))

    return tuple(
        dict.fromkeys(
            t.display_name for t in trials if t.medicine_class == medicine_class and failed(t)
        )
    )


def failed_of_class(plan: CarePlan, medicine_class: str) -> tuple[str, ...]:
    """The names of `plan`'s treatments of `medicine_class` that have failed, as its prompts
    read them (_failed_names). One query."""
    return _failed_names(
        plan.trials.filter(entered_in_error=False, medicine_class=medicine_class), medicine_class
    )


def diary_figures_from_trials(trials: list[TreatmentTrial]) -> DiaryFigures | None:
    """Return the most recent migraine and headache days a month recorded on a trial, by the
    time they describe: before it started, at 12 weeks, and for botulinum toxin A after 2
    treatment cycles and in the last 3 months (headache days only). None when nothing is
    recorded.

    These are what the patient had on (or before) that medicine, as entered by the care team,
    so the result is marked as not from the diary; a caller that can read the diary passes
    its own figures to plans_for_patient instead."""
    candidates = []
    for trial in trials:
        name, started = trial.display_name, trial.started_on
        at_12_weeks = started + timedelta(days=rules.CGRP_ASSESSMENT_DAYS)
        after_2_cycles = started + timedelta(days=rules.BOTOX_ASSESSMENT_DAYS)
        months = [getattr(trial, field) for field in RECENT_MONTHS]
        recorded = [
            (
                started,
                trial.baseline_migraine_days,
                trial.baseline_headache_days,
                f"before starting {name} on {started:%-d %B %Y}",
            ),
            (
                at_12_weeks,
                trial.month3_migraine_days,
                trial.month3_headache_days,
                f"at 12 weeks on {name}, about {at_12_weeks:%-d %B %Y}",
            ),
        ]
        if trial.is_botox_for_migraine:
            recorded.append(
                (
                    after_2_cycles,
                    None,
                    trial.cycle2_headache_days,
                    f"after 2 treatment cycles of {name}, about {after_2_cycles:%-d %B %Y}",
                )
            )
            if trial.recent_months_recorded_on and None not in months:
                recorded.append(
                    (
                        trial.recent_months_recorded_on,
                        None,
                        sum(months) / len(months),
                        f"on {name} in the 3 months to {trial.recent_months_recorded_on:%-d %B %Y}",
                    )
                )
        candidates += [
            figures
            for figures in recorded
            if figures[1] is not None or (figures[2] is not None and trial.is_botox_for_migraine)
        ]
    # The latest migraine figure and the latest headache figure, each with where it came from:
    # botulinum toxin A's later figures are headache days only.
    with_migraine = [c for c in candidates if c[1] is not None]
    with_headache = [c for c in candidates if c[2] is not None]
    migraine = max(with_migraine, key=lambda c: c[0]) if with_migraine else None
    headache = max(with_headache, key=lambda c: c[0]) if with_headache else None
    if migraine is None and headache is None:
        return None
    if headache is None or (migraine is not None and headache[0] <= migraine[0]):
        _, migraine_days, headache_days, source = migraine
    else:
        headache_days, source = headache[2], headache[3]
        migraine_days = None
        if migraine is not None:
            migraine_days = migraine[1]
            source = f"migraine days {migraine[3]}; headache days {headache[3]}"
    return DiaryFigures(
        migraine_days_per_month=None if migraine_days is None else float(migraine_days),
        headache_days_per_month=None if headache_days is None else float(headache_days),
        source=source,
        from_diary=False,
    )


def could_become_pregnant(patient, today: date) -> bool:
    """Whether the patient could become pregnant today, as the app reads it
    (rules.could_become_pregnant: female, aged 12 to 55); never once they have died."""
    if patient.date_of_death is not None:
        return False
    return rules.could_become_pregnant(
        sex=patient.sex, age=age_in_years(patient.date_of_birth, today)
    )


def trial_view(
    trial: TreatmentTrial, condition: str, today: date, *, could_be_pregnant: bool = False
) -> TrialView:
    """The trial with its prompts for the care team. `could_be_pregnant`
    (could_become_pregnant) adds the MHRA's pregnancy prevention warning beside topiramate or
    valproate while it is taken."""
    prompts = []
    stopping = botox = None
    # A medicine already taken at referral is reviewed (NG193, CG150) for as long as it is
    # taken, working or not yet judged; the warning on starting one, only while it is new.
    if trial.carries_on and trial.already_taking:
        review = rules.existing_medicine_review(
            condition=condition,
            medicine_class=trial.medicine_class,
            medicine_name=trial.display_name,
            review_decision=trial.review_decision,
        )
        if review:
            prompts.append(review)
    elif (
        trial.is_ongoing
        and not trial.already_taking
        and (
            warning := rules.start_warning(condition=condition, medicine_class=trial.medicine_class)
        )
    ):
        prompts.append(warning)
    # The stopping rules apply while the medicine is taken: ongoing, or recorded as working.
    if trial.carries_on:
        programme = rules.pregnancy_prevention_medicine(trial.medicine_code, trial.medicine_name)
        if programme and could_be_pregnant:
            prompts.append(rules.pregnancy_prevention_warning(programme))
        stopping = _cgrp_rule(trial, today)
        if stopping and (prompt := rules.stopping_rule_prompt(stopping, trial.display_name)):
            prompts.append(prompt)
        botox = _botox_rule(trial, today)
        if botox and (
            prompt := rules.botox_stopping_prompt(
                botox, trial.display_name, trial.recent_months_recorded_on
            )
        ):
            prompts.append(prompt)
    return TrialView(
        trial=trial,
        reductions=[r for r in trial.reductions.all() if not r.entered_in_error],
        overdue=trial.carries_on and trial.review_due < today,
        prompts=prompts,
        stopping_rule=stopping,
        botox_rule=botox,
        outcome_note=_outcome_note(trial),
    )


def _cgrp_rule(trial: TreatmentTrial, today: date) -> rules.StoppingRule | None:
    """A CGRP antibody's 12-week stopping rule (TA659, TA682, TA764) for a trial to prevent
    headaches; None for another medicine or use. A figure missing asks for itself
    (`baseline_needed`, `figure_needed`) instead of leaving the rule unapplied; a baseline of 0
    migraine days is taken as not recorded, as botulinum toxin A's: no fall can be measured
    from it."""
    if not trial.is_cgrp_for_migraine:
        return None
    return rules.cgrp_stopping_rule(
        baseline_headache_days=trial.baseline_headache_days,
        baseline_migraine_days=trial.baseline_migraine_days or None,
        month3_migraine_days=trial.month3_migraine_days,
        days_on_treatment=(today - trial.started_on).days,
    )


def _botox_rule(trial: TreatmentTrial, today: date) -> rules.BotoxStoppingRule | None:
    """Botulinum toxin A's stopping rules (TA260, for chronic migraine) for a trial to prevent
    headaches; None for another medicine or use. A baseline of 0 headache days is taken as not
    recorded: no fall can be measured from it."""
    if not trial.is_botox_for_migraine:
        return None
    return rules.botox_stopping_rule(
        baseline_headache_days=trial.baseline_headache_days or None,
        days_on_treatment=(today - trial.started_on).days,
        cycle2_headache_days=trial.cycle2_headache_days,
        recent_months_headache_days=[getattr(trial, name) for name in RECENT_MONTHS],
    )


def _outcome_note(trial: TreatmentTrial) -> str:
    if not rules.asks_adequacy(role=trial.role, outcome=trial.outcome):
        return ""
    if trial.adequate_trial is False:
        return "Not an adequate trial, so not counted as a failed preventive."
    if trial.adequate_trial is None:
        return "Not said whether it was an adequate trial, so not counted as a failed preventive."
    days = trial.days_tried
    if not rules.is_short_trial(days):
        return ""
    weeks = rules.ADEQUATE_TRIAL_DAYS // 7
    tried = (
        "for a time not recorded" if days is None else f"for {days} day{'' if days == 1 else 's'}"
    )
    if trial.short_trial_confirmed:
        return (
            f"Tried {tried}, less than {weeks} weeks: counted as a failed preventive because "
            "the clinician confirmed it was an adequate trial."
        )
    # A "yes" recorded before a short trial had to be confirmed.
    return (
        f"Said to be an adequate trial, but tried {tried}, less than {weeks} weeks, and not "
        "confirmed: not counted as a failed preventive. Review it to confirm or correct."
    )


def plan_prompts(
    trials: list[TreatmentTrial],
    *,
    condition: str,
    figures: DiaryFigures | None,
    contraindicated: int = 0,
) -> tuple[int, list[rules.Prompt]]:
    """Return (failed preventive count, plan-level prompts) from the plan's trials, the number
    of preventives recorded elsewhere as contraindicated and not among them
    (rules.contraindicated_before), and the diary figures. A later integration can pass
    figures computed from the diary itself."""
    failed = rules.failed_preventive_count(_trial_facts(t) for t in trials) + contraindicated
    if condition != rules.HEADACHE:
        return failed, []
    ongoing = {t.medicine_class for t in trials if t.carries_on}
    # Botulinum toxin A that failed is not suggested again, nor a CGRP antibody after one
    # failed (rules.cgrp_prompt).
    botox_failed = bool(_failed_names(trials, rules.BOTULINUM_TOXIN))
    failed_cgrp = _failed_names(trials, rules.CGRP_ANTIBODY)
    migraine = figures.migraine_days_per_month if figures else None
    headache = figures.headache_days_per_month if figures else None
    prompts = [
        rules.cgrp_prompt(
            failed_preventives=failed,
            migraine_days_per_month=migraine,
            on_cgrp_antibody=rules.CGRP_ANTIBODY in ongoing,
            failed_cgrp=failed_cgrp,
        ),
        rules.botox_prompt(
            failed_preventives=failed,
            headache_days_per_month=headache,
            migraine_days_per_month=migraine,
            on_botulinum_toxin=rules.BOTULINUM_TOXIN in ongoing or botox_failed,
        ),
    ]
    return failed, [p for p in prompts if p is not None]


def plans_for_patient(
    patient, *, figures: DiaryFigures | None = None, agreed_only: bool = False
) -> list[PlanView]:
    """Return the patient's live plans, oldest first, with versions, the current agreed version's
    rows, trials (with reductions and prompts), attached leaflets and the PDF that prints the
    current version and trials as they are now (None if no such PDF was asked for yet).

    `figures` overrides the migraine and headache days taken from trial records (for callers that
    can read the diary). With `agreed_only`, plans without an agreed version are left out (the
    patient's view). A fixed number of queries whatever the number of plans, versions or trials.
    """
    today = timezone.localdate()
    plans = list(
        CarePlan.objects.filter(patient=patient, entered_in_error=False)
        .select_related("episode")
        .prefetch_related(
            Prefetch(
                "versions",
                queryset=CarePlanVersion.objects.select_related("agreed_by").order_by("-number"),
            ),
            Prefetch(
                "trials",
                queryset=TreatmentTrial.objects.filter(entered_in_error=False)
                .order_by("-started_on", "-id")  # as printed_trials: the PDF's order
                .prefetch_related(reductions_oldest_first()),
            ),
            Prefetch(
                "leaflet_links",
                # A leaflet withdrawn from the library is not offered from the plan either:
                # its pages are gone, and publishing it again brings the link back.
                queryset=CarePlanLeaflet.objects.filter(
                    removed_at__isnull=True, leaflet__is_published=True
                ).select_related("leaflet"),
            ),
        )
    )
    agreed_ids = [
        v.id for plan in plans for v in plan.versions.all() if v.status == v.Status.AGREED
    ]
    current = {
        v.plan_id: v
        for v in CarePlanVersion.objects.filter(id__in=agreed_ids)
        .select_related("agreed_by")
        .prefetch_related(*version_prefetches())
    }
    # The PDF offered is the one printing what the page shows now: keyed by the fingerprint of
    # the current version and the plan's treatments as they are, so a copy made before a
    # treatment changed is not offered (it stays stored, for the record).
    printed: dict[int, tuple[VersionView, str]] = {}
    teams = list(care_team_contacts(patient)) if current else []
    for plan in plans:
        if (agreed := current.get(plan.id)) is not None:
            agreed.plan = plan  # loaded above with its episode, which the PDF names
            view = version_view(agreed)
            printed[plan.id] = (
                view,
                printing.careplan_fingerprint(
                    patient=patient,
                    view=view,
                    trials=list(plan.trials.all()),
                    leaflets=printing.plan_leaflets(plan.leaflet_links),
                    teams=teams,
                ),
            )
    documents = {
        d.content_hash: d
        for d in Document.objects.filter(
            patient=patient,
            kind=Document.Kind.CAREPLAN,
            content_hash__in=[key for _, key in printed.values()],
        ).defer("html", "pdf")
    }
    # What the referral says was tried before: shown beside the treatments, and preventives
    # contraindicated there counted as failed (one query for every headache plan).
    tried = tried_before.for_episodes(
        [plan.episode for plan in plans if plan.episode.condition == rules.HEADACHE]
    )
    pregnancy = could_become_pregnant(patient, today)
    views = []
    for plan in plans:
        versions = list(plan.versions.all())
        agreed_view, key = printed.get(plan.id, (None, ""))
        if agreed_only and agreed_view is None:
            continue
        trials = list(plan.trials.all())
        condition = plan.episode.condition
        plan_figures = figures or diary_figures_from_trials(trials)
        before = tried.get(plan.episode_id, [])
        contraindicated = rules.contraindicated_before(
            [row.medicine for row in before if row.contraindicated],
            [_trial_facts(t) for t in trials],
        )
        failed, prompts = plan_prompts(
            trials, condition=condition, figures=plan_figures, contraindicated=contraindicated
        )
        views.append(
            PlanView(
                plan=plan,
                versions=versions,
                current=agreed_view,
                draft=next((v for v in versions if v.is_draft), None),
                trials=[
                    trial_view(t, condition, today, could_be_pregnant=pregnancy) for t in trials
                ],
                leaflets=list(plan.leaflet_links.all()),
                prompts=prompts,
                failed_preventives=failed,
                figures=plan_figures,
                document=documents.get(key),
                tried_before=before,
                contraindicated_before=contraindicated,
            )
        )
    return views


def printed_trials(plan: CarePlan) -> list[TreatmentTrial]:
    """The plan's live treatments as the care plan PDF lists them, newest first (the order and
    rows plans_for_patient prefetches, so both give the same fingerprint)."""
    return list(
        plan.trials.filter(entered_in_error=False)
        .order_by("-started_on", "-id")
        .prefetch_related(reductions_oldest_first())
    )


def reductions_oldest_first() -> Prefetch:
    """A trial's reduction steps in the order TreatmentTrial.current_dose reads them."""
    return Prefetch("reductions", queryset=MedicationReduction.objects.order_by("reduced_on", "id"))


def reduction_steps(trial: TreatmentTrial) -> list[MedicationReduction]:
    """A trial's steps of reducing, oldest first, without those entered in error."""
    return list(trial.reductions.filter(entered_in_error=False).order_by("reduced_on", "id"))


def plan_for(patients: QuerySet, plan_uuid) -> CarePlan:
    """Return a live plan whose patient is in `patients`. Raises CarePlan.DoesNotExist."""
    return CarePlan.objects.select_related("patient", "episode").get(
        uuid=plan_uuid, patient__in=patients, entered_in_error=False
    )


def trial_for(patients: QuerySet, trial_uuid) -> TreatmentTrial:
    """Return a live trial whose patient is in `patients`. Raises TreatmentTrial.DoesNotExist."""
    return TreatmentTrial.objects.select_related(
        "plan__patient__registered_practice", "plan__episode"
    ).get(
        uuid=trial_uuid,
        plan__patient__in=patients,
        plan__entered_in_error=False,
        entered_in_error=False,
    )


def trials_past_review(patients: QuerySet, *, today: date | None = None) -> QuerySet:
    """Trials of medicines still taken (ongoing, or recorded as working) whose review date has
    passed, oldest first: the "prescribe and forget" guard for the worklist. Served by the
    partial index careplans_trial_taken_rev_idx."""
    today = today or timezone.localdate()
    return (
        TreatmentTrial.objects.filter(
            outcome__in=sorted(rules.CONTINUING_OUTCOMES),
            entered_in_error=False,
            review_due__lt=today,
            plan__entered_in_error=False,
            # A plan whose episode has ended has been handed back (the discharge letter lists
            # what is still taken): nothing left for the team to review, nor a form to do it.
            plan__episode__status__in=OPEN_EPISODE_STATUSES,
            plan__patient__in=patients,
        )
        .select_related("plan__patient")
        .order_by("review_due", "id")
    )


def plan_reviews_past_due(patients: QuerySet, *, today: date | None = None) -> QuerySet:
    """Agreed (current) plan versions whose next review date has passed, on plans of open
    episodes, oldest first: the plan says its review is overdue (and tells the patient the
    team will be in touch) until a new version sets the next one."""
    today = today or timezone.localdate()
    return (
        CarePlanVersion.objects.filter(
            status=CarePlanVersion.Status.AGREED,
            next_review_on__lt=today,
            plan__entered_in_error=False,
            plan__episode__status__in=OPEN_EPISODE_STATUSES,
            plan__patient__in=patients,
        )
        .select_related("plan__patient")
        .order_by("next_review_on", "id")
    )


def versions_changed_since(moment) -> QuerySet[CarePlanVersion]:
    """Plan versions saved at or after `moment` (agreeing a new version supersedes the one a
    kept worklist scan found past its review date)."""
    return CarePlanVersion.objects.filter(updated_at__gte=moment)


def trials_changed_since(moment) -> QuerySet[TreatmentTrial]:
    """Treatment trials saved at or after `moment` (a kept worklist scan of trials past review
    may no longer hold for their patients)."""
    return TreatmentTrial.objects.filter(updated_at__gte=moment)


def plans_changed_since(moment) -> QuerySet[CarePlan]:
    """Care plans saved at or after `moment` (withdrawing a plan ends its trials' reviews)."""
    return CarePlan.objects.filter(updated_at__gte=moment)


def deprescribing_counts(patients: QuerySet) -> dict[str, int]:
    """Patients (of `patients`) on an opioid or gabapentinoid at baseline, and now.

    Baseline: such a medicine the patient already took before their plan (`already_taking`,
    which the trial service sets for one started before the referral), whatever became of it;
    one the care team started is not baseline. Now: one that carries on (ongoing, or reviewed
    as effective). Two aggregate counts in one query, for the commissioner dashboard
    (DESIGN.md section 7).
    """
    classes = [rules.OPIOID, rules.GABAPENTINOID]
    trials = Q(
        care_plans__trials__medicine_class__in=classes,
        care_plans__trials__entered_in_error=False,
        care_plans__entered_in_error=False,
    )
    return patients.aggregate(
        baseline=Count(
            "id", filter=trials & Q(care_plans__trials__already_taking=True), distinct=True
        ),
        now=Count(
            "id",
            filter=trials & Q(care_plans__trials__outcome__in=rules.CONTINUING_OUTCOMES),
            distinct=True,
        ),
    )


def help_for(patient) -> str:
    """Whose warning signs the patient's "When to get help" box gives: their pathway's
    ("headache" or "chronic_pain"), or "" for both (on both pathways, or not referred yet)."""
    conditions = set(
        patient.episodes.exclude(status=EpisodeStatus.ENTERED_IN_ERROR).values_list(
            "condition", flat=True
        )
    )
    return conditions.pop() if len(conditions) == 1 else ""
