"""Dashboard figures computed in the database: aggregates, a constant number of queries each.

Every function takes the practice ids in scope and the reporting period and returns a `Table`
whose cells are published through `pathway.dashboard.rules` (small numbers suppressed).
"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import (
    Avg,
    Case,
    Count,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast, Coalesce, RowNumber
from django.db.models.lookups import LessThan
from django.utils import timezone

from pathway.dashboard.rules import (
    Period,
    publish_count,
    publish_percentage,
    publish_statistic,
)
from pathway.dashboard.scope import in_scope
from pathway.dashboard.tables import Chart, Table
from pathway.instruments import HIGHER_IS_BETTER, INSTRUMENTS, PSEQ_EPPOC_BANDS
from pathway.models import Assessment, Episode, GpAttendanceCount, Milestone
from pathway.models.episodes import Priority
from referrals import rules as referral_rules
from referrals import selectors as referral_selectors
from reviews.rules import ANNUAL_REVIEW_INTERVAL_DAYS
from reviews.selectors import sent_again

LONDON = ZoneInfo("Europe/London")
# DESIGN.md section 7: baseline and follow-up at least 6 weeks apart.
OUTCOME_MIN_GAP = timedelta(weeks=6)
OUTCOME_INSTRUMENTS = ("PSEQ", "MSK-HQ", "HIT-6", "MIDAS", "PHQ-9", "GAD-7")
# ePPOC PSEQ bands (clinical-rules.md section 4): a change counts only with a move of band.
PSEQ_EPPOC_LOWER_BOUNDS = tuple(lower for lower, _ in PSEQ_EPPOC_BANDS[1:])


def period_bounds(period: Period) -> tuple[datetime, datetime]:
    start = datetime.combine(period.start, time.min, tzinfo=LONDON)
    end = datetime.combine(period.end, time.min, tzinfo=LONDON)
    return start, end


def _days(duration: timedelta | int | None) -> float | None:
    if duration is None:
        return None
    if isinstance(duration, int):  # some backends return microseconds
        duration = timedelta(microseconds=duration)
    return duration.total_seconds() / 86400


def _median_wait(queryset, n: int) -> float | None:
    """The median of `wait` over `queryset` (n rows), read as the middle one or two rows."""
    if n == 0:
        return None
    middle = sorted({(n + 1) // 2, (n + 2) // 2})
    rows = (
        queryset.annotate(position=Window(RowNumber(), order_by=[F("wait").asc(), F("id").asc()]))
        .filter(position__in=middle)
        .values_list("wait", flat=True)
    )
    waits = [_days(w) for w in rows]
    return sum(waits) / len(waits) if waits else None


def _once_only(milestones):
    """The time of an episode's milestone of a once-only kind, as a subquery.

    The constraint `pathway_milestone_once_per_episode` allows at most one row, so the subquery
    drops the model's ordering: with it, SQLite walks every milestone of the kind in time order
    for each outer row instead of looking up the episode's own.
    """
    return milestones.order_by().values("occurred_at")[:1]


# The priorities a target may name besides "any".
PRIORITY_LEVELS = tuple(Priority.values)


def levels_for(targets: dict[str, int], priority: str) -> dict[str, int | None]:
    """The target each wait of a row is measured against, as on the care team's lists
    (referrals.rules.target_days_for: the priority's own target, else the one for any): for a
    row of one priority, that priority's; for a row of all, urgent's, routine's, and "any" for
    a wait with neither."""
    if priority != "any":
        return {priority: referral_rules.target_days_for(targets, priority)}
    levels = {level: referral_rules.target_days_for(targets, level) for level in PRIORITY_LEVELS}
    return {**levels, "any": targets.get("any")}


def days_text(days: int) -> str:
    return f"{days} day{'' if days == 1 else 's'}"


def levels_text(levels: dict[str, int | None]) -> str:
    """A row's target column: "5 days" when every wait has the same target, else each
    priority's, e.g. "urgent 1 day; routine 5 days"; "no target" when there is none."""
    shown = {level: days for level, days in levels.items() if level != "any" or len(levels) == 1}
    if len(set(shown.values())) == 1:
        (days,) = set(shown.values())
        return days_text(days) if days else "no target"
    return "; ".join(
        f"{level} {days_text(days) if days else 'no target'}" for level, days in shown.items()
    )


def _within(levels: dict[str, int | None]) -> Q:
    """Waits (annotated `wait`, and `level`: the priority they are measured at) within their
    target. No target: nothing counts as within. (An always-false filter such as pk__in=[]
    would make Django drop the whole aggregate and report every figure as empty.)"""
    within = Q(id__lt=0)
    if len(levels) == 1:
        (days,) = levels.values()
        return Q(wait__lte=timedelta(days=days)) if days else within
    for level, days in levels.items():
        if not days:
            continue
        if level == "any":
            mine = Q(level__isnull=True) | ~Q(level__in=PRIORITY_LEVELS)
        else:
            mine = Q(level=level)
        within |= mine & Q(wait__lte=timedelta(days=days))
    return within


def completed_wait(*, practice_ids, period: Period, frm: str, to: str, priority: str = "any"):
    """Waits from milestone `frm` to `to` for episodes reaching `to` in the period, each against
    the target for its priority: the urgency the referral screen gave for the wait for triage
    (as the triage queue measures it), the episode's triage priority after.

    Returns (n, n within target, median days, longest days, the target column's text, how
    many patients the n episodes belong to).
    """
    levels = levels_for(referral_selectors.target_days(frm, to), priority)
    start, end = period_bounds(period)
    started = _once_only(Milestone.objects.filter(episode=OuterRef("episode"), kind=frm))
    waits = Milestone.objects.filter(
        kind=to,
        occurred_at__gte=start,
        occurred_at__lt=end,
    ).filter(in_scope(practice_ids, "episode__patient"))
    if priority != "any":
        waits = waits.filter(episode__priority=priority)
    if to == "triaged":
        level = referral_selectors.episode_urgency("episode")
    else:
        level = F("episode__priority")
    waits = (
        waits.annotate(started=Subquery(started), level=level)
        .filter(started__isnull=False)
        .annotate(wait=ExpressionWrapper(F("occurred_at") - F("started"), DurationField()))
    )
    totals = waits.aggregate(
        n=Count("id"),
        within=Count("id", filter=_within(levels)),
        longest=Max("wait"),
        people=Count("episode__patient", distinct=True),
    )
    median = _median_wait(waits, totals["n"])
    return (
        totals["n"],
        totals["within"],
        median,
        _days(totals["longest"]),
        levels_text(levels),
        totals["people"],
    )


def waits_table(*, practice_ids, period: Period) -> Table:
    steps = [
        ("Referral to triage", "referral_received", "triaged", "any"),
        ("Triage to first contact (urgent)", "triaged", "first_contact", "urgent"),
        ("Referral to first contact (urgent)", "referral_received", "first_contact", "urgent"),
        ("Triage to first contact (routine)", "triaged", "first_contact", "routine"),
        ("First contact to care plan agreed", "first_contact", "care_plan_agreed", "any"),
        ("Referral to first treatment (18 weeks)", "referral_received", "treatment_started", "any"),
    ]
    rows = []
    for label, frm, to, priority in steps:
        n, within, median, longest, target, people = completed_wait(
            practice_ids=practice_ids, period=period, frm=frm, to=to, priority=priority
        )
        # The share, median and longest wait describe people: published only for enough of
        # them (a patient can have more than one episode).
        rows.append(
            (
                label,
                target,
                publish_count(n),
                publish_percentage(within, n, people=people),
                publish_statistic(median, people),
                publish_statistic(longest, people),
            )
        )
    return Table(
        key="waits",
        title="Waits against pathway targets",
        definition=(
            "For each step, the episodes of care (a patient's care on one pathway, from one "
            "referral; a patient on both pathways, or referred again, has more than one) that "
            "completed it in the period: how many, the share done within the target, and the "
            "median and longest wait in days, measured between the two milestones. The share, "
            "median and longest wait are shown only where the episodes belong to enough "
            "patients to publish. Each wait is "
            "measured against the target for its priority (the urgency the referral screen "
            "gave, for the wait for triage), or the target for any priority where it has none. "
            "Targets are set by administrators. Patients still waiting are not here: see "
            "Waiting for triage now and Waiting for first contact now."
        ),
        headers=("Step", "Target", "Episodes", "Within target", "Median days", "Longest days"),
        rows=tuple(rows),
        chart=Chart(
            label_column=0,
            value_column=3,
            unit="within target",
            shows="the share of each step done within its target",
            maximum=100,
        ),
    )


def targets_text(from_triage: int | None, from_referral: int | None) -> str:
    """The waiting list's target column, e.g. "14 days from triage; 14 days from referral"."""
    parts = [
        f"{days_text(days)} from {start}"
        for start, days in (("triage", from_triage), ("referral", from_referral))
        if days
    ]
    return "; ".join(parts) or "no target"


def waiting_list_table(*, practice_ids, now: datetime | None = None) -> Table:
    """Accepted patients still waiting for first contact, by priority, at `now`."""
    now = now or timezone.now()
    triaged = _once_only(Milestone.objects.filter(episode=OuterRef("pk"), kind="triaged"))
    received = _once_only(
        Milestone.objects.filter(episode=OuterRef("pk"), kind="referral_received")
    )
    waiting = (
        Episode.objects.filter(
            in_scope(practice_ids),
            status=Episode.Status.ACTIVE,
            milestones__kind="triaged",
        )
        .exclude(milestones__kind="first_contact")
        .annotate(triaged_at=Subquery(triaged), received_at=Subquery(received))
        .annotate(
            waited=ExpressionWrapper(Value(now) - F("triaged_at"), DurationField()),
            waited_since_referral=ExpressionWrapper(Value(now) - F("received_at"), DurationField()),
        )
    )
    # The same targets as the care team's waiting list: the priority's own, else the "any" one,
    # from triage and from referral.
    targets = referral_selectors.contact_targets()
    rows = []
    for priority, label in (("urgent", "Urgent"), ("routine", "Routine")):
        from_triage = referral_rules.target_days_for(targets.from_triage, priority)
        from_referral = referral_rules.target_days_for(targets.from_referral, priority)
        # No target: nobody is in breach (see `completed_wait` on always-false filters).
        breach = Q(id__lt=0)
        if from_triage:
            breach |= Q(waited__gt=timedelta(days=from_triage))
        if from_referral:
            breach |= Q(waited_since_referral__gt=timedelta(days=from_referral))
        totals = waiting.filter(priority=priority).aggregate(
            n=Count("id", distinct=True),
            breaches=Count("id", distinct=True, filter=breach),
            longest=Max("waited"),
        )
        rows.append(
            (
                label,
                targets_text(from_triage, from_referral),
                publish_count(totals["n"]),
                publish_count(totals["breaches"]),
                publish_statistic(_days(totals["longest"]), totals["n"]),
            )
        )
    return Table(
        key="waiting-list",
        covers="The waiting list as it stands today.",
        title="Waiting for first contact now",
        definition=(
            "Patients accepted at triage who have not yet had their first contact, today. A "
            "breach is a wait longer than a first-contact target for the patient's priority: "
            "counted from triage, or from the referral where a target is set from it. The "
            "longest wait is counted from triage."
        ),
        headers=("Priority", "Target", "Waiting", "Breaches", "Longest wait (days)"),
        rows=tuple(rows),
    )


def review_coverage_table(*, practice_ids, now: datetime | None = None) -> Table:
    """Active episodes of care reviewed in the last 12 months, and those overdue. Counted by
    episode: each pathway a patient is on has its own reviews (milestones are per episode)."""
    now = now or timezone.now()
    year_ago = now - timedelta(days=365)
    # Exists, not joins: a join filtered to first contacts would also be the one the
    # "reviewed" count looked in, and find no reviews at all.
    seen = Milestone.objects.filter(episode=OuterRef("pk"), kind="first_contact")
    reviewed = Milestone.objects.filter(
        episode=OuterRef("pk"), kind="review_held", occurred_at__gte=year_ago
    )
    # In care for under a year (first contact in the last 12 months): not yet due a yearly
    # review, so the share reviewed is also given for those in care longer.
    new = Milestone.objects.filter(
        episode=OuterRef("pk"), kind="first_contact", occurred_at__gte=year_ago
    )
    # Overdue as on the care team's worklist (reviews.worklist.scans.reviews_overdue): past the
    # next review date recorded last or, with none recorded, a year after the last review or
    # first contact.
    due_at = (
        Milestone.objects.filter(episode=OuterRef("pk"), kind="annual_review_due")
        .order_by("-created_at", "-id")
        .values("occurred_at")[:1]
    )
    last_seen = (
        Milestone.objects.filter(episode=OuterRef("pk"), kind__in=["first_contact", "review_held"])
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )
    overdue_from = Coalesce(
        Subquery(due_at),
        ExpressionWrapper(
            Subquery(last_seen) + timedelta(days=ANNUAL_REVIEW_INTERVAL_DAYS), DateTimeField()
        ),
    )
    active = Episode.objects.filter(
        Exists(seen), in_scope(practice_ids), status=Episode.Status.ACTIVE
    )
    totals = active.aggregate(
        n=Count("id"),
        reviewed=Count("id", filter=Exists(reviewed)),
        new=Count("id", filter=Exists(new)),
        due_reviewed=Count("id", filter=Exists(reviewed) & ~Exists(new)),
        overdue=Count("id", filter=LessThan(overdue_from, now)),
    )
    return Table(
        key="reviews",
        covers="Active episodes of care today, and their reviews in the 12 months up to today.",
        title="Annual review coverage",
        definition=(
            "Active episodes of care (a patient's care on one pathway, headache or chronic "
            "pain; a patient on both counts once for each) that have had their first contact: "
            "the share with a review in the last 12 months; how many had their first contact in "
            "the last 12 months (not yet due a yearly review), and the share reviewed of the "
            "others; and how many are overdue a review: "
            "past the next review date their latest review set or, where none is set, with no "
            "review or first contact for over a year (as on the care team's worklist)."
        ),
        headers=(
            "Active episodes of care",
            "Reviewed in last 12 months",
            "First contact in last 12 months",
            "Reviewed, of those in care longer",
            "Overdue",
        ),
        row_headers=False,
        rows=(
            (
                publish_count(totals["n"]),
                publish_percentage(totals["reviewed"], totals["n"]),
                publish_count(totals["new"]),
                publish_percentage(totals["due_reviewed"], totals["n"] - totals["new"]),
                publish_count(totals["overdue"]),
            ),
        ),
    )


def _eppoc_band(field: str):
    low, moderate, mild = PSEQ_EPPOC_LOWER_BOUNDS
    return Case(
        When(**{f"{field}__lt": low}, then=Value(0)),
        When(**{f"{field}__lt": moderate}, then=Value(1)),
        When(**{f"{field}__lt": mild}, then=Value(2)),
        default=Value(3),
    )


def outcome_row(*, practice_ids, period: Period, code: str) -> tuple[str, ...]:
    """Baseline (first) vs latest score per patient whose latest falls in the period and is at
    least 6 weeks after the baseline. Answers sent again to a questionnaire already answered
    are neither: they are not a later completion."""
    instrument = INSTRUMENTS[code]
    start, end = period_bounds(period)
    mine = Assessment.objects.filter(
        ~sent_again(),
        patient=OuterRef("patient"),
        instrument=code,
        entered_in_error=False,
        completed_at__lt=end,
    )
    latest = (
        Assessment.objects.filter(
            in_scope(practice_ids),
            ~sent_again(),
            instrument=code,
            entered_in_error=False,
            completed_at__gte=start,
            completed_at__lt=end,
        )
        .annotate(
            latest_at=Subquery(mine.order_by("-completed_at").values("completed_at")[:1]),
            baseline_at=Subquery(mine.order_by("completed_at").values("completed_at")[:1]),
            baseline_total=Subquery(mine.order_by("completed_at").values("total")[:1]),
        )
        .filter(completed_at=F("latest_at"), baseline_at__lte=F("completed_at") - OUTCOME_MIN_GAP)
        .annotate(
            first=Cast("baseline_total", FloatField()),
            last=Cast("total", FloatField()),
        )
    )
    # No clinically important change defined: count none. (pk__in=[] would empty the whole
    # aggregate, hiding n and the means too.)
    improved = Q(id__lt=0)
    if instrument.important_change is not None:
        if instrument.better == HIGHER_IS_BETTER:
            improved = Q(last__gte=F("first") + instrument.important_change)
        else:
            improved = Q(last__lte=F("first") - instrument.important_change)
        if code == "PSEQ":
            latest = latest.annotate(
                band_before=_eppoc_band("first"), band_after=_eppoc_band("last")
            )
            improved &= ~Q(band_before=F("band_after"))
    totals = latest.aggregate(
        n=Count("patient_id", distinct=True),
        baseline=Avg("first"),
        latest=Avg("last"),
        improved=Count("patient_id", distinct=True, filter=improved),
    )
    n = totals["n"]
    if instrument.important_change is None:
        improved_text = "not defined"
    else:
        improved_text = publish_percentage(totals["improved"], n)
    better = "higher" if instrument.better == HIGHER_IS_BETTER else "lower"
    return (
        f"{instrument.code} ({better} is better)",
        publish_count(n),
        publish_statistic(totals["baseline"], n),
        publish_statistic(totals["latest"], n),
        improved_text,
    )


def outcomes_table(*, practice_ids, period: Period) -> Table:
    rows = tuple(
        outcome_row(practice_ids=practice_ids, period=period, code=code)
        for code in OUTCOME_INSTRUMENTS
    )
    return Table(
        key="outcomes",
        title="Outcomes: first and latest questionnaire scores",
        definition=(
            "Patients whose latest score falls in the period and is at least 6 weeks after their "
            "first (baseline) score. Clinically important change: HIT-6 a fall of 6 or more; PSEQ "
            "a rise of 7 or more with a move to another ePPOC band; MSK-HQ a rise of 5.5 or more. "
            "The clinical rules give no threshold for MIDAS, PHQ-9 or GAD-7."
        ),
        headers=(
            "Questionnaire",
            "Patients",
            "Mean first",
            "Mean latest",
            "Clinically important improvement",
        ),
        rows=rows,
        chart=Chart(
            label_column=0,
            value_column=4,
            unit="with a clinically important improvement",
            shows="the share of patients with a clinically important improvement, by questionnaire",
            maximum=100,
        ),
    )


def milestone_counts_table(*, practice_ids, period: Period, now: datetime | None = None) -> Table:
    """How many times each milestone was reached in the period (pathway activity), up to `now`:
    an annual review due date recorded ahead is not reached until it comes."""
    start, end = period_bounds(period)
    now = now or timezone.now()
    # A due date a later review replaced before it came (a review recorded early set another)
    # was never reached.
    replaced = Milestone.objects.filter(
        episode=OuterRef("episode"),
        kind="annual_review_due",
        created_at__gt=OuterRef("created_at"),
        created_at__lte=OuterRef("occurred_at"),
    )
    counts = dict(
        Milestone.objects.filter(
            in_scope(practice_ids, "episode__patient"),
            ~Q(kind="annual_review_due") | ~Exists(replaced),
            occurred_at__gte=start,
            occurred_at__lt=min(end, now),
        )
        .values_list("kind")
        .annotate(n=Count("id"))
        .values_list("kind", "n")
    )
    rows = tuple(
        (label, publish_count(counts.get(kind, 0)))
        for kind, label in Milestone._meta.get_field("kind").choices
    )
    return Table(
        key="activity",
        title="Pathway activity",
        definition="How many times each pathway milestone was reached in the period, up to "
        "now. An annual review due date counts once the date has passed, not when a review "
        "sets it, and not at all when a review recorded before it set another. Referral "
        "received "
        "counts referrals linked to a patient's episode of care; a self-referral still "
        "waiting to be matched to a registered patient is counted in Referrals by source and "
        "month, not here. Discharged counts every episode of care "
        "that ended, including referrals not accepted at triage or withdrawn; the discharges "
        "table counts those the care team discharged, by reason.",
        headers=("Milestone", "Count"),
        rows=rows,
        chart=Chart(label_column=0, value_column=1, unit="times reached"),
    )


def gp_attendance_table(*, practice_ids) -> Table:
    """GP attendances per patient-year in imported periods before and after first contact."""
    first_contact = (
        Milestone.objects.filter(episode__patient=OuterRef("patient"), kind="first_contact")
        .order_by("occurred_at")
        .values("occurred_at__date")
    )
    # The same patients before and after: those with a period on each side of the day.
    theirs = GpAttendanceCount.objects.filter(patient=OuterRef("patient"))
    counts = (
        GpAttendanceCount.objects.filter(in_scope(practice_ids))
        .annotate(
            contact_day=Subquery(first_contact[:1]),
            days=ExpressionWrapper(F("period_end") - F("period_start"), DurationField()),
        )
        .filter(
            Exists(theirs.filter(period_end__lte=OuterRef("contact_day"))),
            Exists(theirs.filter(period_start__gte=OuterRef("contact_day"))),
        )
    )
    before = Q(period_end__lte=F("contact_day"))
    after = Q(period_start__gte=F("contact_day"))
    totals = counts.aggregate(
        before_n=Count("patient_id", distinct=True, filter=before),
        before_visits=Sum("attendances", filter=before),
        before_days=Sum("days", filter=before),
        after_n=Count("patient_id", distinct=True, filter=after),
        after_visits=Sum("attendances", filter=after),
        after_days=Sum("days", filter=after),
    )
    rows = []
    for label, key in (("Before first contact", "before"), ("After first contact", "after")):
        n = totals[f"{key}_n"]
        days = _days(totals[f"{key}_days"]) or 0
        rate = (totals[f"{key}_visits"] or 0) / (days / 365.25) if days else None
        rows.append((label, publish_count(n), publish_statistic(rate, n, places=2)))
    return Table(
        key="gp-attendance",
        covers="Every imported period, before and after each patient's first contact.",
        title="GP attendances per patient-year",
        definition=(
            "From imported counts of GP appointments, for patients with counts both before "
            "and after their first contact with the service (the same patients in both rows): "
            "periods whose last day was before the first contact, against periods that began on "
            "or after that day (a period that spans the day counts in neither). Rate = "
            "attendances divided by patient-years covered by those periods."
        ),
        headers=("Periods", "Patients", "Attendances per patient-year"),
        rows=tuple(rows),
    )
