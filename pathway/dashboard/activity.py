"""Dashboard figures from the feature apps: referrals, diaries, care plans and appointments.

`pathway/dashboard/` sits on top of every app (DESIGN.md section 2), so it reads their models
directly, always as aggregates with a constant number of queries.
"""

from datetime import datetime, timedelta

from django.db.models import Count, Exists, F, Min, OuterRef, Q, Subquery, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from careplans.selectors import deprescribing_counts
from diaries.models import DiaryEntry
from pathway.dashboard.metrics import LONDON, period_bounds, targets_text
from pathway.dashboard.rules import (
    NOT_APPLICABLE,
    Period,
    months_in,
    publish_count,
    publish_percentage,
    publish_statistic,
)
from pathway.dashboard.scope import in_scope
from pathway.dashboard.tables import Chart, Table
from pathway.models import Episode, Patient
from pathway.models.episodes import Condition
from referrals import rules as referral_rules
from referrals import selectors as referral_selectors
from referrals.models import Referral
from reviews.models import Appointment, Discharge, GroupBooking
from reviews.rules import TEAM_ONLY_KINDS

# DESIGN.md section 7: headache days per month, first 30 against last 30 diary days.
DIARY_WINDOW = 30


def _referrals_in_scope(practice_ids):
    return Referral.objects.live().filter(
        in_scope(practice_ids) | Q(patient__isnull=True, stated_practice_id__in=practice_ids)
    )


def referral_volume_table(*, practice_ids, period: Period) -> Table:
    start, end = period_bounds(period)
    counts = (
        _referrals_in_scope(practice_ids)
        .filter(submitted_at__gte=start, submitted_at__lt=end)
        .annotate(month=TruncMonth("submitted_at", tzinfo=LONDON))
        .values("month", "source")
        .annotate(n=Count("id"))
        .order_by("month")
    )
    by_month: dict = {month: {} for month in months_in(period, today=timezone.localdate())}
    for row in counts:
        by_month.setdefault(row["month"].date(), {})[row["source"]] = row["n"]
    sources = list(Referral.Source.choices)
    # Every month of the period so far, a month without referrals as 0.
    rows = tuple(
        (
            month.strftime("%B %Y"),
            *(publish_count(values.get(code, 0)) for code, _ in sources),
            publish_count(sum(values.values())),
        )
        for month, values in sorted(by_month.items())
    )
    return Table(
        key="referrals",
        title="Referrals by source and month",
        definition="Referrals received in the period, by the month they arrived and who made "
        "them (GP, partner such as a pharmacist or physiotherapist, or the patient).",
        headers=("Month", *(label for _, label in sources), "All"),
        rows=rows or (("No referrals in this period", *("0" for _ in sources), "0"),),
        chart=Chart(
            label_column=0,
            value_column=len(sources) + 1,
            unit="referrals",
            shows="all referrals by month (the table also gives them by source)",
        ),
    )


def rejection_table(*, practice_ids, period: Period) -> Table:
    start, end = period_bounds(period)
    # Every referral decided in the period, whatever became of it since: an accepted referral
    # is closed when its episode ends, and was still a decision to accept.
    decided = _referrals_in_scope(practice_ids).filter(decided_at__gte=start, decided_at__lt=end)
    totals = decided.aggregate(
        n=Count("id"),
        rejected=Count("id", filter=Q(status="rejected")),
        redirected=Count("id", filter=Q(status="redirected")),
    )
    reasons = dict(
        decided.filter(status="rejected")
        .values_list("rejection_reason")
        .annotate(n=Count("id"))
        .values_list("rejection_reason", "n")
    )
    rows = [
        ("All decisions", publish_count(totals["n"]), publish_percentage(totals["n"], totals["n"])),
        (
            "Rejected",
            publish_count(totals["rejected"]),
            publish_percentage(totals["rejected"], totals["n"]),
        ),
        (
            "Redirected elsewhere",
            publish_count(totals["redirected"]),
            publish_percentage(totals["redirected"], totals["n"]),
        ),
    ]
    rows += [
        (
            f"Rejected: {label}",
            publish_count(reasons.get(code, 0)),
            publish_percentage(reasons.get(code, 0), totals["n"]),
        )
        # Every reason whatever its count, as in the discharges table: the rows are the same
        # from one period to the next, and a row's presence says nothing about small numbers.
        for code, label in Referral.RejectionReason.choices
    ]
    return Table(
        key="rejections",
        title="Referrals rejected as inappropriate, by reason",
        definition="Triage decisions made in the period: the share rejected (with the coded "
        "reason given back to the referrer) and the share redirected to another service.",
        headers=("Decision", "Referrals", "Share of decisions"),
        rows=tuple(rows),
    )


def triage_waiting_table(*, practice_ids, now: datetime | None = None) -> Table:
    """Referrals waiting for triage at `now`, by the urgency the referral screen gave them: how
    many, how many past the triage target, and the longest wait so far. Two queries (the target,
    then one aggregate for both urgencies) whatever the number of referrals."""
    now = now or timezone.now()
    # The care team's triage queue measures each referral against the referral-to-triage target
    # for its urgency (or the one for any referral) from the moment it was submitted
    # (referrals.rules.triage_clock); the figures here count a breach exactly when the queue
    # shows one.
    targets = referral_selectors.triage_targets()
    waiting = _referrals_in_scope(practice_ids).filter(status=Referral.Status.SUBMITTED)
    levels = (("urgent", "Urgent"), ("routine", "Routine"))
    level_targets = {level: referral_rules.target_days_for(targets, level) for level, _ in levels}
    aggregates = {}
    for level, _ in levels:
        mine = Q(urgency=level)
        aggregates[f"{level}_n"] = Count("id", filter=mine)
        # Breached once the due moment (submitted + target days) has passed, as the queue's
        # clock says (referrals.rules.wait_clock).
        if target := level_targets[level]:
            breached = mine & Q(submitted_at__lt=now - timedelta(days=target))
            aggregates[f"{level}_breaches"] = Count("id", filter=breached)
        aggregates[f"{level}_oldest"] = Min("submitted_at", filter=mine)
    totals = waiting.aggregate(**aggregates)
    rows = []
    for level, label in levels:
        n = totals[f"{level}_n"]
        oldest = totals[f"{level}_oldest"]
        longest = (now - oldest).total_seconds() / 86400 if oldest else None
        rows.append(
            (
                label,
                targets_text(None, level_targets[level]),
                publish_count(n),
                publish_count(totals.get(f"{level}_breaches") or 0),
                publish_statistic(longest, n),
            )
        )
    return Table(
        key="triage-waiting-list",
        covers="The triage queue as it stands today.",
        title="Waiting for triage now",
        definition="Referrals received and not yet triaged, today, by the urgency the referral "
        "screen gave them. A breach is a wait longer than the referral-to-triage target for that "
        "urgency (or, where there is none, the target for any referral), counted from when the "
        "referral was received, as on the care team's triage queue; the longest "
        "wait is counted the same way. Self-referrals not yet matched to a patient's record "
        "count under the GP practice the person named. Referrals already triaged (accepted, "
        "rejected or redirected), withdrawn or entered in error are not counted.",
        headers=("Urgency", "Target", "Waiting", "Breaches", "Longest wait (days)"),
        rows=tuple(rows),
    )


def headache_days_table(*, practice_ids) -> Table:
    """Mean headache days in each patient's first 30 and last 30 diary days (patients referred
    for headache whose diary spans at least 60 days, so the two windows do not overlap). A
    chronic-pain patient's diary days without a headache are not headache-free days won."""
    # Worked per patient, as index lookups on (patient, day): each diary's first and last day,
    # then the days in its first and last 30. Per diary row, the same lookups cost seconds.
    live = DiaryEntry.objects.filter(patient=OuterRef("pk"), entered_in_error=False)
    headache_pathway = Episode.objects.filter(
        patient=OuterRef("pk"), condition=Condition.HEADACHE
    ).exclude(status=Episode.Status.ENTERED_IN_ERROR)
    spans = (
        Patient.objects.filter(in_scope(practice_ids, via=""))
        .filter(Exists(headache_pathway))
        .annotate(
            first_day=Subquery(live.order_by("day").values("day")[:1]),
            last_day=Subquery(live.order_by("-day").values("day")[:1]),
        )
        .filter(last_day__gte=F("first_day") + timedelta(days=2 * DIARY_WINDOW - 1))
    )
    in_first = Q(day__lt=OuterRef("first_day") + timedelta(days=DIARY_WINDOW))
    in_last = Q(day__gt=OuterRef("last_day") - timedelta(days=DIARY_WINDOW))

    def days(window: Q) -> Subquery:
        return Subquery(
            live.filter(window).values("patient").annotate(days=Count("pk")).values("days")
        )

    totals = spans.annotate(
        first_headache=days(in_first & Q(headache=True)),
        last_headache=days(in_last & Q(headache=True)),
        # How complete each window's diary is: a fall in headache days from fewer days filled
        # in is not an improvement.
        first_filled_in=days(in_first),
        last_filled_in=days(in_last),
    ).aggregate(
        n=Count("pk"),
        first=Sum("first_headache", default=0),
        last=Sum("last_headache", default=0),
        first_recorded=Sum("first_filled_in", default=0),
        last_recorded=Sum("last_filled_in", default=0),
    )
    n = totals["n"]
    rows = tuple(
        (
            label,
            publish_count(n),
            publish_statistic(totals[window] / n if n else None, n),
            publish_statistic(totals[f"{window}_recorded"] / n if n else None, n),
        )
        for label, window in (("First 30 diary days", "first"), ("Last 30 diary days", "last"))
    )
    return Table(
        key="headache-days",
        covers="Each patient's diary from its first day to its latest.",
        title="Headache days per month from diaries",
        definition="For patients referred for headache whose diary covers at least 60 days: the "
        "mean number of headache days in their first 30 diary days and in their last 30. Days "
        "not filled in count as headache-free, so the mean number of days filled in is shown "
        "beside it: fewer days filled in can look like fewer headaches.",
        headers=("Window", "Patients", "Mean headache days", "Mean days filled in (of 30)"),
        rows=rows,
    )


def deprescribing_table(*, practice_ids) -> Table:
    patients = Patient.objects.filter(in_scope(practice_ids, via=""))
    counts = deprescribing_counts(patients)
    total = patients.filter(care_plans__entered_in_error=False).distinct().count()
    rows = (
        (
            "At baseline",
            publish_count(counts["baseline"]),
            publish_percentage(counts["baseline"], total),
        ),
        ("Now", publish_count(counts["now"]), publish_percentage(counts["now"], total)),
    )
    return Table(
        key="deprescribing",
        covers="Patients with a care plan today: their medicines at baseline and now.",
        title="Opioids and gabapentinoids: baseline and now",
        definition="Patients with a care plan who were already taking an opioid or "
        "gabapentinoid before their plan (baseline), and who take one now (a treatment carrying "
        "on: not yet reviewed, or reviewed as effective), whoever started it, as a share of all "
        "patients with a care plan. For a patient whose care has ended, now is as their care "
        "plan last recorded it.",
        headers=("When", "Patients", "Share of patients with a plan"),
        rows=rows,
    )


def appointments_table(*, practice_ids, period: Period) -> Table:
    start, end = period_bounds(period)
    held = Appointment.objects.filter(
        in_scope(practice_ids),
        start__gte=start,
        start__lt=end,
        status__in=["attended", "did_not_attend"],
    ).exclude(kind__in=TEAM_ONLY_KINDS)
    totals = held.aggregate(
        n=Count("id"),
        dna=Count("id", filter=Q(status="did_not_attend")),
        attended=Count("id", filter=Q(status="attended")),
        remote=Count("id", filter=Q(status="attended", modality__in=["video", "phone"])),
    )
    # Places due to be used: attendance recorded either way. Invitations and places ended
    # before the session (declined, cancelled by the patient, withdrawn by the care team) are
    # neither attendance nor absence.
    groups = GroupBooking.objects.filter(
        in_scope(practice_ids),
        session__start__gte=start,
        session__start__lt=end,
        status__in=["attended", "did_not_attend"],
    ).aggregate(n=Count("id"), attended=Count("id", filter=Q(status="attended")))
    rows = (
        # The appointments due are the total the rates below are of: no rate of their own.
        ("Appointments due", publish_count(totals["n"]), NOT_APPLICABLE),
        (
            "Did not attend",
            publish_count(totals["dna"]),
            publish_percentage(totals["dna"], totals["n"]),
        ),
        (
            "Attended remotely (video or phone)",
            publish_count(totals["remote"]),
            publish_percentage(totals["remote"], totals["attended"]),
        ),
        (
            "Group-session places taken up",
            publish_count(groups["attended"]),
            publish_percentage(groups["attended"], groups["n"]),
        ),
    )
    return Table(
        key="attendance",
        title="Attendance, did-not-attend and remote care",
        definition="Patients' appointments in the period that were due to happen (attended or "
        "missed; MDT discussions, which patients do not attend, are not counted): the "
        "did-not-attend rate, and the share of attended appointments held by video or "
        "phone. Group sessions: the share of places kept until the session where the patient "
        "came (places given up by the patient or withdrawn by the care team are not counted).",
        headers=("Measure", "Count", "Rate"),
        rows=rows,
    )


def discharge_table(*, practice_ids, period: Period) -> Table:
    """Discharges the care team made in the period, by the reason recorded; every reason is
    listed whatever its count, so a row's presence says nothing about small numbers."""
    start, end = period_bounds(period)
    counts = dict(
        Discharge.objects.filter(
            in_scope(practice_ids),
            episode__closed_at__gte=start,
            episode__closed_at__lt=end,
        )
        .order_by()
        .values_list("reason")
        .annotate(n=Count("id"))
        .values_list("reason", "n")
    )
    n = sum(counts.values())
    rows = (
        ("All discharges", publish_count(n), publish_percentage(n, n)),
        *(
            (label, publish_count(counts.get(code, 0)), publish_percentage(counts.get(code, 0), n))
            for code, label in Discharge.Reason.choices
        ),
    )
    return Table(
        key="discharges",
        title="Discharges from the pathway, by reason",
        definition="Patients the care team discharged in the period, by the reason recorded at "
        "discharge. Referrals not accepted at triage are in the rejections table, not here.",
        headers=("Reason", "Discharges", "Share of discharges"),
        rows=rows,
    )
