"""The commissioner dashboard's figures as hand-written PostgreSQL: the floor its page is compared
with (DESIGN.md section 9: "the same aggregates as hand-written SQL").

One statement per dashboard table (two for the referral tables), each a single pass with CTEs,
FILTER clauses, window functions and percentile_cont, returning the same figures as the app's
dashboard tables, published through the same suppression rules. bench.runner compares both
before timing either, so the floor is known to compute the same thing (and where they differ,
the difference is reported).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db import connection
from django.utils import timezone

from pathway.dashboard.metrics import (
    LONDON,
    OUTCOME_INSTRUMENTS,
    levels_for,
    levels_text,
    targets_text,
)
from pathway.dashboard.rules import (
    NOT_APPLICABLE,
    Period,
    months_in,
    period_for,
    publish_count,
    publish_percentage,
    publish_statistic,
)
from pathway.dashboard.scope import organisations_for, practice_ids_under
from pathway.instruments import HIGHER_IS_BETTER, INSTRUMENTS
from pathway.models import Milestone, User
from reviews.models import Discharge

WAIT_STEPS = [
    ("Referral to triage", "referral_received", "triaged", "any"),
    ("Triage to first contact (urgent)", "triaged", "first_contact", "urgent"),
    ("Referral to first contact (urgent)", "referral_received", "first_contact", "urgent"),
    ("Triage to first contact (routine)", "triaged", "first_contact", "routine"),
    ("First contact to care plan agreed", "first_contact", "care_plan_agreed", "any"),
    ("Referral to first treatment (18 weeks)", "referral_received", "treatment_started", "any"),
]


@dataclass(frozen=True)
class Scope:
    practice_ids: list[int]
    period: Period

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        return (
            datetime.combine(self.period.start, time.min, tzinfo=LONDON),
            datetime.combine(self.period.end, time.min, tzinfo=LONDON),
        )


def scope_for(user, *, period: str = "quarter") -> Scope:
    """What the dashboard shows `user` by default: their first area, this period."""
    organisation = organisations_for(user).first()
    return Scope(
        practice_ids=practice_ids_under(organisation),
        period=period_for(period, today=timezone.localdate()),
    )


def default_scope(period: str = "quarter") -> Scope:
    commissioner = User.objects.filter(role="commissioner").order_by("id").first()
    return scope_for(commissioner, period=period)


def _days(value) -> float | None:
    if value is None:
        return None
    if isinstance(value, timedelta):
        return value.total_seconds() / 86400
    return float(value)


WAITS_SQL = """
WITH steps (position, frm, dest, priority) AS (VALUES %(steps)s),
scoped AS (
    SELECT e.id, e.priority, e.patient_id FROM pathway_episode e
    JOIN pathway_patient p ON p.id = e.patient_id
    WHERE p.registered_practice_id = ANY(%%(practices)s) AND NOT p.entered_in_error
),
waits AS (
    SELECT s.position, s.frm, s.dest, e.patient_id,
           CASE WHEN s.dest = 'triaged' THEN (
               SELECT r.urgency FROM referrals_referral r
               WHERE r.episode_id = m.episode_id AND NOT r.entered_in_error
               ORDER BY r.submitted_at, r.id LIMIT 1
           ) ELSE e.priority END AS level,
           m.occurred_at - (
               SELECT min(b.occurred_at) FROM pathway_milestone b
               WHERE b.episode_id = m.episode_id AND b.kind = s.frm
           ) AS wait
    FROM steps s
    JOIN pathway_milestone m
      ON m.kind = s.dest AND m.occurred_at >= %%(start)s AND m.occurred_at < %%(end)s
    JOIN scoped e ON e.id = m.episode_id AND (s.priority = 'any' OR e.priority = s.priority)
),
measured AS (
    SELECT w.position, w.wait, w.patient_id, (
        SELECT t.days FROM pathway_target t
        WHERE t.from_milestone = w.frm AND t.to_milestone = w.dest
          AND t.priority IN (w.level, 'any')
        ORDER BY t.priority = 'any' LIMIT 1
    ) AS days
    FROM waits w WHERE w.wait IS NOT NULL
)
SELECT s.position, count(w.wait),
       count(w.wait) FILTER (WHERE w.wait <= make_interval(days => w.days)),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY w.wait), max(w.wait),
       count(DISTINCT w.patient_id)
FROM steps s
LEFT JOIN measured w ON w.position = s.position
GROUP BY s.position ORDER BY s.position
"""


def _target_days(frm: str, to: str, priority: str, alias: str) -> str:
    """A LATERAL join giving the target's days from milestone `frm` to `to` for the priority in
    the SQL expression `priority`, else the target for any priority (as the app looks it up)."""
    return f"""LEFT JOIN LATERAL (
    SELECT days FROM pathway_target
    WHERE from_milestone = '{frm}' AND to_milestone = '{to}'
      AND priority IN ({priority}, 'any')
    ORDER BY priority = 'any' LIMIT 1
) {alias} ON true"""


TRIAGE_WAITING_SQL = f"""
SELECT u.urgency, t.days, count(r.id),
       count(r.id) FILTER (WHERE %(now)s - r.submitted_at > make_interval(days => t.days)),
       max(%(now)s - r.submitted_at)
FROM (VALUES (1, 'urgent'), (2, 'routine')) AS u (position, urgency)
{_target_days("referral_received", "triaged", "u.urgency", "t")}
LEFT JOIN (
    referrals_referral r
    LEFT JOIN pathway_patient p ON p.id = r.patient_id
) ON r.urgency = u.urgency AND r.status = 'submitted' AND NOT r.entered_in_error
  AND (p.registered_practice_id = ANY(%(practices)s) AND NOT p.entered_in_error
       OR (r.patient_id IS NULL AND r.stated_practice_id = ANY(%(practices)s)))
GROUP BY u.position, u.urgency, t.days ORDER BY u.position
"""

WAITING_SQL = f"""
SELECT pr.priority, t.days, r.days, count(e.id),
       count(e.id) FILTER (
           WHERE %(now)s - tr.at > make_interval(days => t.days)
           OR %(now)s - rc.at > make_interval(days => r.days)),
       max(%(now)s - tr.at)
FROM (VALUES (1, 'urgent'), (2, 'routine')) AS pr (position, priority)
{_target_days("triaged", "first_contact", "pr.priority", "t")}
{_target_days("referral_received", "first_contact", "pr.priority", "r")}
LEFT JOIN (
    pathway_episode e
    JOIN pathway_patient p ON p.id = e.patient_id AND p.registered_practice_id = ANY(%(practices)s)
      AND NOT p.entered_in_error
    JOIN LATERAL (
        SELECT min(m.occurred_at) AS at FROM pathway_milestone m
        WHERE m.episode_id = e.id AND m.kind = 'triaged'
    ) tr ON tr.at IS NOT NULL
    LEFT JOIN LATERAL (
        SELECT min(m.occurred_at) AS at FROM pathway_milestone m
        WHERE m.episode_id = e.id AND m.kind = 'referral_received'
    ) rc ON true
) ON e.priority = pr.priority AND e.status = 'active' AND NOT EXISTS (
    SELECT 1 FROM pathway_milestone f WHERE f.episode_id = e.id AND f.kind = 'first_contact'
)
GROUP BY pr.position, pr.priority, t.days, r.days ORDER BY pr.position
"""

COVERAGE_SQL = """
SELECT count(*),
       count(*) FILTER (WHERE EXISTS (
           SELECT 1 FROM pathway_milestone r WHERE r.episode_id = e.id
           AND r.kind = 'review_held' AND r.occurred_at >= %(year_ago)s)),
       count(*) FILTER (WHERE EXISTS (
           SELECT 1 FROM pathway_milestone f WHERE f.episode_id = e.id
           AND f.kind = 'first_contact' AND f.occurred_at >= %(year_ago)s)),
       count(*) FILTER (WHERE EXISTS (
           SELECT 1 FROM pathway_milestone r WHERE r.episode_id = e.id
           AND r.kind = 'review_held' AND r.occurred_at >= %(year_ago)s)
           AND NOT EXISTS (
           SELECT 1 FROM pathway_milestone f WHERE f.episode_id = e.id
           AND f.kind = 'first_contact' AND f.occurred_at >= %(year_ago)s)),
       count(*) FILTER (WHERE coalesce(
           (SELECT d.occurred_at FROM pathway_milestone d WHERE d.episode_id = e.id
            AND d.kind = 'annual_review_due' ORDER BY d.created_at DESC, d.id DESC LIMIT 1),
           (SELECT max(s.occurred_at) FROM pathway_milestone s WHERE s.episode_id = e.id
            AND s.kind IN ('first_contact', 'review_held')) + interval '365 days') < %(now)s)
FROM pathway_episode e
JOIN pathway_patient p ON p.id = e.patient_id
WHERE e.status = 'active' AND p.registered_practice_id = ANY(%(practices)s)
  AND NOT p.entered_in_error
  AND EXISTS (SELECT 1 FROM pathway_milestone f WHERE f.episode_id = e.id
              AND f.kind = 'first_contact')
"""

OUTCOMES_SQL = """
WITH scored AS (
    SELECT a.patient_id, a.instrument, a.total::float AS total, a.completed_at,
           first_value(a.total::float) OVER first AS baseline_total,
           first_value(a.completed_at) OVER first AS baseline_at,
           max(a.completed_at) OVER (PARTITION BY a.patient_id, a.instrument) AS latest_at
    FROM pathway_assessment a
    JOIN pathway_patient p ON p.id = a.patient_id
    WHERE NOT a.entered_in_error AND a.instrument = ANY(%(instruments)s)
      AND a.completed_at < %(end)s AND p.registered_practice_id = ANY(%(practices)s)
        AND NOT p.entered_in_error
      AND NOT EXISTS (SELECT 1 FROM reviews_questionnairerequest_late_answers l
                      WHERE l.assessment_id = a.id)
    WINDOW first AS (PARTITION BY a.patient_id, a.instrument ORDER BY a.completed_at
                     ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
),
pairs AS (
    SELECT patient_id, instrument, baseline_total AS first, total AS last,
           CASE WHEN baseline_total < 20 THEN 0 WHEN baseline_total < 31 THEN 1
                WHEN baseline_total < 41 THEN 2 ELSE 3 END AS band_before,
           CASE WHEN total < 20 THEN 0 WHEN total < 31 THEN 1
                WHEN total < 41 THEN 2 ELSE 3 END AS band_after
    FROM scored
    WHERE completed_at = latest_at AND completed_at >= %(start)s
      AND baseline_at <= completed_at - interval '6 weeks'
)
SELECT instrument, count(DISTINCT patient_id), avg(first), avg(last),
       count(DISTINCT patient_id) FILTER (WHERE
           (instrument = 'HIT-6' AND last <= first - 6)
           OR (instrument = 'PSEQ' AND last >= first + 7 AND band_before <> band_after)
           OR (instrument = 'MSK-HQ' AND last >= first + 5.5))
FROM pairs GROUP BY instrument
"""

ACTIVITY_SQL = """
SELECT m.kind, count(*) FROM pathway_milestone m
JOIN pathway_episode e ON e.id = m.episode_id
JOIN pathway_patient p ON p.id = e.patient_id
WHERE m.occurred_at >= %(start)s AND m.occurred_at < least(%(end)s, now())
  AND p.registered_practice_id = ANY(%(practices)s) AND NOT p.entered_in_error
  -- A due date a review recorded before it replaced was never reached.
  AND NOT (m.kind = 'annual_review_due' AND EXISTS (
      SELECT 1 FROM pathway_milestone r
      WHERE r.episode_id = m.episode_id AND r.kind = 'annual_review_due'
        AND r.created_at > m.created_at AND r.created_at <= m.occurred_at))
GROUP BY m.kind
"""

ATTENDANCE_SQL = """
WITH contact AS (
    SELECT e.patient_id, (min(m.occurred_at) AT TIME ZONE 'Europe/London')::date AS contact_day
    FROM pathway_milestone m JOIN pathway_episode e ON e.id = m.episode_id
    WHERE m.kind = 'first_contact' GROUP BY e.patient_id
),
counts AS (
    SELECT g.patient_id, g.attendances, g.period_end - g.period_start AS days,
           g.period_end <= c.contact_day AS before, g.period_start >= c.contact_day AS after
    FROM pathway_gpattendancecount g
    JOIN contact c ON c.patient_id = g.patient_id
    JOIN pathway_patient p ON p.id = g.patient_id
    WHERE p.registered_practice_id = ANY(%(practices)s) AND NOT p.entered_in_error
      AND EXISTS (SELECT 1 FROM pathway_gpattendancecount b WHERE b.patient_id = g.patient_id
                  AND b.period_end <= c.contact_day)
      AND EXISTS (SELECT 1 FROM pathway_gpattendancecount a WHERE a.patient_id = g.patient_id
                  AND a.period_start >= c.contact_day)
)
SELECT count(DISTINCT patient_id) FILTER (WHERE before), sum(attendances) FILTER (WHERE before),
       sum(days) FILTER (WHERE before), count(DISTINCT patient_id) FILTER (WHERE after),
       sum(attendances) FILTER (WHERE after), sum(days) FILTER (WHERE after)
FROM counts
"""


VOLUME_SQL = """
SELECT to_char(date_trunc('month', r.submitted_at AT TIME ZONE 'Europe/London'), 'FMMonth YYYY'),
       r.source, count(*)
FROM referrals_referral r
LEFT JOIN pathway_patient p ON p.id = r.patient_id
WHERE r.submitted_at >= %(start)s AND r.submitted_at < %(end)s AND NOT r.entered_in_error
  AND (p.registered_practice_id = ANY(%(practices)s) AND NOT p.entered_in_error
       OR (r.patient_id IS NULL AND r.stated_practice_id = ANY(%(practices)s)))
GROUP BY date_trunc('month', r.submitted_at AT TIME ZONE 'Europe/London'), r.source
ORDER BY date_trunc('month', r.submitted_at AT TIME ZONE 'Europe/London')
"""

REJECTIONS_SQL = """
SELECT r.status, r.rejection_reason, count(*)
FROM referrals_referral r
LEFT JOIN pathway_patient p ON p.id = r.patient_id
WHERE r.decided_at >= %(start)s AND r.decided_at < %(end)s AND NOT r.entered_in_error
  AND (p.registered_practice_id = ANY(%(practices)s) AND NOT p.entered_in_error
       OR (r.patient_id IS NULL AND r.stated_practice_id = ANY(%(practices)s)))
GROUP BY r.status, r.rejection_reason
"""

HEADACHE_DAYS_SQL = """
WITH spans AS (
    SELECT p.id AS patient_id, f.day AS first_day, l.day AS last_day
    FROM pathway_patient p
    CROSS JOIN LATERAL (
        SELECT e.day FROM diaries_diaryentry e WHERE e.patient_id = p.id
        AND NOT e.entered_in_error ORDER BY e.day LIMIT 1) f
    CROSS JOIN LATERAL (
        SELECT e.day FROM diaries_diaryentry e WHERE e.patient_id = p.id
        AND NOT e.entered_in_error ORDER BY e.day DESC LIMIT 1) l
    WHERE p.registered_practice_id = ANY(%(practices)s)
      AND NOT p.entered_in_error AND l.day >= f.day + 59
      AND EXISTS (SELECT 1 FROM pathway_episode ep WHERE ep.patient_id = p.id
                  AND ep.condition = 'headache' AND ep.status <> 'entered_in_error')
)
SELECT count(*),
       sum((SELECT count(*) FROM diaries_diaryentry e WHERE e.patient_id = s.patient_id
            AND NOT e.entered_in_error AND e.headache AND e.day < s.first_day + 30)),
       sum((SELECT count(*) FROM diaries_diaryentry e WHERE e.patient_id = s.patient_id
            AND NOT e.entered_in_error AND e.headache AND e.day > s.last_day - 30)),
       sum((SELECT count(*) FROM diaries_diaryentry e WHERE e.patient_id = s.patient_id
            AND NOT e.entered_in_error AND e.day < s.first_day + 30)),
       sum((SELECT count(*) FROM diaries_diaryentry e WHERE e.patient_id = s.patient_id
            AND NOT e.entered_in_error AND e.day > s.last_day - 30))
FROM spans s
"""

DEPRESCRIBING_SQL = """
SELECT count(DISTINCT c.patient_id) FILTER (WHERE t.already_taking),
       count(DISTINCT c.patient_id) FILTER (WHERE t.outcome IN ('ongoing', 'effective')),
       (SELECT count(DISTINCT c2.patient_id) FROM careplans_careplan c2
        JOIN pathway_patient p2 ON p2.id = c2.patient_id
        WHERE NOT c2.entered_in_error AND p2.registered_practice_id = ANY(%(practices)s)
          AND NOT p2.entered_in_error)
FROM careplans_careplan c
JOIN pathway_patient p ON p.id = c.patient_id
LEFT JOIN careplans_treatmenttrial t ON t.plan_id = c.id
     AND t.medicine_class IN ('opioid', 'gabapentinoid') AND NOT t.entered_in_error
WHERE NOT c.entered_in_error AND p.registered_practice_id = ANY(%(practices)s)
  AND NOT p.entered_in_error
"""

APPOINTMENTS_SQL = """
SELECT count(*), count(*) FILTER (WHERE a.status = 'did_not_attend'),
       count(*) FILTER (WHERE a.status = 'attended'),
       count(*) FILTER (WHERE a.status = 'attended' AND a.modality IN ('video', 'phone')),
       (SELECT count(*) FROM reviews_groupbooking b
        JOIN reviews_groupsession g ON g.id = b.session_id
        JOIN pathway_patient p2 ON p2.id = b.patient_id
        WHERE g.start >= %(start)s AND g.start < %(end)s
          AND b.status IN ('attended', 'did_not_attend')
          AND p2.registered_practice_id = ANY(%(practices)s) AND NOT p2.entered_in_error),
       (SELECT count(*) FROM reviews_groupbooking b
        JOIN reviews_groupsession g ON g.id = b.session_id
        JOIN pathway_patient p2 ON p2.id = b.patient_id
        WHERE g.start >= %(start)s AND g.start < %(end)s AND b.status = 'attended'
          AND p2.registered_practice_id = ANY(%(practices)s) AND NOT p2.entered_in_error)
FROM reviews_appointment a
JOIN pathway_patient p ON p.id = a.patient_id
WHERE a.start >= %(start)s AND a.start < %(end)s
  AND a.status IN ('attended', 'did_not_attend') AND a.kind <> 'mdt'
  AND p.registered_practice_id = ANY(%(practices)s) AND NOT p.entered_in_error
"""

DISCHARGES_SQL = """
SELECT d.reason, count(*)
FROM reviews_discharge d
JOIN pathway_episode e ON e.id = d.episode_id
JOIN pathway_patient p ON p.id = d.patient_id
WHERE e.closed_at >= %(start)s AND e.closed_at < %(end)s
  AND p.registered_practice_id = ANY(%(practices)s) AND NOT p.entered_in_error
GROUP BY d.reason
"""


def _mean(total, n: int) -> float | None:
    return int(total or 0) / n if n else None


def _activity_rows(cursor, params, months: list[str]) -> list[tuple]:
    """Referral volume and rejections (the dashboard's first two tables). `months`: the
    period's months so far, each listed even without referrals."""
    from referrals.models import Referral

    rows: list[tuple] = []
    cursor.execute(VOLUME_SQL, params)
    by_month: dict[str, dict[str, int]] = {month: {} for month in months}
    for month, source, n in cursor.fetchall():
        by_month.setdefault(month, {})[source] = n
    sources = list(Referral.Source.choices)
    for month, values in by_month.items():
        rows.append(
            (
                month,
                *(publish_count(values.get(code, 0)) for code, _ in sources),
                publish_count(sum(values.values())),
            )
        )
    if not by_month:
        rows.append(("No referrals in this period", *("0" for _ in sources), "0"))
    cursor.execute(REJECTIONS_SQL, params)
    decided = cursor.fetchall()
    n = sum(count for _, _, count in decided)
    rejected = sum(count for status, _, count in decided if status == "rejected")
    redirected = sum(count for status, _, count in decided if status == "redirected")
    reasons = {reason: count for status, reason, count in decided if status == "rejected"}
    rows += [
        ("All decisions", publish_count(n), publish_percentage(n, n)),
        ("Rejected", publish_count(rejected), publish_percentage(rejected, n)),
        ("Redirected elsewhere", publish_count(redirected), publish_percentage(redirected, n)),
    ]
    rows += [
        (
            f"Rejected: {label}",
            publish_count(reasons.get(code, 0)),
            publish_percentage(reasons.get(code, 0), n),
        )
        for code, label in Referral.RejectionReason.choices
    ]
    return rows


def _care_rows(cursor, params) -> list[tuple]:
    """Headache days from diaries, deprescribing, attendance and discharges (tables 8 to 11)."""
    cursor.execute(HEADACHE_DAYS_SQL, params)
    n, first, last, first_recorded, last_recorded = cursor.fetchone()
    rows: list[tuple] = [
        (
            label,
            publish_count(n),
            publish_statistic(_mean(headache, n), n),
            publish_statistic(_mean(recorded, n), n),
        )
        for label, headache, recorded in (
            ("First 30 diary days", first, first_recorded),
            ("Last 30 diary days", last, last_recorded),
        )
    ]
    cursor.execute(DEPRESCRIBING_SQL, params)
    baseline, now_on, total = cursor.fetchone()
    rows += [
        ("At baseline", publish_count(baseline), publish_percentage(baseline, total)),
        ("Now", publish_count(now_on), publish_percentage(now_on, total)),
    ]
    cursor.execute(APPOINTMENTS_SQL, params)
    due, dna, attended, remote, group_n, group_attended = cursor.fetchone()
    rows += [
        ("Appointments due", publish_count(due), NOT_APPLICABLE),
        ("Did not attend", publish_count(dna), publish_percentage(dna, due)),
        (
            "Attended remotely (video or phone)",
            publish_count(remote),
            publish_percentage(remote, attended),
        ),
        (
            "Group-session places taken up",
            publish_count(group_attended),
            publish_percentage(group_attended, group_n),
        ),
    ]
    cursor.execute(DISCHARGES_SQL, params)
    counts = dict(cursor.fetchall())
    n = sum(counts.values())
    rows.append(("All discharges", publish_count(n), publish_percentage(n, n)))
    for code, label in Discharge.Reason.choices:
        count = counts.get(code, 0)
        rows.append((label, publish_count(count), publish_percentage(count, n)))
    return rows


def compute(scope: Scope, *, now: datetime | None = None) -> list[tuple]:
    """Every dashboard row, published, in display order (the rows of build_tables)."""
    now = now or timezone.now()
    start, end = scope.bounds
    params = {
        "practices": scope.practice_ids,
        "start": start,
        "end": end,
        "now": now,
        "year_ago": now - timedelta(days=365),
        "instruments": list(OUTCOME_INSTRUMENTS),
    }
    steps = ", ".join(
        f"({position}, '{frm}', '{dest}', '{priority}')"
        for position, (_, frm, dest, priority) in enumerate(WAIT_STEPS, start=1)
    )
    rows: list[tuple] = []
    with connection.cursor() as cursor:
        months = months_in(scope.period, today=timezone.localdate())
        rows += _activity_rows(cursor, params, [f"{month:%B %Y}" for month in months])
        cursor.execute(WAITS_SQL % {"steps": steps}, params)
        cursor_rows = cursor.fetchall()
        cursor.execute("SELECT from_milestone, to_milestone, priority, days FROM pathway_target")
        targets: dict[tuple[str, str], dict[str, int]] = {}
        for frm, dest, priority, days in cursor.fetchall():
            targets.setdefault((frm, dest), {})[priority] = days
        for (label, frm, dest, priority), (_, n, within, median, longest, people) in zip(
            WAIT_STEPS, cursor_rows, strict=True
        ):
            rows.append(
                (
                    label,
                    levels_text(levels_for(targets.get((frm, dest), {}), priority)),
                    publish_count(n),
                    publish_percentage(within, n, people=people),
                    publish_statistic(_days(median), people),
                    publish_statistic(_days(longest), people),
                )
            )
        cursor.execute(TRIAGE_WAITING_SQL, params)
        for label, (_, target, n, breaches, longest) in zip(
            ("Urgent", "Routine"), cursor.fetchall(), strict=True
        ):
            rows.append(
                (
                    label,
                    targets_text(None, target),
                    publish_count(n),
                    publish_count(breaches),
                    publish_statistic(_days(longest), n),
                )
            )
        cursor.execute(WAITING_SQL, params)
        for label, (_, from_triage, from_referral, n, breaches, longest) in zip(
            ("Urgent", "Routine"), cursor.fetchall(), strict=True
        ):
            rows.append(
                (
                    label,
                    targets_text(from_triage, from_referral),
                    publish_count(n),
                    publish_count(breaches),
                    publish_statistic(_days(longest), n),
                )
            )
        cursor.execute(COVERAGE_SQL, params)
        n, reviewed, new, due_reviewed, overdue = cursor.fetchone()
        rows.append(
            (
                publish_count(n),
                publish_percentage(reviewed, n),
                publish_count(new),
                publish_percentage(due_reviewed, n - new),
                publish_count(overdue),
            )
        )
        cursor.execute(OUTCOMES_SQL, params)
        outcomes = {row[0]: row[1:] for row in cursor.fetchall()}
        for code in OUTCOME_INSTRUMENTS:
            instrument = INSTRUMENTS[code]
            n, first, last, improved = outcomes.get(code, (0, None, None, 0))
            better = "higher" if instrument.better == HIGHER_IS_BETTER else "lower"
            rows.append(
                (
                    f"{instrument.code} ({better} is better)",
                    publish_count(n),
                    publish_statistic(first, n),
                    publish_statistic(last, n),
                    "not defined"
                    if instrument.important_change is None
                    else publish_percentage(improved, n),
                )
            )
        cursor.execute(ACTIVITY_SQL, params)
        counts = dict(cursor.fetchall())
        for kind, label in Milestone._meta.get_field("kind").choices:
            rows.append((label, publish_count(counts.get(kind, 0))))
        rows += _care_rows(cursor, params)
        cursor.execute(ATTENDANCE_SQL, params)
        before_n, before_visits, before_days, after_n, after_visits, after_days = cursor.fetchone()
        for label, n, visits, days in (
            ("Before first contact", before_n, before_visits, before_days),
            ("After first contact", after_n, after_visits, after_days),
        ):
            rate = (visits or 0) / (days / 365.25) if days else None
            rows.append((label, publish_count(n), publish_statistic(rate, n, places=2)))
    return rows
