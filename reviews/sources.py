"""What the reviews app reads from the diaries, care plans and referrals apps.

One small adapter per need, so the worklist, the review page and the planners depend on a few
named selectors only, and a change in those apps is fixed here. Selectors relied on:

* `referrals.selectors.awaiting_triage_of(patients)`: submitted referrals awaiting triage.
* `diaries.selectors.patients_with_diary_flags(patients, today=)`: patients annotated with
  `diary_medication_overuse`, `diary_chronic_headache`, `diary_chronic_migraine`.
* `diaries.selectors.diary_window(patient, end=, length=)`: the review page's diary summary.
* `diaries.selectors.patients_without_entry(patients, day=)`: the diary nudge's "not yet
  recorded today".
* `careplans.selectors.trials_past_review(patients, today=)`: trials of medicines still taken
  past their review date.
* `careplans.selectors.trials_changed_since(moment)`, `plans_changed_since(moment)` and
  `diaries.selectors.entries_changed_since(moment)`: trials, plans and diary records saved after
  the worklist's kept scan.
* `careplans.selectors.plans_for_patient(patient)`: the current agreed plan and its trials.
* `referrals.selectors.referrals_for_patient(patient)`: the red flags the referrer ticked, for
  the review page.
* `referrals.selectors.first_contact_due(episode_ids)`: the first-contact target a first
  conversation is booked against.

Each adapter returns plain values defined here, never another app's model instances' internals
beyond what it names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Exists, OuterRef, QuerySet
from django.template.defaultfilters import floatformat
from django.urls import NoReverseMatch, reverse

from careplans import selectors as careplan_selectors
from diaries import rules as diary_rules
from diaries import selectors as diary_selectors
from diaries import wording as diary_wording
from pathway.models import Episode, Patient
from referrals import rules as referral_rules
from referrals import selectors as referral_selectors

# The longest diary period the review page summarises (a year between annual reviews, plus
# some slack for late reviews).
MAX_DIARY_DAYS = 400


def _reason(code, detail, since, url=""):
    # Imported here: the worklist imports this module.
    from reviews.worklist import Reason

    return Reason(code, detail, since, url)


def _url(name: str, **kwargs) -> str:
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return ""


# Worklist sources: lists of (patient id, Reason), one query each; red-flag referrals are a
# query the worklist joins to its other live sources.


def red_flag_referrals(patients: QuerySet[Patient]) -> QuerySet:
    """Referrals of `patients` (a scope the user may see) with a red flag (emergency or urgent
    tier) still waiting for triage, unordered: the worklist asks for them with its other live
    reasons in one query, and builds each reason with `red_flag_reason`."""
    return (
        referral_selectors.awaiting_triage_of(patients)
        .filter(urgency__in=[referral_rules.EMERGENCY, referral_rules.URGENT])
        .order_by()
    )


# How many red-flag self-referrals waiting to be matched the worklist names; the rest are in
# the triage queue.
SELF_REFERRALS_TO_MATCH_SHOWN = 10


def red_flag_self_referrals_to_match(user, *, practice_id: int | None = None) -> list:
    """Self-referrals with a red flag (urgent tier) waiting for triage with no patient record
    matched yet, that `user` may triage, longest waiting first: the worklist's rows are
    patients, so it names these above them. At most SELF_REFERRALS_TO_MATCH_SHOWN + 1 (the
    extra one says there are more). One query."""
    waiting = referral_selectors.triage_queue_for(user).filter(
        patient__isnull=True,
        urgency__in=[referral_rules.EMERGENCY, referral_rules.URGENT],
    )
    if practice_id is not None:
        waiting = waiting.filter(stated_practice_id=practice_id)
    return list(
        waiting.select_related(None).order_by("submitted_at", "id")[
            : SELF_REFERRALS_TO_MATCH_SHOWN + 1
        ]
    )


@dataclass(frozen=True)
class ReferralFlags:
    """A referral's red flags and the urgency they gave, for the review page."""

    submitted_at: datetime
    urgency: str
    labels: list[str]
    url: str


def referral_red_flags(patient: Patient, *, episode_id: int | None) -> list[ReferralFlags]:
    """The red flags of the patient's referrals, newest first: of the appointment's episode of
    care where it has one, else every referral. The first conversation and each review see what
    the referrer screened, so a flag never stays on the referrals tab alone."""
    # The staff list's letters, resends and people are not needed here: one query.
    referrals = (
        referral_selectors.referrals_for_patient(patient)
        .select_related(None)
        .prefetch_related(None)
        .only("uuid", "submitted_at", "urgency", "red_flags")
    )
    if episode_id is not None:
        referrals = referrals.filter(episode_id=episode_id)
    return [
        ReferralFlags(
            submitted_at=referral.submitted_at,
            urgency=referral.urgency,
            labels=referral.red_flag_labels,
            url=_url("referrals:detail", referral_uuid=referral.uuid),
        )
        for referral in referrals
        if referral.red_flags
    ]


def first_contact_targets(episode_ids) -> dict:
    """Each episode's first-contact target (with `label` and `due_at`), by episode id, for
    those whose referral was accepted."""
    return referral_selectors.first_contact_due(episode_ids)


def red_flag_reason(urgency: str, submitted_at, url: str):
    """The worklist reason for one of `red_flag_referrals`; `url` is the referral's page."""
    return _reason(
        "red_flag_referral",
        f"{urgency.capitalize()} referral waiting for triage",
        submitted_at,
        url,
    )


def under_care(patients: QuerySet[Patient]) -> QuerySet[Patient]:
    """Those of `patients` with an open episode: the team's reasons to act on a treatment or a
    diary pattern end when it discharges them (a safety alert never does)."""
    return patients.filter(Exists(Episode.objects.open().filter(patient=OuterRef("pk"))))


def trials_past_review(patients: QuerySet[Patient], *, today: date) -> list:
    """Treatment trials of medicines still taken whose review date has passed, of patients
    under care."""
    rows = careplan_selectors.trials_past_review(under_care(patients), today=today)
    return [
        (
            trial.plan.patient_id,
            _reason(
                "trial_due_review",
                f"{trial.display_name}: review was due {trial.review_due:%-d %B %Y}",
                trial.review_due,
                _url("careplans:trial-review", trial_uuid=trial.uuid),
            ),
        )
        for trial in rows
    ]


def plan_reviews_past_due(patients: QuerySet[Patient], *, today: date) -> list:
    """Care plans whose next review date has passed (a "review overdue" line, beside the annual
    review's), of patients under care; the line links to the plan."""
    rows = careplan_selectors.plan_reviews_past_due(under_care(patients), today=today)
    return [
        (
            version.plan.patient_id,
            _reason(
                "review_overdue",
                f"Care plan review was due {version.next_review_on:%-d %B %Y}",
                version.next_review_on,
                _url("careplans:patient-plan", patient_uuid=version.plan.patient.uuid),
            ),
        )
        for version in rows
    ]


def diary_flags(patients: QuerySet[Patient], *, today: date) -> list:
    """Medication overuse or a chronic pattern in the last 90 days of the diary, of patients
    under care."""
    found = []
    for patient in diary_selectors.patients_with_diary_flags(
        under_care(patients), today=today
    ).only("id", "uuid"):
        parts = []
        if patient.diary_medication_overuse and patient.diary_chronic_headache:
            parts.append("medication-overuse headache")
        elif patient.diary_medication_overuse:
            # Headache on fewer than 15 days a month: the intake criterion only (8.2 B).
            parts.append("medication overuse (the intake criterion, ICHD-3 8.2 B)")
        if patient.diary_chronic_migraine:
            parts.append("chronic migraine pattern")
        elif patient.diary_chronic_headache:
            parts.append(
                f"headache on {diary_rules.CHRONIC_HEADACHE_DAYS_PER_MONTH} or more days a month"
            )
        found.append(
            (
                patient.pk,
                _reason(
                    "diary_pattern",
                    "Diary (last 90 days) meets criteria for " + " and ".join(parts),
                    None,
                    _url("diaries:patient-diary", patient_uuid=patient.uuid),
                ),
            )
        )
    return found


def changes_since(moment) -> list[tuple[str, Exists]]:
    """For the kept worklist reasons that a trial, care plan or diary save can end: pairs of the
    reason's code and whether the patient (`OuterRef("pk")`) had such a save at or after
    `moment`."""
    patient = OuterRef("pk")
    return [
        (
            "trial_due_review",
            Exists(careplan_selectors.trials_changed_since(moment).filter(plan__patient=patient)),
        ),
        (
            "trial_due_review",
            Exists(careplan_selectors.plans_changed_since(moment).filter(patient=patient)),
        ),
        (
            "diary_pattern",
            Exists(diary_selectors.entries_changed_since(moment).filter(patient=patient)),
        ),
        # A new version agreed (or the plan withdrawn) ends a plan's overdue review.
        (
            "review_overdue",
            Exists(careplan_selectors.versions_changed_since(moment).filter(plan__patient=patient)),
        ),
        (
            "review_overdue",
            Exists(careplan_selectors.plans_changed_since(moment).filter(patient=patient)),
        ),
    ]


# The review page


@dataclass(frozen=True)
class DiaryOverview:
    start: date
    end: date
    lines: list[tuple[str, str]]
    flags: list[diary_wording.Flag]
    url: str
    # The evidence window the flags were judged on: always the 90 days to `end`.
    flags_start: date | None = None


def diary_summary(patient: Patient, *, start: date, end: date) -> DiaryOverview | None:
    """The diary from `start` to `end` (inclusive) summarised by `diaries.rules`, or None when
    the patient recorded nothing in that time.

    The flags ("meets diary criteria") are judged on the 90 days to `end`, the evidence window
    of clinical-rules.md section 8, as on the diary tab, whatever the length of the summary:
    a few days since the last review are no evidence of a chronic pattern."""
    length = min(max((end - start).days + 1, 1), MAX_DIARY_DAYS)
    window = diary_selectors.diary_window(patient, end=end, length=length)
    summary = window.summary
    if summary.days_recorded == 0:
        return None
    lines = [
        ("Days recorded", f"{summary.days_recorded} of {summary.length}"),
        # Up to 2 decimal places, as the flags and the diary tab write rates.
        ("Headache days a month", floatformat(summary.headache_days_per_month, -2)),
        ("Migraine days a month", floatformat(summary.migraine_days_per_month, -2)),
        ("Acute medication days a month", floatformat(summary.acute_medication_days_per_month, -2)),
    ]
    if window.pain_days:
        lines.append(
            ("Pain score", f"average {window.pain_average:.1f}, highest {window.pain_highest}")
        )
    if window.work_missed_days or window.work_reduced_days:
        lines.append(
            (
                "Work or study",
                f"{window.work_missed_days} days missed, {window.work_reduced_days} reduced",
            )
        )
    evidence = (
        window
        if length == diary_selectors.WINDOW_DAYS
        else diary_selectors.diary_window(patient, end=end)
    )
    return DiaryOverview(
        start=window.start,
        end=window.end,
        lines=lines,
        # Worded as on the diary tab and the clinician's report.
        flags=diary_wording.clinician_flags(evidence.summary),
        url=_url("diaries:patient-diary", patient_uuid=patient.uuid),
        flags_start=evidence.start,
    )


@dataclass(frozen=True)
class PlanOverview:
    title: str
    lines: list[tuple[str, str]]
    url: str


@dataclass(frozen=True)
class TrialLine:
    name: str
    review_due: date
    detail: str
    url: str


@dataclass
class CarePlanOverview:
    plans: list[PlanOverview] = field(default_factory=list)
    trials_due: list[TrialLine] = field(default_factory=list)


def care_plans(patient: Patient) -> CarePlanOverview:
    """The patient's current agreed care plans and the treatment trials past their review."""
    overview = CarePlanOverview()
    for view in careplan_selectors.plans_for_patient(patient):
        url = _url("careplans:patient-plan", patient_uuid=patient.uuid)
        for trial_view in view.trials:
            trial = trial_view.trial
            if trial_view.overdue:
                overview.trials_due.append(
                    TrialLine(
                        name=trial.display_name,
                        review_due=trial.review_due,
                        detail=f"{trial.get_role_display()}, started {trial.started_on:%-d %b %Y}",
                        url=_url("careplans:trial-review", trial_uuid=trial.uuid),
                    )
                )
        if view.current is None:
            continue
        version = view.current.version
        lines = [("Agreed", f"Version {version.number}, {version.agreed_at:%-d %B %Y}")]
        if version.what_matters:
            lines.append(("What matters to me", version.what_matters))
        for goal in view.current.goals:
            now = "not scored since" if goal.current is None else f"now {goal.current}"
            lines.append(
                (
                    "Goal",
                    f"{goal.description}: started at {goal.baseline}, {now}, aim {goal.target}",
                )
            )
        if view.current.mental_health:
            lines.append(
                (
                    "Mental health support",
                    ", ".join(str(item) for item in view.current.mental_health),
                )
            )
        if version.next_review_on:
            lines.append(("Plan review due", f"{version.next_review_on:%-d %B %Y}"))
        overview.plans.append(
            PlanOverview(title=view.plan.episode.get_condition_display(), lines=lines, url=url)
        )
    return overview


# Planners


@dataclass(frozen=True)
class TrialReminder:
    key: str
    review_due: date
    clinician: object


def trials_for_clinician_reminders(*, today: date) -> list[TrialReminder]:
    """Trials of medicines still taken past review, each with the clinician to remind: the
    episode's responsible clinician, or whoever recorded the trial. Only patients under care,
    as on the worklist the reminder sends the clinician to: not one who has died (their
    treatment has ended, whatever outcome is still to be recorded) or been discharged."""
    patients = under_care(Patient.objects.live().filter(date_of_death__isnull=True))
    rows = careplan_selectors.trials_past_review(patients, today=today)
    rows = rows.select_related("plan__episode__responsible_clinician", "created_by")
    reminders = []
    for trial in rows:
        clinician = trial.plan.episode.responsible_clinician or trial.created_by
        if clinician is not None and clinician.role == "clinician":
            reminders.append(
                TrialReminder(key=str(trial.uuid), review_due=trial.review_due, clinician=clinician)
            )
    return reminders


def without_diary_entry(patients: QuerySet[Patient], *, day: date) -> QuerySet[Patient]:
    """The patients of `patients` who have not recorded `day` in their diary (set-based)."""
    return diary_selectors.patients_without_entry(patients, day=day)


def diary_today_path() -> str:
    return _url("diaries:today") or reverse("pathway:patient-home")
